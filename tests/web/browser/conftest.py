"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium, or PESTRACK_CHROMIUM)
headless against a live server on loopback. Without Chromium they are skipped with the reason,
unless PESTRACK_REQUIRE_BROWSER=1 (CI), where that is a failure. They run in the SQLite pass only.

Screenshots go to PESTRACK_TEST_OUTPUT (default: test-output/ in the repository) under browser/.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.web.conftest import PASSWORD, make_person

CHROMIUM = Path(os.environ.get("PESTRACK_CHROMIUM", "/usr/bin/chromium"))
ROOT = Path(__file__).resolve().parents[3]
OUTPUT = Path(os.environ.get("PESTRACK_TEST_OUTPUT", ROOT / "test-output")) / "browser"


@pytest.fixture(scope="package")
def browser():
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("browser tests run in the SQLite pass only")
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium, or set PESTRACK_CHROMIUM)"
        if os.environ.get("PESTRACK_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}, and PESTRACK_REQUIRE_BROWSER=1")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's synchronous API keeps an event loop in the test's thread; the tests' own database
    # calls are still synchronous, so Django's guard against ORM calls from async code does not apply.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--lang=sv-SE"],
        )
        yield chromium
        chromium.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_test_failed = report.failed
    return report


_WARM: set[str] = set()


def _warm(live_server) -> None:
    """Ask the live server once, with time to spare: its first answer imports the application
    lazily, which on a loaded machine took longer than a page's time-out (15 s)."""
    import urllib.request

    if live_server.url not in _WARM:
        urllib.request.urlopen(f"{live_server.url}/accounts/login/", timeout=120).close()
        _WARM.add(live_server.url)


@pytest.fixture
def page(request, browser, live_server):
    """A fresh browser context (no cookies). Script errors, CSP violations and assets that fail to
    load fail the test (a refused page's own 403 or a form's 422 is expected and not counted)."""
    _warm(live_server)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="sv-SE")
    context.set_default_timeout(15_000)
    pg = context.new_page()
    problems: list[str] = []
    pg.on(
        "console",
        lambda m: (
            problems.append(m.text) if m.type == "error" and not m.text.startswith("Failed to load resource") else None
        ),
    )
    pg.on("pageerror", lambda e: problems.append(str(e)))
    pg.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type != "document"
            else None
        ),
    )
    pg.problems = problems
    yield pg
    if getattr(request.node, "browser_test_failed", False):
        screenshot(pg, f"FAILED-{request.node.name}")
    context.close()
    assert not problems, f"browser console errors: {problems}"


def log_in(page, username: str, password: str = PASSWORD):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    # "**/" would match the log-in page itself; wait until the browser has left it
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def screenshot(page, name: str) -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def data(transactional_db):
    """The demo users and a few persons; their ids for the page paths of pages.py."""
    from pestrack.records.casework.models import Participation
    from pestrack.records.codes.models import Code
    from pestrack.records.codes.profile import load_profile
    from pestrack.records.org.users import add_user
    from pestrack.records.sample import create_demo_users

    load_profile("stockholm")
    create_demo_users()
    add_user("dina", "caseworker", ["sdf-rk"], password=PASSWORD)
    person = make_person("Jarva", "Jarvasson", "jt-jarva", serial=101)
    enrolment = person.enrolments.get()
    measure = Participation.objects.create(
        enrolment=enrolment,
        measure=Code.objects.get(list="measure", code="matching"),
        start_date=enrolment.start_date + dt.timedelta(days=7),
    )
    exited = make_person("Utskriven", "Utsson", "jt-jarva", serial=105)
    e = exited.enrolments.get()
    e.end_date, e.exit_reason = (
        dt.date.today() - dt.timedelta(days=20),
        Code.objects.get(list="exit_reason", code="moved"),
    )
    e.save()
    return {
        "person": person.pk,
        "enrolment": enrolment.pk,
        "measure": measure.pk,
        "exited": exited.pk,
        "exited_enrolment": e.pk,
        "protected": make_person("Hemlig", "Skyddadsson", "jt-jarva", protected=True, serial=104).pk,
        "other_district": make_person("Soder", "Ortsson", "jt-soderort", referring="sdf-farsta", serial=102).pk,
    }
