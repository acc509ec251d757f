from django.apps import AppConfig


class CodesConfig(AppConfig):
    name = "pestrack.records.codes"
    label = "codes"
    verbose_name = "Code lists"

    def ready(self):
        from django.core.signals import request_started
        from django.db.models.signals import post_delete, post_save

        from pestrack.records.codes.models import ProfileSetting
        from pestrack.records.codes.profile import forget_worklist_settings

        # the work list's settings are read once per request (or process, for a minute)
        for signal in (post_save, post_delete):
            signal.connect(forget_worklist_settings, sender=ProfileSetting, dispatch_uid=f"worklist:{signal}")
        request_started.connect(forget_worklist_settings, dispatch_uid="worklist:request")
