"""Durability of work after a PES exit and the pathways after it (docs/lmi.md), from the contract
events' positions linked by ``person_key`` to the PES analytics tables (exits, participations,
enrolments), never from the follow-ups.

- ``durability``: of the participants who left for work, the share holding a position 3, 6, 12, 24
  and 36 months after the exit date, in total and by measure (the last measure of the enrolment),
  target group and sex. An exit counts at a horizon only when that date is on or before the
  knowledge date (otherwise it is not known yet).
- ``survival``: the first employment starting from 14 days before the exit on: the share still
  employed N months after its start (Kaplan–Meier, employments still running on the knowledge
  date censored there), so the curve never rises.
- ``pathways``: for every exit, the state at each month after it: in work by contract type, in a
  measure again (a participation or an enrolment of the PES open that day), or nothing known.

Every function takes ``exits_from``: only exits on or after that day count. Give the first day the
contract events cover (``reports.lmi.coverage``): a hire before it was never communicated, so an
exit before it would count as "not in work" whatever happened (the annual report and the
comparison with a matched group do so).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

HORIZONS = (3, 6, 12, 24, 36)
BREAKDOWNS = ("measure", "target_group", "sex")
NEAR_DAYS = 14  # a first employment may start this many days before the exit date
MONTH_DAYS = 30.4375


class MissingTable(FileNotFoundError):
    pass


@dataclass(frozen=True)
class Share:
    horizon: int
    breakdown: str  # total, measure, target_group or sex
    value: str | None
    exits: int
    employed: int

    @property
    def share(self) -> float | None:
        return 100 * self.employed / self.exits if self.exits else None


def _connect(
    data: Path, participants: Path, known_on: dt.date, exits_from: dt.date | None = None
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    tables = {"positions": data / "positions.parquet"}
    for name in ("exits", "participations", "enrolments"):
        tables[name] = participants / f"{name}.parquet"
    for name, path in tables.items():
        if not path.exists():
            raise MissingTable(f"{path}: no {name} table")
        literal = "'" + str(path).replace("'", "''") + "'"
        con.execute(f'CREATE VIEW "{name}_all" AS SELECT * FROM read_parquet({literal})')
    day = known_on.isoformat()
    con.execute(
        f"""CREATE VIEW known_positions AS SELECT * FROM positions_all
            WHERE known_date <= DATE '{day}' AND (superseded_date IS NULL OR superseded_date > DATE '{day}')"""
    )
    # the exits known by then (from ``exits_from`` on), each with the last measure of its enrolment
    since = f" AND x.exit_date >= DATE '{exits_from.isoformat()}'" if exits_from else ""
    con.execute(
        f"""CREATE VIEW exits AS
            SELECT x.*, coalesce(m.measure, '(none)') AS measure FROM exits_all x
            LEFT JOIN (SELECT enrolment_id, arg_max(measure, start_date) AS measure FROM participations_all
                       GROUP BY enrolment_id) m USING (enrolment_id)
            WHERE x.exit_date <= DATE '{day}'{since}"""
    )
    return con


def _at(horizon_months: int) -> str:
    """The date ``horizon_months`` after the exit (whole calendar months)."""
    return f"(exit_date + INTERVAL {int(horizon_months)} MONTH)::DATE"


def durability(data: Path, participants: Path, known_on: dt.date, exits_from: dt.date | None = None) -> list[Share]:
    """The shares in work after an exit to work (module docstring), total first."""
    con = _connect(Path(data), Path(participants), known_on, exits_from)
    out = []
    for h in HORIZONS:
        rows = con.execute(
            f"""WITH x AS (
                  SELECT e.*, EXISTS (SELECT 1 FROM known_positions p WHERE p.person_key = e.person_key
                      AND p.start_date <= {_at(h)} AND (p.end_date IS NULL OR p.end_date > {_at(h)})) AS employed
                  FROM exits e WHERE exit_outcome = 'work' AND {_at(h)} <= DATE '{known_on.isoformat()}')
                SELECT 'total', NULL, count(*), count(*) FILTER (employed) FROM x
                {"".join(f" UNION ALL SELECT '{b}', {b}, count(*), count(*) FILTER (employed) FROM x GROUP BY {b}" for b in BREAKDOWNS)}"""
        ).fetchall()
        order = {b: i for i, b in enumerate(("total", *BREAKDOWNS))}
        rows.sort(key=lambda r: (order[r[0]], r[1] or ""))
        out += [Share(h, b, v, int(n), int(e)) for b, v, n, e in rows]
    return out


def outcomes(data: Path, participants: Path, known_on: dt.date, exits_from: dt.date | None = None) -> pa.Table:
    """One row per exit to work (``enrolment_id``) with ``employed_Nm`` for every horizon N: in a
    position N months after the exit date, empty when that date lies after the knowledge date. The
    outcome a comparison with a matched group (pestrack.evaluation) is asked about."""
    con = _connect(Path(data), Path(participants), known_on, exits_from)
    day = known_on.isoformat()
    columns = ", ".join(
        f"""CASE WHEN {_at(h)} > DATE '{day}' THEN NULL ELSE EXISTS (SELECT 1 FROM known_positions p
              WHERE p.person_key = e.person_key AND p.start_date <= {_at(h)}
              AND (p.end_date IS NULL OR p.end_date > {_at(h)})) END AS employed_{h}m"""
        for h in HORIZONS
    )
    return con.sql(
        f"SELECT enrolment_id, {columns} FROM exits e WHERE exit_outcome = 'work' ORDER BY enrolment_id"
    ).to_arrow_table()


def survival(
    data: Path, participants: Path, known_on: dt.date, months: int = 36, exits_from: dt.date | None = None
) -> list[tuple[int, float, int]]:
    """(month, share of first employments still running, at risk) for month 0..``months``."""
    con = _connect(Path(data), Path(participants), known_on, exits_from)
    spells = con.execute(
        f"""WITH jobs AS (
              SELECT person_key, employment_id, min(start_date) AS start_date,
                     CASE WHEN count(*) FILTER (end_date IS NULL) > 0 THEN NULL ELSE max(end_date) END AS end_date
              FROM known_positions GROUP BY person_key, employment_id),
            first AS (
              SELECT e.enrolment_id, arg_min(j.start_date, j.start_date) AS start_date,
                     arg_min(j.end_date, j.start_date) AS end_date
              FROM exits e JOIN jobs j ON j.person_key = e.person_key
                AND j.start_date >= e.exit_date - INTERVAL {NEAR_DAYS} DAY AND j.start_date <= DATE '{known_on.isoformat()}'
              WHERE e.exit_outcome = 'work' GROUP BY e.enrolment_id)
            SELECT date_diff('day', start_date, coalesce(end_date, DATE '{known_on.isoformat()}')),
                   end_date IS NOT NULL FROM first"""
    ).fetchall()
    out, share = [(0, 100.0, len(spells))], 100.0
    for m in range(1, months + 1):
        low, high = (m - 1) * MONTH_DAYS, m * MONTH_DAYS
        at_risk = sum(1 for d, _ in spells if d >= low)
        ended = sum(1 for d, e in spells if e and low <= d < high)
        if at_risk:
            share *= 1 - ended / at_risk
        out.append((m, share, at_risk))
    return out


STATES = ("permanent", "temporary", "measure", "unknown")  # temporary: any other contract type


def pathways(
    data: Path, participants: Path, known_on: dt.date, months: int = 36, exits_from: dt.date | None = None
) -> list[tuple[int, str, int]]:
    """(month after exit, state, exits in that state) for every exit observable at that month: in
    work (permanent, or temporary: any other contract type), in a measure again, or nothing known."""
    con = _connect(Path(data), Path(participants), known_on, exits_from)
    rows = con.execute(
        f"""WITH grid AS (SELECT e.enrolment_id, e.person_key, e.exit_date, m.month,
                            (e.exit_date + to_months(m.month::INTEGER))::DATE AS day
                          FROM exits e, range(0, {int(months) + 1}) m(month)
                          WHERE (e.exit_date + to_months(m.month::INTEGER))::DATE <= DATE '{known_on.isoformat()}'),
            state AS (SELECT g.month,
              CASE
                WHEN EXISTS (SELECT 1 FROM known_positions p WHERE p.person_key = g.person_key
                     AND p.start_date <= g.day AND (p.end_date IS NULL OR p.end_date > g.day)
                     AND p.contract_type = 'permanent') THEN 'permanent'
                WHEN EXISTS (SELECT 1 FROM known_positions p WHERE p.person_key = g.person_key
                     AND p.start_date <= g.day AND (p.end_date IS NULL OR p.end_date > g.day)) THEN 'temporary'
                WHEN EXISTS (SELECT 1 FROM participations_all q WHERE q.person_key = g.person_key
                     AND q.start_date > g.exit_date AND q.start_date <= g.day
                     AND (q.end_date IS NULL OR q.end_date >= g.day))
                  OR EXISTS (SELECT 1 FROM enrolments_all n WHERE n.person_key = g.person_key
                     AND n.start_date > g.exit_date AND n.start_date <= g.day
                     AND (n.end_date IS NULL OR n.end_date >= g.day)) THEN 'measure'
                ELSE 'unknown' END AS state
              FROM grid g)
            SELECT month, state, count(*) FROM state GROUP BY ALL ORDER BY month, state"""
    ).fetchall()
    return [(int(m), s, int(n)) for m, s, n in rows]


CSV_COLUMNS = ("figure", "months", "breakdown", "breakdown_value", "value", "count")


def table(data: Path, participants: Path, known_on: dt.date, exits_from: dt.date | None = None) -> list[tuple]:
    """Everything above as rows of CSV_COLUMNS: ``durability`` (value: percent in work, count:
    exits), ``survival`` (percent still employed, at risk), ``pathway`` (breakdown state, value:
    percent of the exits observable that month, count: exits in the state)."""
    out: list[tuple] = [
        ("durability", s.horizon, s.breakdown, s.value, s.share, s.exits)
        for s in durability(data, participants, known_on, exits_from)
    ]
    out += [
        ("survival", m, "total", None, share, at_risk)
        for m, share, at_risk in survival(data, participants, known_on, exits_from=exits_from)
    ]
    paths = pathways(data, participants, known_on, exits_from=exits_from)
    totals: dict[int, int] = {}
    for m, _, n in paths:
        totals[m] = totals.get(m, 0) + n
    out += [("pathway", m, "state", state, 100 * n / totals[m], n) for m, state, n in paths]
    return out


COMPARISONS = "comparisons.json"


def store_comparisons(
    data: Path, known_on: dt.date, horizon: int, comparisons: list[dict], exits_from: dt.date | None = None
) -> Path:
    """Keep the comparisons with a matched group (``pestrack lmi compare``) beside the contract events
    in ``data``, with their knowledge date, the first exit date counted and when they were computed,
    for the observatory's pages and the annual report (which never run the matching themselves).
    Written whole (a temporary file moved into place)."""
    import json
    import os

    path = Path(data) / COMPARISONS
    body = {
        "knowledge_date": known_on.isoformat(),
        "exits_from": exits_from.isoformat() if exits_from else None,
        "computed_at": dt.datetime.now().replace(microsecond=0).isoformat(),
        "horizon": horizon,
        "comparisons": comparisons,
    }
    temp = path.with_name(f".{COMPARISONS}.tmp")
    temp.write_text(json.dumps(body, indent=1), encoding="utf-8")
    os.replace(temp, path)
    return path


def stored_comparisons(data: Path) -> dict | None:
    """What ``store_comparisons`` kept in ``data``, or None when nothing was stored."""
    import json

    path = Path(data) / COMPARISONS
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
