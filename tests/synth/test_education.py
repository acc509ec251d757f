"""Adult education in the synthetic population: the register tables course_results and
education_followups, each calibrated indicator row recomputed here by hand from the Parquet written
(read as profiles/stockholm/indicators/adult_education.yaml defines it), plausibility, and the
register files of --into-db giving the same tables through ``pestrack analytics import``."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pyarrow.parquet as pq
import pytest

from tests.synth.conftest import SEED
from tests.synth.test_synth import YEARS, printed_window

# source line -> (printed decimals, {(year, sex): value as printed}); sex None = all.
ROWS = {
    592: (2, {(2023, None): "80.9", (2023, "man"): "78.04", (2023, "woman"): "82.06", (2022, None): "82.25"}),
    594: (2, {(2023, None): "69.43", (2023, "man"): "66.76", (2023, "woman"): "71.21", (2022, None): "71.73"}),
    596: (2, {(2023, None): "88.21", (2023, "man"): "85.99", (2023, "woman"): "89.4", (2022, None): "88.74"}),
    598: (2, {(2023, None): "92.05", (2023, "man"): "92.53", (2023, "woman"): "91.82", (2022, None): "91.35"}),
    1037: (2, {(2023, None): "59.39"}),
    1041: (2, {(2023, None): "96.6", (2022, None): "94.61"}),
    1042: (1, {(2023, None): "87.9", (2023, "man"): "78.5", (2023, "woman"): "90.6", (2022, None): "88.6"}),
    1043: (1, {(2023, None): "43.7", (2022, None): "41.9"}),
    962: (1, {(2023, None): "96.2", (2022, None): "91.3"}),
    963: (1, {(2023, None): "87.1", (2023, "man"): "94.2", (2023, "woman"): "84.7", (2022, None): "80.2"}),
    965: (1, {(2023, None): "83.2", (2023, "man"): "94.6", (2023, "woman"): "79.7", (2022, None): "73.4"}),
}


def check(line: int, value) -> None:
    """``value(year, sex)`` -> Fraction in percent must print as every published cell of ``line``."""
    decimals, cells = ROWS[line]
    wrong = {}
    for (year, sex), printed in cells.items():
        lo, hi = printed_window(printed, decimals)
        got = value(year, sex)
        if not lo <= got < hi:
            wrong[(year, sex)] = (printed, float(got))
    assert not wrong, f"line {line}: (year, sex): (published, computed) {wrong}"


def share(rows, hit) -> Fraction:
    return Fraction(100 * sum(1 for r in rows if hit(r)), len(rows))


def courses(tables, year, sex, **where):
    return [
        r
        for r in tables[1]["course_results"]
        if r["end_date"]
        and r["end_date"].year == year
        and (sex is None or r["sex"] == sex)
        and all(r[k] == v for k, v in where.items())
    ]


@pytest.mark.parametrize(
    "line, form, orientation",
    [
        (592, "grundlaggande", None),
        (594, "gymnasial", "hogskoleforberedande"),
        (596, "gymnasial", "yrkes"),
        (598, "sfi", None),
        (1041, "kombination", None),
    ],
)
def test_completed_courses_passed(drawn_tables, line, form, orientation):
    where = {"school_form": form, "completed": True, **({"orientation": orientation} if orientation else {})}
    check(line, lambda y, s: share(courses(drawn_tables, y, s, **where), lambda r: r["passed"]))


def test_sfi_passed_within_planned_time(drawn_tables):
    check(1037, lambda y, s: share(courses(drawn_tables, y, s, school_form="sfi"), lambda r: r["within_planned_time"]))


def test_yh_programmes_ended_with_the_exam(drawn_tables):
    check(1042, lambda y, s: share(courses(drawn_tables, y, s, school_form="yh"), lambda r: r["exam"]))


def test_sfi_beginners_passed_within_two_years(drawn_tables):
    def value(year, sex):
        rows = [
            r
            for r in drawn_tables[1]["course_results"]
            if r["school_form"] == "sfi"
            and r["sfi_beginner"]
            and r["start_date"].year == year - 2
            and (sex is None or r["sex"] == sex)
        ]
        return share(rows, lambda r: r["passed_within_two_years"])

    check(1043, value)


@pytest.mark.parametrize(
    "line, form, orientation, months",
    [(963, "gymnasial", "yrkes", 3), (965, "kombination", None, 3), (962, "yh", None, 6)],
)
def test_working_after_the_education(drawn_tables, line, form, orientation, months):
    def value(year, sex):
        stop = dt.date(year, 12 - months + 1, 1)  # the twelve months ending `months` before the year's end
        start = stop.replace(year=year - 1)
        rows = [
            r
            for r in drawn_tables[1]["education_followups"]
            if r["school_form"] == form
            and r["orientation"] == orientation
            and r["months"] == months
            and start <= r["end_date"] < stop
            and r["working"] is not None
            and (sex is None or r["sex"] == sex)
        ]
        return share(rows, lambda r: r["working"])

    check(line, value)


def test_courses_are_plausible(drawn_tables):
    rows = drawn_tables[1]["course_results"]
    assert len({r["person_key"] for r in rows}) > 30_000  # about 42 000 adult students
    for r in rows:
        assert r["start_date"] < r["end_date"] <= dt.date(2024, 6, 30), r
        assert r["start_date"] < r["planned_end_date"], r
        assert r["age_band"] not in ("0-15", "unknown"), r  # no child, not even in sfi
        assert (r["grade"] is not None) == (r["completed"] and r["school_form"] != "yh"), r
        assert r["passed"] is None or r["passed"] == (
            r["grade"] in tuple("ABCDE") if r["school_form"] != "yh" else r["exam"]
        )
        assert not r["within_planned_time"] or (r["passed"] and r["end_date"] <= r["planned_end_date"]), r
        assert (r["orientation"] is not None) == (r["school_form"] == "gymnasial"), r
    firsts = {}
    for r in sorted((r for r in rows if r["school_form"] == "sfi"), key=lambda r: r["start_date"]):
        firsts.setdefault(r["person_key"], r)
    assert all(
        r["sfi_beginner"] is False for r in rows if r["school_form"] == "sfi" and firsts[r["person_key"]] is not r
    )
    followed = {(r["person_key"], r["end_date"]) for r in rows if r["passed"]}
    assert all((f["person_key"], f["end_date"]) in followed for f in drawn_tables[1]["education_followups"])


@pytest.mark.django_db
def test_the_register_files_of_into_db_import_to_the_same_tables(drawn, drawn_tables, tmp_path):
    from pestrack.synth import registers

    files = registers.write_files([drawn], tmp_path / "registers", None)
    assert "identity_number" in files["course_results"].read_text(encoding="utf-8").splitlines()[0]
    registers.import_files(files, tmp_path / "data")
    as_set = lambda rows: sorted(repr(sorted(r.items())) for r in rows)  # noqa: E731  (files are sorted by their key)
    for t in registers.TABLES:
        assert as_set(pq.read_table(tmp_path / "data" / f"{t}.parquet").to_pylist()) == as_set(drawn_tables[1][t])


def test_same_seed_same_courses(drawn, django_db_blocker):
    from pestrack.records.codes.profile import read_profile
    from pestrack.synth import run

    with django_db_blocker.block():
        again = run.build("stockholm", list(YEARS), seed=SEED, codes=run.Codes.from_profile(read_profile("stockholm")))
    assert again.courses == drawn.courses and again.education_followups == drawn.education_followups


def test_no_birth_date_is_favoured(drawn):
    """Students' birth dates spread evenly over the year: a date that many share (it was 1 June, the
    day ages are drawn on) runs out of identity-number serials at scale 100."""
    from collections import Counter

    students = {r["pin"]: r["birth_date"] for r in drawn.courses}
    per_day = Counter((b.month, b.day) for b in students.values())
    mean = len(students) / 366
    assert max(per_day.values()) < 2 * mean, per_day.most_common(3)
