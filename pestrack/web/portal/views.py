"""The participant portal's pages. Each page shows only the signed-in participant's own records
(there is no person id in any URL; a meeting's or a message's id is looked up among theirs only)
and logs what it shows as a self-access (records.portal.selfaccess)."""

from __future__ import annotations

import functools
import json

import jwt
import requests
from django.conf import settings
from django.contrib import messages as flash
from django.core.exceptions import SuspiciousOperation
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pestrack.records import access
from pestrack.records.documents import files
from pestrack.records.employers.interest import InterestRefused, express
from pestrack.records.journal import messages as message_rules
from pestrack.records.journal.models import Message
from pestrack.records.meetings import calendar
from pestrack.records.meetings.models import Meeting
from pestrack.records.people.export import person_extract, render_extract_html
from pestrack.records.portal import selfaccess, signin
from pestrack.web.portal import mine, oidc
from pestrack.web.portal.languages import portal_languages
from pestrack.web.portal.middleware import LANGUAGE_KEY
from pestrack.web.portal.session import sign_in, sign_out


def _source(request) -> str:
    return access.client_address(request)


def participant_required(view):
    """The page needs a signed-in participant; anyone else is sent to the sign-in page."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if getattr(request, "participant", None) is None:
            return HttpResponseRedirect(f"{reverse('portal-sign-in')}?next={request.path}")
        return view(request, request.participant, *args, **kwargs)

    return wrapped


def _seen(request, person, what: str, object_id="") -> None:
    selfaccess.record(person.pk, what, object_id=object_id, source=_source(request))


# --- Signing in and out ------------------------------------------------------------------------


def sign_in_page(request):
    if getattr(request, "participant", None) is not None:
        return redirect("portal-home")
    return render(
        request,
        "portal/sign_in.html",
        {"oidc": oidc.enabled(), "links": signin.links_enabled(), "next": request.GET.get("next", "")},
    )


@require_http_methods(["GET", "POST"])
def link_sign_in(request, secret: str):
    """A one-time link: the page asks the participant to press "Sign in" (a mail program that opens
    links to check them must not use the link up); the POST uses it."""
    if request.method == "GET":
        return render(request, "portal/link.html", {"links": signin.links_enabled()})
    try:
        person = signin.redeem_link(secret, source=_source(request))
    except signin.SignInRefused as refused:
        return render(
            request,
            "portal/sign_in.html",
            {"error": str(refused), "oidc": oidc.enabled(), "links": signin.links_enabled()},
            status=403,
        )
    sign_in(request, person)
    return redirect("portal-home")


def oidc_start(request):
    if not oidc.enabled():
        raise Http404(_("Sign-in with the identity provider is not set up."))
    try:
        view = oidc.StartView.as_view()
        return view(request)
    except oidc.ProviderUnavailable as exc:
        signin.refuse_token(f"provider unavailable ({exc})", source=_source(request))
        return render(
            request,
            "portal/sign_in.html",
            {
                "error": _("The identity provider cannot be reached right now. Try again later."),
                "oidc": True,
                "links": signin.links_enabled(),
            },
            status=503,
        )


def oidc_callback(request):
    """The provider's answer: the code is exchanged for an ID token, which is checked, and the
    identity number in it is matched to a person. Any failure: the sign-in page with the reason
    in plain words, logged; no session."""
    source = _source(request)

    def refused(message: str, status: int = 403):
        return render(
            request,
            "portal/sign_in.html",
            {"error": message, "oidc": oidc.enabled(), "links": signin.links_enabled()},
            status=status,
        )

    if not oidc.enabled():
        raise Http404(_("Sign-in with the identity provider is not set up."))
    states = request.session.get("oidc_states") or {}
    state = request.GET.get("state", "")
    if request.GET.get("error") or state not in states or not request.GET.get("code"):
        if state in states:
            del states[state]
            request.session["oidc_states"] = states
        reason = (
            f"provider error {request.GET.get('error')!r}" if request.GET.get("error") else "unknown state or no code"
        )
        return refused(str(signin.refuse_token(reason, source=source)))
    entry = states.pop(state)
    request.session["oidc_states"] = states
    try:
        claims = oidc.ParticipantBackend().claims(
            request, code=request.GET["code"], nonce=entry.get("nonce"), code_verifier=entry.get("code_verifier")
        )
    except (
        SuspiciousOperation,
        jwt.PyJWTError,
        ValueError,
        KeyError,
        requests.RequestException,
        oidc.ProviderUnavailable,
    ) as exc:
        return refused(str(signin.refuse_token(f"{type(exc).__name__}: {exc}", source=source)))
    try:
        person = signin.person_for_identity_number(claims[settings.PESTRACK_OIDC_IDENTITY_CLAIM], source=source)
    except signin.SignInRefused as exc:
        return refused(str(exc))
    sign_in(request, person)
    return redirect("portal-home")


@require_POST
def sign_out_view(request):
    sign_out(request)
    flash.info(request, _("You are signed out."))
    return redirect("portal-sign-in")


@require_POST
def set_language(request):
    """The participant's language for the portal (Swedish, English or one of the profile's)."""
    language = request.POST.get("language", "")
    target = request.POST.get("next") or reverse("portal-home")
    if not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ) or not target.startswith("/portal/"):
        target = reverse("portal-home")
    if language in {code for code, _name, _rtl in portal_languages()}:
        request.session[LANGUAGE_KEY] = language
    return HttpResponseRedirect(target)


# --- My pages ----------------------------------------------------------------------------------


@participant_required
def home(request, person):
    _seen(request, person, "portal overview")
    return render(
        request,
        "portal/home.html",
        {
            "person": person,
            "plan": mine.plan(person),
            "next_meeting": mine.next_meeting(person),
            "caseworker": mine.caseworker(person),
            "unread": Message.objects.filter(person=person, from_participant=False, read_at__isnull=True).count(),
        },
    )


@participant_required
def plan_page(request, person):
    _seen(request, person, "portal plan")
    return render(request, "portal/plan.html", {"plan": mine.plan(person), "caseworker": mine.caseworker(person)})


@participant_required
def meetings_page(request, person):
    _seen(request, person, "portal meetings")
    rows = mine.meetings(person)
    return render(
        request,
        "portal/meetings.html",
        {"coming": [m for m in rows if m["coming"]], "earlier": [m for m in rows if not m["coming"]]},
    )


@participant_required
def meeting_ics(request, person, meeting_id: int):
    meeting = (
        Meeting.objects.select_related("kind", "outcome")
        .prefetch_related("other_bodies")
        .filter(pk=meeting_id, person=person)
        .first()
    )
    if meeting is None:  # another person's meeting, or none: the same answer
        selfaccess.record(
            person.pk,
            "meeting calendar file",
            action="denied",
            object_id=meeting_id,
            source=_source(request),
            detail="not the participant's meeting",
        )
        raise Http404(_("No such meeting."))
    _seen(request, person, "meeting calendar file", meeting.pk)
    body = calendar.ics(
        meeting,
        name=_("my meeting"),  # no name in a file that leaves the service
        url=request.build_absolute_uri(reverse("portal-meetings")),
        label=mine.code_name,
        digital_text=_("Digital meeting"),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
    return response


@participant_required
def measures_page(request, person):
    _seen(request, person, "portal measures")
    return render(request, "portal/measures.html", {"measures": mine.measures(person)})


@participant_required
@require_http_methods(["GET", "POST"])
def places_page(request, person):
    error = ""
    if request.method == "POST":
        try:
            interest, created = express(
                person, request.POST.get("place"), actor=signin.actor(person.pk), source=_source(request)
            )
        except InterestRefused as refused:
            error = str(refused)
        else:
            flash.success(
                request,
                _("Thank you. Your caseworker can see that you are interested in “%(title)s”.")
                % {"title": interest.place.title}
                if created
                else _("You have already said that you are interested in “%(title)s”.")
                % {"title": interest.place.title},
            )
            return redirect("portal-places")
    _seen(request, person, "portal places")
    return render(
        request, "portal/places.html", {"places": mine.places(person), "error": error}, status=422 if error else 200
    )


@participant_required
@require_http_methods(["GET", "POST"])
def messages_page(request, person):
    error, text = "", ""
    if request.method == "POST":
        text = request.POST.get("text", "")
        try:
            message_rules.send(
                person,
                text,
                upload=request.FILES.get("attachment"),
                actor=signin.actor(person.pk),
                source=_source(request),
            )
        except message_rules.MessageRefused as refused:
            error = str(refused)
            selfaccess.record(
                person.pk,
                "message",
                action="denied",
                source=_source(request),
                detail=f"message refused ({refused.field})",
            )
        else:
            flash.success(request, _("Your message has been sent."))
            return redirect("portal-messages")
    _seen(request, person, "portal messages")
    message_rules.mark_read(person, by_participant=True)
    return render(
        request,
        "portal/messages.html",
        {
            "thread": mine.messages(person),
            "error": error,
            "text": text,
            "max_chars": message_rules.MAX_MESSAGE,
            "max_chars_label": number_format(message_rules.MAX_MESSAGE, force_grouping=True),
            "max_size": files.size_label(settings.PESTRACK_DOCUMENT_MAX_BYTES),
            "caseworker": mine.caseworker(person),
        },
        status=422 if error else 200,
    )


@participant_required
def attachment(request, person, message_id: int):
    message = Message.objects.select_related("document").filter(pk=message_id, person=person).first()
    if message is None or message.document is None or message.document.withdrawn:
        selfaccess.record(
            person.pk,
            "document",
            action="denied",
            object_id=message_id,
            source=_source(request),
            detail="not the participant's attachment",
        )
        raise Http404(_("No such attachment."))
    document = message.document
    _seen(request, person, "document", document.pk)
    return FileResponse(
        open(files.path_of(document.stored_name), "rb"),
        as_attachment=True,
        filename=document.name,
        content_type=document.content_type,
    )


@participant_required
def my_data(request, person):
    _seen(request, person, "portal my data")
    estimates = mine.estimates(person)
    for e in estimates:  # every estimate shown is logged, to the participant as to a caseworker
        _seen(request, person, "portal profiling estimate", object_id=str(e["id"]))
    return render(
        request,
        "portal/my_data.html",
        {
            "person": person,
            "readers": selfaccess.readers(person.pk),
            "staff_names": selfaccess.show_staff_names(),
            "estimates": estimates,
        },
    )


def _language() -> str:
    return "en" if (get_language() or "sv").startswith("en") else "sv"


@participant_required
def extract(request, person, fmt: str):
    """The register extract (the GDPR export), downloaded by the participant: a self-access."""
    if fmt not in ("html", "json"):
        raise Http404(_("No such file."))
    selfaccess.record(person.pk, "register extract", action="export", source=_source(request))
    data = person_extract(person)
    if fmt == "json":
        body, content_type = json.dumps(data, ensure_ascii=False, indent=2), "application/json; charset=utf-8"
    else:
        body, content_type = render_extract_html(data, language=_language()), "text/html; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="my-data.{fmt}"'
    return response
