"""Documents on the person page: upload, download and withdrawal, who may do them, what is logged,
and the refusals of bad files, in the user's language."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from pestrack.records.documents import files
from pestrack.records.documents.demo import tiny_pdf, tiny_png, upload_of
from pestrack.records.documents.models import Document
from tests.records.test_documents import EXE, HTML, stored_files
from tests.web.conftest import log_entries

pytestmark = pytest.mark.django_db


def _upload(client, person_id, name="cv.pdf", content=None, **data):
    content = tiny_pdf("CV") if content is None else content
    # the browser's content type is a lie on purpose: only the content counts
    return client.post(
        f"/persons/{person_id}/documents/new/",
        {"file": SimpleUploadedFile(name, content, content_type="application/pdf"), **data},
    )


def _document(person, name="cv.pdf", content=None, **kwargs):
    return files.store(upload_of(name, content or tiny_pdf()), person=person, **kwargs)


def test_a_caseworker_uploads_a_pdf_and_sees_it_on_the_person_page(world, login):
    client = login("anna")
    enrolment = world.jarva.enrolments.get()
    response = _upload(client, world.jarva.pk, "Läkarintyg.pdf", enrolment=enrolment.pk, description="Intyg")
    assert response.status_code == 302 and response["Location"].endswith(f"/persons/{world.jarva.pk}/#documents")
    doc = Document.objects.get()
    assert (doc.person, doc.enrolment, doc.name, doc.content_type, doc.description, doc.uploaded_by.username) == (
        world.jarva,
        enrolment,
        "Läkarintyg.pdf",
        files.PDF,
        "Intyg",
        "anna",
    )
    assert log_entries(
        actor="anna", action="create", object_type="document", object_id=str(doc.pk), person_id=world.jarva.pk
    ).exists()
    page = client.get(f"/persons/{world.jarva.pk}/").content.decode()
    assert "Läkarintyg.pdf" in page and f"/documents/{doc.pk}/download/" in page and "Intyg" in page
    assert 'enctype="multipart/form-data"' in page  # the upload form is on the page


def test_the_download_is_an_attachment_of_the_checked_type_and_is_logged(world, login):
    doc = _document(world.jarva, "Läkarintyg.pdf")
    for user in ("anna", "maria"):  # the unit's caseworker and the manager
        response = login(user).get(f"/documents/{doc.pk}/download/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == files.path_of(doc.stored_name).read_bytes()
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == "attachment; filename*=utf-8''L%C3%A4karintyg.pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "no-store"
        assert (
            log_entries(
                actor=user,
                action="read",
                object_type="document",
                object_id=str(doc.pk),
                detail="download",
                person_id=world.jarva.pk,
            ).count()
            == 1
        )


@pytest.mark.parametrize("user", ["erik", "ali", "sara", "admin", "emil"])
def test_download_is_refused_outside_the_persons_units_and_logged(world, login, user):
    doc = _document(world.jarva)
    response = login(user).get(f"/documents/{doc.pk}/download/")
    assert response.status_code == 403 and b"%PDF" not in response.content
    assert log_entries(
        actor=user, action="denied", object_type="document", person_id=world.jarva.pk, detail="refused download"
    ).exists()
    assert not log_entries(actor=user, action="read", object_type="document").exists()


@pytest.mark.parametrize("user", ["erik", "maria", "ali", "sara", "admin", "emil"])
def test_upload_is_refused_to_others_and_to_read_only_roles_and_logged(world, login, user, documents_dir):
    client = login(user)
    assert client.get(f"/persons/{world.jarva.pk}/documents/new/").status_code == 403
    response = _upload(client, world.jarva.pk)
    assert response.status_code == 403
    assert log_entries(actor=user, action="denied", person_id=world.jarva.pk).exists()
    assert not Document.objects.exists() and stored_files(documents_dir) == []


def test_a_district_caseworker_uploads_to_a_person_they_referred(world, login):
    assert _upload(login("dina"), world.referred.pk).status_code == 302
    assert Document.objects.get().person == world.referred


def test_an_unknown_document_is_not_found(world, login):
    assert login("anna").get("/documents/999999/download/").status_code == 404


@pytest.mark.parametrize(
    "name, content, field, message",
    [
        ("program.pdf", EXE, "File", "is not a PDF, PNG, JPEG or Word (DOCX) document"),
        ("bild.png", HTML, "File", "is not a PDF, PNG, JPEG or Word (DOCX) document"),
        ("empty.pdf", b"", "File", "The file is empty."),
        ("big.pdf", tiny_pdf() + b"%" + b"x" * 2048, "File", "larger than 2 kB"),
    ],
)
def test_bad_files_are_refused_beside_the_field_and_nothing_is_kept(
    world, login, settings, documents_dir, name, content, field, message
):
    settings.PESTRACK_DOCUMENT_MAX_BYTES = 2048
    response = _upload(login("anna"), world.jarva.pk, name, content)
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_document_file-error"' in page and message in page
    assert f'<a href="#id_document_file">{field}: ' in page  # the summary names the field
    assert not Document.objects.exists() and stored_files(documents_dir) == []
    assert not log_entries(action="create", object_type="document").exists()


def test_an_oversized_upload_is_refused_without_reading_it_whole(world, login, settings, documents_dir, monkeypatch):
    """The upload stops at the limit (the request's rest is discarded, not kept in memory or in a
    temporary file): the refusal is the size, not a missing file."""
    from django.core.files import uploadhandler

    kept = []
    for handler in (uploadhandler.MemoryFileUploadHandler, uploadhandler.TemporaryFileUploadHandler):

        def spy(self, raw_data, start, _original=handler.receive_data_chunk):
            kept.append(start + len(raw_data))  # how far into the file the handler got
            return _original(self, raw_data, start)

        monkeypatch.setattr(handler, "receive_data_chunk", spy)
    settings.PESTRACK_DOCUMENT_MAX_BYTES = 100 * 1024
    response = _upload(login("anna"), world.jarva.pk, "big.pdf", tiny_pdf() + b"%" + b"x" * 3_000_000)
    assert kept and max(kept) <= 100 * 1024
    assert response.status_code == 422
    page = response.content.decode()
    assert "The file is larger than 100 kB" in page and "This field is required" not in page
    assert not Document.objects.exists() and stored_files(documents_dir) == []


def test_an_upload_without_the_csrf_token_is_refused(world, documents_dir):
    from django.test import Client

    from tests.web.conftest import PASSWORD

    client = Client(enforce_csrf_checks=True)
    assert client.login(username="anna", password=PASSWORD)
    assert _upload(client, world.jarva.pk).status_code == 403
    assert not Document.objects.exists() and stored_files(documents_dir) == []


def test_refusals_are_in_swedish_for_a_swedish_user(world, login, settings, documents_dir):
    settings.LANGUAGE_CODE = "sv"
    client = login("anna")
    client.post("/language/", {"language": "sv"})
    with translation.override("sv"):
        page = _upload(client, world.jarva.pk, "program.pdf", EXE).content.decode()
        assert "Fil: Filen är inte ett PDF-, PNG-, JPEG- eller Word-dokument (DOCX)" in page
        page = _upload(client, world.jarva.pk, "tom.pdf", b"").content.decode()
        assert "Filen är tom." in page
        settings.PESTRACK_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
        page = client.get(f"/persons/{world.jarva.pk}/").content.decode()
        assert "Ladda upp ett dokument" in page and "högst 10 MB" in page
    assert stored_files(documents_dir) == []


def test_an_enrolment_of_another_unit_cannot_be_chosen(world, login):
    other = world.soderort.enrolments.get()
    response = _upload(login("anna"), world.jarva.pk, enrolment=other.pk)
    assert response.status_code == 422 and not Document.objects.exists()
    assert 'id="id_document_enrolment-error"' in response.content.decode()


def test_protected_persons_documents_are_masked_and_not_served_without_the_permission(world, login):
    doc = _document(world.protected, "Hemlig Skyddadsson CV.pdf", description="Skyddadssons CV")
    anna = login("anna")  # a caseworker of the unit, without may_see_protected
    page = anna.get(f"/persons/{world.protected.pk}/").content.decode()
    assert "Skyddadsson" not in page and f"/documents/{doc.pk}/download/" not in page and "PDF" in page
    assert anna.get(f"/documents/{doc.pk}/download/").status_code == 403
    assert log_entries(actor="anna", action="denied", object_type="document", detail="refused download").exists()
    extract = anna.get(f"/persons/{world.protected.pk}/export.json").json()
    assert extract["documents"][0]["name"] == "*****" and extract["documents"][0]["type"] == files.PDF
    # she may still add one (she works the case), and sees it masked
    assert _upload(anna, world.protected.pk, "Intyg Skyddadsson.png", tiny_png()).status_code == 302
    assert "Skyddadsson" not in anna.get(f"/persons/{world.protected.pk}/").content.decode()
    maria = login("maria")  # may see protected identities
    assert maria.get(f"/documents/{doc.pk}/download/").status_code == 200
    assert "Hemlig Skyddadsson CV.pdf" in maria.get(f"/persons/{world.protected.pk}/").content.decode()


def test_a_caseworker_withdraws_a_document_with_a_reason(world, login, documents_dir):
    doc = _document(world.jarva)
    client = login("anna")
    assert client.get(f"/documents/{doc.pk}/withdraw/").status_code == 200
    response = client.post(f"/documents/{doc.pk}/withdraw/", {"reason": ""})
    assert response.status_code == 422 and not Document.objects.get().withdrawn
    response = client.post(f"/documents/{doc.pk}/withdraw/", {"reason": "Fel person"})
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.withdrawn and doc.withdrawal_reason == "Fel person" and doc.withdrawn_by.username == "anna"
    assert files.path_of(doc.stored_name).exists()  # kept until retention
    assert log_entries(
        actor="anna", action="update", object_type="document", object_id=str(doc.pk), detail="withdrawn"
    ).exists()
    page = client.get(f"/persons/{world.jarva.pk}/").content.decode()
    assert "Withdrawn" in page and "Fel person" in page and f"/documents/{doc.pk}/download/" not in page
    assert client.get(f"/documents/{doc.pk}/download/").status_code == 404
    assert not log_entries(action="read", object_type="document", detail="download").exists()
    assert (
        client.get(f"/persons/{world.jarva.pk}/export.json").json()["documents"][0]["withdrawal_reason"] == "Fel person"
    )


@pytest.mark.parametrize("user", ["maria", "erik", "ali", "sara", "admin"])
def test_withdrawal_is_refused_to_others_and_logged(world, login, user):
    doc = _document(world.jarva)
    client = login(user)
    assert client.get(f"/documents/{doc.pk}/withdraw/").status_code == 403
    assert client.post(f"/documents/{doc.pk}/withdraw/", {"reason": "x"}).status_code == 403
    assert not Document.objects.get().withdrawn
    assert log_entries(actor=user, action="denied", object_type="document", detail="refused withdraw").exists()


def test_the_register_extract_lists_the_documents(world, login):
    _document(world.jarva, "CV.pdf")
    client = login("anna")
    listed = client.get(f"/persons/{world.jarva.pk}/export.json").json()["documents"]
    assert [(d["name"], d["type"]) for d in listed] == [("CV.pdf", files.PDF)]
    assert "CV.pdf" in client.get(f"/persons/{world.jarva.pk}/export.html").content.decode()


def test_the_document_pages_are_swedish_for_a_swedish_user(world, login):
    doc = _document(world.jarva, enrolment=world.jarva.enrolments.get(), description="CV")
    files.withdraw(_document(world.jarva, "old.pdf"), user=None, reason="Fel version")
    client = login("anna")
    client.post("/language/", {"language": "sv"})
    english = [
        "Documents",
        "Upload a document",
        "Attached to",
        "Uploaded",
        "Withdrawn",
        "Withdraw",
        "File",
        "Description",
        "For example",
        "at most",
        "The person (no particular",
        "bytes",
        "Reason for",
        "A withdrawn document",
        "the person",
        ">Type<",
        ">Size<",
        "open",
    ]
    pages = {
        "person": client.get(f"/persons/{world.jarva.pk}/"),
        "upload": client.get(f"/persons/{world.jarva.pk}/documents/new/"),
        "withdraw": client.get(f"/documents/{doc.pk}/withdraw/"),
        "refused": _upload(client, world.jarva.pk, "x.pdf", EXE),
    }
    for name, response in pages.items():
        page = response.content.decode()
        main = page[page.index("<main") : page.index("</main>")]
        found = [s for s in english if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", main)]
        assert not found, (name, found)
    person = pages["person"].content.decode()
    assert all(
        s in person for s in ("Dokument", "Makulerad", "Fel version", "Hör till", "Uppladdat", "Ladda upp ett dokument")
    )
    assert re.search(r"<dd>\d+ byte</dd>", person)
