"""What is due: the caseworker's work list, assembled from item sources.

Each kind of due item (a follow-up after exit, a plan review, an unsigned journal entry, a meeting
today...) is a ``Source`` registered here by the records app that owns the data, in its
``AppConfig.ready()``. A source is one set-based query over a queryset of enrolments: the work list
never loops over enrolments in Python.

A source's ``query(enrolments, today)`` returns a queryset of dicts (``.values()``) with at least:

- ``due_date``: the date the item is due (a ``date``),
- ``person_id`` and ``enrolment_id``,
- ``object_id``: the id of the record the item is about (the enrolment, plan, entry, meeting...),
- ``caseworker_id``: the responsible caseworker of the enrolment (may be None),

and the source's ``extra`` fields, if any (e.g. the follow-up's ``months``). It may be a union of
querysets (``qs1.union(qs2, all=True)``, each without ordering) when one kind has several rules.
Its SQL is run as a subquery and its columns read by name, so each field must come out under its
own name: an annotation (``object_id=F("pk")``) or a field whose column has that name
(``person_id``); ``due_date`` a date (a datetime or ISO text is cut to its date).

An item is shown from its due date on (the query returns it when ``due_date <= today``) and is
overdue from the day after. ``resolve_url(row)`` gives the URL of the form that resolves the item;
resolving it makes the query stop returning it. ``describe(row)``, if given, is a short text shown
with the item (e.g. "6 months after exit").

The functions below run each source's query as a subquery of a statement of their own
(``counts``, ``counts_by``: every kind in one statement; ``items``, ``next_due``: one per kind), so
a page's number of statements does not grow with its rows; ``summary`` gives a page its counts and
items building and running each query once.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone

ITEM_FIELDS = ("due_date", "person_id", "enrolment_id", "object_id", "caseworker_id")


@dataclass(frozen=True)
class Source:
    kind: str  # stable code, e.g. "followup_due" (used in the API)
    label: Any  # a lazily translated label, e.g. gettext_lazy("Follow-up due")
    query: Callable[[QuerySet, dt.date], QuerySet]
    resolve_url: Callable[[dict], str]
    order: int = 100  # position in the list of kinds
    extra: tuple[str, ...] = ()  # more fields of each row (for resolve_url and describe)
    describe: Callable[[dict], str] | None = None  # a short text about one item


_SOURCES: dict[str, Source] = {}


def register(source: Source) -> Source:
    """Add (or replace, by kind) an item source."""
    _SOURCES[source.kind] = source
    return source


def sources() -> list[Source]:
    return sorted(_SOURCES.values(), key=lambda s: (s.order, s.kind))


def source(kind: str) -> Source:
    return _SOURCES[kind]


def _rows(s: Source, enrolments: QuerySet, today: dt.date) -> QuerySet:
    return s.query(enrolments, today).values(*ITEM_FIELDS, *s.extra)


def _sql(qs: QuerySet) -> tuple[str, list]:
    """The SQL of a queryset, to run as a subquery of a statement of our own."""
    sql, params = qs.query.get_compiler(using=qs.db).as_sql()
    return sql, list(params)


def _date(value) -> dt.date | None:
    """A date read by plain SQL (SQLite gives text)."""
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    return value


# Building and compiling a source's queryset cost about 4 ms of CPU, a work list's nine a third of
# the page. A process therefore keeps each source's SQL for the enrolments it was asked about (their
# SQL and parameters: a caseworker's work list asks about the same ones each time), per day, time
# zone and work-list settings. The SQL is the source's own over the caller's queryset, so the
# database plans it as before (a stand-in set of enrolments in a WITH was planned far worse).
_TEMPLATES: OrderedDict[tuple, tuple[str, tuple]] = OrderedDict()
_KEPT = 2000
_lock = threading.Lock()
# Stand-ins for the ids of ``next_due_of``: no enrolment has a negative id, nor does a source's SQL
# take such a number as a parameter of its own.
_ID_BASE = -(10**15)


def _settings_key() -> tuple:
    from pestrack.records.codes.profile import worklist_settings

    return worklist_settings()


def _compiled(enrolments: QuerySet, today: dt.date, kinds: Iterable[str] | None = None) -> list[tuple]:
    """(source, sql, params) of each wanted kind over ``enrolments`` (kept, see ``_TEMPLATES``)."""
    wanted = set(kinds) if kinds is not None else None
    sql, params = _sql(enrolments.order_by())
    common = (enrolments.db, sql, tuple(params), today, timezone.get_current_timezone_name(), _settings_key())
    out = []
    for s in sources():
        if wanted is not None and s.kind not in wanted:
            continue
        key = (s.kind, s.query, s.extra, *common)
        with _lock:
            found = _TEMPLATES.get(key)
            if found is not None:
                _TEMPLATES.move_to_end(key)
        if found is None:
            q_sql, q_params = _sql(_rows(s, enrolments, today).order_by())
            found = (q_sql, tuple(q_params))
            with _lock:
                _TEMPLATES[key] = found
                while len(_TEMPLATES) > _KEPT:
                    _TEMPLATES.popitem(last=False)
        out.append((s, *found))
    return out


def _items_of(compiled: list[tuple], db: str, limit: int | None, counts: dict | None = None) -> list[dict]:
    """The items of each compiled kind (at most ``limit`` of each, the earliest due); with
    ``counts``, each kind's whole number of items is put there too, read by the same statement (a
    window count before the limit), so the kind's query runs once for both."""
    out: list[dict] = []
    total = ", COUNT(*) OVER () AS wl_total" if counts is not None else ""
    with connections[db].cursor() as cursor:
        for s, sql, params in compiled:
            cursor.execute(
                f"SELECT wl.*{total} FROM ({sql}) wl ORDER BY due_date, enrolment_id, object_id"
                + (f" LIMIT {int(limit)}" if limit is not None else ""),
                params,
            )
            names = [c[0] for c in cursor.description]
            rows = cursor.fetchall()
            if counts is not None:
                counts[s.kind] = int(rows[0][-1]) if rows else 0
                names, rows = names[:-1], [row[:-1] for row in rows]
            for row in rows:
                item = dict(zip(names, row))
                item["due_date"] = _date(item["due_date"])
                out.append({"kind": s.kind, **item})
    out.sort(key=lambda r: (r["due_date"], r["kind"], r["enrolment_id"], r["object_id"]))
    return out


def _counts_of(compiled: list[tuple], db: str) -> dict[str, int]:
    if not compiled:
        return {}
    parts = [f"(SELECT COUNT(*) FROM ({sql}) wl_{n})" for n, (_s, sql, _p) in enumerate(compiled)]
    with connections[db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), [p for _s, _sql, params in compiled for p in params])
        row = cursor.fetchone()
    return {s.kind: int(n) for (s, _sql, _p), n in zip(compiled, row)}


def items(
    enrolments: QuerySet, today: dt.date, kinds: Iterable[str] | None = None, limit: int | None = None
) -> list[dict]:
    """Every due item over ``enrolments``, each a dict of ITEM_FIELDS (and the source's extra
    fields) plus ``kind``, by due date; ``limit``: at most this many of each kind, the earliest due
    (one query per kind)."""
    return _items_of(_compiled(enrolments, today, kinds), enrolments.db, limit)


def counts(enrolments: QuerySet, today: dt.date) -> dict[str, int]:
    """The number of due items of each kind over ``enrolments``, every kind in one statement."""
    return _counts_of(_compiled(enrolments, today), enrolments.db)


def summary(
    enrolments: QuerySet, today: dt.date, kinds: Iterable[str] | None = None, limit: int | None = None
) -> tuple[dict[str, int], list[dict]]:
    """``counts`` of every kind and ``items`` of the wanted ``kinds``, each query built once and run
    once: the wanted kinds' counts come with their items, the others' in one statement."""
    compiled = _compiled(enrolments, today)
    wanted = set(kinds) if kinds is not None else None
    shown = [c for c in compiled if wanted is None or c[0].kind in wanted]
    found = _counts_of([c for c in compiled if c not in shown], enrolments.db)
    rows = _items_of(shown, enrolments.db, limit, counts=found)
    return {s.kind: found[s.kind] for s, _sql, _p in compiled}, rows


def counts_by(enrolments: QuerySet, today: dt.date, column: str = "caseworker_id") -> dict[Any, dict[str, int]]:
    """The number of due items of each kind per value of the enrolment's ``column``
    (``caseworker_id``, ``org_unit_id``): {value: {kind: n}}, every kind in one statement."""
    from pestrack.records.casework.models import Enrolment

    meta = Enrolment._meta
    names = {f.attname: f.column for f in meta.concrete_fields}
    if column not in names:
        raise ValueError(f"not a column of an enrolment: {column}")
    kinds = sources()
    if not kinds:
        return {}
    connection = connections[enrolments.db]
    q = connection.ops.quote_name
    parts, params = [], []
    for n, (s, sql, p) in enumerate(_compiled(enrolments, today)):
        parts.append(
            f"SELECT {n} AS wl_kind, e.{q(names[column])} AS wl_key, COUNT(*) AS wl_n "
            f"FROM ({sql}) wl_{n} JOIN {q(meta.db_table)} e ON e.{q(meta.pk.column)} = wl_{n}.enrolment_id "
            f"GROUP BY e.{q(names[column])}"
        )
        params += p
    out: dict[Any, dict[str, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for kind, key, count in cursor.fetchall():
            out.setdefault(key, {})[kinds[kind].kind] = int(count)
    return out


def next_due(enrolments: QuerySet, today: dt.date) -> dict[int, dt.date]:
    """Enrolment id → the earliest due date of any item of that enrolment (every kind in one
    statement)."""
    return _next_due(_compiled(enrolments, today), enrolments.db)


def next_due_of(ids: Iterable[int], today: dt.date, db: str = "default") -> dict[int, dt.date]:
    """``next_due`` of the enrolments ``ids`` (a page of a list): the sources' SQL is kept for any
    ids of that number, their stand-ins (``_ID_BASE``) replaced by the ids."""
    from pestrack.records.casework.models import Enrolment

    ids = list(dict.fromkeys(int(i) for i in ids))
    if not ids:
        return {}
    stand_ins = [_ID_BASE - n for n in range(len(ids))]
    real = dict(zip(stand_ins, ids))
    compiled = [
        (s, sql, [real.get(p, p) if type(p) is int else p for p in params])
        for s, sql, params in _compiled(Enrolment.objects.using(db).filter(pk__in=stand_ins), today)
    ]
    return _next_due(compiled, db)


def _next_due(compiled: list[tuple], db: str) -> dict[int, dt.date]:
    first: dict[int, dt.date] = {}
    if not compiled:
        return first
    parts, params = [], []
    for n, (_s, sql, p) in enumerate(compiled):
        parts.append(f"SELECT wl_{n}.enrolment_id, wl_{n}.due_date FROM ({sql}) wl_{n}")
        params += p
    with connections[db].cursor() as cursor:
        cursor.execute(
            f"SELECT enrolment_id, MIN(due_date) FROM ({' UNION ALL '.join(parts)}) wl GROUP BY enrolment_id",
            params,
        )
        rows = cursor.fetchall()
    for eid, due in rows:
        first[eid] = _date(due)
    return first


def overdue(item: dict, today: dt.date) -> bool:
    """An item is overdue from the day after its due date."""
    return item["due_date"] < today


def responsible_enrolments(user, caseworker_id: int | None = None) -> QuerySet:
    """The enrolments of ``user``'s scope (records.access) whose responsible caseworker is
    ``caseworker_id`` (``user`` by default): the enrolments of a work list. Whether ``user`` may see
    another caseworker's list is the caller's check (a unit manager may)."""
    from pestrack.records import access

    return access.enrolments_in_scope(user).filter(caseworker_id=caseworker_id or user.pk)
