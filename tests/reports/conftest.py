"""A small folder of analytics tables for the report tests (every table present, a few exits)."""

from __future__ import annotations

import datetime as dt

import pytest

from pestrack.analytics.schema import DAYS_PER_MONTH, TABLES
from tests.indicators.conftest import write_table

D = dt.date


def exit_row(year: int, sex: str, outcome: str, months: float = 6.0) -> dict:
    days = round(months * DAYS_PER_MONTH)  # whole days, the months derived from them as the extract does
    return {
        "sex": sex,
        "exit_date": D(year, 6, 1),
        "exit_outcome": outcome,
        "exit_reason": outcome if outcome != "other" else "moved",
        "duration_days": days,
        "duration_months": days / DAYS_PER_MONTH,
        "age_at_exit": 40,
        "age_band_at_exit": "30-49",
    }


@pytest.fixture
def report_data(tmp_path):
    """2023: four Jobbtorg exits (3 to work: 2 of 2 men, 1 of 2 women, months 6, 8, 10, 12);
    2022: two exits, one to work. Other tables empty."""
    data = tmp_path / "data"
    for t in TABLES:
        write_table(data, t.name, [])
    write_table(
        data,
        "exits",
        [
            exit_row(2023, "man", "work", 6),
            exit_row(2023, "man", "work", 8),
            exit_row(2023, "woman", "work", 10),
            exit_row(2023, "woman", "other", 12),
            exit_row(2022, "woman", "work"),
            exit_row(2022, "man", "other"),
        ],
    )
    return data


def _position(person: str, end: dt.date | None) -> dict:
    """A permanent position of ``person`` from 5 March 2022 (known from the start) to ``end``."""
    return {
        "employment_id": f"h-{person}",
        "segment": 1,
        "known_date": D(2022, 3, 5),
        "person_key": person,
        "employer_key": "EMP000000001",
        "sector": "G",
        "sector_code": "47",
        "municipality": "0180",
        "contract_type": "permanent",
        "working_time_pct": 100,
        "full_time": True,
        "age_band": "30-49",
        "start_date": D(2022, 3, 5),
        "end_date": end,
    }


# person: (sex, measure, last day of the position from 5 March 2022: None still held, "none" never hired)
DURABLE = {
    "m1": ("woman", "matching", None),
    "m2": ("man", "matching", None),
    "m3": ("woman", "matching", D(2022, 12, 1)),
    "m4": ("man", "matching", D(2022, 7, 1)),
    "m5": ("woman", "matching", D(2022, 7, 1)),
    "m6": ("man", "matching", "none"),
    "i1": ("woman", "ips", None),
    "i2": ("man", "ips", None),
    "i3": ("woman", "ips", None),
    "i4": ("man", "ips", "none"),
}


@pytest.fixture
def durability_data(tmp_path):
    """(PES folder, contract-event folder), by hand. The contract events cover 2022–2023. Ten
    participants left for work on 1 March 2022 (``DURABLE``: six from matching, four from IPS, five
    women and five men); in work 3 months later 8, 6 months later 6, 12 months later 5 (matching 5, 3,
    2 of 6; IPS 3 of 4 each time; women 5, 4, 3 and men 3, 2, 2 of 5); their 24 and 36 months lie
    after the knowledge date. Not counted: an exit to work in June 2021, before the events begin (and
    never hired, so counting it would lower every share), and exits for other reasons (2023, so the
    data have the report's year)."""
    import json

    pes, lmi = tmp_path / "pes", tmp_path / "lmi"
    for t in TABLES:
        write_table(pes, t.name, [])
    exits = [
        {**exit_row(2022, sex, "work"), "exit_date": D(2022, 3, 1), "person_key": key, "enrolment_id": n}
        for n, (key, (sex, _, _)) in enumerate(DURABLE.items(), start=1)
    ]
    exits.append({**exit_row(2021, "woman", "work"), "person_key": "early", "enrolment_id": 90})
    exits += [{**exit_row(2023, "man", "other"), "person_key": f"o{n}", "enrolment_id": 100 + n} for n in range(3)]
    write_table(pes, "exits", exits)
    write_table(
        pes,
        "participations",
        [
            {
                "enrolment_id": n,
                "person_key": key,
                "measure": measure,
                "start_date": D(2021, 9, 1),
                "end_date": D(2022, 3, 1),
            }
            for n, (key, (_, measure, _)) in enumerate(DURABLE.items(), start=1)
        ],
    )
    write_table(lmi, "positions", [_position(k, end) for k, (_, _, end) in DURABLE.items() if end != "none"])
    covers = {"covers_from": "2022-01-01", "covers_to": "2023-12-31"}
    (lmi / "manifest.json").write_text(json.dumps({"tables": {"contract_events": covers}}))
    return pes, lmi
