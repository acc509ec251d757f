from django.db import models
from django.utils import timezone


class AccessLogEntry(models.Model):
    """Who did what to which person's record, when and from where.

    Append-only: on PostgreSQL a trigger refuses UPDATE, TRUNCATE and DELETE of entries younger
    than the database's retention floor; every entry carries the hash of the one before it, so
    ``pestrack audit verify`` detects an entry removed or altered by any other route.
    """

    class Action(models.TextChoices):
        READ = "read", "read"
        CREATE = "create", "create"
        UPDATE = "update", "update"
        DELETE = "delete", "delete"
        SEARCH = "search", "search"
        EXPORT = "export", "export"
        IMPORT = "import", "import"
        ANONYMISE = "anonymise", "anonymise"
        DENIED = "denied", "denied"
        PURGE = "purge", "purge"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=150, db_index=True, help_text="User name, or cli:<os user>")
    actor_id = models.IntegerField(null=True, blank=True)
    action = models.CharField(max_length=12, choices=Action.choices)
    person_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    detail = models.TextField(blank=True)
    source = models.CharField(max_length=100, blank=True, help_text="Client address, or cli")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "access log entries"
        indexes = [
            # the portal's sign-in lock-out (records.portal.signin.locked_out) asks for one client
            # address's recent sign-ins: without this it read every entry of the lock-out time
            models.Index(
                fields=["source", "at"],
                condition=models.Q(object_type="portal sign-in"),
                name="portal_signin_source_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} person {self.person_id}"


class AuditAnchor(models.Model):
    """Left by a retention purge: the chain legitimately starts again after ``last_removed_id``."""

    created_at = models.DateTimeField(default=timezone.now)
    last_removed_id = models.BigIntegerField()
    last_removed_hash = models.CharField(max_length=64)
    removed_count = models.BigIntegerField()
