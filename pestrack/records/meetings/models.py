"""Meetings with a participant (and attendance in measures, added by this app's later migrations)."""

from django.conf import settings
from django.db import models

from pestrack.records.casework.models import code_fk


class Meeting(models.Model):
    """A booked meeting with a participant, in one of their enrolments; ``outcome`` is set afterwards
    (attended, cancelled in time, absent with or without notice)."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="meetings")
    enrolment = models.ForeignKey("casework.Enrolment", on_delete=models.CASCADE, related_name="meetings")
    kind = code_fk("meeting_kind")
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(default=60)
    place = models.CharField(max_length=200, blank=True)
    digital = models.BooleanField(default=False)
    other_bodies = models.ManyToManyField(
        "codes.Code", blank=True, related_name="+", limit_choices_to={"list": "other_body"}
    )
    outcome = code_fk("meeting_outcome", null=True, blank=True)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["enrolment", "starts_at"], name="meeting_enrolment_start"),
            models.Index(fields=["organiser", "starts_at"], name="meeting_organiser_start"),
        ]

    def __str__(self) -> str:
        return f"Meeting {self.pk} ({self.starts_at:%Y-%m-%d %H:%M})"


class Attendance(models.Model):
    """One day of a participation in a measure: present, or absent with a reason (``absence_reason``).
    A day not entered has no row."""

    participation = models.ForeignKey("casework.Participation", on_delete=models.CASCADE, related_name="attendance")
    date = models.DateField()
    present = models.BooleanField()
    absence_reason = code_fk("absence_reason", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["participation", "date"], name="attendance_one_per_day")]

    def __str__(self) -> str:
        return f"Attendance {self.participation_id} {self.date}"
