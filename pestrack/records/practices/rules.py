"""Who may see and change a unit's practice self-assessment, and the one way it is changed.

- Unit managers and analysts read and change the self-assessments of the units of their
  assignments and the units below them (the organisation-unit rule of every record).
- Caseworkers, employer-relations staff, data protection officers and administrators do not.
- Every change is written to the access log (what: practice assessment; which practice, unit and
  status), and so is every refusal.

The practice id is checked against the catalogue by the caller (the catalogue is profile data read
by pestrack.benchlearning, a later layer)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pestrack.records import access
from pestrack.records.audit import log
from pestrack.records.codes.models import Code
from pestrack.records.org.models import OrgUnit, Role
from pestrack.records.practices.models import PracticeAssessment, Status

ROLES = (Role.UNIT_MANAGER, Role.ANALYST)
WHAT = "practice assessment"


def may_use(user) -> bool:
    return access.has_role(user, *ROLES)


def units_for(user) -> QuerySet[OrgUnit]:
    """The units whose self-assessment ``user`` reads and changes, the top ones first."""
    paths = sorted({a.unit.path for a in access.user_assignments(user) if a.role in ROLES})
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(path__startswith=p)
    return OrgUnit.objects.filter(q).order_by("path")


def default_unit(user) -> OrgUnit | None:
    """The PES as this user sees it: the highest unit of their manager or analyst assignments."""
    units = [a.unit for a in access.user_assignments(user) if a.role in ROLES]
    return min(units, key=lambda u: (u.path.count("/"), u.path)) if units else None


def require(user, unit: OrgUnit | None = None, *, action: str = "read", source: str = "") -> None:
    """Refuse (403, logged) a user who may not read or change ``unit``'s self-assessment."""
    allowed = may_use(user) and (unit is None or units_for(user).filter(pk=unit.pk).exists())
    if not allowed:
        log.record_for_user(
            user,
            "denied",
            source=source,
            object_type=WHAT,
            object_id=unit.code if unit else "",
            detail=f"refused {action}",
        )
        raise PermissionDenied(_("Only unit managers and analysts of the unit assess its practices."))


def assessments_of(unit: OrgUnit) -> dict[str, PracticeAssessment]:
    """Practice id -> the unit's assessment of it, measures prefetched."""
    rows = PracticeAssessment.objects.filter(org_unit=unit).prefetch_related("measures").select_related("updated_by")
    return {a.practice: a for a in rows}


@dataclass(frozen=True)
class Change:
    practice: str
    status: str
    notes: str = ""
    measures: tuple[str, ...] = ()


def measure_codes(codes) -> list[Code]:
    """The measure codes (list ``measure``) named, or ValidationError naming the unknown ones."""
    wanted = list(dict.fromkeys(codes))
    found = {c.code: c for c in Code.objects.filter(list="measure", code__in=wanted)}
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise ValidationError(_("Unknown measure: %(codes)s") % {"codes": ", ".join(unknown)})
    return [found[c] for c in wanted]


def save(user, unit: OrgUnit, changes: list[Change], *, source: str = "") -> int:
    """Write the changes to ``unit``'s self-assessment in one transaction, each logged; all or none.
    Returns how many assessments were written. ``user`` None is the server's operator at the command
    line (``pestrack practices import``), logged as ``cli:NAME`` like every command's writes."""
    if user is not None:
        require(user, unit, action="write", source=source)
    checked = []
    for c in changes:
        if c.status not in Status.values:
            raise ValidationError(_("Unknown status: %(status)s") % {"status": c.status})
        checked.append((c, measure_codes(c.measures)))
    now = timezone.now()
    actor, actor_id = log.actor_of(user) if user is not None else (log.cli_actor(), None)
    with transaction.atomic():
        for c, measures in checked:
            row, _created = PracticeAssessment.objects.update_or_create(
                org_unit=unit,
                practice=c.practice,
                defaults={"status": c.status, "notes": c.notes, "updated_by": user, "updated_at": now},
            )
            row.measures.set(measures)
        log.record_many(
            log.Event(
                actor=actor,
                actor_id=actor_id,
                action="write",
                object_type=WHAT,
                object_id=c.practice,
                detail=f"unit={unit.code} status={c.status} measures={','.join(c.measures)}",
                source=source,
            )
            for c, _m in checked
        )
    return len(checked)
