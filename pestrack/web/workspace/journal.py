"""The journal on the person page, the person's journal page, and the pages that write, edit,
sign and correct an entry. The rules are records.journal.rules; access is records.access (the
person in the user's units; writing in an enrolment their units enrolled or referred); every read
and write is logged."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from pestrack.records import access
from pestrack.records.admin_support import attach_violations
from pestrack.records.casework.assignment import user_label
from pestrack.records.casework.models import Participation
from pestrack.records.codes.models import Code
from pestrack.records.journal import rules
from pestrack.records.journal.models import JournalEntry
from pestrack.records.meetings.models import Meeting
from pestrack.web.workspace.common import _person_page, _source, _writable_enrolments, enrolment_label
from pestrack.web.workspace.forms import DATE, code_label

PERSON_PAGE_ENTRIES = 10  # the newest entries on the person page; the journal page has them all
JOURNAL_PAGE_SIZE = 25


def _dt(value) -> str:
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


# --- Forms ------------------------------------------------------------------------------------


class _TextFields(forms.Form):
    kind = forms.ModelChoiceField(queryset=Code.objects.none(), label=gettext_lazy("Kind"), empty_label=None)
    date = forms.DateField(label=gettext_lazy("Date of the event"), widget=DATE)
    text = forms.CharField(
        label=gettext_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 6}),
        strip=False,
        error_messages={"required": gettext_lazy("Write the text of the entry.")},
        help_text=gettext_lazy("Plain text, at most 20,000 characters."),
    )

    def __init__(self, *args, kinds=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = Code.objects.filter(list="journal_kind", active=True)
        if kinds is not None:  # already fetched: the choices come from them, without a query
            self.fields["kind"].choices = [(c.pk, code_label(c)) for c in kinds]
        self.fields["kind"].label_from_instance = code_label

    def show_violations(self, refused: rules.Refused) -> None:
        attach_violations(self, refused.violations)


class EntryForm(_TextFields):
    """A new entry (``enrolments`` given) or an unsigned one being edited by its author."""

    enrolment = forms.TypedChoiceField(label=gettext_lazy("Enrolment"), coerce=int)
    meeting = forms.ModelChoiceField(queryset=Meeting.objects.none(), required=False, label=gettext_lazy("Meeting"))
    participation = forms.ModelChoiceField(
        queryset=Participation.objects.none(), required=False, label=gettext_lazy("Measure")
    )
    sign = forms.BooleanField(
        required=False,
        label=gettext_lazy("Sign the entry now"),
        help_text=gettext_lazy(
            "An unsigned entry can be changed by you until it is signed; it is signed automatically after 24 hours."
        ),
    )
    field_order = ["enrolment", "kind", "date", "text", "meeting", "participation", "sign"]

    def __init__(self, *args, person, enrolments=None, links=True, **kwargs):
        super().__init__(*args, **kwargs)
        if enrolments is None:
            del self.fields["enrolment"]
        else:
            self.fields["enrolment"].choices = [(e.pk, enrolment_label(e)) for e in enrolments]
            if len(enrolments) == 1:
                self.fields["enrolment"].initial = enrolments[0].pk
        if links:
            self.fields["meeting"].queryset = Meeting.objects.filter(person=person).select_related("kind")
            self.fields["meeting"].label_from_instance = lambda m: f"{_dt(m.starts_at)} {code_label(m.kind)}"
            self.fields["participation"].queryset = Participation.objects.filter(
                enrolment__person=person
            ).select_related("measure")
            self.fields["participation"].label_from_instance = lambda p: (
                f"{code_label(p.measure)} ({date_format(p.start_date, 'SHORT_DATE_FORMAT')})"
            )
        else:
            del self.fields["meeting"], self.fields["participation"]


class CorrectionForm(_TextFields):
    reason = forms.CharField(
        label=gettext_lazy("Why is the entry corrected?"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    withdraws = forms.BooleanField(
        required=False,
        label=gettext_lazy("Withdraw the corrected entry"),
        help_text=gettext_lazy(
            "For an entry that should not have been written, e.g. "
            "on the wrong person. It stays visible, marked withdrawn."
        ),
    )
    field_order = ["reason", "kind", "date", "text", "withdraws"]


# --- Showing entries --------------------------------------------------------------------------


def entries_of(person) -> rules.QuerySet:
    """The person's entries, newest first, with what the page shows of them and their history."""
    from django.db.models import OuterRef, Subquery

    from pestrack.records.journal.models import Message

    return (
        rules.with_history(
            JournalEntry.objects.filter(person=person).select_related(
                "kind", "author", "meeting", "participation__measure"
            )
        )
        .annotate(  # a message of the participant portal: which way it went
            portal_from=Subquery(Message.objects.filter(journal_entry=OuterRef("pk")).values("from_participant")[:1])
        )
        .order_by("-date", "-created_at", "-pk")
    )


def shown_entry(entry: JournalEntry, user, writable: bool, now=None) -> dict:
    """An entry's texts as the pages show them, and what ``user`` may do with it."""
    now = now or timezone.now()
    signed = rules.is_signed(entry, now)
    withdrawn = getattr(entry, "withdrawn", False)
    history = [_("Written %(t)s by %(who)s") % {"t": _dt(entry.created_at), "who": user_label(entry.author)}]
    if entry.edited_at:
        history.append(_("Changed %(t)s") % {"t": _dt(entry.edited_at)})
    if signed:
        history.append(
            (_("Signed automatically %(t)s") if entry.auto_signed or not entry.signed_at else _("Signed %(t)s"))
            % {"t": _dt(rules.signed_time(entry))}
        )
    else:
        history.append(_("Unsigned: signed automatically %(t)s") % {"t": _dt(rules.signed_time(entry))})
    portal = getattr(entry, "portal_from", None)
    return {
        "portal": ""
        if portal is None
        else _("Message from the participant in the participant portal")
        if portal
        else _("Message to the participant in the participant portal"),
        "id": entry.pk,
        "enrolment_id": entry.enrolment_id,
        "iso": entry.date.isoformat(),
        "date": date_format(entry.date, "SHORT_DATE_FORMAT"),
        "kind": code_label(entry.kind),
        "author": user_label(entry.author),
        "text": linebreaksbr(entry.text, autoescape=True),
        "signed": signed,
        "history": history,
        "withdrawn": withdrawn,
        "withdraws": entry.withdraws,
        "corrects": entry.corrects_id,
        "reason": entry.correction_reason,
        "corrected_by": getattr(entry, "corrected_by", None),
        "meeting": f"{_dt(entry.meeting.starts_at)}" if entry.meeting_id else "",
        "measure": code_label(entry.participation.measure) if entry.participation_id else "",
        "may_edit": not signed and entry.author_id == user.pk and writable,
        "may_correct": signed and writable and not withdrawn and access.has_role(user, *access.WRITE_ROLES),
    }


def person_page_journal(request, person, enrolments, writable_ids: set[int]) -> dict:
    """The person page's journal: the newest entries per enrolment and the form for a new one."""
    rows = list(entries_of(person)[: PERSON_PAGE_ENTRIES + 1])
    more = len(rows) > PERSON_PAGE_ENTRIES
    now = timezone.now()
    by_enrolment: dict[int, list] = {}
    for entry in rows[:PERSON_PAGE_ENTRIES]:
        by_enrolment.setdefault(entry.enrolment_id, []).append(
            shown_entry(entry, request.user, entry.enrolment_id in writable_ids, now)
        )
    writable = [e for e in enrolments if e.pk in writable_ids]
    form = None
    if writable and access.has_role(request.user, *access.WRITE_ROLES):
        kinds = list(Code.objects.filter(list="journal_kind", active=True))
        form = EntryForm(
            person=person, enrolments=writable, links=False, kinds=kinds, initial={"date": timezone.localdate()}
        )
    groups = [
        {"enrolment": e, "label": enrolment_label(e), "entries": by_enrolment[e.pk]}
        for e in enrolments
        if e.pk in by_enrolment
    ]
    return {"groups": groups, "more": more, "form": form}


# --- Pages ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def person_journal(request, person_id):
    """All the person's entries, newest first, paged; a POST writes a new entry."""
    writing = request.method == "POST"
    person = access.get_person_for(
        request.user,
        person_id,
        action="create" if writing else "read",
        write=writing,
        what="journal",
        source=_source(request),
    )
    writable = _writable_enrolments(request.user, person) if access.has_role(request.user, *access.WRITE_ROLES) else []
    if writing and not writable:
        access.deny(request.user, person.pk, action="create", what="journal", source=_source(request))
    form = (
        EntryForm(
            request.POST if writing else None,
            person=person,
            enrolments=writable or None,
            initial={"date": timezone.localdate()},
        )
        if writable
        else None
    )
    if writing:
        if form.is_valid():
            try:
                entry = rules.write(
                    request.user,
                    enrolment=next(e for e in writable if e.pk == form.cleaned_data["enrolment"]),
                    kind=form.cleaned_data["kind"],
                    date=form.cleaned_data["date"],
                    text=form.cleaned_data["text"],
                    meeting=form.cleaned_data.get("meeting"),
                    participation=form.cleaned_data.get("participation"),
                    sign=form.cleaned_data["sign"],
                )
            except rules.Refused as refused:
                form.show_violations(refused)
            else:
                rules.log_written(request.user, entry, source=_source(request))
                messages.success(
                    request,
                    _("The journal entry is saved and signed.")
                    if entry.signed_at
                    else _("The journal entry is saved. It is not signed yet."),
                )
                back = (
                    reverse("person-detail", args=[person.pk])
                    if request.POST.get("back") == "person"
                    else reverse("person-journal", args=[person.pk])
                )
                return redirect(f"{back}#journal-entry-{entry.pk}")
    writable_ids = {e.pk for e in writable}
    page = Paginator(entries_of(person), JOURNAL_PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    entries = [shown_entry(e, request.user, e.enrolment_id in writable_ids, now) for e in page]
    return _person_page(
        request,
        "web/workspace/journal.html",
        person,
        {"page": page, "entries": entries, "form": form},
        status=422 if writing else 200,
    )


def _entry_for(request, entry_id, *, write: bool, what: str, action: str | None = None) -> JournalEntry:
    """The entry if the user may read (or write in) its enrolment; 404 if none; 403 logged."""
    person_id = JournalEntry.objects.filter(pk=entry_id).values_list("person_id", flat=True).first()
    if person_id is None:
        raise Http404(_("No such record."))
    action = action or ("update" if write else "read")
    access.get_person_for(request.user, person_id, action=action, write=write, what=what, source=_source(request))
    entry = rules.with_history(
        JournalEntry.objects.select_related(
            "kind",
            "author",
            "meeting",
            "participation__measure",
            "enrolment__programme",
            "enrolment__org_unit",
            "person",
            "corrects",
        )
    ).get(pk=entry_id)
    if write and not access.may_write_enrolment(request.user, entry.enrolment):
        access.deny(request.user, person_id, action=action, what=what, source=_source(request))
    return entry


@login_required
@require_http_methods(["GET", "POST"])
def entry_page(request, entry_id):
    """One entry with its history and corrections; its author edits it here while it is unsigned."""
    writing = request.method == "POST"
    entry = _entry_for(request, entry_id, write=writing, what="journal entry")
    writable = access.may_write_enrolment(request.user, entry.enrolment)
    form = None
    if writable and not rules.check_edit(entry, request.user):
        form = EntryForm(
            request.POST if writing else None,
            person=entry.person,
            initial={
                "kind": entry.kind,
                "date": entry.date,
                "text": entry.text,
                "meeting": entry.meeting,
                "participation": entry.participation,
            },
        )
    if writing:
        refused = rules.check_edit(entry, request.user)
        if refused:  # signed meanwhile, or not the author: nothing is changed
            rules.log_entry(request.user, "denied", entry, "refused update", source=_source(request))
            messages.error(request, refused[0].message)
            return redirect("journal-entry", entry.pk)
        if form.is_valid():
            try:
                rules.edit(
                    entry,
                    request.user,
                    **{k: form.cleaned_data[k] for k in ("kind", "date", "text", "meeting", "participation", "sign")},
                )
            except rules.Refused as exc:
                form.show_violations(exc)
            else:
                detail = "changed and signed" if form.cleaned_data["sign"] else "changed"
                rules.log_entry(request.user, "update", entry, detail, source=_source(request))
                messages.success(request, _("The journal entry is saved."))
                return redirect("journal-entry", entry.pk)
    corrections = list(
        rules.with_history(
            entry.corrections.select_related("kind", "author", "meeting", "participation__measure")
        ).order_by("created_at")
    )
    now = timezone.now()
    return _person_page(
        request,
        "web/workspace/journal_entry.html",
        entry.person,
        {
            "entry": shown_entry(entry, request.user, writable, now),
            "enrolment": enrolment_label(entry.enrolment),
            "corrected": shown_entry(entry.corrects, request.user, writable, now) if entry.corrects_id else None,
            "corrections": [shown_entry(c, request.user, writable, now) for c in corrections],
            "form": form,
        },
        status=422 if writing else 200,
    )


@login_required
@require_POST
def sign_entry(request, entry_id):
    entry = _entry_for(request, entry_id, write=True, what="journal entry")
    try:
        rules.sign(entry, request.user)
    except rules.Refused as exc:
        rules.log_entry(request.user, "denied", entry, "refused sign", source=_source(request))
        messages.error(request, exc.violations[0].message)
    else:
        rules.log_signed(request.user, entry, source=_source(request))
        messages.success(request, _("The journal entry is signed."))
    if request.POST.get("back") == "person":
        return redirect(reverse("person-detail", args=[entry.person_id]) + f"#journal-entry-{entry.pk}")
    return redirect("journal-entry", entry.pk)


@login_required
@require_http_methods(["GET", "POST"])
def correct_entry(request, entry_id):
    """A new entry that corrects a signed one (and says why), in the same enrolment."""
    entry = _entry_for(
        request, entry_id, write=True, what="journal entry", action="create" if request.method == "POST" else "read"
    )
    refused = rules.check_correctable(entry)
    if refused:
        messages.error(request, refused[0].message)
        return redirect("journal-entry", entry.pk)
    form = CorrectionForm(request.POST or None, initial={"kind": entry.kind, "date": entry.date, "text": entry.text})
    if request.method == "POST" and form.is_valid():
        try:
            new = rules.correct(
                entry,
                request.user,
                kind=form.cleaned_data["kind"],
                date=form.cleaned_data["date"],
                text=form.cleaned_data["text"],
                reason=form.cleaned_data["reason"],
                withdraws=form.cleaned_data["withdraws"],
            )
        except rules.Refused as exc:
            form.show_violations(exc)
        else:
            rules.log_correction(request.user, new, source=_source(request))
            messages.success(request, _("The correction is saved and signed; the corrected entry stays visible."))
            return redirect("journal-entry", new.pk)
    return _person_page(
        request,
        "web/workspace/journal_correct.html",
        entry.person,
        {"entry": shown_entry(entry, request.user, True), "form": form},
        status=422 if request.method == "POST" else 200,
    )
