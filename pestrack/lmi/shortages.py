"""Shortages by occupation group (docs/lmi.md, "Shortages"): for each SSYK 2012 major group and a
period, the positions on offer (the ``vacancies`` register: job boards, the employment service and
the places of the employer pages), the job-seekers who seek that occupation
(``jobseeker_occupations``), the hires of the contract events, and the training the administration
buys for it (the ``course_results`` of adult education, mapped to a group by the profile's
``lmi/training.yaml``), so the observatory can say where training does not meet demand.

The gap is the positions on offer minus the job-seekers seeking them; where it is positive the
occupation has a shortage, and the training *meets* it when at least as many courses for that group
were passed in the period as the gap is wide (``not_met`` otherwise)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from pestrack.records.codes import classifications
from pestrack.records.codes.profile import ProfileError, profile_dir

TRAINING = Path("lmi") / "training.yaml"
VERDICTS = ("no_shortage", "met", "not_met")


class MissingTable(FileNotFoundError):
    pass


@dataclass(frozen=True)
class Row:
    group: str  # SSYK 2012 major group
    vacancies: int  # positions on offer at some time in the period
    job_seekers: int  # distinct persons seeking an occupation of the group in the period
    hires: int | None  # hires of the contract events in the period (None without them)
    training_started: int | None  # courses for the group started in the period (None without course results)
    training_passed: int | None  # courses for the group passed (ended with a pass) in the period

    @property
    def gap(self) -> int:
        return self.vacancies - self.job_seekers

    @property
    def verdict(self) -> str | None:
        """no_shortage, met (passed courses cover the gap) or not_met; None without course results."""
        if self.gap <= 0:
            return "no_shortage"
        if self.training_passed is None:
            return None
        return "met" if self.training_passed >= self.gap else "not_met"


def course_groups(profile: str | None = None) -> list[tuple[str, str]]:
    """(course-code prefix, group) of the profile's training.yaml, longest prefix first."""
    path = profile_dir(profile) / TRAINING
    if not path.exists():
        return []
    items = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("course_occupations") or []
    groups = classifications.load(profile)["occupation_group"].codes(dt.date.today())
    out = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not item.get("prefix") or str(item.get("group")) not in groups:
            raise ProfileError(
                f"{path}: course_occupations item {n}: needs a prefix and a group of the occupation_group "
                f"classification ({', '.join(sorted(groups))}), not {item!r}"
            )
        out.append((str(item["prefix"]), str(item["group"])))
    return sorted(out, key=lambda pg: -len(pg[0]))


def _view(con, name: str, path: Path) -> None:
    literal = "'" + str(path).replace("'", "''") + "'"
    con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet({literal})')


def shortages(
    registers: Path,
    start: dt.date,
    end: dt.date,
    *,
    data: Path | None = None,
    known_on: dt.date | None = None,
    profile: str | None = None,
) -> list[Row]:
    """One row per occupation group of the profile for the period ``start``–``end``. ``registers``:
    the folder with ``vacancies``, ``jobseeker_occupations`` and (optionally) ``course_results``;
    ``data``: the contract events (optional), counted as known on ``known_on`` (default ``end``)."""
    registers = Path(registers)
    con = duckdb.connect(":memory:")
    for name in ("vacancies", "jobseeker_occupations"):
        if not (registers / f"{name}.parquet").exists():
            raise MissingTable(
                f"{registers}: no {name} table (pestrack analytics import --table {name} FILE --out DIR)"
            )
        _view(con, name, registers / f"{name}.parquet")
    s, e = f"DATE '{start.isoformat()}'", f"DATE '{end.isoformat()}'"
    vacancies = dict(
        con.execute(
            f"""SELECT substr(occupation, 1, 1), sum(positions) FROM vacancies
                WHERE published_date <= {e} AND (last_date IS NULL OR last_date >= {s}) GROUP BY 1"""
        ).fetchall()
    )
    seekers = dict(
        con.execute(
            f"""SELECT substr(occupation, 1, 1), count(DISTINCT person_key) FROM jobseeker_occupations
                WHERE from_date <= {e} AND (to_date IS NULL OR to_date >= {s}) GROUP BY 1"""
        ).fetchall()
    )
    hires: dict | None = None
    if data is not None and (Path(data) / "contract_events.parquet").exists():
        _view(con, "contract_events", Path(data) / "contract_events.parquet")
        day = f"DATE '{(known_on or end).isoformat()}'"
        hires = dict(
            con.execute(
                f"""SELECT occupation_group, count(*) FROM contract_events
                    WHERE kind = 'hire' AND NOT cancelled AND event_date BETWEEN {s} AND {e}
                      AND known_date <= {day} AND (superseded_date IS NULL OR superseded_date > {day})
                    GROUP BY 1"""
            ).fetchall()
        )
    started: dict | None = None
    passed: dict | None = None
    prefixes = course_groups(profile)
    if (registers / "course_results.parquet").exists():
        _view(con, "course_results", registers / "course_results.parquet")
        rows = con.execute(
            f"""SELECT course_code, count(*) FILTER (start_date BETWEEN {s} AND {e}),
                       count(*) FILTER (passed AND end_date BETWEEN {s} AND {e})
                FROM course_results WHERE course_code IS NOT NULL GROUP BY 1"""
        ).fetchall()
        started, passed = {}, {}
        for code, n_started, n_passed in rows:
            group = next((g for p, g in prefixes if code.startswith(p)), None)
            if group is not None:
                started[group] = started.get(group, 0) + n_started
                passed[group] = passed.get(group, 0) + n_passed
    groups = sorted(classifications.load(profile)["occupation_group"].codes(end))
    return [
        Row(
            g,
            int(vacancies.get(g) or 0),
            int(seekers.get(g) or 0),
            None if hires is None else int(hires.get(g) or 0),
            None if started is None else started.get(g, 0),
            None if passed is None else passed.get(g, 0),
        )
        for g in groups
    ]


CSV_COLUMNS = (
    "occupation_group",
    "vacancies",
    "job_seekers",
    "gap",
    "hires",
    "training_started",
    "training_passed",
    "verdict",
)


def csv_rows(rows: list[Row]) -> list[list]:
    return [
        [r.group, r.vacancies, r.job_seekers, r.gap, r.hires, r.training_started, r.training_passed, r.verdict]
        for r in rows
    ]
