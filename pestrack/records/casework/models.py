"""Casework records, after DHIS2's enrolment/event model: an enrolment of a person in a programme
and the events recorded within it. Code-list fields point at codes.Code rows of the profile."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def code_fk(list_name: str, **kwargs):
    return models.ForeignKey(
        "codes.Code", on_delete=models.PROTECT, related_name="+", limit_choices_to={"list": list_name}, **kwargs
    )


class Enrolment(models.Model):
    """Inskrivning: a person's enrolment in a programme (e.g. Jobbtorg Stockholm); the exit is its end."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="enrolments")
    programme = code_fk("programme")
    org_unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="enrolments")
    referring_unit = models.ForeignKey(
        "org.OrgUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
        help_text="District or unit that referred the person",
    )
    referring_body = code_fk("referring_body", null=True, blank=True)
    target_group = code_fk("target_group")
    entry_route = code_fk("entry_route")
    decision_reference = models.CharField(max_length=60, blank=True, help_text="Social Services Act decision")
    decision_date = models.DateField(null=True, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    exit_reason = code_fk("exit_reason", null=True, blank=True)
    # The work history as the person tells it at enrolment (profiling's "time since last work",
    # docs/profiling.md): the month they last worked, or that they never have; neither when not asked.
    last_worked = models.DateField(
        null=True, blank=True, help_text="When the person last worked (as told at enrolment)"
    )
    never_worked = models.BooleanField(default=False, help_text="The person has never worked (as told at enrolment)")
    # The responsible caseworker, and optionally a second one; changed by casework.assignment.reassign
    # (each change kept as a CaseworkerChange).
    caseworker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    second_caseworker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_activity = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="Latest of the start, the decision and the dates of assessments, plans and measures; "
        "kept by casework.activity (NULL only between a bulk insert and its refresh)",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(fields=["person", "programme", "start_date"], name="enrolment_natural_key"),
            models.UniqueConstraint(
                fields=["person", "programme"],
                condition=Q(end_date__isnull=True),
                name="one_open_enrolment_per_programme",
            ),
        ]
        # A caseload: the open enrolments of some units, or referred from them, by last activity.
        indexes = [
            models.Index(
                fields=["org_unit", "last_activity", "id"],
                condition=Q(end_date__isnull=True),
                name="open_unit_last_activity",
            ),
            models.Index(
                fields=["referring_unit", "last_activity", "id"],
                condition=Q(end_date__isnull=True),
                name="open_referrer_last_activity",
            ),
            # the work list of one caseworker: their open enrolments without activity (records.casework.due)
            models.Index(
                fields=["caseworker", "last_activity"],
                condition=Q(end_date__isnull=True),
                name="open_caseworker_last_activity",
            ),
            # ... and their ended enrolments by exit date (follow-ups due)
            models.Index(
                fields=["caseworker", "end_date"], condition=Q(end_date__isnull=False), name="ended_caseworker_end_date"
            ),
            # "Mina ärenden" also lists the open enrolments a caseworker is the second caseworker of
            models.Index(
                fields=["second_caseworker"], condition=Q(end_date__isnull=True), name="open_second_caseworker"
            ),
        ]

    def __str__(self) -> str:
        return f"Enrolment {self.pk} ({self.start_date})"

    @property
    def is_open(self) -> bool:
        return self.end_date is None


class RecordQuerySet(models.QuerySet):
    def current(self):
        """The entries that count: not withdrawn (every figure and every rule reads these)."""
        return self.filter(withdrawn_at__isnull=True)


class Withdrawable(models.Model):
    """An entry that can be withdrawn (makulerad): marked, with who, when and why, never deleted.
    A withdrawn entry stays on the person page and in the register extract; no figure counts it."""

    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawal_reason = models.TextField(blank=True, default="", editable=False)

    objects = RecordQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class CaseworkerChange(models.Model):
    """One change of an enrolment's responsible (or second) caseworker: from whom, to whom, by whom,
    when and why. Never edited; the enrolment's history of caseworkers."""

    class Role(models.TextChoices):
        RESPONSIBLE = "responsible", "responsible"
        SECOND = "second", "second"

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="caseworker_changes")
    role = models.CharField(max_length=12, choices=Role.choices)
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField()

    class Meta:
        ordering = ["-changed_at", "-id"]


class Assessment(Withdrawable):
    """An assessment with an instrument of the profile, e.g. the Work Ability Index single item (0–10)."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="assessments")
    instrument = code_fk("instrument")
    date = models.DateField()
    score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    item_scores = models.JSONField(default=dict, blank=True)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-date"]
        indexes = [models.Index(fields=["enrolment", "date"], name="assessment_enrolment_date")]  # activity.py

    @property
    def band(self) -> str | None:
        """The instrument's band for the score, from its ``bands`` rule (WAI: 0–4, 5–7, 8–10)."""
        from pestrack.records.casework.bands import band_for

        return band_for(self.instrument, self.score)


class Plan(Withdrawable):
    """The participant's plan: goals, steps and their own view of how involved they were."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="plans")
    date = models.DateField()
    goals = models.TextField()
    steps = models.TextField(blank=True)
    participant_view = models.TextField(blank=True, help_text="The participant's own view of their involvement")
    participant_involved = models.BooleanField(null=True, blank=True)
    review_date = models.DateField(null=True, blank=True, help_text="When the plan is to be reviewed (the work list)")

    class Meta:
        ordering = ["-date"]
        indexes = [
            models.Index(fields=["enrolment", "date"], name="plan_enrolment_date"),  # activity.py
            # the work list's plan reviews: plans with a review date, by the date
            models.Index(
                fields=["enrolment", "review_date"], condition=Q(review_date__isnull=False), name="plan_review_due"
            ),
        ]


class Participation(Withdrawable):
    """Participation in a measure of the catalogue; a person may take part in several at once."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="participations")
    measure = code_fk("measure")
    provider_type = code_fk("provider_type", null=True, blank=True)
    provider_name = models.CharField(max_length=200, blank=True)
    place = models.ForeignKey(
        "employers.Place", null=True, blank=True, on_delete=models.SET_NULL, related_name="participations"
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    planned_end_date = models.DateField(null=True, blank=True, help_text="When the measure is planned to end")

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            # a withdrawn entry does not hold its key: the right one can be entered after it
            models.UniqueConstraint(
                fields=["enrolment", "measure", "start_date"],
                condition=Q(withdrawn_at__isnull=True),
                name="participation_natural_key",
                violation_error_message=_("This measure with this start date already exists in the enrolment."),
            )
        ]
        indexes = [  # an enrolment's last activity (activity.py)
            models.Index(fields=["enrolment", "start_date"], name="participation_enrolment_start"),
            models.Index(fields=["enrolment", "end_date"], name="participation_enrolment_end"),
            # the work list's overdue measures: open participations with a planned end
            models.Index(
                fields=["enrolment", "planned_end_date"],
                condition=Q(end_date__isnull=True, planned_end_date__isnull=False),
                name="participation_planned_end",
            ),
        ]


class FollowUp(Withdrawable):
    """Outcome N months after exit. ``None`` in a yes/no field means unknown."""

    class Source(models.TextChoices):
        REGISTER = "register", "register"
        SURVEY = "survey", "survey"

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="followups")
    months = models.PositiveSmallIntegerField()
    reference_date = models.DateField()
    working = models.BooleanField(null=True, blank=True)
    studying = models.BooleanField(null=True, blank=True)
    self_sufficient = models.BooleanField(null=True, blank=True, help_text="No försörjningsstöd")
    source = models.CharField(max_length=10, choices=Source.choices)

    class Meta:
        ordering = ["months"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "months", "source"],
                condition=Q(withdrawn_at__isnull=True),
                name="followup_natural_key",
                violation_error_message=_(
                    "A follow-up at these months from this source already exists in the enrolment."
                ),
            )
        ]


class Correction(models.Model):
    """One correction or withdrawal of an entry: what it was before, what it is now, why, who, when.

    The entry itself holds its current version (which every figure reads); these rows are its
    history, shown on the person page. A decision and an exit are parts of the enrolment
    (``record_id`` is then the enrolment's id)."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", "correction"
        WITHDRAWAL = "withdrawal", "withdrawal"

    class Record(models.TextChoices):
        DECISION = "decision", "decision"
        ASSESSMENT = "assessment", "assessment"
        PLAN = "plan", "plan"
        PARTICIPATION = "participation", "participation"
        EXIT = "exit", "exit"
        FOLLOWUP = "followup", "follow-up"

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="corrections")
    record_type = models.CharField(max_length=20, choices=Record.choices)
    record_id = models.BigIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    previous = models.JSONField(default=dict, help_text="The changed fields' values before")
    new = models.JSONField(
        default=dict, blank=True, help_text="The changed fields' values after (empty for a withdrawal)"
    )
    reason = models.TextField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["enrolment", "record_type", "record_id"], name="correction_record")]

    def __str__(self) -> str:
        return f"{self.kind} of {self.record_type} {self.record_id}"
