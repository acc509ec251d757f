"""What every admin page over person records shares: access decided by records.access, every
read and write logged, and forms whose business rules come from casework.rules.

The Django model permissions only open the admin pages; which persons a user may see or change
is decided here through ``access`` for every user, superusers included (an administrator manages
users and code lists but does not browse persons).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.db.models.constants import LOOKUP_SEP
from django.http import Http404

from pestrack.records import access
from pestrack.records.audit import log
from pestrack.records.people import identity
from pestrack.records.people.models import Person


def orders_by_a_name(model, order, _depth: int = 0) -> bool:
    """Whether ordering ``model``'s rows by ``order`` sorts them by a person's identifying field
    (``access.IDENTIFYING``): a path to one (``person__last_name``), or to a relation whose model the
    database then orders by its own ordering (``person``, ``person_id``, ``enrolment__person``: a
    Person is ordered by name). An expression or name that cannot be read counts as one."""
    if not isinstance(order, str):
        order = getattr(getattr(order, "expression", order), "name", None)
        if not isinstance(order, str):
            return True
    opts = model._meta
    for part in order.lstrip("-").split(LOOKUP_SEP):
        if part == "pk":
            return False
        try:
            field = opts.get_field(part)
        except FieldDoesNotExist:
            return True  # an annotation or alias of the admin's own: cannot tell what it sorts by
        if opts.model is Person and field.name in access.IDENTIFYING:
            return True
        if not field.is_relation or field.related_model is None:
            return False  # a value, or a transform of it (``date__year``)
        opts = field.related_model._meta
    return _depth < 3 and any(orders_by_a_name(opts.model, o, _depth + 1) for o in opts.ordering)


class SortableByOnly(ChangeList):
    """Django's change list sorts by any column named in ``?o=``, whether or not ``sortable_by`` offers
    it (the headers only): this one sorts by the offered columns alone."""

    def get_ordering_field(self, field_name):
        if self.sortable_by is not None and field_name not in self.sortable_by:
            return None
        return super().get_ordering_field(field_name)


def source(request) -> str:
    return access.client_address(request)


def identity_search(request, term: str, persons, what: str) -> list[int] | None:
    """If ``term`` is an identity number: the ids of ``persons`` with it, found through the look-up
    hash, the search logged with the person id and never the number. Otherwise None."""
    try:
        number = identity.parse(term)
    except identity.InvalidIdentityNumber:
        return None
    ids = list(persons.filter(pin_hash=identity.lookup_hash(number)).values_list("pk", flat=True))
    log.record_for_user(
        request.user,
        "search",
        source=source(request),
        person_id=ids[0] if ids else None,
        object_type=what,
        detail=f"by identity number; {len(ids)} found",
    )
    return ids


def attach_violations(form, violations) -> None:
    """Show each rule violation beside its field (or at the top when the form has no such field)."""
    for v in violations:
        field = v.field if v.field in form.fields and v.field not in form.errors else None
        form.add_error(field, v.message)


class RulesForm(forms.ModelForm):
    """A model form that checks the record's business rules in ``clean``.

    ``user`` is set by the admin (``get_form`` / ``get_formset``) so that scope checks can run."""

    user = None

    def violations(self, data: dict) -> list:
        return []

    def _get_validation_exclusions(self):
        # ``withdrawn_at`` is never a form field, but the natural keys of withdrawable records hold for
        # current entries only (their condition reads it): it must take part in the unique checks, or
        # a second measure with the same key passes the form and fails in the database.
        exclude = super()._get_validation_exclusions()
        exclude.discard("withdrawn_at")
        return exclude

    def clean(self):
        data = super().clean()
        # Check what is new or changed: an untouched record shown beside it must not block a save.
        if not self.errors and (self.instance.pk is None or self.has_changed()):
            attach_violations(self, self.violations(data))
        return data


def _person_id(obj, path: str):
    for part in path.split("__") if path else []:
        obj = getattr(obj, part)
    return obj.pk


class ScopedForeignKeys:
    """Offer only the persons and enrolments the user may write."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        from pestrack.records.casework.models import Enrolment

        writable = access.persons_visible_to(request.user, write=True)
        if db_field.name == "person":
            kwargs["queryset"] = writable
        elif db_field.name == "enrolment":
            kwargs["queryset"] = Enrolment.objects.filter(person__in=writable)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnly:
    """Mixed into an admin that only shows its records: none is added, changed or deleted there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PersonRecordAdmin(ScopedForeignKeys, admin.ModelAdmin):
    """Admin for a model that belongs to a person; ``person_path`` leads from it to the Person."""

    person_path = "person"

    def get_queryset(self, request):
        visible = access.persons_visible_to(request.user)
        return super().get_queryset(request).filter(**{f"{self.person_path}__in": visible})

    def person_of(self, obj):
        return _person_id(obj, self.person_path)

    # Permissions: roles and scope from records.access, never the Django model permissions.
    def has_module_permission(self, request):
        return access.has_role(request.user, *access.ADMIN_PERSON_ROLES)

    def has_view_permission(self, request, obj=None):
        if not access.has_role(request.user, *access.ADMIN_PERSON_ROLES):
            return False
        if obj is None:
            return True
        return access.persons_visible_to(request.user).filter(pk=self.person_of(obj)).exists()

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return access.has_role(request.user, *access.WRITE_ROLES)
        return access.persons_visible_to(request.user, write=True).filter(pk=self.person_of(obj)).exists()

    def has_add_permission(self, request):
        return access.has_role(request.user, *access.WRITE_ROLES)

    def has_delete_permission(self, request, obj=None):
        return False  # person data leaves through retention (anonymisation), not deletion

    def _check(self, request, object_id, *, write: bool, action: str = "read"):
        """Refuse (403, logged) or log the read of the person behind ``object_id``; 404 if none."""
        try:
            person_id = self.model.objects.filter(pk=object_id).values_list(self.person_path or "pk", flat=True).first()
        except (TypeError, ValueError):
            person_id = None
        if person_id is None:
            raise Http404
        if not access.has_role(request.user, *access.ADMIN_PERSON_ROLES):
            access.deny(
                request.user, person_id, action=action, what=self.model._meta.model_name, source=source(request)
            )
        access.get_person_for(
            request.user,
            person_id,
            write=write,
            action=action,
            what=self.model._meta.model_name,
            source=source(request),
        )

    def lookup_allowed(self, lookup, value, request=None):
        """Only the list's own filters (``list_filter``, as the admin's filter links write them) and its
        date hierarchy.

        Django allows a filter on any field of the model in the URL (``?first_name__startswith=Al``,
        ``?address__regex=…``, ``?id=85``): the count of matches would then answer questions about a
        masked person one letter at a time. Any other lookup is refused (400) and the refusal logged."""
        field, _, rest = lookup.partition("__")
        if field in {f for f in self.list_filter if isinstance(f, str)} and rest in ("exact", "id__exact", "isnull"):
            return True
        # the date hierarchy's links above the list (year, month, day of a date the list shows)
        if self.date_hierarchy and lookup in {f"{self.date_hierarchy}__{part}" for part in ("year", "month", "day")}:
            return True
        if request is not None:
            log.record_for_user(
                request.user,
                "denied",
                source=source(request),
                object_type=self.model._meta.model_name,
                detail=f"refused admin list filter {lookup}",
            )
        return False

    def get_ordering(self, request):
        """Never by a name for someone who sees masked rows: a masked row among rows sorted by their real
        names would be placed (and so half told) by its name. Newest record first instead."""
        ordering = super().get_ordering(request) or self.model._meta.ordering
        if access.may_see_protected(request.user) or not any(orders_by_a_name(self.model, o) for o in ordering):
            return ordering
        return ["-pk"]

    def get_changelist(self, request, **kwargs):
        return SortableByOnly

    def get_sortable_by(self, request):
        """The columns a list may be sorted by (``?o=``, enforced by SortableByOnly): for someone who
        sees masked rows, none that sorts by a name, directly or through a relation to the person."""
        if access.may_see_protected(request.user):
            return super().get_sortable_by(request)
        return [f for f in self.get_list_display(request) if not self._sorts_by_a_name(f)]

    def _sorts_by_a_name(self, column) -> bool:
        if isinstance(column, str):
            try:
                return orders_by_a_name(self.model, self.model._meta.get_field(column).name)
            except FieldDoesNotExist:
                column = getattr(self, column, None) or getattr(self.model, column, None)
        if isinstance(column, property):
            column = column.fget
        order = getattr(column, "admin_order_field", None)
        return order is not None and orders_by_a_name(self.model, order)

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            access.deny(request.user, None, action="list", what=self.model._meta.model_name, source=source(request))
        response = super().changelist_view(request, extra_context)
        cl = getattr(response, "context_data", {}).get("cl")
        if cl is not None:
            shown = [self.person_of(o) for o in cl.result_list]
            access.record_listed(
                request.user, shown, source=source(request), what=f"{self.model._meta.model_name} list"
            )
            # The query itself, also when it matched nothing: its parameters' names, never their values.
            log.record_for_user(
                request.user,
                "search",
                source=source(request),
                object_type=self.model._meta.model_name,
                detail=f"admin list: {cl.result_count} matched, {len(shown)} shown; parameters "
                f"{', '.join(sorted(request.GET)) or 'none'}",
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._check(request, object_id, write=request.method == "POST")
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._check(request, object_id, write=False)
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        access.deny(request.user, None, action="delete", what=self.model._meta.model_name, source=source(request))

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user, form.source = request.user, source(request)
        return form

    def log_write(self, request, obj, change: bool, person_id=None) -> None:
        log.record_for_user(
            request.user,
            "update" if change else "create",
            source=source(request),
            person_id=person_id or self.person_of(obj),
            object_type=obj._meta.model_name,
            object_id=obj.pk,
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self.log_write(request, obj, change)

    def save_formset(self, request, form, formset, change):
        # An inline's records belong to the page's person (or to the enrolment's person).
        person_id = self.person_of(form.instance)
        for obj in formset.save():
            self.log_write(request, obj, change=obj not in formset.new_objects, person_id=person_id)


class PersonRecordInline(ScopedForeignKeys, admin.StackedInline):
    """An inline of person records: no deletion; the form learns the user for its scope checks."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.user = request.user
        return formset

    def has_add_permission(self, request, obj=None):
        return access.has_role(request.user, *access.WRITE_ROLES)

    def has_change_permission(self, request, obj=None):
        return access.has_role(request.user, *access.WRITE_ROLES)

    def has_view_permission(self, request, obj=None):
        return access.has_role(request.user, *access.ADMIN_PERSON_ROLES)

    def has_delete_permission(self, request, obj=None):
        return False
