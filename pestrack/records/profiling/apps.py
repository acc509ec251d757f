from django.apps import AppConfig


class ProfilingConfig(AppConfig):
    name = "pestrack.records.profiling"
    label = "profiling"
    verbose_name = "Profiling estimates and caseworkers' assessments"
