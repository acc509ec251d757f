"""One-time sign-in links to the participant portal (for development, tests and the demo; production
refuses them unless PESTRACK_PORTAL_LINKS is set). Only a hash of the link's secret is stored."""

from django.conf import settings
from django.db import models


class SignInLink(models.Model):
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="sign_in_links")
    secret_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the link's secret")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["person", "created_at"], name="signinlink_person_created")]

    def __str__(self) -> str:
        return f"Sign-in link {self.pk} (person {self.person_id})"
