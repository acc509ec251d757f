"""The profiling table from a folder of analytics tables: one row per enrolment with the declared
inputs as they were at enrolment, the protected characteristics (for the audit only), the unit, the
cohort (start year), the target where it is known, and the true risk where the data are synthetic.

The target (profile: ``target``): 1 = not in work or studies N months after the start. The enrolment
is still open then, or ended for another reason than work or studies; a follow-up whose date lies
within ``followup_window_days`` of that day decides instead (working or studying: 0). Enrolments whose
N months have not passed by the data's last date have no target (NULL): they can be scored but not
used to train or audit.

Where the folder also holds contract events (``positions.parquet``, written by ``pestrack lmi``,
docs/lmi.md) whose coverage includes the day N months after the start, they decide work instead:
a person with an employment (the latest version of a position) covering that day is in work (0),
whatever the exit or a follow-up says; one without is in studies (0) only when a follow-up near that
day says so or, without one, the enrolment ended for studies by then; otherwise 1. Employers must
report every hire and termination, so the register is the better source for work; it says nothing
of studies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pestrack.analytics.schema import SCHEMA_VERSION
from pestrack.profiling.settings import DERIVED, ProfilingError, Settings

POSITIONS = "positions"  # contract events' employment stretches (pestrack lmi), where the folder has them
TRUTH = "profiling_truth"  # synthetic data only: enrolment_id, true_risk (docs/profiling.md)
AUDIT_COLUMNS = ("sex", "born_abroad", "age_band_at_start", "target_group")


@dataclass
class ProfilingData:
    table: pa.Table  # enrolment_id, org_unit, start_date, cohort, target, true_risk?, inputs, audit columns
    source: str
    profile: str | None
    schema_version: int | None
    as_of: str

    # where the target came from: {"contract_events": {"covers_from", "covers_to", "enrolments"}} or {}
    target_source: dict | None = None

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
        for name in ("enrolments", "exits", "followups", TRUTH, POSITIONS):
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
        day = f"(e.start_date + INTERVAL {months} MONTH)::DATE"  # the day the target refers to
        # a follow-up near the day N months after the start: in work or studies then, or not
        followup = (
            f"""SELECT f.enrolment_id, bool_or(coalesce(f.working, false) OR coalesce(f.studying, false)) AS ok,
                       bool_or(coalesce(f.studying, false)) AS studying
                FROM followups f JOIN enrolments e USING (enrolment_id)
                WHERE (f.working IS NOT NULL OR f.studying IS NOT NULL)
                  AND abs(date_diff('day', f.reference_date, {day})) <= {window}
                GROUP BY f.enrolment_id"""
            if "followups" in tables
            else "SELECT NULL::BIGINT AS enrolment_id, NULL::BOOLEAN AS ok, NULL::BOOLEAN AS studying WHERE false"
        )
        covers = _coverage(con, meta) if POSITIONS in tables else None
        if covers:
            # employed on the day: a position (latest version) that started by then and had not ended
            work = f"""SELECT e.enrolment_id, true AS employed FROM enrolments e JOIN positions p
                         ON p.person_key = e.person_key AND p.superseded_date IS NULL
                        AND p.start_date <= {day} AND (p.end_date IS NULL OR p.end_date > {day})
                       GROUP BY e.enrolment_id"""
            in_cover = f"{day} BETWEEN DATE '{covers[0]}' AND DATE '{covers[1]}'"
            from_contracts = f"""WHEN {in_cover} THEN CASE
                       WHEN w.employed THEN 0
                       WHEN fu.studying IS NOT NULL THEN (NOT fu.studying)::INTEGER
                       WHEN e.end_date <= {day} AND e.exit_outcome = 'studies' THEN 0
                       ELSE 1 END"""
        else:
            work = "SELECT NULL::BIGINT AS enrolment_id, NULL::BOOLEAN AS employed WHERE false"
            in_cover, from_contracts = "false", ""
        inputs = [c for c in settings.columns if c not in DERIVED]
        extra = [c for c in inputs if c not in (*AUDIT_COLUMNS, "org_unit")]
        derived = (
            "least(count(*) OVER (PARTITION BY e.person_key ORDER BY e.start_date, e.enrolment_id "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 5)::INTEGER AS previous_enrolments"
        )
        truth = "t.true_risk" if TRUTH in tables else None
        sql = f"""
            WITH fu AS ({followup}), w AS ({work}), base AS (
              SELECT e.enrolment_id, e.org_unit, e.start_date, year(e.start_date)::INTEGER AS cohort,
                     e.sex, e.born_abroad, e.age_band_at_start, e.target_group,
                     {"".join(f"e.{c}, " for c in extra)}{derived},
                     CASE
                       WHEN {day} > DATE '{as_of}' THEN NULL
                       {from_contracts}
                       WHEN e.end_date IS NULL OR e.end_date > {day} THEN 1
                       WHEN fu.ok IS NOT NULL THEN (NOT fu.ok)::INTEGER
                       ELSE CASE WHEN e.exit_outcome IN ('work', 'studies') THEN 0 ELSE 1 END
                     END AS target,
                     ({day} <= DATE '{as_of}' AND {in_cover}) AS target_from_contracts
              FROM enrolments e LEFT JOIN fu USING (enrolment_id) LEFT JOIN w USING (enrolment_id))
            SELECT b.*{", " + truth if truth else ""}
            FROM base b {"LEFT JOIN " + TRUTH + " t USING (enrolment_id)" if truth else ""}
            ORDER BY b.start_date, b.enrolment_id"""
        table = con.sql(sql).to_arrow_table()
    finally:
        con.close()
    table = table.replace_schema_metadata(None)
    source = {}
    if covers:
        n = int(pc.sum(table.column("target_from_contracts")).as_py() or 0)
        source = {"contract_events": {"covers_from": covers[0], "covers_to": covers[1], "enrolments": n}}
    return ProfilingData(table, str(folder), meta.get("profile"), meta.get("schema_version"), str(as_of), source)


def _coverage(con, meta: dict) -> tuple[str, str] | None:
    """The days the contract events cover: the manifest's note (``lmi import``/``lmi synth``), else from
    the first position's start to the last date a version became known."""
    note = (meta.get("tables") or {}).get(POSITIONS) or {}
    if note.get("covers_from") and note.get("covers_to"):
        return str(note["covers_from"]), str(note["covers_to"])
    first, last = con.execute("SELECT min(start_date), max(known_date) FROM positions").fetchall()[0]
    return (str(first), str(last)) if first and last else None


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
