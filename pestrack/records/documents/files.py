"""Storing, checking and removing document files.

- The type is decided from the content (magic bytes, with the ``filetype`` library), never from the
  name or the content type the browser sends: PDF, PNG, JPEG and Word (DOCX, a ZIP archive that
  must hold ``word/document.xml``). Anything else is refused.
- Files live in ``settings.PESTRACK_DOCUMENTS_DIR``, outside the web root, under random names; a file
  is written to a temporary name in the same folder and renamed into place (atomic), so a file is
  either whole or absent. A refused upload leaves nothing behind, neither file nor row.
- The uploaded name is kept only for display and download, sanitised: no folders, no control or
  bidirectional-override characters, and an extension that matches the content.
- Retention removes the rows and the files (``delete_for_persons``); caseworkers only withdraw.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
import unicodedata
import zipfile
from pathlib import Path

import filetype
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from pestrack.records.documents.models import Document

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# content type → (label, extensions accepted on the name, the first being the one added when missing)
TYPES = {
    PDF: ("PDF", ("pdf",)),
    PNG: ("PNG", ("png",)),
    JPEG: ("JPEG", ("jpg", "jpeg")),
    DOCX: ("Word (DOCX)", ("docx",)),
}
_ZIP = "application/zip"
_HEAD = 8192  # what filetype reads of a file
_CHUNK = 64 * 1024
# control characters, formatting characters (bidirectional overrides and isolates, zero-width
# characters), line and paragraph separators: they can make a name read as something it is not
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_RESERVED = re.compile(r'[<>:"|?*]')  # not allowed in file names on Windows
MAX_NAME = 150


def type_label(content_type: str) -> str:
    return TYPES.get(content_type, (content_type, ()))[0]


def size_label(size: int) -> str:
    """A size as people read it, in the user's number format (``1,5 MB``, ``12 kB``)."""
    if size >= 1024 * 1024:
        mb = round(size / (1024 * 1024), 1)
        return _("%(n)s MB") % {"n": number_format(int(mb)) if mb.is_integer() else number_format(mb, decimal_pos=1)}
    if size >= 1024:
        return _("%(n)s kB") % {"n": number_format(round(size / 1024))}
    return _("%(n)s bytes") % {"n": number_format(size)}


def documents_dir() -> Path:
    """The folder of the document files; refused when it would be served as a static file."""
    folder = Path(settings.PESTRACK_DOCUMENTS_DIR).resolve()
    static = [Path(__file__).resolve().parents[2] / "web" / "static"]
    if settings.STATIC_ROOT:
        static.append(Path(settings.STATIC_ROOT).resolve())
    for root in static:
        if folder == root or root in folder.parents:
            raise ImproperlyConfigured(f"PESTRACK_DOCUMENTS_DIR ({folder}) must not be under the static files ({root})")
    return folder


def path_of(stored_name: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}", stored_name):
        raise ValueError(f"not a stored document name: {stored_name!r}")
    return documents_dir() / stored_name[:2] / stored_name


def detect_type(path: Path) -> str | None:
    """The file's content type if it is one of TYPES, decided by its content; else None."""
    with open(path, "rb") as f:
        head = f.read(_HEAD)
    kind = filetype.guess(head) if head else None
    if kind is None:
        return None
    if kind.mime in (PDF, PNG, JPEG):
        return kind.mime
    if kind.mime in (_ZIP, DOCX):  # a ZIP archive is a Word document only if it holds one
        try:
            with zipfile.ZipFile(path) as z:
                return DOCX if "word/document.xml" in z.namelist() else None
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
    return None


def clean_name(name: str, content_type: str) -> str:
    """The uploaded ``name`` made safe to show and to offer as a download name."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]  # no folders, whichever separator the client used
    name = "".join(c for c in name if unicodedata.category(c) not in _UNSAFE_CATEGORIES)
    name = " ".join(_RESERVED.sub("_", name).split()).strip(" .")
    stem, dot, ext = name.rpartition(".")
    allowed = TYPES[content_type][1]
    if not dot or ext.lower() not in allowed:  # e.g. "cv.exe" holding a PDF becomes "cv.exe.pdf"
        stem, ext = name, allowed[0]
    stem = stem[:MAX_NAME].strip(" .") or _("document")
    return f"{stem}.{ext.lower()}"


def too_large_message() -> str:
    return _("The file is larger than %(limit)s, the largest size accepted.") % {
        "limit": size_label(settings.PESTRACK_DOCUMENT_MAX_BYTES)
    }


def _refuse(message: str, code: str):
    raise ValidationError({"file": ValidationError(message, code=code)})


def store(upload, *, person, enrolment=None, description: str = "", user=None) -> Document:
    """Check ``upload`` (a Django UploadedFile, or any object with ``name`` and ``chunks()``) and
    store it as a document of ``person`` (and ``enrolment``). Raises ValidationError on the field
    ``file`` (empty, too large, not an accepted type) with nothing stored."""
    limit = settings.PESTRACK_DOCUMENT_MAX_BYTES
    too_large = too_large_message()
    if getattr(upload, "size", None) == 0:
        _refuse(_("The file is empty."), "empty")
    if (getattr(upload, "size", None) or 0) > limit:
        _refuse(too_large, "too_large")
    if enrolment is not None and enrolment.person_id != person.pk:
        raise ValidationError(
            {"enrolment": ValidationError(_("The enrolment is not this person's."), code="other_person")}
        )
    stored_name = secrets.token_hex(16)
    final = path_of(stored_name)
    final.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=final.parent, prefix=".upload-")  # mode 0600
    tmp = Path(tmp_name)
    try:
        digest, size = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out:
            for chunk in upload.chunks(_CHUNK):
                size += len(chunk)
                if size > limit:  # the client's stated size is not trusted either
                    _refuse(too_large, "too_large")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            _refuse(_("The file is empty."), "empty")
        content_type = detect_type(tmp)
        if content_type is None:
            _refuse(
                _(
                    "The file is not a PDF, PNG, JPEG or Word (DOCX) document: its content was checked, "
                    "whatever its name says."
                ),
                "type",
            )
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        with transaction.atomic():
            return Document.objects.create(
                person=person,
                enrolment=enrolment,
                name=clean_name(upload.name, content_type),
                content_type=content_type,
                size=size,
                sha256=digest.hexdigest(),
                stored_name=stored_name,
                description=(description or "").strip(),
                uploaded_by=user,
                uploaded_at=timezone.now(),
            )
    except BaseException:
        final.unlink(missing_ok=True)
        raise


def withdraw(document: Document, *, user, reason: str) -> Document:
    """Mark the document withdrawn with a reason. The file and the row stay until retention."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError(_("Give the reason for the withdrawal."), code="required")})
    if document.withdrawn:
        raise ValidationError(_("The document is already withdrawn."), code="withdrawn")
    document.withdrawn_at, document.withdrawn_by, document.withdrawal_reason = timezone.now(), user, reason
    document.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    return document


def remove_files(stored_names: list[str]) -> None:
    for name in stored_names:
        path_of(name).unlink(missing_ok=True)


def delete_for_persons(person_ids: list[int]) -> list[tuple[int, int]]:
    """Delete the documents of these persons, rows now and files once the transaction commits (a
    rolled-back retention run keeps both). Returns (person id, document id) of each."""
    rows = list(Document.objects.filter(person_id__in=person_ids).values_list("person_id", "pk", "stored_name"))
    if rows:
        Document.objects.filter(pk__in=[row[1] for row in rows]).delete()
        names = [row[2] for row in rows]
        transaction.on_commit(lambda: remove_files(names))
    return [(row[0], row[1]) for row in rows]
