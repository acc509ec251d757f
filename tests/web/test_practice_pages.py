"""The practice catalogue's pages: who may see and change a unit's self-assessment, the filters, the
measures' saved effects, and the YAML download that `pestrack practices import` reads back."""

from __future__ import annotations

import json

import pytest

from tests.web.conftest import log_entries

pytestmark = pytest.mark.django_db


def _rows(html: str) -> int:
    return html.count('<td><a href="/practices/')


def test_an_analyst_browses_and_filters_the_catalogue(world, login):
    client = login("ali")
    assert _rows(client.get("/practices/").content.decode()) == 32
    assert _rows(client.get("/practices/?area=evidence").content.decode()) == 8
    assert _rows(client.get("/practices/?country=Sweden").content.decode()) == 4
    page = client.get("/practices/?q=one-stop+newcomers").content.decode()
    assert _rows(page) == 1 and "Welcome House" in page
    page = client.get("/practices/?pes=Veneto+Lavoro&area=employers").content.decode()
    assert _rows(page) == 1 and "Account Manager" in page


def test_a_saved_self_assessment_shows_filters_and_is_logged(world, login):
    client = login("ali")
    response = client.post(
        "/practices/ips_stockholm/?unit=amf",
        {"unit": "amf", "status": "in_place", "notes": "IPS since 2019.", "measures": ["ips"]},
    )
    assert response.status_code == 302
    from pestrack.records.practices.models import PracticeAssessment

    saved = PracticeAssessment.objects.get(org_unit__code="amf", practice="ips_stockholm")
    assert saved.status == "in_place" and [m.code for m in saved.measures.all()] == ["ips"]
    assert saved.updated_by.username == "ali"
    entry = log_entries(action="write", object_type="practice assessment").get()
    assert entry.object_id == "ips_stockholm" and "unit=amf status=in_place" in entry.detail
    page = client.get("/practices/?status=in_place&unit=amf").content.decode()
    assert _rows(page) == 1 and "IPS model" in page
    assert _rows(client.get("/practices/?status=not_started&unit=amf").content.decode()) == 31


def test_a_manager_changes_only_the_units_of_their_assignment(world, login):
    client = login("maria")  # unit manager of Jobbtorg, below the administration (amf)
    assert client.get("/practices/welcome_house/?unit=jobbtorg").status_code == 200
    response = client.post("/practices/welcome_house/", {"unit": "amf", "status": "partly"})
    assert response.status_code == 403
    from pestrack.records.practices.models import PracticeAssessment

    assert not PracticeAssessment.objects.exists()
    assert log_entries(action="denied", object_type="practice assessment", object_id="amf").exists()


@pytest.mark.parametrize("user", ["anna", "emil", "sara"])
def test_other_roles_are_refused_and_logged(world, login, user):
    client = login(user)
    assert client.get("/practices/").status_code == 403
    assert client.post("/practices/welcome_house/", {"status": "partly"}).status_code == 403
    assert log_entries(action="denied", object_type="practice assessment").count() == 2


def test_the_practice_page_shows_each_linked_measures_saved_effect_or_none(world, login, settings, tmp_path):
    settings.PESTRACK_EVALUATIONS_DIR = str(tmp_path)
    (tmp_path / "ips.json").write_text(
        json.dumps(
            {
                "treatment": "participation in ips",
                "outcome": "work_or_studies_6m",
                "method": "dr",
                "att": 0.052,
                "ci_low": 0.011,
                "ci_high": 0.093,
                "outcome_binary": True,
                "n_treated": 412,
            }
        )
    )
    client = login("ali")
    client.post("/practices/ips_stockholm/", {"unit": "amf", "status": "partly", "measures": ["ips", "praktik"]})
    page = client.get("/practices/ips_stockholm/?unit=amf").content.decode()
    assert "5.2 percentage points (95 % confidence interval 1.1 to 9.3)" in page
    assert "work_or_studies_6m" in page and "412 participants" in page
    assert "no estimate of its effect has been saved." in page  # praktik has none


def test_the_download_is_the_self_assessment_the_import_reads(world, login, tmp_path):
    from pestrack.benchlearning import practices

    client = login("ali")
    client.post("/practices/kommunhubben/", {"unit": "amf", "status": "in_place", "notes": "Med Arbetsförmedlingen."})
    response = client.get("/practices/export.yaml?unit=amf")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    path = tmp_path / "sa.yaml"
    path.write_bytes(response.content)
    back = practices.read_assessment(path)
    assert back.unit == "amf"
    assert [(r.practice, r.status, r.notes, r.updated_by) for r in back.rows] == [
        ("kommunhubben", "in_place", "Med Arbetsförmedlingen.", "ali")
    ]
    assert log_entries(action="export", object_type="practice assessment").exists()


def test_learn_from_whom_shows_the_better_peers_and_their_practices(world, login, settings, tmp_path):
    """On the synthetic network (pestrack.benchlearning.synth) harbour lies below south, its peer, on
    exits to employment; south's package says Welcome House is in place."""
    import zipfile

    from pestrack.benchlearning import synth
    from pestrack.benchlearning.package import content_hash, import_packages

    network = tmp_path / "network"
    synth.generate(network, 8, seed=1, year=2023)
    paths = sorted(network.glob("*/package*.zip"))
    for path in paths:
        if path.parent.name == "south" and path.name == "package.zip":
            with zipfile.ZipFile(path) as z:
                manifest, values = json.loads(z.read("manifest.json")), z.read("values.csv")
            manifest["practices"] = {"welcome_house": "in_place", "the_lab": "partly"}
            manifest["content_sha256"] = content_hash(manifest, values)
            with zipfile.ZipFile(path, "w") as z:
                z.writestr("manifest.json", json.dumps(manifest))
                z.writestr("values.csv", values)
    settings.PESTRACK_BENCHLEARNING_DIR = tmp_path / "store"
    settings.PESTRACK_BENCHLEARNING_TRUSTED_KEYS = None
    accepted, refused = import_packages(paths, settings.PESTRACK_BENCHLEARNING_DIR)
    assert not refused
    client = login("ali")
    page = client.get("/practices/learn/?year=2023&pes=harbour").content.decode()
    assert "Welcome House" in page and "The LAB" in page
    section = page.split("<h2>Exits to employment as a share of the register</h2>")[1].split("<h2>")[0]
    assert "south" in section.lower() and "Welcome House" in section
    assert client.get("/practices/learn/?year=2023&pes=south").status_code == 200
    assert login("anna").get("/practices/learn/").status_code == 403
