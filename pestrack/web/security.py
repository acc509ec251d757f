"""Security of the web application beyond Django's own: the log-in lock-out backend and the
headers every response carries. The settings are in pestrack/settings.py (see docs/web.md)."""
from __future__ import annotations

from axes.backends import AxesStandaloneBackend

# Browser features the application never uses; denying them limits what injected content could do.
PERMISSIONS_POLICY = ("camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
                      "interest-cohort=(), browsing-topics=()")


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lock-out for log-ins through a web request.

    Authentication without a request (the test client's ``login``, a shell) has no attempt to
    count or address to block; axes would refuse it outright, so it is passed on to the next backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class SecurityHeadersMiddleware:
    """Permissions-Policy on every response; pages with person data are never stored by a browser
    or proxy cache (a shared computer must not show them after log-out)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response
