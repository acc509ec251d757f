"""The contract-event tables on disk (contract_events.parquet, positions.parquet in a data folder)
and what is derived from the event versions: the superseded dates and the positions.

Every row of both tables is one version of what was known, valid from ``known_date`` until
``superseded_date`` (empty: still the latest). ``as_known(D)`` is then a plain filter, so every
engine can ask any query "as known on D" without a window function (docs/lmi.md, "Revisions")."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow.parquet as pq

from pestrack.analytics.extract import age_band, note_table, parse_bands, read_manifest, write_manifest, write_table
from pestrack.analytics.schema import BY_NAME

EVENTS, POSITIONS = "contract_events", "positions"
# What a position carries from the event that starts or changes it.
CONTEXT = tuple(
    c.name
    for c in BY_NAME[POSITIONS].columns
    if c.name not in ("employment_id", "segment", "known_date", "superseded_date", "age_band", "start_date", "end_date")
)
SEGMENT_KEY = (*CONTEXT, "employment_id", "segment", "age_band", "start_date", "end_date")
KIND_ORDER = {"hire": 0, "working_time": 1, "conversion": 2, "extension": 3, "termination": 4}


def read_versions(data: Path) -> list[dict]:
    """Every event version in ``data`` (none when the folder has no contract_events table)."""
    path = Path(data) / f"{EVENTS}.parquet"
    return pq.read_table(path).to_pylist() if path.exists() else []


def with_superseded(versions: list[dict]) -> list[dict]:
    """The versions with ``superseded_date`` set: the known date of the event's next version."""
    by_event: dict[str, list[dict]] = defaultdict(list)
    for v in versions:
        by_event[v["event_id"]].append(v)
    for vs in by_event.values():
        vs.sort(key=lambda v: v["version"])
        for a, b in zip(vs, vs[1:]):
            a["superseded_date"] = b["known_date"]
        vs[-1]["superseded_date"] = None
    return versions


def _age(birth_year: int, day: dt.date) -> int:
    """Age in the year of ``day`` (the events carry the birth year only)."""
    return day.year - birth_year


def segments(events: list[dict], bands) -> list[dict]:
    """The stretches of one employment from its current (not cancelled) events: the hire starts the
    first; a conversion or working-time change on a later day ends it and starts the next (on the
    hire's own day it changes the first); a termination ends the last. Extensions change nothing
    in the stock."""
    hire = next((e for e in events if e["kind"] == "hire"), None)
    if hire is None:
        return []
    out = [{**{k: hire[k] for k in CONTEXT}, "start_date": hire["event_date"], "end_date": None}]
    for e in sorted(events, key=lambda e: (e["event_date"], KIND_ORDER[e["kind"]], e["event_id"])):
        last = out[-1]
        if e["kind"] == "termination":
            last["end_date"] = max(e["event_date"], last["start_date"])
            break
        if e["kind"] in ("conversion", "working_time"):
            changed = {k: e[k] for k in CONTEXT}
            if e["event_date"] <= last["start_date"]:
                last.update(changed)
            else:
                last["end_date"] = e["event_date"]
                out.append({**changed, "start_date": e["event_date"], "end_date": None})
    for i, s in enumerate(out, start=1):
        s["employment_id"] = hire["employment_id"]
        s["segment"] = i
        s["age_band"] = age_band(_age(s["birth_year"], s["start_date"]), bands)
    return out


def positions_of(versions: list[dict], bands) -> Iterator[dict]:
    """The position versions of one employment's event versions: the stretches as known at each
    date something about the employment became known; a stretch unchanged from one such date to
    the next stays one row."""
    points = sorted({v["known_date"] for v in versions})
    by_event: dict[str, list[dict]] = defaultdict(list)
    for v in sorted(versions, key=lambda v: v["version"]):
        by_event[v["event_id"]].append(v)
    open_rows: dict[tuple, dict] = {}
    for k in points:
        current = []
        for vs in by_event.values():
            known = [v for v in vs if v["known_date"] <= k]
            if known and not known[-1]["cancelled"]:
                current.append(known[-1])
        now = {tuple(s[k] for k in SEGMENT_KEY): s for s in segments(current, bands)}
        for key in list(open_rows):
            if key not in now:
                row = open_rows.pop(key)
                row["superseded_date"] = k
                yield row
        for key, s in now.items():
            if key not in open_rows:
                open_rows[key] = {**s, "known_date": k, "superseded_date": None}
    yield from open_rows.values()


def derive_positions(versions: Iterable[dict], bands: list[str]) -> Iterator[dict]:
    """Every position version from every event version."""
    parsed = parse_bands(bands)
    by_employment: dict[str, list[dict]] = defaultdict(list)
    for v in versions:
        by_employment[v["employment_id"]].append(v)
    for vs in by_employment.values():
        yield from positions_of(vs, parsed)


def write(data: Path, versions: list[dict], bands: list[str], **manifest_notes) -> dict[str, int]:
    """Write both tables (and the manifest) into ``data``, whole or not at all: they are written
    into a folder beside them and moved into place only when both are complete."""
    data = Path(data)
    data.mkdir(parents=True, exist_ok=True)
    stage = data / ".lmi-write"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    try:
        manifest = read_manifest(data)
        rows = {}
        for name, table_rows in (
            (EVENTS, with_superseded(versions)),
            (POSITIONS, derive_positions(versions, bands)),
        ):
            n, sha, _ = write_table(name, table_rows, stage, None)
            note_table(manifest, name, n, sha, **manifest_notes)
            rows[name] = n
        for name in (EVENTS, POSITIONS):
            os.replace(stage / f"{name}.parquet", data / f"{name}.parquet")
        write_manifest(data, manifest)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return rows
