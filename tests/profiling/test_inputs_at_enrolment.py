"""The inputs known at enrolment that profiling declares (docs/profiling.md): time since last work,
recorded by the caseworker at enrolment; time in Sweden, from the person's birth country and arrival
year; the WAI band of the first assessment within 30 days of the start. Each as the extract writes it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.web.conftest import login, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def _row(enrolment):
    from pestrack.analytics.extract import Extractor

    return Extractor().enrolment_row(enrolment.pk)


def test_the_extract_bands_the_inputs_known_at_enrolment(world):
    from pestrack.records.casework.models import Assessment
    from pestrack.records.codes.models import Code

    person = world.jarva
    e = person.enrolments.get()
    start = e.start_date
    person.born_abroad, person.arrival_year = True, start.year - 3
    person.save()
    e.last_worked = dt.date(start.year - 1, start.month, 1)  # 12 months before the start's month
    e.save()
    wai = Code.objects.get(list="instrument", code="wai")
    Assessment.objects.create(enrolment=e, instrument=wai, date=start + dt.timedelta(days=31), score=9)
    row = _row(e)
    assert (row["time_since_last_work"], row["time_in_sweden"], row["wai_band_at_start"]) == ("12-23", "2-4", None)
    first = Assessment.objects.create(enrolment=e, instrument=wai, date=start + dt.timedelta(days=10), score=3)
    Assessment.objects.create(enrolment=e, instrument=wai, date=start + dt.timedelta(days=20), score=6)
    assert _row(e)["wai_band_at_start"] == "0–4"  # the first within 30 days; the one after them does not count
    first.withdrawn_at = timezone.now()  # a withdrawn assessment counts nowhere
    first.save()
    assert _row(e)["wai_band_at_start"] == "5–7"
    e.last_worked, e.never_worked = None, True
    e.save()
    person.born_abroad = False
    person.save()
    row = _row(e)
    assert (row["time_since_last_work"], row["time_in_sweden"]) == ("never", "10-")  # born here: the age
    e.never_worked = False
    e.save()
    person.born_abroad, person.arrival_year = True, None
    person.save()
    row = _row(e)
    assert (row["time_since_last_work"], row["time_in_sweden"]) == (None, None)  # not recorded


def test_the_caseworker_records_the_work_history_at_enrolment(world, login):
    from pestrack.records.codes.models import Code
    from pestrack.records.org.models import OrgUnit

    today = dt.date.today()
    e = world.jarva.enrolments.get()
    e.end_date, e.exit_reason = today, Code.objects.get(list="exit_reason", code="work")
    e.save()
    form = {
        "programme": Code.objects.get(list="programme", code="jobbtorg").pk,
        "org_unit": OrgUnit.objects.get(code="jt-jarva").pk,
        "target_group": Code.objects.get(list="target_group", code="forsorjningsstod").pk,
        "entry_route": Code.objects.get(list="entry_route", code="social_services").pk,
        "start_date": today,
    }
    client = login("anna")
    page = client.get(f"/persons/{world.jarva.pk}/enrol/").content.decode()
    assert "Last in work" in page and "Has never worked" in page
    both = client.post(f"/persons/{world.jarva.pk}/enrol/", {**form, "last_worked": "2020-03-01", "never_worked": "on"})
    assert (
        both.status_code == 422
        and "either when the person last worked or that they never have" in both.content.decode()
    )
    after = client.post(f"/persons/{world.jarva.pk}/enrol/", {**form, "last_worked": today + dt.timedelta(days=1)})
    assert after.status_code == 422 and "last worked is after the start date" in after.content.decode()
    assert client.post(f"/persons/{world.jarva.pk}/enrol/", {**form, "last_worked": "2020-03-01"}).status_code == 302
    new = world.jarva.enrolments.get(end_date__isnull=True)
    assert new.last_worked == dt.date(2020, 3, 1) and not new.never_worked
    sv = client.get(f"/persons/{world.jarva.pk}/enrol/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Senast i arbete" in sv and "Har aldrig arbetat" in sv
