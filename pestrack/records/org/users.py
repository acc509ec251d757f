"""Staff users: a role in one or more units, and the Django permissions the admin site needs (administrators only).

The admin permissions only open the admin pages; which persons a user sees is decided by
pestrack.records.access, never by these permissions.
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ValidationError
from django.db import transaction

from pestrack.records.org.models import Assignment, OrgUnit, Role

# Admin-site permissions per role, as "app_label.action" (action: view, add, change, delete). The admin
# is for administrators (access.may_use_admin): every other role works in the application and has none.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.CASEWORKER: [],
    Role.UNIT_MANAGER: [],
    Role.ANALYST: [],
    Role.EMPLOYER_RELATIONS: [],
    Role.DPO: [],
    Role.PARTNER: [],
    Role.ADMIN: [
        f"{app}.{a}" for app in ("codes", "org", "auth", "employers") for a in ("view", "add", "change", "delete")
    ],
}


def role_group(role: str) -> Group:
    group, _ = Group.objects.get_or_create(name=f"role:{role}")
    wanted = []
    for spec in ROLE_PERMISSIONS[role]:
        app, action = spec.split(".")
        wanted += list(Permission.objects.filter(content_type__app_label=app, codename__startswith=f"{action}_"))
    group.permissions.set(wanted)
    return group


def set_password(user: User, password: str, *, hashed: str | None = None) -> None:
    """Set a user's password after Django's password validators (settings.AUTH_PASSWORD_VALIDATORS:
    length, common passwords, likeness to the user name) accept it; else ValueError with their reasons.
    ``hashed``: the hash of ``password`` made already, for users who share one password (the demo's:
    an Argon2 hash takes a fraction of a second).

    Every place that sets a password in pestrack's own code goes through here (the admin's forms and
    Django's createsuperuser/changepassword apply the same validators themselves)."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValueError("password refused: " + " ".join(exc.messages)) from None
    if hashed is None:
        user.set_password(password)
    else:
        user.password = hashed


@transaction.atomic
def add_user(
    username: str, role: str, unit_codes: list[str], *, password: str | None = None, may_see_protected: bool = False
) -> User:
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(Role.values)}")
    units = []
    for code in unit_codes:
        unit = OrgUnit.objects.filter(code=code).first()
        if unit is None:
            raise ValueError(f"unknown organisation unit {code!r}")
        units.append(unit)
    user, created = User.objects.get_or_create(username=username, defaults={"is_staff": True})
    if password:
        set_password(user, password)
    user.is_staff = True
    user.save()
    user.groups.add(role_group(role))
    for unit in units:
        Assignment.objects.update_or_create(
            user=user, role=role, unit=unit, defaults={"may_see_protected": may_see_protected}
        )
    return user
