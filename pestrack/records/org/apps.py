from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "pestrack.records.org"
    label = "org"
    verbose_name = "Organisation and staff"
