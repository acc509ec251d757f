from django.apps import AppConfig


class EmployersConfig(AppConfig):
    name = "pestrack.records.employers"
    label = "employers"
    verbose_name = "Employers and places"
