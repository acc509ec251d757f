"""A small, fixed sample for the demo and for tests: a few dozen persons with enrolments,
participations, exits and follow-ups that obey every business rule. (The calibrated synthetic
population that reproduces the published figures is ``pestrack synth``.)"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from pestrack.records.casework.models import Assessment, Enrolment, FollowUp, Participation
from pestrack.records.codes.models import Code
from pestrack.records.org.models import OrgUnit
from pestrack.records.people.identity import make_number
from pestrack.records.people.models import Person

DEMO_PASSWORD = "demo-pestrack-2026"


def demo_settings() -> dict:
    """The loaded profile's ``demo`` section (profile.yaml): users, the fixed records' codes, the sample."""
    from pestrack.records.codes.models import ProfileSetting

    return ProfileSetting.get("demo") or {}


def demo_users() -> list[tuple[str, str, str]]:
    """(username, role, unit code) of the loaded profile's demo users, one per role."""
    return [(u["username"], u["role"], u["unit"]) for u in demo_settings().get("users", [])]


FIRST = {
    "woman": ["Anna", "Fatima", "Sara", "Maja", "Amina", "Elin", "Leila", "Sofia"],
    "man": ["Erik", "Ahmed", "Johan", "Ali", "Oskar", "Mohamed", "Karl", "Yusuf"],
}
LAST = ["Andersson", "Hassan", "Johansson", "Ali", "Karlsson", "Nilsson", "Mohammed", "Eriksson", "Larsson", "Omar"]


def create_demo_users() -> dict:
    from django.contrib.auth.hashers import make_password

    from pestrack.records.org.users import add_user, set_password

    users = demo_users()
    if not users:
        raise ValueError("the loaded profile has no demo users (demo.users in its profile.yaml)")
    hashed = make_password(DEMO_PASSWORD)  # one hash for all: they share the published password
    for name, role, unit in users:
        user = add_user(name, role, [unit], may_see_protected=(role == "unit_manager"))
        set_password(user, DEMO_PASSWORD, hashed=hashed)
        user.is_superuser = user.is_superuser or role == "admin"
        user.save(update_fields=["password", "is_superuser"])
    return {"password": DEMO_PASSWORD, "users": users}


def _codes(list_name: str) -> dict[str, Code]:
    return {c.code: c for c in Code.objects.filter(list=list_name)}


@transaction.atomic
def create_sample(n: int, seed: int = 2023, today: dt.date | None = None) -> int:
    """Create ``n`` persons (idempotent: persons that exist already are left as they are)."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    from pestrack.records.codes.profile import home_municipality

    tg, er, ex, me = _codes("target_group"), _codes("entry_route"), _codes("exit_reason"), _codes("measure")
    demo = demo_settings()
    if "sample" not in demo:
        raise ValueError("the loaded profile has no demo sample (demo.sample in its profile.yaml)")
    spec = demo["sample"]
    programme = Code.objects.get(list="programme", code=demo["enrolment"]["programme"])
    wai = Code.objects.get(list="instrument", code="wai")
    offices = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.OFFICE).exclude(code__in=spec.get("not_offices", [])))
    districts = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.DISTRICT))
    home = home_municipality()
    made = 0
    for i in range(n):
        group = rng.choice(spec["groups"])
        # every range is drawn, whichever the group (the draws of a seed stay the same)
        ages = {g: rng.randint(lo, hi) for g, (lo, hi) in spec.get("ages", {}).items()}
        age = ages.get(group, rng.randint(*spec["default_age"]))
        start = today - dt.timedelta(days=rng.randint(30, 700))
        birth = dt.date(start.year - age - 1, rng.randint(1, 12), rng.randint(1, 28))
        sex = rng.choice(["woman", "man"])
        pin = make_number(birth, 100 + i % 900)
        if Person.find_by_identity_number(pin):
            continue
        person = Person(
            first_name=rng.choice(FIRST[sex]),
            last_name=rng.choice(LAST),
            birth_date=birth,
            sex=sex,
            municipality=home,
            protected_identity=(i % 17 == 5),
            address=spec["address"].format(n=i + 1),
        )
        person.set_identity_number(pin)
        person.save()
        route = spec.get("routes", {}).get(group, spec["default_route"])
        decided = any((c.rules or {}).get("requires_decision") for c in (tg[group], er[route]))
        ended = rng.random() < 0.5
        end = min(today - dt.timedelta(days=1), start + dt.timedelta(days=rng.randint(60, 400))) if ended else None
        enrolment = Enrolment.objects.create(
            person=person,
            programme=programme,
            org_unit=rng.choice(offices),
            referring_unit=rng.choice(districts),
            target_group=tg[group],
            entry_route=er[route],
            start_date=start,
            end_date=end,
            exit_reason=ex[rng.choice(spec["exit_reasons"])] if ended else None,
            decision_reference=f"{spec['decision_prefix']}-{start.year}-{i:05d}" if decided else "",
            decision_date=start if decided else None,
        )
        Assessment.objects.create(enrolment=enrolment, instrument=wai, date=start, score=rng.randint(0, 10))
        measure = rng.choice(spec["measures"])
        Participation.objects.create(
            enrolment=enrolment, measure=me[measure], start_date=start + dt.timedelta(days=14), end_date=end
        )
        if end and end + dt.timedelta(days=91) < today:
            FollowUp.objects.create(
                enrolment=enrolment,
                months=3,
                reference_date=end + dt.timedelta(days=91),
                working=rng.random() < 0.5,
                studying=rng.random() < 0.2,
                self_sufficient=rng.random() < 0.6,
                source="register",
            )
        made += 1
    return made
