"""Hypothesis fuzzing of the import: the CSV and XLSX readers with any bytes and any cells, and every
import kind of the registry with files of any cells, encodings, delimiters, quoting and row counts.

Whatever the file holds, the import
- raises nothing but FileRefused (the file as a whole is unusable, and then nothing at all is written);
- otherwise accounts for every non-blank row once (imported, unchanged or rejected), names the line
  and, for a value, the column of every problem, and adds exactly the rows it says it created;
- and the command ends with exit code 0, 1 or 2, without a traceback.

Example counts are kept small (under a minute in all); each failure Hypothesis finds is
shrunk to a small file and printed."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pestrack.records.importing import engine
from pestrack.records.importing.reader import FileRefused, open_source
from pestrack.records.importing.registry import KINDS
from pestrack.records.people.identity import make_number

FUZZ = settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
KIND_FUZZ = settings(FUZZ, max_examples=30)  # per import kind: an import each, with the database
FEW = settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

BIRTH = dt.date(1985, 3, 15)
PINS = [make_number(BIRTH, serial) for serial in (101, 102)]  # the persons of the ``registered`` fixture
NEW_PINS = [make_number(BIRTH, serial) for serial in (103, 104)]  # numbers of no one yet
ORG_NUMBER = "556036-0793"  # the employer of the ``registered`` fixture

# Text an import file can hold: any character but NUL and surrogates, often a delimiter, a quote or a
# line break, formula text, a bidirectional control, a long value.
ANY_TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30),
    st.sampled_from(['"', '""', ",", ";", "\n", "\r\n", '=HYPERLINK("x")', "@SUM(1+1)", "\u202eabc", " ", "-1"]),
    st.text(st.sampled_from('ab,;"\n '), max_size=12),
    st.integers(0, 40_000).map(lambda n: "x" * n),  # round the largest cell accepted (32,767)
)


def _plausible(column: str) -> list[str]:
    """Values of the column that can pass its checks (codes of the profile's list of that name)."""
    from pestrack.records.codes.models import Code

    if column == "personal_identity_number":
        return PINS + NEW_PINS
    if column in ("org_number", "employer_org_number"):
        return [ORG_NUMBER, "212000-0142"]
    if column in ("org_unit", "city_unit"):
        return ["jt-jarva", "jt-soderort"]
    if "date" in column:
        return ["2023-09-01", "2024-01-15", "1985-03-15", str(dt.date.today())]
    if column in ("working", "studying", "self_sufficient", "born_abroad", "protected_identity", "digital"):
        return ["true", "false", "ja", "nej", "1", "0"]
    if column in ("months", "arrival_year", "employer_satisfaction"):
        return ["3", "6", "12", "2010", "4"]
    names = {"sex": ["woman", "man"], "municipality": ["0180"], "first_name": ["Åsa"], "last_name": ["Öberg"]}
    if column in names:
        return names[column]
    list_name = {"kind": "place_type", "place_reference": None, "reference": None}.get(column, column)
    codes = list(Code.objects.filter(list=list_name).values_list("code", flat=True)[:4]) if list_name else []
    return codes or ["R1", "Lokalvårdare", "Exempelhandeln AB"]


def _cell(column: str):
    return st.one_of(st.sampled_from(_plausible(column)), ANY_TEXT, st.just(""))


@st.composite
def import_files(draw, kind_name: str):
    """(header, rows) of a file for ``kind_name``: its required columns (sometimes one missing, or
    repeated, or an unknown one), its optional ones in part, in any order; up to 8 rows of cells (about
    half of them of plausible values alone), some rows short or long."""
    kind = KINDS[kind_name]
    optional = draw(st.lists(st.sampled_from(kind.optional), unique=True)) if kind.optional else []
    columns = draw(st.permutations([*kind.required, *optional]))
    fault = draw(st.sampled_from(["none"] * 6 + ["missing", "repeated", "unknown"]))
    if fault == "missing":
        columns = columns[1:]
    elif fault == "repeated":
        columns = [*columns, columns[0]]
    elif fault == "unknown":
        columns = [*columns, "comment"]
    rows = []
    for _ in range(draw(st.integers(0, 8))):
        # about half the rows only of plausible values, so that rows are imported and updated too (with a
        # third of the cells plausible, hardly a row of six columns got through its checks)
        plausible = draw(st.booleans())
        row = [draw(st.sampled_from(_plausible(c)) if plausible else _cell(c)) for c in columns]
        row = row[: draw(st.integers(0, len(row)))] if draw(st.integers(0, 9)) == 0 else row
        row = row + [draw(ANY_TEXT)] if draw(st.integers(0, 9)) == 0 else row
        rows.append(row)
    return columns, rows


def _write(path, fmt: str, header, rows, mangle: bytes = b"") -> None:
    if fmt == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        for row in [header, *rows]:
            sheet.append([_no_control(c) for c in row])
        book.save(path)
        return
    encoding, delimiter = fmt.split("/")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode(encoding, "replace")
    path.write_bytes(data[: len(data) // 2] + mangle + data[len(data) // 2 :] if mangle else data)


def _no_control(text: str) -> str:
    """A cell as a spreadsheet can hold it (openpyxl refuses control characters other than tab and newlines)."""
    return "".join(c for c in text if c in "\t\n\r" or ord(c) >= 32)


def counts() -> dict[str, int]:
    """Rows of every pestrack table, the access log included."""
    from django.apps import apps

    return {m._meta.label: m.objects.count() for m in apps.get_models() if m.__module__.startswith("pestrack.")}


@pytest.fixture
def registered(profile):
    """Two persons with an open enrolment at Järva (their numbers are in PINS), an employer and a place,
    so that rows of every kind can name something that exists."""
    from pestrack.records.codes.models import Code
    from pestrack.records.employers.models import Employer, Place
    from tests.web.conftest import make_person

    for serial in (101, 102):
        make_person("Fuzz", f"Fuzzson{serial}", "jt-jarva", serial=serial, birth=BIRTH)
    employer = Employer.objects.create(org_number=ORG_NUMBER, name="Exempelhandeln AB", size_band="50-249")
    Place.objects.create(
        kind=Code.objects.filter(list="place_type").first(),
        employer=employer,
        reference="R1",
        title="Lokalvårdare",
        start_date=dt.date(2023, 9, 1),
    )


def snapshot() -> dict[str, dict]:
    """Every row of every pestrack table but the access log, by primary key."""
    from django.apps import apps

    tables = {}
    for m in apps.get_models():
        if m.__module__.startswith("pestrack.") and m._meta.label != "audit.AccessLogEntry":
            fields = [f.attname for f in m._meta.concrete_fields]
            tables[m._meta.label] = {row[0]: row for row in m.objects.values_list("pk", *fields)}
    return tables


def _changes_only_what_it_says(before: dict, after: dict, kind_name: str, result) -> None:
    """The import adds the rows it says it created and changes at most as many as it says it updated,
    all of its own kind; it removes nothing. Elsewhere only the enrolments' last activity, which the
    records it writes refresh, may change."""
    from pestrack.records.casework.models import Enrolment

    model = KINDS[kind_name].model._meta.label
    activity = [f.attname for f in Enrolment._meta.concrete_fields].index("last_activity") + 1  # after the pk
    for label, rows in before.items():
        now = after[label]
        removed, added = rows.keys() - now.keys(), now.keys() - rows.keys()
        altered = {pk for pk in rows.keys() & now.keys() if rows[pk] != now[pk]}
        assert not removed, (label, "removed", sorted(removed)[:5], result.summary())
        if label == model:
            assert len(added) == result.created, (label, len(added), result.summary())
            assert len(altered) <= result.updated, (label, len(altered), result.summary())
            continue
        assert not added, (label, "added", sorted(added)[:5], result.summary())
        if label == Enrolment._meta.label:
            altered = {
                pk
                for pk in altered
                if rows[pk][:activity] + rows[pk][activity + 1 :] != now[pk][:activity] + now[pk][activity + 1 :]
            }
        assert not altered, (label, "changed", sorted(altered)[:5], result.summary())


def _read(path):
    """(header, rows) as the reader gives them, or None if it refuses the file."""
    try:
        source = open_source(path)
    except FileRefused:
        return None
    try:
        return source.header, list(source.rows)
    finally:
        source.close()


def _import_and_check(path, kind_name: str) -> None:
    """Run the import once, in a transaction of its own rolled back afterwards, and check its promises
    against the rows the reader gives."""
    read = _read(path)
    with transaction.atomic():
        before, rows_before = counts(), snapshot()
        try:
            result = engine.run_import(path, kind_name)
        except FileRefused as exc:
            assert str(path) in str(exc)  # says which file
            assert counts() == before and snapshot() == rows_before, "a refused file wrote something"
        else:
            assert read is not None, "the import read a file the reader refuses"
            header, rows = read
            given = [line for line, cells in rows if "".join(cells).strip()]
            accounted = result.created + result.updated + result.unchanged + result.rejected
            assert accounted == len(given), (result.summary(), len(given))
            after = counts()
            model = KINDS[kind_name].model._meta.label
            assert after[model] - before[model] == result.created, (model, result.summary())
            _changes_only_what_it_says(rows_before, snapshot(), kind_name, result)
            for line, column, _value, reason in result.problems:
                assert line in given, (line, given)
                assert reason
                assert column == "" or column in header, (column, header)
                assert column or any(w in reason for w in ("cells", "line", "cell ", "no column")), (
                    reason
                )  # a row-wide problem says where
        transaction.set_rollback(True)


# --- the readers ----------------------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=3000))
def test_the_csv_reader_refuses_or_reads_any_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "any.csv"
    path.write_bytes(data)
    try:
        source = open_source(path)
    except FileRefused as exc:
        assert str(path) in str(exc)
        return
    try:
        lines = [line for line, cells in source.rows if all(isinstance(c, str) for c in cells)]
    finally:
        source.close()
    assert lines == sorted(set(lines)) and all(n >= 2 for n in lines)


@FUZZ
@given(
    text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=400),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]),
)
def test_the_csv_reader_refuses_or_reads_any_text_in_any_encoding(tmp_path_factory, text, encoding):
    path = tmp_path_factory.mktemp("fuzz") / "text.csv"
    path.write_bytes(text.encode(encoding, "replace"))
    try:
        source = open_source(path)
    except FileRefused:
        return
    try:
        for _line, cells in source.rows:
            assert all(isinstance(c, str) for c in cells)
    finally:
        source.close()


@FUZZ
@given(
    rows=st.lists(st.lists(ANY_TEXT, min_size=1, max_size=4), max_size=6),
    delimiter=st.sampled_from([",", ";"]),
    bom=st.booleans(),
)
def test_a_csv_file_reads_back_cell_for_cell(tmp_path_factory, rows, delimiter, bom):
    """What a spreadsheet program saves as CSV UTF-8 (quoted where needed) is read back as written."""
    path = tmp_path_factory.mktemp("fuzz") / "round.csv"
    header = ["a", "b", "c", "d"]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode("utf-8-sig" if bom else "utf-8"))
    source = open_source(path)
    try:
        read = [cells for _line, cells in source.rows]
    finally:
        source.close()
    assert source.delimiter == delimiter and source.encoding == "utf-8-sig"
    assert read == rows


@FUZZ
@given(
    cells=st.lists(
        st.lists(
            st.one_of(
                st.none(),
                st.booleans(),
                st.integers(-(10**15), 10**15),
                st.floats(allow_nan=False, allow_infinity=False),
                st.dates(min_value=dt.date(1900, 1, 1)),
                st.datetimes(min_value=dt.datetime(1900, 1, 1)),
                ANY_TEXT.map(_no_control),
            ),
            min_size=1,
            max_size=5,
        ),
        min_size=1,
        max_size=6,
    )
)
def test_the_xlsx_reader_reads_any_cells_as_text(tmp_path_factory, cells):
    import openpyxl

    path = tmp_path_factory.mktemp("fuzz") / "any.xlsx"
    book = openpyxl.Workbook()
    for row in cells:
        book.active.append(row)
    book.save(path)
    try:
        source = open_source(path)
    except FileRefused as exc:  # an empty first row
        assert "empty" in str(exc)
        return
    try:
        rows = list(source.rows)
    finally:
        source.close()
    assert len(rows) == len(cells) - 1
    assert all(isinstance(c, str) for _line, row in rows for c in row)


@FUZZ
@given(data=st.binary(max_size=2000))
def test_a_damaged_workbook_is_refused(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "damaged.xlsx"
    path.write_bytes(b"PK\x03\x04" + data)
    with pytest.raises(FileRefused, match="damaged.xlsx"):
        open_source(path).close()


# --- every import kind ------------------------------------------------------------------------

FORMATS = ["utf-8/,", "utf-8-sig/;", "cp1252/;", "cp1252/,", "xlsx"]


@pytest.mark.django_db
@pytest.mark.parametrize("kind_name", sorted(KINDS))
def test_every_import_kind_keeps_its_promises_for_any_file(registered, tmp_path_factory, kind_name):
    @KIND_FUZZ
    @given(
        file=import_files(kind_name),
        fmt=st.sampled_from(FORMATS),
        mangle=st.sampled_from([b"", b"", b"\xff", b"\x00", b"\xc3"]),  # a stray byte mid-file
    )
    def check(file, fmt, mangle):
        header, rows = file
        path = tmp_path_factory.mktemp("fuzz") / ("file.xlsx" if fmt == "xlsx" else "file.csv")
        _write(path, fmt, header, rows, mangle=b"" if fmt == "xlsx" else mangle)
        _import_and_check(path, kind_name)

    check()


@pytest.mark.django_db
@pytest.mark.parametrize("kind_name", ["persons", "enrolments", "placements"])
def test_the_command_ends_with_0_1_or_2_and_no_traceback(registered, tmp_path_factory, kind_name):
    from typer.testing import CliRunner

    from pestrack.cli import app

    @FEW
    @given(file=import_files(kind_name), fmt=st.sampled_from(FORMATS))
    def check(file, fmt):
        header, rows = file
        path = tmp_path_factory.mktemp("fuzz") / ("file.xlsx" if fmt == "xlsx" else "file.csv")
        _write(path, fmt, header, rows)
        with transaction.atomic():
            out = CliRunner().invoke(app, ["import", str(path), "--kind", kind_name, "--quiet"])
            transaction.set_rollback(True)
        assert out.exit_code in (0, 1, 2), (out.exit_code, out.output, out.exception)
        assert out.exception is None or isinstance(out.exception, SystemExit), repr(out.exception)
        assert "Traceback" not in out.output

    check()


@pytest.mark.django_db
def test_an_overlong_postcode_rejects_its_row_naming_the_column(registered, tmp_path):
    """Found by the fuzzing above: a postcode over 6 characters ended the import with AttributeError."""
    path = tmp_path / "employers.csv"
    path.write_text("org_number,name,postcode\n556036-0793,Exempelhandeln AB,1234567\n212000-0142,Kommunen,114 55\n")
    result = engine.run_import(path, "employers")
    assert (result.created, result.updated, result.rejected) == (1, 0, 1)
    assert [(line, column) for line, column, _value, _reason in result.problems] == [(2, "postcode")]


@pytest.mark.django_db
def test_an_oversized_cell_after_the_header_is_named_by_its_position(registered, tmp_path):
    """Found by the fuzzing above: the problem named neither a column nor where the cell was."""
    path = tmp_path / "employers.csv"
    path.write_text("org_number,name\n556036-0793,Exempelhandeln AB," + "x" * 40_000 + "\n")
    result = engine.run_import(path, "employers")
    assert result.rejected == 1
    assert result.problems[0][1:] == (
        "",
        "",
        "cell 3, after the header's 2 columns, has 40000 characters; at most 32767",
    )


@pytest.mark.django_db
def test_a_place_with_a_longitude_alone_is_refused_at_the_column_it_has(registered, tmp_path):
    """Found by the fuzzing above: the problem named the latitude column, which the file did not have."""
    path = tmp_path / "places.csv"
    path.write_text(
        "employer_org_number,reference,kind,title,start_date,longitude\n"
        "556036-0793,R2,stockholmsjobb,Lokalvårdare,2023-09-01,18.05\n"
    )
    result = engine.run_import(path, "places")
    assert result.rejected == 1
    assert [(column, reason) for _line, column, _value, reason in result.problems] == [
        ("longitude", "give both latitude and longitude, or neither")
    ]


@pytest.mark.django_db
def test_a_rule_about_a_column_the_file_lacks_names_the_row_and_the_column_to_add(registered, tmp_path):
    """Found by the fuzzing above once half its rows were plausible: an enrolment whose target group
    needs a decision, from a file without the decision columns, was rejected at the column
    decision_reference, which the file did not have (nor the rejects file, to correct it in)."""
    path = tmp_path / "enrolments.csv"
    path.write_text(
        "personal_identity_number,programme,org_unit,target_group,entry_route,start_date\n"
        f"{PINS[0]},jobbtorg,jt-jarva,ovriga,self_referral,2024-01-15\n"
    )
    result = engine.run_import(path, "enrolments")
    assert result.rejected == 1
    [(line, column, _value, reason)] = result.problems
    assert (line, column) == (2, "")
    assert reason.endswith("(the file has no column decision_reference: add it)")
