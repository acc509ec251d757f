"""The synthetic labour market: deterministic, participants' exits to work followed by a hire,
and the patterns docs/lmi.md promises (part time more common for women, seasonal hiring,
fixed terms that end or convert)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow.parquet as pq
import pytest

from pestrack.lmi import store, synth
from tests.indicators.conftest import write_table

D = dt.date


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    folder = tmp_path_factory.mktemp("market")
    participants = folder / "pes"
    exits = [
        {
            "person_key": f"PARTICIPANT{i}",
            "sex": "woman" if i % 2 else "man",
            "birth_year": 1990,
            "exit_date": D(2022, 1 + i % 12, 10),
            "exit_outcome": "work" if i % 3 else "other",
        }
        for i in range(1, 61)
    ]
    write_table(participants, "exits", exits)
    data = folder / "data"
    synth.write(data, "stockholm", [2022, 2023], scale=0.02, seed=3, participants=participants)
    return data, exits


def test_the_same_seed_gives_the_same_tables(market, tmp_path):
    data, _ = market
    synth.write(tmp_path, "stockholm", [2022, 2023], scale=0.02, seed=3, participants=data.parent / "pes")
    for table in (store.EVENTS, store.POSITIONS, "vacancies", "jobseeker_occupations"):
        assert pq.read_table(tmp_path / f"{table}.parquet").equals(pq.read_table(data / f"{table}.parquet"))


def test_every_participant_who_left_for_work_is_hired_near_the_exit_date(market):
    data, exits = market
    hires = {
        r["person_key"]: r["event_date"]
        for r in pq.read_table(data / "contract_events.parquet", filters=[("kind", "=", "hire")]).to_pylist()
        if r["person_key"].startswith("PARTICIPANT")
    }
    to_work = [e for e in exits if e["exit_outcome"] == "work"]
    assert all(abs((hires[e["person_key"]] - e["exit_date"]).days) <= 14 for e in to_work)
    others = [e for e in exits if e["exit_outcome"] != "work" and e["person_key"] in hires]
    assert all(30 <= (hires[e["person_key"]] - e["exit_date"]).days <= 548 for e in others)


def test_the_patterns_the_docs_promise(market):
    data, _ = market
    con = duckdb.connect()
    con.execute(f"CREATE VIEW e AS SELECT * FROM read_parquet('{data / 'contract_events.parquet'}')")
    part = dict(
        con.execute(
            "SELECT sex, avg(CASE WHEN full_time THEN 0 ELSE 1 END) FROM e WHERE kind = 'hire' GROUP BY sex"
        ).fetchall()
    )
    assert part["woman"] > 2 * part["man"]
    month = dict(
        con.execute(
            "SELECT month(event_date), count(*) FROM e WHERE kind = 'hire' AND year(event_date) = 2023 GROUP BY 1"
        ).fetchall()
    )
    assert month[6] > 1.5 * month[12]
    reasons = dict(
        con.execute("SELECT termination_reason, count(*) FROM e WHERE kind = 'termination' GROUP BY 1").fetchall()
    )
    assert reasons["contract_end"] > 0 and reasons["resignation"] > 0
    conversions = con.execute(
        "SELECT count(*) FROM e WHERE kind = 'conversion' AND previous_contract_type = 'fixed_term'"
    ).fetchall()[0][0]
    assert conversions > 0
    # late communications are kept and flagged; nothing is known after the last day
    assert con.execute("SELECT count(*) FROM e WHERE flag = 'late'").fetchall()[0][0] > 0
    assert con.execute("SELECT max(known_date) FROM e").fetchall()[0][0] <= D(2023, 12, 31)


def test_the_positions_are_those_derived_from_the_events(market):
    """The synthetic positions come from the importer's own derivation (store.derive_positions):
    each employment's stretches follow from its events, so no stretch starts before its hire or
    ends before it starts."""
    data, _ = market
    rows = pq.read_table(data / "positions.parquet").to_pylist()
    assert all(r["end_date"] is None or r["end_date"] >= r["start_date"] for r in rows)
    hires = {
        r["employment_id"]: r["event_date"]
        for r in pq.read_table(data / "contract_events.parquet", filters=[("kind", "=", "hire")]).to_pylist()
    }
    assert all(r["start_date"] >= hires[r["employment_id"]] for r in rows)


def test_the_vacancies_and_job_seekers_follow_the_events_and_show_the_shortages_the_settings_name(market, tmp_path):
    from pestrack.lmi import shortages

    data, _ = market
    con = duckdb.connect()
    for name in ("contract_events", "vacancies", "jobseeker_occupations"):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{data / name}.parquet')")
    latest = "superseded_date IS NULL AND NOT cancelled"
    # every vacancy closed the day before a hire in its occupation and municipality
    assert con.sql(
        f"""SELECT count(*) FROM vacancies v WHERE NOT EXISTS (SELECT 1 FROM contract_events e
            WHERE {latest} AND kind = 'hire' AND e.occupation = v.occupation
              AND e.municipality = v.municipality AND e.event_date = v.last_date + 1)"""
    ).fetchall() == [(0,)]
    # every job-seeker lost a job of that occupation the day before seeking it, or is a participant hired after
    assert con.sql(
        f"""SELECT count(*) FROM jobseeker_occupations j WHERE NOT EXISTS (SELECT 1 FROM contract_events e
            WHERE {latest} AND e.person_key = j.person_key AND e.occupation = j.occupation AND (
              (kind = 'termination' AND termination_reason <> 'retirement' AND e.event_date + 1 = j.from_date)
              OR (kind = 'hire' AND j.person_key LIKE 'PARTICIPANT%' AND e.event_date = j.to_date + 1)))"""
    ).fetchall() == [(0,)]
    assert (
        con.sql("SELECT count(*) FROM jobseeker_occupations WHERE person_key LIKE 'PARTICIPANT%'").fetchall()[0][0] > 0
    )
    # the shortages lie where the profile's settings put more positions per advertisement (groups 2 and 7)
    rows = {r.group: r for r in shortages.shortages(data, D(2023, 1, 1), D(2023, 12, 31), data=data)}
    assert rows["2"].gap > 0 and rows["7"].gap > 0
    assert all(rows[g].gap <= 0 for g in ("1", "4", "5", "9"))
    # the contract events are the same with or without the registers
    synth.write(
        tmp_path, "stockholm", [2022, 2023], scale=0.02, seed=3, participants=data.parent / "pes", registers=False
    )
    assert not (tmp_path / "vacancies.parquet").exists()
    assert pq.read_table(tmp_path / "contract_events.parquet").equals(pq.read_table(data / "contract_events.parquet"))
