from django.apps import AppConfig


class CodesConfig(AppConfig):
    name = "pestrack.records.codes"
    label = "codes"
    verbose_name = "Code lists"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from pestrack.records.codes.models import ProfileSetting
        from pestrack.records.codes.profile import forget_worklist_settings

        # the work list's settings are kept a minute in each process; a write here drops them at once
        for signal in (post_save, post_delete):
            signal.connect(forget_worklist_settings, sender=ProfileSetting, dispatch_uid=f"worklist:{signal}")
