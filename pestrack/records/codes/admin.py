"""Code lists and profile settings: managed by administrators (Django model permissions)."""

from django.contrib import admin

from pestrack.records.codes.models import Code, ProfileSetting


@admin.register(Code)
class CodeAdmin(admin.ModelAdmin):
    list_display = ("list", "code", "name_sv", "name_en", "active", "sort_order")
    list_filter = ("list", "active")
    search_fields = ("code", "name_sv", "name_en")


@admin.register(ProfileSetting)
class ProfileSettingAdmin(admin.ModelAdmin):
    list_display = ("key", "value")
    search_fields = ("key",)
