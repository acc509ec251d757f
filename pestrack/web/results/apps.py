from django.apps import AppConfig


class ResultsConfig(AppConfig):
    name = "pestrack.web.results"
    label = "results"
    verbose_name = "Results"
