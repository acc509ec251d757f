"""Demo data for the work list: each demo caseworker (records.sample.demo_users) gets a few
participants of their own, dated around ``today``, so that `pestrack demo` opens on a realistic
day: follow-ups due after exit, plans to review, measures past their planned end, and enrolments
without recent activity, some due today and some overdue by a few days.

Idempotent: participants who exist already (by identity number) are left as they are.

``assign_caseworkers`` gives every open enrolment of an office one of the office's caseworkers,
drawn deterministically from the seed, so that "My caseload" of the demo users (each at the office profile.yaml
gives them) and of the benchmark's caseworkers is their own."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db import transaction

from pestrack.records.casework import assignment
from pestrack.records.casework.models import Enrolment, Participation, Plan
from pestrack.records.codes.models import Code
from pestrack.records.org.models import OrgUnit, Role
from pestrack.records.people.identity import make_number
from pestrack.records.people.models import Person

FIRST = {"woman": ["Amina", "Leila", "Sofia", "Elin", "Maja"], "man": ["Johan", "Oskar", "Yusuf", "Ahmed", "Karl"]}
LAST = ["Berg", "Hassan", "Lind", "Osman", "Sandberg", "Warsame", "Ek", "Nyström"]
SERIAL = 950  # serials 950-999 of the identity numbers: the sample (records.sample) uses 100-999 by person


def _situations(today: dt.date) -> list[dict]:
    """What each demo participant's enrolment looks like today (one item of the work list each)."""

    def months_ago(n: int, extra_days: int = 0) -> dt.date:
        year, month = divmod(today.year * 12 + today.month - 1 - n, 12)
        day = min(today.day, 28)
        return dt.date(year, month + 1, day) - dt.timedelta(days=extra_days)

    return [
        {"exit": months_ago(3)},  # 3-month follow-up due today (or about)
        {"exit": months_ago(6, 4)},  # 6-month follow-up, a few days overdue
        {"exit": months_ago(12, 1)},  # 12-month follow-up, overdue by a day
        {"plan": today - dt.timedelta(days=14), "review": today},  # review today
        {"plan": today - dt.timedelta(days=20), "review": today - dt.timedelta(days=2)},  # two days late
        {"measure_end": today},  # ends today
        {"measure_end": today - dt.timedelta(days=5)},  # still open
        {"inactive": 35},  # no activity
    ]


@transaction.atomic
def add_demo_data(today: dt.date | None = None, rng: random.Random | None = None) -> int:
    """Give each demo caseworker participants with items due now; returns how many were added."""
    today = today or dt.date.today()
    rng = rng or random.Random(15)
    codes = {
        (c.list, c.code): c
        for c in Code.objects.filter(list__in=["programme", "target_group", "entry_route", "exit_reason", "measure"])
    }
    from pestrack.records.codes.profile import home_municipality
    from pestrack.records.sample import demo_settings, demo_users

    made = 0
    demo = demo_settings()
    if not demo:
        return 0
    fixed = {key: codes[key, code] for key, code in demo["enrolment"].items()}
    users = get_user_model().objects.in_bulk(
        [name for name, role, _unit in demo_users() if role == "caseworker"], field_name="username"
    )
    serial = SERIAL
    for name, role, unit_code in demo_users():
        if role != "caseworker" or name not in users:
            continue
        unit = OrgUnit.objects.get(code=unit_code)
        for situation in _situations(today):
            serial += 1
            start = today - dt.timedelta(days=rng.randint(400, 500))
            birth = dt.date(today.year - rng.randint(25, 55), rng.randint(1, 12), rng.randint(1, 28))
            sex = rng.choice(["woman", "man"])
            first, last = rng.choice(FIRST[sex]), rng.choice(LAST)
            pin = make_number(birth, serial)
            if Person.find_by_identity_number(pin):
                continue
            person = Person(
                first_name=first,
                last_name=last,
                birth_date=birth,
                sex=sex,
                municipality=home_municipality(),
                address=demo["address"].format(n=serial - SERIAL),
            )
            person.set_identity_number(pin)
            person.save()
            exit_date = situation.get("exit")
            if "inactive" in situation:
                start = today - dt.timedelta(days=situation["inactive"])
            enrolment = Enrolment.objects.create(
                person=person,
                programme=fixed["programme"],
                org_unit=unit,
                caseworker=users[name],
                target_group=fixed["target_group"],
                entry_route=fixed["entry_route"],
                start_date=start,
                end_date=exit_date,
                exit_reason=fixed["exit_reason"] if exit_date else None,
            )
            if "plan" in situation:
                Plan.objects.create(
                    enrolment=enrolment,
                    date=situation["plan"],
                    goals="Arbete inom vården",
                    steps="Praktik, sedan anställning",
                    review_date=situation["review"],
                    participant_involved=True,
                )
            if "measure_end" in situation:
                planned = situation["measure_end"]
                Participation.objects.create(
                    enrolment=enrolment,
                    measure=fixed["measure"],
                    start_date=planned - dt.timedelta(days=90),
                    planned_end_date=planned,
                )
                Plan.objects.create(
                    enrolment=enrolment,
                    date=today - dt.timedelta(days=7),
                    goals="Arbete",
                    review_date=today + dt.timedelta(days=90),
                    participant_involved=True,
                )
            made += 1
    return made


# --- Responsible caseworkers ------------------------------------------------------------------

COLLEAGUES = ["lena", "omar", "karin", "jonas", "amira", "per"]
_CHUNK = 1000


def _colleagues(unit: OrgUnit, wanted: int, have: int) -> None:
    """Add demo caseworkers to ``unit`` until it has ``wanted`` (they cannot log in: no password)."""
    from pestrack.records.org.users import add_user

    for k in range(have, wanted):
        name = COLLEAGUES[(k - have) % len(COLLEAGUES)]
        user = add_user(f"{name}-{unit.code}", Role.CASEWORKER, [unit.code], password=None)
        user.first_name, user.last_name = name.capitalize(), unit.name.split()[-1]
        user.set_unusable_password()
        user.save()


def assign_caseworkers(seed: int = 1, *, per_unit: int = 0, unassigned: float = 0.0) -> int:
    """Give each open enrolment without a responsible caseworker one of its office's caseworkers.

    ``per_unit``: add demo colleagues to an office with open enrolments until it has that many
    caseworkers. ``unassigned``: the share left without one (for the manager's list). Returns how
    many enrolments were assigned. Idempotent: assigned enrolments are left as they are."""
    made = 0
    for unit in OrgUnit.objects.filter(kind__in=[OrgUnit.Kind.OFFICE, OrgUnit.Kind.UNIT]).order_by("code"):
        ids = list(
            Enrolment.objects.filter(org_unit=unit, end_date__isnull=True, caseworker__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not ids:
            continue
        caseworkers = list(assignment.caseworkers_for_unit(unit))
        if len(caseworkers) < per_unit:
            _colleagues(unit, per_unit, len(caseworkers))
            caseworkers = list(assignment.caseworkers_for_unit(unit))
        if not caseworkers:
            continue
        # the enrolments in an order drawn from the seed, dealt in turn (an even share each), those
        # who can log in (the demo users) first; the last ones left without a caseworker
        rng = random.Random(f"{seed}:{unit.code}")
        rng.shuffle(ids)
        caseworkers.sort(key=lambda u: (not u.has_usable_password(), u.username))
        ids = ids[: len(ids) - int(len(ids) * unassigned)]
        chosen: dict[int, list[int]] = {}
        for n, pk in enumerate(ids):
            chosen.setdefault(n % len(caseworkers), []).append(pk)
        for i, pks in chosen.items():
            for start in range(0, len(pks), _CHUNK):
                # update(): the caseworker is not an activity, and one UPDATE per chunk is cheap
                made += Enrolment.objects.filter(pk__in=pks[start : start + _CHUNK]).update(caseworker=caseworkers[i])
    return made


def demo_users_caseloads() -> dict[str, int]:
    """Open enrolments per caseworker user name (for the demo's summary)."""
    from django.db.models import Count

    rows = (
        Enrolment.objects.filter(end_date__isnull=True, caseworker__isnull=False)
        .values("caseworker")
        .annotate(n=Count("pk"))
        .values_list("caseworker", "n")
    )
    names = dict(get_user_model().objects.values_list("pk", "username"))
    return {names[pk]: n for pk, n in rows}
