"""The caseworker's side of the participant portal, on the person page: the participant's interests
in places, the message thread (read and answer), and e-mailing a one-time sign-in link. Access is
records.access (reading the person to see, writing the person to answer, mark or send); all logged."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.mail import send_mail
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pestrack.records import access
from pestrack.records.casework.assignment import user_label
from pestrack.records.documents import files
from pestrack.records.employers import interest as interest_rules
from pestrack.records.employers.models import PlaceInterest
from pestrack.records.journal import messages as message_rules
from pestrack.records.journal.models import Message
from pestrack.records.portal import signin
from pestrack.web.workspace.common import _source


def portal_section(user, person, writable: bool) -> dict:
    """What the person page shows of the portal: interests, new messages, the sign-in link button."""
    interests = [
        {
            "id": i.pk,
            "title": i.place.title,
            "employer": i.place.employer.name,
            "open": interest_rules.is_open(i.place),
            "created_at": i.created_at,
            "seen": i.seen_at is not None,
        }
        for i in PlaceInterest.objects.filter(person=person).select_related("place__employer").order_by("-created_at")
    ]
    return {
        "interests": interests,
        **Message.objects.filter(person=person).aggregate(
            messages=Count("pk"), unread=Count("pk", filter=Q(from_participant=True, read_at__isnull=True))
        ),
        "writable": writable,
        "may_send_link": writable and signin.links_enabled() and bool(person.email) and not person.anonymised_at,
    }


def _person(request, person_id, *, write: bool, what: str):
    return access.get_person_for(
        request.user, person_id, action="update" if write else "read", write=write, what=what, source=_source(request)
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_messages(request, person_id):
    """The thread with the participant; a caseworker who writes the person answers it, and opening
    it marks the participant's messages read (off the work list)."""
    posting = request.method == "POST"
    person = _person(request, person_id, write=posting, what="messages")
    writable = access.can_access(request.user, person, write=True)
    error, text = "", ""
    if posting:
        text = request.POST.get("text", "")
        try:
            message_rules.send(
                person,
                text,
                upload=request.FILES.get("attachment"),
                author=request.user,
                actor=request.user.get_username(),
                source=_source(request),
            )
        except message_rules.MessageRefused as refused:
            error = str(refused)
        else:
            flash.success(request, _("The message is sent to the participant's portal."))
            return redirect("person-messages", person_id=person.pk)
    if writable:
        message_rules.mark_read(person, by_participant=False)
    shown = access.present_person(request.user, person)
    thread = [
        {
            "from_participant": m.from_participant,
            "author": user_label(m.author) if m.author else "",
            "sent_at": m.sent_at,
            "text": m.text,
            "document": m.document if m.document and access.documents_visible(request.user, person) else None,
            "read_at": m.read_at,
        }
        for m in message_rules.thread(person)
    ]
    return render(
        request,
        "web/workspace/messages.html",
        {
            "person": person,
            "shown": shown,
            "thread": thread,
            "writable": writable,
            "error": error,
            "text": text,
            "max_chars": message_rules.MAX_MESSAGE,
            "max_chars_label": number_format(message_rules.MAX_MESSAGE, force_grouping=True),
            "max_size": files.size_label(settings.PESTRACK_DOCUMENT_MAX_BYTES),
        },
        status=422 if error else 200,
    )


@login_required
@require_POST
def interest_seen(request, interest_id):
    interest = PlaceInterest.objects.filter(pk=interest_id).first()
    if interest is None:
        raise Http404(_("No such interest."))
    person = _person(request, interest.person_id, write=True, what="place interest")
    interest_rules.mark_seen(interest, request.user)
    return redirect(reverse("person-detail", args=[person.pk]) + "#interests")


@login_required
@require_POST
def send_portal_link(request, person_id):
    """E-mail the participant a one-time sign-in link to the portal (to their own address)."""
    person = _person(request, person_id, write=True, what="portal link")
    if not person.email:
        flash.error(request, _("The person has no e-mail address: add one first."))
        return redirect(reverse("person-detail", args=[person.pk]) + "#portal")
    try:
        secret = signin.create_link(person, created_by=request.user, source=_source(request))
    except signin.SignInRefused as refused:
        flash.error(request, str(refused))
        return redirect(reverse("person-detail", args=[person.pk]) + "#portal")
    url = request.build_absolute_uri(reverse("portal-link", args=[secret]))
    send_mail(
        "Din inloggningslänk till deltagarportalen / Your sign-in link to the participant portal",
        "Hej!\n\nLogga in i deltagarportalen med den här länken. Den fungerar en gång, i 15 minuter:\n"
        f"{url}\n\nSign in to the participant portal with this link. It works once, for 15 minutes.\n",
        settings.DEFAULT_FROM_EMAIL,
        [person.email],
    )
    flash.success(request, _("A sign-in link was sent to the person's e-mail address. It works once, for 15 minutes."))
    return redirect(reverse("person-detail", args=[person.pk]) + "#portal")
