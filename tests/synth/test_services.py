"""Places provided, outreach contacts, survey answers, the 90-day offer and feriejobb in own units in
the synthetic population: each calibrated indicator row recomputed here by hand from the Parquet
written (read as profiles/stockholm/indicators/*.yaml defines it), and the places used plausibly."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from fractions import Fraction

import pytest

from tests.synth.test_synth import printed_window


def rows(drawn_tables, table):
    return drawn_tables[1][table]


@pytest.mark.parametrize(
    "kind, published",
    [
        ("feriejobb", {2023: 146, 2022: 79}),  # line 603
        ("stockholmsjobb", {2023: 440, 2022: 300}),  # line 604
        ("praktik_student", {2023: 24, 2022: 18}),
    ],
)  # line 605
def test_positions_of_the_places_opened_in_the_year(drawn_tables, kind, published):
    got = {
        y: sum(p["positions"] for p in rows(drawn_tables, "places") if p["kind"] == kind and p["start_date"].year == y)
        for y in published
    }
    assert got == published


def test_stockholmsjobb_places_are_used_in_turn_never_by_more_than_their_positions(drawn_tables):
    places = {p["place_id"]: p for p in rows(drawn_tables, "places")}
    on_place = defaultdict(list)
    for r in rows(drawn_tables, "participations"):
        if r["measure"] == "stockholmsjobb":
            assert r["place_id"] is not None, r
            place = places[r["place_id"]]
            assert place["kind"] == "stockholmsjobb" and place["start_date"] <= r["start_date"], (place, r)
            on_place[r["place_id"]].append((r["start_date"], r["end_date"] or dt.date.max))
    for place_id, spans in on_place.items():
        days = sorted(
            [(s, 1) for s, _ in spans] + [(e + dt.timedelta(days=1) if e != dt.date.max else e, -1) for _, e in spans],
            key=lambda x: (x[0], x[1]),
        )
        held = 0
        for _, step in days:
            held += step
            assert held <= places[place_id]["positions"], place_id
    # a place serves several participants over the years: 1 063 persons in Stockholmsjobb in 2023, 440 new positions
    assert sum(len(s) for s in on_place.values()) > sum(
        p["positions"] for p in places.values() if p["kind"] == "stockholmsjobb"
    )


def test_young_people_20_29_reached_by_outreach_at_level_2(drawn_tables):  # line 606
    def count(year, sex):
        return sum(
            1
            for c in rows(drawn_tables, "outreach")
            if c["date"].year == year
            and c["level"] == 2
            and c["age_band"] in ("20-24", "25-29")
            and (sex is None or c["sex"] == sex)
        )

    assert (count(2023, None), count(2023, "man"), count(2023, "woman"), count(2022, None)) == (988, 613, 375, 806)


def test_no_feriejobb_in_the_citys_own_units(drawn_tables):  # line 607: 0 as printed
    feriejobb = [r for r in rows(drawn_tables, "participations") if r["measure"] == "feriejobb"]
    assert feriejobb and not [r for r in feriejobb if r["provider_type"] == "own"]


def test_every_young_person_is_offered_a_measure_within_90_days(drawn_tables):  # line 599: 100 %
    start, stop = dt.date(2022, 10, 1), dt.date(2023, 10, 1)  # twelve months ending three months before the year's end
    young = [
        e
        for e in rows(drawn_tables, "enrolments")
        if e["programme"] == "jobbtorg"
        and e["target_group"] in ("kaa", "uvas_20_29")
        and start <= e["start_date"] < stop
    ]
    assert len(young) > 500
    assert all(e["days_to_first_measure"] is not None and e["days_to_first_measure"] <= 90 for e in young)


def answers(drawn_tables, survey, question, year):
    return [
        a
        for a in rows(drawn_tables, "survey_answers")
        if a["survey"] == survey and a["question"] == question and a["date"].year == year and a["value"] is not None
    ]


def test_participants_involved_in_their_planning(drawn_tables):  # line 1432: 83,97 %
    got = answers(drawn_tables, "jobbtorg_participant", "involved_in_planning", 2023)
    lo, hi = printed_window("83.97")
    assert lo <= Fraction(100 * sum(1 for a in got if a["value"] >= 4), len(got)) < hi
    assert all(a["person_key"] and a["sex"] in ("woman", "man") for a in got)  # answered by enrolled participants


@pytest.mark.parametrize(
    "survey, published",
    [
        ("komvux_students", {2023: "4.4", 2022: "4.3"}),  # line 1045
        ("sfi_students", {2023: "4.6", 2022: "4.5"}),
    ],
)  # line 1046
def test_students_who_would_recommend_their_school(drawn_tables, survey, published):
    for year, printed in published.items():
        got = answers(drawn_tables, survey, "recommend_school", year)
        assert all(1 <= a["value"] <= 5 for a in got)
        lo, hi = printed_window(printed)
        assert lo <= Fraction(sum(a["value"] for a in got), len(got)) < hi, (year, printed)
