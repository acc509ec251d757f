"""Participants and places from the records, as the matcher sees them.

A participant is a person with an enrolment open today (or on ``day``); their matching profile, if
any, adds occupations, skills and the rest. A place is one whose status is open and that has
positions left after its hires. Every person read for matching is logged by the caller.

A server process keeps the open places as read (``current_openings``) and each participant's best
places (``suggestions``), since reading and scoring every open place took seconds per page: the
places are read again when one is added, removed, opened or closed or a placement is made or
changes its status (any process: a one-statement check), when this process changes a place or a
placement, and at the latest after ``OPENINGS_SECONDS``; a participant's places are scored again when
the places are read again, or their profile, open enrolments or placements change."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections import OrderedDict

from django.db import connections, router
from django.db.models import Count, Q
from django.db.models.signals import post_delete, post_save

from pestrack.matching.esco import Taxonomy, taxonomy
from pestrack.matching.score import Opening, Participant
from pestrack.records.casework.models import Enrolment
from pestrack.records.employers.models import MatchProfile, Place, Placement
from pestrack.records.people.models import Person


def _rows(concepts, ids) -> list[int]:
    return [concepts.index[i] for i in ids or [] if i in concepts.index]


def participants(person_ids=None, day: dt.date | None = None, tax: Taxonomy | None = None) -> list[Participant]:
    day = day or dt.date.today()
    tax = tax or taxonomy()
    open_ = Enrolment.objects.filter(start_date__lte=day).filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
    if person_ids is not None:
        open_ = open_.filter(person_id__in=list(person_ids))
    programmes: dict[int, set[str]] = {}
    for pid, code in open_.values_list("person_id", "programme__code"):
        programmes.setdefault(pid, set()).add(code)
    ids = sorted(programmes if person_ids is None else set(person_ids))
    births = dict(Person.objects.filter(pk__in=ids, anonymised_at__isnull=True).values_list("pk", "birth_date"))
    profiles = {m.person_id: m for m in MatchProfile.objects.filter(person_id__in=ids)}
    out = []
    for pid in ids:
        if pid not in births:
            continue
        m = profiles.get(pid)
        p = Participant(id=pid, birth_date=births[pid], programmes=frozenset(programmes.get(pid, ())))
        if m:
            p.desired, p.experience = (
                _rows(tax.occupations, m.desired_occupations),
                _rows(tax.occupations, m.experience),
            )
            p.skills = _rows(tax.skills, m.skills)
            p.summary, p.swedish_level, p.driving_licence = m.summary, m.swedish_level, m.driving_licence
            p.lat, p.lon, p.max_travel_km = m.latitude, m.longitude, m.max_travel_km
            p.max_hours, p.available_from = m.max_hours_per_week, m.available_from
        out.append(p)
    return out


def openings(place_ids=None, tax: Taxonomy | None = None) -> list[Opening]:
    tax = tax or taxonomy()
    qs = Place.objects.select_related("kind").annotate(
        hired=Count("placements", filter=Q(placements__status=Placement.Status.HIRED))
    )
    qs = qs.filter(pk__in=list(place_ids)) if place_ids is not None else qs.filter(status=Place.Status.OPEN)
    out = []
    for q in qs.order_by("pk"):
        left = q.positions - q.hired
        if place_ids is None and left <= 0:
            continue
        out.append(
            Opening(
                id=q.pk,
                kind=q.kind.code,
                kind_rules=q.kind.rules or {},
                start_date=q.start_date,
                occupation=tax.occupations.index.get(q.occupation, -1),
                required=_rows(tax.skills, q.required_skills),
                optional=_rows(tax.skills, q.optional_skills),
                swedish_level=q.swedish_level,
                driving_licence=q.driving_licence,
                lat=q.latitude,
                lon=q.longitude,
                hours=q.hours_per_week,
                title=q.title,
                description=q.description,
                positions=max(left, 0),
            )
        )
    return out


def already_proposed(person_ids=None, place_ids=None) -> set[tuple[int, int]]:
    """(person, place) pairs with a placement that is under way or led to a hire: not suggested again."""
    qs = Placement.objects.exclude(status__in=[Placement.Status.REJECTED, Placement.Status.WITHDRAWN])
    if person_ids is not None:
        qs = qs.filter(person_id__in=list(person_ids))
    if place_ids is not None:
        qs = qs.filter(place_id__in=list(place_ids))
    return set(qs.values_list("person_id", "place_id"))


OPENINGS_SECONDS = 300  # the longest a process shows places as read (edits of a place's text, skills...)
SUGGESTIONS_KEPT = 5000  # participants whose best places a process remembers
_lock = threading.Lock()
_versions = itertools.count(1)
_openings: tuple | None = None  # (stamp, read at, version, openings)
_suggestions: OrderedDict[int, tuple] = OrderedDict()  # person id -> (key, suggestions)


def _stamp() -> tuple:
    """What changes, in any process, when a place is added, removed, opened or closed (or its
    positions change), or a placement is made, removed or changes its status: one statement."""
    place, placement = Place._meta.db_table, Placement._meta.db_table
    with connections[router.db_for_read(Place)].cursor() as cur:
        cur.execute(
            f"SELECT (SELECT COUNT(*) FROM {place} WHERE status = %s), (SELECT MAX(id) FROM {place}), "
            f"(SELECT SUM(positions) FROM {place} WHERE status = %s), (SELECT COUNT(*) FROM {placement}), "
            f"(SELECT MAX(id) FROM {placement}), (SELECT COUNT(*) FROM {placement} WHERE status = %s)",
            [Place.Status.OPEN, Place.Status.OPEN, Placement.Status.HIRED],
        )
        return tuple(cur.fetchone())


def forget_openings(**kwargs) -> None:
    """Read the places again on next use (this process changed a place or a placement)."""
    global _openings
    _openings = None


for _model in (Place, Placement):
    post_save.connect(forget_openings, sender=_model, dispatch_uid=f"matching-openings-save-{_model.__name__}")
    post_delete.connect(forget_openings, sender=_model, dispatch_uid=f"matching-openings-delete-{_model.__name__}")


def current_openings() -> tuple[int, list[Opening]]:
    """(version, ``openings()``), as kept by this process (see the module's docstring); the version
    changes whenever they are read again."""
    global _openings
    stamp, now, kept = _stamp(), time.monotonic(), _openings
    if kept is None or kept[0] != stamp or now - kept[1] > OPENINGS_SECONDS:
        kept = _openings = (stamp, now, next(_versions), openings())
    return kept[2], kept[3]


def _best(people: list[Participant], places: list[Opening], person_id: int, top: int):
    from pestrack.matching.score import Matcher

    matcher = Matcher(people, places)
    done = already_proposed([person_id])
    best, _ = matcher.top_places(top + len(done), jobs=1)
    return matcher, [(0, int(j)) for j in best[0] if j >= 0 and (person_id, places[j].id) not in done][:top]


def places_for(person_id: int, top: int = 10):
    """The best open places for one participant, leaving out places with a placement under way or a
    hire for them: (matcher, [(0, place position), ...] best first) (matcher None when no place is
    open), or None when the person has no open enrolment. Used by ``pestrack match --participant`` and the person's suggested-places page."""
    people = participants([person_id])
    if not people:
        return None
    _version, places = current_openings()
    if not places:
        return None, []
    return _best(people, places, person_id, top)


EXPLAINED = ("components", "skills_covered", "distance_km")


def suggestions(person_id: int, top: int = 10) -> list[tuple[Opening, dict]] | None:
    """``places_for`` as [(place, explanation)], best first, the explanation the ``EXPLAINED`` parts
    of ``Matcher.explain`` (no text: the caller words it); None when the person has no open
    enrolment. Remembered for the participant until the places are read again (``current_openings``)
    or their profile, open enrolments or placements change."""
    people = participants([person_id])
    if not people:
        return None
    version, places = current_openings()
    key = (version, people[0], already_proposed([person_id]), top, dt.date.today())
    with _lock:
        kept = _suggestions.get(person_id)
        if kept is not None and kept[0] == key:
            _suggestions.move_to_end(person_id)
            return kept[1]
    found: list[tuple[Opening, dict]] = []
    if places:
        matcher, pairs = _best(people, places, person_id, top)
        for i, j in pairs:
            x = matcher.explain(i, j)
            found.append((places[j], {k: x[k] for k in EXPLAINED}))
    with _lock:
        _suggestions[person_id] = (key, found)
        _suggestions.move_to_end(person_id)
        while len(_suggestions) > SUGGESTIONS_KEPT:
            _suggestions.popitem(last=False)
    return found
