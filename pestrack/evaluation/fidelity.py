"""Outcomes of a measure's participants by the IPS fidelity of their unit.

Each participant's enrolment is linked to the latest fidelity review of its unit on or before the
enrolment's end (the review in force when the person left); enrolments of units without such a
review are counted under ``no_review``. For each category: participants, those with a known outcome,
the share with the outcome and a 95 % Wilson interval. This describes, it does not prove: units of
high fidelity may also differ in their participants (run ``pestrack evaluate`` within a category).
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import stats

from pestrack.evaluation.analytics import measure_table
from pestrack.records.fidelity import scale


def reviews_from_db() -> list[dict]:
    from pestrack.records.fidelity.models import FidelityReview

    return [
        {"org_unit": r.org_unit.code, "review_date": r.review_date, "total": r.total, "category": r.category}
        for r in FidelityReview.objects.select_related("org_unit").order_by("review_date")
    ]


@dataclass
class _Group:
    """The counts of one fidelity category."""

    participants: int = 0
    known: int = 0
    with_outcome: int = 0
    units: set[str] = field(default_factory=set)


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float | None, float | None]:
    if n == 0:
        return None, None
    z = stats.norm.ppf(0.5 + level / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


def outcomes_by_fidelity(
    data: Path, reviews: list[dict], *, measure: str = "ips", outcome: str = "work_or_studies_6m"
) -> dict:
    table = measure_table(data, measure, outcome, ["org_unit", "end_date"]).to_pydict()
    by_unit: dict[str, list[tuple[dt.date, str, int]]] = {}
    for r in sorted(reviews, key=lambda r: r["review_date"]):
        by_unit.setdefault(r["org_unit"], []).append((r["review_date"], r["category"], r["total"]))
    names = {**scale.category_names(), "no_review": "No fidelity review"}
    groups = {code: _Group() for code in names}
    for treated, unit, end, value in zip(table["treated"], table["org_unit"], table["end_date"], table[outcome]):
        if not treated:
            continue
        history = by_unit.get(unit, [])
        pos = bisect.bisect_right([d for d, _, _ in history], end) - 1
        code = history[pos][1] if pos >= 0 else "no_review"
        g = groups[code]
        g.participants += 1
        g.units.add(unit)
        if value is not None:
            g.known += 1
            g.with_outcome += bool(value)
    rows = []
    for code in [*scale.category_order(), "no_review"]:
        g = groups[code]
        lo, hi = wilson(g.with_outcome, g.known)
        rows.append(
            {
                "category": code,
                "name": names[code],
                "units": len(g.units),
                "participants": g.participants,
                "outcome_known": g.known,
                "with_outcome": g.with_outcome,
                "share": g.with_outcome / g.known if g.known else None,
                "ci_low": lo,
                "ci_high": hi,
            }
        )
    return {
        "measure": measure,
        "outcome": outcome,
        "rows": rows,
        "note": "Descriptive: units of higher fidelity may also serve different participants.",
    }
