"""Demo documents: a few small generated files (a PDF letter, a PNG image) on the demo
caseworkers' persons, so that the person page shows documents (``pestrack demo``)."""

from __future__ import annotations

import datetime as dt
import random
import struct
import zlib
from dataclasses import dataclass

from django.utils import timezone

from pestrack.records.documents.models import Document

_TITLES = [
    ("CV.pdf", "CV"),
    ("Läkarintyg.pdf", "Läkarintyg"),
    ("Praktikavtal.pdf", "Praktikavtal"),
    ("Betyg gymnasiet.png", "Betyg"),
    ("Anställningsbevis.pdf", "Anställningsbevis"),
]


def tiny_pdf(text: str = "pestrack") -> bytes:
    """A valid one-page PDF showing ``text`` (ASCII) in Helvetica."""
    safe = text.encode("ascii", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    stream = b"BT /F1 18 Tf 72 720 Td (" + safe + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>"
        ),
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def tiny_png(width: int = 32, height: int = 16, colour: tuple[int, int, int] = (0, 91, 150)) -> bytes:
    """A valid PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(colour) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


@dataclass
class _Upload:
    """Just enough of an UploadedFile for files.store."""

    name: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)

    def chunks(self, chunk_size: int = 64 * 1024):
        for i in range(0, len(self.content), chunk_size):
            yield self.content[i : i + chunk_size]


def upload_of(name: str, content: bytes) -> _Upload:
    return _Upload(name, content)


def add_demo_data(today: dt.date, rng: random.Random, per_caseworker: int = 4) -> int:
    """One or two documents on a few open enrolments of each demo caseworker's units, uploaded in
    the last weeks before ``today``. Returns how many were made; none if there are some already."""
    from pestrack.records import access
    from pestrack.records.documents.files import store
    from pestrack.records.org.models import Assignment, Role

    if Document.objects.exists():
        return 0
    made = 0
    for a in Assignment.objects.filter(role=Role.CASEWORKER, user__username__in=["anna", "erik"]).select_related(
        "user"
    ):
        enrolments = list(
            access.enrolments_in_scope(a.user, write=True)
            .filter(end_date__isnull=True)
            .select_related("person")
            .order_by("pk")[:200]
        )
        for e in rng.sample(enrolments, min(per_caseworker, len(enrolments))):
            for name, title in rng.sample(_TITLES, rng.randint(1, 2)):
                content = tiny_png() if name.endswith(".png") else tiny_pdf(f"{title} - demo")
                doc = store(
                    upload_of(name, content),
                    person=e.person,
                    enrolment=e if rng.random() < 0.5 else None,
                    description=title,
                    user=a.user,
                )
                doc.uploaded_at = timezone.make_aware(
                    dt.datetime.combine(
                        today - dt.timedelta(days=rng.randint(0, 40)), dt.time(rng.randint(8, 16), rng.randint(0, 59))
                    )
                )
                doc.save(update_fields=["uploaded_at"])
                made += 1
    return made
