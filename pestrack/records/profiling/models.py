"""What profiling leaves in the records: each estimate shown to a caseworker, and the caseworker's own
assessment of it. The estimate is advice: it changes no other record (GDPR art. 22)."""

from django.conf import settings
from django.db import models


class Estimate(models.Model):
    """The estimate of one model for one enrolment, made when it was first shown."""

    enrolment = models.ForeignKey("casework.Enrolment", on_delete=models.CASCADE, related_name="profiling_estimates")
    model_id = models.CharField(max_length=32)
    model_kind = models.CharField(max_length=20)
    probability = models.FloatField()
    cutoff = models.FloatField()
    suggests_intensive = models.BooleanField(help_text="The estimate is at or above the cut-off")
    inputs = models.JSONField(help_text="The input values the estimate used")
    reasons = models.JSONField(help_text="The main reasons: input, value, effect on the log-odds")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrolment", "model_id"], name="one_estimate_per_model")]


class Judgement(models.Model):
    """The caseworker's own assessment: intensive support or not, and whether that follows the
    estimate; a different assessment carries its reason. The latest one counts."""

    estimate = models.ForeignKey(Estimate, on_delete=models.CASCADE, related_name="judgements")
    caseworker = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    intensive = models.BooleanField(help_text="The caseworker's assessment: intensive support")
    follows = models.BooleanField(help_text="The assessment is the estimate's suggestion")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class MonitoringResult(models.Model):
    """The monitoring page's audit of a model on the analytics tables (calibration and error rates by
    group on the newer cohorts), computed once per model and version of the tables: the page reads it
    instead of auditing again on every load. A new model or a new extract (new outcomes) gives a new
    version, computed on the next load; older versions of the model are dropped then."""

    model_id = models.CharField(max_length=32)
    data_version = models.CharField(max_length=64, help_text="SHA-256 of the analytics tables' manifest and files")
    as_of = models.CharField(max_length=10, help_text="The data's last date")
    result = models.JSONField()
    computed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model_id", "data_version"], name="one_monitoring_result_per_version")
        ]
