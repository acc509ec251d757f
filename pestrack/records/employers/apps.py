from django.apps import AppConfig


class EmployersConfig(AppConfig):
    name = "pestrack.records.employers"
    label = "employers"
    verbose_name = "Employers and places"

    def ready(self):
        from pestrack.records.employers import interest

        interest.register_worklist_source()
