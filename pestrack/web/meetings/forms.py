"""Forms of meetings and attendance. They only read the input: the rules are
records.meetings.rules, applied when the view writes, and their violations are put beside the field."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from pestrack.records.codes.models import Code
from pestrack.web.workspace.forms import DATE, code_label

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _codes(list_name: str):
    return Code.objects.filter(list=list_name, active=True)


class CodeChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return code_label(obj)


class CodeChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return code_label(obj)


class EnrolmentChoice(forms.ModelChoiceField):
    def label_from_instance(self, e):
        return f"{code_label(e.programme)}, {e.org_unit.name} ({date_format(e.start_date, 'SHORT_DATE_FORMAT')})"


def attach(form: forms.BaseForm, violations, rename=None) -> None:
    """Put each rule's violation beside its field (or at the top when the form has no such field)."""
    for v in violations:
        name = rename(v.field) if rename else v.field
        form.add_error(name if name in form.fields else None, v.message)


class MeetingForm(forms.Form):
    enrolment = EnrolmentChoice(queryset=None, label=_("Enrolment"), empty_label=None)
    kind = CodeChoice(queryset=None, label=_("Kind of meeting"))
    date = forms.DateField(label=_("Date"), widget=DATE)
    time = forms.TimeField(label=_("Time"), widget=TIME, help_text=_("For example 09:30."))
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), initial=60, min_value=5, max_value=600)
    digital = forms.BooleanField(label=_("Digital meeting"), required=False)
    place = forms.CharField(
        label=_("Place"),
        max_length=200,
        required=False,
        help_text=_("Where the meeting is held; not needed for a digital meeting."),
    )
    other_bodies = CodeChoices(
        queryset=None, label=_("Participants from other bodies"), required=False, widget=forms.CheckboxSelectMultiple
    )
    outcome = CodeChoice(
        queryset=None, label=_("Outcome"), required=False, help_text=_("Only for a meeting that has already been held.")
    )

    def __init__(self, *args, enrolments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enrolment"].queryset = enrolments
        self.fields["kind"].queryset = _codes("meeting_kind")
        self.fields["other_bodies"].queryset = _codes("other_body")
        self.fields["outcome"].queryset = _codes("meeting_outcome")
        self.fields["duration_minutes"].widget.attrs.update({"inputmode": "numeric"})

    def starts_at(self) -> dt.datetime:
        d = self.cleaned_data
        return timezone.make_aware(dt.datetime.combine(d["date"], d["time"]))

    def rule_field(self, name: str) -> str:
        return "date" if name == "starts_at" else name


class OutcomeForm(forms.Form):
    outcome = CodeChoice(queryset=None, label=_("Outcome"), widget=forms.RadioSelect, empty_label=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].queryset = _codes("meeting_outcome")


NOT_ENTERED, PRESENT, ABSENT = "", "present", "absent"


class AttendanceWeekForm(forms.Form):
    """A week of one participation: for each day not entered, present, or absent with a reason."""

    def __init__(self, *args, days: list[dt.date], selectable: set[dt.date], reasons, **kwargs):
        super().__init__(*args, **kwargs)
        self.days = days
        for day in days:
            label = date_format(day, "l j F")
            status = forms.ChoiceField(
                label=label,
                required=False,
                widget=forms.RadioSelect,
                choices=[(NOT_ENTERED, _("Not entered")), (PRESENT, _("Present")), (ABSENT, _("Absent"))],
            )
            reason = CodeChoice(
                queryset=reasons,
                required=False,
                label=_("Reason for absence, %(day)s") % {"day": label},
                empty_label=_("(no absence)"),
            )
            if day not in selectable:  # shown, but not offered (the rules refuse it if sent anyway)
                status.widget.attrs["disabled"] = True
                reason.widget.attrs["disabled"] = True
            self.fields[f"status_{day.isoformat()}"] = status
            self.fields[f"reason_{day.isoformat()}"] = reason

    def rows(self):
        return [(day, self[f"status_{day.isoformat()}"], self[f"reason_{day.isoformat()}"]) for day in self.days]

    def entries(self) -> dict[dt.date, tuple[bool, object] | None]:
        """What the form says of each day: (present, reason), or None for a day not entered."""
        out = {}
        for day in self.days:
            status = self.cleaned_data.get(f"status_{day.isoformat()}")
            reason = self.cleaned_data.get(f"reason_{day.isoformat()}")
            out[day] = None if status == NOT_ENTERED else (status == PRESENT, reason)
        return out

    @staticmethod
    def rule_field(name: str) -> str:
        return name.replace("day_", "status_", 1)


class ReportForm(forms.Form):
    month = forms.CharField(label=_("Month"), max_length=7, help_text=_("YYYY-MM, for example 2026-11."))
    unit = forms.ChoiceField(label=_("Referring social-services unit"))
    format = forms.ChoiceField(
        label=_("Format"),
        widget=forms.RadioSelect,
        initial="pdf",
        choices=[("pdf", "PDF"), ("csv", _("CSV (for Excel)"))],
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.code, u.name) for u in units]

    def clean_month(self):
        from pestrack.reports.attendance import parse_month

        try:
            month = parse_month(self.cleaned_data["month"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        if month > timezone.localdate():
            raise forms.ValidationError(_("The month has not begun yet."))
        return month
