"""The profiling table from a folder of analytics tables: one row per enrolment with the declared
inputs as they were at enrolment, the protected characteristics (for the audit only), the unit, the
cohort (start year), the target where it is known, and the true risk where the data are synthetic.

The target (profile: ``target``): 1 = not in work or studies N months after the start. The enrolment
is still open then, or ended for another reason than work or studies; a follow-up whose date lies
within ``followup_window_days`` of that day decides instead (working or studying: 0). Enrolments whose
N months have not passed by the data's last date have no target (NULL): they can be scored but not
used to train or audit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from pestrack.analytics.schema import SCHEMA_VERSION
from pestrack.profiling.settings import DERIVED, ProfilingError, Settings

TRUTH = "profiling_truth"  # synthetic data only: enrolment_id, true_risk (docs/profiling.md)
AUDIT_COLUMNS = ("sex", "born_abroad", "age_band_at_start", "target_group")


@dataclass
class ProfilingData:
    table: pa.Table  # enrolment_id, org_unit, start_date, cohort, target, true_risk?, inputs, audit columns
    source: str
    profile: str | None
    schema_version: int | None
    as_of: str

    @property
    def has_truth(self) -> bool:
        return "true_risk" in self.table.column_names

    def labelled(self) -> pa.Table:
        return self.table.filter(self.table.column("target").is_valid())

    def column(self, name: str, table: pa.Table | None = None) -> np.ndarray:
        return (table or self.table).column(name).to_numpy(zero_copy_only=False)


def manifest(folder: Path) -> dict:
    path = Path(folder) / "manifest.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise ProfilingError(f"{path}: not valid JSON ({exc})") from None


def load(folder: Path, settings: Settings) -> ProfilingData:
    """Read and check the analytics tables in ``folder`` and build the profiling table."""
    import duckdb

    folder = Path(folder)
    if not folder.is_dir():
        raise ProfilingError(f"{folder}: no such folder (give the folder of analytics tables)")
    if not (folder / "enrolments.parquet").exists():
        raise ProfilingError(f"{folder}: no enrolments.parquet (pestrack analytics extract --out {folder})")
    meta = manifest(folder)
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET threads TO 2")
        for name in ("enrolments", "exits", "followups", TRUTH):
            path = folder / f"{name}.parquet"
            if path.exists():
                con.execute(
                    f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{str(path).replace(chr(39), chr(39) * 2)}')"
                )
        have = {r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE enrolments)").fetchall()}
        for c in settings.columns:
            if c not in DERIVED and c not in have:
                raise ProfilingError(
                    f"{folder / 'enrolments.parquet'}: the declared input {c!r} is not a column of the table; "
                    "extract the tables again or change the inputs in the profile's profiling.yaml"
                )
        for c in ("enrolment_id", "person_key", "start_date", "end_date", "exit_outcome", "org_unit", *AUDIT_COLUMNS):
            if c not in have:
                raise ProfilingError(f"{folder / 'enrolments.parquet'}: no column {c!r}")
        tables = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        as_of = con.execute(
            "SELECT max(greatest(start_date, coalesce(end_date, start_date))) FROM enrolments"
        ).fetchall()[0][0]
        if as_of is None:
            raise ProfilingError(f"{folder / 'enrolments.parquet'}: no enrolments")
        if "followups" in tables:
            last = con.execute("SELECT max(reference_date) FROM followups").fetchall()[0][0]
            as_of = max(as_of, last) if last else as_of
        months, window = settings.target_months, settings.followup_window_days
        # a follow-up near the day N months after the start: in work or studies then, or not
        followup = (
            f"""SELECT f.enrolment_id, bool_or(coalesce(f.working, false) OR coalesce(f.studying, false)) AS ok
                FROM followups f JOIN enrolments e USING (enrolment_id)
                WHERE (f.working IS NOT NULL OR f.studying IS NOT NULL)
                  AND abs(date_diff('day', f.reference_date, (e.start_date + INTERVAL {months} MONTH)::DATE)) <= {window}
                GROUP BY f.enrolment_id"""
            if "followups" in tables
            else "SELECT NULL::BIGINT AS enrolment_id, NULL::BOOLEAN AS ok WHERE false"
        )
        inputs = [c for c in settings.columns if c not in DERIVED]
        extra = [c for c in inputs if c not in (*AUDIT_COLUMNS, "org_unit")]
        derived = (
            "least(count(*) OVER (PARTITION BY e.person_key ORDER BY e.start_date, e.enrolment_id "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 5)::INTEGER AS previous_enrolments"
        )
        truth = "t.true_risk" if TRUTH in tables else None
        sql = f"""
            WITH fu AS ({followup}), base AS (
              SELECT e.enrolment_id, e.org_unit, e.start_date, year(e.start_date)::INTEGER AS cohort,
                     e.sex, e.born_abroad, e.age_band_at_start, e.target_group,
                     {"".join(f"e.{c}, " for c in extra)}{derived},
                     CASE
                       WHEN e.start_date + INTERVAL {months} MONTH > DATE '{as_of}' THEN NULL
                       WHEN e.end_date IS NULL OR e.end_date > e.start_date + INTERVAL {months} MONTH THEN 1
                       WHEN fu.ok IS NOT NULL THEN (NOT fu.ok)::INTEGER
                       ELSE CASE WHEN e.exit_outcome IN ('work', 'studies') THEN 0 ELSE 1 END
                     END AS target
              FROM enrolments e LEFT JOIN fu USING (enrolment_id))
            SELECT b.*{", " + truth if truth else ""}
            FROM base b {"LEFT JOIN " + TRUTH + " t USING (enrolment_id)" if truth else ""}
            ORDER BY b.start_date, b.enrolment_id"""
        table = con.sql(sql).to_arrow_table()
    finally:
        con.close()
    table = table.replace_schema_metadata(None)
    return ProfilingData(table, str(folder), meta.get("profile"), meta.get("schema_version"), str(as_of))


def check_compatible(data: ProfilingData, model_profile: str, model_schema: int) -> None:
    """A model is applied only to data of its own profile and schema version."""
    if data.profile and data.profile != model_profile:
        raise ProfilingError(
            f"{data.source}: the tables come from profile {data.profile!r}, the model was trained on profile "
            f"{model_profile!r}; a model is applied only to data of its own profile"
        )
    version = data.schema_version if data.schema_version is not None else SCHEMA_VERSION
    if version != model_schema:
        raise ProfilingError(
            f"{data.source}: the tables have analytics schema version {version}, the model was trained on "
            f"version {model_schema}; train the model again on tables of this version"
        )
