"""Import files an attacker or an accident could make: oversized cells and lines, stray bytes in
another encoding, formula text, bidirectional control characters, extra cells."""

from __future__ import annotations

import pytest

from pestrack.records.importing import engine
from pestrack.records.importing.reader import MAX_CELL, MAX_LINE, FileRefused
from pestrack.records.people.models import Person
from tests.records.test_import import B2, PERSON_COLUMNS, PIN2, cli, person, reasons

pytestmark = pytest.mark.django_db


def _csv(path, lines: list[str], encoding="utf-8"):
    path.write_bytes("\n".join(lines).encode(encoding) + b"\n")
    return path


def test_an_oversized_cell_rejects_its_row_and_the_import_goes_on(profile, tmp_path):
    header = ",".join(PERSON_COLUMNS)
    huge = "A" * (10 * 1024 * 1024)  # 10 MB: the probe's cell
    long = "B" * (MAX_CELL + 1)
    path = _csv(
        tmp_path / "p.csv",
        [
            header,
            ",".join(person(first=huge)),
            ",".join(person(PIN2, B2, long, "Lund")),
            ",".join(person(PIN2, B2, "Åke", "Lund")),
        ],
    )
    result = engine.run_import(path, "persons")
    assert (result.created, result.rejected) == (1, 2)
    assert f"2 : the line is longer than {MAX_LINE} characters" in reasons(result)
    assert f"3 first_name: the value has {MAX_CELL + 1} characters; at most {MAX_CELL}" in reasons(result)
    assert Person.objects.get().first_name == "Åke"
    assert all(len(value) < 100 for _, _, value, _ in result.problems)  # shown cut short


def test_an_unclosed_quote_gathering_the_file_rejects_rows_and_ends(profile, tmp_path):
    header = ",".join(PERSON_COLUMNS)
    lines = [header, ",".join(person(PIN2, B2, "Åke", "Lund")), '"' + "x\n" * (MAX_LINE // 2 + 10)]
    path = _csv(tmp_path / "p.csv", lines)
    result = engine.run_import(path, "persons")
    assert result.created == 1 and result.rejected >= 1


def test_the_command_rejects_an_oversized_row_without_a_traceback(profile, tmp_path):
    header = ",".join(PERSON_COLUMNS)
    path = _csv(tmp_path / "p.csv", [header, ",".join(person(first="A" * (2 * MAX_LINE)))])
    out = cli(path, "--kind", "persons")
    assert out.exit_code == 1 and "Traceback" not in out.output, out.output
    assert "longer than" in out.output


def _people(n):
    import datetime as dt

    from pestrack.records.people.identity import make_number

    birth = dt.date(1980, 1, 1)
    return [person(make_number(birth, 100 + i), birth, "Åsa", f"Öberg{i}", "woman") for i in range(n)]


def test_a_stray_windows_1252_byte_in_a_utf8_file_refuses_it_and_changes_no_name(profile, tmp_path):
    """The probe's case: persons imported from UTF-8, then the same file again with one Windows-1252
    byte on its last line. Read as Windows-1252 every Å would have become "Ã…"."""
    rows = [",".join(PERSON_COLUMNS)] + [",".join(r) for r in _people(30)]
    assert engine.run_import(_csv(tmp_path / "first.csv", rows), "persons").created == 30
    again = tmp_path / "again.csv"
    body = "\n".join(rows).encode() + b"\n"
    stray = ",".join(person(PIN2, B2, "Ake", "Lund")).encode().replace(b"Lund", b"L\xf6nn") + b"\n"
    again.write_bytes(body + stray)
    offset = len(body) + stray.index(b"\xf6")
    with pytest.raises(FileRefused, match=rf"again.csv: line 32, byte {offset}: byte 0xf6 is not UTF-8"):
        engine.run_import(again, "persons")
    assert set(Person.objects.values_list("first_name", flat=True)) == {"Åsa"}
    out = cli(again, "--kind", "persons")
    assert out.exit_code == 2 and "line 32" in out.output


def test_a_file_wholly_in_windows_1252_is_still_read_as_windows_1252(profile, tmp_path):
    rows = [",".join(PERSON_COLUMNS)] + [",".join(r) for r in _people(3)]
    result = engine.run_import(_csv(tmp_path / "p.csv", rows, encoding="cp1252"), "persons")
    assert result.created == 3
    assert set(Person.objects.values_list("first_name", flat=True)) == {"Åsa"}


def test_a_utf8_sequence_cut_off_by_the_end_of_the_file_is_named(profile, tmp_path):
    rows = [",".join(PERSON_COLUMNS)] + [",".join(r) for r in _people(2)]
    path = tmp_path / "cut.csv"
    path.write_bytes("\n".join(rows).encode() + b"\n\xc3")
    with pytest.raises(FileRefused, match="cut.csv: line 4, byte"):
        engine.run_import(path, "persons")


def test_bidirectional_controls_are_rejected_in_imported_text(profile, tmp_path):
    rows = [
        ",".join(PERSON_COLUMNS),
        ",".join(person(first="Anna\u202eNOSS")),
        ",".join(person(PIN2, B2, "Åke", "Lu\u2067nd")),
    ]
    result = engine.run_import(_csv(tmp_path / "p.csv", rows), "persons")
    assert (result.created, result.rejected) == (0, 2)
    assert "first_name: contains the bidirectional control character U+202E at position 5" in reasons(result)
    assert "last_name: contains the bidirectional control character U+2067" in reasons(result)


def test_a_rejects_file_with_extra_cells_is_refused_again_until_they_are_removed(profile, tmp_path):
    rows = [",".join(PERSON_COLUMNS), ",".join(person() + ["Stray", "cells"])]
    first = engine.run_import(_csv(tmp_path / "p.csv", rows), "persons")
    assert first.rejected == 1 and "the row has 8 cells" in reasons(first)
    again = engine.run_import(first.rejects_path, "persons")
    assert (again.created, again.rejected) == (0, 1)
    assert not Person.objects.exists()
