from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "pestrack.web"
    label = "web"
    verbose_name = "Web"
