"""The analyst's evaluation page: analysts only (refusals logged), every run logged, the report shown."""

from __future__ import annotations

import numpy as np
import pytest

from tests.indicators.conftest import write_table
from tests.web.conftest import log_entries

pytestmark = pytest.mark.django_db


@pytest.fixture
def analytics(tmp_path, settings):
    rng = np.random.default_rng(3)
    n = 600
    age = rng.integers(20, 60, n)
    treated = rng.random(n) < 1 / (1 + np.exp(-(age - 40) / 10))
    working = rng.random(n) < 0.3 + 0.1 * treated
    data = tmp_path / "analytics"
    write_table(
        data,
        "enrolments",
        [
            {
                "enrolment_id": i + 1,
                "age_at_start": int(age[i]),
                "sex": "woman" if i % 2 else "man",
                "target_group": "ovriga",
                "education_level": "primary",
                "born_abroad": bool(i % 3 == 0),
            }
            for i in range(n)
        ],
    )
    write_table(
        data,
        "participations",
        [{"participation_id": i + 1, "enrolment_id": i + 1, "measure": "praktik"} for i in np.flatnonzero(treated)],
    )
    write_table(
        data,
        "followups",
        [{"enrolment_id": i + 1, "months": 6, "working": bool(working[i]), "studying": False} for i in range(n)],
    )
    settings.PESTRACK_ANALYTICS_DIR = str(data)
    return data


def test_analyst_runs_an_evaluation_and_it_is_logged(world, login, analytics):
    client = login("ali")
    page = client.get("/evaluation/")
    assert page.status_code == 200 and b"praktik" in page.content
    res = client.get(
        "/evaluation/",
        {
            "measure": "praktik",
            "outcome": "work_or_studies_6m",
            "method": "dr",
            "covariates": "age_at_start,sex",
            "exact": "",
        },
    )
    text = res.content.decode()
    assert res.status_code == 200
    assert "Effect on the treated (ATT)" in text and "data:image/png;base64," in text and "Covariate balance" in text
    entry = log_entries(actor="ali", object_type="evaluation", action="read").get()
    assert "measure=praktik" in entry.detail and "method=dr" in entry.detail


def test_an_error_is_shown_not_a_number(world, login, analytics):
    res = login("ali").get(
        "/evaluation/",
        {"measure": "praktik", "outcome": "work_or_studies_6m", "method": "psm", "covariates": "shoe_size"},
    )
    assert res.status_code == 200
    assert "&#x27;shoe_size&#x27; is not a column of the enrolments table" in res.content.decode()


@pytest.mark.parametrize("username", ["anna", "maria", "sara"])
def test_other_roles_are_refused_and_the_refusal_is_logged(world, login, analytics, username):
    res = login(username).get("/evaluation/")
    assert res.status_code == 403
    assert log_entries(actor=username, action="denied", object_type="evaluation").count() == 1


def test_the_page_needs_login(world, client, analytics):
    assert client.get("/evaluation/").status_code == 302
