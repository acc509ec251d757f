"""The whole chain for every profile in profiles/ (folders starting with _ hold shared catalogues):
`pestrack demo --profile NAME --no-serve` (init, demo users, the synthetic population at scale 1, the
demo's records), `pestrack analytics extract`, `pestrack indicators compute`, `pestrack report annual`,
then the demo users open the main staff pages. Each step runs in a fresh process, as a user runs it.

A new profile is tested by adding its folder: nothing here names one, except that a profile other
than the bundled default must show none of the default's names on its pages."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROFILES = sorted(p.name for p in (REPO / "profiles").iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
DEFAULT = (REPO / "profiles" / "DEFAULT").read_text().strip()
PESTRACK = [sys.executable, "-c", "import sys; from pestrack.cli import main; sys.argv[0] = 'pestrack'; main()"]
# The bundled default's names that another profile's pages must not show (the default's own pages may).
DEFAULT_NAMES = {"stockholm": ["Stockholm", "Jobbtorg", "Järva", "Söderort"]}


def _run(args: list[str], env: dict, cwd: Path) -> str:
    r = subprocess.run(PESTRACK + args, env=env, cwd=cwd, capture_output=True, text=True)
    assert r.returncode == 0, f"pestrack {' '.join(args)}:\n{r.stdout}\n{r.stderr}"
    return r.stdout


def _synth_years(profile: str) -> list[int]:
    import yaml

    targets = yaml.safe_load((REPO / "profiles" / profile / "synth.yaml").read_text(encoding="utf-8"))["targets"]
    return sorted(k for k in targets["unique"] if isinstance(k, int))


@contextmanager
def _database(folder: Path, profile: str):
    """The URL of an empty database for the chain, of the kind the suite runs on: an SQLite file, or
    in the PostgreSQL pass a PostgreSQL database of its own, dropped afterwards."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        yield f"sqlite:///{folder / 'db.sqlite3'}"
        return
    import psycopg

    name = f"pestrack_chain_{profile}_{os.getpid()}"
    admin = dict(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"] or None)
    with psycopg.connect(**admin, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://{db['USER']}@{db['HOST']}:{admin['port']}/{name}"
    finally:
        with psycopg.connect(**admin, dbname="postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# django_db: the chain runs in the PostgreSQL pass too (on a database of its own, _database); its
# steps run in processes of their own and do not touch the test database.
@pytest.fixture(
    scope="module", params=[pytest.param(p, marks=[pytest.mark.slow, pytest.mark.django_db]) for p in PROFILES]
)
def chain(request, tmp_path_factory):
    """Everything the chain made for one profile: the folder, the environment, the last year, outputs."""
    profile = request.param
    folder = tmp_path_factory.mktemp(f"chain-{profile}")
    with _database(folder, profile) as url:
        yield _chain(profile, folder, url)


def _chain(profile: str, folder: Path, url: str) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "PESTRACK_DATABASE_URL": url,
        "PESTRACK_PROFILE": profile,
        "PESTRACK_ANALYTICS_DIR": str(folder / "analytics"),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    year = _synth_years(profile)[-1]
    out = {"demo": _run(["demo", "--profile", profile, "--no-serve"], env, folder)}
    out["extract"] = _run(["analytics", "extract", "--out", str(folder / "analytics")], env, folder)
    out["compute"] = _run(
        [
            "indicators",
            "compute",
            "--profile",
            profile,
            "--data",
            str(folder / "analytics"),
            "--year",
            str(year),
            "--out",
            str(folder / "indicators.csv"),
        ],
        env,
        folder,
    )
    out["report"] = _run(
        [
            "report",
            "annual",
            "--profile",
            profile,
            "--year",
            str(year),
            "--lang",
            "en",
            "--format",
            "html",
            "--data",
            str(folder / "analytics"),
            "--out",
            str(folder / "report.html"),
        ],
        env,
        folder,
    )
    pages = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("pages.py"))], env=env, cwd=folder, capture_output=True, text=True
    )
    assert pages.returncode == 0, pages.stderr
    walked = json.loads(pages.stdout)
    return {
        "profile": profile,
        "folder": folder,
        "year": year,
        "out": out,
        "pages": walked["pages"],
        "language": walked["language"],
    }


def test_the_demo_sets_up_the_profile_its_users_and_a_population(chain):
    demo = chain["out"]["demo"]
    assert f"profile {chain['profile']}" in demo
    assert "persons" in demo and "demo users" in demo
    assert "caseworker" in demo and "unit_manager" in demo


def test_every_indicator_of_the_profile_has_a_value_for_the_last_year(chain):
    from pestrack.indicators.definitions import load_definitions

    rows = list(csv.DictReader((chain["folder"] / "indicators.csv").open(encoding="utf-8")))
    totals = {r["indicator_id"]: r["value"] for r in rows if r["breakdown"] == "total"}
    # the indicators of the records' tables (register tables are imported separately, not extracted)
    defined = {
        i.id
        for i in load_definitions(REPO / "profiles" / chain["profile"])
        if i.population in ("enrolments", "exits", "followups", "participations")
    }
    assert defined <= set(totals)
    assert sum(1 for i in defined if totals[i]) >= len(defined) / 2, totals


def test_the_annual_report_has_the_profiles_goals(chain):
    import yaml

    html = (chain["folder"] / "report.html").read_text(encoding="utf-8")
    goals = yaml.safe_load((REPO / "profiles" / chain["profile"] / "goals.yaml").read_text(encoding="utf-8"))["goals"]
    shown = [g for g in goals if g["title"] in html.replace("&#x27;", "'").replace("&amp;", "&")]
    assert len(shown) == len(goals), [g["title"] for g in goals if g not in shown]


def test_the_demo_users_open_the_main_staff_pages(chain):
    for page, (status, _text) in chain["pages"].items():
        assert status == 200, page
    assert any(page.startswith("caseworker /persons/") for page in chain["pages"])


def test_a_swedish_user_sees_swedish_pages_and_an_english_user_english_ones(chain):
    """The main staff pages in each language, checked as tests/web/test_swedish_everywhere.py checks
    every page of the default profile: no message or code name of the other language, no raw code."""
    assert {page.split()[0] for page in chain["language"]} == {"sv", "en"}
    for page, (marked, *found) in chain["language"].items():
        assert marked, f"{page}: the page is not marked as in {page.split()[0]}"
        assert found == [], f"{page}: {found}"


def test_another_profiles_pages_and_report_show_none_of_the_default_profiles_names(chain):
    if chain["profile"] == DEFAULT:
        pytest.skip("the default profile's own pages show its names")
    report = (chain["folder"] / "report.html").read_text(encoding="utf-8")
    for name in DEFAULT_NAMES.get(DEFAULT, []):
        assert name not in report, f"{name} in the annual report"
        for page, (_status, text) in chain["pages"].items():
            assert name not in text, f"{name} on {page}"
