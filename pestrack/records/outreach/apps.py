from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "pestrack.records.outreach"
    label = "outreach"
    verbose_name = "Outreach and surveys"
