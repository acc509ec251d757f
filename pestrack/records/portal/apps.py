from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "pestrack.records.portal"
    label = "portal"
    verbose_name = "Participant portal"
