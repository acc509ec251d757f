"""The journal's documentation rules (records.journal.rules), retention and the register extract."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from typer.testing import CliRunner

from pestrack.cli import app
from pestrack.records import retention, worklist
from pestrack.records.casework.models import Enrolment, Participation
from pestrack.records.codes.models import Code
from pestrack.records.journal import rules
from pestrack.records.journal.models import MAX_TEXT, JournalEntry
from pestrack.records.meetings.models import Meeting
from pestrack.records.org.users import add_user
from pestrack.records.people.export import person_extract, render_extract_html
from tests.web.conftest import make_person

TODAY = timezone.localdate()


@pytest.fixture
def case(profile):
    anna = add_user("anna", "caseworker", ["jt-jarva"], password="demo-pestrack-2026")
    bo = add_user("bo", "caseworker", ["jt-jarva"], password="demo-pestrack-2026")
    person = make_person("Jarva", "Jarvasson", "jt-jarva", serial=101)
    other = make_person("Annan", "Andersson", "jt-jarva", serial=102)
    return anna, bo, person.enrolments.get(), other.enrolments.get()


def _write(author, enrolment, text="Samtal om praktik.", **kw):
    return rules.write(
        author, enrolment=enrolment, kind=kw.pop("kind", "samtal"), date=kw.pop("date", TODAY), text=text, **kw
    )


def _age(entry, hours):
    """Make the entry written ``hours`` ago (by SQL: the guard allows it only on unsigned young rows)."""
    JournalEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - dt.timedelta(hours=hours))
    entry.refresh_from_db()
    return entry


def _fields(refused) -> set[str]:
    return {v.field for v in refused.value.violations}


@pytest.mark.django_db
def test_an_entry_is_written_by_its_author_and_only_the_author_edits_or_signs_it(case):
    anna, bo, enrolment, _ = case
    entry = _write(anna, enrolment)
    assert entry.person_id == enrolment.person_id and entry.author == anna and not rules.is_signed(entry)
    with pytest.raises(rules.Refused) as refused:
        rules.edit(entry, bo, kind="samtal", date=TODAY, text="Bo's version")
    assert _fields(refused) == {"entry"}
    with pytest.raises(rules.Refused):
        rules.sign(entry, bo)
    entry.refresh_from_db()
    assert entry.text == "Samtal om praktik." and entry.signed_at is None
    rules.edit(entry, anna, kind="telefonsamtal", date=TODAY, text="Telefonsamtal om praktik.")
    rules.sign(entry, anna)
    entry.refresh_from_db()
    assert entry.kind.code == "telefonsamtal" and entry.signed_at is not None and not entry.auto_signed


@pytest.mark.django_db
def test_a_signed_entry_is_never_edited_even_by_its_author(case):
    anna, _, enrolment, _ = case
    entry = _write(anna, enrolment, sign=True)
    with pytest.raises(rules.Refused) as refused:
        rules.edit(entry, anna, kind="samtal", date=TODAY, text="changed")
    assert "signed" in refused.value.violations[0].message
    with pytest.raises(rules.Refused):
        rules.sign(entry, anna)
    assert JournalEntry.objects.get(pk=entry.pk).text == "Samtal om praktik."


@pytest.mark.django_db
def test_an_entry_left_unsigned_for_24_hours_counts_as_signed_and_autosign_stamps_it(case):
    anna, _, enrolment, _ = case
    young, old = _write(anna, enrolment), _age(_write(anna, enrolment, "Gammal"), 25)
    assert not rules.is_signed(young) and rules.is_signed(old)
    assert set(JournalEntry.objects.filter(rules.signed_q()).values_list("pk", flat=True)) == {old.pk}
    with pytest.raises(rules.Refused):  # signed in effect, though not stamped yet
        rules.edit(old, anna, kind="samtal", date=TODAY, text="changed")
    result = CliRunner().invoke(app, ["journal", "autosign"])
    assert result.exit_code == 0, result.output
    assert "signed automatically: 1" in result.output
    old.refresh_from_db()
    young.refresh_from_db()
    assert old.auto_signed and abs(old.signed_at - (old.created_at + rules.AUTO_SIGN_AFTER)) < dt.timedelta(seconds=1)
    assert young.signed_at is None
    from pestrack.records.audit.models import AccessLogEntry

    assert AccessLogEntry.objects.filter(
        action="update", object_type="journalentry", object_id=str(old.pk), person_id=old.person_id, source="cli"
    ).exists()


@pytest.mark.django_db
def test_bad_content_is_refused_naming_the_field_and_nothing_is_written(case):
    anna, _, enrolment, other = case
    meeting = Meeting.objects.create(
        person=other.person,
        enrolment=other,
        kind=Code.objects.get(list="meeting_kind", code="planning"),
        starts_at=timezone.now(),
    )
    measure = Participation.objects.create(
        enrolment=other, measure=Code.objects.filter(list="measure").first(), start_date=TODAY
    )
    cases = [
        ({"text": "x" * (MAX_TEXT + 1)}, "text"),
        ({"text": "   "}, "text"),
        ({"date": TODAY + dt.timedelta(days=1)}, "date"),
        ({"kind": "gossip"}, "kind"),
        ({"meeting": meeting}, "meeting"),
        ({"participation": measure}, "participation"),
    ]
    for kwargs, field in cases:
        with pytest.raises(rules.Refused) as refused:
            _write(anna, enrolment, **{"text": "ok", **kwargs})
        assert _fields(refused) == {field}, kwargs
    assert not JournalEntry.objects.exists()
    assert _write(anna, enrolment, "x" * MAX_TEXT).pk  # the limit itself is allowed


@pytest.mark.django_db
def test_a_correction_keeps_both_entries_and_names_what_it_corrects_and_why(case):
    anna, bo, enrolment, _ = case
    entry = _write(anna, enrolment, sign=True)
    with pytest.raises(rules.Refused) as refused:
        rules.correct(entry, bo, kind=None, date=TODAY, text="Rätt text", reason="")
    assert _fields(refused) == {"reason"}
    fix = rules.correct(entry, bo, kind=None, date=TODAY, text="Rätt text", reason="Fel datum")
    assert fix.corrects == entry and fix.correction_reason == "Fel datum" and rules.is_signed(fix)
    assert fix.kind == entry.kind and fix.enrolment == entry.enrolment
    shown = {e.pk: e for e in rules.with_history(JournalEntry.objects.all())}
    assert shown[entry.pk].corrected_by == fix.pk and not shown[entry.pk].withdrawn
    assert JournalEntry.objects.get(pk=entry.pk).text == "Samtal om praktik."  # the corrected entry is unchanged


@pytest.mark.django_db
def test_only_a_signed_entry_that_is_not_withdrawn_can_be_corrected(case):
    anna, bo, enrolment, _ = case
    unsigned = _write(anna, enrolment)
    with pytest.raises(rules.Refused) as refused:
        rules.correct(unsigned, bo, kind=None, date=TODAY, text="x", reason="y")
    assert _fields(refused) == {"corrects"}
    with pytest.raises(rules.Refused):
        rules.correct(None, bo, kind=None, date=TODAY, text="x", reason="y")
    signed = _write(anna, enrolment, sign=True)
    rules.correct(signed, bo, kind=None, date=TODAY, text="Skrevs på fel person", reason="Fel person", withdraws=True)
    assert rules.with_history(JournalEntry.objects.filter(pk=signed.pk)).get().withdrawn
    with pytest.raises(rules.Refused) as refused:
        rules.correct(signed, bo, kind=None, date=TODAY, text="x", reason="y")
    assert "withdrawn" in refused.value.violations[0].message


@pytest.mark.django_db
def test_retention_empties_the_journal_texts_of_an_anonymised_person(case):
    anna, _, enrolment, other = case
    entry = _write(anna, enrolment, "Känslig text", sign=True)
    rules.correct(entry, anna, kind=None, date=TODAY, text="Rättad text", reason="Känsligt skäl")
    kept = _write(anna, other, "Annan persons text", sign=True)
    Enrolment.objects.filter(pk=enrolment.pk).update(
        start_date=dt.date(2010, 1, 1),
        end_date=dt.date(2012, 1, 1),
        exit_reason=Code.objects.filter(list="exit_reason").first(),
    )
    result = retention.apply()
    assert enrolment.person_id in result.person_ids
    for e in JournalEntry.objects.filter(person=enrolment.person):
        assert e.text == "" and e.correction_reason == "" and e.kind.code == "samtal"
    assert JournalEntry.objects.get(pk=kept.pk).text == "Annan persons text"


@pytest.mark.django_db
def test_the_register_extract_holds_the_journal_with_its_history(case):
    anna, bo, enrolment, _ = case
    entry = _write(anna, enrolment, "Första raden\n<b>andra</b>", sign=True)
    fix = rules.correct(entry, bo, kind="mote", date=TODAY, text="Rättelse", reason="Fel typ")
    extract = person_extract(enrolment.person)
    journal = {j["id"]: j for j in extract["enrolments"][0]["journal"]}
    assert journal[entry.pk]["text"] == "Första raden\n<b>andra</b>" and journal[entry.pk]["corrected_by"] == [fix.pk]
    assert journal[fix.pk]["corrects"] == entry.pk and journal[fix.pk]["correction_reason"] == "Fel typ"
    assert journal[entry.pk]["signed_at"] and journal[entry.pk]["kind"]["sv"] == "Samtal"
    html = render_extract_html(extract, "sv")
    assert "Journalanteckningar" in html and "Första raden<br>&lt;b&gt;andra&lt;/b&gt;" in html
    assert "Rättar anteckning" in html and "Fel typ" in html


@pytest.mark.django_db
def test_the_work_list_has_the_authors_unsigned_entries_until_they_are_signed(case):
    anna, bo, enrolment, _ = case
    unsigned = _write(anna, enrolment)
    _write(anna, enrolment, sign=True)
    _age(_write(anna, enrolment), 25)  # signed in effect
    enrolments = Enrolment.objects.all()
    items = worklist.items(enrolments, TODAY, kinds=["journal_unsigned"])
    assert [(i["object_id"], i["caseworker_id"], i["person_id"]) for i in items] == [
        (unsigned.pk, anna.pk, enrolment.person_id)
    ]
    assert (
        items[0]["due_date"] == timezone.localtime(unsigned.created_at + dt.timedelta(hours=24)).date()
        or items[0]["due_date"] == (unsigned.created_at + dt.timedelta(hours=24)).date()
    )
    assert worklist.source("journal_unsigned").resolve_url(items[0]) == f"/journal/{unsigned.pk}/"
    rules.sign(unsigned, anna)
    assert worklist.counts(enrolments, TODAY)["journal_unsigned"] == 0


@pytest.mark.django_db
@pytest.mark.postgres
def test_the_database_refuses_to_change_or_delete_a_signed_entry(case):
    anna, _, enrolment, _ = case
    entry = _write(anna, enrolment, sign=True)
    old = _age(_write(anna, enrolment, "Gammal"), 25)
    young = _write(anna, enrolment, "Ung")
    for pk in (entry.pk, old.pk):
        for change in ({"text": "ändrad"}, {"date": TODAY - dt.timedelta(days=1)}):
            with pytest.raises(DatabaseError), transaction.atomic():
                JournalEntry.objects.filter(pk=pk).update(**change)
        with pytest.raises(DatabaseError), transaction.atomic():
            JournalEntry.objects.filter(pk=pk).delete()
    assert len(rules.autosign()) == 1  # stamping an old entry passes
    rules.blank_texts([enrolment.person_id])  # and so does retention's emptying of the texts
    JournalEntry.objects.filter(pk=young.pk).update(text="Ung, ändrad")  # an unsigned young entry may change
    assert connection.vendor == "postgresql"


@pytest.mark.django_db
def test_demo_data_gives_the_demo_caseworkers_a_current_journal_with_unsigned_entries(profile):
    from pestrack.records.journal.demo import add_demo_data
    from pestrack.records.sample import create_demo_users

    create_demo_users()
    for i in range(6):
        make_person(f"P{i}", "Jarvasson", "jt-jarva", serial=300 + i)
        make_person(f"S{i}", "Ortsson", "jt-soderort", serial=400 + i)
    made = add_demo_data(TODAY, per_caseworker=4, unsigned=2)
    entries = JournalEntry.objects.select_related("author", "enrolment__org_unit")
    assert made == entries.count() > 8
    assert {e.author.username for e in entries} == {"anna", "erik"}
    assert all(
        e.enrolment.org_unit.code == {"anna": "jt-jarva", "erik": "jt-soderort"}[e.author.username] for e in entries
    )
    assert all(TODAY - dt.timedelta(days=45) <= e.date <= TODAY for e in entries)
    unsigned = [e for e in entries if not rules.is_signed(e)]
    assert len(unsigned) == 4 and all(e.date == TODAY for e in unsigned)
    items = worklist.items(Enrolment.objects.all(), TODAY, kinds=["journal_unsigned"])
    assert len(items) == 4
    assert all(e.signed_at and e.created_at.date() < TODAY for e in entries if rules.is_signed(e))
    assert add_demo_data(TODAY) == 0  # a second run adds nothing
