"""Sign-in with the municipality's identity provider over OpenID Connect (authorization code flow
with PKCE), with mozilla-django-oidc's client.

The provider is configured by its issuer alone (settings PESTRACK_OIDC_*): the endpoints come from
its discovery document. mozilla-django-oidc exchanges the code, fetches the provider's keys and
checks the ID token's signature, algorithm, expiry and nonce; the issuer and audience are checked
here, and the claim ``PESTRACK_OIDC_IDENTITY_CLAIM`` carries the personal identity number, matched
to a person by records.portal.signin. No Django user is made: the participant gets a portal session.
"""

from __future__ import annotations

import time

import requests
from django.conf import settings
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

TIMEOUT = 10
_DISCOVERY: dict[str, tuple[float, dict]] = {}
DISCOVERY_SECONDS = 300


class ProviderUnavailable(Exception):
    pass


def enabled() -> bool:
    return bool(settings.PESTRACK_OIDC_ISSUER and settings.PESTRACK_OIDC_CLIENT_ID)


def discovery() -> dict:
    """The provider's discovery document (kept five minutes); its issuer must be the configured one."""
    issuer = settings.PESTRACK_OIDC_ISSUER
    cached = _DISCOVERY.get(issuer)
    if cached and time.monotonic() - cached[0] < DISCOVERY_SECONDS:
        return cached[1]
    try:
        response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
        response.raise_for_status()
        doc = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"discovery document not read: {exc}") from None
    if doc.get("issuer", "").rstrip("/") != issuer:
        raise ProviderUnavailable(f"the discovery document names issuer {doc.get('issuer')!r}, not {issuer!r}")
    _DISCOVERY[issuer] = (time.monotonic(), doc)
    return doc


def _setting(name: str, *default):
    """mozilla-django-oidc's settings, from pestrack's and the discovery document."""
    ours = {
        "OIDC_RP_CLIENT_ID": lambda: settings.PESTRACK_OIDC_CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": lambda: settings.PESTRACK_OIDC_CLIENT_SECRET,
        "OIDC_RP_SIGN_ALGO": lambda: settings.PESTRACK_OIDC_SIGN_ALGO,
        "OIDC_RP_SCOPES": lambda: settings.PESTRACK_OIDC_SCOPES,
        "OIDC_OP_AUTHORIZATION_ENDPOINT": lambda: discovery()["authorization_endpoint"],
        "OIDC_OP_TOKEN_ENDPOINT": lambda: discovery()["token_endpoint"],
        "OIDC_OP_JWKS_ENDPOINT": lambda: discovery()["jwks_uri"],
        "OIDC_OP_USER_ENDPOINT": lambda: discovery().get("userinfo_endpoint", ""),
        "OIDC_AUTHENTICATION_CALLBACK_URL": lambda: "portal-oidc-callback",
        "OIDC_USE_PKCE": lambda: True,
        "OIDC_USE_NONCE": lambda: True,
        "OIDC_TIMEOUT": lambda: TIMEOUT,
        "OIDC_RP_IDP_SIGN_KEY": lambda: None,
        "OIDC_REDIRECT_FIELD_NAME": lambda: "next",
    }
    if name in ours:
        return ours[name]()
    if default:
        return default[0]
    raise KeyError(name)


class ParticipantBackend(OIDCAuthenticationBackend):
    """The library's token exchange and token checks; never registered as an authentication
    backend, since a participant is a person, not a user."""

    def get_settings(self, attr, *args):
        return _setting(attr, *args)

    def claims(self, request, *, code: str, nonce: str, code_verifier: str | None) -> dict:
        """The verified claims of the ID token the code is exchanged for. Raises
        SuspiciousOperation or jwt's errors (signature, algorithm, expiry, nonce), ValueError
        (issuer, audience, a missing claim) or requests' errors."""
        from django.urls import reverse
        from mozilla_django_oidc.utils import absolutify

        payload = {
            "client_id": self.OIDC_RP_CLIENT_ID,
            "client_secret": self.OIDC_RP_CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": absolutify(request, reverse("portal-oidc-callback")),
        }
        if code_verifier:
            payload["code_verifier"] = code_verifier
        token = self.get_token(payload).get("id_token")
        if not token:
            raise ValueError("the token response has no ID token")
        claims = self.verify_token(token, nonce=nonce)
        if str(claims.get("iss", "")).rstrip("/") != settings.PESTRACK_OIDC_ISSUER:
            raise ValueError(f"wrong issuer {claims.get('iss')!r}")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.PESTRACK_OIDC_CLIENT_ID not in audiences:
            raise ValueError("wrong audience")
        if "exp" not in claims:
            raise ValueError("the ID token has no expiry")
        if not claims.get(settings.PESTRACK_OIDC_IDENTITY_CLAIM):
            raise ValueError(f"the ID token has no claim {settings.PESTRACK_OIDC_IDENTITY_CLAIM}")
        return claims


class StartView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider (state, nonce and PKCE kept in the session by the library)."""

    def __init__(self, *args, **kwargs):
        self.OIDC_OP_AUTH_ENDPOINT = _setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        self.OIDC_RP_CLIENT_ID = _setting("OIDC_RP_CLIENT_ID")

    @staticmethod
    def get_settings(attr, *args):
        return _setting(attr, *args)
