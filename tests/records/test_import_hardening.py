"""Import files an attacker or an accident could make: oversized cells and lines, stray bytes in
another encoding, formula text, bidirectional control characters, extra cells."""
from __future__ import annotations

import pytest

from pestrack.records.importing import engine
from pestrack.records.importing.reader import MAX_CELL, MAX_LINE
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
    path = _csv(tmp_path / "p.csv", [header, ",".join(person(first=huge)), ",".join(person(PIN2, B2, long, "Lund")),
                                     ",".join(person(PIN2, B2, "Åke", "Lund"))])
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
