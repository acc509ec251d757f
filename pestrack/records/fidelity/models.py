"""An IPS fidelity review of a unit on a date: the 25 item scores, the total and the category."""

from django.db import models

from pestrack.records.fidelity import scale


class FidelityReview(models.Model):
    org_unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="fidelity_reviews")
    review_date = models.DateField()
    item_scores = models.JSONField(help_text="Item number (1-25) to score (1-5)")
    total = models.PositiveSmallIntegerField(editable=False)
    category = models.CharField(max_length=20, editable=False)
    reviewers = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["org_unit", "-review_date"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "review_date"], name="fidelity_review_per_unit_date")
        ]

    def __str__(self) -> str:
        return f"{self.org_unit} {self.review_date}: {self.total} ({self.category})"

    def clean(self):
        from django.core.exceptions import ValidationError

        try:
            scale.check_items(self.item_scores or {})
        except scale.FidelityError as exc:
            raise ValidationError({"item_scores": str(exc)}) from exc

    def save(self, *args, **kwargs):
        """Total and category always follow the item scores (a bad score raises FidelityError)."""
        items = scale.check_items(self.item_scores or {})
        self.item_scores = {str(k): v for k, v in sorted(items.items())}
        self.total = sum(items.values())
        self.category = scale.category(self.total)
        super().save(*args, **kwargs)
