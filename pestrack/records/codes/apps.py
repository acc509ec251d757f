from django.apps import AppConfig


class CodesConfig(AppConfig):
    name = "pestrack.records.codes"
    label = "codes"
    verbose_name = "Code lists"
