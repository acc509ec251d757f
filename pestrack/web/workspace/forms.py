"""The caseworker's forms. Each is the admin's rules form (records.casework.admin) limited to the
fields a caseworker fills in on the page, so every business rule is checked by the same code as in
the admin, the API and the importer; violations appear beside their field."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from pestrack.records import access
from pestrack.records.casework import assignment
from pestrack.records.casework.admin import AssessmentForm, EnrolmentForm, FollowUpForm, ParticipationForm, PlanForm
from pestrack.records.casework.models import Enrolment, FollowUp
from pestrack.records.codes.models import Code
from pestrack.records.org.models import OrgUnit
from pestrack.records.people.admin import PersonAddForm

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def code_label(code: Code) -> str:
    """A code's name in the page's language."""
    return code.name_en if (get_language() or "sv").startswith("en") else code.name_sv


class WebFormMixin:
    """Codes named in the user's language and only active ones offered; dates as date inputs."""

    def setup_fields(self):
        for f in self.fields.values():
            if f.help_text and not isinstance(f.help_text, Promise):
                # a model's own help text is a note for developers, in English; a form gives its
                # help in the user's language (Meta.help_texts, translated) or none
                f.help_text = ""
            if isinstance(f, forms.ModelChoiceField) and f.queryset.model is Code:
                f.queryset = f.queryset.filter(active=True)
                f.label_from_instance = code_label
            if isinstance(f, forms.DateField):
                f.widget = DATE


def _enrolment_values(enrolment: Enrolment, data: dict) -> dict:
    """The enrolment as it would be saved: its current values overlaid with the form's."""
    names = (
        "person",
        "programme",
        "org_unit",
        "referring_unit",
        "target_group",
        "entry_route",
        "start_date",
        "end_date",
        "exit_reason",
        "decision_reference",
        "decision_date",
        "last_worked",
        "never_worked",
    )
    return {**{n: _value(enrolment, n) for n in names}, **data}


def _value(obj, name: str):
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:  # a relation not set yet on a new record
        return None


class _EnrolmentPart(WebFormMixin, EnrolmentForm):
    """Some fields of an enrolment; the rules see the whole enrolment as it would be saved."""

    every_field_required = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_fields()
        if self.every_field_required:
            for f in self.fields.values():
                f.required = True

    def violations(self, data):
        return super().violations(_enrolment_values(self.instance, data))


class EnrolForm(_EnrolmentPart):
    """A new enrolment of a person already in the register (the person is given by the page)."""

    every_field_required = False

    class Meta:
        model = Enrolment
        fields = [
            "programme",
            "org_unit",
            "referring_unit",
            "target_group",
            "entry_route",
            "start_date",
            "decision_reference",
            "decision_date",
            "last_worked",
            "never_worked",
            "caseworker",
            "second_caseworker",
        ]
        labels = {
            "caseworker": _("Responsible caseworker"),
            "second_caseworker": _("Second caseworker"),
            "programme": _("Programme"),
            "org_unit": _("Unit"),
            "referring_unit": _("Referred by"),
            "target_group": _("Target group"),
            "entry_route": _("Entry route"),
            "start_date": _("Start date"),
            "decision_reference": _("Decision reference"),
            "decision_date": _("Decision date"),
            "last_worked": _("Last in work"),
            "never_worked": _("Has never worked"),
        }
        help_texts = {
            "last_worked": _("When the person last worked, as they tell it (the month is enough: give its first day)."),
            "referring_unit": _("The district or unit that referred the person."),
            "decision_reference": _(
                "The Social Services Act decision, when the target group or entry route requires one."
            ),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["org_unit"].queryset = OrgUnit.objects.filter(
            kind__in=[OrgUnit.Kind.UNIT, OrgUnit.Kind.OFFICE]
        ).order_by("name")
        self.fields["referring_unit"].queryset = OrgUnit.objects.filter(kind=OrgUnit.Kind.DISTRICT).order_by("name")
        writable = access.units_in_scope(user, write=True).filter(kind__in=[OrgUnit.Kind.UNIT, OrgUnit.Kind.OFFICE])
        if writable.count() == 1 and not self.initial.get("org_unit"):
            self.initial["org_unit"] = writable.first().pk
        for name in ("caseworker", "second_caseworker"):
            self.fields[name].queryset = assignment.all_caseworkers()
            self.fields[name].label_from_instance = assignment.user_label
        self.fields["caseworker"].help_text = _(
            "A caseworker at the unit; you by default. Left empty by a "
            "referring district, the unit's manager assigns one."
        )

    def clean(self):
        data = super().clean()
        # empty: the caseworker who enrols, when they work at the unit (a referring district's
        # caseworker does not: the enrolment waits for the unit's manager to assign one)
        unit = data.get("org_unit")
        if (
            not data.get("caseworker")
            and unit is not None
            and self.user is not None
            and assignment.is_eligible(self.user, unit)
        ):
            data["caseworker"] = self.instance.caseworker = self.user
        return data

    def violations(self, data):
        return super().violations(data) + assignment.check_at_enrolment(
            data.get("org_unit"), data.get("caseworker"), data.get("second_caseworker")
        )


class DecisionForm(_EnrolmentPart):
    """The Social Services Act decision of an enrolment."""

    class Meta:
        model = Enrolment
        fields = ["decision_reference", "decision_date"]
        labels = EnrolForm.Meta.labels


class ExitForm(_EnrolmentPart):
    """The end of an enrolment, with its exit reason."""

    class Meta:
        model = Enrolment
        fields = ["end_date", "exit_reason"]
        labels = {"end_date": _("Exit date"), "exit_reason": _("Exit reason")}


class _OfEnrolment(WebFormMixin):
    """A record within an enrolment given by the page (``instance.enrolment``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_fields()

    def violations(self, data):
        return self.check(data, self.instance.enrolment)

    def _get_validation_exclusions(self):
        # The enrolment is not a field here, but it is set: the natural keys that include it (a
        # measure started twice on one day, a second follow-up at the same months from the same
        # source) must still be checked, or the save fails in the database.
        exclude = super()._get_validation_exclusions()
        exclude.discard("enrolment")
        return exclude


class WebAssessmentForm(_OfEnrolment, AssessmentForm):
    class Meta:
        model = AssessmentForm.Meta.model
        fields = ["instrument", "date", "score"]
        labels = {"instrument": _("Instrument"), "date": _("Date"), "score": _("Score")}
        help_texts = {"score": _("Work Ability Index: 0 (cannot work at all) to 10 (best ever).")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["score"].required = True
        self.fields["score"].widget.attrs.update({"inputmode": "decimal"})


class WebPlanForm(_OfEnrolment, PlanForm):
    class Meta:
        model = PlanForm.Meta.model
        fields = ["date", "goals", "steps", "participant_view", "participant_involved", "review_date"]
        labels = {
            "date": _("Date"),
            "goals": _("Goals"),
            "steps": _("Steps"),
            "participant_view": _("The participant's own view"),
            "participant_involved": _("The participant took part in making the plan"),
            "review_date": _("Review date"),
        }
        help_texts = {"review_date": _("When the plan is to be reviewed: it appears on your work list that day.")}
        widgets = {
            "goals": forms.Textarea(attrs={"rows": 3}),
            "steps": forms.Textarea(attrs={"rows": 3}),
            "participant_view": forms.Textarea(attrs={"rows": 2}),
        }


class StartMeasureForm(_OfEnrolment, ParticipationForm):
    class Meta:
        model = ParticipationForm.Meta.model
        fields = ["measure", "provider_type", "provider_name", "start_date", "planned_end_date"]
        labels = {
            "measure": _("Measure"),
            "provider_type": _("Provider type"),
            "provider_name": _("Provider"),
            "start_date": _("Start date"),
            "planned_end_date": _("Planned end date"),
        }
        help_texts = {"planned_end_date": _("If the measure is still open that day, it appears on your work list.")}


class WebFollowUpForm(_OfEnrolment, FollowUpForm):
    """What a person does some months after the exit, as the caseworker learnt it (asked by phone or
    survey, or read in a register)."""

    class Meta:
        model = FollowUpForm.Meta.model
        fields = ["months", "reference_date", "working", "studying", "self_sufficient", "source"]
        labels = {
            "months": _("Months after exit"),
            "reference_date": _("Date of the follow-up"),
            "working": _("Working"),
            "studying": _("Studying"),
            "self_sufficient": _("Self-sufficient (no income support)"),
            "source": _("Source"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [
            (FollowUp.Source.SURVEY, _("Asked the person (survey or call)")),
            (FollowUp.Source.REGISTER, _("Register")),
        ]


class EndMeasureForm(WebFormMixin, ParticipationForm):
    class Meta:
        model = ParticipationForm.Meta.model
        fields = ["end_date"]
        labels = {"end_date": _("End date")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_fields()
        self.fields["end_date"].required = True

    def violations(self, data):
        p = self.instance
        return self.check({"measure": p.measure, "start_date": p.start_date, **data}, p.enrolment)


class CorrectMeasureForm(StartMeasureForm):
    """A correction of a measure: what was recorded at its start, and its end when it has ended."""

    class Meta(StartMeasureForm.Meta):
        fields = [*StartMeasureForm.Meta.fields, "end_date"]
        labels = {**StartMeasureForm.Meta.labels, "end_date": _("End date")}


def reason_field(label) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept with the entry's history, visible to everyone who reads the person's record."),
    )


def correction_form(form_class):
    """``form_class`` (the form of a new entry, with its business rules) with the reason for the correction."""

    class Correct(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["reason"] = reason_field(_("Reason for the correction"))

    Correct.__name__ = f"Correct{form_class.__name__}"
    return Correct


class WithdrawForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"] = reason_field(_("Reason for the withdrawal"))


class NewPersonForm(WebFormMixin, PersonAddForm):
    """A person not yet in the register: the identity number is checked and gives the birth date."""

    class Meta(PersonAddForm.Meta):
        fields = ["first_name", "last_name", "sex", "municipality", "address", "protected_identity"]
        labels = {
            "first_name": _("First name"),
            "last_name": _("Last name"),
            "sex": _("Sex"),
            "municipality": _("Municipality code"),
            "address": _("Address"),
            "protected_identity": _("Protected identity (skyddade personuppgifter)"),
        }
        help_texts = {
            "municipality": _("Where the person is registered (folkbokförd): the four-digit municipality code."),
            "protected_identity": _(
                "Name, identity number and address are then masked for everyone "
                "without permission to see protected identities."
            ),
        }
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}

    field_order = ["identity_number", "first_name", "last_name", "sex", "municipality", "address", "protected_identity"]

    def __init__(self, *args, user=None, source: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.source = user, source
        self.setup_fields()
        self.fields["identity_number"].label = _("Identity number")
        self.fields["identity_number"].help_text = _("YYYYMMDD-NNNN or YYMMDD-NNNN")

    def person_url(self, person) -> str:
        return reverse("person-detail", args=[person.pk])


class ReassignForm(forms.Form):
    """A new responsible (or second) caseworker for one enrolment or several, with the reason.
    ``allow_none``: the new caseworker may be left empty to remove the second caseworker."""

    role = forms.ChoiceField(
        label=_("Which caseworker"),
        initial=assignment.RESPONSIBLE,
        choices=[(assignment.RESPONSIBLE, _("Responsible caseworker")), (assignment.SECOND, _("Second caseworker"))],
    )
    to_user = forms.ModelChoiceField(queryset=None, label=_("New caseworker"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=assignment.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why the caseworker changes, e.g. a new division of the caseload."),
    )

    def __init__(self, *args, caseworkers=None, allow_none: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = caseworkers if caseworkers is not None else assignment.all_caseworkers()
        self.fields["to_user"].label_from_instance = assignment.user_label
        if allow_none:
            self.fields["to_user"].required = False
            self.fields["to_user"].help_text = _("Leave it empty to remove the second caseworker.")
