"""The responsible caseworker of an enrolment, and its second caseworker: who may change them, to
whom, and the history of each change.

- Every open enrolment has a responsible caseworker (set at enrolment) and optionally a second.
- A caseworker is eligible for an enrolment when one of their caseworker assignments covers the
  enrolment's unit (the unit that runs it, or a unit above it). A district that referred the
  person reads the enrolment but does not run it, so its caseworkers are not eligible.
- A unit manager reassigns the enrolments of their units; a caseworker reassigns those of their
  own units (to a colleague, or to themself). Anyone else is refused (403, logged).
- Each change needs a reason; it is kept as a ``CaseworkerChange`` and written to the access log.
- Only open enrolments are reassigned: an ended enrolment keeps who was responsible for it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from pestrack.records import access
from pestrack.records.audit import log
from pestrack.records.casework.models import CaseworkerChange, Enrolment
from pestrack.records.casework.rules import Violation
from pestrack.records.org.models import OrgUnit, Role

RESPONSIBLE = CaseworkerChange.Role.RESPONSIBLE
SECOND = CaseworkerChange.Role.SECOND
FIELD = {RESPONSIBLE: "caseworker", SECOND: "second_caseworker"}
REASON_MAX = 500


class ReassignmentRefused(Exception):
    """A reassignment that breaks a rule; ``violations`` name the field and the reason."""

    def __init__(self, violations: list[Violation]):
        super().__init__("; ".join(str(v.message) for v in violations))
        self.violations = violations


def user_label(user) -> str:
    """How a caseworker is named on pages and in exports: full name, else user name."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _ancestor_paths(path: str) -> list[str]:
    """ "/a/b/c/" → ["/a/", "/a/b/", "/a/b/c/"]: the paths of a unit and every unit above it."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def caseworkers_for_unit(unit: OrgUnit) -> QuerySet:
    """The active users with a caseworker assignment at ``unit`` or a unit above it."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True, assignments__role=Role.CASEWORKER, assignments__unit__path__in=_ancestor_paths(unit.path)
        )
        .distinct()
        .order_by("username")
    )


def caseworkers_under(paths: Iterable[str]) -> QuerySet:
    """The active caseworkers assigned to a unit under one of ``paths`` (a manager's team)."""
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(path__startswith=p)
    return (
        get_user_model()
        .objects.filter(
            is_active=True, assignments__role=Role.CASEWORKER, assignments__unit__in=OrgUnit.objects.filter(q)
        )
        .distinct()
        .order_by("username")
    )


def all_caseworkers() -> QuerySet:
    """Every active caseworker (to offer on a form; ``is_eligible`` decides for a unit)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, assignments__role=Role.CASEWORKER)
        .distinct()
        .order_by("username")
    )


def check_at_enrolment(unit: OrgUnit | None, caseworker, second) -> list[Violation]:
    """The caseworkers chosen when enrolling at ``unit`` (none yet: the unit's manager assigns one)."""
    out = []
    if unit is None:
        return out
    if caseworker is not None and not is_eligible(caseworker, unit):
        out.append(
            Violation(
                "caseworker",
                _("%(user)s is not a caseworker at %(unit)s.") % {"user": user_label(caseworker), "unit": unit.name},
            )
        )
    if second is not None:
        if caseworker is not None and second.pk == caseworker.pk:
            out.append(Violation("second_caseworker", _("The second caseworker must be another caseworker.")))
        elif not is_eligible(second, unit):
            out.append(
                Violation(
                    "second_caseworker",
                    _("%(user)s is not a caseworker at %(unit)s.") % {"user": user_label(second), "unit": unit.name},
                )
            )
    return out


def is_eligible(user, unit: OrgUnit) -> bool:
    """Whether ``user`` may be responsible (or second) for an enrolment at ``unit``."""
    return caseworkers_for_unit(unit).filter(pk=user.pk).exists()


def _covering_paths(user, roles) -> list[str]:
    return sorted({a.unit.path for a in access.user_assignments(user) if a.role in roles})


def managed_paths(user) -> list[str]:
    """The unit paths of the user's unit-manager assignments."""
    return _covering_paths(user, (Role.UNIT_MANAGER,))


def managed_open_enrolments(user):
    """The open enrolments run by the units the user manages (and those below them)."""
    paths = managed_paths(user)
    if not paths:
        return Enrolment.objects.none()
    return Enrolment.objects.filter(end_date__isnull=True, org_unit_id__in=access._unit_ids(paths, user))


def may_reassign(user, enrolment: Enrolment) -> bool:
    """A unit manager of, or a caseworker at, the enrolment's unit (or a unit above it)."""
    paths = _covering_paths(user, (Role.UNIT_MANAGER, Role.CASEWORKER))
    return any(enrolment.org_unit.path.startswith(p) for p in paths)


def check(enrolments: list[Enrolment], role: str, to_user, reason: str) -> list[Violation]:
    """The rule violations of moving ``role`` of ``enrolments`` to ``to_user`` (None: remove a second)."""
    out = []
    if role not in FIELD:
        out.append(Violation("role", _("Choose the responsible or the second caseworker.")))
        return out
    if not enrolments:
        out.append(Violation("enrolments", _("Select at least one enrolment.")))
    if not (reason or "").strip():
        out.append(Violation("reason", _("Give the reason for the change.")))
    elif len(reason) > REASON_MAX:
        out.append(Violation("reason", _("The reason is longer than %(n)s characters.") % {"n": REASON_MAX}))
    if to_user is None and role == RESPONSIBLE:
        out.append(Violation("to_user", _("An open enrolment must have a responsible caseworker.")))
    for e in enrolments:
        if e.end_date is not None:
            out.append(
                Violation(
                    "enrolments", _("Enrolment %(id)s has ended: its caseworkers are not changed.") % {"id": e.pk}
                )
            )
        elif to_user is not None and not is_eligible(to_user, e.org_unit):
            out.append(
                Violation(
                    "to_user",
                    _("%(user)s is not a caseworker at %(unit)s.")
                    % {"user": user_label(to_user), "unit": e.org_unit.name},
                )
            )
        elif role == SECOND and to_user is not None and e.caseworker_id == to_user.pk:
            out.append(
                Violation(
                    "to_user",
                    _("%(user)s is already the responsible caseworker of enrolment %(id)s.")
                    % {"user": user_label(to_user), "id": e.pk},
                )
            )
        elif role == RESPONSIBLE and to_user is not None and e.second_caseworker_id == to_user.pk:
            out.append(
                Violation(
                    "to_user",
                    _("%(user)s is the second caseworker of enrolment %(id)s: remove them as second first.")
                    % {"user": user_label(to_user), "id": e.pk},
                )
            )
    # one message per rule and user is enough when many enrolments share it
    seen, unique = set(), []
    for v in out:
        if (v.field, str(v.message)) not in seen:
            seen.add((v.field, str(v.message)))
            unique.append(v)
    return unique


def reassign(
    by, enrolment_ids: Iterable[int], role: str, to_user, reason: str, *, source: str = ""
) -> list[CaseworkerChange]:
    """Make ``to_user`` the ``role`` caseworker of the enrolments, all or none.

    Refused with 403 (logged) if ``by`` may not reassign every one of them; with
    ``ReassignmentRefused`` if a rule is broken. An enrolment whose caseworker already is
    ``to_user`` is left as it is (no change is recorded). Returns the changes made."""
    ids = sorted({int(i) for i in enrolment_ids})
    # who may is decided (and a refusal logged) before the transaction, which a refusal would undo
    for e in Enrolment.objects.filter(pk__in=ids).select_related("org_unit"):
        if not may_reassign(by, e):
            access.deny(by, e.person_id, action="update", what="responsible caseworker", source=source)
    with transaction.atomic():
        enrolments = list(
            Enrolment.objects.filter(pk__in=ids)
            .select_related("org_unit")
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        if len(enrolments) != len(ids):
            raise ReassignmentRefused([Violation("enrolments", _("No such enrolment."))])
        if not all(may_reassign(by, e) for e in enrolments):  # moved to another unit meanwhile
            raise PermissionDenied(_("You do not have access to this person."))
        violations = check(enrolments, role, to_user, reason)
        if violations:
            raise ReassignmentRefused(violations)
        field = FIELD[role]
        to_id = to_user.pk if to_user is not None else None
        changed = [e for e in enrolments if getattr(e, f"{field}_id") != to_id]
        changes = [
            CaseworkerChange(
                enrolment=e,
                role=role,
                from_user_id=getattr(e, f"{field}_id"),
                to_user=to_user,
                changed_by=by,
                reason=reason.strip(),
            )
            for e in changed
        ]
        CaseworkerChange.objects.bulk_create(changes)
        # one UPDATE for all: the caseworker is not an activity, so last_activity stays as it is
        Enrolment.objects.filter(pk__in=[e.pk for e in changed]).update(**{field: to_user})
        actor, actor_id = log.actor_of(by)
        names = dict(
            get_user_model().objects.filter(pk__in={c.from_user_id for c in changes}).values_list("pk", "username")
        )
        to_name = to_user.get_username() if to_user else "none"
        log.record_many(
            log.Event(
                actor=actor,
                actor_id=actor_id,
                action="update",
                person_id=e.person_id,
                object_type="responsible caseworker" if role == RESPONSIBLE else "second caseworker",
                object_id=str(e.pk),
                source=source,
                detail=f"{names.get(c.from_user_id, 'none')} -> {to_name}",
            )
            for e, c in zip(changed, changes)
        )
    return changes


def history(enrolment_ids: Iterable[int]) -> dict[int, list[CaseworkerChange]]:
    """Enrolment id → its caseworker changes, newest first (one query)."""
    out: dict[int, list[CaseworkerChange]] = {}
    for c in CaseworkerChange.objects.filter(enrolment_id__in=list(enrolment_ids)).select_related(
        "from_user", "to_user", "changed_by"
    ):
        out.setdefault(c.enrolment_id, []).append(c)
    return out


def responsible_for(user, enrolments: QuerySet) -> QuerySet:
    """Those of ``enrolments`` the user is the responsible or the second caseworker of."""
    return enrolments.filter(Q(caseworker=user) | Q(second_caseworker=user))


def is_team_of(manager, caseworker) -> bool:
    """Whether ``caseworker`` is a caseworker of a unit ``manager`` manages."""
    paths = managed_paths(manager)
    return bool(paths) and caseworkers_under(paths).filter(pk=caseworker.pk).exists()
