from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "pestrack.records.notifications"
    label = "notifications"
    verbose_name = "Notifications to participants"
