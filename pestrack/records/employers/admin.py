"""Employers and places (Stockholmsjobb, feriejobb, praktik): employer-relations staff and administrators."""

from django.contrib import admin

from pestrack.records.employers.models import Employer, Place


@admin.register(Employer)
class EmployerAdmin(admin.ModelAdmin):
    list_display = ("name", "org_number", "sector_code", "city_unit")
    search_fields = ("name", "org_number")


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ("title", "employer", "kind", "positions", "start_date", "end_date")
    list_filter = ("kind",)
    search_fields = ("title", "employer__name")
    list_select_related = ("employer", "kind")
