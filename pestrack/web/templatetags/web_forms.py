"""Form fields rendered accessibly: a label tied to the input, the help text and each error
message beside the field and tied to it with aria-describedby, aria-invalid when it is wrong."""

from __future__ import annotations

import hashlib

from django import forms, template
from django.utils.translation import get_language

register = template.Library()


@register.inclusion_tag("web/field.html")
def field(bound: forms.BoundField, css_class: str = ""):
    ids = []
    help_id = f"{bound.auto_id}-help" if bound.help_text else ""
    error_id = f"{bound.auto_id}-error" if bound.errors else ""
    ids = " ".join(i for i in (error_id, help_id) if i)
    attrs = {}
    if ids:
        attrs["aria-describedby"] = ids
    if bound.errors:
        attrs["aria-invalid"] = "true"
    widget = bound.field.widget
    is_group = isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple))
    is_check = isinstance(widget, forms.CheckboxInput)
    return {
        "bound": bound,
        "widget": bound.as_widget(attrs=attrs),
        "help_id": help_id,
        "error_id": error_id,
        "is_group": is_group,
        "is_check": is_check,
        "css_class": css_class,
    }


@register.inclusion_tag("web/error_summary.html")
def error_summary(form: forms.BaseForm):
    """The form's problems at the top, each linking to its field (WCAG 3.3.1)."""
    items = [
        (form[name].auto_id, form[name].label, errors) for name, errors in form.errors.items() if name in form.fields
    ]
    return {"form": form, "items": items, "general": form.non_field_errors()}


@register.filter
def code_name(code) -> str:
    """A profile code's name in the page's language."""
    from pestrack.web.workspace.forms import code_label

    return code_label(code) if code is not None else ""


def _choices(field: forms.Field) -> list[tuple[str, str]]:
    """A field's choices as text: a model choice's value is an object whose repr differs on every
    page (its address), which made every key new and the kept HTML never used."""
    return [(str(value), str(label)) for value, label in getattr(field, "choices", ())]


@register.filter
def field_key(bound: forms.BoundField) -> str:
    """``fields_key`` of one field: a template keeps the HTML of a field that shows no person data
    (e.g. a journal entry's kind, date and signing) under it, whoever the page is about."""
    parts = (
        type(bound.form).__qualname__,
        bound.form.prefix,
        bound.name,
        get_language(),
        _choices(bound.field),
        bound.value(),
        bound.errors if bound.form.is_bound else None,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


@register.filter
def fields_key(form: forms.BaseForm) -> str:
    """What a form's rendered fields depend on: the form, the page's language, the choices, the
    values asked for and the errors. Templates keep the fields' HTML under it (``{% cache %}``),
    since Django's select widgets cost about a tenth of a page's CPU. Worked out once per form and
    page (reading the choices is itself a query or two)."""
    kept = form.__dict__.get("_pestrack_fields_key")
    if kept is not None:
        return kept
    parts = (
        type(form).__qualname__,
        form.prefix,
        get_language(),
        [(name, _choices(f)) for name, f in form.fields.items()],
        [form[name].value() for name in form.fields],
        form.errors if form.is_bound else None,
    )
    key = form.__dict__["_pestrack_fields_key"] = hashlib.sha256(repr(parts).encode()).hexdigest()
    return key
