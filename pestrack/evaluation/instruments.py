"""Assessment instruments from the NET PES guide: the Work Ability Index single item and its change over
time, and social return on investment (SROI) with its assumptions as editable parameters.

The IPS fidelity scale lives with its records (pestrack/records/fidelity) and its outcome comparison
in ``pestrack.evaluation.fidelity``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import TypedDict

import numpy as np
import pyarrow as pa

from pestrack.evaluation.data import EvaluationError

# ---------------------------------------------------------------- Work Ability Index


def wai_bands(profile: str | None = None) -> list[dict]:
    """The WAI bands from the profile's instrument code list (Helsinki's 0–4, 5–7, 8–10 in Stockholm's)."""
    from pestrack.records.codes.profile import read_profile

    for code in read_profile(profile).codes.get("instrument", []):
        if code["code"] == "wai":
            return code["rules"]["bands"]
    raise EvaluationError(f"profile {profile!r} has no instrument 'wai' in its codes")


def band_of(score: float, bands: list[dict]) -> str:
    for b in bands:
        if b["min"] <= score <= b["max"]:
            return b["label"]
    raise EvaluationError(f"score {score:g} is in no band ({', '.join(b['label'] for b in bands)})")


def _rank(label: str, bands: list[dict]) -> int:
    return [b["label"] for b in bands].index(label)


class WaiParticipant(TypedDict):
    """One participant's first and latest assessment (a row of ``wai_change``'s ``participants``)."""

    person: str
    assessments: int
    first_date: str
    first_score: float
    first_band: str
    last_date: str
    last_score: float
    last_band: str
    change: float | None
    band_change: str | None


def wai_change(
    table: pa.Table,
    bands: list[dict],
    *,
    person: str = "person_key",
    date: str = "date",
    score: str = "score",
    source: str = "data",
) -> dict:
    """Per participant: the first and the latest assessment, their bands and the change; and a summary.

    Scores must be whole or decimal numbers within the bands (0–10); a row outside is an error naming it.
    Participants with one assessment are listed with no change."""
    for col in (person, date, score):
        if col not in table.column_names:
            raise EvaluationError(f"{source}: no column {col!r}; the columns are {', '.join(table.column_names)}")
    persons = table.column(person).to_pylist()
    dates = table.column(date).to_pylist()
    scores = table.column(score).to_pylist()
    lo, hi = min(b["min"] for b in bands), max(b["max"] for b in bands)
    by_person: dict[str, list[tuple[dt.date, float]]] = {}
    for i, (p, d, s) in enumerate(zip(persons, dates, scores), start=1):
        if p is None or d is None or s is None:
            raise EvaluationError(f"{source}: row {i}: person, date and score are all needed")
        if isinstance(d, str):
            try:
                d = dt.date.fromisoformat(d)
            except ValueError:
                raise EvaluationError(f"{source}: row {i}, column {date!r}: {d!r} is not a date (YYYY-MM-DD)") from None
        try:
            s = float(s)
        except (TypeError, ValueError):
            raise EvaluationError(f"{source}: row {i}, column {score!r}: {s!r} is not a number") from None
        if not lo <= s <= hi:
            raise EvaluationError(f"{source}: row {i}, column {score!r}: {s:g} is outside the scale {lo}–{hi}")
        by_person.setdefault(str(p), []).append((d, s))
    rows: list[WaiParticipant] = []
    for p, items in sorted(by_person.items()):
        items.sort()
        (d0, s0), (d1, s1) = items[0], items[-1]
        b0, b1 = band_of(s0, bands), band_of(s1, bands)
        move = None
        if len(items) > 1:
            move = {1: "better", 0: "same", -1: "worse"}[int(np.sign(_rank(b1, bands) - _rank(b0, bands)))]
        rows.append(
            {
                "person": p,
                "assessments": len(items),
                "first_date": d0.isoformat(),
                "first_score": s0,
                "first_band": b0,
                "last_date": d1.isoformat(),
                "last_score": s1,
                "last_band": b1,
                "change": s1 - s0 if len(items) > 1 else None,
                "band_change": move,
            }
        )
    repeated = [r for r in rows if r["assessments"] > 1]
    labels = [b["label"] for b in bands]
    summary = {
        "participants": len(rows),
        "with_repeat_assessment": len(repeated),
        "mean_change": float(np.mean([r["change"] for r in repeated])) if repeated else None,
        "band_better": sum(r["band_change"] == "better" for r in repeated),
        "band_same": sum(r["band_change"] == "same" for r in repeated),
        "band_worse": sum(r["band_change"] == "worse" for r in repeated),
        "first_band_counts": {lab: sum(r["first_band"] == lab for r in rows) for lab in labels},
        "last_band_counts": {lab: sum(r["last_band"] == lab for r in rows) for lab in labels},
        "transitions": {
            a: {b: sum(r["first_band"] == a and r["last_band"] == b for r in repeated) for b in labels} for a in labels
        },
    }
    return {"bands": bands, "summary": summary, "participants": rows}


# ---------------------------------------------------------------- Social return on investment


@dataclass
class SroiAssumptions:
    """Every number an SROI rests on; each can be changed (a YAML file or --set name=value)."""

    participants: int = 100
    cost_per_participant: float = 60000.0  # SEK, the measure's full cost per participant
    effect: float = 0.10  # extra share in work thanks to the measure (an ATT: counterfactual, so no deadweight)
    monthly_social_assistance: float = 9000.0  # SEK försörjningsstöd no longer paid per person in work
    monthly_tax_income: float = 7000.0  # SEK municipal and state tax and fees per person in work
    years: int = 3  # how long the effect is counted
    drop_off: float = 0.25  # share of the effect lost each year after the first
    attribution: float = 1.0  # share of the outcome owed to this measure rather than to others
    deadweight: float = 0.0  # share that would have happened anyway (0 when effect is an ATT)
    discount_rate: float = 0.03  # per year (Sweden's socio-economic calculus commonly uses 3-3.5 %)
    meanings: dict = field(
        default_factory=lambda: {
            "participants": "participants in the measure",
            "cost_per_participant": "full cost of the measure per participant (SEK)",
            "effect": "effect on the share in work (ATT from an impact evaluation)",
            "monthly_social_assistance": "social assistance (försörjningsstöd) saved per person-month in work (SEK)",
            "monthly_tax_income": "tax and fees paid per person-month in work (SEK)",
            "years": "years over which the effect is counted",
            "drop_off": "share of the effect lost each later year",
            "attribution": "share of the outcome owed to this measure",
            "deadweight": "share that would have happened anyway",
            "discount_rate": "discount rate per year",
        },
        repr=False,
    )

    @classmethod
    def from_mapping(cls, values: dict, source: str = "assumptions") -> SroiAssumptions:
        known = {f.name: f for f in fields(cls) if f.name != "meanings"}
        out = cls()
        for key, value in values.items():
            if key not in known:
                raise EvaluationError(f"{source}: unknown assumption {key!r}; known: {', '.join(known)}")
            try:
                value = int(value) if known[key].type == "int" else float(value)
            except (TypeError, ValueError):
                raise EvaluationError(f"{source}: {key} must be a number, not {value!r}") from None
            setattr(out, key, value)
        out.check(source)
        return out

    def check(self, source: str = "assumptions") -> None:
        for key in ("drop_off", "attribution", "deadweight"):
            if not 0 <= getattr(self, key) <= 1:
                raise EvaluationError(f"{source}: {key} is a share between 0 and 1, not {getattr(self, key)}")
        if self.years < 1 or self.participants < 1 or self.cost_per_participant <= 0:
            raise EvaluationError(f"{source}: years and participants must be at least 1 and the cost positive")


def sroi(a: SroiAssumptions) -> dict:
    """Present value of the outcomes (social assistance saved and tax paid by the extra people in work)
    over the cost of the measure; the assumptions are listed in the output."""
    a.check()
    per_person_year = 12 * (a.monthly_social_assistance + a.monthly_tax_income)
    years = []
    for y in range(1, a.years + 1):
        in_work = a.participants * a.effect * (1 - a.drop_off) ** (y - 1) * a.attribution * (1 - a.deadweight)
        value = in_work * per_person_year
        years.append(
            {"year": y, "extra_in_work": in_work, "value": value, "present_value": value / (1 + a.discount_rate) ** y}
        )
    total = sum(r["present_value"] for r in years)
    cost = a.participants * a.cost_per_participant
    return {
        "present_value": total,
        "cost": cost,
        "ratio": total / cost,
        "net_value": total - cost,
        "years": years,
        "assumptions": [{"name": k, "value": getattr(a, k), "meaning": m} for k, m in a.meanings.items()],
        "reading": (
            f"Each krona spent returns {total / cost:.2f} kronor in social assistance saved and tax paid, "
            f"over {a.years} years, discounted at {a.discount_rate:.1%}. The ratio moves with every "
            "assumption listed; change them to see how much."
        ),
    }
