from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "pestrack.records.casework"
    label = "casework"
    verbose_name = "Casework"

    def ready(self):
        from pestrack.records.casework import activity, due

        activity.connect()
        due.register()  # the work list's casework items
