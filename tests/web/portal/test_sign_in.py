"""Signing in to the portal with a one-time link, and the separation of portal and staff sessions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from pestrack.records.portal.models import SignInLink
from pestrack.records.portal.signin import create_link
from tests.web.conftest import log_entries
from tests.web.portal.conftest import sign_in

pytestmark = pytest.mark.django_db


def test_a_link_signs_the_participant_in_once(portal_world, client):
    secret = create_link(portal_world.jarva)
    assert secret not in SignInLink.objects.values_list("secret_hash", flat=True)  # only its hash is kept
    page = client.get(f"/portal/link/{secret}/")  # opening the link (a mail program's check) uses nothing
    assert page.status_code == 200 and SignInLink.objects.get().used_at is None
    assert client.post(f"/portal/link/{secret}/").status_code == 302
    home = client.get("/portal/").content.decode()
    assert "Hello Jarva" in home and "Arbete som lokalvårdare (Jarva)" in home
    assert log_entries(
        actor=f"participant:{portal_world.jarva.pk}", object_type="portal sign-in", action="read"
    ).exists()
    # the link cannot be used twice, whoever tries
    other = client.__class__()
    refused = other.post(f"/portal/link/{secret}/")
    assert refused.status_code == 403 and "already been used" in refused.content.decode()
    assert other.get("/portal/").status_code == 302
    assert log_entries(action="denied", object_type="portal sign-in", person_id=portal_world.jarva.pk).exists()


def test_an_expired_or_altered_link_is_refused_and_logged(portal_world, client):
    secret = create_link(portal_world.jarva)
    altered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    r = client.post(f"/portal/link/{altered}/")
    assert r.status_code == 403 and "not valid" in r.content.decode()
    assert log_entries(action="denied", object_type="portal sign-in", detail__contains="unknown or altered").exists()
    SignInLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    r = client.post(f"/portal/link/{secret}/")
    assert r.status_code == 403 and "too old" in r.content.decode()
    assert SignInLink.objects.get().used_at is None  # nothing changed
    assert client.get("/portal/").status_code == 302


def test_links_are_refused_when_turned_off(portal_world, client, settings):
    secret = create_link(portal_world.jarva)
    settings.PESTRACK_PORTAL_LINKS = False
    r = client.post(f"/portal/link/{secret}/")
    assert r.status_code == 403 and "turned off" in r.content.decode()


def test_repeated_failures_lock_the_address_out(portal_world, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for n in range(3):
        client.post(f"/portal/link/wrong-{n}/")
    secret = create_link(portal_world.jarva)
    r = client.post(f"/portal/link/{secret}/")
    assert r.status_code == 403 and "Too many failed attempts" in r.content.decode()
    assert SignInLink.objects.get().used_at is None


def test_portal_and_staff_sessions_never_mix(portal_world, client, login):
    sign_in(client, portal_world.jarva)
    for path in ("/", "/persons/", f"/persons/{portal_world.jarva.pk}/", "/worklist/", "/api/v1/persons"):
        r = client.get(path)
        assert r.status_code == 403, path
    assert log_entries(action="denied", object_type="staff page", person_id=portal_world.jarva.pk).exists()
    staff = login("anna")
    for path in ("/portal/", "/portal/plan/", "/api/v1/portal/me"):
        assert staff.get(path).status_code == 403, path


def test_staff_log_in_only_after_signing_out_of_the_portal(portal_world, client):
    from tests.web.conftest import PASSWORD

    sign_in(client, portal_world.jarva)
    assert client.post("/accounts/login/", {"username": "anna", "password": PASSWORD}).status_code == 403
    assert client.get("/portal/").status_code == 200  # still the participant's own session
    client.post("/portal/sign-out/")
    assert client.get("/portal/").status_code == 302
    assert client.post("/accounts/login/", {"username": "anna", "password": PASSWORD}).status_code == 302
    assert "_portal_person" not in client.session and client.get("/portal/").status_code == 403


def test_a_portal_session_ends_after_the_idle_time(portal_world, client, settings):
    from django.contrib.sessions.models import Session

    sign_in(client, portal_world.jarva)
    session = Session.objects.get(session_key=client.session.session_key)
    expiry = session.expire_date - timezone.now()
    assert abs(expiry.total_seconds() - settings.PESTRACK_SESSION_IDLE_MINUTES * 60) < 120
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    r = client.get("/portal/plan/")
    assert r.status_code == 302 and r["Location"].startswith("/portal/sign-in/")


def test_portal_pages_carry_the_staff_sides_security_headers(portal_world, client):
    sign_in(client, portal_world.jarva)
    r = client.get("/portal/")
    assert (
        "script-src 'self'" in r["Content-Security-Policy"] and "frame-ancestors 'none'" in r["Content-Security-Policy"]
    )
    assert (
        r["Cache-Control"] == "no-store" and r["X-Frame-Options"] == "DENY" and "camera=()" in r["Permissions-Policy"]
    )


@pytest.mark.parametrize(("environment", "links"), [({}, False), ({"PESTRACK_PORTAL_LINKS": "1"}, True)])
def test_production_refuses_sign_in_links_unless_they_are_turned_on(environment, links):
    import os
    import subprocess
    import sys

    env = {
        **{k: v for k, v in os.environ.items() if k != "PESTRACK_PORTAL_LINKS"},
        "PESTRACK_PRODUCTION": "1",
        "PESTRACK_SECRET_KEY": "x" * 50,
        "PESTRACK_IDENTITY_KEY": "ZGV2LW9ubHktaWRlbnRpdHkta2V5LW5vdC1mb3ItcHJvZA==",
        "PESTRACK_PSEUDONYM_KEY": "p" * 40,
        "PESTRACK_ALLOWED_HOSTS": "portal.example.se",
        "DJANGO_SETTINGS_MODULE": "pestrack.settings",
        **environment,
    }
    code = "from django.conf import settings; print(settings.PESTRACK_PORTAL_LINKS)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == str(links), out.stderr


def test_the_command_prints_a_link_and_refuses_when_links_are_off(portal_world, settings):
    from typer.testing import CliRunner

    from pestrack.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["portal", "link", str(portal_world.jarva.pk), "--base-url", "https://portal.example.se"])
    assert r.exit_code == 0 and "https://portal.example.se/portal/link/" in r.output
    assert runner.invoke(app, ["portal", "link", "999999"]).exit_code == 2
    settings.PESTRACK_PORTAL_LINKS = False
    r = runner.invoke(app, ["portal", "link", str(portal_world.jarva.pk)])
    assert r.exit_code == 2 and "turned off" in r.output


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_lock_out_check_reads_only_the_addresss_recent_sign_ins():
    """Every sign-in asks whether its address is locked out. On a log of millions of entries that
    must not read the whole lock-out time's log: the check's own statements can be answered from the
    sign-in index (with sequential scans off, the plan names it, whatever the table's size now)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pestrack.records.portal.signin import locked_out

    with CaptureQueriesContext(connection) as queries:
        assert locked_out("203.0.113.9") is False
    statements = [q["sql"] for q in queries.captured_queries if "audit_accesslogentry" in q["sql"]]
    assert statements
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in statements:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "portal_signin_source_at" in plan, plan
