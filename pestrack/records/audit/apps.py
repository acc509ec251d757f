from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "pestrack.records.audit"
    label = "audit"
    verbose_name = "Access log"
