"""``pestrack audit search`` (loggkontroll) and ``pestrack person export`` (register extract)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.utils import timezone
from typer.testing import CliRunner

from pestrack.cli import app
from pestrack.records.audit import log
from pestrack.records.audit.models import AccessLogEntry
from tests.records.test_retention import make_person, years_ago


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def search_json(*args: str) -> list[dict]:
    result = run("audit", "search", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def logged(profile):
    """Two persons; anna read A in January, erik read B in March and was refused A in May."""
    a, b = make_person((years_ago(1), None), full=False), make_person((years_ago(1), None), full=False)
    at = lambda month: timezone.make_aware(dt.datetime(2026, month, 10, 12, 0))  # noqa: E731
    log.record("anna", "read", person_id=a.pk, object_type="person", at=at(1))
    log.record("erik", "read", person_id=b.pk, object_type="person", at=at(3))
    log.record("erik", "denied", person_id=a.pk, object_type="person", detail="refused read", at=at(5))
    return a, b


@pytest.mark.django_db
def test_search_by_person(logged):
    a, b = logged
    rows = search_json("--person-id", str(a.pk))
    assert [(r["actor"], r["action"]) for r in rows] == [("erik", "denied"), ("anna", "read")]  # newest first
    assert {r["person_id"] for r in search_json("--person-id", str(b.pk))} == {b.pk}


@pytest.mark.django_db
def test_search_by_user_and_action(logged):
    assert {r["person_id"] for r in search_json("--user", "erik")} == {logged[0].pk, logged[1].pk}
    assert [r["action"] for r in search_json("--user", "erik", "--action", "denied")] == ["denied"]


@pytest.mark.django_db
def test_search_by_time_includes_the_whole_until_day(logged):
    rows = search_json("--since", "2026-03-01", "--until", "2026-05-10")
    assert [r["action"] for r in rows] == ["denied", "read"]
    assert [r["actor"] for r in search_json("--until", "2026-03-09")] == ["anna"]


@pytest.mark.django_db
def test_search_by_identity_number_is_logged_without_the_number(logged):
    a = logged[0]
    rows = search_json("--identity-number", a.pin)
    assert {r["person_id"] for r in rows} == {a.pk} and len(rows) == 2
    entry = AccessLogEntry.objects.filter(action="search").get()
    assert entry.person_id == a.pk and entry.actor.startswith("cli")
    assert "by identity number" in entry.detail
    digits = a.pin.replace("-", "")
    assert not any(digits[2:8] in e.detail for e in AccessLogEntry.objects.all())
    assert log.verify().ok


@pytest.mark.django_db
def test_search_csv_and_unknown_number(logged):
    result = run("audit", "search", "--format", "csv", "--user", "anna")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["actor"], r["person_id"]) for r in rows] == [("anna", str(logged[0].pk))]
    unknown = run("audit", "search", "--identity-number", "19121212-1212")
    assert unknown.exit_code == 1 and "no person has that identity number" in unknown.output
    assert run("audit", "search", "--identity-number", "19121212-1213").exit_code == 2  # bad check digit


@pytest.mark.django_db
def test_export_contains_every_record_kind_and_is_logged(profile, tmp_path):
    person = make_person((years_ago(3), years_ago(1)))
    result = run("person", "export", str(person.pk))
    assert result.exit_code == 0, result.output
    extract = json.loads(result.stdout)
    assert extract["person"]["identity_number"] == person.pin
    assert extract["person"]["address"] == "Exempelgatan 1, Stockholm"
    [enrolment] = extract["enrolments"]
    for kind in ("assessments", "plans", "participations", "followups"):
        assert len(enrolment[kind]) == 1, kind
    assert enrolment["plans"][0]["participant_view"] == "I chose the course myself"
    assert extract["survey_answers"][0]["text"] == "My coach helped me a lot"

    out = tmp_path / "extract.html"
    assert run("person", "export", person.pin, "--format", "html", "--out", str(out)).exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert "Registerutdrag" in html and person.pin in html and "Restaurant AB" in html

    exports = AccessLogEntry.objects.filter(action="export", person_id=person.pk)
    assert exports.count() == 2
    assert not any(person.pin[2:8] in e.detail for e in exports)


@pytest.mark.django_db
def test_export_of_unknown_or_malformed_person(profile):
    assert run("person", "export", "999999").exit_code == 1
    assert run("person", "export", "not-a-number").exit_code == 2
    assert not AccessLogEntry.objects.filter(action="export").exists()
