"""The journal in a real browser, in both languages at desktop and phone width: write an entry on
the person page, sign it, correct the signed entry (the form names it and needs a reason); axe
finds no serious or critical violation on the journal's pages, the form with errors included."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import log_in, screenshot
from tests.web.browser.test_accessibility import _serious

pytestmark = [pytest.mark.slow, pytest.mark.browser]

T = {
    "sv": {
        "write": "Skriv en journalanteckning",
        "kind": "Typ",
        "text": "Text",
        "save": "Spara anteckningen",
        "saved": "Journalanteckningen är sparad. Den är inte signerad än.",
        "sign": "Signera",
        "signed": "Journalanteckningen är signerad.",
        "correct": "Rätta",
        "reason": "Varför rättas anteckningen?",
        "save_correction": "Spara rättelsen",
        "no_reason": "Ange varför anteckningen rättas.",
        "corrected": "Anteckningen är rättad.",
        "english": None,
        "kind_label": "Telefonsamtal",
    },
    "en": {
        "write": "Write a journal entry",
        "kind": "Kind",
        "text": "Text",
        "save": "Save the entry",
        "saved": "The journal entry is saved. It is not signed yet.",
        "sign": "Sign",
        "signed": "The journal entry is signed.",
        "correct": "Correct",
        "reason": "Why is the entry corrected?",
        "save_correction": "Save the correction",
        "no_reason": "Say why the entry is corrected.",
        "corrected": "This entry has been corrected.",
        "english": "English",
        "kind_label": "Phone call",
    },
}


def _axe(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    return _serious(Axe().run(page))


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_write_sign_and_correct_a_journal_entry(page, data, lang, width):
    from pestrack.records.journal.models import JournalEntry

    t = T[lang]
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "anna")
    if t["english"]:
        page.get_by_role("button", name=t["english"]).click()
    page.goto(f"/persons/{data['person']}/")
    found = {}
    page.get_by_text(t["write"]).click()
    page.get_by_label(t["kind"], exact=True).select_option(label=t["kind_label"])
    page.get_by_label(t["text"], exact=True).fill("Ringde om praktiken.\nHen börjar på måndag.")
    found["person-journal-form"] = _axe(page)
    page.get_by_role("button", name=t["save"]).click()
    expect(page.get_by_role("status")).to_have_text(t["saved"])
    entry = JournalEntry.objects.get(person_id=data["person"])
    article = page.locator(f"#journal-entry-{entry.pk}")
    expect(article).to_contain_text("Hen börjar på måndag.")
    found["person-journal"] = _axe(page)
    screenshot(page, f"journal-written-{lang}-{width}")

    article.get_by_role("button", name=t["sign"]).click()
    expect(page.get_by_role("status")).to_have_text(t["signed"])
    entry.refresh_from_db()
    assert entry.signed_at is not None

    page.locator(f"#journal-entry-{entry.pk}").get_by_role("link", name=t["correct"]).click()
    page.get_by_role("button", name=t["save_correction"]).click()  # no reason: refused, nothing saved
    expect(page.locator(".error-message")).to_contain_text(t["no_reason"])
    found["correct-errors"] = _axe(page)
    assert JournalEntry.objects.count() == 1
    page.get_by_label(t["reason"]).fill("Fel dag: samtalet var på tisdagen.")
    page.get_by_label(t["text"], exact=True).fill("Ringde om praktiken i tisdags.")
    page.get_by_role("button", name=t["save_correction"]).click()
    fix = JournalEntry.objects.get(corrects=entry)
    expect(page.locator("h1")).to_contain_text(str(fix.pk))
    found["journal-entry"] = _axe(page)
    page.goto(f"/persons/{data['person']}/journal/")
    expect(page.locator(f"#journal-entry-{entry.pk}")).to_contain_text(t["corrected"])
    expect(page.locator(f"#journal-entry-{fix.pk}")).to_contain_text("Fel dag: samtalet var på tisdagen.")
    found["journal-page"] = _axe(page)
    screenshot(page, f"journal-corrected-{lang}-{width}")
    assert not {k: v for k, v in found.items() if v}, found
