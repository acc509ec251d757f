"""The labour-market observatory: a public part without sign-in (bulletins, open data with a
Table Schema, only published figures), the analysts' tier for the analyst role only (logged)."""

from __future__ import annotations

import csv
import io

import pyarrow.parquet as pq
import pytest

from pestrack.lmi import synth
from tests.web.conftest import log_entries

pytestmark = pytest.mark.django_db


@pytest.fixture
def observatory(settings, tmp_path_factory, world):
    folder = tmp_path_factory.mktemp("observatory") / "lmi"
    synth.write(folder, "stockholm", [2023], scale=0.003, seed=2)
    settings.PESTRACK_LMI_DIR = folder
    return folder


def test_the_public_part_needs_no_sign_in(client, observatory):
    page = client.get("/lmi/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert b"/lmi/bulletin/2023-12/" in page.content and b"datapackage.json" in page.content
    bulletin = client.get("/lmi/bulletin/2023-12/sv.html")
    assert bulletin.status_code == 200 and "Kunskapsdag: 2023-12-31" in bulletin.content.decode()
    assert client.get("/lmi/bulletin/2023-12/en.pdf").content[:5] == b"%PDF-"
    assert client.get("/lmi/bulletin/2024-01/en.html").status_code == 404  # outside the data


def test_open_data_are_published_figures_with_a_table_schema_at_stable_addresses(client, observatory):
    package = client.get("/lmi/open-data/datapackage.json").json()
    resource = next(r for r in package["resources"] if r["name"] == "lmi_hires-2023-12-31-csv")
    assert resource["path"].endswith("/lmi/open-data/2023-12-31/lmi_hires.csv")
    assert [f["name"] for f in resource["schema"]["fields"]] == [
        "indicator_id",
        "period",
        "breakdown",
        "breakdown_value",
        "value",
    ]
    latest = client.get("/lmi/open-data/latest/lmi_hires.csv").content.decode()
    assert latest == client.get("/lmi/open-data/2023-12-31/lmi_hires.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(latest)))
    values = [r["value"] for r in rows]
    assert all(v in ("..", "<5") or int(v) % 5 == 0 for v in values)  # suppressed, then rounded to 5
    assert any(v == "<5" or v == ".." for v in values)
    as_json = client.get("/lmi/open-data/2023-12-31/lmi_hires.json").json()
    assert as_json["knowledge_date"] == "2023-12-31" and len(as_json["data"]) == len(rows)
    parquet = pq.read_table(io.BytesIO(client.get("/lmi/open-data/2023-12-31/lmi_hires.parquet").content))
    assert parquet.num_rows == len(rows)
    assert client.get("/lmi/open-data/2023-12-30/lmi_hires.csv").status_code == 404  # no such release


def test_the_analysts_tier_is_for_analysts_and_every_download_is_logged(client, login, observatory):
    assert client.get("/lmi/analysts/").status_code == 302  # sign in first
    login("anna")  # a caseworker
    assert client.get("/lmi/analysts/").status_code == 403
    login("ali")  # an analyst
    assert client.get("/lmi/analysts/").status_code == 200
    figures = client.get("/lmi/analysts/?download=figures&release=2023-12-31").content.decode()
    values = [r["value"] for r in csv.DictReader(io.StringIO(figures))]
    assert any(v not in ("", "..") and not v.startswith("<") and int(float(v)) % 5 for v in values)  # unrounded
    events = pq.read_table(io.BytesIO(client.get("/lmi/analysts/?download=events&release=2023-06-30").content))
    assert max(events.column("known_date").to_pylist()).isoformat() <= "2023-06-30"
    assert "identity_number" not in events.column_names
    assert log_entries(object_type="lmi", action="export").count() == 2
