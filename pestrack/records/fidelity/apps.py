from django.apps import AppConfig


class FidelityConfig(AppConfig):
    name = "pestrack.records.fidelity"
    label = "fidelity"
    verbose_name = "IPS fidelity"
    default_auto_field = "django.db.models.BigAutoField"
