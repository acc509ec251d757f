"""Fulfilment: is an indicator's target met, partly met or not met, and what status does that suggest
for a goal. The rules are documented in docs/reports.md ("Fulfilment").
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from pestrack.indicators.goals import Goal, Goals

MET, PARTLY, NOT_MET = "met", "partly", "not_met"
ACTIVITY_EVIDENCE = {"done": MET, "deviation": PARTLY}


def rounded(value: float, precision: int) -> float:
    """``value`` at the printed precision, halves away from zero (as the report prints it)."""
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP))


def indicator_fulfilment(
    value: float | None, direction: str, target, tolerance: float, band: tuple[float, float] | None = None
) -> str | None:
    """met / partly / not_met for an outcome (at its printed precision) against its own target.

    higher: met at or above the target; partly met when short of it by at most ``tolerance`` × target.
    lower: the same, mirrored. band (centre, half-width): met within the band; partly met within the
    band widened by ``tolerance`` × max(|centre|, half-width). None when there is no outcome, or no
    numeric target (and no band).
    """
    if value is None:
        return None
    if direction == "band":
        if band is None:
            return None
        centre, half = band
        off = abs(value - centre)
        if off <= half:
            return MET
        return PARTLY if off <= half + tolerance * max(abs(centre), half) else NOT_MET
    if not isinstance(target, (int, float)) or isinstance(target, bool):
        return None
    gap = value - target if direction == "higher" else target - value
    if gap >= 0:
        return MET
    return PARTLY if -gap <= tolerance * abs(target) + 1e-9 else NOT_MET


def combine(evidence: list[str]) -> str | None:
    """All met → met; all not met → not met; a mix (or any partly met) → partly; nothing → None."""
    if not evidence:
        return None
    if all(e == MET for e in evidence):
        return MET
    if all(e == NOT_MET for e in evidence):
        return NOT_MET
    return PARTLY


def goal_statuses(goals: Goals, indicator_status: dict[str, str | None], year: int) -> dict[str, dict]:
    """Per goal id: ``suggested`` (from its indicators, activities and sub-goals), the analyst's
    ``assessment`` for ``year`` if any, and ``status`` (the assessment's status if given, else the
    suggestion). ``indicator_status`` maps an indicator id to its fulfilment."""
    out: dict[str, dict] = {}

    def visit(goal: Goal) -> str | None:
        if goal.id in out:
            return out[goal.id]["status"]
        evidence = [indicator_status.get(r.id) for r in goal.indicators if r.id]
        evidence += [ACTIVITY_EVIDENCE.get(a.status) for a in goal.activities if a.status]
        evidence += [visit(child) for child in goals.children(goal.id)]
        suggested = combine([e for e in evidence if e])
        assessment = goal.assessment.get(year)
        out[goal.id] = {
            "suggested": suggested,
            "assessment": assessment,
            "status": assessment.status if assessment else suggested,
        }
        return out[goal.id]["status"]

    for g in goals.goals:
        visit(g)
    return out


CITY_ONLY = "city_only"  # scoped_target: only a whole-organisation target exists; the value is not compared


def scoped_target(targets: dict, units: list[str] | None) -> tuple[float | str | None, str | None]:
    """(target, reason) for a value computed for ``units`` (organisation unit paths; None: all).
    All units: the own target. A subset: the target set for exactly that unit (``targets.units``,
    keyed by unit code); a city-wide target is never compared with a part's value, so without a
    unit target the result is (None, CITY_ONLY) when a city-wide one exists."""
    if units is None:
        return targets.get("own"), None
    codes = {u.strip("/").split("/")[-1] for u in units}
    by_unit = targets.get("units") or {}
    if len(codes) == 1 and next(iter(codes)) in by_unit:
        return by_unit[next(iter(codes))], None
    return None, CITY_ONLY if targets.get("own") is not None else None
