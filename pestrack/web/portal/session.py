"""Signing a participant in and out of a portal session (see middleware.py for the separation)."""

from __future__ import annotations

from django.middleware.csrf import rotate_token

from pestrack.web.portal.middleware import LANGUAGE_KEY, PORTAL_KEY


def sign_in(request, person) -> None:
    """A new session for ``person``: whatever the browser had (a staff session, an earlier
    participant's) ends, the language chosen before signing in stays."""
    language = request.session.get(LANGUAGE_KEY)
    request.session.flush()
    request.session[PORTAL_KEY] = person.pk
    if language:
        request.session[LANGUAGE_KEY] = language
    rotate_token(request)


def sign_out(request) -> None:
    language = request.session.get(LANGUAGE_KEY)
    request.session.flush()
    if language:
        request.session[LANGUAGE_KEY] = language
