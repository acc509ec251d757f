"""What is due: the caseworker's work list, assembled from item sources.

Each kind of due item (a follow-up after exit, a plan review, an unsigned journal entry, a meeting
today...) is a ``Source`` registered here by the records app that owns the data, in its
``AppConfig.ready()``. A source is one set-based query over a queryset of enrolments: the work list
never loops over enrolments in Python.

A source's ``query(enrolments, today)`` returns a queryset of dicts (``.values()``) with at least:

- ``due_date``: the date the item is due (a ``date``),
- ``person_id`` and ``enrolment_id``,
- ``object_id``: the id of the record the item is about (the enrolment, plan, entry, meeting...),
- ``caseworker_id``: the responsible caseworker of the enrolment (may be None).

``resolve_url(row)`` gives the URL of the form that resolves the item; resolving it makes the
query stop returning it.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

ITEM_FIELDS = ("due_date", "person_id", "enrolment_id", "object_id", "caseworker_id")


@dataclass(frozen=True)
class Source:
    kind: str                                   # stable code, e.g. "followup_due" (used in the API)
    label: Any                                  # a lazily translated label, e.g. gettext_lazy("Follow-up due")
    query: Callable[[QuerySet, dt.date], QuerySet]
    resolve_url: Callable[[dict], str]
    order: int = 100                            # position in the list of kinds


_SOURCES: dict[str, Source] = {}


def register(source: Source) -> Source:
    """Add (or replace, by kind) an item source."""
    _SOURCES[source.kind] = source
    return source


def sources() -> list[Source]:
    return sorted(_SOURCES.values(), key=lambda s: (s.order, s.kind))


def source(kind: str) -> Source:
    return _SOURCES[kind]


def items(enrolments: QuerySet, today: dt.date, kinds: Iterable[str] | None = None) -> list[dict]:
    """Every due item over ``enrolments``, each a dict of ITEM_FIELDS plus ``kind``, by due date."""
    wanted = set(kinds) if kinds is not None else None
    out: list[dict] = []
    for s in sources():
        if wanted is not None and s.kind not in wanted:
            continue
        for row in s.query(enrolments, today).values(*ITEM_FIELDS):
            out.append({"kind": s.kind, **row})
    out.sort(key=lambda r: (r["due_date"], r["kind"], r["enrolment_id"], r["object_id"]))
    return out


def counts(enrolments: QuerySet, today: dt.date) -> dict[str, int]:
    """The number of due items of each kind over ``enrolments`` (one COUNT query per kind)."""
    return {s.kind: s.query(enrolments, today).count() for s in sources()}


def next_due(enrolments: QuerySet, today: dt.date) -> dict[int, dt.date]:
    """Enrolment id → the earliest due date of any item of that enrolment (one query per kind)."""
    from django.db.models import Min

    first: dict[int, dt.date] = {}
    for s in sources():
        for row in s.query(enrolments, today).order_by().values("enrolment_id").annotate(first=Min("due_date")):
            eid, due = row["enrolment_id"], row["first"]
            if eid not in first or due < first[eid]:
                first[eid] = due
    return first
