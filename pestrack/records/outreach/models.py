from django.db import models


class OutreachContact(models.Model):
    """One outreach contact, recorded without identifying the person (only sex and age band)."""

    date = models.DateField()
    org_unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")
    target_group = models.ForeignKey(
        "codes.Code",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"list": "target_group"},
    )
    sex = models.CharField(max_length=5, blank=True, choices=[("woman", "woman"), ("man", "man")])
    age_band = models.CharField(max_length=10, blank=True)
    level = models.PositiveSmallIntegerField(
        default=1, help_text="Outreach level 1 (guidance) or 2 (structured measures)"
    )
    outcome = models.CharField(
        max_length=60, blank=True, help_text="The profile's outcome code, e.g. enrolled, studies"
    )


class SurveyAnswer(models.Model):
    """An answer to a participant survey question; the enrolment link is optional (anonymous surveys)."""

    survey = models.CharField(max_length=60)
    question = models.CharField(max_length=60)
    date = models.DateField()
    enrolment = models.ForeignKey(
        "casework.Enrolment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    org_unit = models.ForeignKey("org.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    value = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
