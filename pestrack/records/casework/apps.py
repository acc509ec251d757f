from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "pestrack.records.casework"
    label = "casework"
    verbose_name = "Casework"
