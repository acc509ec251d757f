from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "pestrack.records.people"
    label = "people"
    verbose_name = "Persons"

    def ready(self):
        from pestrack.records.text import guard_text_fields

        guard_text_fields()  # every app's models are loaded when ready() runs
