"""Employer relations (CRM): employers, their contact persons, agreements and contact log; the places
and vacancies they offer; placements of participants in them; and each participant's matching
profile. Skills and occupations are ESCO concept ids (see pestrack.matching.esco)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SizeBand(models.TextChoices):
    MICRO = "0-9", "0–9"
    SMALL = "10-49", "10–49"
    MEDIUM = "50-249", "50–249"
    LARGE = "250+", "250+"


class Employer(models.Model):
    org_number = models.CharField(max_length=11, unique=True, help_text="Organisationsnummer NNNNNN-NNNN")
    name = models.CharField(max_length=200)
    sector_code = models.CharField(max_length=10, blank=True, help_text="SNI/NACE code")
    city_unit = models.ForeignKey(
        "org.OrgUnit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Set when the employer is a unit of the city itself",
    )
    size_band = models.CharField(max_length=7, choices=SizeBand.choices, blank=True)
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=6, blank=True)
    town = models.CharField(max_length=100, blank=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Employer-relations staff responsible",
    )

    def __str__(self) -> str:
        return self.name


class ContactPerson(models.Model):
    employer = models.ForeignKey(Employer, on_delete=models.CASCADE, related_name="contact_persons")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.employer})"


class Agreement(models.Model):
    """A social clause in procurement, a partnership, the Integration Pact, ..."""

    employer = models.ForeignKey(Employer, on_delete=models.CASCADE, related_name="agreements")
    kind = models.ForeignKey(
        "codes.Code", on_delete=models.PROTECT, related_name="+", limit_choices_to={"list": "employer_agreement"}
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)


class Contact(models.Model):
    """One entry of the employer contact log, with the date by which to follow it up."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("visit")
        CALL = "call", _("call")
        EVENT = "event", _("event")
        AGREEMENT = "agreement", _("agreement")
        EMAIL = "email", _("email")

    employer = models.ForeignKey(Employer, on_delete=models.CASCADE, related_name="contacts")
    date = models.DateField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    follow_up_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-date"]


class Place(models.Model):
    """A place or vacancy: Stockholmsjobb, feriejobb, praktik, a regular vacancy, wage-subsidised, OSA."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        FILLED = "filled", _("filled")
        CLOSED = "closed", _("closed")
        EXPIRED = "expired", _("expired")

    kind = models.ForeignKey(
        "codes.Code", on_delete=models.PROTECT, related_name="+", limit_choices_to={"list": "place_type"}
    )
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="places")
    reference = models.CharField(
        max_length=60, blank=True, help_text="The employer's or the import file's id of the place"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    occupation = models.CharField(max_length=36, blank=True, help_text="ESCO occupation id")
    isco_group = models.CharField(max_length=4, blank=True, help_text="ISCO-08 unit group (4 digits)")
    required_skills = models.JSONField(default=list, blank=True, help_text="ESCO skill ids")
    optional_skills = models.JSONField(default=list, blank=True, help_text="ESCO skill ids")
    swedish_level = models.PositiveSmallIntegerField(default=0, help_text="0 none, 1–6 CEFR A1–C2")
    driving_licence = models.BooleanField(default=False, help_text="A driving licence (B) is required")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    hours_per_week = models.PositiveSmallIntegerField(null=True, blank=True)
    positions = models.PositiveIntegerField(default=1)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_date = models.DateField(null=True, blank=True)
    status_date = models.DateField(null=True, blank=True, help_text="When the place got its current status")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "reference"], condition=~Q(reference=""), name="place_reference_per_employer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.employer})"


class Placement(models.Model):
    """A participant proposed for a place, and what came of it (interview, hire, how long it lasted)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        INTERVIEWED = "interviewed", _("interviewed")
        HIRED = "hired", _("hired")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")

    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="placements")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="placements")
    status = models.CharField(max_length=11, choices=Status.choices, default=Status.PROPOSED)
    proposed_date = models.DateField()
    interview_date = models.DateField(null=True, blank=True)
    hired_date = models.DateField(null=True, blank=True)
    ended_date = models.DateField(null=True, blank=True, help_text="Last day of the employment")
    employer_satisfaction = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1–5")
    score = models.FloatField(null=True, blank=True, help_text="The match score when proposed")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-proposed_date"]
        constraints = [models.UniqueConstraint(fields=["place", "person"], name="placement_once_per_place")]


class MatchProfile(models.Model):
    """What matching knows of a participant: desired occupations, skills, experience, Swedish level,
    licence, where they can travel, hours and start date."""

    person = models.OneToOneField("people.Person", on_delete=models.CASCADE, related_name="match_profile")
    desired_occupations = models.JSONField(default=list, blank=True, help_text="ESCO occupation ids")
    skills = models.JSONField(default=list, blank=True, help_text="ESCO skill ids")
    experience = models.JSONField(default=list, blank=True, help_text="ESCO occupation ids worked in")
    summary = models.TextField(blank=True, help_text="Free text: CV summary, interests")
    swedish_level = models.PositiveSmallIntegerField(default=0, help_text="0 none, 1–6 CEFR A1–C2")
    driving_licence = models.BooleanField(default=False)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    max_travel_km = models.FloatField(null=True, blank=True)
    max_hours_per_week = models.PositiveSmallIntegerField(null=True, blank=True)
    available_from = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)


class PlaceInterest(models.Model):
    """A participant said, in the portal, that they are interested in a place. Their caseworker sees
    it on the person page and in the work list until they mark it as seen."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="place_interests")
    enrolment = models.ForeignKey("casework.Enrolment", on_delete=models.CASCADE, related_name="place_interests")
    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="interests")
    created_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField(null=True, blank=True)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "place"], name="place_interest_once")]

    def __str__(self) -> str:
        return f"Interest of person {self.person_id} in place {self.place_id}"
