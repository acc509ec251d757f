"""Signing in with the identity provider (OpenID Connect) against an in-process issuer: a good ID
token signs the participant in; a wrong signature, audience or expiry, or an identity number that
matches nobody, is refused in plain words, logged, and gives no session."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from pestrack.records.people.identity import make_number
from tests.web.conftest import log_entries
from tests.web.portal.fake_issuer import FakeIssuer

pytestmark = pytest.mark.django_db
NUMBER = make_number(__import__("datetime").date(1985, 3, 15), 101)  # Jarva's (tests/web/conftest.py)


@pytest.fixture
def issuer(settings):
    from pestrack.web.portal import oidc

    fake = FakeIssuer()
    settings.PESTRACK_OIDC_ISSUER = fake.url
    settings.PESTRACK_OIDC_CLIENT_ID = FakeIssuer.CLIENT_ID
    settings.PESTRACK_OIDC_CLIENT_SECRET = FakeIssuer.CLIENT_SECRET
    settings.PESTRACK_OIDC_IDENTITY_CLAIM = "personal_identity_number"
    oidc._DISCOVERY.clear()
    yield fake
    fake.close()
    oidc._DISCOVERY.clear()


def start(client) -> dict:
    """Follow the portal's sign-in button to the provider: the authorization request's parameters."""
    r = client.get("/portal/oidc/start/")
    assert r.status_code == 302
    url = urlparse(r["Location"])
    return {k: v[0] for k, v in parse_qs(url.query).items()} | {"endpoint": f"{url.scheme}://{url.netloc}{url.path}"}


def come_back(client, issuer, request: dict, token: str):
    issuer.issue_code("code-1", token, request["code_challenge"])
    return client.get("/portal/oidc/callback/", {"code": "code-1", "state": request["state"]})


def test_a_valid_id_token_signs_the_participant_in(world, client, issuer):
    request = start(client)
    assert request["endpoint"] == f"{issuer.url}/authorize" and request["client_id"] == FakeIssuer.CLIENT_ID
    assert request["code_challenge_method"] == "S256" and request["nonce"]
    r = come_back(client, issuer, request, issuer.id_token(issuer.claims(NUMBER, request["nonce"])))
    assert r.status_code == 302 and r["Location"] == "/portal/"
    assert "Hello Jarva" in client.get("/portal/").content.decode()
    entry = log_entries(object_type="portal sign-in", action="read", person_id=world.jarva.pk).get()
    assert "identity provider" in entry.detail and NUMBER not in entry.detail and NUMBER[:8] not in entry.detail
    # the state is used up: the same answer again is refused
    assert client.get("/portal/oidc/callback/", {"code": "code-1", "state": request["state"]}).status_code == 403


@pytest.mark.parametrize(
    "case",
    ["wrong signature", "wrong audience", "expired", "wrong nonce", "wrong issuer"],
)
def test_a_bad_id_token_is_refused_and_logged(world, client, issuer, case):
    request = start(client)
    nonce = request["nonce"]
    if case == "wrong signature":
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        token = issuer.id_token(issuer.claims(NUMBER, nonce), key=other)
    elif case == "wrong audience":
        token = issuer.id_token(issuer.claims(NUMBER, nonce, aud="another-service"))
    elif case == "expired":
        token = issuer.id_token(issuer.claims(NUMBER, nonce, iat=int(time.time()) - 900, exp=int(time.time()) - 600))
    elif case == "wrong nonce":
        token = issuer.id_token(issuer.claims(NUMBER, "not-the-nonce"))
    else:
        token = issuer.id_token(issuer.claims(NUMBER, nonce, iss="https://evil.example"))
    r = come_back(client, issuer, request, token)
    assert r.status_code == 403 and "The sign-in with the identity provider failed" in r.content.decode()
    assert client.get("/portal/").status_code == 302  # no session
    reason = {
        "wrong signature": "verification failed",
        "wrong audience": "wrong audience",
        "expired": "Signature has expired",
        "wrong nonce": "Nonce verification failed",
        "wrong issuer": "wrong issuer",
    }[case]
    entry = log_entries(object_type="portal sign-in", action="denied").get()
    assert "identity-provider sign-in refused" in entry.detail and reason in entry.detail, entry.detail
    assert not log_entries(object_type="portal sign-in", action="read").exists()


def test_an_identity_number_that_matches_nobody_is_refused(world, client, issuer):
    request = start(client)
    nobody = make_number(__import__("datetime").date(1990, 1, 1), 555)
    r = come_back(client, issuer, request, issuer.id_token(issuer.claims(nobody, request["nonce"])))
    assert r.status_code == 403 and "We could not find you among our participants" in r.content.decode()
    entry = log_entries(object_type="portal sign-in", action="denied").get()
    assert "matches nobody" in entry.detail and nobody not in entry.detail and entry.person_id is None
    assert client.get("/portal/").status_code == 302


def test_the_sign_in_page_offers_the_provider_only_when_configured(world, client, issuer, settings):
    assert "/portal/oidc/start/" in client.get("/portal/sign-in/").content.decode()
    settings.PESTRACK_OIDC_ISSUER = ""
    assert "/portal/oidc/start/" not in client.get("/portal/sign-in/").content.decode()
    assert client.get("/portal/oidc/start/").status_code == 404


def test_the_refusal_is_in_the_participants_language(world, client, issuer):
    client.post("/portal/language/", {"language": "sv"})
    request = start(client)
    nobody = make_number(__import__("datetime").date(1990, 1, 1), 555)
    r = come_back(client, issuer, request, issuer.id_token(issuer.claims(nobody, request["nonce"])))
    assert "Vi hittade dig inte bland våra deltagare" in r.content.decode()
