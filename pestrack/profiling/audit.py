"""The fairness audit and the cut-off policy simulation of a model on a profiling table.

Rows judged: the enrolments with a known target that started after the model's training period
(out of time); when the data have none, all enrolments with a known target, and the audit says it
is in-sample. Groups: each audited characteristic, and the intersections of the profile, compared
with the rest of the rows. A group with fewer than ``min_group_size`` enrolments, or fewer than
``min_outcomes`` of either outcome, is named as too small to judge and no rates are printed for it.

Flags (docs/profiling.md): a group whose observed share differs from the estimate by more than
``calibration_gap`` (and the estimate lies outside the observed share's interval); and, for
characteristics that are not inputs (differences by an input are its declared purpose), a selection
ratio outside ``selection_ratio``, or a true or false positive rate more than ``rate_gap`` from the
rest's, in both cases with the 95 % interval of the difference excluding zero."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pestrack.profiling import metrics
from pestrack.profiling.data import ProfilingData
from pestrack.profiling.model import Model
from pestrack.profiling.settings import ProfilingError, Settings

SEP = " · "
PROXY_V = 0.3  # Cramér's V from which an input is named a proxy for a protected characteristic


def group_values(table: pa.Table, column: str) -> np.ndarray:
    """The column as text labels: yes/no for yes/no columns, 'unknown' for missing."""
    col = table.column(column)
    if pa.types.is_boolean(col.type):
        col = pc.if_else(col, "yes", "no")
    return np.asarray(col.cast(pa.string()).fill_null("unknown").to_numpy(zero_copy_only=False)).astype(str)


def rows_judged(model: Model, data: ProfilingData) -> tuple[pa.Table, bool]:
    labelled = data.labelled()
    if labelled.num_rows == 0:
        raise ProfilingError(
            f"{data.source}: no enrolment has a known target (none started {model.meta['target']['months']} months "
            f"before the data's last date, {data.as_of})"
        )
    last = model.meta["training"]["last_start"]
    later = labelled.filter(
        pc.greater(labelled.column("start_date"), pa.scalar(dt.date.fromisoformat(last), pa.date32()))
    )
    return (later, False) if later.num_rows else (labelled, True)


def _count(num, den) -> tuple[int, int]:
    return int(num.sum()), int(den.sum())


def _stats(y, p, sel, mask, rest) -> dict:
    n, k = int(mask.sum()), int(y[mask].sum())
    obs = metrics.rate(k, n)
    predicted = float(p[mask].mean())
    out = {
        "n": n,
        "positives": k,
        "calibration": {
            "predicted": predicted,
            "observed": obs["value"],
            "ci": obs["ci"],
            "difference": obs["value"] - predicted,
        },
    }
    unsel = mask & ~sel
    for name, num, den in (
        ("tpr", sel & mask & y, mask & y),
        ("fpr", sel & mask & ~y, mask & ~y),
        ("selection_rate", sel & mask, mask),
        ("npv", unsel & ~y, unsel),
    ):
        r = metrics.rate(*_count(num, den))
        out[name], out[f"{name}_ci"] = r["value"], r["ci"]
    sr_rest = sel[rest].mean() if rest.any() else np.nan
    out["selection_ratio"] = out["selection_rate"] / sr_rest if sr_rest else None
    # the counts behind the differences with the rest: (selected, of) in the group and in the rest
    out["_counts"] = {
        "selection": (*_count(sel & mask, mask), *_count(sel & rest, rest)),
        "tpr": (*_count(sel & mask & y, mask & y), *_count(sel & rest & y, rest & y)),
        "fpr": (*_count(sel & mask & ~y, mask & ~y), *_count(sel & rest & ~y, rest & ~y)),
    }
    for name in ("selection", "tpr", "fpr"):
        out[f"{name}_difference" if name == "selection" else f"{name}_gap"] = list(
            metrics.difference(*out["_counts"][name])
        )
    return out


def _excludes_zero(d) -> bool:
    return d[1] is not None and (d[1] > 0 or d[2] < 0)


def _flags(g: dict, settings: Settings, judged_on_rates: bool, z: float) -> list[str]:
    """The group's flags; the intervals here are Bonferroni-adjusted over the groups judged."""
    out = []
    cal = g["calibration"]
    lo, hi = metrics.wilson(g["positives"], g["n"], z)
    if abs(cal["difference"]) > settings.calibration_gap and not (lo <= cal["predicted"] <= hi):
        out.append("calibration")
    if judged_on_rates:
        low, high = settings.selection_ratio
        ratio = g["selection_ratio"]
        if ratio is not None and not (low <= ratio <= high):
            if _excludes_zero(metrics.difference(*g["_counts"]["selection"], z=z)):
                out.append("selection_ratio")
        for name in ("tpr", "fpr"):
            d = metrics.difference(*g["_counts"][name], z=z)
            if d[0] is not None and abs(d[0]) > settings.rate_gap and _excludes_zero(d):
                out.append(name)
    return out


def groups(table: pa.Table, y, p, sel, settings: Settings, attributes=None) -> tuple[list, list]:
    """(judged groups, too small) for each attribute and intersection; ``sel``: selected for
    intensive support (the estimate at or above the cut-off, or a policy's rule)."""
    inputs = set(settings.columns)
    judged, small = [], []
    attributes = attributes if attributes is not None else [[a] for a in settings.groups] + settings.intersections
    labels = {a: group_values(table, a) for attrs in attributes for a in attrs}
    for attrs in attributes:
        name = SEP.join(attrs)
        key = labels[attrs[0]]
        for a in attrs[1:]:
            key = np.char.add(np.char.add(key, SEP), labels[a])
        values, inverse = np.unique(key, return_inverse=True)
        for i, value in enumerate(values):
            mask = inverse == i
            n, k = int(mask.sum()), int(y[mask].sum())
            if n < settings.min_group_size or min(k, n - k) < settings.min_outcomes:
                small.append(
                    {
                        "attribute": name,
                        "group": str(value),
                        "n": n,
                        "positives": k,
                        "reason": f"fewer than {settings.min_group_size} enrolments"
                        if n < settings.min_group_size
                        else f"fewer than {settings.min_outcomes} outcomes of one kind",
                    }
                )
                continue
            g = {"attribute": name, "group": str(value), **_stats(y, p, sel, mask, ~mask)}
            g["_rates"] = not (set(attrs) & inputs)
            judged.append(g)
    z = metrics.z_adjusted(len(judged))
    for g in judged:
        g["flags"] = _flags(g, settings, g.pop("_rates"), z)
        del g["_counts"]
    return judged, small


def proxies(table: pa.Table, settings: Settings) -> list[dict]:
    """How strongly each input is associated with each protected characteristic (Cramér's V)."""
    out = []
    for inp in settings.columns:
        values = group_values(table, inp)
        for prot in settings.protected:
            if prot not in table.column_names:
                continue
            v = metrics.cramers_v(values, group_values(table, prot))
            out.append({"input": inp, "protected": prot, "cramers_v": v, "proxy": v >= PROXY_V})
    return out


def audit(model: Model, data: ProfilingData, settings: Settings, cutoff: float | None = None) -> dict:
    cutoff = settings.cutoff if cutoff is None else cutoff
    table, in_sample = rows_judged(model, data)
    y = data.column("target", table).astype(bool)
    p = model.predict(table, data.source)
    perf = metrics.performance(y, p)
    judged, small = groups(table, y, p, p >= cutoff, settings)
    result = {
        "model": {k: model.meta[k] for k in ("id", "kind", "profile", "schema_version", "created_at")},
        "data": {
            "source": data.source,
            "as_of": data.as_of,
            "rows": data.table.num_rows,
            "judged": table.num_rows,
            "first_start": str(pc.min(table.column("start_date")).as_py()),
            "last_start": str(pc.max(table.column("start_date")).as_py()),
            "in_sample": in_sample,
        },
        "cutoff": cutoff,
        **perf,
        "calibration": metrics.calibration(y, p),
        "curves": metrics.curves(y, p),
    }
    if data.has_truth:
        truth = data.column("true_risk", table).astype(float)
        oracle = metrics.performance(y, truth)
        result.update(
            {
                "auc_oracle": oracle["auc"],
                "pr_auc_oracle": oracle["pr_auc"],
                "brier_oracle": oracle["brier"],
                "calibration_oracle": metrics.calibration(y, truth),
                "curves_oracle": metrics.curves(y, truth),
            }
        )
    result["groups"] = judged
    result["too_small"] = small
    result["proxies"] = proxies(table, settings)
    result["flags"] = [
        {"attribute": g["attribute"], "group": g["group"], "what": f} for g in judged for f in g["flags"]
    ] + [{"attribute": x["input"], "group": x["protected"], "what": "proxy"} for x in result["proxies"] if x["proxy"]]
    return result


def policy(model: Model, data: ProfilingData, settings: Settings, cutoffs: list[float], top_k: list[int] = ()) -> dict:
    """How many would be offered intensive support, and the error rates and selection ratios per group,
    for each cut-off ("estimate at or above c") and each "top K per unit and month" rule."""
    for c in cutoffs:
        if not 0 < c < 1:
            raise ProfilingError(f"cut-off {c} is not between 0 and 1")
    for k in top_k:
        if k < 1:
            raise ProfilingError(f"top K must be a positive whole number, not {k}")
    table, in_sample = rows_judged(model, data)
    y = data.column("target", table).astype(bool)
    p = model.predict(table, data.source)
    attributes = [[a] for a in settings.groups]
    rules = [(f"cutoff {c:g}", {"cutoff": c}, p >= c) for c in cutoffs]
    if top_k:
        unit = group_values(table, "org_unit")
        month = np.asarray(pc.strftime(table.column("start_date"), "%Y-%m").to_numpy(zero_copy_only=False)).astype(str)
        _, cell = np.unique(np.char.add(np.char.add(unit, "|"), month), return_inverse=True)
        order = np.lexsort((-p, cell))
        sorted_cell = cell[order]
        first = np.r_[0, np.flatnonzero(sorted_cell[1:] != sorted_cell[:-1]) + 1]
        starts = np.repeat(first, np.diff(np.r_[first, len(order)]))
        rank = np.empty(len(p), dtype=np.int64)
        rank[order] = np.arange(len(order)) - starts
        rules += [(f"top {k} per unit and month", {"top_k_per_unit_month": k}, rank < k) for k in top_k]
    out = []
    for name, rule, sel in rules:
        pos, neg = y, ~y
        row = {
            "rule": name,
            **rule,
            "selected": int(sel.sum()),
            "selection_rate": float(sel.mean()),
            "tpr": float((sel & pos).sum() / max(pos.sum(), 1)),
            "fpr": float((sel & neg).sum() / max(neg.sum(), 1)),
            "precision": float((sel & pos).sum() / sel.sum()) if sel.any() else None,
        }
        # per group: the same numbers as the audit, for this rule's selection
        judged, small = groups(table, y, p, sel, settings, attributes)
        row["groups"] = judged
        row["too_small"] = small
        out.append(row)
    return {
        "model": {k: model.meta[k] for k in ("id", "kind", "profile")},
        "data": {"source": data.source, "judged": table.num_rows, "in_sample": in_sample},
        "rules": out,
    }
