"""pestrack analytics import: register files (course results, education follow-ups) into the
analytics tables, pseudonymised, checked row by row, all or nothing."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pestrack.analytics.extract import extract
from pestrack.analytics.pseudonym import key_for_identity_number
from pestrack.analytics.registers import RegisterError, import_register
from pestrack.cli import app
from pestrack.records.audit.models import AccessLogEntry
from pestrack.records.people.identity import make_number

pytestmark = pytest.mark.django_db
PIN = make_number(dt.date(1990, 4, 12), 123)
OTHER = make_number(dt.date(1985, 1, 30), 456)
HEADER = "identity_number;sex;school_form;orientation;start_date;planned_end_date;end_date;completed;grade;passed;sfi_beginner"


def write(path, *lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_course_results_are_imported_pseudonymised(tmp_path):
    src = write(
        tmp_path / "komvux.csv",
        HEADER,
        f"{PIN};woman;gymnasial;yrkes;2023-01-16;2023-06-09;2023-06-09;ja;C;ja;nej",
        f"{OTHER};man;sfi;;2023-02-01;2023-05-31;;nej;;;ja",
    )
    assert import_register(src, "course_results", tmp_path / "data") == 2
    rows = pq.read_table(tmp_path / "data" / "course_results.parquet").to_pylist()
    assert rows[0]["person_key"] == key_for_identity_number(PIN) and rows[0]["passed"] is True
    assert rows[0]["start_date"] == dt.date(2023, 1, 16) and rows[0]["grade"] == "C"
    assert rows[1]["end_date"] is None and rows[1]["passed"] is None and rows[1]["sfi_beginner"] is True
    raw = (tmp_path / "data" / "course_results.parquet").read_bytes()
    assert PIN.encode() not in raw and PIN[2:].encode() not in raw
    manifest = json.loads((tmp_path / "data" / "manifest.json").read_text())
    assert manifest["tables"]["course_results"]["source_file"] == "komvux.csv"
    entry = AccessLogEntry.objects.filter(action="import", object_type="analytics").latest("id")
    assert "course_results" in entry.detail and PIN not in entry.detail


def test_errors_name_the_row_and_column_and_nothing_is_written(tmp_path):
    src = write(
        tmp_path / "bad.csv",
        HEADER,
        f"{PIN};woman;gymnasial;yrkes;2023-13-01;;;ja;C;ja;nej",
        f"{OTHER};man;komvux;;2023-02-01;;;nej;;;ja",
        f"{PIN[:-1]}0;man;sfi;;2023-02-01;;;maybe;;;ja",
    )
    with pytest.raises(RegisterError) as exc:
        import_register(src, "course_results", tmp_path / "data")
    errors = exc.value.errors
    assert f"{src}:2: start_date: '2023-13-01' is not a date (YYYY-MM-DD)" in errors
    assert any(e.startswith(f"{src}:3: school_form: 'komvux' is not one of sfi") for e in errors)
    assert f"{src}:4: identity_number: not a valid identity number: check digit is wrong" in errors
    assert any(e.startswith(f"{src}:4: completed: 'maybe' is not yes/no") for e in errors)
    assert not any(PIN[:-1] in e for e in errors)  # no identity number in a message
    assert not (tmp_path / "data" / "course_results.parquet").exists()


def test_a_person_key_that_is_not_a_pestrack_pseudonym_is_refused(tmp_path):
    good = key_for_identity_number(PIN)
    src = write(
        tmp_path / "keys.csv",
        "person_key,sex,school_form,start_date,completed,sfi_beginner",
        f"{good},woman,sfi,2023-02-01,nej,ja",
        "0f3a9c1e5b7d2a4c6e8f0a1b2c3d4e5f,man,sfi,2023-02-01,nej,ja",
    )
    with pytest.raises(RegisterError) as exc:
        import_register(src, "course_results", tmp_path / "data")
    assert exc.value.errors == [
        f"{src}:3: person_key: '0f3a9c1e5b7d2a4c6e8f0a1b2c3d4e5f' is not a pestrack "
        "pseudonym (12 letters and digits); give the identity_number instead"
    ]
    assert not (tmp_path / "data" / "course_results.parquet").exists()


def test_an_extract_warns_of_a_register_table_with_keys_of_the_old_format(tmp_path):
    import pyarrow as pa

    from pestrack.analytics.schema import BY_NAME

    data = tmp_path / "data"
    import_register(
        write(
            tmp_path / "f.csv",
            "identity_number,sex,school_form,end_date,months,working,source",
            f"{PIN},woman,yh,2022-12-20,6,true,scb",
        ),
        "education_followups",
        data,
    )
    assert extract(data).stale == []
    table = pq.read_table(data / "education_followups.parquet")
    old = table.set_column(0, "person_key", pa.array(["0f3a9c1e5b7d2a4c6e8f0a1b2c3d4e5f"]))
    pq.write_table(old.cast(BY_NAME["education_followups"].arrow), data / "education_followups.parquet")
    r = CliRunner().invoke(app, ["analytics", "extract", "--out", str(data)])
    assert r.exit_code == 0
    assert "education_followups.parquet has person keys of an older format" in " ".join(r.output.split())


def test_missing_and_unknown_columns_are_refused(tmp_path):
    src = write(tmp_path / "cols.csv", "identity_number,sex,colour", f"{PIN},woman,red")
    with pytest.raises(RegisterError) as exc:
        import_register(src, "course_results", tmp_path / "data")
    text = str(exc.value)
    assert "column 'colour' is not a column of course_results" in text
    assert "column 'school_form' is missing (it is required)" in text
    with pytest.raises(RegisterError, match="'enrolments' is not a register table"):
        import_register(src, "enrolments", tmp_path / "data")


def test_an_extract_leaves_imported_register_tables_alone(tmp_path):
    data = tmp_path / "data"
    src = write(
        tmp_path / "f.csv",
        "identity_number,sex,school_form,end_date,months,working,source",
        f"{PIN},woman,yh,2022-12-20,6,true,scb",
    )
    import_register(src, "education_followups", data)
    before = (data / "education_followups.parquet").read_bytes()
    extract(data)
    assert (data / "education_followups.parquet").read_bytes() == before
    assert json.loads((data / "manifest.json").read_text())["tables"]["education_followups"]["rows"] == 1


def test_command_reports_errors_with_exit_code_1(tmp_path):
    src = write(tmp_path / "bad.csv", HEADER, f"{PIN};woman;gymnasial;yrkes;2023-01-16;;;ja;G;ja;nej")
    r = CliRunner().invoke(
        app, ["analytics", "import", str(src), "--table", "course_results", "--out", str(tmp_path / "d")]
    )
    assert r.exit_code == 1 and "grade: 'G' is not one of A, B, C, D, E, F" in r.output
    good = write(tmp_path / "good.csv", HEADER, f"{PIN};woman;gymnasial;yrkes;2023-01-16;;;ja;B;ja;nej")
    r = CliRunner().invoke(
        app, ["analytics", "import", str(good), "--table", "course_results", "--out", str(tmp_path / "d")]
    )
    assert r.exit_code == 0 and "1 rows imported" in r.output
