from django.contrib import admin, messages
from django.utils.translation import gettext as _

from pestrack.web.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Administrators issue and revoke (delete) tokens; the token is shown once, when it is issued."""

    list_display = ("hint", "user", "name", "created", "last_used")
    readonly_fields = ("hint", "created", "last_used")
    raw_id_fields = ("user",)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return
        secret = obj.set_new_secret()
        messages.warning(request, _("New API token (copy it now, it is not shown again): %(t)s") % {"t": secret})
