"""The person admin: only persons the user may see (records.access), protected identities masked,
search by identity number through the look-up hash, every read and write logged."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import BooleanField, Value
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pestrack.records import access
from pestrack.records.admin_support import PersonRecordAdmin, identity_search, source
from pestrack.records.audit import log
from pestrack.records.casework.admin import EnrolmentInline
from pestrack.records.people import identity
from pestrack.records.people.models import Person

DETAIL_FIELDS = ["birth_date", "sex", "municipality", "education_level", "born_abroad", "arrival_year"]


class PersonAddForm(forms.ModelForm):
    """A new person: the identity number is validated, stored encrypted and gives the birth date."""

    identity_number = forms.CharField(
        label=gettext_lazy("Identity number"), max_length=13, help_text=gettext_lazy("YYYYMMDD-NNNN or YYMMDD-NNNN")
    )

    class Meta:
        model = Person
        fields = [
            "first_name",
            "last_name",
            "sex",
            "municipality",
            "address",
            "education_level",
            "born_abroad",
            "arrival_year",
            "protected_identity",
        ]

    user = None  # set by the admin's get_form and by the workspace's view
    source = ""

    def clean_identity_number(self):
        try:
            number = identity.parse(self.cleaned_data["identity_number"])
        except identity.InvalidIdentityNumber as exc:
            raise forms.ValidationError(exc.translated()) from None
        registered, person = access.registered_person(self.user, number, source=self.source)
        if person is not None:
            raise forms.ValidationError(
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("A person with this identity number is already registered."),
                    self.person_url(person),
                    _("Open the person"),
                )
            )
        if registered:  # not said outright: the person is outside the user's scope (logged)
            raise forms.ValidationError(
                _("This identity number cannot be registered. Check the number; if it is right, ask an administrator.")
            )
        return number

    def person_url(self, person) -> str:
        return reverse("admin:people_person_change", args=[person.pk])

    def _post_clean(self):
        number = self.cleaned_data.get("identity_number")
        if number:
            self.instance.set_identity_number(number)
            self.instance.birth_date = number.birth_date
        super()._post_clean()


def _shown(obj) -> bool:
    return access.identity_visible(None, obj, obj.viewer_may_see_protected)


@admin.register(Person)
class PersonAdmin(PersonRecordAdmin):
    person_path = ""
    search_fields = ("first_name", "last_name")
    search_help_text = gettext_lazy("Name, or an exact identity number (YYYYMMDD-NNNN)")
    list_filter = ("sex", "protected_identity")
    inlines = [EnrolmentInline]

    def get_queryset(self, request):
        # Whether this viewer sees protected identities rides along on every row (lists and forms).
        see = access.may_see_protected(request.user)
        return access.persons_visible_to(request.user).annotate(
            viewer_may_see_protected=Value(see, output_field=BooleanField())
        )

    def person_of(self, obj):
        return obj.pk

    @admin.display(description=gettext_lazy("name"))
    def name(self, obj):
        return access.display_name(None, obj, obj.viewer_may_see_protected)

    @admin.display(description=gettext_lazy("identity number"))
    def identity_number_shown(self, obj):
        return obj.identity_number if _shown(obj) else f"{access.MASK}-****"

    @admin.display(description=gettext_lazy("address"))
    def address_shown(self, obj):
        return obj.address if _shown(obj) else access.MASK

    list_display = ("name", "birth_date", "sex", "municipality", "protected_identity")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = PersonAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["identity_number", *PersonAddForm.Meta.fields]
        if _shown(obj):
            return ["identity_number_shown", "first_name", "last_name", "address", *DETAIL_FIELDS, "protected_identity"]
        return ["identity_number_shown", "name", "address_shown", *DETAIL_FIELDS, "protected_identity"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fixed = ["identity_number_shown", "name", "address_shown", "birth_date"]
        # Someone who does not see a protected identity may not lift the protection either.
        return fixed if _shown(obj) else [*fixed, "protected_identity"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        ids = identity_search(request, term, queryset, "person")
        if ids is not None:
            return queryset.filter(pk__in=ids), False
        if not term:
            return queryset, False
        if not access.may_see_protected(request.user):
            queryset = queryset.exclude(protected_identity=True)  # a masked name must not be found by name
        log.record_for_user(request.user, "search", source=source(request), object_type="person", detail="by name")
        return super().get_search_results(request, queryset, term)
