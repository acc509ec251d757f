"""Shortages by occupation group: positions on offer against the job-seekers seeking the occupation,
and whether the training bought for it (passed courses of the course results) covers the gap."""

from __future__ import annotations

import datetime as dt

import pytest

from pestrack.analytics.registers import RegisterError, import_register
from pestrack.lmi import shortages
from tests.indicators.conftest import write_table

D = dt.date
START, END = D(2023, 1, 1), D(2023, 12, 31)


def _vacancy(i, occupation, positions, published=D(2023, 3, 1), last=None):
    return {
        "vacancy_id": f"v{i}",
        "source": "job_board",
        "occupation": occupation,
        "positions": positions,
        "published_date": published,
        "last_date": last,
    }


def _seeker(key, occupation, start=D(2022, 6, 1), end=None):
    return {"person_key": key, "occupation": occupation, "from_date": start, "to_date": end}


def _course(code, passed=True, end=D(2023, 6, 1), start=D(2023, 1, 10)):
    return {"course_code": code, "passed": passed, "start_date": start, "end_date": end, "completed": True}


@pytest.fixture
def registers(tmp_path):
    write_table(
        tmp_path,
        "vacancies",
        [
            _vacancy(1, "5321", 6),
            _vacancy(2, "5311", 4),
            _vacancy(3, "7411", 3),
            _vacancy(4, "4321", 1),
            _vacancy(5, "5321", 50, published=D(2022, 1, 1), last=D(2022, 12, 31)),  # closed before the year
        ],
    )
    write_table(
        tmp_path,
        "jobseeker_occupations",
        [
            *(_seeker(f"s{i}", "5321") for i in range(3)),
            _seeker("s0", "5311"),  # one person, two occupations of the group: counted once
            _seeker("s9", "5311", end=D(2022, 12, 31)),  # stopped seeking before the year
            _seeker("t1", "7411"),
            *(_seeker(f"u{i}", "4321") for i in range(5)),
        ],
    )
    write_table(
        tmp_path,
        "course_results",
        [
            _course("VÅRVÅR0"),
            _course("KOMB-VÅRD", passed=False),
            _course("YH-VÅRD", end=D(2024, 1, 20)),  # started in the year, not yet passed
            *(_course("ELLELL0") for _ in range(3)),
            _course("SVESVE01"),  # trains for no occupation
        ],
    )
    return tmp_path


def test_the_gap_is_positions_on_offer_minus_job_seekers_and_training_meets_it_or_not(registers):
    rows = {r.group: r for r in shortages.shortages(registers, START, END)}
    care = rows["5"]
    assert (care.vacancies, care.job_seekers, care.gap) == (10, 3, 7)
    assert (care.training_started, care.training_passed, care.verdict) == (3, 1, "not_met")
    assert (rows["7"].gap, rows["7"].training_passed, rows["7"].verdict) == (2, 3, "met")
    assert (rows["4"].gap, rows["4"].verdict) == (-4, "no_shortage")
    assert rows["9"].vacancies == 0 and rows["9"].verdict == "no_shortage"
    assert care.hires is None  # no contract events given
    assert sorted(rows) == [str(g) for g in range(10)]  # every group of the profile


def test_without_course_results_no_verdict_is_given_for_a_shortage(registers):
    (registers / "course_results.parquet").unlink()
    rows = {r.group: r for r in shortages.shortages(registers, START, END)}
    assert rows["5"].training_passed is None and rows["5"].verdict is None
    assert rows["4"].verdict == "no_shortage"
    (registers / "vacancies.parquet").unlink()
    with pytest.raises(shortages.MissingTable, match="no vacancies table"):
        shortages.shortages(registers, START, END)


@pytest.mark.django_db  # the import is written to the access log
def test_a_vacancy_file_is_imported_whole_or_refused_naming_the_row(tmp_path):
    good = tmp_path / "vacancies.csv"
    good.write_text(
        "vacancy_id,source,occupation,municipality,positions,published_date,last_date\n"
        "A1,job_board,5321,0180,2,2023-02-01,2023-03-01\nP7,place,7411,0180,1,2023-04-01,\n",
        encoding="utf-8",
    )
    assert import_register(good, "vacancies", tmp_path / "data") == 2
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "vacancy_id,source,occupation,positions,published_date\nA1,newspaper,5321,2,2023-02-01\n", encoding="utf-8"
    )
    with pytest.raises(RegisterError, match=r"bad.csv:2: source"):
        import_register(bad, "vacancies", tmp_path / "data")


def test_the_training_key_names_groups_of_the_classification(tmp_path, settings):
    import shutil

    profile = tmp_path / "p"
    shutil.copytree(settings.PESTRACK_PROFILES_DIR / "stockholm", profile)
    (profile / "lmi" / "training.yaml").write_text('course_occupations:\n  - {prefix: "VÅR", group: "X"}\n')
    with pytest.raises(Exception, match=r"training.yaml: course_occupations item 1"):
        shortages.course_groups(str(profile))
