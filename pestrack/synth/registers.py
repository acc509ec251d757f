"""The register tables of a drawn population (course results, education follow-ups): rows with
``person_key`` for the Parquet output, and CSV files with ``identity_number`` in the layout that
``pestrack analytics import`` takes, for a population written into the database (which has no
records model for them)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from pestrack.analytics.extract import DEFAULT_AGE_BANDS, age_band, parse_bands
from pestrack.analytics.pseudonym import key_for_identity_number
from pestrack.analytics.schema import BY_NAME
from pestrack.records.casework.rules import age_on
from pestrack.synth.population import Population

TABLES = ("course_results", "education_followups")
_key = lru_cache(maxsize=200_000)(key_for_identity_number)  # a student has several courses


def _rows(pop: Population, table: str) -> list[dict]:
    return pop.courses if table == "course_results" else pop.education_followups


def table_rows(pop: Population, table: str, bands: list[str] | None, identity: bool = False) -> Iterator[dict]:
    """The rows of ``table`` in its schema's columns; ``identity``: ``identity_number`` instead of ``person_key``."""
    parsed = parse_bands(bands or DEFAULT_AGE_BANDS)
    columns = [c.name for c in BY_NAME[table].columns]
    for r in _rows(pop, table):
        row = {c: r.get(c) for c in columns}
        if identity:
            del row["person_key"]
            row = {"identity_number": r["pin"], **row}
        else:
            row["person_key"] = _key(r["pin"])
        if "age_band" in row:
            row["age_band"] = age_band(age_on(r["birth_date"], r["start_date"]), parsed)
        yield row


def write_files(shards: Iterable[Population], folder: Path | str, bands: list[str] | None) -> dict[str, Path]:
    """``folder/<table>.csv`` for each register table (all shards), for ``pestrack analytics import``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = {t: (folder / f"{t}.csv").open("w", encoding="utf-8", newline="") for t in TABLES}
    writers = {}
    try:
        for pop in shards:
            for t, f in files.items():
                for row in table_rows(pop, t, bands, identity=True):
                    if t not in writers:
                        writers[t] = csv.DictWriter(f, fieldnames=list(row))
                        writers[t].writeheader()
                    writers[t].writerow({k: "" if v is None else v for k, v in row.items()})
    finally:
        for f in files.values():
            f.close()
    return {t: folder / f"{t}.csv" for t in TABLES}


def import_files(files: dict[str, Path], out: Path | str) -> dict[str, int]:
    """Import the register files into the analytics folder ``out`` (as ``pestrack analytics import``)."""
    from pestrack.analytics.registers import import_register

    return {t: import_register(path, t, out) for t, path in files.items()}
