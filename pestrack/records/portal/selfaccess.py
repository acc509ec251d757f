"""A participant's access to their own record: logged as self-access, and the list of who (which
units, and by profile setting which staff) has read the record."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from pestrack.records.audit import log
from pestrack.records.audit.models import AccessLogEntry
from pestrack.records.org.models import Assignment
from pestrack.records.portal.signin import actor

SELF_ACCESS = "self-access"
# The access log's actions that mean staff looked at or worked on the record.
READ_ACTIONS = ("read", "update", "create", "export", "search")


def record(
    person_id: int, what: str, *, action: str = "read", object_id="", source: str = "", detail: str = ""
) -> None:
    """Log that the participant read (or wrote) ``what`` of their own record."""
    log.record(
        actor(person_id),
        action,
        person_id=person_id,
        object_type=what,
        object_id=str(object_id or ""),
        detail=f"{SELF_ACCESS}{': ' + detail if detail else ''}",
        source=source,
    )


def show_staff_names() -> bool:
    """Whether the participant sees the names of the staff who read their record (profile setting
    ``portal.show_staff_names``; off unless the profile turns it on)."""
    from pestrack.records.codes.models import ProfileSetting

    return bool((ProfileSetting.get("portal") or {}).get("show_staff_names", False))


def readers(person_id: int, limit: int = 200) -> list[dict]:
    """Staff reads of the record, newest first: {"at", "units": [names], "staff": name or ""}; the
    participant's own accesses, and entries of lists (``shown in a list``), are left out."""
    entries = list(
        AccessLogEntry.objects.filter(person_id=person_id, action__in=READ_ACTIONS, actor_id__isnull=False)
        .exclude(detail=log.LISTED)
        .order_by("-id")
        .values("at", "actor_id")[:limit]
    )
    ids = {e["actor_id"] for e in entries}
    units: dict[int, set[str]] = {}
    for user_id, name in Assignment.objects.filter(user_id__in=ids).values_list("user_id", "unit__name"):
        units.setdefault(user_id, set()).add(name)
    names = {}
    if show_staff_names():
        names = {u.pk: u.get_full_name() or u.get_username() for u in get_user_model().objects.filter(pk__in=ids)}
    return [
        {"at": e["at"], "units": sorted(units.get(e["actor_id"], ())), "staff": names.get(e["actor_id"], "")}
        for e in entries
    ]
