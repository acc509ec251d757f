"""Admin pages for enrolments and the records within them: only persons the user may see, and
forms that check casework.rules and show each violation beside its field.

A recorded entry is not changed or deleted here: its correction or withdrawal keeps the previous
version and the reason (records.casework.corrections, on the person page). So the admin adds new
entries but shows recorded assessments, plans, measures and follow-ups read-only, and an
enrolment's decision and exit read-only once it is saved; nothing is deleted."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext as _

from pestrack.records import access
from pestrack.records.admin_support import PersonRecordAdmin, PersonRecordInline, RulesForm
from pestrack.records.casework import rules
from pestrack.records.casework.models import Assessment, Enrolment, FollowUp, Participation, Plan
from pestrack.records.codes.profile import home_municipality

CORRECTED_ONLY = ("decision_reference", "decision_date", "end_date", "exit_reason")


class EnrolmentForm(RulesForm):
    class Meta:
        model = Enrolment
        fields = "__all__"

    def violations(self, data):
        if self.instance.pk:  # read-only fields (the decision, the exit) keep their recorded values
            data = {**{n: getattr(self.instance, n) for n in CORRECTED_ONLY if n not in self.fields}, **data}
        person = data.get("person")
        if person is None or person.birth_date is None:
            return []  # the person's own form reports what is missing
        out = rules.check_enrolment(
            birth_date=person.birth_date,
            municipality=person.municipality,
            home_municipality=home_municipality(),
            target_group=data["target_group"],
            entry_route=data["entry_route"],
            start_date=data["start_date"],
            end_date=data.get("end_date"),
            exit_reason=data.get("exit_reason"),
            decision_reference=data.get("decision_reference", ""),
            decision_date=data.get("decision_date"),
            last_worked=data.get("last_worked"),
            never_worked=bool(data.get("never_worked")),
        )
        out += rules.check_open_enrolment_unique(
            person.pk, data["programme"], data["start_date"], data.get("end_date"), exclude_pk=self.instance.pk
        )
        if self.user is not None:
            units = access.units_in_scope(self.user, write=True)
            if not units.filter(pk__in=[u.pk for u in (data["org_unit"], data.get("referring_unit")) if u]).exists():
                out.append(
                    rules.Violation(
                        "org_unit",
                        _("You can only record enrolments at, or referred from, your own organisation units."),
                    )
                )
        return out


class _EnrolmentChildForm(RulesForm):
    """A record within an enrolment: the rules need the enrolment and its person."""

    def violations(self, data):
        enrolment = data.get("enrolment")
        if enrolment is None:
            return []
        return self.check(data, enrolment)


class ParticipationForm(_EnrolmentChildForm):
    class Meta:
        model = Participation
        fields = "__all__"

    def check(self, data, enrolment):
        return rules.check_participation(
            measure=data["measure"],
            programme=enrolment.programme,
            birth_date=enrolment.person.birth_date,
            enrolment_start=enrolment.start_date,
            enrolment_end=enrolment.end_date,
            start_date=data["start_date"],
            end_date=data.get("end_date"),
            planned_end_date=data.get("planned_end_date"),
        )


class AssessmentForm(_EnrolmentChildForm):
    class Meta:
        model = Assessment
        fields = "__all__"

    def check(self, data, enrolment):
        return rules.check_assessment(instrument=data["instrument"], score=data.get("score"), date=data["date"])


class FollowUpForm(_EnrolmentChildForm):
    class Meta:
        model = FollowUp
        fields = "__all__"

    def check(self, data, enrolment):
        return rules.check_followup(
            months=data["months"], enrolment_end=enrolment.end_date, reference_date=data["reference_date"]
        )


class PlanForm(_EnrolmentChildForm):
    class Meta:
        model = Plan
        fields = "__all__"

    def check(self, data, enrolment):
        return rules.check_plan(date=data["date"], review_date=data.get("review_date"))


class EnrolmentInline(PersonRecordInline):
    model = Enrolment
    form = EnrolmentForm
    fk_name = "person"
    raw_id_fields = ("caseworker",)

    def get_readonly_fields(self, request, obj=None):
        # A new person's enrolment is new; the decision and exit of a person's saved enrolments
        # are corrected on the person page.
        return CORRECTED_ONLY if obj is not None and obj.pk else ()

    def get_min_num(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0  # a new person comes with the enrolment that puts them in scope


class _RecordInline(PersonRecordInline):
    """New entries may be added; recorded ones are shown, not changed (corrected on the person page)."""

    def has_change_permission(self, request, obj=None):
        return False


class AssessmentInline(_RecordInline):
    model = Assessment
    form = AssessmentForm
    raw_id_fields = ("assessor",)


class PlanInline(_RecordInline):
    model = Plan
    form = PlanForm


class ParticipationInline(_RecordInline):
    model = Participation
    form = ParticipationForm
    raw_id_fields = ("place",)


class FollowUpInline(_RecordInline):
    model = FollowUp
    form = FollowUpForm


@admin.register(Enrolment)
class EnrolmentAdmin(PersonRecordAdmin):
    form = EnrolmentForm
    person_path = "person"
    list_display = ("__str__", "person_id", "programme", "org_unit", "target_group", "start_date", "end_date")
    list_filter = ("programme", "target_group", "org_unit")
    date_hierarchy = "start_date"
    raw_id_fields = ("person",)
    list_select_related = ("programme", "org_unit", "target_group")
    inlines = [AssessmentInline, PlanInline, ParticipationInline, FollowUpInline]

    def get_readonly_fields(self, request, obj=None):
        # the caseworkers change only through casework.assignment (the workspace's "Change
        # caseworker"), which checks who may, to whom, and keeps the history with the reason
        return (*(CORRECTED_ONLY if obj is not None else ()), "caseworker", "second_caseworker")


class _EnrolmentChildAdmin(PersonRecordAdmin):
    """A recorded entry is shown read-only (corrected or withdrawn on the person page); new ones may be added."""

    person_path = "enrolment__person"
    raw_id_fields = ("enrolment",)

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)

    def person_of(self, obj):
        return obj.enrolment.person_id


@admin.register(Participation)
class ParticipationAdmin(_EnrolmentChildAdmin):
    form = ParticipationForm
    list_display = ("__str__", "enrolment", "measure", "start_date", "end_date")
    list_filter = ("measure",)
    list_select_related = ("enrolment", "measure")
    raw_id_fields = ("enrolment", "place")


@admin.register(Assessment)
class AssessmentAdmin(_EnrolmentChildAdmin):
    form = AssessmentForm
    list_display = ("__str__", "enrolment", "instrument", "date", "score", "band")
    list_select_related = ("enrolment", "instrument")
    raw_id_fields = ("enrolment", "assessor")


@admin.register(Plan)
class PlanAdmin(_EnrolmentChildAdmin):
    form = PlanForm
    list_display = ("__str__", "enrolment", "date")
    list_select_related = ("enrolment",)


@admin.register(FollowUp)
class FollowUpAdmin(_EnrolmentChildAdmin):
    form = FollowUpForm
    list_display = ("__str__", "enrolment", "months", "reference_date", "working", "studying", "self_sufficient")
    list_filter = ("months", "source")
    list_select_related = ("enrolment",)
