"""Evaluations saved as JSON (``pestrack evaluate --measure CODE --format json --out DIR/NAME.json``),
read back by measure: what the practice pages show as a measure's estimated effect."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

PREFIX = "participation in "  # the treatment name an evaluation by --measure gets (evaluation/run.py)


@dataclass(frozen=True)
class SavedEstimate:
    measure: str
    outcome: str
    method: str
    att: float
    ci_low: float | None
    ci_high: float | None
    binary: bool  # a yes/no outcome: the effect is a difference of shares
    n_treated: int
    file: str


def estimates_by_measure(folder: str | Path | None) -> dict[str, list[SavedEstimate]]:
    """Measure code -> the saved evaluations of it in ``folder`` (none if the folder is not set or
    missing). A file that is not an evaluation by measure is passed over, not an error: the folder
    may hold other evaluations too."""
    out: dict[str, list[SavedEstimate]] = {}
    if not folder or not Path(folder).is_dir():
        return out
    for path in sorted(Path(folder).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        treatment = data.get("treatment") if isinstance(data, dict) else None
        if not isinstance(treatment, str) or not treatment.startswith(PREFIX) or data.get("att") is None:
            continue
        measure = treatment[len(PREFIX) :]
        out.setdefault(measure, []).append(
            SavedEstimate(
                measure=measure,
                outcome=str(data.get("outcome", "")),
                method=str(data.get("method", "")),
                att=float(data["att"]),
                ci_low=None if data.get("ci_low") is None else float(data["ci_low"]),
                ci_high=None if data.get("ci_high") is None else float(data["ci_high"]),
                binary=bool(data.get("outcome_binary")),
                n_treated=int(data.get("n_treated") or 0),
                file=path.name,
            )
        )
    return out
