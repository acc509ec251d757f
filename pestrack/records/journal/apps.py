from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "pestrack.records.journal"
    label = "journal"
    verbose_name = "Journal"

    def ready(self):
        from pestrack.records.journal import messages, rules

        rules.register_worklist_source()
        messages.register_worklist_source()
