"""Import of employers, places, matching profiles and placements: rules, rejects, idempotence."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pestrack.records.audit.models import AccessLogEntry
from pestrack.records.employers.models import Employer, MatchProfile, Place, Placement
from pestrack.records.employers.orgnumber import InvalidOrgNumber, make, parse
from pestrack.records.importing import engine

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
PLACE_COLUMNS = ["employer_org_number", "reference", "kind", "title", "start_date", "occupation", "required_skills"]


def write(path: Path, header, rows) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def reasons(result) -> str:
    return " | ".join(f"{line} {col}: {reason}" for line, col, _, reason in result.problems)


def test_organisation_numbers_are_checked_with_luhn():
    assert parse("5560360793") == "556036-0793"
    assert parse("16556036-0793") == "556036-0793"
    with pytest.raises(InvalidOrgNumber, match="check digit is wrong"):
        parse("556036-0794")
    with pytest.raises(InvalidOrgNumber, match="third digit"):
        parse("850314-4829")  # a personal identity number, not an organisation
    assert parse(make("212000014")) == "212000-0142"


@pytest.fixture
def examples(profile):
    for kind in ("persons", "enrolments"):
        assert engine.run_import(EXAMPLES / f"{kind}.csv", kind).rejected == 0
    results = {
        kind: engine.run_import(EXAMPLES / f"{kind}.csv", kind)
        for kind in ("employers", "places", "match_profiles", "placements")
    }
    return results


@pytest.mark.django_db
def test_examples_import_and_again_unchanged(examples):
    for kind, r in examples.items():
        assert r.rejected == 0 and r.imported > 0, (kind, reasons(r))
    assert (
        Employer.objects.count(),
        Place.objects.count(),
        MatchProfile.objects.count(),
        Placement.objects.count(),
    ) == (3, 4, 3, 3)
    shop = Place.objects.get(reference="EH-2025-01")
    assert shop.positions == 2 and shop.swedish_level == 3 and len(shop.required_skills) == 2
    assert len(shop.occupation) == 36  # an ESCO id, from the label in the file
    for kind in examples:
        r = engine.run_import(EXAMPLES / f"{kind}.csv", kind)
        assert (r.imported, r.rejected) == (0, 0), kind
    # employer records are logged without a person; placements with theirs
    assert AccessLogEntry.objects.filter(action="create", object_type="employer", person_id__isnull=True).count() == 3
    assert AccessLogEntry.objects.filter(action="create", object_type="placement", person_id__isnull=False).count() == 3


@pytest.mark.django_db
def test_bad_employer_rows_are_rejected_with_line_and_reason(profile, tmp_path):
    r = engine.run_import(
        write(
            tmp_path / "e.csv",
            ["org_number", "name", "size_band"],
            [
                ["556036-0793", "Good AB", "10-49"],
                ["556036-0794", "Bad check", ""],
                ["556036-0793", "Again", ""],
                ["212000-0142", "", "huge"],
            ],
        ),
        "employers",
    )
    text = reasons(r)
    assert (r.imported, r.rejected) == (1, 3)
    assert "3 org_number: 556036-0794: the check digit is wrong (should be 3)" in text
    assert "4 org_number: the same org_number is also on line 2" in text
    assert "5 name: required" in text and "5 size_band: 'huge' is not a size band" in text
    assert Employer.objects.count() == 1


@pytest.mark.django_db
def test_bad_place_rows_are_rejected_and_nothing_half_written(profile, tmp_path):
    engine.run_import(EXAMPLES / "employers.csv", "employers")
    r = engine.run_import(
        write(
            tmp_path / "p.csv",
            PLACE_COLUMNS + ["end_date", "positions"],
            [
                ["556036-0793", "A1", "regular", "Ok", "2025-01-01", "cashier", "customer service", "", "1"],
                ["556036-0793", "A2", "regular", "Bad occupation", "2025-01-01", "astronaut of the sea", "", "", ""],
                ["556036-0793", "A3", "nojob", "Bad kind", "2025-01-01", "", "", "", ""],
                ["999999-9999", "A4", "regular", "No employer", "2025-01-01", "", "", "", ""],
                ["556036-0793", "A5", "regular", "Ends first", "2025-02-01", "", "", "2025-01-01", ""],
                ["556036-0793", "A6", "regular", "No position", "2025-02-01", "", "", "", "0"],
            ],
        ),
        "places",
    )
    text = reasons(r)
    assert (r.imported, r.rejected) == (1, 5), text
    half = engine.run_import(
        write(
            tmp_path / "h.csv",
            PLACE_COLUMNS + ["latitude", "longitude"],
            [["556036-0793", "B1", "regular", "Half a location", "2025-01-01", "cashier", "", "59.33", ""]],
        ),
        "places",
    )
    assert "2 latitude: give both latitude and longitude, or neither" in reasons(half)
    assert "3 occupation: 'astronaut of the sea' is not an ESCO occupation" in text
    assert "4 kind: 'nojob' is not a place_type code" in text
    assert "5 employer_org_number:" in text
    assert "6 end_date: The end date 2025-01-01 is before the start date 2025-02-01" in text
    assert "7 positions: 0 is outside 1–100000" in text


@pytest.mark.django_db
def test_a_placement_that_breaks_a_hard_rule_is_rejected(examples, tmp_path):
    # Sofia (born 1999) and Karl (1970, no matching profile) are not of feriejobb age; a hire needs its date
    r = engine.run_import(
        write(
            tmp_path / "pl.csv",
            ["personal_identity_number", "employer_org_number", "place_reference", "status", "proposed_date"],
            [
                ["19991120-1649", "212000-0142", "FJ-2025-11", "proposed", "2025-05-01"],
                ["19700707-3914", "212000-0142", "FJ-2025-11", "proposed", "2025-05-01"],
                ["19850314-4829", "556036-0793", "EH-2025-01", "hired", "2025-05-01"],
            ],
        ),
        "placements",
    )
    text = reasons(r)
    assert r.rejected == 3, text
    assert "3 place_reference: Feriejobb (feriejobb) requires age 19 or under on 2025-06-16; the person is 54." in text
    assert "2 place_reference: Feriejobb (feriejobb) requires age 19 or under on 2025-06-16; the person is 25." in text
    # the file has no hired_date column: the row is named, and the column to add
    assert "4 : A hire needs the hiring date. (the file has no column hired_date: add it)" in text


@pytest.mark.django_db
def test_placements_and_filled_places_in_the_analytics_extract(examples, tmp_path):
    import datetime as dt

    import pyarrow.parquet as pq

    from pestrack.analytics.extract import extract
    from pestrack.analytics.placements import add_months, retained

    extract(tmp_path)
    rows = {r["days_enrolment_to_proposal"]: r for r in pq.read_table(tmp_path / "placements.parquet").to_pylist()}
    amina, sofia, oskar = rows[547], rows[371], rows[474]  # 2023-09-01 → 2025-03-01 and so on
    assert (amina["kind"], amina["hired"], amina["retained_3m"], amina["retained_6m"]) == (
        "stockholmsjobb",
        True,
        True,
        False,
    )
    assert (sofia["retained_3m"], sofia["retained_6m"], sofia["employer_satisfaction"]) == (True, False, 5)
    assert (oskar["hired"], oskar["retained_3m"], oskar["programme"]) == (False, None, "jobbtorg")
    assert all(r["first_for_person"] for r in rows.values()) and len(amina["person_key"]) == 12
    places = {r["positions"]: r["positions_filled"] for r in pq.read_table(tmp_path / "places.parquet").to_pylist()}
    assert places == {3: 1, 1: 1, 10: 0, 2: None}  # the shop has no placement recorded
    assert add_months(dt.date(2025, 11, 30), 3) == dt.date(2026, 2, 28)
    assert retained(dt.date(2026, 10, 1), None, 3, today=dt.date(2026, 12, 1)) is None  # not yet known
    assert retained(dt.date(2026, 8, 1), None, 3, today=dt.date(2026, 12, 1)) is True


@pytest.mark.django_db
def test_synthetic_employers_get_valid_organisation_numbers(profile):
    from pestrack.synth.store import _Ids

    ids = _Ids()
    employer = Employer.objects.get(pk=ids.employer_of("jt-jarva"))
    assert parse(employer.org_number) == employer.org_number
