from django.db import models
from django.utils.translation import gettext_lazy as _

from pestrack.records.people import identity


class Sex(models.TextChoices):
    """Sex as used for statistics (the report's women/men split)."""

    WOMAN = "woman", _("woman")
    MAN = "man", _("man")


class Person(models.Model):
    """A participant (DHIS2's tracked entity). The identity number is never stored in clear."""

    pin_hash = models.CharField(max_length=64, unique=True, editable=False)
    pin_encrypted = models.TextField(editable=False)
    is_coordination_number = models.BooleanField(default=False, editable=False)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    sex = models.CharField(max_length=5, choices=Sex.choices)
    municipality = models.CharField(
        max_length=4, help_text="Municipality code of registration (folkbokföring), four digits"
    )
    address = models.TextField(blank=True)
    # How the service reaches the person (the portal, reminders); identifying, so masked with the name.
    email = models.EmailField(blank=True)
    mobile_phone = models.CharField(max_length=20, blank=True)
    education_level = models.ForeignKey(
        "codes.Code",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"list": "education_level"},
    )
    born_abroad = models.BooleanField(null=True, blank=True)
    arrival_year = models.PositiveSmallIntegerField(null=True, blank=True)
    protected_identity = models.BooleanField(default=False, help_text="Skyddade personuppgifter")
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return f"Person {self.pk}"

    def set_identity_number(self, number: "identity.IdentityNumber | str") -> None:
        parsed = identity.parse(number) if isinstance(number, str) else number
        self.pin_hash = identity.lookup_hash(parsed)
        self.pin_encrypted = identity.encrypt(parsed)
        self.is_coordination_number = parsed.is_coordination_number

    @property
    def identity_number(self) -> str:
        """The number in clear, ``YYYYMMDD-NNNN``: show it only through records.access."""
        if self.anonymised_at:
            return ""
        return identity.format_digits(identity.decrypt(self.pin_encrypted))

    @classmethod
    def find_by_identity_number(cls, number: str) -> "Person | None":
        return cls.objects.filter(pin_hash=identity.lookup_hash(number)).first()
