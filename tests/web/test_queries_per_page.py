"""Upper bounds on the SQL statements of the busiest pages (issue 5: about 1 ms of server time per
statement under load). A page that starts to query per row, or a look-up repeated within a
request, fails here. The counts are PostgreSQL's (its advisory lock of the access log is one more
statement than SQLite has); the first request after log-in also renews the session."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.web.conftest import log_entries, make_person

# session, user with language preference, assignments; access log: BEGIN, lock, head, INSERT, COMMIT
HOME = 6  # session, user, assignments, unit ids, count of open enrolments, work-list counts (one statement)
CASELOAD = 16  # + code lists, unit ids, count, page, persons, current measures, access log (5),
#                saved filters, caseworkers to move enrolments to
TEAM = 16  # + caseworkers, unit ids, 2 counts, page, persons, measures, access log (5), caseworkers to move to
PERSON = 26  # + person with scope, unit ids, access log (5), enrolments and their 4 kinds of records, their
#   corrections, the newest journal entries and the journal kinds of the form, documents, meetings and their
#   other bodies, changes of caseworker, the participant portal's interests and message counts (2), the
#   reminders' settings, the person's choice of reminders and the latest reminders (3)


def _meeting_with_bodies(person, day):
    import datetime as dt

    from django.utils import timezone

    from pestrack.records.codes.models import Code
    from pestrack.records.meetings.models import Meeting

    m = Meeting.objects.create(
        person=person,
        enrolment=person.enrolments.get(),
        place="Rum 1",
        kind=Code.objects.get(list="meeting_kind", code="finsam_team"),
        starts_at=timezone.now() + dt.timedelta(days=day - 1),
    )
    m.other_bodies.set(Code.objects.filter(list="other_body")[:2])


def _statements(client, path: str) -> list[str]:
    assert client.get(path).status_code == 200  # the first request after log-in renews the session
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.django_db
def test_home_caseload_and_person_page_stay_within_their_statements(world, login):
    from django.contrib.auth.models import User

    from pestrack.records import worklist
    from pestrack.records.casework.models import Enrolment
    from pestrack.records.documents.demo import tiny_pdf, upload_of
    from pestrack.records.documents.files import store

    for i in range(30):  # more than a page of the caseload, so that a per-row query would show
        make_person(f"Extra{i}", "Jarvasson", "jt-jarva", serial=200 + i)
    Enrolment.objects.filter(org_unit__code="jt-jarva").update(caseworker=User.objects.get(username="anna"))
    for i in range(3):  # documents, with their uploaders
        store(
            upload_of(f"cv{i}.pdf", tiny_pdf()),
            person=world.jarva,
            enrolment=world.jarva.enrolments.get(),
            user=world.jarva.enrolments.get().caseworker,
        )
    for day in range(3):  # a meeting query per meeting would show
        _meeting_with_bodies(world.jarva, day)
    client = login("anna")
    home = _statements(client, "/")
    assert len(home) <= HOME
    # the next due dates: every kind of work-list item in one statement (records.worklist.next_due)
    assert len(worklist.sources()) > 1
    caseload = _statements(client, "/caseload/")
    assert len(caseload) <= CASELOAD + 1, "\n".join(caseload)
    for query in ("?scope=units", "?sort=name", "?sort=-target_group", "?sort=next_due"):
        statements = _statements(client, "/caseload/" + query)
        assert len(statements) <= CASELOAD + 2, query + "\n" + "\n".join(statements)
    from django.db import connection

    person = _statements(client, f"/persons/{world.jarva.pk}/")
    # PostgreSQL: one more, the access log's lock on its chain head (records/audit/log.py)
    assert len(person) <= PERSON + (connection.vendor == "postgresql"), "\n".join(person)
    assert not any("django_session" in q and q.lstrip().startswith("UPDATE") for q in caseload + person)
    assert log_entries(action="read", actor="anna", person_id=world.jarva.pk, object_type="person").count() == 2
    assert log_entries(action="read", actor="anna", object_type="caseload").count() == 10 * 25  # 5 lists, each twice


@pytest.mark.django_db
def test_the_managers_caseload_per_caseworker_stays_within_its_statements(world, login):
    for i in range(30):
        make_person(f"Extra{i}", "Jarvasson", "jt-jarva", serial=200 + i)
    client = login("maria")
    from pestrack.records import worklist

    team = _statements(client, "/caseload/team/")
    assert len(team) <= TEAM + len(worklist.sources()), "\n".join(team)  # + the due items of each kind
