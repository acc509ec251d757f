"""The rules of profiling in casework: an estimate is stored once per model and enrolment and every
showing is logged; the caseworker's assessment needs a short reason when it departs from the
estimate. Nothing here writes any other record."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pestrack.records.audit import log
from pestrack.records.profiling.models import Estimate, Judgement

MIN_REASON = 10  # characters: "a short reason", more than a word


def estimate_for(user, enrolment, *, model_id, model_kind, probability, cutoff, inputs, reasons, source="web"):
    """The stored estimate of this model for the enrolment (made now if there is none), logged as
    shown to ``user``."""
    with transaction.atomic():
        estimate, created = Estimate.objects.get_or_create(
            enrolment=enrolment,
            model_id=model_id,
            defaults={
                "model_kind": model_kind,
                "probability": probability,
                "cutoff": cutoff,
                "suggests_intensive": probability >= cutoff,
                "inputs": inputs,
                "reasons": reasons,
                "created_by": user if getattr(user, "is_authenticated", False) else None,
            },
        )
        shown(user, estimate, source=source, created=created)
    return estimate


def shown(user, estimate: Estimate, *, source: str = "web", created: bool = False) -> None:
    log.record_for_user(
        user,
        "read",
        source=source,
        person_id=estimate.enrolment.person_id,
        object_type="profiling_estimate",
        object_id=str(estimate.pk),
        detail=f"profiling estimate {'made and ' if created else ''}shown (model {estimate.model_id}, "
        f"enrolment {estimate.enrolment_id})",
    )


def record_judgement(user, estimate: Estimate, *, intensive: bool, reason: str = "", source: str = "web") -> Judgement:
    """The caseworker's own assessment. A departure from the estimate's suggestion needs a reason."""
    reason = (reason or "").strip()
    follows = intensive == estimate.suggests_intensive
    if not follows and len(reason) < MIN_REASON:
        raise ValidationError(
            {
                "reason": _(
                    "Your assessment differs from the estimate: give a short reason (at least %(n)d characters)."
                )
                % {"n": MIN_REASON}
            }
        )
    with transaction.atomic():
        judgement = Judgement.objects.create(
            estimate=estimate, caseworker=user, intensive=intensive, follows=follows, reason=reason
        )
        log.record_for_user(
            user,
            "create",
            source=source,
            person_id=estimate.enrolment.person_id,
            object_type="profiling_judgement",
            object_id=str(judgement.pk),
            detail=f"assessment of profiling estimate {estimate.pk}: "
            f"{'follows' if follows else 'departs from'} the estimate",
        )
    return judgement


def latest_judgement(estimate: Estimate) -> Judgement | None:
    return estimate.judgements.first()
