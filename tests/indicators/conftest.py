"""Small analytics tables written to Parquet with the real schema, for hand-computed tests."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pestrack.analytics.schema import BY_NAME

D = dt.date
DEFAULTS = {"string": "x", "int32": 0, "int64": 0, "double": 0.0, "bool": False, "date32[day]": D(2023, 1, 1)}
# Plausible values for the columns a test does not care about (codes that exist in the profile).
COMMON = {"sex": "woman", "programme": "jobbtorg", "org_unit": "jt-city", "org_unit_path": "/stockholm/amf/jobbtorg/jt-city/",
          "target_group": "forsorjningsstod", "entry_route": "social_services", "municipality": "0180",
          "birth_year": 1990, "exit_reason": "work", "exit_outcome": "work", "measure": "matching",
          "kind": "stockholmsjobb", "positions": 1, "source": "register", "level": 1, "survey": "jobbtorg_participant",
          "question": "involved_in_planning"}


def write_table(folder: Path, name: str, rows: list[dict]) -> Path:
    """``folder/<name>.parquet`` with ``rows``; required columns not given get a plausible value."""
    schema = BY_NAME[name].arrow
    full = []
    for i, row in enumerate(rows):
        unknown = set(row) - set(schema.names)
        assert not unknown, f"{name} has no column {unknown}"
        filled = {}
        for f in schema:
            if f.name in row:
                filled[f.name] = row[f.name]
            elif f.name.endswith("_id") and not f.nullable:
                filled[f.name] = i + 1
            elif f.name == "person_key":
                filled[f.name] = f"p{i + 1}"
            elif not f.nullable:
                filled[f.name] = COMMON.get(f.name, DEFAULTS[str(f.type)])
            else:
                filled[f.name] = None
        full.append(filled)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    pq.write_table(pa.Table.from_pylist(full, schema=schema), path)
    return path


@pytest.fixture
def tables(tmp_path):
    """``tables(name, rows)`` writes one analytics table into tmp_path/data and returns the folder."""
    data = tmp_path / "data"

    def write(name: str, rows: list[dict]) -> Path:
        write_table(data, name, rows)
        return data

    return write


@pytest.fixture
def define(tmp_path):
    """``define(yaml_text)`` writes a definitions file and returns its path."""
    counter = iter(range(1000))

    def write(text: str) -> Path:
        path = tmp_path / f"defs{next(counter)}.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write
