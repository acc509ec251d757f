"""Each user's language (Swedish or English), kept in UserPreference, and what every page's
navigation needs to know about the user."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from pestrack.records import access
from pestrack.web.models import UserPreference

LANGUAGES = dict(settings.LANGUAGES)


def user_language(user) -> str | None:
    """The user's chosen language, None if they chose none (read with the user by the
    authentication backends, pestrack.web.security)."""
    if not user.is_authenticated:
        return None
    try:
        return user.preference.language
    except UserPreference.DoesNotExist:
        return None


class UserLanguageMiddleware:
    """A logged-in user's pages are in their chosen language, whatever the browser asks for
    (LocaleMiddleware has chosen from the language cookie or Accept-Language before)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        access.remember_for_request(request.user)  # the page's access checks share one look-up
        language = user_language(request.user)
        if language in LANGUAGES:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


@require_POST
def set_language(request):
    """Switch the language: saved for a logged-in user, in a cookie for the log-in page."""
    language = request.POST.get("language", "")
    target = request.POST.get("next") or reverse("home")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("home")
    response = HttpResponseRedirect(target)
    if language not in LANGUAGES:
        return response
    if request.user.is_authenticated:
        UserPreference.objects.update_or_create(user=request.user, defaults={"language": language})
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def navigation(request) -> dict:
    """Template context for the navigation: which parts of the application this user has."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}, "languages": settings.LANGUAGES}
    roles = {a.role for a in access.user_assignments(user)}
    return {
        "languages": settings.LANGUAGES,
        "nav": {
            "casework": bool(roles & set(access.READ_ROLES)),
            "writes": bool(roles & set(access.WRITE_ROLES)),
            "results": bool(roles & set(access.RESULT_ROLES)),
            "evaluation": access.Role.ANALYST in roles,
            "profiling": bool(roles & {access.Role.ANALYST, access.Role.DPO}),
            "practices": bool(roles & {access.Role.ANALYST, access.Role.UNIT_MANAGER}),
            "employers": bool(roles & {access.Role.EMPLOYER_RELATIONS, access.Role.ADMIN}),
            "admin": access.may_use_admin(user),
            "log_review": bool(roles & set(access.LOG_REVIEW_ROLES)),
            "roles": sorted(roles),
        },
    }
