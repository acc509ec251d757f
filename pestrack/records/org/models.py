from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgUnit(models.Model):
    """A node of the organisation tree: city → administration → unit/office; districts refer."""

    class Kind(models.TextChoices):
        CITY = "city", _("city")
        ADMINISTRATION = "administration", _("administration")
        UNIT = "unit", _("unit")
        OFFICE = "office", _("office")
        DISTRICT = "district", _("district administration")

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # Materialised path of codes, "/stockholm/amf/jt-city/", so that a subtree is one prefix query.
    path = models.CharField(max_length=1000, db_index=True, editable=False)

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent_id else "/") + self.code + "/"
        super().save(*args, **kwargs)


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("caseworker")
    UNIT_MANAGER = "unit_manager", _("unit manager")
    ANALYST = "analyst", _("analyst")
    EMPLOYER_RELATIONS = "employer_relations", _("employer relations")
    DPO = "dpo", _("data protection officer")
    ADMIN = "admin", _("administrator")
    # an organisation outside (another PES, a region, a research partner) with an agreement: the
    # labour-market observatory's partners' tier (docs/lmi.md), no person records
    PARTNER = "partner", _("partner")


class Assignment(models.Model):
    """A staff user's role in an organisation unit (and, implicitly, all units below it)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(max_length=30, choices=Role.choices)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="assignments")
    # Explicit permission to see protected identities (skyddade personuppgifter) unmasked.
    may_see_protected = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role", "unit"], name="assignment_unique")]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.unit}"
