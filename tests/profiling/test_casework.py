"""Profiling in casework: off unless the profile turns it on; the estimate shown with reasons in
words and the model card link, never a bare score, and logged; a departing assessment needs a
reason; nothing else is changed; the monitoring page for analysts and the DPO only."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.profiling.helpers import enable, small_model
from tests.web.conftest import log_entries, login, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def model_dir():
    return small_model()


@pytest.fixture
def enabled(settings, tmp_path):
    """The Stockholm profile with profiling switched on, and the model configured."""
    return enable(settings, tmp_path, analytics=True)


@pytest.fixture
def person(world):
    from pestrack.records.codes.models import Code

    p = world.jarva
    p.education_level = Code.objects.get(list="education_level", code="primary")
    p.save()
    return p


def test_off_unless_the_profile_turns_it_on(world, person, login, settings, model_dir):
    from pestrack.records.profiling.models import Estimate

    settings.PESTRACK_PROFILING_MODEL = str(model_dir / "model")  # a model, but the profile says off
    page = login("anna").get(f"/persons/{person.pk}/")
    assert page.status_code == 200
    assert b"Statistical estimate" not in page.content
    assert not Estimate.objects.exists()
    assert login("ali").get("/profiling/monitoring/").content.count(b"Profiling is switched off") == 1


def test_the_caseworker_sees_the_estimate_in_words_with_reasons_and_it_is_logged(world, person, login, enabled):
    from pestrack.records.casework.models import Enrolment
    from pestrack.records.profiling.models import Estimate

    enrolment = person.enrolments.get()
    before = Enrolment.objects.filter(pk=enrolment.pk).values().get()
    page = login("anna").get(f"/persons/{person.pk}/")
    text = page.content.decode()
    assert "Statistical estimate (decision support)" in text
    assert "Of 100 persons enrolled earlier with the same details, about" in text
    assert "Education level: Primary education, 9 years – raises the estimate" in text
    assert "/profiling/model-card/" in text
    estimate = Estimate.objects.get(enrolment=enrolment)
    assert f"{estimate.probability:.2f}" not in text  # never a bare score
    assert log_entries(object_type="profiling_estimate", object_id=str(estimate.pk), actor="anna").count() == 1
    login("anna").get(f"/persons/{person.pk}/")
    assert Estimate.objects.filter(enrolment=enrolment).count() == 1  # made once, shown again
    assert log_entries(object_type="profiling_estimate", object_id=str(estimate.pk)).count() == 2
    # nothing decided: the enrolment is as it was
    assert Enrolment.objects.filter(pk=enrolment.pk).values().get() == before
    card = login("anna").get("/profiling/model-card/")
    assert card.status_code == 200 and b"Inputs and why" in card.content


def test_a_departing_assessment_needs_a_reason(world, person, login, enabled):
    from pestrack.records.profiling.models import Estimate, Judgement

    client = login("anna")
    client.get(f"/persons/{person.pk}/")
    estimate = Estimate.objects.get()
    departing = "no" if estimate.suggests_intensive else "yes"
    res = client.post(f"/profiling/estimates/{estimate.pk}/", {"intensive": departing, "reason": ""})
    assert res.status_code == 200
    assert b"give a short reason" in res.content
    assert not Judgement.objects.exists()
    res = client.post(
        f"/profiling/estimates/{estimate.pk}/", {"intensive": departing, "reason": "Has a job offer from May."}
    )
    assert res.status_code == 302
    j = Judgement.objects.get()
    assert j.follows is False and j.reason == "Has a job offer from May."
    assert log_entries(object_type="profiling_judgement", object_id=str(j.pk), actor="anna").exists()
    following = "yes" if estimate.suggests_intensive else "no"
    assert client.post(f"/profiling/estimates/{estimate.pk}/", {"intensive": following}).status_code == 302
    assert Judgement.objects.first().follows is True


def test_the_rule_itself(world, person, enabled):
    from django.contrib.auth import get_user_model

    from pestrack.profiling import live
    from pestrack.records.profiling import rules

    anna = get_user_model().objects.get(username="anna")
    estimate = live.estimate(anna, person.enrolments.get(), live.active())
    with pytest.raises(ValidationError):
        rules.record_judgement(anna, estimate, intensive=not estimate.suggests_intensive, reason="no")
    assert rules.record_judgement(anna, estimate, intensive=estimate.suggests_intensive).follows


def test_others_cannot_see_or_judge_the_estimate(world, person, login, enabled):
    from pestrack.records.profiling.models import Estimate

    login("anna").get(f"/persons/{person.pk}/")
    estimate = Estimate.objects.get()
    assert login("erik").post(f"/profiling/estimates/{estimate.pk}/", {"intensive": "yes"}).status_code == 403
    page = login("maria").get(f"/persons/{person.pk}/")  # the manager reads the person, but decides nothing
    assert b"Statistical estimate" not in page.content
    assert login("anna").get("/profiling/monitoring/").status_code == 403
    assert log_entries(actor="anna", action="denied", object_type="profiling").exists()


def test_monitoring_for_analysts_and_the_dpo(world, person, login, enabled):
    from pestrack.records.profiling.models import Estimate

    client = login("anna")
    client.get(f"/persons/{person.pk}/")
    estimate = Estimate.objects.get()
    client.post(f"/profiling/estimates/{estimate.pk}/", {"intensive": "yes" if estimate.suggests_intensive else "no"})
    for user in ("ali", "sara"):
        page = login(user).get("/profiling/monitoring/")
        assert page.status_code == 200, user
        text = page.content.decode()
        assert "How often caseworkers follow the estimate" in text
        assert "1 estimates shown, 1 with the caseworker" in text
        assert "fewer than 5" in text  # one assessment: no rate shown
        assert "Calibration and error rates on newer cohorts" in text
        assert "born_abroad" not in text  # characteristics in words
    # a single estimate's inputs differ from the whole training data: the shift is warned of
    assert "have shifted from the training data" in text


def test_retention_blanks_the_reasons_of_assessments(world, person, enabled):
    from django.contrib.auth import get_user_model

    from pestrack.profiling import live
    from pestrack.records import retention
    from pestrack.records.profiling import rules

    anna = get_user_model().objects.get(username="anna")
    estimate = live.estimate(anna, person.enrolments.get(), live.active())
    j = rules.record_judgement(anna, estimate, intensive=not estimate.suggests_intensive, reason="Anna has a job offer")
    retention.anonymise([person.pk], "cli:test")
    j.refresh_from_db()
    assert j.reason == "" and j.follows is False  # the statistics stay, the free text goes


def test_a_missing_model_leaves_casework_running_and_the_monitoring_page_says_why(
    world, person, login, enabled, settings, tmp_path
):
    settings.PESTRACK_PROFILING_MODEL = str(tmp_path / "no-model")
    page = login("anna").get(f"/persons/{person.pk}/")
    assert page.status_code == 200 and b"Statistical estimate" not in page.content
    page = login("sara").get("/profiling/monitoring/")
    assert page.status_code == 200
    assert b"the model cannot be used" in page.content and b"no model.json" in page.content


def test_the_live_inputs_are_those_of_the_analytics_tables(world, person, enabled, tmp_path):
    """The estimate in casework uses the values the model learnt from: the enrolment's row as the
    extract writes it, and its earlier enrolments counted as the profiling table counts them."""
    import datetime as dt

    from pestrack.analytics.extract import extract
    from pestrack.profiling import data as profiling_data
    from pestrack.profiling import live
    from pestrack.records.casework.models import Enrolment
    from pestrack.records.codes.models import Code

    e = person.enrolments.get()
    Enrolment.objects.create(
        person=person,
        programme=e.programme,
        org_unit=e.org_unit,
        target_group=e.target_group,
        entry_route=e.entry_route,
        start_date=e.start_date - dt.timedelta(days=400),
        end_date=e.start_date - dt.timedelta(days=30),
        exit_reason=Code.objects.get(list="exit_reason", code="moved"),
    )
    extract(tmp_path / "analytics")
    s = live.active().settings
    rows = profiling_data.load(tmp_path / "analytics", s).table.to_pylist()
    row = next(r for r in rows if r["enrolment_id"] == e.pk)
    assert row["previous_enrolments"] == 1
    assert live.inputs_for(e, s) == {c: row[c] for c in s.columns}


def test_the_monitoring_audit_is_computed_once_per_model_and_data_version(
    world, person, login, enabled, settings, tmp_path, monkeypatch
):
    import json
    import shutil

    from pestrack.profiling import live, monitor
    from pestrack.records.profiling.models import MonitoringResult

    data = tmp_path / "analytics"
    shutil.copytree(enabled / "data", data)
    settings.PESTRACK_ANALYTICS_DIR = str(data)
    computed = []
    audit = monitor.group_drift
    monkeypatch.setattr(monitor, "group_drift", lambda *a: computed.append(1) or audit(*a))
    client = login("sara")
    first = client.get("/profiling/monitoring/").content.decode()
    assert computed == [1] and "Calibration and error rates on newer cohorts" in first
    assert "on the analytics tables up to" in first
    stored = MonitoringResult.objects.get()
    assert stored.model_id == live.active().model.id and stored.result["groups"]
    assert client.get("/profiling/monitoring/").content.decode().count('class="bad"') == first.count('class="bad"')
    assert computed == [1]  # read back, not audited again
    # new outcomes: a new extract changes the tables' manifest: audited again, the old version dropped
    manifest = json.loads((data / "manifest.json").read_text())
    manifest["tables"]["enrolments"]["sha256"] = "changed"
    (data / "manifest.json").write_text(json.dumps(manifest))
    client.get("/profiling/monitoring/")
    assert computed == [1, 1]
    assert MonitoringResult.objects.count() == 1 and MonitoringResult.objects.get().pk != stored.pk
    # another model in use: audited again
    MonitoringResult.objects.update(model_id="another")
    client.get("/profiling/monitoring/")
    assert computed == [1, 1, 1]
