"""The analytics extract: documented schema, pseudonymised, stable keys, incremental rewrites."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pestrack.analytics import schema
from pestrack.analytics.extract import extract
from pestrack.analytics.pseudonym import key_for_identity_number

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sample(profile):
    from pestrack.records.sample import create_sample

    create_sample(40, today=dt.date(2026, 6, 1))


def read(out: Path, table: str) -> list[dict]:
    return pq.read_table(out / f"{table}.parquet").to_pylist()


def test_docs_match_the_schema_in_code():
    assert (ROOT / "docs" / "analytics-schema.md").read_text() == schema.render_markdown() + "\n"


def test_every_table_has_the_documented_columns_and_all_rows(sample, tmp_path):
    from pestrack.records.casework.models import Enrolment, FollowUp, Participation

    extract(tmp_path)
    for table in schema.RECORD_TABLES:
        assert pq.read_schema(tmp_path / f"{table.name}.parquet").remove_metadata() == table.arrow, table.name
    assert len(read(tmp_path, "enrolments")) == Enrolment.objects.count()
    assert len(read(tmp_path, "exits")) == Enrolment.objects.filter(end_date__isnull=False).count() > 0
    assert len(read(tmp_path, "participations")) == Participation.objects.count()
    assert len(read(tmp_path, "followups")) == FollowUp.objects.count() > 0


def test_no_name_identity_number_or_address_leaves_the_records(sample, tmp_path):
    from pestrack.records.people.models import Person

    extract(tmp_path)
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("*.parquet"))
    text = " ".join(str(v) for t in schema.RECORD_TABLES for row in read(tmp_path, t.name) for v in row.values())
    for person in Person.objects.all():
        digits = person.identity_number.replace("-", "")
        for secret in (digits, digits[2:], person.identity_number, person.address, person.pin_hash):
            assert secret not in text and secret.encode() not in blob
    names = {p.last_name for p in Person.objects.all()}
    assert not any(name in text for name in names)
    columns = {c.name for t in schema.TABLES for c in t.columns}
    assert not columns & {"first_name", "last_name", "identity_number", "address", "birth_date", "pin_hash"}


def test_person_key_is_stable_and_needs_the_key(sample, tmp_path, settings):
    from pestrack.records.people.models import Person

    person = Person.objects.order_by("id").first()
    expected = key_for_identity_number(person.identity_number)
    extract(tmp_path / "a")
    extract(tmp_path / "b")
    keys_a = {r["enrolment_id"]: r["person_key"] for r in read(tmp_path / "a", "enrolments")}
    keys_b = {r["enrolment_id"]: r["person_key"] for r in read(tmp_path / "b", "enrolments")}
    assert keys_a == keys_b
    assert expected in {r["person_key"] for r in read(tmp_path / "a", "enrolments")}
    settings.PESTRACK_PSEUDONYM_KEY = "another key"
    assert key_for_identity_number(person.identity_number) != expected


def test_person_keys_are_twelve_letters_and_digits_and_distinct():
    """Short enough for DuckDB to hold a key inside its string header; no key a spreadsheet takes for a
    formula; 10,000 look-up hashes, 10,000 keys (the first 71 bits of the HMAC)."""
    from pestrack.analytics.pseudonym import person_key

    keys = [person_key(f"lookup-hash-{i}") for i in range(10_000)]
    assert all(len(k) == 12 and k.isascii() and k.isalnum() for k in keys)
    assert len(set(keys)) == len(keys)
    assert len({k[0] for k in keys}) > 30  # the leading digit varies: no constant prefix wasted


def test_derived_columns_are_computed_from_the_record(profile, tmp_path):
    from pestrack.records.casework.models import Enrolment
    from pestrack.records.codes.models import Code
    from pestrack.records.org.models import OrgUnit
    from pestrack.records.people.identity import make_number
    from pestrack.records.people.models import Person

    p = Person(first_name="A", last_name="B", birth_date=dt.date(2000, 3, 10), sex="woman", municipality="0180")
    p.set_identity_number(make_number(dt.date(2000, 3, 10), 1))
    p.save()
    code = lambda lst, c: Code.objects.get(list=lst, code=c)  # noqa: E731
    Enrolment.objects.create(
        person=p,
        programme=code("programme", "jobbtorg"),
        org_unit=OrgUnit.objects.get(code="jt-unga"),
        target_group=code("target_group", "uvas_20_29"),
        entry_route=code("entry_route", "entry_20_29"),
        start_date=dt.date(2023, 3, 9),
        end_date=dt.date(2023, 9, 5),
        exit_reason=code("exit_reason", "work_subsidised"),
    )
    extract(tmp_path)
    (e,) = read(tmp_path, "enrolments")
    assert (e["age_at_start"], e["age_band_at_start"], e["exit_outcome"]) == (22, "20-24", "work")
    assert e["org_unit_path"] == "/stockholm/amf/jobbtorg/jt-unga/" and e["birth_year"] == 2000
    (x,) = read(tmp_path, "exits")
    assert x["duration_days"] == 180 and x["age_at_exit"] == 23 and x["age_band_at_exit"] == "20-24"
    assert x["duration_months"] == pytest.approx(180 / 30.4375)


def test_a_second_extract_rewrites_only_what_changed(sample, tmp_path):
    from pestrack.records.casework.models import Enrolment
    from pestrack.records.codes.models import Code

    first = extract(tmp_path)
    assert set(first.written) == {t.name for t in schema.RECORD_TABLES}
    mtimes = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.parquet")}
    again = extract(tmp_path)
    assert again.written == {} and set(again.unchanged) == set(first.written)
    e = Enrolment.objects.filter(end_date__isnull=False, followups__isnull=True).first()
    e.exit_reason = Code.objects.get(list="exit_reason", code="moved")
    e.save()
    third = extract(tmp_path)
    assert set(third.written) == {"enrolments", "exits"}
    after = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.parquet")}
    assert sorted(n for n in mtimes if after[n] != mtimes[n]) == ["enrolments.parquet", "exits.parquet"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_the_extract_is_logged_without_person_data(sample, tmp_path):
    from pestrack.records.audit.models import AccessLogEntry

    extract(tmp_path)
    entry = AccessLogEntry.objects.filter(action="export", object_type="analytics").get()
    assert entry.person_id is None and "enrolments" in entry.detail


def test_every_sort_key_names_columns_of_its_table():
    for table in schema.TABLES:
        assert table.sort_key, table.name
        assert set(table.sort_key) <= {c.name for c in table.columns}, table.name


def test_files_are_sorted_by_the_sort_key_in_large_row_groups(tmp_path, monkeypatch):
    """Rows appended in any order come out sorted by the table's key (NULLs last), all of them, with
    the schema's types; the row groups hold ROW_GROUP rows, so a scan can skip them by min/max."""
    import random

    from pestrack.analytics import extract as ex

    monkeypatch.setattr(ex, "ROW_GROUP", 1000)
    rng = random.Random(7)
    forms = ["sfi", "grundlaggande", "gymnasial", "kombination", "yh"]
    rows = [
        {
            "person_key": f"k{i:011d}",
            "sex": "woman",
            "school_form": rng.choice(forms),
            "completed": True,
            "start_date": dt.date(2022, 1, 1),
            "sfi_beginner": False,
            "orientation": rng.choice([None, "yrkes", "hogskoleforberedande"]),
            "end_date": rng.choice([None, dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(700))]),
        }
        for i in range(4500)
    ]
    file = ex.TableFile("course_results", tmp_path)
    for start in range(0, len(rows), 700):  # appended in several calls, as synth appends shards
        file.append(rows[start : start + 700])
    count, _, rewritten = file.finish(None)
    assert count == 4500 and rewritten
    parquet = pq.ParquetFile(tmp_path / "course_results.parquet")
    assert parquet.schema_arrow.remove_metadata() == schema.BY_NAME["course_results"].arrow
    assert [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)] == [1000] * 4 + [500]
    written = parquet.read().to_pylist()
    key = schema.BY_NAME["course_results"].sort_key
    assert key[0] == "school_form" and "end_date" in key
    order = lambda r: tuple((r.get(c) is None, r.get(c) or "") for c in key)  # noqa: E731  (empty values last)
    assert [order(r) for r in written] == sorted(order(r) for r in rows)
    assert sorted(r["person_key"] for r in written) == sorted(r["person_key"] for r in rows)
    assert not [p.name for p in tmp_path.iterdir() if p.name != "course_results.parquet"]  # no temporary left


def test_an_unchanged_table_is_kept_unless_its_file_predates_the_sort(tmp_path):
    """The same rows give the same hash whatever the sort did, so the file is kept; a file written
    before files were sorted (its manifest entry has no sort key) is rewritten once, sorted."""
    from pestrack.analytics import extract as ex

    rows = [
        {
            "person_key": f"k{i:011d}",
            "sex": "man",
            "school_form": "sfi",
            "completed": False,
            "sfi_beginner": True,
            "start_date": dt.date(2023, 1, 1),
            "end_date": dt.date(2023, 12, 31) - dt.timedelta(days=i),
        }
        for i in range(50)
    ]
    _, sha, _ = ex.write_table("course_results", rows, tmp_path, None)
    current = {"sha256": sha, "sort_key": ["school_form", "orientation", "end_date"]}
    assert ex.write_table("course_results", rows, tmp_path, current) == (50, sha, False)
    assert ex.write_table("course_results", rows, tmp_path, {"sha256": sha}) == (50, sha, True)


def test_the_extract_holds_current_versions_only(sample, tmp_path):
    """A withdrawn participation and a withdrawn exit leave the tables; a corrected exit reason
    changes the exit table; the enrolment's first measure skips a withdrawn one."""
    from pestrack.records.casework import corrections
    from pestrack.records.casework.models import Enrolment, FollowUp, Participation
    from pestrack.records.codes.models import Code

    extract(tmp_path / "before")
    participation = Participation.objects.order_by("id").first()
    corrections.withdraw("participation", participation.pk, "Registrerad av misstag", None)
    exited = Enrolment.objects.filter(end_date__isnull=False).exclude(person__enrolments__end_date__isnull=True)
    withdrawn_exit = exited.order_by("id").first()
    FollowUp.objects.filter(enrolment=withdrawn_exit).update(withdrawn_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    corrections.withdraw("exit", withdrawn_exit.pk, "Avslutad av misstag", None)
    corrected = exited.exclude(pk=withdrawn_exit.pk).exclude(exit_reason__code="illness").order_by("id").first()
    before = corrections.snapshot(corrected, "exit")
    corrected.exit_reason = Code.objects.get(list="exit_reason", code="illness")
    corrected.save()
    corrections.record_correction("exit", corrected, before, "Fel orsak", None)
    extract(tmp_path / "after")

    def ids(folder, table, column):
        return {r[column] for r in read(tmp_path / folder, table)}

    assert participation.pk in ids("before", "participations", "participation_id")
    assert ids("after", "participations", "participation_id") == ids("before", "participations", "participation_id") - {
        participation.pk
    }
    assert ids("after", "exits", "enrolment_id") == ids("before", "exits", "enrolment_id") - {withdrawn_exit.pk}
    assert withdrawn_exit.pk not in ids("after", "followups", "enrolment_id")
    exits = {r["enrolment_id"]: r for r in read(tmp_path / "after", "exits")}
    assert exits[corrected.pk]["exit_reason"] == "illness" and exits[corrected.pk]["exit_outcome"] == "other"
    enrolment = {r["enrolment_id"]: r for r in read(tmp_path / "after", "enrolments")}[withdrawn_exit.pk]
    assert enrolment["end_date"] is None and enrolment["exit_reason"] is None
    first = Participation.objects.current().filter(enrolment=participation.enrolment).order_by("start_date").first()
    row = {r["enrolment_id"]: r for r in read(tmp_path / "after", "enrolments")}[participation.enrolment_id]
    expected = (first.start_date - participation.enrolment.start_date).days if first else None
    assert row["days_to_first_measure"] == expected
