"""Writing to and checking the access log. Every read and write of a person's record goes through
``record`` (one entry) or ``record_many`` (bulk, e.g. an import)."""
from __future__ import annotations

import getpass
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from pestrack.records.audit.models import AccessLogEntry, AuditAnchor

GENESIS = "0" * 64
_PG_LOCK_KEY = 774_411_2023  # advisory lock that serialises appends to the chain

# 10 or 12 digits with an optional separator: anything that looks like an identity number.
_PIN_RE = re.compile(r"(?<!\d)(?:\d{2})?\d{6}[-+]?\d{4}(?!\d)")


def scrub(text: str) -> str:
    """Replace anything that looks like an identity number, so none is ever logged in clear."""
    return _PIN_RE.sub("[identity number]", text or "")


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in a bare container
        return "cli"


def _entry_hash(prev: str, at: datetime, actor: str, actor_id, action: str, person_id, object_type: str,
                object_id: str, detail: str, source: str) -> str:
    payload = "\x1f".join(
        [prev, at.astimezone(timezone.utc).isoformat(timespec="microseconds"), actor, str(actor_id or ""), action,
         str(person_id or ""), object_type, object_id, detail, source]
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _lock_and_head() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
    last = AccessLogEntry.objects.order_by("-id").values_list("hash", flat=True).first()
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


def record_many(events: Iterable[Event]) -> int:
    """Append events to the chain in one transaction; returns how many were written."""
    n = 0
    with transaction.atomic():
        prev = _lock_and_head()
        batch: list[AccessLogEntry] = []
        for e in events:
            detail = scrub(e.detail)
            obj_id = str(e.object_id or "")
            h = _entry_hash(prev, e.at, e.actor, e.actor_id, e.action, e.person_id, e.object_type, obj_id, detail, e.source)
            batch.append(AccessLogEntry(
                at=e.at, actor=e.actor, actor_id=e.actor_id, action=e.action, person_id=e.person_id,
                object_type=e.object_type, object_id=obj_id, detail=detail, source=e.source, prev_hash=prev, hash=h,
            ))
            prev = h
            if len(batch) >= 5000:
                AccessLogEntry.objects.bulk_create(batch)
                n += len(batch)
                batch = []
        AccessLogEntry.objects.bulk_create(batch)
        n += len(batch)
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

    @property
    def ok(self) -> bool:
        return not self.problems


def iter_entries(**filters) -> Iterator[AccessLogEntry]:
    return AccessLogEntry.objects.filter(**filters).order_by("id").iterator(chunk_size=5000)


def verify() -> VerifyResult:
    """Recompute the chain. A changed entry breaks its own hash; a removed one breaks the next link."""
    anchors = set(AuditAnchor.objects.values_list("last_removed_hash", flat=True))
    problems: list[str] = []
    prev: str | None = None
    checked = 0
    after_purge = False
    for e in iter_entries():
        expected = _entry_hash(e.prev_hash, e.at, e.actor, e.actor_id, e.action, e.person_id, e.object_type,
                               e.object_id, e.detail, e.source)
        if e.hash != expected:
            problems.append(f"entry {e.id}: content does not match its hash (altered)")
        if prev is None:
            if e.prev_hash != GENESIS:
                if e.prev_hash in anchors:
                    after_purge = True
                else:
                    problems.append(f"entry {e.id}: the entries before it are missing (removed without a retention purge)")
        elif e.prev_hash != prev:
            problems.append(f"entry {e.id}: does not follow the entry before it (an entry was removed or altered)")
        prev = e.hash
        checked += 1
    return VerifyResult(checked, problems, after_purge)
