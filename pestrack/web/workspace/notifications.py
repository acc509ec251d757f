"""Contact details and reminders on the person page: what was sent, and the form where a
caseworker records the person's e-mail address, mobile number and choice of channels.

The rules and writes are records.notifications.rules (the portal uses the same); access is
records.access (write access to change, read access to see; both logged). For a protected identity
the address and number are shown and changed only by staff who may see protected identities."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from pestrack.records import access
from pestrack.records.meetings.rules import RuleError
from pestrack.records.notifications.models import Channel, Kind, Notification, Status
from pestrack.records.notifications.rules import preferences_of, set_contact_details, set_preferences
from pestrack.web.workspace.common import _person_page, _source

SHOWN = 10  # the latest reminders on the person page; all are in the register extract
LANGUAGE_NAMES = {"sv": gettext_lazy("In Swedish"), "en": gettext_lazy("In English")}


def _channels_label(channels: list[str]) -> str:
    if not channels:
        return _("None: the person does not want reminders")
    return _(" and ").join(str(Channel(c).label) for c in channels)


def person_notifications(user, person, writable: bool) -> dict:
    """What the person page shows: contact details as ``user`` may see them, the channels and
    language of reminders, and the latest reminders sent or tried (one query each)."""
    shown = access.present_person(user, person)
    channels, language, chosen = preferences_of(person)
    rows = []
    latest = list(Notification.objects.filter(person=person)[: SHOWN + 1])
    for n in latest[:SHOWN]:
        at = timezone.localtime(n.sent_at or n.updated_at)
        rows.append(
            {
                "iso": at.isoformat(),
                "at": date_format(at, "SHORT_DATETIME_FORMAT"),
                "kind": Kind(n.kind).label,
                "about": date_format(n.about_date, "SHORT_DATE_FORMAT"),
                "channel": Channel(n.channel).label,
                "status": Status(n.status).label,
                "failed": n.status == Status.FAILED,
                "attempts": n.attempts,
                "neutral": n.neutral,
            }
        )
    return {
        "email": shown["email"],
        "mobile_phone": shown["mobile_phone"],
        "channels": _channels_label(channels),
        "default": not chosen,
        "language": LANGUAGE_NAMES.get(language, language),
        "rows": rows,
        "more": len(latest) > SHOWN,
        "may_change": writable and not person.anonymised_at,
    }


class ContactForm(forms.Form):
    email = forms.CharField(
        label=gettext_lazy("E-mail address"),
        max_length=254,
        required=False,
        help_text=gettext_lazy("For example namn@exempel.se."),
    )
    mobile_phone = forms.CharField(
        label=gettext_lazy("Mobile number"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("For example 070-123 45 67."),
    )
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("Send reminders"),
        choices=[("email", gettext_lazy("By e-mail")), ("sms", gettext_lazy("By SMS"))],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy(
            "Reminders of meetings and plan reviews. Tick none if the person does not want reminders."
        ),
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language of the reminders"),
        choices=list(LANGUAGE_NAMES.items()),
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, contact_visible: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not contact_visible:  # a protected identity, for a user who does not see it
            del self.fields["email"], self.fields["mobile_phone"]


@login_required
@require_http_methods(["GET", "POST"])
def contact(request, person_id):
    """Change the person's contact details and choice of reminders (a caseworker of their units)."""
    person = access.get_person_for(
        request.user,
        person_id,
        write=True,
        action="update" if request.method == "POST" else "read",
        what="contact details",
        source=_source(request),
    )
    if person.anonymised_at:
        raise Http404(_("The person is anonymised: there are no contact details to change."))
    visible = access.identity_visible(request.user, person)
    channels, language, _chosen = preferences_of(person)
    initial = {"channels": channels, "language": language}
    if visible:
        initial.update(email=person.email, mobile_phone=person.mobile_phone)
    form = ContactForm(request.POST or None, initial=initial, contact_visible=visible)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if visible:
                set_contact_details(
                    person,
                    email=data["email"],
                    mobile_phone=data["mobile_phone"],
                    actor=request.user,
                    source=_source(request),
                )
            set_preferences(person, data["channels"], request.user, language=data["language"], source=_source(request))
        except RuleError as exc:
            for v in exc.violations:
                form.add_error(v.field if v.field in form.fields else None, v.message)
        else:
            messages.success(request, _("The contact details and reminders are saved."))
            return redirect(reverse("person-detail", args=[person.pk]) + "#reminders")
    return _person_page(
        request,
        "web/workspace/form.html",
        person,
        {
            "form": form,
            "title": _("Contact details and reminders"),
            "intro": _(
                "The person gets reminders of meetings and plan reviews by the channels ticked, for which "
                "a contact detail is given. A person with protected identity gets only a neutral text "
                "that does not name the service."
            ),
        },
        status=422 if request.method == "POST" else 200,
    )
