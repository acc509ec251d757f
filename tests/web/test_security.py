"""Security of every page: CSP without inline scripts or styles, security headers, Argon2 password
hashing, lock-out after repeated failed log-ins, the session idle timeout, secure cookies, CSRF."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys

import pytest
from django.test import Client
from django.utils import timezone

from tests.web.conftest import PASSWORD

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _pages(world):
    from pestrack.records.casework.models import Participation

    e = world.jarva.enrolments.get()
    m = Participation.objects.create(enrolment=e, measure_id=_code("measure", "matching"), start_date=e.start_date)
    return [
        "/",
        "/caseload/",
        "/search/",
        f"/persons/{world.jarva.pk}/",
        f"/persons/{world.soderort.pk}/",
        f"/enrolments/{e.pk}/assessment/",
        f"/enrolments/{e.pk}/decision/",
        f"/enrolments/{e.pk}/plan/",
        f"/enrolments/{e.pk}/measure/",
        f"/enrolments/{e.pk}/exit/",
        f"/measures/{m.pk}/end/",
        f"/persons/{world.jarva.pk}/enrol/",
    ]


def _code(list_name, code):
    from pestrack.records.codes.models import Code

    return Code.objects.get(list=list_name, code=code).pk


def assert_no_inline_code(html: str, where: str):
    assert not re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script in {where}"
    assert "<style" not in html and not re.search(r"\sstyle=", html), f"inline style in {where}"
    assert not re.search(r"\son[a-z]+=", html), f"inline event handler in {where}"
    for src in re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', html):
        assert src.startswith("/static/"), f"{src} in {where} is not served by the application"


@pytest.mark.django_db
def test_every_page_has_a_strict_csp_and_no_inline_code(world, client, login):
    anon = client.get("/accounts/login/")
    policy = anon["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in policy
    assert_no_inline_code(anon.content.decode(), "login")
    anna = login("anna")
    for url in _pages(world):
        response = anna.get(url)
        assert response["Content-Security-Policy"] == policy, url
        assert_no_inline_code(response.content.decode(), url)


@pytest.mark.django_db
def test_security_headers_and_no_caching_of_person_pages(world, login):
    response = login("anna").get(f"/persons/{world.jarva.pk}/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cache-Control"] == "no-store"


def test_vendored_htmx_is_served_by_the_application_with_its_licence():
    from django.contrib.staticfiles import finders

    script = finders.find("web/vendor/htmx/htmx.min.js")
    assert script and "htmx" in open(script, encoding="utf-8").read(200_000)
    assert finders.find("web/vendor/htmx/LICENSE") and finders.find("web/pestrack.css")


def test_htmx_is_configured_not_to_inject_styles_nor_eval_nor_keep_pages_in_storage():
    from django.template.loader import get_template

    source = get_template("web/base.html").template.source
    config = json.loads(re.search(r"name=\"htmx-config\" content='([^']+)'", source).group(1))
    assert config["includeIndicatorStyles"] is False and config["allowEval"] is False
    assert config["historyCacheSize"] == 0


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2(settings):
    from django.contrib.auth.models import User

    from pestrack import settings as configured

    settings.PASSWORD_HASHERS = configured.PASSWORD_HASHERS
    user = User.objects.create_user("hashme", password="a long enough password")
    assert user.password.startswith("argon2$")
    assert user.check_password("a long enough password")


def _post_login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


@pytest.mark.django_db
def test_account_is_locked_after_repeated_failed_logins(world, settings):
    settings.AXES_FAILURE_LIMIT = 3
    attacker = Client()
    for _ in range(2):
        assert _post_login(attacker, "anna", "wrong password").status_code == 200  # the form again
    locked = _post_login(attacker, "anna", "wrong password")
    assert locked.status_code == 429 and "locked" in locked.content.decode()
    # now even the right password is refused, from any address
    owner = Client(REMOTE_ADDR="192.0.2.44")
    refused = _post_login(owner, "anna", PASSWORD)
    assert refused.status_code == 429 and "_auth_user_id" not in owner.session
    # other accounts are not affected
    assert _post_login(Client(), "erik", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_lockout_ends_after_the_cool_off_time_and_success_resets_the_count(world, settings):
    from axes.models import AccessAttempt

    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        _post_login(client, "anna", "wrong password")
    assert _post_login(client, "anna", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(hours=1))
    assert _post_login(client, "anna", PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        _post_login(client, "anna", "wrong password")
    assert _post_login(client, "anna", PASSWORD).status_code == 302  # below the limit


@pytest.mark.django_db
def test_session_ends_after_the_idle_time(world, login, settings):
    from django.contrib.sessions.models import Session

    assert settings.SESSION_COOKIE_AGE == settings.PESTRACK_SESSION_IDLE_MINUTES * 60
    client = login("anna")
    assert client.get("/caseload/").status_code == 200
    session = Session.objects.get()
    assert session.expire_date > timezone.now() + dt.timedelta(minutes=settings.PESTRACK_SESSION_IDLE_MINUTES - 1)
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/caseload/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_a_request_renews_the_session_at_most_once_a_minute(world, login, settings):
    """The idle timeout is kept without a session write on every page: a request renews the expiry
    (in the database and the cookie) when the last renewal is a minute old."""
    from django.contrib.sessions.models import Session

    from pestrack.web.security import SessionRenewalMiddleware as Renewal

    client = login("anna")
    assert client.get("/").status_code == 200  # the first request after log-in renews
    session = Session.objects.get()
    soon = timezone.now() + dt.timedelta(minutes=settings.PESTRACK_SESSION_IDLE_MINUTES - 1)
    assert session.expire_date > soon and settings.SESSION_COOKIE_NAME in client.cookies
    Session.objects.update(expire_date=soon)  # as if the last renewal were a minute ago ...
    assert client.get("/").status_code == 200
    assert Session.objects.get().expire_date == soon  # ... but within the minute nothing is written
    stored = client.session
    stored[Renewal.KEY] -= Renewal.RENEW_SECONDS
    stored.save()
    Session.objects.update(expire_date=soon)
    response = client.get("/")
    assert Session.objects.get().expire_date > soon  # a minute on, the expiry moves on
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE


@pytest.mark.django_db
def test_the_login_page_says_when_the_session_ran_out_but_not_after_a_log_out(world, client, settings):
    notice = f"You were logged out after {settings.PESTRACK_SESSION_IDLE_MINUTES} minutes without activity"
    assert notice not in client.get("/accounts/login/").content.decode()  # a new visitor
    assert _post_login(client, "anna", PASSWORD).status_code == 302
    assert client.get("/caseload/").status_code == 200
    client.cookies.pop(settings.SESSION_COOKIE_NAME)  # the idle timeout: the browser drops the expired cookie
    response = client.get("/caseload/")
    assert response.status_code == 302
    assert notice in client.get(response["Location"]).content.decode()
    assert notice not in client.get("/accounts/login/").content.decode()  # said once
    assert _post_login(client, "anna", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    assert notice not in client.get("/accounts/login/").content.decode()


def _settings_in_subprocess(env: dict, *names: str) -> dict:
    code = f"import json, pestrack.settings as s; print(json.dumps({{n: getattr(s, n) for n in {list(names)!r}}}))"
    full = {k: v for k, v in os.environ.items() if not k.startswith("PESTRACK_")} | env
    out = subprocess.run([sys.executable, "-c", code], env=full, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_idle_minutes_and_secure_cookies_come_from_the_environment():
    names = ("SESSION_COOKIE_AGE", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "LANGUAGE_COOKIE_SECURE")
    dev = _settings_in_subprocess({"PESTRACK_SESSION_IDLE_MINUTES": "5"}, *names)
    assert dev == {
        "SESSION_COOKIE_AGE": 300,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "LANGUAGE_COOKIE_SECURE": False,
    }
    served = _settings_in_subprocess({"PESTRACK_DEBUG": "0"}, *names)
    assert served == {
        "SESSION_COOKIE_AGE": 1800,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "LANGUAGE_COOKIE_SECURE": True,
    }


@pytest.mark.django_db
def test_forms_refuse_a_post_without_the_csrf_token(world):
    from django.contrib.auth.models import User

    from pestrack.records.audit.models import AccessLogEntry

    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="anna"))
    assert client.post("/search/", {"q": "Jarvasson"}).status_code == 403
    e = world.jarva.enrolments.get()
    assert client.post(f"/enrolments/{e.pk}/assessment/", {"score": "5"}).status_code == 403
    assert not AccessLogEntry.objects.filter(action="search").exists()
    page = client.get("/search/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in page
