"""Enrolment.last_activity, stored: the latest of the start, the decision and the dates of
assessments, plans and measures, kept right by every write path (ORM saves and deletes, the
importer's bulk writes, the migration that filled it). The caseload's use of it is tested in
tests/web/test_workspace.py; the synthetic population's in tests/synth/test_synth.py."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest

from pestrack.records.casework.activity import refresh_last_activity
from pestrack.records.casework.models import Assessment, Enrolment, Participation, Plan
from pestrack.records.codes.models import Code
from pestrack.records.importing import engine
from pestrack.records.org.models import OrgUnit
from pestrack.records.people.identity import make_number
from pestrack.records.people.models import Person
from tests.records.test_import import (
    B1,
    B2,
    ENROLMENT_COLUMNS,
    EXAMPLES,
    PERSON_COLUMNS,
    PIN1,
    PIN2,
    enrolment,
    person,
    run,
)

pytestmark = pytest.mark.django_db
D = dt.date
JAN_10 = D(2024, 1, 10)
PARTICIPATION_COLUMNS = [
    "personal_identity_number",
    "programme",
    "enrolment_start_date",
    "measure",
    "start_date",
    "end_date",
]


def stale() -> list[tuple[int, dt.date | None, dt.date]]:
    """Enrolments whose stored last activity differs from the one computed now: (id, stored, computed)."""
    from pestrack.records.casework.activity import last_activity

    return [
        r
        for r in Enrolment.objects.annotate(computed=last_activity()).values_list("id", "last_activity", "computed")
        if r[1] != r[2]
    ]


def _code(list_name, code):
    return Code.objects.get(list=list_name, code=code)


def _enrolment(serial=101, start=JAN_10) -> Enrolment:
    p = Person(
        first_name="Test", last_name=f"Testsson{serial}", birth_date=D(1985, 3, 15), sex="woman", municipality="0180"
    )
    p.set_identity_number(make_number(p.birth_date, serial))
    p.save()
    return Enrolment.objects.create(
        person=p,
        programme=_code("programme", "jobbtorg"),
        org_unit=OrgUnit.objects.get(code="jt-jarva"),
        target_group=_code("target_group", "forsorjningsstod"),
        entry_route=_code("entry_route", "social_services"),
        start_date=start,
    )


def _last(e: Enrolment) -> dt.date:
    return Enrolment.objects.values_list("last_activity", flat=True).get(pk=e.pk)


def test_the_latest_of_start_decision_assessments_plans_and_measures_through_saves_and_deletes(profile):
    e = _enrolment()
    assert _last(e) == D(2024, 1, 10)
    e.decision_reference, e.decision_date = "SoL-1", D(2024, 1, 20)
    e.save()
    assert _last(e) == D(2024, 1, 20)
    Assessment.objects.create(enrolment=e, instrument=_code("instrument", "wai"), date=D(2024, 2, 1), score=5)
    assert _last(e) == D(2024, 2, 1)
    plan = Plan.objects.create(enrolment=e, date=D(2024, 3, 1), goals="Arbete")
    assert _last(e) == D(2024, 3, 1)
    ended = Participation.objects.create(
        enrolment=e, measure=_code("measure", "praktik"), start_date=D(2024, 2, 15), end_date=D(2024, 4, 1)
    )
    assert _last(e) == D(2024, 4, 1)
    # an open measure besides an ended one: the end still counts (the old per-page query lost it
    # on PostgreSQL, where a descending sort puts the open measure's NULL end first)
    current = Participation.objects.create(enrolment=e, measure=_code("measure", "ips"), start_date=D(2024, 3, 15))
    assert _last(e) == D(2024, 4, 1)
    ended.delete()
    assert _last(e) == D(2024, 3, 15)
    current.delete()
    assert _last(e) == D(2024, 3, 1)
    plan.delete()
    assert _last(e) == D(2024, 2, 1)
    assert stale() == []


def test_one_enrolment_is_refreshed_alone_and_only_when_its_date_changed(profile):
    """The one-enrolment statement (every ORM save) writes that enrolment only, and only when stale."""
    e, other = _enrolment(101), _enrolment(102)
    Enrolment.objects.update(last_activity=D(2000, 1, 1))  # as SQL outside pestrack would leave them
    assert refresh_last_activity([e.pk]) == 1
    assert (_last(e), _last(other)) == (JAN_10, D(2000, 1, 1))
    assert refresh_last_activity([e.pk, None, e.pk]) == 0  # already right: nothing written
    assert refresh_last_activity([other.pk, e.pk]) == 1  # the batch statement, for several
    assert stale() == []


def test_a_record_moved_to_another_enrolment_changes_both(profile):
    first, second = _enrolment(101), _enrolment(102, start=D(2024, 1, 5))
    Assessment.objects.create(enrolment=first, instrument=_code("instrument", "wai"), date=D(2024, 5, 1), score=5)
    a = Assessment.objects.get()  # as the admin's change form reads it
    a.enrolment = second
    a.save()
    assert (_last(first), _last(second)) == (D(2024, 1, 10), D(2024, 5, 1))
    assert stale() == []


def test_imports_refresh_the_enrolments_they_write_or_write_under(profile, tmp_path):
    """Enrolments (created, then updated with a decision), measures (created, then updated with an
    end): bulk writes outside the ORM, refreshed once per chunk."""
    run(tmp_path, "p.csv", PERSON_COLUMNS, [person(), person(PIN2, B2)])
    run(
        tmp_path,
        "e.csv",
        ENROLMENT_COLUMNS,
        [enrolment(start="2023-09-01"), enrolment(PIN2, start="2023-08-01", ref="SoL-8", ref_date="2023-08-20")],
        "enrolments",
    )
    e, other = Enrolment.objects.get(person__birth_date=B1), Enrolment.objects.get(person__birth_date=B2)
    assert (_last(e), _last(other)) == (D(2023, 9, 1), D(2023, 8, 20))
    r = run(
        tmp_path,
        "e2.csv",
        ENROLMENT_COLUMNS,
        [enrolment(start="2023-09-01", ref="SoL-9", ref_date="2023-09-12")],
        "enrolments",
    )
    assert r.updated == 1 and _last(e) == D(2023, 9, 12)
    r = run(
        tmp_path,
        "m.csv",
        PARTICIPATION_COLUMNS,
        [[PIN1, "jobbtorg", "2023-09-01", "praktik", "2023-10-02", ""]],
        "participations",
    )
    assert r.created == 1 and _last(e) == D(2023, 10, 2)
    r = run(
        tmp_path,
        "m2.csv",
        PARTICIPATION_COLUMNS,
        [[PIN1, "jobbtorg", "2023-09-01", "praktik", "2023-10-02", "2024-01-31"]],
        "participations",
    )
    assert r.updated == 1 and _last(e) == D(2024, 1, 31)
    assert stale() == []


def test_the_example_files_import_consistent(profile):
    for kind in ["persons", "enrolments", "participations", "exits", "followups"]:
        engine.run_import(EXAMPLES / f"{kind}.csv", kind)
    assert Participation.objects.exists() and stale() == []
    assert refresh_last_activity(Enrolment.objects.all()) == 0  # nothing left to write


def test_the_migration_fills_every_enrolment(profile):
    from django.apps import apps

    e = _enrolment()
    Plan.objects.create(enrolment=e, date=D(2024, 6, 3), goals="Studier")
    Enrolment.objects.update(last_activity=None)
    importlib.import_module("pestrack.records.casework.migrations.0003_last_activity").fill(apps, None)
    assert _last(e) == D(2024, 6, 3) and stale() == []
