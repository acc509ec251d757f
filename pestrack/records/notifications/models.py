"""What was sent to whom (``Notification``) and how each participant wants to be reached
(``NotificationPreference``). Neither holds an address, a phone number or a message text."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")


class Kind(models.TextChoices):
    MEETING = "meeting_reminder", _("Meeting reminder")
    PLAN_REVIEW = "plan_review_reminder", _("Plan review reminder")


class Status(models.TextChoices):
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


LANGUAGES = [("sv", "Svenska"), ("en", "English")]


class NotificationPreference(models.Model):
    """The participant's choice: which channels, in which language. No row: the profile's
    ``notifications.default_channels``, in Swedish. Neither channel: the person has opted out."""

    person = models.OneToOneField("people.Person", on_delete=models.CASCADE, related_name="notification_preference")
    by_email = models.BooleanField(default=False)
    by_sms = models.BooleanField(default=False)
    language = models.CharField(max_length=8, choices=LANGUAGES, default="sv")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Notification preference of person {self.person_id}"

    @property
    def channels(self) -> list[str]:
        return [c for c, on in ((Channel.EMAIL, self.by_email), (Channel.SMS, self.by_sms)) if on]


class Notification(models.Model):
    """One reminder by one channel: sent, or failed (tried again by the next run, see
    ``notifications.reminders``). ``occasion`` names what it reminds of, with its time, so that a
    meeting moved to another time is reminded of again, and nothing else twice."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    meeting = models.ForeignKey(
        "meetings.Meeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    plan = models.ForeignKey("casework.Plan", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    occasion = models.CharField(max_length=80, help_text="e.g. meeting:12:2026-12-08T09:00:00+00:00")
    about_date = models.DateField(help_text="The day of the meeting, or the plan's review date")
    status = models.CharField(max_length=8, choices=Status.choices)
    attempts = models.PositiveSmallIntegerField(default=0)
    neutral = models.BooleanField(default=False, help_text="Sent with the neutral text (protected identity)")
    language = models.CharField(max_length=8, choices=LANGUAGES, default="sv")
    error = models.CharField(max_length=300, blank=True, help_text="Why the last attempt failed (no address)")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["occasion", "channel"], name="notification_once_per_channel")]
        indexes = [models.Index(fields=["person", "created_at"], name="notification_person_created")]

    def __str__(self) -> str:
        return f"Notification {self.pk} ({self.kind} by {self.channel}: {self.status})"
