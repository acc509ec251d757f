"""Hand-made contract-event files for the lmi tests."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

COLUMNS = (
    "communication_id",
    "action",
    "event_id",
    "known_date",
    "kind",
    "event_date",
    "employment_id",
    "person_key",
    "sex",
    "birth_year",
    "employer_key",
    "sector_code",
    "municipality",
    "occupation",
    "contract_type",
    "subsidy",
    "working_time_pct",
    "termination_reason",
    "previous_contract_type",
    "planned_end_date",
)
PERSON = "AAAAAAAAAAA1"


def event(cid: str, event_id: str, kind: str, day: str, known: str | None = None, **more) -> dict:
    """One communication; plausible values for everything not given."""
    row = {
        "communication_id": cid,
        "action": "new",
        "event_id": event_id,
        "known_date": known or day,
        "kind": kind,
        "event_date": day,
        "employment_id": "" if kind == "hire" else more.pop("employment_id", "h1"),
        "person_key": PERSON,
        "sex": "woman",
        "birth_year": "1990",
        "employer_key": "EMP000000001",
        "sector_code": "47110",
        "municipality": "0180",
        "occupation": "5223",
        "contract_type": "permanent",
        "working_time_pct": "100",
        "termination_reason": "resignation" if kind == "termination" else "",
    }
    row.update(more)
    return row


@pytest.fixture
def events_file(tmp_path):
    """``events_file(rows, name=...)`` writes a CSV of communications and returns its path."""

    def write(rows: list[dict], name: str = "events.csv") -> Path:
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=COLUMNS)
            w.writeheader()
            for r in rows:
                w.writerow({c: r.get(c, "") for c in COLUMNS})
        return path

    return write


from tests.indicators.conftest import spark  # noqa: E402,F401  (one Spark session for the run)
