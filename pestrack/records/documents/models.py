"""Documents attached to a person, or to one of their enrolments (a CV, a certificate, a
decision from another body). The file itself lives outside the database and the web root, under
a random name (see records.documents.storage); the row keeps what the file was."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Document(models.Model):
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="documents")
    enrolment = models.ForeignKey(
        "casework.Enrolment", null=True, blank=True, on_delete=models.CASCADE, related_name="documents"
    )
    name = models.CharField(max_length=200, help_text="The uploaded file's name, sanitised for display")
    content_type = models.CharField(max_length=100, help_text="Decided from the file's content")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    stored_name = models.CharField(max_length=64, unique=True, help_text="Random file name on disk")
    description = models.CharField(max_length=500, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawal_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        indexes = [models.Index(fields=["person", "uploaded_at"], name="document_person_uploaded")]

    def __str__(self) -> str:
        return f"Document {self.pk} ({self.content_type}, {self.size} bytes)"

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None
