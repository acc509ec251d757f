"""The synthetic population: the published Jobbtorg table exactly, rules, determinism, dates, extract.

One population (scale 1, fixed seed) is generated once for the module, inside a transaction that is
rolled back at the end (the access log refuses DELETE on PostgreSQL, so no flush)."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from django.db import transaction

from pestrack.records.casework import rules
from pestrack.records.casework.models import Assessment, Enrolment, FollowUp, Participation
from pestrack.records.codes.models import Code
from pestrack.records.people.models import Person

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
TSV = ROOT.parent / "shared" / "reference" / "jobbtorg_target_groups.tsv"
SEED = 2023
YEARS = (2022, 2023)
# Row of the published table -> target-group codes it counts (written out here, not read from the profile).
ROWS = {
    "Försörjningsstöd": {"forsorjningsstod"},
    "KAAs": {"kaa"},
    "Ingång 20-29": {"uvas_20_29"},
    "Övriga målgrupper": {"ovriga", "ovriga_lss"},
    "varav LSS, Socialpsykiatri, gymnasiesärskola": {"ovriga_lss"},
    "Stockholmsjobb": {"stockholmsjobb"},
}
SUBSET = "varav LSS, Socialpsykiatri, gymnasiesärskola"


class _Rollback(Exception):
    pass


@pytest.fixture(scope="module")
def population(django_db_setup, django_db_blocker):
    from pestrack.records.codes.profile import load_profile
    from pestrack.synth import run, store

    with django_db_blocker.unblock():
        try:
            with transaction.atomic():
                load_profile("stockholm")
                pop = run.build("stockholm", list(YEARS), seed=SEED)
                store.write(pop, SEED)
                yield pop
                raise _Rollback
        except _Rollback:
            pass


def published() -> dict[str, dict[int, tuple[int, int, int]]]:
    """label -> year -> (women, men, total): the reference TSV, or the copy in synth.yaml without it."""
    if TSV.exists():
        with TSV.open(encoding="utf-8") as f:
            return {
                r["target_group"]: {y: (int(r[f"women_{y}"]), int(r[f"men_{y}"]), int(r[f"total_{y}"])) for y in YEARS}
                for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            }
    t = yaml.safe_load((ROOT / "profiles/stockholm/synth.yaml").read_text())["targets"]
    return {r["label"]: {y: tuple(r[y]) for y in YEARS} for r in [*t["rows"], t["total_enrolled"], t["unique"]]}


def overlaps(start, end, year) -> bool:
    return start <= dt.date(year, 12, 31) and (end is None or end >= dt.date(year, 1, 1))


def table_from_records(year: int) -> dict[str, tuple[int, int, int]]:
    """The published table recomputed by hand from the enrolments (distinct persons per row)."""
    persons = defaultdict(set)  # (label, sex) -> person ids
    for pid, sex, group, start, end in Enrolment.objects.filter(programme__code="jobbtorg").values_list(
        "person_id", "person__sex", "target_group__code", "start_date", "end_date"
    ):
        if overlaps(start, end, year):
            persons[("Totalt unika individer", sex)].add(pid)
            for label, groups in ROWS.items():
                if group in groups:
                    persons[(label, sex)].add(pid)
    out = {
        label: (len(persons[(label, "woman")]), len(persons[(label, "man")]))
        for label in [*ROWS, "Totalt unika individer"]
    }
    out = {label: (w, m, w + m) for label, (w, m) in out.items()}
    groups = [label for label in ROWS if label != SUBSET]
    # As published: the women and men cells of the total add the subset row, the total cell does not.
    out["Totalt inskrivna"] = (
        sum(out[label][0] for label in ROWS),
        sum(out[label][1] for label in ROWS),
        sum(out[label][2] for label in groups),
    )
    return out


@pytest.mark.parametrize("year", YEARS)
def test_the_published_target_group_table_comes_out_exactly(population, year):
    expected = {label: values[year] for label, values in published().items()}
    assert table_from_records(year) == expected


def test_the_profile_copy_of_the_targets_equals_the_reference_table():
    if not TSV.exists():
        pytest.skip(f"{TSV} is not here")
    t = yaml.safe_load((ROOT / "profiles/stockholm/synth.yaml").read_text())["targets"]
    copy = {r["label"]: {y: tuple(r[y]) for y in YEARS} for r in [*t["rows"], t["total_enrolled"], t["unique"]]}
    assert copy == published()


def test_persons_in_two_groups_in_a_year_have_two_consecutive_enrolments(population):
    by_person = defaultdict(list)
    for pid, start, end in Enrolment.objects.values_list("person_id", "start_date", "end_date").order_by("start_date"):
        by_person[pid].append((start, end))
    twice = [spans for spans in by_person.values() if len(spans) > 1]
    assert len(twice) > 1000
    for spans in twice:
        for (_, end), (next_start, _) in zip(spans, spans[1:]):
            assert end is not None and end < next_start


def test_every_generated_record_passes_the_business_rules(population):
    codes = {c.id: c for c in Code.objects.all()}
    birth = dict(Person.objects.values_list("id", "birth_date"))
    enrolments = {}
    for e in Enrolment.objects.all():
        enrolments[e.id] = e
        problems = rules.check_enrolment(
            birth_date=birth[e.person_id],
            municipality="0180",
            home_municipality="0180",
            target_group=codes[e.target_group_id],
            entry_route=codes[e.entry_route_id],
            start_date=e.start_date,
            end_date=e.end_date,
            exit_reason=codes.get(e.exit_reason_id),
            decision_reference=e.decision_reference,
            decision_date=e.decision_date,
        )
        problems += rules.check_open_enrolment_unique(e.person_id, e.programme_id, e.start_date, e.end_date, e.pk)
        assert not problems, (e.pk, problems)
    assert set(Person.objects.values_list("municipality", flat=True)) == {"0180"}
    for p in Participation.objects.all():
        e = enrolments[p.enrolment_id]
        problems = rules.check_participation(
            measure=codes[p.measure_id],
            programme=codes[e.programme_id],
            birth_date=birth[e.person_id],
            enrolment_start=e.start_date,
            enrolment_end=e.end_date,
            start_date=p.start_date,
            end_date=p.end_date,
        )
        assert not problems, (p.pk, problems)
    for f in FollowUp.objects.all():
        problems = rules.check_followup(
            months=f.months, enrolment_end=enrolments[f.enrolment_id].end_date, reference_date=f.reference_date
        )
        assert not problems, (f.pk, problems)
    for a in Assessment.objects.all():
        assert not rules.check_assessment(instrument=codes[a.instrument_id], score=a.score, date=a.date)


def test_no_future_dates_no_exit_before_enrolment_and_plausible_ages(population):
    today = dt.date.today()
    assert Enrolment.objects.filter(end_date__isnull=False, exit_reason__isnull=True).count() == 0
    for start, end, birth, group in Enrolment.objects.values_list(
        "start_date", "end_date", "person__birth_date", "target_group__code"
    ):
        assert birth < start <= today and (end is None or start <= end <= today)
        assert 16 <= rules.age_on(birth, start) <= 64, group
    for start, end, e_start, e_end in Participation.objects.values_list(
        "start_date", "end_date", "enrolment__start_date", "enrolment__end_date"
    ):
        assert e_start <= start and (end is None or start <= end <= (e_end or today))
    for ref, months, end in FollowUp.objects.values_list("reference_date", "months", "enrolment__end_date"):
        assert end < ref <= today and months in (3, 6)
    assert not Enrolment.objects.filter(start_date__gt=dt.date(2023, 12, 31)).exists()


def test_stockholmsjobb_enrolments_work_on_a_stockholmsjobb_place(population):
    sj = Enrolment.objects.filter(target_group__code="stockholmsjobb")
    on_place = sj.filter(participations__measure__code="stockholmsjobb", participations__place__isnull=False).distinct()
    assert sj.count() == on_place.count() > 1000
    assert (
        not Participation.objects.filter(measure__code="stockholmsjobb")
        .exclude(enrolment__target_group__code="stockholmsjobb")
        .exists()
    )


def test_same_seed_same_data_other_seed_other_data(population, drawn):
    from pestrack.synth import run, store

    stored = store.digest_database()
    assert store.digest_population(population) == stored
    # drawn (tests/synth/conftest.py): another draw of the same seed, with the codes read from the profile
    assert drawn is not population and store.digest_population(drawn) == stored
    assert store.digest_population(run.build("stockholm", list(YEARS), seed=SEED + 1)) != stored


def test_a_second_population_is_refused_and_nothing_is_added(population):
    from pestrack.synth import store

    before = Person.objects.count()
    with pytest.raises(ValueError, match="already holds"):
        store.write(population, SEED)
    assert Person.objects.count() == before


def test_every_stored_enrolment_has_its_last_activity(population):
    """The bulk INSERTs of ``synth --into-db`` bypass the ORM: the caseload's sort key is refreshed
    per shard, equal to the one computed now for every enrolment."""
    from tests.records.test_last_activity import stale

    assert Enrolment.objects.count() > 10_000 and Enrolment.objects.filter(last_activity__isnull=True).count() == 0
    assert stale() == []


def test_the_analytics_extract_has_the_same_counts(population, tmp_path):
    from pestrack.analytics.extract import extract

    extract(tmp_path)
    rows = pq.read_table(tmp_path / "enrolments.parquet").to_pylist()
    assert len(rows) == Enrolment.objects.count()
    for year in YEARS:
        persons = defaultdict(set)
        for r in rows:
            if r["programme"] == "jobbtorg" and overlaps(r["start_date"], r["end_date"], year):
                persons[r["sex"]].add(r["person_key"])
                persons[(r["target_group"], r["sex"])].add(r["person_key"])
        table = published()
        assert (len(persons["woman"]), len(persons["man"])) == table["Totalt unika individer"][year][:2]
        assert len(persons[("stockholmsjobb", "man")]) == table["Stockholmsjobb"][year][1]
        assert len(persons[("ovriga_lss", "woman")]) == table[SUBSET][year][0]
    assert pq.read_metadata(tmp_path / "participations.parquet").num_rows == Participation.objects.count()
    assert pq.read_metadata(tmp_path / "followups.parquet").num_rows == FollowUp.objects.count()


def comparable(folder: Path) -> dict[str, list[dict]]:
    """Every analytics table's rows in one order, its ids replaced by their rank: a database numbers
    from wherever its sequences stand (on PostgreSQL rolled-back tests use numbers up)."""
    from pestrack.analytics.schema import RECORD_TABLES

    tables = {t.name: pq.read_table(folder / f"{t.name}.parquet").to_pylist() for t in RECORD_TABLES}
    rank = {
        key: {value: i for i, value in enumerate(sorted(r[key] for r in tables[table]))}
        for table, key in (
            ("enrolments", "enrolment_id"),
            ("participations", "participation_id"),
            ("places", "place_id"),
            ("outreach", "contact_id"),
        )
    }
    for rows in tables.values():
        for r in rows:
            for key, ranks in rank.items():
                if r.get(key) is not None:
                    r[key] = ranks[r[key]]
        rows.sort(key=lambda r: repr(sorted(r.items())))
    return tables


def test_synth_out_without_the_database_gives_the_tables_the_extract_gives(population, tmp_path):
    """`pestrack synth --out DIR` (no --into-db) and the extract of the same population in the database:
    the same rows, values and pseudonymous keys in every analytics table."""
    from typer.testing import CliRunner

    from pestrack.analytics.extract import extract
    from pestrack.cli import app

    r = CliRunner().invoke(
        app, ["synth", "--years", "2022", "2023", "--seed", str(SEED), "--out", str(tmp_path / "direct")]
    )
    assert r.exit_code == 0, r.output
    assert "shard 1/1" in r.output and "analytics tables in" in r.output
    extract(tmp_path / "db")
    direct, db = comparable(tmp_path / "direct"), comparable(tmp_path / "db")
    assert {t: len(rows) for t, rows in direct.items()} == {t: len(rows) for t, rows in db.items()}
    assert len(direct["exits"]) > 10_000 and len(direct["followups"]) > 10_000
    for table in direct:
        assert direct[table] == db[table], table


def test_targets_that_cannot_be_met_are_refused_clearly():
    from pestrack.synth import config, plan

    cfg = config.load("stockholm")
    cfg.unique[2023] = (99999, 3604, 99999 + 3604)
    with pytest.raises(plan.PlanError, match="more unique persons"):
        plan.make_plan(cfg, [2022, 2023])
    with pytest.raises(plan.PlanError, match="no targets for 2021"):
        plan.make_plan(config.load("stockholm"), [2021, 2022])


def test_the_command_needs_out_or_into_db_and_refuses_a_database_with_persons(population):
    from typer.testing import CliRunner

    from pestrack.cli import app

    before = Person.objects.count()
    r = CliRunner().invoke(app, ["synth", "--years", "2022", "2023", "--seed", "1"])
    assert r.exit_code == 2 and "--out DIR" in r.output and "--into-db" in r.output
    r = CliRunner().invoke(app, ["synth", "--years", "2022", "2023", "--seed", "1", "--into-db"])
    assert r.exit_code == 2 and "already holds" in r.output
    assert Person.objects.count() == before


# -- the computed indicator rows of the annual report (indicators_2023.tsv) ----------------------
# Read as the definitions in profiles/stockholm/indicators/*.yaml say, computed here by hand.

INDICATOR_TSV = TSV.parent / "indicators_2023.tsv"
# source line -> (indicator, {(year, sex): value as printed}); sex None = all.
INDICATORS = {
    967: (
        "Andel kvinnor och män som har avslutats från Jobbtorg Stockholm till arbete eller studier",
        {(2023, None): "73.8", (2023, "man"): "75.53", (2023, "woman"): "71.38"},
    ),
    960: (
        "Andel kvinnor och män 18-29 år som har avslutats från Jobbtorg Stockholm till arbete eller studier",
        {(2023, None): "78.9", (2023, "man"): "80", (2023, "woman"): "77.1", (2022, None): "78.5"},
    ),
    959: (
        "Andel kvinnor och män (16-19 år) inom KAA som skrivs ut till studier efter åtgärd",
        {(2023, None): "54.3", (2023, "man"): "49.5", (2023, "woman"): "59.7", (2022, None): "49.9"},
    ),
    591: (
        "Andel aspiranter som är självförsörjande sex månader efter avslut på Jobbtorg Stockholm",
        {(2023, None): "75.02", (2023, "man"): "76.34", (2023, "woman"): "73.35", (2022, None): "72.38"},
    ),
    961: (
        "Andel kvinnor och män som arbetar eller studerar, tre månader efter avslutat Stockholmsjobb",
        {(2023, None): "62.65", (2023, "man"): "62.78", (2023, "woman"): "62.5"},
    ),
    610: (
        "Genomsnittlig inskrivningstid för kvinnor och män som avslutas från Jobbtorg Stockholm",
        {(2023, None): "9.1", (2023, "man"): "8.7", (2023, "woman"): "9.7", (2022, None): "8.9"},
    ),
    612: (
        "Genomsnittlig inskrivningstid för unga aspiranter (18-29 år) som avslutas från Jobbtorg Stockholm",
        {(2023, None): "6", (2023, "man"): "6", (2023, "woman"): "5.9", (2022, None): "6.2"},
    ),
}


# The report rounds to the definition's precision and drops trailing zeros: at one decimal "80" is 80,0.
DECIMALS = {960: 1, 612: 1}


def printed_window(printed: str, decimals: int = 0) -> tuple[Fraction, Fraction]:
    """75.02 printed means 75.015 <= x < 75.025; at least ``decimals`` decimals (80 at one is 80.0)."""
    decimals = max(decimals, len(printed.partition(".")[2]))
    half = Fraction(1, 2 * 10**decimals)
    return Fraction(printed) - half, Fraction(printed) + half


def check_row(line: int, computed: dict) -> None:
    """``computed``: (year, sex) -> Fraction; every published cell must be met at its printed precision."""
    name, cells = INDICATORS[line]
    wrong = {
        k: (printed, float(computed[k]))
        for k, printed in cells.items()
        if not (
            printed_window(printed, DECIMALS.get(line, 0))[0]
            <= computed[k]
            < printed_window(printed, DECIMALS.get(line, 0))[1]
        )
    }
    assert not wrong, f"line {line} {name!r}: (year, sex): (published, computed) {wrong}"


def jobbtorg_exits() -> list[tuple[str, dt.date, dt.date, str, dt.date]]:
    """(sex, birth date, exit date, exit outcome, start date) of every ended Jobbtorg enrolment."""
    outcome = {c.code: (c.rules or {}).get("outcome", "other") for c in Code.objects.filter(list="exit_reason")}
    return [
        (sex, birth, end, outcome[reason], start)
        for sex, birth, end, reason, start in Enrolment.objects.filter(
            programme__code="jobbtorg", end_date__isnull=False
        ).values_list("person__sex", "person__birth_date", "end_date", "exit_reason__code", "start_date")
    ]


def share(rows, year, sex, hit) -> Fraction:
    rows = [r for r in rows if r[2].year == year and (sex is None or r[0] == sex)]
    return Fraction(100 * sum(1 for r in rows if hit(r)), len(rows))


def mean_months(rows, year, sex) -> Fraction:
    rows = [r for r in rows if r[2].year == year and (sex is None or r[0] == sex)]
    return Fraction(sum((r[2] - r[4]).days for r in rows)) / Fraction("30.4375") / len(rows)


def test_the_indicator_values_here_are_the_published_ones():
    if not INDICATOR_TSV.exists():
        pytest.skip(f"{INDICATOR_TSV} is not here")
    with INDICATOR_TSV.open(encoding="utf-8") as f:
        rows = {int(r["source_line"]): r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)}
    for line, (name, cells) in INDICATORS.items():
        r = rows[line]
        column = {
            (2023, None): "outcome_value",
            (2023, "man"): "men_value",
            (2023, "woman"): "women_value",
            (2022, None): "prev_value",
        }
        assert r["indicator"] == name
        assert cells == {k: r[c] for k, c in column.items() if r[c]}, line


def test_exits_from_jobbtorg_to_work_or_studies(population):
    rows = jobbtorg_exits()
    check_row(967, {k: share(rows, *k, lambda r: r[3] in ("work", "studies")) for k in INDICATORS[967][1]})


def test_exits_at_18_to_29_from_jobbtorg_to_work_or_studies(population):
    rows = [r for r in jobbtorg_exits() if 18 <= rules.age_on(r[1], r[2]) <= 29]
    check_row(960, {k: share(rows, *k, lambda r: r[3] in ("work", "studies")) for k in INDICATORS[960][1]})


def test_mean_enrolment_time_of_exits(population):
    rows = jobbtorg_exits()
    check_row(610, {k: mean_months(rows, *k) for k in INDICATORS[610][1]})


def test_mean_enrolment_time_of_exits_at_18_to_29(population):
    rows = [r for r in jobbtorg_exits() if 18 <= rules.age_on(r[1], r[2]) <= 29]
    check_row(612, {k: mean_months(rows, *k) for k in INDICATORS[612][1]})


def test_kaa_exits_at_16_to_19_to_studies(population):
    outcome = {c.code: (c.rules or {}).get("outcome", "other") for c in Code.objects.filter(list="exit_reason")}
    rows = [
        (sex, birth, end, outcome[reason])
        for sex, birth, end, reason in Enrolment.objects.filter(
            target_group__code="kaa", end_date__isnull=False
        ).values_list("person__sex", "person__birth_date", "end_date", "exit_reason__code")
        if 16 <= rules.age_on(birth, end) <= 19
    ]
    check_row(959, {k: share(rows, *k, lambda r: r[3] == "studies") for k in INDICATORS[959][1]})


def followup_share(months: int, lag: int, year: int, sex, value, **where) -> Fraction:
    """Share of the known follow-ups ``months`` after the exits in the 12 months ending ``lag`` months
    before the end of ``year`` for which ``value(working, studying, self_sufficient)`` holds."""
    stop = dt.date(year, 12 - lag, 1) + dt.timedelta(days=31)
    stop, start = stop.replace(day=1), stop.replace(day=1, year=stop.year - 1)
    rows = FollowUp.objects.filter(
        months=months,
        enrolment__end_date__gte=start,
        enrolment__end_date__lt=stop,
        enrolment__programme__code="jobbtorg",
        **where,
    )
    if sex:
        rows = rows.filter(enrolment__person__sex=sex)
    values = [v for v in rows.values_list("working", "studying", "self_sufficient") if v != (None, None, None)]
    return Fraction(100 * sum(1 for v in values if value(*v)), len(values))


def test_self_sufficient_six_months_after_exit(population):
    check_row(591, {k: followup_share(6, 6, *k, lambda w, s, ss: ss is True) for k in INDICATORS[591][1]})


def test_working_or_studying_three_months_after_stockholmsjobb(population):
    check_row(
        961,
        {
            k: followup_share(3, 3, *k, lambda w, s, ss: bool(w or s), enrolment__target_group__code="stockholmsjobb")
            for k in INDICATORS[961][1]
        },
    )


def test_the_analytics_extract_gives_the_same_exit_rows(population, tmp_path):
    from pestrack.analytics.extract import extract

    extract(tmp_path)
    exits = pq.read_table(tmp_path / "exits.parquet").to_pylist()
    every = [
        (
            r["sex"],
            None,
            r["exit_date"],
            r["exit_outcome"],
            r["start_date"],
            r["age_at_exit"],
            r["target_group"],
            r["programme"],
        )
        for r in exits
    ]
    rows = [r for r in every if r[7] == "jobbtorg"]
    young = [r for r in rows if 18 <= r[5] <= 29]
    kaa = [r for r in every if r[6] == "kaa" and 16 <= r[5] <= 19]  # any programme
    ws = lambda r: r[3] in ("work", "studies")  # noqa: E731
    check_row(967, {k: share(rows, *k, ws) for k in INDICATORS[967][1]})
    check_row(960, {k: share(young, *k, ws) for k in INDICATORS[960][1]})
    check_row(610, {k: mean_months(rows, *k) for k in INDICATORS[610][1]})
    check_row(612, {k: mean_months(young, *k) for k in INDICATORS[612][1]})
    check_row(959, {k: share(kaa, *k, lambda r: r[3] == "studies") for k in INDICATORS[959][1]})


def test_exit_targets_that_cannot_be_met_are_refused_clearly():
    from pestrack.synth import config, plan

    ws = {"work", "work_subsidised", "studies"}
    for key, value, message in (
        ("exits", [99999, 3257], "99999 exits cannot be met"),
        ("young_exits", [1037, 99999], "99999 exits at 18-29 cannot be met"),
        ("young_work_or_studies", [1037, 1191], "young_work_or_studies 1037 cannot be met"),
    ):
        cfg = config.load("stockholm")
        cfg.settings["exits"][2023][key] = value
        with pytest.raises(plan.PlanError, match=message):
            plan.fix_exits(cfg, plan.make_plan(cfg, [2022, 2023]), 1, ws)


def test_a_full_birth_date_gets_coordination_numbers_then_refuses():
    """At scale 100 more people share a birth date and sex than its 500 serials: the synthetic
    register then gives coordination numbers (day + 60), and every number stays unique and valid."""
    import random

    from pestrack.records.people.identity import parse
    from pestrack.synth.population import Drawer, Taken

    drawer = Drawer.__new__(Drawer)
    drawer.rng, drawer.taken = random.Random(1), Taken()
    birth = dt.date(1999, 8, 15)
    numbers = [drawer.identity(birth, "woman") for _ in range(1000)]
    assert len(set(numbers)) == 1000
    parsed = [parse(n) for n in numbers]
    assert all(p.birth_date == birth for p in parsed)
    assert sum(p.is_coordination_number for p in parsed) == 500
    assert all(int(n[-2]) % 2 == 0 for n in numbers)  # the serial's last digit is even for women
    assert not any(parse(drawer.identity(birth, "man")).is_coordination_number for _ in range(3))
    with pytest.raises(ValueError, match="no identity number left for a woman born 1999-08-15"):
        drawer.identity(birth, "woman")


def test_every_table_comes_out_byte_for_byte_the_same_from_the_same_rows(
    drawn, drawn_tables, tmp_path, django_db_blocker
):
    """The same seed gives the same files: rows equal on a table's sort key (e.g. courses of one
    school form ending on one day) were written in whatever order the parallel sort left them."""
    from pestrack.analytics.schema import TABLES
    from pestrack.records.codes.profile import read_profile
    from pestrack.synth.to_parquet import ParquetOut

    first, rows = drawn_tables
    with django_db_blocker.block():
        writer = ParquetOut(tmp_path, read_profile("stockholm"))
        writer.add(drawn)
        writer.finish()
    for t in (t for t in TABLES if not t.lmi):  # the labour-market tables are `pestrack lmi synth`'s
        assert (tmp_path / f"{t.name}.parquet").read_bytes() == (first / f"{t.name}.parquet").read_bytes(), t.name
        names = [*t.sort_key, *(c.name for c in t.columns if c.name not in t.sort_key)]
        keys = [tuple((v is None, v) for v in (r[c] for c in names)) for r in rows[t.name]]
        assert keys == sorted(keys), f"{t.name} is not in its total sort order"
