"""A coach's meeting and a week of attendance in a real browser, in both languages, on a desktop
(1280 px) and a phone (390 px): record the outcome of today's meeting in place on the person page
(htmx), then enter last week's attendance in the week grid; axe finds no serious or critical
violation on the pages on the way."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import log_in, screenshot
from tests.web.browser.test_accessibility import _serious

pytestmark = [pytest.mark.slow, pytest.mark.browser]

WORDS = {
    "sv": {
        "record": "Registrera utfallet",
        "attended": "Genomfört",
        "save_outcome": "Spara utfallet",
        "recorded": "Utfallet är registrerat.",
        "present": "Närvarande",
        "absent": "Frånvarande",
        "save_week": "Spara veckan",
        "saved": "Närvaron är sparad.",
        "attendance": "Närvaro i",
        "illness": "Sjukdom",
        "meetings": "Mina möten",
    },
    "en": {
        "record": "Record the outcome",
        "attended": "Attended",
        "save_outcome": "Save the outcome",
        "recorded": "The outcome is recorded.",
        "present": "Present",
        "absent": "Absent",
        "save_week": "Save the week",
        "saved": "The attendance is saved.",
        "attendance": "Attendance in",
        "illness": "Illness",
        "meetings": "My meetings",
    },
}


def _earlier_today() -> dt.datetime:
    """Half an hour ago, but never before local midnight: just after midnight in Stockholm (late
    evening UTC) half an hour ago is yesterday, and yesterday's meeting is not on today's list."""
    from django.utils import timezone

    now = timezone.localtime()
    return max(now - dt.timedelta(minutes=30), now.replace(hour=0, minute=0, second=0, microsecond=0))


@pytest.mark.parametrize("language,width", [("sv", 1280), ("sv", 390), ("en", 1280), ("en", 390)])
def test_hold_a_meeting_and_record_a_week_of_attendance(page, data, language, width):
    from axe_playwright_python.sync_playwright import Axe
    from django.contrib.auth.models import User
    from django.utils import timezone

    from pestrack.records.codes.models import Code
    from pestrack.records.meetings.models import Attendance, Meeting

    w = WORDS[language]
    axe = Axe()
    page.set_viewport_size({"width": width, "height": 900})
    meeting = Meeting.objects.create(
        person_id=data["person"],
        enrolment_id=data["enrolment"],
        place="Jobbtorg Järva, rum 3",
        kind=Code.objects.get(list="meeting_kind", code="followup"),
        organiser=User.objects.get(username="anna"),
        starts_at=_earlier_today(),
    )
    log_in(page, "anna")
    if language == "en":
        page.locator("button[lang=en]").click()
        page.wait_for_load_state()
    page.get_by_role("link", name=w["meetings"]).first.click()
    expect(page.locator(f"#meeting-{meeting.pk}")).to_be_visible()
    assert not _serious(axe.run(page))

    # hold the meeting: record its outcome in place on the person page
    page.goto(f"/persons/{data['person']}/")
    item = page.locator(f"#meeting-{meeting.pk}")
    item.get_by_role("link", name=w["record"]).click()
    item.get_by_label(w["attended"]).check()
    assert not _serious(axe.run(page))
    item.get_by_role("button", name=w["save_outcome"]).click()
    expect(page.locator(f"#meeting-{meeting.pk}")).to_contain_text(w["recorded"])
    expect(page.locator(f"#meeting-{meeting.pk}")).to_contain_text(w["attended"])
    screenshot(page, f"meeting-outcome-{language}-{width}")
    meeting.refresh_from_db()
    assert meeting.outcome.code == "attended"

    # a week of attendance: last week, Monday to Friday, ill on Wednesday
    page.get_by_role("link", name=w["attendance"]).first.click()
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday() + 7)
    page.get_by_role("link", name={"sv": "Föregående vecka", "en": "Previous week"}[language]).click()
    for i in range(5):
        iso = (monday + dt.timedelta(days=i)).isoformat()
        page.check(f"#id_status_{iso}_{2 if i == 2 else 1}")
    page.select_option(f"#id_reason_{(monday + dt.timedelta(days=2)).isoformat()}", label=w["illness"])
    assert not _serious(axe.run(page))
    page.get_by_role("button", name=w["save_week"]).click()
    expect(page.get_by_role("status")).to_have_text(w["saved"])
    screenshot(page, f"attendance-week-{language}-{width}")
    assert not _serious(axe.run(page))
    days = Attendance.objects.filter(participation_id=data["measure"]).order_by("date")
    assert [(a.date, a.present) for a in days] == [(monday + dt.timedelta(days=i), i != 2) for i in range(5)]
