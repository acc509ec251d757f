from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "pestrack.records.people"
    label = "people"
    verbose_name = "Persons"
