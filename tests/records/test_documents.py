"""Documents (records.documents): the type decided by content, the size limit, storage outside the
web root under random names, sanitised names, withdrawal, the register extract and retention."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
import zipfile

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from typer.testing import CliRunner

from pestrack.cli import app
from pestrack.records import retention
from pestrack.records.audit.models import AccessLogEntry
from pestrack.records.documents import files
from pestrack.records.documents.demo import add_demo_data, tiny_pdf, tiny_png, upload_of
from pestrack.records.documents.models import Document
from pestrack.records.people.export import person_extract, render_extract_html
from tests.records.test_retention import TODAY, make_person, years_ago

JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


def zip_with(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        for n in names:
            z.writestr(n, "<x/>")
    return buf.getvalue()


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def stored_files(folder) -> list:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def person(profile):
    return make_person((years_ago(1), None))


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("cv.pdf", tiny_pdf("CV"), files.PDF),
        ("photo.png", tiny_png(), files.PNG),
        ("scan.jpg", JPEG_BYTES, files.JPEG),
        ("letter.docx", zip_with("word/document.xml"), files.DOCX),
        ("named-wrongly.txt", tiny_pdf(), files.PDF),  # the content decides, not the name
    ],
)
def test_accepted_types_are_recognised_by_content(person, documents_dir, name, content, expected):
    doc = files.store(upload_of(name, content), person=person)
    assert doc.content_type == expected and doc.size == len(content)
    assert doc.sha256 == hashlib.sha256(content).hexdigest()
    assert files.path_of(doc.stored_name).read_bytes() == content


@pytest.mark.parametrize(
    "name, content",
    [
        ("program.pdf", EXE),  # an .exe renamed .pdf
        ("picture.png", HTML),  # an HTML file named .png
        ("letter.docx", zip_with("xl/workbook.xml")),  # a ZIP, but not a Word document
        ("notes.pdf", b"just some text, not a PDF at all"),
    ],
)
def test_other_content_is_refused_and_nothing_is_stored(person, documents_dir, name, content):
    with pytest.raises(ValidationError) as refused:
        files.store(upload_of(name, content), person=person)
    assert "file" in refused.value.message_dict
    assert "not a PDF, PNG, JPEG or Word" in refused.value.message_dict["file"][0]
    assert not Document.objects.exists() and stored_files(documents_dir) == []


def test_empty_and_too_large_files_are_refused(person, documents_dir, settings):
    settings.PESTRACK_DOCUMENT_MAX_BYTES = 1000
    with pytest.raises(ValidationError, match="empty"):
        files.store(upload_of("empty.pdf", b""), person=person)
    big = tiny_pdf() + b"%" + b"x" * 1000
    with pytest.raises(ValidationError, match="larger than 1000 bytes"):
        files.store(upload_of("big.pdf", big), person=person)

    class Liar:  # says it is small, streams more than the limit
        name, size = "liar.pdf", 10

        def chunks(self, n):
            yield big

    with pytest.raises(ValidationError, match="larger than"):
        files.store(Liar(), person=person)
    assert not Document.objects.exists() and stored_files(documents_dir) == []
    assert files.store(upload_of("ok.pdf", tiny_pdf()), person=person).size <= 1000


def test_stored_outside_the_web_root_under_a_random_name(person, documents_dir):
    a = files.store(upload_of("Anna Andersson CV.pdf", tiny_pdf()), person=person)
    b = files.store(upload_of("Anna Andersson CV.pdf", tiny_pdf()), person=person)
    paths = stored_files(documents_dir)
    assert paths == sorted([files.path_of(a.stored_name), files.path_of(b.stored_name)])
    assert a.stored_name != b.stored_name and all("Anna" not in str(p) and p.suffix == "" for p in paths)
    assert all((p.stat().st_mode & 0o077) == 0 for p in paths)  # readable by the service only
    assert not any(p.name.startswith(".upload-") for p in paths)  # no temporary file left


def test_a_folder_under_the_static_files_is_refused(person, settings, tmp_path):
    settings.STATIC_ROOT = str(tmp_path / "static")
    settings.PESTRACK_DOCUMENTS_DIR = tmp_path / "static" / "documents"
    with pytest.raises(ImproperlyConfigured, match="must not be under the static files"):
        files.store(upload_of("cv.pdf", tiny_pdf()), person=person)


def test_a_failed_save_leaves_no_file(person, documents_dir, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(Document.objects, "create", broken)
    with pytest.raises(RuntimeError):
        files.store(upload_of("cv.pdf", tiny_pdf()), person=person)
    assert stored_files(documents_dir) == []


@pytest.mark.parametrize(
    "given, expected",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\anna\\cv.pdf", "cv.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe.pdf"),  # a right-to-left override hiding ".exe"
        ("a\x00b\x1f\nc.PDF", "abc.pdf"),
        ("  ..hidden.pdf ", "hidden.pdf"),
        ('what?<is>"this".pdf', "what__is__this_.pdf"),
        ("", "document.pdf"),
        ("x" * 300 + ".pdf", "x" * files.MAX_NAME + ".pdf"),
        ("Läkarintyg.pdf", "Läkarintyg.pdf"),
    ],
)
def test_names_are_sanitised_for_display_and_download(given, expected):
    assert files.clean_name(given, files.PDF) == expected


def test_sizes_are_shown_in_the_users_number_format():
    from django.utils import translation

    assert [files.size_label(n) for n in (512, 2048, 10 * 1024 * 1024, 1572864)] == [
        "512 bytes",
        "2 kB",
        "10 MB",
        "1.5 MB",
    ]
    with translation.override("sv"):
        assert files.size_label(1572864) == "1,5 MB" and files.size_label(512) == "512 byte"


def test_a_name_gets_the_extension_of_its_content():
    assert files.clean_name("photo.jpeg", files.JPEG) == "photo.jpeg"
    assert files.clean_name("photo.png", files.JPEG) == "photo.png.jpg"
    assert files.clean_name("brev", files.DOCX) == "brev.docx"


def test_an_enrolment_of_another_person_is_refused(person, profile):
    other = make_person((years_ago(1), None))
    with pytest.raises(ValidationError) as refused:
        files.store(upload_of("cv.pdf", tiny_pdf()), person=person, enrolment=other.enrolments.get())
    assert "enrolment" in refused.value.message_dict and not Document.objects.exists()


def test_withdrawal_needs_a_reason_and_keeps_the_file(person, documents_dir):
    doc = files.store(upload_of("cv.pdf", tiny_pdf()), person=person)
    with pytest.raises(ValidationError) as refused:
        files.withdraw(doc, user=None, reason="  ")
    assert "reason" in refused.value.message_dict and not Document.objects.get().withdrawn
    files.withdraw(doc, user=None, reason="Wrong person")
    doc.refresh_from_db()
    assert doc.withdrawn and doc.withdrawal_reason == "Wrong person"
    assert files.path_of(doc.stored_name).exists()
    with pytest.raises(ValidationError, match="already withdrawn"):
        files.withdraw(doc, user=None, reason="again")


def test_the_register_extract_lists_the_documents_not_their_content(person):
    doc = files.store(
        upload_of("CV 2026.pdf", tiny_pdf("SECRET CONTENT")),
        person=person,
        enrolment=person.enrolments.get(),
        description="CV",
    )
    files.withdraw(files.store(upload_of("old.png", tiny_png()), person=person), user=None, reason="Duplicate")
    extract = person_extract(person)
    listed = {d["name"]: d for d in extract["documents"]}
    assert set(listed) == {"CV 2026.pdf", "old.png"}
    assert listed["CV 2026.pdf"] | {"uploaded_at": None} == {
        "name": "CV 2026.pdf",
        "type": files.PDF,
        "size_bytes": doc.size,
        "uploaded_at": None,
        "enrolment_id": person.enrolments.get().pk,
        "description": "CV",
        "withdrawn_at": None,
        "withdrawal_reason": None,
    }
    assert listed["CV 2026.pdf"]["uploaded_at"].startswith(str(TODAY))
    assert listed["old.png"]["withdrawal_reason"] == "Duplicate"
    html = render_extract_html(extract, "sv")
    assert "<h2>Dokument" in html and "CV 2026.pdf" in html and "SECRET CONTENT" not in html


def test_retention_deletes_the_documents_and_their_files(profile, documents_dir, django_capture_on_commit_callbacks):
    old = make_person((years_ago(8), years_ago(6)))
    kept = make_person((years_ago(8), years_ago(6)), (years_ago(1), None))
    gone = [
        files.store(upload_of("cv.pdf", tiny_pdf()), person=old),
        files.store(upload_of("x.png", tiny_png()), person=old, enrolment=old.enrolments.get()),
    ]
    files.withdraw(gone[1], user=None, reason="Wrong")  # withdrawn documents go too
    stays = files.store(upload_of("cv.pdf", tiny_pdf()), person=kept)

    dry = CliRunner().invoke(app, ["retention", "apply", "--dry-run"])
    assert "would delete 2 document(s)" in dry.output and len(stored_files(documents_dir)) == 3
    with django_capture_on_commit_callbacks(execute=True):
        result = CliRunner().invoke(app, ["retention", "apply"])
    assert result.exit_code == 0, result.output
    assert f"anonymised 1 person(s): {old.pk}" in result.output and "deleted 2 document(s)" in result.output
    assert list(Document.objects.all()) == [stays]
    assert stored_files(documents_dir) == [files.path_of(stays.stored_name)]
    logged = AccessLogEntry.objects.filter(action="delete", object_type="document", person_id=old.pk)
    assert sorted(logged.values_list("object_id", flat=True)) == sorted(str(d.pk) for d in gone)


def test_a_rolled_back_retention_keeps_the_files(profile, documents_dir, django_capture_on_commit_callbacks):
    old = make_person((years_ago(8), years_ago(6)))
    doc = files.store(upload_of("cv.pdf", tiny_pdf()), person=old)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        retention.apply(TODAY)
        raise RuntimeError("something later failed")
    assert callbacks == [] and Document.objects.get() == doc
    assert files.path_of(doc.stored_name).exists()


def test_demo_documents_are_recent_and_on_the_demo_caseworkers_persons(profile, documents_dir):
    from django.contrib.auth import get_user_model

    from pestrack.records import access
    from pestrack.records.sample import create_demo_users
    from tests.web.conftest import make_person as person_at

    create_demo_users()
    for i in range(3):
        person_at(f"P{i}", "Jarvasson", "jt-jarva", serial=300 + i)
        person_at(f"Q{i}", "Ortsson", "jt-soderort", serial=320 + i)
    today = dt.date.today()
    made = add_demo_data(today, random.Random(1))
    assert made == Document.objects.count() >= 6
    for name in ("anna", "erik"):
        caseload = access.persons_visible_to(get_user_model().objects.get(username=name))
        assert Document.objects.filter(person__in=caseload).exists()
    for d in Document.objects.all():
        assert today - dt.timedelta(days=40) <= d.uploaded_at.date() <= today
        assert files.path_of(d.stored_name).read_bytes()[:4] in (b"%PDF", b"\x89PNG")
    assert add_demo_data(today, random.Random(1)) == 0  # not twice


def test_the_default_folder_is_beside_the_database_not_under_static(tmp_path):
    """Run as a deployment would, without PESTRACK_DOCUMENTS_DIR: the folder beside the SQLite file."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PESTRACK_DOCUMENTS_DIR"}
    env.update(
        PESTRACK_DATABASE_URL=f"sqlite:///{tmp_path / 'db' / 'pestrack.sqlite3'}",
        DJANGO_SETTINGS_MODULE="pestrack.settings",
    )
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from pestrack.records.documents.files import documents_dir; print(documents_dir())",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == str((tmp_path / "db" / "pestrack-documents").resolve())
