from django.db import models


class Code(models.Model):
    """One entry of a code list from the profile (``list`` names the list, e.g. ``target_group``).

    ``rules`` carries the entry's business rules as data, e.g. ``{"max_age": 19}`` on the KAA
    target group or ``{"requires_decision": true}`` on an entry route; see casework.rules.
    """

    list = models.CharField(max_length=40, db_index=True)
    code = models.CharField(max_length=60)
    name_sv = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    rules = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["list", "sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["list", "code"], name="code_unique_in_list")]

    def __str__(self) -> str:
        return f"{self.name_sv} ({self.code})"


class ProfileSetting(models.Model):
    """A named setting of the loaded profile (retention periods, home municipality, ...)."""

    key = models.CharField(max_length=80, unique=True)
    value = models.JSONField()

    def __str__(self) -> str:
        return f"{self.key} = {self.value!r}"

    @classmethod
    def get(cls, key: str, default=None):
        row = cls.objects.filter(key=key).first()
        return default if row is None else row.value
