from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "pestrack.records.meetings"
    label = "meetings"
    verbose_name = "Meetings and attendance"

    def ready(self):
        from pestrack.records.meetings import due

        due.register()
