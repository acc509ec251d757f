from django.db import models


class Employer(models.Model):
    org_number = models.CharField(max_length=11, unique=True, help_text="Organisationsnummer NNNNNN-NNNN")
    name = models.CharField(max_length=200)
    sector_code = models.CharField(max_length=10, blank=True, help_text="SNI/NACE code")
    city_unit = models.ForeignKey("org.OrgUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  help_text="Set when the employer is a unit of the city itself")

    def __str__(self) -> str:
        return self.name


class Place(models.Model):
    """A place provided for participants: Stockholmsjobb, feriejobb, praktik, ..."""

    kind = models.ForeignKey("codes.Code", on_delete=models.PROTECT, related_name="+", limit_choices_to={"list": "place_type"})
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="places")
    title = models.CharField(max_length=200)
    positions = models.PositiveIntegerField(default=1)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.title} ({self.employer})"
