"""Writing to and checking the access log. Every read and write of a person's record goes through
``record`` (one entry) or ``record_many`` (bulk, e.g. an import)."""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone

from pestrack.records.audit.models import AccessLogEntry, AuditAnchor
from pestrack.records.codes.profile import MIN_ACCESS_LOG_YEARS

GENESIS = "0" * 64
# The detail of the entries that record a person shown in a list (a caseload page, search results),
# one entry per person shown: the log review tells them from records opened one by one.
LISTED = "shown in a list"
# The detail's start of the entry that records a check, when a person is registered, of whether the
# identity number is in the register already (access.registered_person): it names the person found,
# also outside the user's units, so the log review counts it with the reads.
REGISTRATION_CHECK = "identity number checked on registration"
_PG_LOCK_KEY = 774_411_2023  # advisory lock that serialises appends to the chain

# 10 or 12 digits with an optional separator: anything that looks like an identity number.
_PIN_RE = re.compile(r"(?<!\d)(?:\d{2})?\d{6}[-+ ]?\d{4}(?!\d)")


def scrub(text: str) -> str:
    """Replace anything that looks like an identity number, so none is ever logged in clear."""
    return _PIN_RE.sub("[identity number]", text or "")


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in a bare container
        return "cli"


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _payload(
    at_iso: str,
    actor: str,
    actor_id,
    action: str,
    person_id,
    object_type: str,
    object_id: str,
    detail: str,
    source: str,
) -> str:
    """What an entry's hash covers after the previous entry's hash (joined by the unit separator)."""
    return "\x1f".join(
        [at_iso, actor, str(actor_id or ""), action, str(person_id or ""), object_type, object_id, detail, source]
    )


def _entry_hash(prev: str, *fields) -> str:
    """The hash of an entry: of the previous entry's hash and ``_payload(*fields)``. PostgreSQL
    computes the same in ``pestrack_audit_append`` (migration audit 0003)."""
    return hashlib.sha256(f"{prev}\x1f{_payload(*fields)}".encode()).hexdigest()


def _lock_and_head() -> str:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        # plain SQL: read for every page that shows a person, where the ORM's query building cost
        # more than the query
        cur.execute(f"SELECT hash FROM {AccessLogEntry._meta.db_table} ORDER BY id DESC LIMIT 1")
        row = cur.fetchone()
    last = row[0] if row else None
    if last is None:
        anchor = AuditAnchor.objects.order_by("-id").values_list("last_removed_hash", flat=True).first()
        return anchor or GENESIS
    return last


@dataclass
class Event:
    actor: str
    action: str
    person_id: int | None = None
    object_type: str = ""
    object_id: str = ""
    detail: str = ""
    source: str = ""
    actor_id: int | None = None
    at: datetime = field(default_factory=timezone.now)


_COLUMNS = (
    "at",
    "actor",
    "actor_id",
    "action",
    "person_id",
    "object_type",
    "object_id",
    "detail",
    "source",
    "prev_hash",
    "hash",
)


_ROWS_PER_INSERT = 500  # 11 parameters a row: well under the databases' limits on parameters


def record_many(events: Iterable[Event]) -> int:
    """Append events to the chain in one transaction; returns how many were written.

    Rows go in as multi-row INSERTs of plain SQL: an import logs one entry per record it writes,
    and a page logs one per person it lists, so neither the ORM's per-object overhead nor a
    statement per row may dominate their time.
    """
    if connection.vendor == "postgresql":
        return _append_in_database(events)
    head = f"INSERT INTO {AccessLogEntry._meta.db_table} ({', '.join(_COLUMNS)}) "
    one_row = f"({', '.join(['%s'] * len(_COLUMNS))})"
    adapt_at = connection.ops.adapt_datetimefield_value
    n = 0

    def insert(cur, rows: list[tuple]) -> None:
        cur.execute(head + "VALUES " + ", ".join([one_row] * len(rows)), [v for row in rows for v in row])

    with transaction.atomic(), connection.cursor() as cur:
        prev = _lock_and_head()
        rows: list[tuple] = []
        last_at = at_db = at_iso = None
        for e in events:
            if e.at is not last_at:  # a bulk write shares one timestamp: convert it once
                last_at, at_db, at_iso = e.at, adapt_at(e.at), _iso(e.at)
            detail = scrub(e.detail)
            obj_id = str(e.object_id or "")
            h = _entry_hash(
                prev, at_iso, e.actor, e.actor_id, e.action, e.person_id, e.object_type, obj_id, detail, e.source
            )
            rows.append(
                (at_db, e.actor, e.actor_id, e.action, e.person_id, e.object_type, obj_id, detail, e.source, prev, h)
            )
            prev = h
            if len(rows) >= _ROWS_PER_INSERT:
                insert(cur, rows)
                n += len(rows)
                rows = []
        if rows:
            insert(cur, rows)
            n += len(rows)
    return n


_APPEND = (
    "SELECT pestrack_audit_append(%s::timestamptz[], %s::text[], %s::integer[], %s::text[], %s::bigint[], "
    "%s::text[], %s::text[], %s::text[], %s::text[], %s::text[])"
)


def _append_in_database(events: Iterable[Event]) -> int:
    """PostgreSQL: the entries go to ``pestrack_audit_append`` (migration audit 0003), which takes
    the chain's lock, reads the head and inserts them with their hashes in one statement. Outside a
    transaction that statement is its own, so the lock is held only while the database works (it
    was held over four round trips, and every page waited for it); more than ``_ROWS_PER_INSERT``
    entries are appended in one transaction. One array per column, as ``record_many``'s INSERT had."""
    columns: list[list] = [[] for _ in range(10)]
    last_at = at_iso = None
    for e in events:
        if e.at is not last_at:
            last_at, at_iso = e.at, _iso(e.at)
        detail = scrub(e.detail)
        obj_id = str(e.object_id or "")
        fields = (e.at, e.actor, e.actor_id, e.action, e.person_id, e.object_type, obj_id, detail, e.source)
        for column, value in zip(columns, fields):
            column.append(value)
        columns[9].append(
            _payload(at_iso, e.actor, e.actor_id, e.action, e.person_id, e.object_type, obj_id, detail, e.source)
        )
    n = len(columns[9])
    if not n:
        return 0
    chunks = range(0, n, _ROWS_PER_INSERT)
    with transaction.atomic() if len(chunks) > 1 else contextlib.nullcontext(), connection.cursor() as cur:
        for start in chunks:
            cur.execute(_APPEND, [column[start : start + _ROWS_PER_INSERT] for column in columns])
    return n


def record(actor: str, action: str, **kwargs) -> None:
    record_many([Event(actor=actor, action=action, **kwargs)])


def actor_of(user) -> tuple[str, int | None]:
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous", None
    return user.get_username(), user.pk


def record_for_user(user, action: str, source: str = "", **kwargs) -> None:
    actor, actor_id = actor_of(user)
    record(actor, action, actor_id=actor_id, source=source, **kwargs)


@dataclass
class VerifyResult:
    checked: int
    problems: list[str]
    started_after_purge: bool = False
    head: str = GENESIS  # hash of the newest entry: record it outside the database
    anchors_checked: int = 0  # external anchors whose entry was found with the anchored hash
    anchors_purged: int = 0  # anchors older than the last retention purge (their entries are gone)

    @property
    def ok(self) -> bool:
        return not self.problems


def iter_entries(**filters) -> Iterator[AccessLogEntry]:
    return AccessLogEntry.objects.filter(**filters).order_by("id").iterator(chunk_size=5000)


@dataclass(frozen=True)
class ExternalAnchor:
    """The chain's head written outside the database (``pestrack audit anchor``): the newest entry's
    id and hash, how many entries the log had, and when; ``entry_at``: the newest entry's own time
    (empty in anchors written before it was recorded, and for an empty log)."""

    entry_id: int
    hash: str
    count: int
    at: str
    entry_at: str = ""

    def line(self) -> str:
        return json.dumps(
            {
                "entry_id": self.entry_id,
                "hash": self.hash,
                "count": self.count,
                "at": self.at,
                "entry_at": self.entry_at,
            }
        )

    def purgeable(self, now: datetime) -> bool:
        """Whether a retention purge may have removed the anchored entry by ``now``: it removes only
        entries older than the floor (``MIN_ACCESS_LOG_YEARS``, whatever the profile says). Without
        ``entry_at`` the anchor's own time stands for it (the entry is no younger than its anchor)."""
        when = _aware_time(self.entry_at or self.at)
        try:
            floor = now.replace(year=now.year - MIN_ACCESS_LOG_YEARS)
        except ValueError:  # 29 February
            floor = now.replace(year=now.year - MIN_ACCESS_LOG_YEARS, day=28)
        return when < floor


def _aware_time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def external_anchor() -> ExternalAnchor:
    """The current head of the chain, to be written outside the database."""
    last = AccessLogEntry.objects.order_by("-id").values("id", "hash", "at").first()
    return ExternalAnchor(
        last["id"] if last else 0,
        last["hash"] if last else GENESIS,
        AccessLogEntry.objects.count(),
        timezone.now().isoformat(timespec="seconds"),
        last["at"].isoformat(timespec="seconds") if last else "",
    )


def read_anchors(path) -> list[ExternalAnchor]:
    """The anchors of a file written by ``pestrack audit anchor`` (one JSON object a line; a syslog
    line holding one is read too). ValueError names a line that is not an anchor."""
    anchors = []
    with open(path, encoding="utf-8") as f:
        for n, text in enumerate(f, start=1):
            if not text.strip():
                continue
            try:
                data = json.loads(text[text.index("{") :])
                anchor = ExternalAnchor(
                    int(data["entry_id"]),
                    str(data["hash"]),
                    int(data["count"]),
                    str(data["at"]),
                    str(data.get("entry_at") or ""),
                )
                for time in (anchor.at, anchor.entry_at):
                    if time:
                        _aware_time(time)
                anchors.append(anchor)
            except (ValueError, KeyError, TypeError):
                raise ValueError(f"{path}, line {n}: not an access-log anchor") from None
    return anchors


def verify(expected_head: str | None = None, anchors: Iterable[ExternalAnchor] = ()) -> VerifyResult:
    """Recompute the chain. A changed entry breaks its own hash; a removed one breaks the next link.

    Removing the newest entries leaves a valid, shorter chain: only a head hash recorded earlier
    (``expected_head``) reveals that, since it must still be in the chain.

    Someone who may write the table (a PostgreSQL superuser, the table's owner, anyone with the
    SQLite file) can change entries and recompute every hash after them: the chain is then valid
    again. ``anchors`` written outside the database catch that: the entry of each anchor must still
    have the anchored hash, and since each hash covers every entry before it, no entry up to it
    has changed.
    """
    wanted = {}
    for a in anchors:
        wanted.setdefault(a.entry_id, []).append(a)
    anchor = AuditAnchor.objects.order_by("-last_removed_id").first()
    problems: list[str] = []
    prev: str | None = None
    checked = anchors_checked = 0
    after_purge = False
    head_seen = expected_head is None
    for e in iter_entries():
        expected = _entry_hash(
            e.prev_hash,
            _iso(e.at),
            e.actor,
            e.actor_id,
            e.action,
            e.person_id,
            e.object_type,
            e.object_id,
            e.detail,
            e.source,
        )
        if e.hash != expected:
            problems.append(f"entry {e.id}: content does not match its hash (altered)")
        if prev is None:
            if anchor is not None and e.id <= anchor.last_removed_id:
                problems.append(
                    f"entry {e.id}: should have been removed by the retention purge up to entry "
                    f"{anchor.last_removed_id} (the log was restored or altered)"
                )
            elif e.prev_hash == GENESIS and anchor is None:
                pass
            elif anchor is not None and e.prev_hash == anchor.last_removed_hash:
                after_purge = True
            else:
                problems.append(f"entry {e.id}: the entries before it are missing (removed without a retention purge)")
        elif e.prev_hash != prev:
            problems.append(f"entry {e.id}: does not follow the entry before it (an entry was removed or altered)")
        head_seen = head_seen or e.hash == expected_head
        for a in wanted.pop(e.id, []):
            if a.hash == e.hash:
                anchors_checked += 1
            else:
                problems.append(
                    f"entry {e.id}: its hash is not the one anchored at {a.at} (the log up to it was rewritten)"
                )
        prev = e.hash
        checked += 1
    head = prev or (anchor.last_removed_hash if anchor else GENESIS)
    if not head_seen and expected_head != head:
        problems.append(
            f"the recorded head {expected_head} is not in the log: newer entries were removed "
            "(or it is older than the last retention purge)"
        )
    purged = 0
    now = timezone.now()
    for entry_id, missing in sorted(wanted.items()):
        for a in missing:
            if entry_id == 0 and a.hash == GENESIS:
                anchors_checked += 1  # anchored while the log was empty
            elif anchor is not None and entry_id <= anchor.last_removed_id and a.purgeable(now):
                purged += 1  # removed by a retention purge (itself logged and anchored in the database)
            elif anchor is not None and entry_id <= anchor.last_removed_id:
                # The purge's anchor is in the database, which whoever cut the log may also write.
                problems.append(
                    f"entry {entry_id}, anchored at {a.at}, is not in the log: a retention purge removes no entry "
                    f"younger than {MIN_ACCESS_LOG_YEARS} years (the log was cut and a purge feigned)"
                )
            else:
                problems.append(f"entry {entry_id}, anchored at {a.at}, is not in the log (removed)")
    return VerifyResult(checked, problems, after_purge, head, anchors_checked, purged)


@dataclass
class PurgeResult:
    removed: int
    last_removed_id: int | None
    cutoff: datetime


def purge_before(cutoff: datetime, actor: str, *, dry_run: bool = False) -> PurgeResult:
    """Remove, in id order, the leading entries older than ``cutoff`` (log retention).

    An AuditAnchor keeps the hash of the last removed entry so that ``verify`` accepts the chain
    that now starts after it, and the purge itself is logged. Entries are removed only as a
    prefix: an old entry behind a younger one stays until the younger one is old enough.
    """
    with transaction.atomic():
        _lock_and_head()
        first_young = AccessLogEntry.objects.filter(at__gte=cutoff).order_by("id").values_list("id", flat=True).first()
        doomed = AccessLogEntry.objects.all()
        if first_young is not None:
            doomed = doomed.filter(id__lt=first_young)
        last = doomed.order_by("-id").values("id", "hash").first()
        if last is None:
            return PurgeResult(0, None, cutoff)
        count = doomed.count()
        if dry_run:
            return PurgeResult(count, last["id"], cutoff)
        AuditAnchor.objects.create(last_removed_id=last["id"], last_removed_hash=last["hash"], removed_count=count)
        AccessLogEntry.objects.filter(id__lte=last["id"]).delete()
        record(
            actor,
            "purge",
            object_type="access_log",
            source="cli",
            detail=f"removed {count} entries up to entry {last['id']} (older than {cutoff.isoformat()})",
        )
    return PurgeResult(count, last["id"], cutoff)
