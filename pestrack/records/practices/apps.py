from django.apps import AppConfig


class PracticesConfig(AppConfig):
    name = "pestrack.records.practices"
    label = "practices"
    verbose_name = "Practice self-assessment"
    default_auto_field = "django.db.models.BigAutoField"
