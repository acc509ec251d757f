"""Durability of work after a PES exit, the first employment's survival and the pathways, on
hand-made tables: who counts at which horizon, by measure, target group and sex."""

from __future__ import annotations

import datetime as dt

import pytest

from pestrack.lmi import durability
from tests.indicators.conftest import write_table

D = dt.date
KNOWN = D(2024, 1, 31)


def _position(person, start, end=None, contract="permanent", known=D(2022, 1, 1), superseded=None, employment=None):
    return {
        "employment_id": employment or f"{person}-{start}",
        "segment": 1,
        "known_date": known,
        "superseded_date": superseded,
        "person_key": person,
        "employer_key": "EMP000000001",
        "sector": "G",
        "sector_code": "47",
        "municipality": "0180",
        "contract_type": contract,
        "working_time_pct": 100,
        "full_time": True,
        "age_band": "30-39",
        "start_date": start,
        "end_date": end,
    }


@pytest.fixture
def folders(tmp_path):
    pes, data = tmp_path / "pes", tmp_path / "data"
    exits = [
        # a: hired at the exit, still employed; b: hired, left after 4 months; c: exit to work, never hired
        {"enrolment_id": 1, "person_key": "a", "sex": "woman", "exit_date": D(2022, 1, 15), "exit_outcome": "work"},
        {
            "enrolment_id": 2,
            "person_key": "b",
            "sex": "man",
            "exit_date": D(2022, 1, 15),
            "exit_outcome": "work",
            "target_group": "kaa",
        },
        {"enrolment_id": 3, "person_key": "c", "sex": "man", "exit_date": D(2022, 1, 15), "exit_outcome": "work"},
        # d: left for other reasons, back in a measure after three months; e: exit too recent for 12 months
        {"enrolment_id": 4, "person_key": "d", "sex": "woman", "exit_date": D(2022, 1, 15), "exit_outcome": "other"},
        {"enrolment_id": 5, "person_key": "e", "sex": "woman", "exit_date": D(2023, 6, 1), "exit_outcome": "work"},
    ]
    write_table(pes, "exits", exits)
    write_table(
        pes,
        "participations",
        [
            {
                "enrolment_id": 1,
                "person_key": "a",
                "measure": "matching",
                "start_date": D(2021, 6, 1),
                "end_date": D(2022, 1, 15),
            },
            {
                "enrolment_id": 2,
                "person_key": "b",
                "measure": "stockholmsjobb",
                "start_date": D(2021, 6, 1),
                "end_date": D(2022, 1, 15),
            },
            {"enrolment_id": 6, "person_key": "d", "measure": "matching", "start_date": D(2022, 4, 1)},
        ],
    )
    write_table(pes, "enrolments", [{"enrolment_id": 6, "person_key": "d", "start_date": D(2022, 4, 1)}])
    write_table(
        data,
        "positions",
        [
            _position("a", D(2022, 1, 10)),
            _position("b", D(2022, 1, 20), D(2022, 5, 20), contract="fixed_term"),
            _position("e", D(2023, 6, 1)),
            # known only after the knowledge date: does not count
            _position("c", D(2022, 2, 1), known=D(2024, 3, 1)),
        ],
    )
    return data, pes


def _share(shares, horizon, breakdown="total", value=None):
    return next(s for s in shares if (s.horizon, s.breakdown, s.value) == (horizon, breakdown, value))


def test_the_share_in_work_at_each_horizon_counts_exits_to_work_observable_then(folders):
    data, pes = folders
    shares = durability.durability(data, pes, KNOWN)
    three, twelve = _share(shares, 3), _share(shares, 12)
    assert (three.exits, three.employed) == (4, 3)  # a, b and e; c's hire is not known yet
    assert (_share(shares, 6).exits, _share(shares, 6).employed) == (4, 2)  # b's fixed term ended in May
    assert (twelve.exits, twelve.employed) == (3, 1)  # e's twelve months (June 2024) are not known yet
    assert _share(shares, 36).exits == 0  # nobody's 36 months are known yet
    assert _share(shares, 12, "measure", "matching").employed == 1
    assert _share(shares, 12, "measure", "stockholmsjobb").employed == 0
    assert _share(shares, 3, "target_group", "kaa").employed == 1
    assert _share(shares, 3, "sex", "man").share == 50.0


def test_exits_before_the_contract_events_begin_are_left_out_when_asked(folders):
    """A hire before the first day the contract events cover was never communicated: an exit then
    would count as "not in work" whatever happened, so the report counts exits from that day on."""
    data, pes = folders
    shares = durability.durability(data, pes, KNOWN, exits_from=D(2023, 1, 1))
    assert (_share(shares, 3).exits, _share(shares, 3).employed) == (1, 1)  # e only: a, b, c left in 2022
    assert _share(shares, 12).exits == 0
    assert [r["enrolment_id"] for r in durability.outcomes(data, pes, KNOWN, D(2023, 1, 1)).to_pylist()] == [5]


def test_the_first_employments_survival_never_rises(folders):
    data, pes = folders
    curve = durability.survival(data, pes, KNOWN, months=24)
    shares = [s for _, s, _ in curve]
    assert shares[0] == 100.0
    assert all(b <= a for a, b in zip(shares, shares[1:]))
    assert shares[5] < 100.0  # b's employment ended after four months


def test_pathways_show_work_by_contract_a_measure_again_or_nothing_known(folders):
    data, pes = folders
    at = {(m, s): n for m, s, n in durability.pathways(data, pes, KNOWN, months=12)}
    assert at[(3, "permanent")] == 2  # a, and e (whose third month is September 2023)
    assert at[(3, "temporary")] == 1  # b's fixed term
    assert at[(3, "measure")] == 1  # d, in a measure again since April
    assert at[(3, "unknown")] == 1  # c: the hire is not known yet


def test_the_outcome_per_exit_is_empty_where_the_horizon_is_not_known_yet(folders):
    data, pes = folders
    rows = {r["enrolment_id"]: r for r in durability.outcomes(data, pes, KNOWN).to_pylist()}
    assert sorted(rows) == [1, 2, 3, 5]  # the exits to work
    assert (rows[1]["employed_12m"], rows[2]["employed_3m"], rows[2]["employed_6m"]) == (True, True, False)
    assert rows[3]["employed_3m"] is False  # c's hire was not known on the knowledge date
    assert rows[5]["employed_3m"] is True and rows[5]["employed_12m"] is None  # June 2024: not known yet


@pytest.fixture
def measured(tmp_path):
    """200 exits to work on 2022-01-15; half took part in "ips". Those who did are in work twelve
    months later four times in five, the others two times in five, whatever their characteristics."""
    import random

    rng = random.Random(5)
    pes, data = tmp_path / "pes", tmp_path / "data"
    enrolments, exits, participations, positions = [], [], [], []
    for i in range(200):
        key, sex, treated = f"p{i}", "woman" if i % 2 else "man", i % 4 < 2
        enrolments.append(
            {
                "enrolment_id": i,
                "person_key": key,
                "sex": sex,
                "age_at_start": 20 + rng.randrange(40),
                "education_level": rng.choice(["primary", "secondary", "tertiary"]),
                "born_abroad": rng.random() < 0.5,
                "target_group": rng.choice(["kaa", "ekb"]),
                "start_date": D(2021, 1, 1),
            }
        )
        exits.append(
            {"enrolment_id": i, "person_key": key, "sex": sex, "exit_date": D(2022, 1, 15), "exit_outcome": "work"}
        )
        measure = "ips" if treated else "matching"
        participations.append(
            {
                "enrolment_id": i,
                "person_key": key,
                "measure": measure,
                "start_date": D(2021, 3, 1),
                "end_date": D(2022, 1, 15),
            }
        )
        lasts = rng.random() < (0.8 if treated else 0.4)
        positions.append(_position(key, D(2022, 1, 20), None if lasts else D(2022, 9, 30)))
    write_table(pes, "enrolments", enrolments)
    write_table(pes, "exits", exits)
    write_table(pes, "participations", participations)
    write_table(data, "positions", positions)
    return data, pes


def test_a_measures_exits_are_compared_with_a_matched_group_through_the_evaluation_package(measured):
    from pestrack.cli.lmi import comparisons

    data, pes = measured
    (c,) = comparisons(data, pes, KNOWN, ["ips"], 12)
    in_work = durability.outcomes(data, pes, KNOWN).column("employed_12m").to_pylist()
    treated = [w for i, w in enumerate(in_work) if i % 4 < 2]
    # the treated in common support (the score range both groups reach): nearly all of them
    assert 90 <= c["n_treated"] <= 100 and c["n_control"] > 0
    assert c["treated"] == pytest.approx(100 * sum(treated) / len(treated), abs=3)
    assert 25 < c["difference"] < 55 and c["low"] > 0  # longer-lasting work, and the interval says so
    assert c["difference"] == pytest.approx(c["treated"] - c["matched"])
    with pytest.raises(ValueError, match="horizon must be one of"):
        comparisons(data, pes, KNOWN, ["ips"], 9)


def test_the_comparison_is_computed_once_by_a_command_and_kept_beside_the_data_with_its_dates(measured):
    from typer.testing import CliRunner

    from pestrack.cli import app
    from pestrack.cli.lmi import comparisons

    data, pes = measured
    args = ["lmi", "compare", "--data", data, "--participants", pes, "--measure", "ips", "--known-on", "2024-01-31"]
    result = CliRunner().invoke(app, list(map(str, args)))
    assert result.exit_code == 0, result.output
    stored = durability.stored_comparisons(data)
    assert stored["knowledge_date"] == "2024-01-31" and stored["horizon"] == 12
    assert dt.datetime.fromisoformat(stored["computed_at"]).date() == dt.date.today()
    assert stored["comparisons"] == comparisons(data, pes, KNOWN, ["ips"], 12)  # what the bulletin prints
    bad = CliRunner().invoke(app, list(map(str, [*args[:-2], "--known-on", "2024-13-01"])))
    assert bad.exit_code == 2 and durability.stored_comparisons(data) == stored  # nothing overwritten


def test_the_commands_count_the_exits_from_the_first_day_the_events_cover(folders, tmp_path):
    """``lmi durability`` (and the comparison, the bulletin and the dashboard) take the first day the
    contract events cover from the manifest: before it, a hire was never communicated."""
    import csv
    import json

    from typer.testing import CliRunner

    from pestrack.cli import app

    data, pes = folders
    covers = {"covers_from": "2023-01-01", "covers_to": "2024-01-31"}
    (data / "manifest.json").write_text(json.dumps({"tables": {"contract_events": covers}}))
    out = tmp_path / "durability.csv"
    args = ["lmi", "durability", "--data", data, "--participants", pes, "--known-on", "2024-01-31", "--out", out]
    result = CliRunner().invoke(app, list(map(str, args)))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    three = next(r for r in rows if (r["figure"], r["months"], r["breakdown"]) == ("durability", "3", "total"))
    assert (three["count"], three["value"]) == ("1", "100.0")  # e only; a, b and c left in 2022
