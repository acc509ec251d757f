"""Demo users and a handful of persons at known units, for the access-control tests."""

from __future__ import annotations

import datetime as dt

import pytest

PASSWORD = "demo-pestrack-2026"


def make_person(first, last, unit, *, referring=None, protected=False, serial=100, birth=dt.date(1985, 3, 15)):
    from pestrack.records.casework.models import Enrolment
    from pestrack.records.codes.models import Code
    from pestrack.records.org.models import OrgUnit
    from pestrack.records.people.identity import make_number
    from pestrack.records.people.models import Person

    person = Person(
        first_name=first,
        last_name=last,
        birth_date=birth,
        sex="woman",
        municipality="0180",
        address=f"{last}gatan 1, Stockholm",
        protected_identity=protected,
    )
    person.set_identity_number(make_number(birth, serial))
    person.save()
    Enrolment.objects.create(
        person=person,
        programme=Code.objects.get(list="programme", code="jobbtorg"),
        org_unit=OrgUnit.objects.get(code=unit),
        referring_unit=OrgUnit.objects.get(code=referring) if referring else None,
        target_group=Code.objects.get(list="target_group", code="forsorjningsstod"),
        entry_route=Code.objects.get(list="entry_route", code="social_services"),
        start_date=dt.date.today() - dt.timedelta(days=100),
    )
    return person


@pytest.fixture
def world(profile):
    """anna (jt-jarva), erik (jt-soderort), maria (manager, may see protected), ali, sara, admin, and
    dina, a caseworker of the Rinkeby-Kista district that refers participants to Jobbtorg."""
    from types import SimpleNamespace

    from pestrack.records.org.users import add_user
    from pestrack.records.sample import create_demo_users

    create_demo_users()
    add_user("dina", "caseworker", ["sdf-rk"], password=PASSWORD)
    return SimpleNamespace(
        jarva=make_person("Jarva", "Jarvasson", "jt-jarva", serial=101),
        soderort=make_person("Soder", "Ortsson", "jt-soderort", referring="sdf-farsta", serial=102),
        referred=make_person("Remiss", "Rinkebysson", "jt-soderort", referring="sdf-rk", serial=103),
        protected=make_person("Hemlig", "Skyddadsson", "jt-jarva", protected=True, serial=104),
    )


@pytest.fixture
def login(client):
    def _login(username):
        client.logout()
        assert client.login(username=username, password=PASSWORD)
        return client

    return _login


def make_administrator(username: str) -> None:
    """Give a user of the world the administrator role too. The admin is for administrators, and the only
    one who sees persons in it is an administrator who is also a caseworker: their own caseload."""
    from pestrack.records.org.users import add_user

    add_user(username, "admin", ["stockholm"])


def log_entries(**filters):
    from pestrack.records.audit.models import AccessLogEntry

    return AccessLogEntry.objects.filter(**filters)
