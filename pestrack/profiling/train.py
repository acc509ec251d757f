"""Training with temporal validation: the model is fitted on the earlier cohorts (start years) and
judged on the latest cohort whose outcome is known, as it would be used: on people enrolled after
the data it learnt from. The other model kind is fitted on the same rows for comparison. The model
kept is the one fitted on the earlier cohorts (the one that was validated)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.compute as pc

from pestrack.analytics.schema import SCHEMA_VERSION
from pestrack.profiling import audit as auditing
from pestrack.profiling import metrics
from pestrack.profiling.data import ProfilingData
from pestrack.profiling.model import KINDS, Model, encode_inputs, fit, now
from pestrack.profiling.settings import ProfilingError, Settings


def _check_auditable(table, y, settings: Settings, source: str) -> None:
    """Enough outcomes to judge the model at all, and for each audited characteristic at least two
    groups large enough to compare; single small groups are named by the audit instead."""
    k = int(y.sum())
    if min(k, len(y) - k) < settings.min_outcomes:
        raise ProfilingError(
            f"{source}: the validation cohort has {k} enrolments with the outcome and {len(y) - k} without; "
            f"at least {settings.min_outcomes} of each are needed to judge the model"
        )
    for attr in settings.groups:
        labels = auditing.group_values(table, attr)
        values, inverse = np.unique(labels, return_inverse=True)
        large = []
        for i, v in enumerate(values):
            m = inverse == i
            n, kk = int(m.sum()), int(y[m].sum())
            if n >= settings.min_group_size and min(kk, n - kk) >= settings.min_outcomes:
                large.append(v)
        if len(large) < 2:
            raise ProfilingError(
                f"{source}: too few outcomes by {attr} to audit the model: fewer than two of its groups "
                f"({', '.join(map(str, values))}) have {settings.min_group_size} enrolments and "
                f"{settings.min_outcomes} outcomes of each kind in the validation cohort"
            )


def _distribution(model: Model, table) -> dict:
    codes = model.codes(table)
    out = {}
    for e in model.encoding:
        v = codes[e["column"]]
        if e["kind"] == "category":
            counts = np.bincount(v, minlength=len(e["levels"])) / len(v)
            out[e["column"]] = {lv: float(c) for lv, c in zip(e["levels"], counts)}
        else:
            values, counts = np.unique(np.minimum(v, 20).astype(int), return_counts=True)
            out[e["column"]] = {str(a): float(c / len(v)) for a, c in zip(values, counts)}
    return out


def train(data: ProfilingData, settings: Settings, kind: str = "logistic", compare: bool = True) -> Model:
    if kind not in KINDS:
        raise ProfilingError(f"--model must be one of {', '.join(KINDS)}, not {kind!r}")
    if "target" not in data.table.column_names:
        raise ProfilingError(f"{data.source}: no target column")
    labelled = data.labelled()
    if labelled.num_rows == 0:
        raise ProfilingError(
            f"{data.source}: no enrolment has a known target: {settings.target_months} months after the start "
            f"must have passed by the data's last date ({data.as_of}), with the exit or a follow-up recorded"
        )
    cohorts = sorted(set(data.column("cohort", labelled).tolist()))
    if len(cohorts) < 2:
        raise ProfilingError(
            f"{data.source}: the enrolments with a known target all started in {cohorts[0]}; temporal validation "
            "needs at least two start years (train on the earlier, test on the latest)"
        )
    test_cohort = cohorts[-1]
    is_test = data.column("cohort", labelled) == test_cohort
    train_rows, test_rows = labelled.filter(~is_test), labelled.filter(is_test)
    y_train = data.column("target", train_rows).astype(bool)
    y_test = data.column("target", test_rows).astype(bool)
    if y_train.all() or not y_train.any():
        raise ProfilingError(f"{data.source}: the target is the same for every training enrolment")
    _check_auditable(test_rows, y_test, settings, data.source)
    encoding = encode_inputs(train_rows, settings, data.source)
    labels = {i.column: {"label": i.label, "reason": i.reason} for i in settings.inputs}
    for e in encoding:
        e.update(labels[e["column"]])
        if e["kind"] == "category":
            e["reference"] = e["levels"][0]
    comparison = {}
    for k in [kind] + [x for x in KINDS if x != kind and compare]:
        m = fit(k, train_rows, y_train, encoding, data.source)
        m.meta["profile"] = settings.profile
        p = m.predict(test_rows)
        comparison[k] = metrics.performance(y_test, p) | {"train": metrics.performance(y_train, m.predict(train_rows))}
        if k == kind:
            model, p_test = m, p
    model.meta.update(
        {
            "profile": settings.profile,
            "schema_version": data.schema_version if data.schema_version is not None else SCHEMA_VERSION,
            "created_at": now(),
            "target": {
                "name": "not_in_work_or_studies",
                "months": settings.target_months,
                "followup_window_days": settings.followup_window_days,
                "label": settings.target_label,
                # work from contract events where they cover the day (profiling.data), else exits and follow-ups
                "source": {"labelled": labelled.num_rows, **(data.target_source or {})},
            },
            "protected": settings.protected,
            "training": {
                "source": data.source,
                "as_of": data.as_of,
                "cohorts": cohorts[:-1],
                "first_start": str(pc.min(train_rows.column("start_date")).as_py()),
                "last_start": str(pc.max(train_rows.column("start_date")).as_py()),
                "n": train_rows.num_rows,
                "positives": int(y_train.sum()),
                "input_distribution": _distribution(model, train_rows),
            },
            "validation": {
                "cohort": test_cohort,
                "first_start": str(pc.min(test_rows.column("start_date")).as_py()),
                "last_start": str(pc.max(test_rows.column("start_date")).as_py()),
                **comparison[kind],
                "comparison": comparison,
            },
        }
    )
    # the groups at validation: the baseline the monitoring compares new cohorts with
    judged, _ = auditing.groups(
        test_rows, y_test, p_test, p_test >= settings.cutoff, settings, [[a] for a in settings.groups]
    )
    model.meta["validation"]["groups"] = [
        {k: g[k] for k in ("attribute", "group", "n", "tpr", "fpr", "selection_rate")}
        | {"calibration_difference": g["calibration"]["difference"]}
        for g in judged
    ]
    if data.has_truth:
        truth = data.column("true_risk", test_rows).astype(float)
        model.meta["validation"]["auc_oracle"] = metrics.performance(y_test, truth)["auc"]
    model.seal()
    return model


def train_to(folder: Path, data: ProfilingData, settings: Settings, kind: str, compare: bool = True) -> Model:
    model = train(data, settings, kind, compare)
    model.save(folder)
    return model
