"""Each business rule of casework.rules, with the codes of the Stockholm profile."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from pestrack.records.casework import rules
from pestrack.records.codes.models import Code

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 23)


def code(list_name, c):
    return Code.objects.get(list=list_name, code=c)


def enrolment_violations(
    *,
    birth=dt.date(1990, 1, 1),
    municipality="0180",
    group="forsorjningsstod",
    route="social_services",
    start=dt.date(2026, 3, 1),
    end=None,
    exit_reason=None,
    decision_reference="",
    decision_date=None,
):
    return rules.check_enrolment(
        birth_date=birth,
        municipality=municipality,
        home_municipality="0180",
        target_group=code("target_group", group),
        entry_route=code("entry_route", route),
        start_date=start,
        end_date=end,
        exit_reason=code("exit_reason", exit_reason) if exit_reason else None,
        decision_reference=decision_reference,
        decision_date=decision_date,
        today=TODAY,
    )


def fields(violations):
    return {v.field for v in violations}


def test_a_valid_enrolment_has_no_violations(profile):
    assert enrolment_violations() == []


def test_kaa_requires_age_under_20_on_the_start_date(profile):
    start = dt.date(2026, 3, 1)
    just_19 = dt.date(2006, 3, 2)  # turns 20 the day after the start
    just_20 = dt.date(2006, 3, 1)  # turns 20 on the start date
    assert enrolment_violations(birth=just_19, group="kaa", route="kaa", start=start) == []
    v = enrolment_violations(birth=just_20, group="kaa", route="kaa", start=start)
    assert fields(v) == {"target_group"} and "19 or under" in v[0].message


def test_kaa_requires_registration_in_the_municipality(profile):
    v = enrolment_violations(birth=dt.date(2008, 5, 5), municipality="0184", group="kaa", route="kaa")
    assert fields(v) == {"target_group"} and "0180" in v[0].message and "0184" in v[0].message


@pytest.mark.parametrize("age, ok", [(19, False), (20, True), (29, True), (30, False)])
def test_uvas_20_29_by_age(profile, age, ok):
    start = dt.date(2026, 3, 1)
    birth = dt.date(start.year - age, 1, 15)
    v = enrolment_violations(birth=birth, group="uvas_20_29", route="entry_20_29", start=start)
    assert (v == []) is ok


def test_outreach_level_2_requires_a_social_services_act_decision(profile):
    v = enrolment_violations(route="outreach_level_2")
    assert fields(v) == {"decision_reference"}
    assert (
        enrolment_violations(
            route="outreach_level_2", decision_reference="SoL 2026-123", decision_date=dt.date(2026, 2, 20)
        )
        == []
    )


def test_other_target_groups_require_a_decision(profile):
    assert fields(enrolment_violations(group="ovriga", route="district_other")) == {"decision_reference"}
    assert (
        enrolment_violations(
            group="ovriga_lss", route="district_other", decision_reference="SoL 1", decision_date=dt.date(2026, 2, 1)
        )
        == []
    )
    # a reference without a date is not a decision
    assert fields(enrolment_violations(group="ovriga", route="district_other", decision_reference="SoL 1")) == {
        "decision_reference"
    }


def test_dates_in_order_and_not_in_the_future(profile):
    assert fields(enrolment_violations(start=dt.date(2026, 12, 1))) == {"start_date"}
    assert "end_date" in fields(
        enrolment_violations(start=dt.date(2026, 3, 1), end=dt.date(2026, 2, 1), exit_reason="work")
    )
    assert "end_date" in fields(enrolment_violations(end=dt.date(2027, 1, 1), exit_reason="work"))
    assert "start_date" in fields(enrolment_violations(birth=dt.date(2020, 1, 1), start=dt.date(2019, 1, 1)))
    assert "decision_date" in fields(
        enrolment_violations(route="outreach_level_2", decision_reference="x", decision_date=dt.date(2027, 1, 1))
    )


def test_an_ended_enrolment_needs_an_exit_reason(profile):
    v = enrolment_violations(end=dt.date(2026, 6, 1))
    assert fields(v) == {"exit_reason"}
    assert enrolment_violations(end=dt.date(2026, 6, 1), exit_reason="studies") == []
    assert fields(enrolment_violations(exit_reason="work")) == {"end_date"}  # a reason without an end date


def _participation(profile_programme, measure, birth=dt.date(1990, 1, 1), start=dt.date(2026, 4, 1)):
    return rules.check_participation(
        measure=code("measure", measure),
        programme=code("programme", profile_programme),
        birth_date=birth,
        enrolment_start=dt.date(2026, 3, 1),
        enrolment_end=None,
        start_date=start,
        end_date=None,
        today=TODAY,
    )


def test_stockholmsjobb_only_for_persons_enrolled_at_jobbtorg(profile):
    assert _participation("jobbtorg", "stockholmsjobb") == []
    v = _participation("outreach", "stockholmsjobb")
    assert fields(v) == {"measure"} and "jobbtorg" in v[0].message


def test_feriejobb_ages_16_to_19(profile):
    assert _participation("feriejobb", "feriejobb", birth=dt.date(2009, 1, 1)) == []
    assert fields(_participation("feriejobb", "feriejobb", birth=dt.date(2011, 1, 1))) == {"measure"}
    assert fields(_participation("feriejobb", "feriejobb", birth=dt.date(2005, 1, 1))) == {"measure"}


def test_a_measure_lies_within_its_enrolment(profile):
    assert fields(_participation("jobbtorg", "praktik", start=dt.date(2026, 2, 1))) == {"start_date"}
    v = rules.check_participation(
        measure=code("measure", "praktik"),
        programme=code("programme", "jobbtorg"),
        birth_date=dt.date(1990, 1, 1),
        enrolment_start=dt.date(2026, 3, 1),
        enrolment_end=dt.date(2026, 5, 1),
        start_date=dt.date(2026, 6, 1),
        end_date=None,
        today=TODAY,
    )
    assert fields(v) == {"start_date"}


def test_work_ability_index_bands_and_range(profile):
    wai = code("instrument", "wai")
    assert [rules.band_for(wai, s) for s in (0, 4, 5, 7, 8, 10)] == ["0–4", "0–4", "5–7", "5–7", "8–10", "8–10"]
    assert rules.check_assessment(instrument=wai, score=11, date=dt.date(2026, 1, 1), today=TODAY)[0].field == "score"
    assert rules.check_assessment(instrument=wai, score=6, date=dt.date(2026, 1, 1), today=TODAY) == []


def test_followup_needs_an_ended_enrolment_and_a_date_after_exit(profile):
    assert fields(
        rules.check_followup(months=6, enrolment_end=None, reference_date=dt.date(2026, 1, 1), today=TODAY)
    ) == {"enrolment"}
    assert fields(
        rules.check_followup(
            months=6, enrolment_end=dt.date(2026, 5, 1), reference_date=dt.date(2026, 4, 1), today=TODAY
        )
    ) == {"reference_date"}
    assert (
        rules.check_followup(
            months=3, enrolment_end=dt.date(2026, 5, 1), reference_date=dt.date(2026, 8, 1), today=TODAY
        )
        == []
    )


def _person_with_open_enrolment():
    from pestrack.records.casework.models import Enrolment
    from pestrack.records.org.models import OrgUnit
    from pestrack.records.people.models import Person

    p = Person(first_name="A", last_name="B", birth_date=dt.date(1990, 1, 1), sex="woman", municipality="0180")
    p.set_identity_number("19900101-0017")
    p.save()
    e = Enrolment.objects.create(
        person=p,
        programme=code("programme", "jobbtorg"),
        org_unit=OrgUnit.objects.get(code="jt-jarva"),
        target_group=code("target_group", "forsorjningsstod"),
        entry_route=code("entry_route", "social_services"),
        start_date=dt.date(2026, 1, 1),
    )
    return p, e


def test_no_two_open_enrolments_in_the_same_programme(profile):
    from pestrack.records.casework.models import Enrolment

    p, e = _person_with_open_enrolment()
    jobbtorg = code("programme", "jobbtorg")
    v = rules.check_open_enrolment_unique(p.pk, jobbtorg, dt.date(2026, 2, 1), None)
    assert fields(v) == {"programme"}
    assert rules.check_open_enrolment_unique(p.pk, jobbtorg, dt.date(2026, 2, 1), None, exclude_pk=e.pk) == []
    assert rules.check_open_enrolment_unique(p.pk, code("programme", "outreach"), dt.date(2026, 2, 1), None) == []
    # and the database refuses it too, whatever route the row takes
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.create(
            person=p,
            programme=jobbtorg,
            org_unit=e.org_unit,
            target_group=e.target_group,
            entry_route=e.entry_route,
            start_date=dt.date(2026, 2, 1),
        )


def test_rule_messages_are_in_the_users_language(profile):
    from django.utils import translation

    with translation.override("sv"):
        sv = enrolment_violations(end=dt.date(2026, 6, 1))[0].message
    with translation.override("en"):
        en = enrolment_violations(end=dt.date(2026, 6, 1))[0].message
    assert sv == "En avslutad inskrivning måste ha en avslutsorsak."
    assert en == "An ended enrolment needs an exit reason."
