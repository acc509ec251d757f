"""API tokens: a bearer token stands for a staff user; only its hash is stored."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

PREFIX = "pt_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=12, editable=False, help_text="The token's first characters, to recognise it")
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.hint}… ({self.user})"

    @classmethod
    def issue(cls, user, name: str = "") -> tuple[ApiToken, str]:
        """A new token for ``user``: the object and the token in clear (shown once, never stored)."""
        token = cls(user=user, name=name)
        return token, token.set_new_secret()

    def set_new_secret(self) -> str:
        secret = PREFIX + secrets.token_urlsafe(32)
        self.token_hash = token_hash(secret)
        self.hint = secret[:10]
        self.save()
        return secret

    @classmethod
    def user_for(cls, secret: str):
        """The active user a token stands for, or None; notes when it was last used."""
        token = cls.objects.select_related("user").filter(token_hash=token_hash(secret or "")).first()
        if token is None or not token.user.is_active:
            return None
        cls.objects.filter(pk=token.pk).update(last_used=timezone.now())
        return token.user


class UserPreference(models.Model):
    """A user's own settings: the language of the pages (Swedish or English)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    language = models.CharField(max_length=8, choices=[("sv", "Svenska"), ("en", "English")], default="sv")

    def __str__(self) -> str:
        return f"{self.user}: {self.language}"


class SavedFilter(models.Model):
    """A user's named filter of "My caseload": the list's query string (filters, sort, whose
    enrolments), without a search term, so that it holds no person data."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_filter_unique_name")]
