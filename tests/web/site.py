"""The site as the tests that walk it see it: every URL pattern (includes followed, the admin's and
the API's too), its path parameters filled, and the records of one person that give every person
route something to show. Shared by tests/web/test_swedish_everywhere.py,
tests/web/test_authorisation_matrix.py and tests/web/results/test_parameters.py."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

from django.urls import URLPattern, URLResolver, get_resolver

PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")


def url_patterns(resolver=None, prefix: str = ""):
    """(route, pattern) of every URL pattern of the site, includes followed; the route is the
    pattern's text joined to its includes' (``persons/<int:person_id>/``, ``api/v1/persons/<person_id>``;
    the admin's own regular expressions as they are)."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def is_regex(route: str) -> bool:
    """A route written as a regular expression (the admin's app index and its catch-all)."""
    return route.startswith("^") or "(?P" in route


GROUP = re.compile(r"\(\?P<(\w+)>[^()]*\)")


def fill(route: str, values: dict) -> str:
    """The route's URL with each ``<kind:name>`` (or, in a regular expression, each ``(?P<name>…)``)
    replaced by ``values[name]``; a parameter without a value fails, naming the route."""

    def value(name):
        assert name in values, f"no value for parameter {name!r} of {route!r}: give one in the test's ids"
        return str(values[name])

    if is_regex(route):
        return "/" + GROUP.sub(lambda m: value(m[1]), route.replace("^", "").rstrip("$"))
    return "/" + PARAMETER.sub(lambda m: value(m[2]), route)


def person_records(person, *, author, place=None):
    """A record of every kind for ``person`` (in their first enrolment): an assessment, a plan, a
    measure, an unsigned and a signed journal entry by ``author``, a document, a meeting and, given a
    ``place``, a placement. The enrolment stays open."""
    from django.utils import timezone

    from pestrack.records.casework.models import Assessment, Participation, Plan
    from pestrack.records.codes.models import Code
    from pestrack.records.documents import files
    from pestrack.records.documents.demo import tiny_pdf, upload_of
    from pestrack.records.employers.models import Placement
    from pestrack.records.journal.rules import write
    from pestrack.records.meetings.models import Meeting

    def code(lst, c):
        return Code.objects.get(list=lst, code=c)

    today = dt.date.today()
    e = person.enrolments.order_by("pk").first()
    r = SimpleNamespace(person=person, enrolment=e)
    r.assessment = Assessment.objects.create(
        enrolment=e, instrument=code("instrument", "wai"), date=e.start_date, score="6.5"
    )
    r.plan = Plan.objects.create(
        enrolment=e,
        date=e.start_date,
        goals="Arbete inom vården",
        steps="Kurs, sedan praktik",
        participant_view="Jag valde kursen själv",
        participant_involved=True,
    )
    r.participation = Participation.objects.create(
        enrolment=e, measure=code("measure", "praktik"), start_date=e.start_date, provider_name="Vårdbolaget AB"
    )
    r.unsigned = write(author, enrolment=e, kind="samtal", date=today, text="Lorem ipsum dolor.")
    r.signed = write(author, enrolment=e, kind="telefonsamtal", date=today, text="Lorem ipsum sit amet.", sign=True)
    r.document = files.store(upload_of("intyg.pdf", tiny_pdf()), person=person, enrolment=e, user=author)
    r.meeting = Meeting.objects.create(
        person=person,
        enrolment=e,
        kind=code("meeting_kind", "planning"),
        starts_at=timezone.now() - dt.timedelta(hours=2),
        organiser=author,
    )
    r.placement = Placement.objects.create(place=place, person=person, proposed_date=today) if place else None
    return r
