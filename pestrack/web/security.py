"""Security of the web application beyond Django's own: the log-in lock-out backend and the
headers every response carries. The settings are in pestrack/settings.py (see docs/web.md)."""

from __future__ import annotations

import time

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

# Browser features the application never uses; denying them limits what injected content could do.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()"
)


class UserBackend(ModelBackend):
    """Django's ModelBackend (passwords), but a request's user is read with their language
    preference (UserPreference) in one query: the language middleware needs it on every page."""

    def get_user(self, user_id):
        model = get_user_model()
        try:  # get(), not first(): no ORDER BY to build for a look-up by key
            user = model._default_manager.select_related("preference").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lock-out for log-ins through a web request.

    Authentication without a request (the test client's ``login``, a shell) has no attempt to
    count or address to block; axes would refuse it outright, so it is passed on to the next backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class SecurityHeadersMiddleware:
    """Permissions-Policy on every response; no response but a static file is stored by a browser or
    proxy cache (a shared computer must not show person data after log-out): pages for a signed-in
    user and every API response, to a session or to a bearer token, refusals included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response


class SessionRenewalMiddleware:
    """The idle timeout with one session write a minute instead of one per request.

    A signed-in session's expiry (a staff user's or a participant's, web.portal) (in the database and in the cookie's max-age) is moved on to a
    full idle time when a request comes more than ``RENEW_SECONDS`` after the last renewal, so a
    session ends between idle time minus a minute and the idle time after the last request. Saving
    it on every request (SESSION_SAVE_EVERY_REQUEST) was three statements and an encoding of the
    session on every page. A session changed by the request is saved as always."""

    RENEW_SECONDS = 60
    KEY = "_pestrack_renewed"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if (
            session is not None
            and not session.is_empty()
            and ("_auth_user_id" in session or "_portal_person" in session)
        ):
            now = int(time.time())
            if now - session.get(self.KEY, 0) >= self.RENEW_SECONDS:
                session[self.KEY] = now
        return response


SIGNED_IN_COOKIE = "pestrack_signed_in"


class SessionEndedMiddleware:
    """Tells a user whose session ran out that this is why they see the log-in page.

    The session cookie expires with the session, so the server cannot tell a timed-out user from a
    new visitor by it. A second cookie, holding nothing but "1" and kept until the browser closes,
    marks a browser that was signed in: a request without a session but with the mark had its session
    end by the idle timeout (log-out removes the mark). ``request.session_ended`` is then True, and
    the log-in page says so once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        marked = request.COOKIES.get(SIGNED_IN_COOKIE) == "1"
        request.session_ended = not signed_in and marked
        response = self.get_response(request)
        name = getattr(request.resolver_match, "url_name", None)
        user = getattr(request, "user", None)  # the log-in and log-out views change it
        if user is not None and user.is_authenticated:
            if not marked:
                response.set_cookie(
                    SIGNED_IN_COOKIE, "1", httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE
                )
        elif marked and name in {"login", "logout"}:
            response.delete_cookie(SIGNED_IN_COOKIE, samesite="Lax")
        return response
