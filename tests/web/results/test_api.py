"""/api/v1/: a person's exits, and indicator results, with the pages' access rules, the access
log, JSON errors and the OpenAPI schema. Token authentication throughout."""

from __future__ import annotations

import datetime as dt

import pytest

from pestrack.records.casework.models import Enrolment
from pestrack.records.codes.models import Code
from tests.web.conftest import log_entries
from tests.web.results.pages import INDICATOR
from tests.web.results.test_pages import JARVA, exits_2023

pytestmark = pytest.mark.django_db
RESULTS = f"/api/v1/indicators/{INDICATOR}/results"


@pytest.fixture
def api(client):
    """``api(user, path, **query)``: GET with the user's bearer token; returns the response."""
    from django.contrib.auth.models import User

    from pestrack.web.models import ApiToken

    tokens = {}

    def get(user, path, **query):
        if user not in tokens:
            tokens[user] = ApiToken.issue(User.objects.get(username=user))[1]
        return client.get(path, query, HTTP_AUTHORIZATION=f"Bearer {tokens[user]}")

    return get


@pytest.fixture
def exited(results_world):
    """The Järva person of the access world, with an ended enrolment to work."""
    person = results_world.jarva
    enrolment = Enrolment.objects.get(person=person)
    enrolment.end_date, enrolment.exit_reason = dt.date.today(), Code.objects.get(list="exit_reason", code="work")
    enrolment.save()
    return person


def test_exits_of_a_person(api, exited):
    response = api("anna", f"/api/v1/persons/{exited.pk}/exits")
    assert response.status_code == 200
    [row] = response.json()
    assert row["org_unit"] == JARVA and row["exit_reason"] == "work" and row["exit_outcome"] == "work"
    assert row["exit_date"] == dt.date.today().isoformat()
    assert log_entries(actor="anna", person_id=exited.pk, object_type="exits", action="read").exists()


def test_exits_follow_the_person_access_rules(api, exited):
    response = api("erik", f"/api/v1/persons/{exited.pk}/exits")
    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have access to this person."}
    assert log_entries(actor="erik", person_id=exited.pk, action="denied").exists()
    assert api("ali", f"/api/v1/persons/{exited.pk}/exits").status_code == 403  # analysts read no person
    assert api("anna", "/api/v1/persons/999999/exits").json() == {"detail": "No such person."}


@pytest.mark.parametrize("path", ["enrolments", "participations", "followups"])
def test_the_other_person_endpoints_refuse_another_units_caseworker(api, exited, path):
    assert api("anna", f"/api/v1/persons/{exited.pk}/{path}").status_code == 200
    response = api("erik", f"/api/v1/persons/{exited.pk}/{path}")
    assert response.status_code == 403 and "detail" in response.json()


def test_indicator_list(api, results_world):
    response = api("ali", "/api/v1/indicators")
    assert response.status_code == 200
    by_id = {i["id"]: i for i in response.json()}
    exits = by_id[INDICATOR]
    assert exits["unit"] == "percent" and exits["population"] == "exits" and exits["targets"] == {"2023": 60}
    assert exits["breakdowns"] == ["sex", "age_band", "target_group", "org_unit"] and exits["available"]
    reported = [i for i in by_id.values() if i["reported"]]
    assert reported and all(i["available"] for i in reported)
    chef = {i["id"]: i for i in api("chef", "/api/v1/indicators").json()}
    assert not any(chef[i["id"]]["available"] for i in reported)  # whole-city figures: none for a manager
    assert log_entries(actor="ali", object_type="indicator list").exists()


def test_indicator_results_total_and_breakdown(api, results_world):
    num, den = exits_2023()
    body = api("ali", RESULTS, year=2023, period="VB", breakdown="sex,org_unit").json()
    assert body["period"] == "VB 2023" and body["units"] is None
    total = body["rows"][0]
    assert total["breakdown"] == "total" and (total["numerator"], total["denominator"]) == (num, den)
    by_sex = [r for r in body["rows"] if r["breakdown"] == "sex"]
    assert {r["breakdown_value"] for r in by_sex} <= {"woman", "man"}
    assert sum(r["denominator"] for r in by_sex) == den
    assert {r["breakdown"] for r in body["rows"]} == {"total", "sex", "org_unit"}
    entry = log_entries(actor="ali", object_type="indicator results").get()
    assert entry.detail == f"{INDICATOR} VB 2023 sex,org_unit, all units"


def test_a_managers_indicator_results_are_their_units(api, results_world):
    num, den = exits_2023(JARVA)
    body = api("chef", RESULTS, year=2023, breakdown="org_unit").json()
    assert body["units"] == ["/stockholm/amf/jobbtorg/jt-jarva/"]
    assert (body["rows"][0]["numerator"], body["rows"][0]["denominator"]) == (num, den)
    assert [r["breakdown_value"] for r in body["rows"][1:]] == [JARVA]


def test_indicator_results_refusals_and_errors(api, client, results_world):
    from pestrack.results.service import indicators

    response = api("anna", RESULTS, year=2023)
    assert response.status_code == 403 and response.json() == {"detail": "You do not have access to results."}
    assert log_entries(actor="anna", action="denied", object_type="indicator results").exists()
    assert api("sara", "/api/v1/indicators").status_code == 403
    assert client.get(RESULTS, {"year": 2023}).json() == {"detail": "Unauthorized"}
    bad = api("ali", RESULTS, year=2023, period="Q7")
    assert bad.status_code == 400 and bad.json() == {"detail": "period 'Q7': use one of T1, T2, VB"}
    bad = api("ali", RESULTS, year=2023, breakdown="shoe_size")
    assert (
        bad.status_code == 400 and "can be broken down by sex, age_band, target_group, org_unit" in bad.json()["detail"]
    )
    missing = api("ali", "/api/v1/indicators/nope/results", year=2023)
    assert missing.status_code == 404 and "no indicator 'nope'" in missing.json()["detail"]
    assert api("ali", RESULTS).status_code == 400 and api("ali", RESULTS).json() == {"detail": "year: Field required"}
    reported = next(i for i in indicators().values() if i.is_reported)
    whole_city = api("chef", f"/api/v1/indicators/{reported.id}/results", year=2023)
    assert whole_city.status_code == 404 and "whole-city figure" in whole_city.json()["detail"]


def test_openapi_schema_lists_the_endpoints(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    for path in (
        "/api/v1/persons/{person_id}/exits",
        "/api/v1/indicators",
        "/api/v1/indicators/{indicator_id}/results",
        "/api/v1/persons/{person_id}/followups",
    ):
        assert path in schema["paths"]


def test_indicator_results_pass_disclosure_control(api, results_world, settings, login):
    """A threshold just above the smallest category of a breakdown: that category is withheld, and
    the next-smallest with it, since the total minus the others would give it away; the page too."""
    from pestrack.results import service

    ind = service.indicators()[INDICATOR]
    for dim in ("sex", "age_band", "org_unit"):
        raw = service._compute(ind, 2023, "VB", None, [service.dimensions(ind)[dim]])
        sizes = sorted(r.denominator for r in raw if r.breakdown != "total" and r.denominator)
        if len(sizes) >= 3 and sizes[0] < sizes[1] < sizes[2]:
            break
    settings.PESTRACK_SUPPRESS_BELOW = int(sizes[0]) + 1
    body = api("ali", RESULTS, year=2023, period="VB", breakdown=dim).json()
    assert body["suppress_below"] == settings.PESTRACK_SUPPRESS_BELOW
    total, *categories = body["rows"]
    assert (
        total["suppressed"] is None
        and total["denominator"] == next(r for r in raw if r.breakdown == "total").denominator
    )
    withheld = sorted(r["breakdown_value"] or "" for r in categories if r["suppressed"] == "..")
    smallest = sorted(r.breakdown_value or "" for r in raw if r.denominator in sizes[:2] and r.breakdown != "total")
    assert withheld == smallest  # a primary-only rule would withhold only the first
    assert all(r["value"] is None and r["denominator"] is None for r in categories if r["suppressed"])
    assert [r["denominator"] for r in categories if not r["suppressed"] and r["denominator"]] != []
    page = login("ali").get(f"/results/indicators/{INDICATOR}/?year=2023&period=VB").content.decode()
    assert page.count('<td class="n">..</td>') >= 2
    assert "Small numbers are withheld" in page
