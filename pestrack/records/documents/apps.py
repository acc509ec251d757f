from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "pestrack.records.documents"
    label = "documents"
    verbose_name = "Documents"
