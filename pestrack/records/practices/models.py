"""The self-assessment of a unit (the PES, or a part of it) against one practice of the catalogue."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NOT_STARTED = "not_started", _("not started")
    PARTLY = "partly", _("partly in place")
    IN_PLACE = "in_place", _("in place")


class PracticeAssessment(models.Model):
    """Where a unit stands on a practice, with notes, the unit's own measures that implement it, and
    who last changed it when (every change is also in the access log)."""

    org_unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="practice_assessments")
    # An id of the practice catalogue (profiles/_shared/practices.yaml or the profile's own file): data,
    # not a table, so checked by whoever writes (the page's form, the import).
    practice = models.CharField(max_length=80)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    notes = models.TextField(blank=True)
    measures = models.ManyToManyField("codes.Code", blank=True, related_name="practice_assessments")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["org_unit", "practice"]
        constraints = [models.UniqueConstraint(fields=["org_unit", "practice"], name="practice_assessment_per_unit")]

    def __str__(self) -> str:
        return f"{self.org_unit} {self.practice}: {self.status}"
