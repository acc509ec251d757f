"""The admin site, for administrators only (``access.may_use_admin``).

Caseworkers, managers, analysts, employer-relations staff and the data protection officer work in
the application; a signed-in user who is not an administrator is refused every admin page with 403,
and the refusal is logged. Someone not signed in is sent to the admin's log-in page, as Django does."""

from __future__ import annotations

from functools import wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from pestrack.records import access
from pestrack.records.audit import log


class AdministrationSite(admin.AdminSite):
    def has_permission(self, request):
        return access.may_use_admin(request.user)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def administrators_only(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                source = access.client_address(request)
                log.record_for_user(
                    request.user, "denied", source=source, object_type="admin site", detail="refused read"
                )
                raise PermissionDenied(_("The administration site is for administrators."))
            return inner(request, *args, **kwargs)

        return administrators_only
