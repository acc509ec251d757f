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
DEMO_USERS = [
    ("anna", "caseworker", "jt-jarva"),
    ("erik", "caseworker", "jt-soderort"),
    ("maria", "unit_manager", "jobbtorg"),
    ("ali", "analyst", "amf"),
    ("emil", "employer_relations", "amf"),
    ("sara", "dpo", "stockholm"),
    ("admin", "admin", "stockholm"),
]
FIRST = {
    "woman": ["Anna", "Fatima", "Sara", "Maja", "Amina", "Elin", "Leila", "Sofia"],
    "man": ["Erik", "Ahmed", "Johan", "Ali", "Oskar", "Mohamed", "Karl", "Yusuf"],
}
LAST = ["Andersson", "Hassan", "Johansson", "Ali", "Karlsson", "Nilsson", "Mohammed", "Eriksson", "Larsson", "Omar"]


def create_demo_users() -> dict:
    from pestrack.records.org.users import add_user

    for name, role, unit in DEMO_USERS:
        user = add_user(name, role, [unit], password=DEMO_PASSWORD, may_see_protected=(role == "unit_manager"))
        if role == "admin":
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
    return {"password": DEMO_PASSWORD, "users": DEMO_USERS}


def _codes(list_name: str) -> dict[str, Code]:
    return {c.code: c for c in Code.objects.filter(list=list_name)}


@transaction.atomic
def create_sample(n: int, seed: int = 2023, today: dt.date | None = None) -> int:
    """Create ``n`` persons (idempotent: persons that exist already are left as they are)."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    tg, er, ex, me = _codes("target_group"), _codes("entry_route"), _codes("exit_reason"), _codes("measure")
    programme = Code.objects.get(list="programme", code="jobbtorg")
    wai = Code.objects.get(list="instrument", code="wai")
    offices = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.OFFICE).exclude(code="jt-stockholmsjobb"))
    districts = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.DISTRICT))
    made = 0
    for i in range(n):
        group = rng.choice(["forsorjningsstod", "forsorjningsstod", "kaa", "uvas_20_29", "ovriga"])
        age = {"kaa": rng.randint(16, 19), "uvas_20_29": rng.randint(20, 29)}.get(group, rng.randint(20, 64))
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
            municipality="0180",
            protected_identity=(i % 17 == 5),
            address=f"Exempelgatan {i + 1}, Stockholm",
        )
        person.set_identity_number(pin)
        person.save()
        route = {"forsorjningsstod": "social_services", "kaa": "kaa", "uvas_20_29": "entry_20_29"}.get(
            group, "district_other"
        )
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
            exit_reason=ex[rng.choice(["work", "work_subsidised", "studies", "moved", "own_request"])]
            if ended
            else None,
            decision_reference=f"SoL-{start.year}-{i:05d}" if group == "ovriga" else "",
            decision_date=start if group == "ovriga" else None,
        )
        Assessment.objects.create(enrolment=enrolment, instrument=wai, date=start, score=rng.randint(0, 10))
        measure = rng.choice(["matching", "praktik", "stockholmsjobb", "study_guidance", "ips"])
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
