from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "pestrack.records.casework"
    label = "casework"
    verbose_name = "Casework"

    def ready(self):
        from pestrack.records.casework import activity

        activity.connect()
