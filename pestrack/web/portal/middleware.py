"""Portal sessions and staff sessions never mix.

A participant's session holds ``PORTAL_KEY`` (their person id) and never a staff user; a staff
session never holds ``PORTAL_KEY``. A session with both (one kind signed in over the other) is
ended. A participant's session opens only the portal's pages and API (and static files): anything
else is 403, logged; a staff user on a portal page is 403 too. On the portal's paths the page's
language is the participant's choice (``LANGUAGE_KEY``), which may be a language of the profile."""

from __future__ import annotations

from django.contrib.auth import user_logged_in
from django.contrib.auth.models import AnonymousUser
from django.dispatch import receiver
from django.http import HttpResponseForbidden, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from pestrack.records import access
from pestrack.records.audit import log
from pestrack.records.people.models import Person
from pestrack.records.portal.signin import actor

PORTAL_KEY = "_portal_person"
LANGUAGE_KEY = "_portal_language"
PORTAL_PATHS = ("/portal/", "/api/v1/portal/")
OPEN_PATHS = ("/static/", "/health", "/favicon.ico")


def is_portal_path(path: str) -> bool:
    return path.startswith(PORTAL_PATHS)


@receiver(user_logged_in)
def _staff_log_in_ends_portal_session(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session.pop(PORTAL_KEY, None)


def _participant(person_id):
    return Person.objects.filter(pk=person_id, anonymised_at__isnull=True).first()


def refusal(request, message: str):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=403)
    html = render_to_string("portal/refused.html", {"message": message}, request=request)
    return HttpResponseForbidden(html)


class PortalMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        person_id = session.get(PORTAL_KEY)
        staff = request.user.is_authenticated
        if person_id and staff:  # never both in one session
            session.flush()
            request.user, person_id, staff = AnonymousUser(), None, False
        request.participant = _participant(person_id) if person_id else None
        if person_id and request.participant is None:  # the person is gone (anonymised): the session ends
            session.flush()
            person_id = None
        request.participant_id = person_id
        path = request.path
        portal = is_portal_path(path)
        if portal:
            language = session.get(LANGUAGE_KEY)
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        if person_id and not portal and not path.startswith(OPEN_PATHS):
            log.record(
                actor(person_id),
                "denied",
                person_id=person_id,
                object_type="staff page",
                detail=f"participant session refused {path[:200]}",
                source=access.client_address(request),
            )
            return refusal(request, _("You are signed in to the participant portal. This page is for staff only."))
        if staff and portal and not path.startswith("/portal/sign-out"):
            log.record_for_user(
                request.user,
                "denied",
                object_type="portal page",
                detail=f"staff session refused {path[:200]}",
                source=access.client_address(request),
            )
            return refusal(
                request,
                _("You are logged in as staff. The participant portal is for participants: log out first."),
            )
        return self.get_response(request)
