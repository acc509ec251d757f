"""The casework items of the work list (records.casework.due): each rule's due and not-due cases,
and that resolving an item removes it."""

from __future__ import annotations

import datetime as dt

import pytest

from pestrack.records import worklist
from pestrack.records.casework.models import Enrolment, FollowUp, Participation, Plan
from pestrack.records.codes.models import Code, ProfileSetting
from pestrack.records.codes.profile import forget_worklist_settings, worklist_setting
from tests.web.conftest import make_person

TODAY = dt.date.today()
pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(profile):
    from pestrack.records.sample import create_demo_users

    create_demo_users()
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="anna")


def _enrolment(name: str, serial: int, caseworker, **fields) -> Enrolment:
    person = make_person(name, "Testsson", "jt-jarva", serial=serial)
    e = person.enrolments.get()
    for k, v in {"caseworker": caseworker, **fields}.items():
        setattr(e, k, v)
    e.save()
    return e


def _items(user, kind):
    mine = Enrolment.objects.filter(caseworker=user)
    return [
        (r["enrolment_id"], r["object_id"], r["due_date"]) + ((r["months"],) if "months" in r else ())
        for r in worklist.items(mine, TODAY, kinds=[kind])
    ]


def _ended(name, serial, user, exit_date):
    return _enrolment(
        name,
        serial,
        user,
        start_date=exit_date - dt.timedelta(days=200),
        end_date=exit_date,
        exit_reason=Code.objects.get(list="exit_reason", code="work"),
    )


def test_followup_due_at_each_profile_month_after_exit_until_recorded(anna):
    exit_date = TODAY - dt.timedelta(days=100)  # 3 months have passed, 6 have not
    e = _ended("Ut", 301, anna, exit_date)
    rows = _items(anna, "followup_due")
    assert [(r[0], r[3]) for r in rows] == [(e.pk, 3)]
    assert rows[0][2] in (exit_date + dt.timedelta(days=d) for d in range(89, 93))  # exit + 3 months
    FollowUp.objects.create(enrolment=e, months=3, reference_date=TODAY, source="survey")
    assert _items(anna, "followup_due") == []


def test_followup_not_due_for_open_enrolments_or_before_its_month(anna):
    _enrolment("Open", 302, anna)
    _ended("Nyss", 303, anna, TODAY - dt.timedelta(days=80))  # under 3 months ago
    assert _items(anna, "followup_due") == []


@pytest.fixture
def setting():
    def _set(key, value):
        row = ProfileSetting.objects.get(key="worklist")
        row.value = {**row.value, key: value}
        row.save()

    yield _set
    forget_worklist_settings()


def test_followup_lapses_the_profiles_window_after_its_date(anna, setting):
    e = _ended("Sen", 304, anna, TODAY - dt.timedelta(days=200))  # the 3-month one was due ~108 days ago
    assert [r[3] for r in _items(anna, "followup_due")] == [6]
    FollowUp.objects.create(enrolment=e, months=6, reference_date=TODAY, source="register")
    assert _items(anna, "followup_due") == []
    setting("followup_window_days", 120)
    assert [r[3] for r in _items(anna, "followup_due")] == [3]
    setting("followup_window_days", None)  # never lapses
    assert [r[3] for r in _items(anna, "followup_due")] == [3]


def test_followup_months_come_from_the_profile(anna, setting):
    _ended("Lang", 305, anna, TODAY - dt.timedelta(days=800))
    assert _items(anna, "followup_due") == []  # all lapsed
    setting("followup_window_days", None)
    assert [r[3] for r in _items(anna, "followup_due")] == [3, 6, 12]
    setting("followup_months", [3, 6, 12, 24, 36])
    assert [r[3] for r in _items(anna, "followup_due")] == [3, 6, 12, 24]


def test_plan_review_due_when_the_latest_plans_date_has_come(anna):
    e = _enrolment("Plan", 315, anna)
    p = Plan.objects.create(
        enrolment=e, date=TODAY - dt.timedelta(days=90), goals="Jobb", review_date=TODAY - dt.timedelta(days=1)
    )
    Plan.objects.create(
        enrolment=_enrolment("Later", 306, anna),
        date=TODAY - dt.timedelta(days=10),
        goals="x",
        review_date=TODAY + dt.timedelta(days=5),
    )  # not yet
    Plan.objects.create(enrolment=_enrolment("Nodate", 307, anna), date=TODAY - dt.timedelta(days=10), goals="x")
    assert _items(anna, "plan_review_due") == [(e.pk, p.pk, TODAY - dt.timedelta(days=1))]
    Plan.objects.create(enrolment=e, date=TODAY, goals="Ny plan", review_date=TODAY + dt.timedelta(days=90))
    assert _items(anna, "plan_review_due") == []


def test_inactive_after_the_profiles_days_until_any_activity(anna):
    e = _enrolment("Tyst", 308, anna, start_date=TODAY - dt.timedelta(days=40))
    _enrolment("Aktiv", 309, anna, start_date=TODAY - dt.timedelta(days=29))
    assert _items(anna, "inactive") == [(e.pk, e.pk, TODAY - dt.timedelta(days=10))]
    Plan.objects.create(enrolment=e, date=TODAY, goals="Ny plan")
    assert _items(anna, "inactive") == []


def test_measure_overdue_from_its_planned_end_until_ended(anna):
    e = _enrolment("Insats", 310, anna)
    measure = Code.objects.get(list="measure", code="praktik")
    start = e.start_date + dt.timedelta(days=1)
    p = Participation.objects.create(enrolment=e, measure=measure, start_date=start, planned_end_date=TODAY)
    Participation.objects.create(
        enrolment=e,
        measure=Code.objects.get(list="measure", code="matching"),
        start_date=start,
        planned_end_date=TODAY + dt.timedelta(days=1),
    )
    assert _items(anna, "measure_overdue") == [(e.pk, p.pk, TODAY)]
    p.planned_end_date = TODAY + dt.timedelta(days=30)  # moving the planned end resolves it too
    p.save()
    assert _items(anna, "measure_overdue") == []
    p.planned_end_date = TODAY - dt.timedelta(days=3)
    p.save()
    assert _items(anna, "measure_overdue") == [(e.pk, p.pk, TODAY - dt.timedelta(days=3))]
    p.end_date = TODAY
    p.save()
    assert _items(anna, "measure_overdue") == []


def test_counts_next_due_and_counts_by_agree_with_the_items(anna):
    e = _ended("Ut", 311, anna, TODAY - dt.timedelta(days=100))
    other = _enrolment("Tyst", 312, None, start_date=TODAY - dt.timedelta(days=40))
    everyone = Enrolment.objects.all()
    all_items = worklist.items(everyone, TODAY)
    counts = worklist.counts(everyone, TODAY)
    assert counts["followup_due"] == 1 and counts["inactive"] == 1
    assert sum(counts.values()) == len(all_items)
    first = worklist.next_due(everyone, TODAY)
    assert first[e.pk] == min(r["due_date"] for r in all_items if r["enrolment_id"] == e.pk)
    assert first[other.pk] == TODAY - dt.timedelta(days=10)
    by = worklist.counts_by(everyone, TODAY, "caseworker_id")
    assert by[anna.pk]["followup_due"] == 1 and by[None] == {"inactive": 1}
    by_unit = worklist.counts_by(everyone, TODAY, "org_unit_id")
    assert sum(sum(v.values()) for v in by_unit.values()) == len(all_items)
    assert worklist.items(everyone, TODAY, kinds=["followup_due"], limit=1)[0]["months"] == 3


def test_items_of_a_caseworkers_enrolments_only(anna):
    _ended("Annas", 313, anna, TODAY - dt.timedelta(days=100))
    _ended("Nobodys", 314, None, TODAY - dt.timedelta(days=100))
    assert len(_items(anna, "followup_due")) == 1


def test_demo_data_gives_the_demo_caseworkers_items_due_now(anna):
    from pestrack.records.casework.demo import add_demo_data

    assert add_demo_data(TODAY) == 16
    mine = Enrolment.objects.filter(caseworker=anna)
    counts = worklist.counts(mine, TODAY)
    assert counts["followup_due"] >= 3 and counts["plan_review_due"] == 2
    assert counts["measure_overdue"] == 2 and counts["inactive"] == 1
    due_today = [r for r in worklist.items(mine, TODAY) if r["due_date"] == TODAY]
    assert {r["kind"] for r in due_today} >= {"plan_review_due", "measure_overdue"}
    assert all(r["due_date"] <= TODAY for r in worklist.items(mine, TODAY))
    assert add_demo_data(TODAY) == 0  # run again: nothing added


@pytest.mark.parametrize(
    "section, message",
    [
        ("worklist:\n  followup_months: [3, 0]\n", "worklist.followup_months must be a list of whole numbers"),
        ("worklist:\n  followup_months: 6\n", "worklist.followup_months must be a list"),
        ("worklist:\n  inactive_days: -1\n", "worklist.inactive_days must be a positive whole number"),
        ("worklist:\n  followup_window_days: 0\n", "worklist.followup_window_days must be a positive whole number"),
    ],
)
def test_bad_worklist_settings_are_refused_naming_the_file_and_line(tmp_path, section, message):
    import shutil

    from pestrack.records.codes.profile import ProfileError, read_profile

    folder = tmp_path / "p"
    shutil.copytree("profiles/stockholm", folder)
    text = (folder / "profile.yaml").read_text(encoding="utf-8")
    (folder / "profile.yaml").write_text(text.split("worklist:")[0] + section, encoding="utf-8")
    with pytest.raises(ProfileError, match=message) as error:
        read_profile(str(folder))
    assert "profile.yaml:" in str(error.value)


def test_worklist_settings_default_when_the_profile_is_silent(tmp_path):
    import shutil

    from pestrack.records.codes.profile import read_profile

    folder = tmp_path / "p"
    shutil.copytree("profiles/stockholm", folder)
    text = (folder / "profile.yaml").read_text(encoding="utf-8")
    (folder / "profile.yaml").write_text(text.split("worklist:")[0], encoding="utf-8")
    settings = read_profile(str(folder)).settings["worklist"]
    assert settings == {"followup_months": [3, 6, 12], "followup_window_days": 90, "inactive_days": 30}


def test_withdrawn_records_count_for_nothing(anna):
    from django.utils import timezone

    ended = _ended("Makulerad", 320, anna, TODAY - dt.timedelta(days=100))
    followup = FollowUp.objects.create(enrolment=ended, months=3, reference_date=TODAY, source="survey")
    assert _items(anna, "followup_due") == []
    FollowUp.objects.filter(pk=followup.pk).update(withdrawn_at=timezone.now())
    assert [r[3] for r in _items(anna, "followup_due")] == [3]  # the withdrawn follow-up was never made
    e = _enrolment("Plan", 321, anna)
    plan = Plan.objects.create(enrolment=e, date=TODAY - dt.timedelta(days=5), goals="x", review_date=TODAY)
    p = Participation.objects.create(
        enrolment=e,
        measure=Code.objects.get(list="measure", code="praktik"),
        start_date=e.start_date,
        planned_end_date=TODAY,
    )
    assert len(_items(anna, "plan_review_due")) == 1 and len(_items(anna, "measure_overdue")) == 1
    Plan.objects.filter(pk=plan.pk).update(withdrawn_at=timezone.now())
    Participation.objects.filter(pk=p.pk).update(withdrawn_at=timezone.now())
    assert _items(anna, "plan_review_due") == [] and _items(anna, "measure_overdue") == []


def test_a_source_is_compiled_once_and_gives_each_set_of_enrolments_its_own_items(anna, monkeypatch):
    """A work list keeps its sources' SQL (compiling them was a third of a page's CPU): asked again
    about the same enrolments, or about another page of ids of a list, it compiles nothing; the
    items still come from the enrolments each caller asks about."""
    calls = []
    inactive = worklist.source("inactive")

    def counted(enrolments, today):
        calls.append(1)
        return inactive.query(enrolments, today)

    monkeypatch.setitem(worklist._SOURCES, "inactive", worklist.Source("inactive", "x", counted, str))
    old = TODAY - dt.timedelta(days=100)
    a = _enrolment("Aa", 311, anna, last_activity=old)
    b = _enrolment("Bb", 312, anna, last_activity=old)
    assert sorted(r[0] for r in _items(anna, "inactive")) == [a.pk, b.pk]
    assert sorted(r[0] for r in _items(anna, "inactive")) == [a.pk, b.pk]
    assert len(calls) == 1
    only_b = Enrolment.objects.filter(pk=b.pk)
    assert [r["enrolment_id"] for r in worklist.items(only_b, TODAY, kinds=["inactive"])] == [b.pk]
    assert worklist.counts(only_b, TODAY)["inactive"] == 1
    assert len(calls) == 2
    days = dt.timedelta(days=worklist_setting("inactive_days"))
    due = {e.pk: Enrolment.objects.get(pk=e.pk).last_activity + days for e in (a, b)}
    assert worklist.next_due_of([b.pk], TODAY) == {b.pk: due[b.pk]}
    assert worklist.next_due_of([a.pk], TODAY) == {a.pk: due[a.pk]}
    both = worklist.next_due(Enrolment.objects.filter(pk__in=[a.pk, b.pk]), TODAY)
    assert worklist.next_due_of([b.pk, a.pk], TODAY) == both and len(both) == 2
    assert len(calls) == 5  # the list of one id, the queryset of two, the list of two
