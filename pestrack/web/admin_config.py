"""Django's admin app with pestrack's site class: the admin is for administrators (admin_site.py)."""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "pestrack.web.admin_site.AdministrationSite"
