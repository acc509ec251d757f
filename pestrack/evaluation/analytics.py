"""An evaluation table from the analytics tables: one row per ended enrolment with a follow-up.

Treated: the enrolment has a participation in the measure. Comparison: ended enrolments without
one. Outcomes, from the follow-up N months after exit: ``work_or_studies_Nm`` (working or studying),
``working_Nm``, ``studying_Nm``, ``self_sufficient_Nm`` (no social assistance); and from the exit
itself ``exit_work_or_studies`` (left for work or studies). Covariates are columns of the
enrolments table (default: sex, age at start, education level, born abroad, target group).
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa

from pestrack.evaluation.data import EvaluationError

DEFAULT_COVARIATES = ["sex", "age_at_start", "education_level", "born_abroad", "target_group"]
ENROLMENT_COLUMNS = [
    "sex",
    "birth_year",
    "municipality",
    "education_level",
    "born_abroad",
    "programme",
    "org_unit",
    "target_group",
    "referring_body",
    "entry_route",
    "has_decision",
    "age_at_start",
    "age_band_at_start",
    "days_to_first_measure",
    "start_date",
    "end_date",
]
FOLLOWUP = re.compile(r"^(work_or_studies|working|studying|self_sufficient)_(\d+)m$")
FOLLOWUP_SQL = {
    "work_or_studies": "(f.working OR f.studying)",
    "working": "f.working",
    "studying": "f.studying",
    "self_sufficient": "f.self_sufficient",
}


def outcomes_help() -> str:
    return (
        "work_or_studies_Nm, working_Nm, studying_Nm, self_sufficient_Nm (N = months after exit), exit_work_or_studies"
    )


def measure_table(
    data: Path, measure: str, outcome: str, covariates: list[str] | None = None, outcomes: pa.Table | None = None
) -> pa.Table:
    """The evaluation table for ``measure``: columns treated, the outcome and the covariates.

    ``outcomes``: a table of outcomes measured elsewhere, one row per enrolment (``enrolment_id`` and
    the ``outcome`` column; e.g. employment N months after an exit to work, from the contract events,
    pestrack.lmi.durability.outcomes): the units are then its enrolments."""
    import duckdb

    data = Path(data)
    if outcomes is not None:
        if "enrolment_id" not in outcomes.column_names or outcome not in outcomes.column_names:
            raise EvaluationError(f"the outcome table has no columns enrolment_id and {outcome!r}")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", outcome):
            raise EvaluationError(f"{outcome!r} is not an outcome name (lower-case letters, digits and _)")
    elif not FOLLOWUP.match(outcome) and outcome != "exit_work_or_studies":
        raise EvaluationError(f"unknown outcome {outcome!r} for the analytics tables; use {outcomes_help()}")
    needed = ["enrolments", "participations"]
    if outcomes is None:
        needed += ["followups"] if FOLLOWUP.match(outcome) else ["exits"]
    for name in needed:
        if not (data / f"{name}.parquet").exists():
            raise EvaluationError(f"{data}: no {name}.parquet (pestrack analytics extract --out {data})")
    covariates = covariates or DEFAULT_COVARIATES
    unknown = [c for c in covariates if c not in ENROLMENT_COLUMNS]
    if unknown:
        raise EvaluationError(
            f"covariate {unknown[0]!r} is not a column of the enrolments table; choose from "
            + ", ".join(ENROLMENT_COLUMNS)
        )
    con = duckdb.connect(":memory:")
    try:
        for name in needed:
            path = str(data / f"{name}.parquet").replace("'", "''")
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
        measures = [r[0] for r in con.execute("SELECT DISTINCT measure FROM participations ORDER BY 1").fetchall()]
        if measure not in measures:
            raise EvaluationError(
                f"no participations in measure {measure!r} in {data}; the measures are " + ", ".join(measures)
            )
        match = None if outcomes is not None else FOLLOWUP.match(outcome)
        cols = ", ".join(f"e.{c}" for c in covariates)
        treated = (
            "EXISTS (SELECT 1 FROM participations p WHERE p.enrolment_id = e.enrolment_id "
            "AND p.measure = $measure) AS treated"
        )
        if outcomes is not None:
            con.register("outcomes", outcomes.select(["enrolment_id", outcome]))
            sql = (
                f'SELECT e.enrolment_id, {treated}, o."{outcome}", {cols} FROM enrolments e '
                "JOIN outcomes o ON o.enrolment_id = e.enrolment_id ORDER BY e.enrolment_id"
            )
            params: dict[str, str | int] = {"measure": measure}
        elif match:
            kind, months = match.group(1), int(match.group(2))
            sql = (
                f"SELECT e.enrolment_id, {treated}, {FOLLOWUP_SQL[kind]} AS {outcome}, {cols} FROM enrolments e "
                "JOIN followups f ON f.enrolment_id = e.enrolment_id AND f.months = $months ORDER BY e.enrolment_id"
            )
            params = {"measure": measure, "months": months}
            if not con.execute("SELECT count(*) FROM followups WHERE months = ?", [months]).fetchall()[0][0]:
                raise EvaluationError(f"no follow-ups {months} months after exit in {data}")
        else:
            sql = (
                f"SELECT e.enrolment_id, {treated}, x.exit_outcome IN ('work', 'studies') AS {outcome}, {cols} "
                "FROM enrolments e JOIN exits x ON x.enrolment_id = e.enrolment_id ORDER BY e.enrolment_id"
            )
            params = {"measure": measure}
        return con.sql(sql, params=params).to_arrow_table()
    finally:
        con.close()
