"""Monitoring a model in use: how the inputs of the estimates made shift from the training data
(population stability index), and how each group's calibration and error rates on newer cohorts move
from the model's validation; a warning for each move beyond the profile's ``monitoring`` limits."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

from pestrack.profiling import metrics
from pestrack.profiling.audit import audit
from pestrack.profiling.data import ProfilingData
from pestrack.profiling.model import Model
from pestrack.profiling.settings import Settings


def _level(encoding: dict, value) -> str:
    if encoding["kind"] == "numeric":
        return str(min(int(float(value)), 20)) if value is not None else "(missing)"
    if isinstance(value, bool):
        return "True" if value else "False"
    return "(missing)" if value is None else str(value)


def input_shift(model: Model, inputs: list[dict], settings: Settings) -> list[dict]:
    """Per input: PSI between the training distribution and the inputs of the estimates made."""
    if not inputs:
        return []
    training = model.meta["training"]["input_distribution"]
    out = []
    for e in model.encoding:
        counts = Counter(_level(e, row.get(e["column"])) for row in inputs)
        actual = {k: v / len(inputs) for k, v in counts.items()}
        value = metrics.psi(training.get(e["column"], {}), actual)
        out.append({"input": e["column"], "psi": value, "warning": value >= settings.input_shift_psi, "n": len(inputs)})
    return out


def group_drift(model: Model, data: ProfilingData, settings: Settings) -> dict:
    """The audit on the data after the training period, compared group by group with validation."""
    result = audit(model, data, settings)
    baseline = {(g["attribute"], g["group"]): g for g in model.meta["validation"].get("groups", [])}
    rows = []
    for g in result["groups"]:
        b = baseline.get((g["attribute"], g["group"]))
        if b is None or " · " in g["attribute"]:
            continue
        moves = {
            "calibration": g["calibration"]["difference"] - b["calibration_difference"],
            "tpr": (g["tpr"] or 0) - (b["tpr"] or 0),
            "fpr": (g["fpr"] or 0) - (b["fpr"] or 0),
        }
        limits = {"calibration": settings.calibration_change, "tpr": settings.rate_change, "fpr": settings.rate_change}
        warn = [k for k, v in moves.items() if abs(v) > limits[k]]
        rows.append({"attribute": g["attribute"], "group": g["group"], "n": g["n"], **moves, "warnings": warn})
    return {"audit": result, "groups": rows}


def data_version(folder: Path) -> str:
    """A fingerprint of the analytics tables the monitoring reads: the manifest's content and each
    table file's size and modification time. A new extract or import (new outcomes) changes it."""
    from pestrack.profiling.data import POSITIONS, TRUTH

    folder = Path(folder)
    digest = hashlib.sha256()
    for name in ("manifest.json", *(f"{t}.parquet" for t in ("enrolments", "exits", "followups", TRUTH, POSITIONS))):
        path = folder / name
        if path.exists():
            st = path.stat()
            digest.update(f"{name}:{st.st_size}:{st.st_mtime_ns};".encode())
            if name == "manifest.json":
                digest.update(path.read_bytes())
    return digest.hexdigest()
