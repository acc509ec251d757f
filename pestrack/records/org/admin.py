"""Organisation units, staff users and their role assignments: managed by administrators.

Granting ``may_see_protected`` happens here, on the user's assignment (see docs/access-control.md)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from pestrack.records.org.models import Assignment, OrgUnit


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "parent", "path")
    list_filter = ("kind",)
    search_fields = ("code", "name")


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "unit", "may_see_protected")
    list_filter = ("role", "may_see_protected", "unit")
    search_fields = ("user__username", "unit__code", "unit__name")
    list_select_related = ("user", "unit")


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0


class StaffUserAdmin(UserAdmin):
    inlines = [AssignmentInline]


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
