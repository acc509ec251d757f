"""The access log in the admin: read-only, for the data protection officer only (loggkontroll).

Searchable by person id, actor and, through the look-up hash, by identity number (the number is
turned into a person id and never stored)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy

from pestrack.records import access
from pestrack.records.admin_support import ReadOnly, identity_search
from pestrack.records.audit.models import AccessLogEntry, AuditAnchor
from pestrack.records.org.models import Role
from pestrack.records.people.models import Person


class DpoReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    def has_module_permission(self, request):
        return access.has_role(request.user, Role.DPO)

    def has_view_permission(self, request, obj=None):
        return access.has_role(request.user, Role.DPO)


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(DpoReadOnlyAdmin):
    list_display = ("at", "actor", "action", "person_id", "object_type", "object_id", "source", "detail")
    list_filter = ("action", "object_type")
    search_fields = ("actor",)
    search_help_text = gettext_lazy("Actor, person id, or an identity number (YYYYMMDD-NNNN)")
    date_hierarchy = "at"
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        ids = identity_search(request, term, Person.objects.all(), "access_log")
        if ids is not None:
            return queryset.filter(person_id__in=ids), False
        if term.isdigit():
            return queryset.filter(person_id=int(term)), False
        return super().get_search_results(request, queryset, term)


@admin.register(AuditAnchor)
class AuditAnchorAdmin(DpoReadOnlyAdmin):
    list_display = ("created_at", "last_removed_id", "removed_count")
