"""Documents in a real browser, in Swedish and English, at 1280 and 390 pixels wide: a refused file
shown beside its field, a PDF uploaded on the person page and downloaded, then withdrawn; axe on
each page on the way."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import log_in, screenshot
from tests.web.browser.test_accessibility import _serious

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TEXT = {
    "sv": {
        "upload": "Ladda upp",
        "file": "Fil",
        "saved": "Dokumentet CV Jarvasson.pdf är sparat.",
        "wrong": "Filen är inte ett PDF-, PNG-, JPEG- eller Word-dokument",
        "withdraw": "Makulera",
        "reason": "Skäl till makuleringen",
        "save": "Spara",
        "withdrawn": "Dokumentet är makulerat.",
        "heading": "Dokument",
    },
    "en": {
        "upload": "Upload",
        "file": "File",
        "saved": "The document CV Jarvasson.pdf is saved.",
        "wrong": "The file is not a PDF, PNG, JPEG or Word (DOCX) document",
        "withdraw": "Withdraw",
        "reason": "Reason for the withdrawal",
        "save": "Save",
        "withdrawn": "The document is withdrawn.",
        "heading": "Documents",
    },
}


def _axe(page, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    screenshot(page, name)
    problems = _serious(Axe().run(page))
    assert not problems, (name, problems)


@pytest.mark.parametrize("language, width", [("sv", 1280), ("sv", 390), ("en", 1280), ("en", 390)])
def test_upload_a_pdf_on_the_person_page_download_it_and_withdraw_it(page, data, language, width):
    from pestrack.records.audit.models import AccessLogEntry
    from pestrack.records.documents import files
    from pestrack.records.documents.demo import tiny_pdf
    from pestrack.records.documents.models import Document

    t = TEXT[language]
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "anna")
    if language == "en":
        page.get_by_role("button", name="English").click()
    page.goto(f"/persons/{data['person']}/")
    expect(page.get_by_role("heading", name=t["heading"], exact=True)).to_be_visible()
    tag = f"{language}-{width}"

    # an HTML file named .png: refused beside the field, nothing kept
    page.locator("#id_document_file").set_input_files(
        files=[{"name": "bild.png", "mimeType": "image/png", "buffer": b"<!doctype html><p>hello</p>"}]
    )
    page.get_by_role("button", name=t["upload"], exact=True).click()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator("#id_document_file-error")).to_contain_text(t["wrong"])
    expect(page.get_by_role("link", name=re.compile(f"^{t['file']}:"))).to_be_visible()
    _axe(page, f"document-upload-error-{tag}")
    assert not Document.objects.exists()

    # a PDF: saved, listed, downloaded as it was
    content = tiny_pdf("CV")
    page.goto(f"/persons/{data['person']}/")
    page.locator("#id_document_file").set_input_files(
        files=[{"name": "CV Jarvasson.pdf", "mimeType": "application/pdf", "buffer": content}]
    )
    page.get_by_label(re.compile("^(Beskrivning|Description)")).fill("CV 2026")
    page.get_by_role("button", name=t["upload"], exact=True).click()
    expect(page.get_by_role("status")).to_have_text(t["saved"])
    link = page.get_by_role("link", name="CV Jarvasson.pdf", exact=True)
    expect(link).to_be_visible()
    _axe(page, f"person-with-document-{tag}")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "CV Jarvasson.pdf"
    with open(download.value.path(), "rb") as f:
        assert f.read() == content
    doc = Document.objects.get()
    assert doc.content_type == files.PDF
    assert (
        AccessLogEntry.objects.filter(
            actor="anna", action="read", object_type="document", object_id=str(doc.pk), detail="download"
        ).count()
        == 1
    )

    # withdrawn with a reason: still listed, no longer offered
    page.get_by_role("link", name=f"{t['withdraw']} CV Jarvasson.pdf").click()
    _axe(page, f"document-withdraw-{tag}")
    page.get_by_label(t["reason"]).fill("Fel version")
    page.get_by_role("button", name=t["save"]).click()
    expect(page.get_by_role("status")).to_have_text(t["withdrawn"])
    expect(page.get_by_text("Fel version")).to_be_visible()
    expect(page.get_by_role("link", name="CV Jarvasson.pdf", exact=True)).to_have_count(0)
    _axe(page, f"person-document-withdrawn-{tag}")
