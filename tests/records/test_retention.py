"""Retention: anonymisation of person records past the profile's period, and the log purge."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count
from django.utils import timezone
from typer.testing import CliRunner

from pestrack.cli import app
from pestrack.records import retention
from pestrack.records.audit import log
from pestrack.records.audit.models import AccessLogEntry, AuditAnchor
from pestrack.records.casework.models import Assessment, Enrolment, FollowUp, Participation, Plan
from pestrack.records.codes.models import Code
from pestrack.records.org.models import OrgUnit
from pestrack.records.outreach.models import SurveyAnswer
from pestrack.records.people.identity import make_number
from pestrack.records.people.models import Person

TODAY = timezone.localdate()
_serial = iter(range(100, 999))


def code(list_name: str, value: str) -> Code:
    return Code.objects.get(list=list_name, code=value)


def make_person(*periods: tuple[dt.date, dt.date | None], sex: str = "woman", full: bool = True) -> Person:
    """A person with one Jobbtorg enrolment per (start, end) period; ``full`` adds every record kind."""
    birth = dt.date(1980, 7, 15)
    pin = make_number(birth, next(_serial))
    person = Person(
        first_name="Fatima",
        last_name="Hassan",
        birth_date=birth,
        sex=sex,
        municipality="0180",
        address="Exempelgatan 1, Stockholm",
        email="fatima.hassan@example.se",
        mobile_phone="070-123 45 67",
        protected_identity=True,
    )
    person.set_identity_number(pin)
    person.save()
    person.pin = pin  # for the test only
    unit = OrgUnit.objects.get(code="jt-jarva")
    for start, end in periods:
        e = Enrolment.objects.create(
            person=person,
            programme=code("programme", "jobbtorg"),
            org_unit=unit,
            referring_unit=unit,
            target_group=code("target_group", "forsorjningsstod"),
            entry_route=code("entry_route", "social_services"),
            start_date=start,
            end_date=end,
            exit_reason=code("exit_reason", "work") if end else None,
            decision_reference="SoL-2019-00042",
            decision_date=start,
        )
        if full:
            Assessment.objects.create(enrolment=e, instrument=code("instrument", "wai"), date=start, score=6)
            Plan.objects.create(
                enrolment=e,
                date=start,
                goals="Work as a cook",
                steps="Course, then praktik",
                participant_view="I chose the course myself",
                participant_involved=True,
            )
            Participation.objects.create(
                enrolment=e,
                measure=code("measure", "praktik"),
                start_date=start,
                end_date=end,
                provider_name="Restaurant AB",
            )
            if end:
                FollowUp.objects.create(
                    enrolment=e,
                    months=3,
                    reference_date=end + dt.timedelta(days=91),
                    working=True,
                    studying=False,
                    self_sufficient=True,
                    source="register",
                )
            SurveyAnswer.objects.create(
                survey="participant",
                question="satisfied",
                date=start,
                enrolment=e,
                org_unit=unit,
                value=4,
                text="My coach helped me a lot",
            )
    return person


def years_ago(n: float) -> dt.date:
    return TODAY - dt.timedelta(days=round(365.25 * n))


@pytest.fixture
def people(profile):
    """Past the 5-year limit: ``old``. Kept: recently ended, open, or an old and a recent enrolment."""
    return {
        "old": make_person((years_ago(8), years_ago(6))),
        "old_man": make_person((years_ago(7), years_ago(5.5)), sex="man"),
        "recent": make_person((years_ago(3), years_ago(1))),
        "open": make_person((years_ago(2), None)),
        "old_then_open": make_person((years_ago(9), years_ago(7)), (years_ago(1), None)),
        "old_then_recent": make_person((years_ago(9), years_ago(7)), (years_ago(2), years_ago(1))),
    }


def _snapshot() -> list[tuple]:
    return list(
        Person.objects.order_by("pk").values_list(
            "pk", "first_name", "last_name", "address", "pin_hash", "pin_encrypted", "birth_date", "anonymised_at"
        )
    )


def _stats() -> dict:
    """What the statistics use: enrolments, exits, follow-ups and participations by sex and birth year."""
    return {
        "enrolments_by_sex": list(
            Enrolment.objects.values("person__sex").annotate(n=Count("id")).order_by("person__sex")
        ),
        "exits_by_sex": list(
            Enrolment.objects.filter(end_date__isnull=False)
            .values("person__sex", "exit_reason__code")
            .annotate(n=Count("id"))
            .order_by("person__sex")
        ),
        "working_by_sex": list(
            FollowUp.objects.filter(working=True)
            .values("enrolment__person__sex")
            .annotate(n=Count("id"))
            .order_by("enrolment__person__sex")
        ),
        "participations": Participation.objects.count(),
        "birth_years": sorted(p.birth_date.year for p in Person.objects.all()),
    }


@pytest.mark.django_db
def test_selects_exactly_the_persons_past_the_limit(people):
    assert retention.persons_past_retention(TODAY) == sorted([people["old"].pk, people["old_man"].pk])


@pytest.mark.django_db
def test_dry_run_changes_nothing(people):
    before, log_before = _snapshot(), AccessLogEntry.objects.count()
    result = CliRunner().invoke(app, ["retention", "apply", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"would anonymise 2 person(s): {people['old'].pk}, {people['old_man'].pk}" in result.output
    assert _snapshot() == before
    assert AccessLogEntry.objects.count() == log_before


@pytest.mark.django_db
def test_apply_anonymises_and_keeps_statistics(people):
    stats = _stats()
    result = CliRunner().invoke(app, ["retention", "apply"])
    assert result.exit_code == 0, result.output
    assert "anonymised 2 person(s)" in result.output

    old = Person.objects.get(pk=people["old"].pk)
    assert (old.first_name, old.last_name, old.address, old.pin_encrypted, old.identity_number) == ("", "", "", "", "")
    assert (old.email, old.mobile_phone) == ("", "")
    assert old.anonymised_at is not None and not old.protected_identity
    assert old.birth_date == dt.date(1980, 1, 1)
    assert Person.find_by_identity_number(people["old"].pin) is None
    assert Person.objects.get(pk=people["old_man"].pk).pin_hash != old.pin_hash  # still unique
    assert not Plan.objects.filter(enrolment__person=old).exclude(goals="", steps="", participant_view="").exists()
    assert set(Enrolment.objects.filter(person=old).values_list("decision_reference", flat=True)) == {""}
    assert set(SurveyAnswer.objects.filter(enrolment__person=old).values_list("text", flat=True)) == {""}
    assert FollowUp.objects.filter(enrolment__person=old).count() == 1

    for kept in ("recent", "open", "old_then_open", "old_then_recent"):
        p = Person.objects.get(pk=people[kept].pk)
        assert p.anonymised_at is None and p.first_name == "Fatima" and p.identity_number == people[kept].pin
    assert _stats() == stats

    logged = AccessLogEntry.objects.filter(action="anonymise")
    assert sorted(logged.values_list("person_id", flat=True)) == sorted([people["old"].pk, people["old_man"].pk])
    assert log.verify().ok


@pytest.mark.django_db
def test_rerun_is_a_no_op(people):
    retention.apply(TODAY)
    before, log_before = _snapshot(), AccessLogEntry.objects.count()
    result = retention.apply(TODAY)
    assert result.person_ids == [] and result.log.removed == 0
    assert _snapshot() == before and AccessLogEntry.objects.count() == log_before


@pytest.mark.django_db
def test_today_option_moves_the_limit(people):
    result = CliRunner().invoke(app, ["retention", "apply", "--dry-run", "--today", str(years_ago(-4.5))])
    assert result.exit_code == 0, result.output
    assert "would anonymise 4 person(s)" in result.output  # "recent" and "old_then_recent" too, in 4.5 years


@pytest.mark.django_db
def test_log_purge_removes_old_prefix_and_chain_stays_valid(profile):
    now = timezone.now()
    for days in (3000, 2900, 2800):  # about 8 years old: past the 5-year log retention
        log.record("anna", "read", person_id=1, at=now - dt.timedelta(days=days))
    log.record("anna", "read", person_id=1, at=now - dt.timedelta(days=100))
    log.record("anna", "read", person_id=1, at=now - dt.timedelta(days=3000))  # old, but behind a young one
    old_ids = list(AccessLogEntry.objects.order_by("id").values_list("id", flat=True)[:3])

    dry = retention.apply(TODAY, dry_run=True)
    assert dry.log.removed == 3 and AccessLogEntry.objects.count() == 5

    result = retention.apply(TODAY)
    assert result.log.removed == 3
    assert not AccessLogEntry.objects.filter(id__in=old_ids).exists()
    assert AccessLogEntry.objects.count() == 3  # the young one, the old one behind it, and the purge entry
    anchor = AuditAnchor.objects.get()
    assert (anchor.last_removed_id, anchor.removed_count) == (old_ids[-1], 3)
    assert AccessLogEntry.objects.filter(action="purge").count() == 1

    checked = log.verify()
    assert checked.ok, checked.problems
    assert checked.started_after_purge and checked.checked == 3
    assert retention.apply(TODAY).log.removed == 0


@pytest.mark.django_db
def test_log_purge_never_removes_entries_younger_than_the_database_floor(profile):
    log.record("anna", "read", person_id=1, at=timezone.now() - dt.timedelta(days=400))
    far_future = TODAY + dt.timedelta(days=365 * 20)
    assert retention.apply(far_future).log.removed == 0


@pytest.mark.django_db
def test_apply_empties_the_reasons_and_previous_values_of_corrections(people):
    """A correction keeps the previous text (a plan's goals) and a free-text reason; a withdrawal its reason."""
    from pestrack.records.casework import corrections
    from pestrack.records.casework.models import Correction

    for key in ("old", "recent"):
        plan = Plan.objects.get(enrolment__person=people[key])
        before = corrections.snapshot(plan, "plan")
        plan.goals = "Work as a chef"
        plan.save()
        corrections.record_correction("plan", plan, before, "Fatima asked to change her goal", None)
        participation = Participation.objects.get(enrolment__person=people[key])
        corrections.withdraw("participation", participation.pk, "Fatima never started", None)
    CliRunner().invoke(app, ["retention", "apply"])
    old = Correction.objects.filter(enrolment__person=people["old"])
    assert old.count() == 2 and set(old.values_list("reason", flat=True)) == {""}
    assert all(c.previous == {} and c.new == {} for c in old)
    assert Participation.objects.get(enrolment__person=people["old"]).withdrawal_reason == ""
    assert Participation.objects.get(enrolment__person=people["old"]).is_withdrawn  # still left out of figures
    kept = Correction.objects.filter(enrolment__person=people["recent"], kind="correction").get()
    assert kept.previous == {"goals": "Work as a cook"} and kept.reason == "Fatima asked to change her goal"
