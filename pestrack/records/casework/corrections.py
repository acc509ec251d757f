"""Corrections and withdrawals (makulering) of casework entries.

An entry (a decision, an assessment, a plan, a measure, an exit, a follow-up) is never deleted
and never silently overwritten: a correction saves the new values after the same business rules
as a new entry (the forms' ``casework.rules`` checks) and keeps the previous values with the
reason in a ``Correction`` row; a withdrawal marks the entry withdrawn, with who, when and why.
Every figure reads the current version only: the entry's own row, withdrawn rows left out
(``Model.objects.current()``). A decision and an exit are fields of the enrolment: withdrawing
them empties those fields (an exit withdrawn reopens the enrolment).

The caller decides access (records.access) and writes the access log; these functions keep the
records consistent, in one transaction with the row locked, and refuse with ``Refused``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pestrack.records.casework import rules
from pestrack.records.casework.models import (
    Assessment,
    Correction,
    Enrolment,
    FollowUp,
    Participation,
    Plan,
    Withdrawable,
)
from pestrack.records.codes.profile import home_municipality

R = Correction.Record
MODELS = {
    R.DECISION: Enrolment,
    R.EXIT: Enrolment,
    R.ASSESSMENT: Assessment,
    R.PLAN: Plan,
    R.PARTICIPATION: Participation,
    R.FOLLOWUP: FollowUp,
}
# The enrolment's fields that make up its decision and its exit.
ENROLMENT_PARTS = {R.DECISION: ("decision_reference", "decision_date"), R.EXIT: ("end_date", "exit_reason")}
# The fields of an entry that a correction may change (and a withdrawal keeps in its history).
FIELDS = {
    **ENROLMENT_PARTS,
    R.ASSESSMENT: ("instrument", "date", "score"),
    R.PLAN: ("date", "goals", "steps", "participant_view", "participant_involved"),
    R.PARTICIPATION: ("measure", "provider_type", "provider_name", "start_date", "end_date"),
    R.FOLLOWUP: ("months", "reference_date", "working", "studying", "self_sufficient", "source"),
}
MAX_REASON = 1000


class Refused(Exception):
    """A correction or withdrawal that may not be made; ``violations`` name the field and why."""

    def __init__(self, violations: list[rules.Violation]):
        super().__init__("; ".join(v.message for v in violations))
        self.violations = violations


def _refuse(field: str, message: str):
    raise Refused([rules.Violation(field, message)])


def record_type_of(obj) -> str:
    return {Assessment: R.ASSESSMENT, Plan: R.PLAN, Participation: R.PARTICIPATION, FollowUp: R.FOLLOWUP}[type(obj)]


def current_entry(record_type: str, record_id: int, *, lock: bool = False):
    """The entry to correct or withdraw, or ``Refused`` when it no longer exists, is already
    withdrawn, or (a decision, an exit) is not recorded on the enrolment."""
    if record_type not in MODELS:
        _refuse("record", _("No such kind of entry."))
    qs = MODELS[record_type].objects.all()
    if lock:
        qs = qs.select_for_update(of=("self",))
    obj = qs.filter(pk=record_id).first()
    if obj is None:
        _refuse("record", _("The entry no longer exists."))
    if isinstance(obj, Withdrawable) and obj.is_withdrawn:
        _refuse("record", _("The entry is already withdrawn."))
    if record_type == R.DECISION and not (obj.decision_reference or obj.decision_date):
        _refuse("record", _("The enrolment has no decision recorded."))
    if record_type == R.EXIT and obj.end_date is None:
        _refuse("record", _("The enrolment has no exit recorded."))
    return obj


def _json(value):
    if isinstance(value, models.Model):
        return getattr(value, "code", None) or value.pk  # a code list value by its code
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 7.00 as read, 7 as typed: the same score
    if isinstance(value, str):
        return value.replace("\r\n", "\n")  # a browser sends a text area's lines with CRLF
    return value


def snapshot(obj, record_type: str) -> dict:
    """The entry's correctable fields as JSON values (a code by its code, a date in ISO form)."""
    return {name: _json(getattr(obj, name)) for name in FIELDS[record_type]}


def enrolment_of(obj) -> Enrolment:
    return obj if isinstance(obj, Enrolment) else obj.enrolment


def record_correction(record_type: str, obj, before: dict, reason: str, user) -> Correction:
    """Keep the history of a correction just saved: the changed fields' values before (``before``:
    the ``snapshot`` taken before the form changed ``obj``) and after. Refused when nothing changed
    or without a reason."""
    reason = _check_reason(reason)
    after = snapshot(obj, record_type)
    changed = [k for k in after if after[k] != before.get(k)]
    if not changed:
        _refuse("record", _("Nothing was changed."))
    return Correction.objects.create(
        enrolment=enrolment_of(obj),
        record_type=record_type,
        record_id=obj.pk,
        kind=Correction.Kind.CORRECTION,
        previous={k: before.get(k) for k in changed},
        new={k: after[k] for k in changed},
        reason=reason,
        user=user,
        username=user.get_username() if user else "",
    )


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        _refuse("reason", _("Give the reason."))
    if len(reason) > MAX_REASON:
        _refuse("reason", _("The reason is longer than %(n)s characters.") % {"n": MAX_REASON})
    return reason


def withdrawal_violations(record_type: str, obj, today: dt.date | None = None) -> list[rules.Violation]:
    """What forbids withdrawing the entry: an exit whose enrolment has follow-ups, or whose person
    has another open enrolment in the programme; a decision the enrolment requires."""
    if record_type == R.EXIT:
        if obj.followups.current().exists():
            return [rules.Violation("record", _("The enrolment has follow-ups after the exit: withdraw them first."))]
        return rules.check_open_enrolment_unique(obj.person_id, obj.programme, obj.start_date, None, exclude_pk=obj.pk)
    if record_type == R.DECISION:
        person = obj.person
        return [
            v
            for v in rules.check_enrolment(
                birth_date=person.birth_date,
                municipality=person.municipality,
                home_municipality=home_municipality(),
                target_group=obj.target_group,
                entry_route=obj.entry_route,
                start_date=obj.start_date,
                end_date=obj.end_date,
                exit_reason=obj.exit_reason,
                decision_reference="",
                decision_date=None,
                today=today or max(timezone.localdate(), obj.start_date),
            )
            if v.field == "decision_reference"
        ]
    return []


def withdraw(record_type: str, record_id: int, reason: str, user) -> Correction:
    """Withdraw an entry (never delete it), keeping its values and the reason in a ``Correction``."""
    reason = _check_reason(reason)
    with transaction.atomic():
        obj = current_entry(record_type, record_id, lock=True)
        violations = withdrawal_violations(record_type, obj)
        if violations:
            raise Refused(violations)
        before = snapshot(obj, record_type)
        if record_type in ENROLMENT_PARTS:
            for name in ENROLMENT_PARTS[record_type]:
                setattr(obj, name, "" if name == "decision_reference" else None)
            obj.save(update_fields=[*ENROLMENT_PARTS[record_type], "updated_at"])
        else:
            obj.withdrawn_at, obj.withdrawn_by, obj.withdrawal_reason = timezone.now(), user, reason
            obj.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        return Correction.objects.create(
            enrolment=enrolment_of(obj),
            record_type=record_type,
            record_id=obj.pk,
            kind=Correction.Kind.WITHDRAWAL,
            previous=before,
            new={},
            reason=reason,
            user=user,
            username=user.get_username() if user else "",
        )
