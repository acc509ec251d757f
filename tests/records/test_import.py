"""pestrack import: file formats, rules, rejects, idempotence, atomicity, the command's output."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pestrack.records.audit.models import AccessLogEntry
from pestrack.records.casework.models import Enrolment, FollowUp, Participation
from pestrack.records.importing import engine
from pestrack.records.importing.reader import FileRefused
from pestrack.records.people.identity import make_number
from pestrack.records.people.models import Person

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
PERSON_COLUMNS = ["personal_identity_number", "first_name", "last_name", "birth_date", "sex", "municipality"]
ENROLMENT_COLUMNS = [
    "personal_identity_number",
    "programme",
    "org_unit",
    "target_group",
    "entry_route",
    "start_date",
    "end_date",
    "exit_reason",
    "decision_reference",
    "decision_date",
]
B1, B2 = dt.date(1985, 3, 14), dt.date(1992, 10, 2)
PIN1, PIN2 = make_number(B1, 482), make_number(B2, 123)

pytestmark = pytest.mark.django_db


def write(path: Path, header, rows, *, delimiter=",", encoding="utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


def person(pin=PIN1, birth=B1, first="Amina", last="Hassan", sex="woman", municipality="0180"):
    return [pin, first, last, str(birth), sex, municipality]


def enrolment(
    pin=PIN1,
    group="forsorjningsstod",
    route="social_services",
    start="2023-09-01",
    end="",
    reason="",
    ref="",
    ref_date="",
):
    return [pin, "jobbtorg", "jt-jarva", group, route, start, end, reason, ref, ref_date]


def run(tmp_path, name, header, rows, kind="persons", **kw):
    return engine.run_import(write(tmp_path / name, header, rows, **kw), kind)


def cli(*args):
    from pestrack.cli import app

    return CliRunner().invoke(app, ["import", *map(str, args), "--quiet"])


def reasons(result) -> str:
    return " | ".join(f"{line} {col}: {reason}" for line, col, _, reason in result.problems)


# --- files -----------------------------------------------------------------------------------


def test_windows_1252_file_keeps_swedish_letters(profile, tmp_path):
    r = run(tmp_path, "p.csv", PERSON_COLUMNS, [person(first="Åsa", last="Öberg-Ängström")], encoding="cp1252")
    assert (r.created, r.rejected) == (1, 0)
    p = Person.objects.get()
    assert (p.first_name, p.last_name) == ("Åsa", "Öberg-Ängström")


def test_utf8_with_bom_and_semicolons(profile, tmp_path):
    r = run(
        tmp_path,
        "p.csv",
        PERSON_COLUMNS,
        [person(last="Ek, Öst"), person(PIN2, B2, "Åke", "Lund", "man")],
        delimiter=";",
        encoding="utf-8-sig",
    )
    assert (r.created, r.rejected) == (2, 0)
    assert Person.objects.get(first_name="Amina").last_name == "Ek, Öst"


def test_file_in_neither_encoding_is_refused_naming_the_file(profile, tmp_path):
    path = tmp_path / "utf16.csv"
    path.write_text(",".join(PERSON_COLUMNS) + "\n" + ",".join(person()) + "\n", encoding="utf-16")
    with pytest.raises(FileRefused, match="utf16.csv.*UTF-8 or Windows-1252"):
        engine.run_import(path, "persons")
    bad = tmp_path / "undefined.csv"
    bad.write_bytes(b"personal_identity_number,first_name\n\x81\x8d\x9d,x\n")
    result = cli(bad, "--kind", "persons")
    assert result.exit_code == 2
    assert "undefined.csv" in result.output and "UTF-8 or Windows-1252" in result.output
    assert Person.objects.count() == 0


def test_xlsx(profile, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(PERSON_COLUMNS + ["born_abroad", "arrival_year"])
    sheet.append([PIN1, "Amina", "Hassan", B1, "woman", 180, True, 2010])  # a date cell, a number that lost its 0
    sheet.append([PIN2, "Åke", "Lund", "1992-10-02", "man", "0180", None, None])
    book.save(tmp_path / "p.xlsx")
    r = engine.run_import(tmp_path / "p.xlsx", "persons")
    assert (r.created, r.rejected) == (2, 0), reasons(r)
    amina = Person.objects.get(first_name="Amina")
    assert (amina.birth_date, amina.municipality, amina.born_abroad, amina.arrival_year) == (B1, "0180", True, 2010)


def test_missing_column_refuses_the_whole_file(profile, tmp_path):
    path = write(tmp_path / "p.csv", PERSON_COLUMNS[:-1], [person()[:-1]])
    result = cli(path, "--kind", "persons")
    assert result.exit_code == 2
    assert "p.csv" in result.output and "required column municipality is missing" in result.output
    assert result.output.strip().splitlines()[-1] == "imported 0, unchanged 0, rejected 0"
    assert Person.objects.count() == 0 and AccessLogEntry.objects.count() == 0


# --- rows ------------------------------------------------------------------------------------


def test_bad_identity_numbers_are_rejected_and_never_shown_in_clear(profile, tmp_path):
    wrong_check = PIN1[:-1] + str((int(PIN1[-1]) + 1) % 10)
    rows = [person("1985-03-14-1234"), person("19850230-1234"), person(wrong_check), person(PIN2, B1)]
    r = run(tmp_path, "p.csv", PERSON_COLUMNS, rows)
    assert (r.created, r.rejected) == (0, 4)
    text = reasons(r)
    assert "not of the form YYYYMMDD-NNNN" in text and "1985-02-30 is not a date" in text
    assert "check digit is wrong" in text and "does not agree with the identity number" in text
    shown = " ".join(f"{v} {reason}" for _, _, v, reason in r.problems)
    assert wrong_check not in shown and "19850314-XXXX" in shown
    assert PIN1 not in shown


def test_impossible_and_future_dates(profile, tmp_path):
    future = dt.date.today() + dt.timedelta(days=400)
    rows = [person(birth="2023-02-30"), person(make_number(future, 100), future)]
    r = run(tmp_path, "p.csv", PERSON_COLUMNS, rows)
    assert r.rejected == 2
    assert "2023-02-30 is not a date" in reasons(r) and "in the future" in reasons(r)

    run(tmp_path, "ok.csv", PERSON_COLUMNS, [person()])
    r = run(tmp_path, "e.csv", ENROLMENT_COLUMNS, [enrolment(start=str(future))], "enrolments")
    assert r.rejected == 1 and "is in the future" in reasons(r)
    assert Enrolment.objects.count() == 0


def test_duplicates_in_a_file_keep_the_first(profile, tmp_path):
    r = run(tmp_path, "p.csv", PERSON_COLUMNS, [person(first="First"), person(PIN2, B2), person(first="Second")])
    assert (r.created, r.rejected) == (2, 1)
    assert "also on line 2" in reasons(r) and r.problems[0][0] == 4
    assert Person.objects.get(birth_date=B1).first_name == "First"


def test_reimport_is_unchanged_and_a_changed_row_updates(profile, tmp_path):
    rows = [person(), person(PIN2, B2, "Åke", "Lund", "man")]
    assert run(tmp_path, "p.csv", PERSON_COLUMNS, rows).created == 2
    logged = AccessLogEntry.objects.count()
    r = run(tmp_path, "p.csv", PERSON_COLUMNS, rows)
    assert (r.imported, r.unchanged, r.rejected) == (0, 2, 0)
    assert Person.objects.count() == 2 and AccessLogEntry.objects.count() == logged  # nothing written

    rows[1][2] = "Lundgren"
    r = run(tmp_path, "p.csv", PERSON_COLUMNS, rows)
    assert (r.created, r.updated, r.unchanged) == (0, 1, 1)
    p = Person.objects.get(last_name="Lundgren")
    assert AccessLogEntry.objects.filter(action="update", person_id=p.pk, object_type="person").count() == 1


def test_rejects_file_can_be_fixed_and_imported(profile, tmp_path):
    path = write(tmp_path / "p.csv", PERSON_COLUMNS, [person(), person(PIN2, B2, sex="x")], delimiter=";")
    result = cli(path, "--kind", "persons")
    assert result.exit_code == 1
    rejects = tmp_path / "p.csv.rejects.csv"
    rows = list(csv.DictReader(rejects.open(encoding="utf-8-sig"), delimiter=";"))
    assert len(rows) == 1
    assert rows[0]["personal_identity_number"] == PIN2  # the user needs the number to fix the row
    assert (rows[0]["reject_line"], rows[0]["reject_column"]) == ("3", "sex") and "not a sex" in rows[0][
        "reject_reason"
    ]
    assert PIN2 not in result.output

    text = rejects.read_text(encoding="utf-8-sig").replace(";x;", ";man;")
    rejects.write_text(text, encoding="utf-8-sig")
    again = cli(rejects, "--kind", "persons")
    assert again.exit_code == 0, again.output
    assert again.output.strip().splitlines()[-1] == "imported 1, unchanged 0, rejected 0"
    assert Person.objects.count() == 2


def test_exit_codes_and_last_line(profile, tmp_path):
    good = write(tmp_path / "good.csv", PERSON_COLUMNS, [person()])
    first = cli(good, "--kind", "persons")
    assert first.exit_code == 0 and first.output.strip().splitlines()[-1] == "imported 1, unchanged 0, rejected 0"
    second = cli(good, "--kind", "persons")
    assert second.exit_code == 0 and second.output.strip().splitlines()[-1] == "imported 0, unchanged 1, rejected 0"
    mixed = write(tmp_path / "mixed.csv", PERSON_COLUMNS, [person(PIN2, B2), person("12")])
    third = cli(mixed, "--kind", "persons")
    assert third.exit_code == 1 and third.output.strip().splitlines()[-1] == "imported 1, unchanged 0, rejected 1"
    assert cli(tmp_path / "nonexistent.csv", "--kind", "persons").exit_code == 2


def test_crash_while_writing_leaves_the_database_as_it_was(profile, tmp_path, monkeypatch):
    run(tmp_path, "first.csv", PERSON_COLUMNS, [person()])
    before = (list(Person.objects.values_list("pk", "first_name")), AccessLogEntry.objects.count())
    rows = [person(first="Changed")] + [person(make_number(B2, 100 + i), B2) for i in range(30)]
    path = write(tmp_path / "p.csv", PERSON_COLUMNS, rows)
    calls = []
    real = engine.write_chunk

    def crash(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real(*args)

    monkeypatch.setattr(engine, "write_chunk", crash)
    with pytest.raises(KeyboardInterrupt):
        engine.run_import(path, "persons", chunk_size=10)
    assert len(calls) == 3  # two batches were written before the interruption
    assert (list(Person.objects.values_list("pk", "first_name")), AccessLogEntry.objects.count()) == before


# --- rules and references --------------------------------------------------------------------


def test_business_rules_apply_to_enrolments(profile, tmp_path):
    young = dt.date(2006, 5, 2)
    run(tmp_path, "p.csv", PERSON_COLUMNS, [person(), person(make_number(young, 237), young, municipality="0114")])
    rows = [
        enrolment(group="kaa", route="kaa"),  # 38 years old: KAA is under 20
        enrolment(make_number(young, 237), group="kaa", route="kaa", start="2024-02-01"),  # not in Stockholm
        enrolment(group="ovriga", route="district_other", start="2023-01-01"),  # no decision
        enrolment(start="2023-02-01", end="2023-06-01"),  # ended without a reason
        enrolment(start="2023-09-01"),
        enrolment(start="2024-01-01"),  # a second open one in this file
        enrolment(make_number(B1, 999)),  # no such person
    ]
    r = run(tmp_path, "e.csv", ENROLMENT_COLUMNS, rows, "enrolments")
    text = reasons(r)
    assert (r.created, r.rejected) == (1, 6), text
    assert "2 target_group: Kommunala aktivitetsansvaret (KAA) (kaa) requires age 19 or under" in text
    assert "3 target_group:" in text and "requires registration in municipality 0180" in text
    assert "4 decision_reference:" in text and "requires a decision under the Social Services Act" in text
    assert "5 exit_reason: An ended enrolment needs an exit reason." in text
    assert "7 end_date: line 6 already has an open enrolment" in text
    assert "8 personal_identity_number:" in text and "import the persons file first" in text

    r = run(tmp_path, "e2.csv", ENROLMENT_COLUMNS, [enrolment(start="2024-03-01")], "enrolments")
    assert r.rejected == 1 and "already has an open enrolment in Jobbtorg Stockholm" in reasons(r)


def test_enrolments_bring_the_work_history_that_profiling_uses(profile, tmp_path):
    """last_worked and never_worked: stored, checked with the enrol form's rules, and kept when a later
    file leaves the columns out."""
    run(tmp_path, "p.csv", PERSON_COLUMNS, [person(), person(PIN2, B2)])
    header = [*ENROLMENT_COLUMNS, "last_worked", "never_worked"]
    rows = [
        [*enrolment(start="2023-09-01"), "2022-05-01", ""],
        [*enrolment(PIN2, start="2023-09-01"), "", "ja"],
        [*enrolment(start="2022-01-01", end="2022-06-01", reason="work"), "2022-03-01", ""],  # after the start
        [*enrolment(PIN2, start="2021-01-01", end="2021-06-01", reason="work"), "2020-01-01", "yes"],  # both
        [*enrolment(PIN2, start="2020-01-01", end="2020-06-01", reason="work"), "", "maybe"],
    ]
    r = run(tmp_path, "e.csv", header, rows, "enrolments")
    text = reasons(r)
    assert (r.created, r.rejected) == (2, 3), text
    assert "4 last_worked: The date the person last worked is after the start date." in text
    assert "5 never_worked: Give either when the person last worked or that they never have." in text
    assert "6 never_worked: 'maybe' is not one of yes/no" in text
    stored = {e.person.pk: (e.last_worked, e.never_worked) for e in Enrolment.objects.select_related("person")}
    amina, other = Person.objects.get(last_name="Hassan", birth_date=B1), Person.objects.get(birth_date=B2)
    assert stored == {amina.pk: (dt.date(2022, 5, 1), False), other.pk: (None, True)}
    r = run(tmp_path, "e2.csv", ENROLMENT_COLUMNS, [enrolment(start="2023-09-01")], "enrolments")
    assert (r.updated, r.rejected) == (0, 0), reasons(r)
    assert Enrolment.objects.get(person=amina).last_worked == dt.date(2022, 5, 1)


def test_examples_import_in_order_and_again_unchanged(profile):
    kinds = ["persons", "enrolments", "participations", "exits", "followups"]
    for kind in kinds:
        r = engine.run_import(EXAMPLES / f"{kind}.csv", kind)
        assert r.rejected == 0 and r.imported > 0, (kind, reasons(r))
    assert (
        Person.objects.count(),
        Enrolment.objects.filter(end_date__isnull=False).count(),
        Participation.objects.count(),
        FollowUp.objects.count(),
    ) == (4, 2, 4, 3)
    assert Person.objects.filter(protected_identity=True).count() == 1
    for kind in ["persons", "participations", "exits", "followups"]:
        r = engine.run_import(EXAMPLES / f"{kind}.csv", kind)
        assert (r.imported, r.rejected) == (0, 0), kind
    for path in EXAMPLES.glob("*.rejects.csv"):
        pytest.fail(f"an example left a rejects file: {path}")


def test_writes_are_logged_without_identity_numbers_and_numbers_are_encrypted(profile, tmp_path):
    run(tmp_path, "persons-2023.csv", PERSON_COLUMNS, [person(), person(PIN2, B2)])
    p = Person.objects.get(birth_date=B1)
    assert PIN1.replace("-", "") not in p.pin_encrypted + p.pin_hash and p.identity_number == PIN1
    entries = list(AccessLogEntry.objects.values("action", "person_id", "object_type", "detail", "actor"))
    assert {(e["action"], e["person_id"]) for e in entries} >= {("create", p.pk), ("import", None)}
    assert all(e["actor"].startswith("cli") and "persons-2023.csv" in e["detail"] for e in entries)
    assert not any(PIN1[:8] in e["detail"] or PIN2[:8] in e["detail"] for e in entries)


@pytest.mark.slow
def test_hundred_thousand_persons(profile, tmp_path):
    start = dt.date(1950, 1, 1)
    path = tmp_path / "big.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(PERSON_COLUMNS)
        for i in range(100_000):
            birth = start + dt.timedelta(days=i // 900)
            w.writerow([make_number(birth, 100 + i % 900), "Namn", f"Efternamn{i}", birth, "woman", "0180"])
        w.writerow(["19500101-1000", "Bad", "Check", "1950-01-01", "woman", "0180"])
    r = engine.run_import(path, "persons")
    assert (r.created, r.rejected) == (100_000, 1)
    assert Person.objects.count() == 100_000
    r = engine.run_import(path, "persons")
    assert (r.imported, r.unchanged, r.rejected) == (0, 100_000, 1)


def test_rules_apply_to_participations_exits_and_followups(profile, tmp_path):
    for kind in ("persons", "enrolments"):
        engine.run_import(EXAMPLES / f"{kind}.csv", kind)
    pin = next(csv.DictReader((EXAMPLES / "persons.csv").open()))["personal_identity_number"]
    r = run(
        tmp_path,
        "pa.csv",
        ["personal_identity_number", "programme", "enrolment_start_date", "measure", "start_date"],
        [
            [pin, "jobbtorg", "2023-09-01", "praktik", "2023-08-01"],
            [pin, "jobbtorg", "2023-09-02", "praktik", "2023-10-01"],
        ],
        "participations",
    )
    assert r.rejected == 2
    assert "The measure starts before the enrolment" in reasons(
        r
    ) and "no enrolment in jobbtorg that starts on" in reasons(r)
    r = run(
        tmp_path,
        "ex.csv",
        ["personal_identity_number", "programme", "enrolment_start_date", "end_date", "exit_reason"],
        [[pin, "jobbtorg", "2023-09-01", "2023-08-01", "work"]],
        "exits",
    )
    assert r.rejected == 1 and "before the start date" in reasons(r)
    r = run(
        tmp_path,
        "fu.csv",
        ["personal_identity_number", "programme", "enrolment_start_date", "months", "reference_date", "source"],
        [[pin, "jobbtorg", "2023-09-01", "3", "2024-01-01", "register"]],
        "followups",
    )
    assert r.rejected == 1 and "enrolment_start_date: A follow-up needs an ended enrolment" in reasons(r)
    assert Participation.objects.count() == FollowUp.objects.count() == 0


def test_a_withdrawn_entry_does_not_hold_its_key(profile):
    """A measure or follow-up withdrawn as wrong (makulerad) can be entered again with the same natural
    key, by a form or by importing the file again: the import enters it anew instead of matching
    the withdrawn row (which counts nowhere), and the withdrawn row stays, marked."""
    from django.db import IntegrityError, transaction

    from pestrack.records.casework import corrections

    for kind in ("persons", "enrolments", "participations", "exits", "followups"):
        engine.run_import(EXAMPLES / f"{kind}.csv", kind)
    measure, followup = Participation.objects.order_by("pk").first(), FollowUp.objects.order_by("pk").first()
    corrections.withdraw("participation", measure.pk, "Fel person", None)
    corrections.withdraw("followup", followup.pk, "Fel person", None)
    for kind in ("participations", "followups"):
        r = engine.run_import(EXAMPLES / f"{kind}.csv", kind)
        assert (r.created, r.rejected) == (1, 0), (kind, reasons(r))
    again = Participation.objects.current().get(
        enrolment=measure.enrolment, measure=measure.measure, start_date=measure.start_date
    )
    assert again.pk != measure.pk and Participation.objects.filter(pk=measure.pk, withdrawn_at__isnull=False).exists()
    assert FollowUp.objects.current().filter(enrolment=followup.enrolment, months=followup.months).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():  # two current entries with one key: refused
        Participation.objects.create(enrolment=again.enrolment, measure=again.measure, start_date=again.start_date)
