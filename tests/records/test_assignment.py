"""The responsible caseworker: who may reassign, to whom, the reason, the history and the log."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from tests.web.conftest import PASSWORD, log_entries, make_person


@pytest.fixture
def staff(profile):
    from types import SimpleNamespace

    from django.contrib.auth.models import User

    from pestrack.records.org.users import add_user
    from pestrack.records.sample import create_demo_users

    create_demo_users()
    add_user("bo", "caseworker", ["jt-jarva"], password=PASSWORD)
    add_user("dina", "caseworker", ["sdf-rk"], password=PASSWORD)
    add_user("mats", "unit_manager", ["jt-soderort"], password=PASSWORD)
    users = {u.username: u for u in User.objects.all()}
    person = make_person("Jarva", "Jarvasson", "jt-jarva", referring="sdf-rk", serial=101)
    enrolment = person.enrolments.get()
    enrolment.caseworker = users["anna"]
    enrolment.save()
    return SimpleNamespace(enrolment=enrolment, **users)


def _reassign(by, enrolment, to, reason="New division of the caseload", role="responsible"):
    from pestrack.records.casework import assignment

    return assignment.reassign(by, [enrolment.pk], role, to, reason, source="test")


@pytest.mark.django_db
def test_a_caseworker_hands_an_enrolment_of_their_unit_to_a_colleague(staff):
    changes = _reassign(staff.anna, staff.enrolment, staff.bo)
    staff.enrolment.refresh_from_db()
    assert staff.enrolment.caseworker == staff.bo
    assert len(changes) == 1


@pytest.mark.django_db
def test_a_unit_manager_of_the_unit_reassigns(staff):
    _reassign(staff.maria, staff.enrolment, staff.bo)  # maria manages jobbtorg, above jt-jarva
    staff.enrolment.refresh_from_db()
    assert staff.enrolment.caseworker == staff.bo


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["erik", "mats", "dina", "ali", "sara", "admin"])
def test_anyone_else_is_refused_and_the_refusal_is_logged(staff, who):
    """Another unit's caseworker or manager, the referring district's caseworker, roles without casework."""
    with pytest.raises(PermissionDenied):
        _reassign(getattr(staff, who), staff.enrolment, staff.bo)
    staff.enrolment.refresh_from_db()
    assert staff.enrolment.caseworker == staff.anna
    assert log_entries(actor=who, action="denied", person_id=staff.enrolment.person_id).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("to", ["erik", "dina", "maria"])
def test_the_new_caseworker_must_be_a_caseworker_at_the_enrolments_unit(staff, to):
    from pestrack.records.casework.assignment import ReassignmentRefused

    with pytest.raises(ReassignmentRefused) as refused:
        _reassign(staff.anna, staff.enrolment, getattr(staff, to))
    assert [v.field for v in refused.value.violations] == ["to_user"]
    assert "is not a caseworker at Jobbtorg Järva" in str(refused.value)
    staff.enrolment.refresh_from_db()
    assert staff.enrolment.caseworker == staff.anna


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required(staff, reason):
    from pestrack.records.casework.assignment import ReassignmentRefused
    from pestrack.records.casework.models import CaseworkerChange

    with pytest.raises(ReassignmentRefused) as refused:
        _reassign(staff.anna, staff.enrolment, staff.bo, reason=reason)
    assert [v.field for v in refused.value.violations] == ["reason"]
    assert not CaseworkerChange.objects.exists()


@pytest.mark.django_db
def test_an_ended_enrolment_keeps_its_caseworker(staff):
    import datetime as dt

    from pestrack.records.casework.assignment import ReassignmentRefused
    from pestrack.records.codes.models import Code

    staff.enrolment.end_date = dt.date.today()
    staff.enrolment.exit_reason = Code.objects.get(list="exit_reason", code="work")
    staff.enrolment.save()
    with pytest.raises(ReassignmentRefused, match="has ended"):
        _reassign(staff.anna, staff.enrolment, staff.bo)


@pytest.mark.django_db
def test_each_change_is_kept_with_from_to_who_when_and_why(staff):
    from pestrack.records.casework.models import CaseworkerChange

    _reassign(staff.anna, staff.enrolment, staff.bo, reason="Anna on leave")
    _reassign(staff.maria, staff.enrolment, staff.anna, reason="Back from leave")
    history = list(CaseworkerChange.objects.filter(enrolment=staff.enrolment).order_by("id"))
    assert [(c.from_user.username, c.to_user.username, c.changed_by.username, c.reason) for c in history] == [
        ("anna", "bo", "anna", "Anna on leave"),
        ("bo", "anna", "maria", "Back from leave"),
    ]
    assert all(c.changed_at is not None and c.role == "responsible" for c in history)


@pytest.mark.django_db
def test_each_change_is_written_to_the_access_log(staff):
    _reassign(staff.anna, staff.enrolment, staff.bo)
    entry = log_entries(actor="anna", action="update", object_type="responsible caseworker").get()
    assert entry.person_id == staff.enrolment.person_id and entry.object_id == str(staff.enrolment.pk)
    assert entry.detail == "anna -> bo"


@pytest.mark.django_db
def test_a_second_caseworker_is_added_and_removed_but_is_never_the_responsible_one(staff):
    from pestrack.records.casework.assignment import ReassignmentRefused

    _reassign(staff.anna, staff.enrolment, staff.bo, role="second")
    staff.enrolment.refresh_from_db()
    assert staff.enrolment.second_caseworker == staff.bo
    with pytest.raises(ReassignmentRefused, match="second caseworker"):
        _reassign(staff.anna, staff.enrolment, staff.bo)  # bo as responsible while second
    _reassign(staff.anna, staff.enrolment, None, role="second", reason="No longer needed")
    staff.enrolment.refresh_from_db()
    assert staff.enrolment.second_caseworker is None
    with pytest.raises(ReassignmentRefused, match="already the responsible"):
        _reassign(staff.anna, staff.enrolment, staff.anna, role="second")


@pytest.mark.django_db
def test_the_responsible_caseworker_cannot_be_removed(staff):
    from pestrack.records.casework.assignment import ReassignmentRefused

    with pytest.raises(ReassignmentRefused, match="must have a responsible caseworker"):
        _reassign(staff.anna, staff.enrolment, None)


@pytest.mark.django_db
def test_a_bulk_reassignment_moves_all_or_none(staff):
    from pestrack.records.casework import assignment
    from pestrack.records.casework.models import CaseworkerChange

    other = make_person("Soder", "Ortsson", "jt-soderort", serial=102).enrolments.get()
    second = make_person("Andra", "Jarvasson", "jt-jarva", serial=103).enrolments.get()
    with pytest.raises(PermissionDenied):  # anna may not touch Söderort's enrolment: nothing moves
        assignment.reassign(staff.anna, [staff.enrolment.pk, other.pk], "responsible", staff.bo, "Rebalance")
    assert not CaseworkerChange.objects.exists()
    changes = assignment.reassign(staff.maria, [staff.enrolment.pk, second.pk], "responsible", staff.bo, "Rebalance")
    assert len(changes) == 2
    assert set(assignment.responsible_for(staff.bo, second.__class__.objects.all()).values_list("pk", flat=True)) == {
        staff.enrolment.pk,
        second.pk,
    }
    assert log_entries(actor="maria", action="update", object_type="responsible caseworker").count() == 2


@pytest.mark.django_db
def test_enrolment_caseworkers_must_work_at_the_unit(staff):
    from pestrack.records.casework.assignment import check_at_enrolment
    from pestrack.records.org.models import OrgUnit

    jarva = OrgUnit.objects.get(code="jt-jarva")
    assert check_at_enrolment(jarva, staff.anna, staff.bo) == []
    assert check_at_enrolment(jarva, None, None) == []  # a referral waiting for the manager to assign
    assert [v.field for v in check_at_enrolment(jarva, staff.erik, None)] == ["caseworker"]
    assert [v.field for v in check_at_enrolment(jarva, staff.anna, staff.anna)] == ["second_caseworker"]


@pytest.mark.django_db
def test_the_demo_gives_each_offices_caseworkers_their_own_caseload_deterministically(staff):
    from pestrack.records.casework.demo import assign_caseworkers
    from pestrack.records.casework.models import Enrolment

    for i in range(40):
        make_person(f"Demo{i}", "Jarvasson", "jt-jarva", serial=300 + i)
    make_person("Soder", "Ortsson", "jt-soderort", serial=400)
    assigned = assign_caseworkers(seed=1, per_unit=3)
    open_jarva = Enrolment.objects.filter(org_unit__code="jt-jarva", end_date__isnull=True)
    by = {u: open_jarva.filter(caseworker__username=u).count() for u in ("anna", "bo", "lena-jt-jarva")}
    assert assigned == 41 and sum(by.values()) == 41 and all(n > 0 for n in by.values())
    assert Enrolment.objects.get(person__last_name="Ortsson").caseworker.username in {
        "erik",
        "lena-jt-soderort",
        "omar-jt-soderort",
    }
    first = dict(open_jarva.values_list("pk", "caseworker_id"))
    Enrolment.objects.exclude(pk=staff.enrolment.pk).update(caseworker=None)
    assign_caseworkers(seed=1, per_unit=3)
    assert dict(open_jarva.values_list("pk", "caseworker_id")) == first  # the same seed, the same caseloads
    assert assign_caseworkers(seed=1, per_unit=3) == 0  # idempotent
