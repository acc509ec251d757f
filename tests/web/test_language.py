"""Swedish and English per user: the choice is kept, pages and rule messages follow it, and Swedish
pages use Swedish number formatting."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.web.conftest import log_entries


@pytest.mark.django_db
def test_the_login_page_follows_the_browser_then_the_language_switch(world):
    client = Client()
    assert ">Logga in<" in client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert ">Log in<" in client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.post("/language/", {"language": "en", "next": "/accounts/login/"})
    assert ">Log in<" in client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()


@pytest.mark.django_db
def test_a_users_language_is_kept_and_overrides_the_browser(world, login):
    from pestrack.web.models import UserPreference

    client = login("anna")
    response = client.post("/language/", {"language": "sv", "next": "/caseload/"})
    assert response.status_code == 302 and response["Location"] == "/caseload/"
    assert UserPreference.objects.get(user__username="anna").language == "sv"
    page = client.get("/caseload/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="sv">' in page.content.decode() and "Mina ärenden" in page.content.decode()
    # a new session (another computer) keeps the choice
    again = login("anna").get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Välkommen, anna" in again
    client.post("/language/", {"language": "en", "next": "/"})
    assert "Welcome, anna" in client.get("/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()


@pytest.mark.django_db
def test_language_switch_refuses_unknown_languages_and_foreign_redirects(world, login):
    from pestrack.web.models import UserPreference

    client = login("anna")
    response = client.post("/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert not UserPreference.objects.exists()
    assert client.get("/language/").status_code == 405


@pytest.mark.django_db
def test_swedish_pages_use_swedish_number_formatting_and_code_names(world, login):
    from pestrack.records.casework.models import Assessment
    from pestrack.records.codes.models import Code

    e = world.jarva.enrolments.get()
    Assessment.objects.create(
        enrolment=e, instrument=Code.objects.get(list="instrument", code="wai"), date=e.start_date, score="6.5"
    )
    client = login("anna")
    client.post("/language/", {"language": "sv"})
    sv = client.get(f"/persons/{world.jarva.pk}/").content.decode()
    assert "6,5" in sv and "5–7 (måttlig)" in sv and "Försörjningsstöd" in sv
    assert f"{e.start_date:%Y-%m-%d}" in sv
    client.post("/language/", {"language": "en"})
    en = client.get(f"/persons/{world.jarva.pk}/").content.decode()
    assert "6.5" in en and "5–7 (moderate)" in en and "Social assistance recipients" in en


@pytest.mark.django_db
def test_rule_messages_appear_in_the_users_language(world, login):
    client = login("anna")
    client.post("/language/", {"language": "sv"})
    e = world.jarva.enrolments.get()
    future = dt.date.today() + dt.timedelta(days=3)
    response = client.post(
        f"/enrolments/{e.pk}/exit/", {"end_date": future.isoformat(), "exit_reason": _code("exit_reason", "work")}
    )
    assert response.status_code == 422
    assert f"Slutdatumet {future} ligger i framtiden." in response.content.decode()
    assert not log_entries(action="update", person_id=world.jarva.pk).exists()


def _code(list_name, code):
    from pestrack.records.codes.models import Code

    return Code.objects.get(list=list_name, code=code).pk


def test_the_swedish_catalogue_is_complete_and_compiled():
    """Every text of the pages has a Swedish translation, and the committed .mo holds them all
    (after editing the .po, compile it: msgfmt -o django.mo django.po)."""
    import gettext
    import re
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "pestrack" / "web" / "locale" / "sv" / "LC_MESSAGES"
    po = (folder / "django.po").read_text(encoding="utf-8")
    assert "#, fuzzy" not in po
    with open(folder / "django.mo", "rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog
    for block in po.split("\n\n")[1:]:
        found = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if found is None:  # an obsolete entry (#~), not used
            continue
        msgid = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', found.group(1)))
        msgid = msgid.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
        context = re.search(r'^msgctxt "((?:[^"\\]|\\.)*)"', block, re.M)
        if context:  # gettext keeps an entry with a context under "context\x04msgid"
            msgid = f"{context.group(1)}\x04{msgid}"
        key = (msgid, 0) if "msgid_plural" in block else msgid
        assert catalog.get(key), f"no Swedish for {msgid!r} in django.mo"
