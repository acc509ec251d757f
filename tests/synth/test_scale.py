"""Scale N: N shards of the calibrated population, straight to Parquet without a database or into
the database shard by shard; every count N times the published one, every rate the published one,
persons and ids unique across shards."""

from __future__ import annotations

from collections import defaultdict

import pyarrow.parquet as pq
import pytest

from tests.synth.test_synth import INDICATORS, ROWS, YEARS, check_row, comparable, overlaps, published, share

SCALE, SEED = 2, 7


@pytest.fixture(scope="module")
def shards(django_db_blocker):
    """The two shards of scale 2, drawn with the codes of the profile files; any database access fails."""
    from pestrack.records.codes.profile import read_profile
    from pestrack.synth import run

    with django_db_blocker.block():
        data = read_profile("stockholm")
        codes = run.Codes.from_profile(data)
        return list(run.shards("stockholm", list(YEARS), scale=SCALE, seed=SEED, codes=codes))


@pytest.fixture(scope="module")
def parquet(shards, tmp_path_factory, django_db_blocker):
    """The shards appended to the analytics tables, without a database."""
    from pestrack.records.codes.profile import read_profile
    from pestrack.synth.to_parquet import ParquetOut

    out = tmp_path_factory.mktemp("scale2")
    with django_db_blocker.block():
        writer = ParquetOut(out, read_profile("stockholm"))
        for pop in shards:
            writer.add(pop)
        writer.finish()
    return out


def test_persons_decisions_and_places_are_unique_across_shards(shards):
    pins = [p["pin"] for pop in shards for p in pop.persons]
    decisions = [e["decision_reference"] for pop in shards for e in pop.enrolments if e["decision_reference"]]
    titles = [p["title"] for pop in shards for p in pop.places]
    assert len(set(pins)) == len(pins) == 2 * len(shards[0].persons)
    assert len(set(decisions)) == len(decisions) > 1000
    assert len(set(titles)) == len(titles)
    assert shards[0].persons[:50] != shards[1].persons[:50]  # not the same shard twice


def test_every_count_is_scale_times_the_published_one(parquet):
    enrolments = pq.read_table(parquet / "enrolments.parquet").to_pylist()
    assert sorted(r["enrolment_id"] for r in enrolments) == list(range(1, len(enrolments) + 1))
    table = published()
    for year in YEARS:
        persons = defaultdict(set)
        for r in enrolments:
            if r["programme"] == "jobbtorg" and overlaps(r["start_date"], r["end_date"], year):
                persons[("Totalt unika individer", r["sex"])].add(r["person_key"])
                for label, groups in ROWS.items():
                    if r["target_group"] in groups:
                        persons[(label, r["sex"])].add(r["person_key"])
        for label in [*ROWS, "Totalt unika individer"]:
            women, men, _ = table[label][year]
            assert (len(persons[(label, "woman")]), len(persons[(label, "man")])) == (SCALE * women, SCALE * men), (
                year,
                label,
            )
    participations = (
        pq.read_table(parquet / "participations.parquet", columns=["participation_id"]).column(0).to_pylist()
    )
    assert sorted(participations) == list(range(1, len(participations) + 1))


def test_the_published_rates_stay_the_same_at_scale_2(parquet):
    exits = pq.read_table(parquet / "exits.parquet").to_pylist()
    rows = [
        (r["sex"], None, r["exit_date"], r["exit_outcome"], r["start_date"])
        for r in exits
        if r["programme"] == "jobbtorg"
    ]
    check_row(967, {k: share(rows, *k, lambda r: r[3] in ("work", "studies")) for k in INDICATORS[967][1]})
    young = [
        (r["sex"], None, r["exit_date"], r["exit_outcome"])
        for r in exits
        if r["programme"] == "jobbtorg" and 18 <= r["age_at_exit"] <= 29
    ]
    check_row(960, {k: share(young, *k, lambda r: r[3] in ("work", "studies")) for k in INDICATORS[960][1]})


@pytest.mark.slow
@pytest.mark.django_db
def test_into_the_database_shard_by_shard_then_the_extract_equals_the_direct_tables(shards, parquet, profile, tmp_path):
    from pestrack.analytics.extract import extract
    from pestrack.records.audit.models import AccessLogEntry
    from pestrack.records.casework.models import Enrolment
    from pestrack.records.people.models import Person
    from pestrack.synth import store

    seen = []
    counts = store.write_shards(iter(shards), SEED, progress=lambda k, shard: seen.append((k, shard["persons"])))
    assert seen == [(0, len(shards[0].persons)), (1, len(shards[1].persons))]
    assert Person.objects.count() == counts["persons"] == sum(len(p.persons) for p in shards)
    assert Enrolment.objects.count() == counts["enrolments"]
    assert AccessLogEntry.objects.filter(action="create", object_type="person").count() == counts["persons"]
    extract(tmp_path)
    direct, db = comparable(parquet), comparable(tmp_path)
    for table in direct:
        assert direct[table] == db[table], table
