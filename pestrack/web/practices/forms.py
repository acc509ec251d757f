"""The catalogue's filter and the self-assessment form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pestrack.benchlearning.practices import AREAS
from pestrack.records.codes.models import Code
from pestrack.records.practices.models import Status
from pestrack.web.workspace.forms import code_label


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    area = forms.ChoiceField(label=_("Benchlearning area"), required=False)
    pes = forms.ChoiceField(label=_("PES"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    unit = forms.ChoiceField(label=_("Self-assessment of"), required=False)

    def __init__(self, *args, practices=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["area"].choices = everything + [(k, v) for k, v in AREAS.items()]
        self.fields["pes"].choices = everything + [(p, p) for p in sorted({p.pes for p in practices})]
        self.fields["country"].choices = everything + [(c, c) for c in sorted({p.country for p in practices})]
        self.fields["status"].choices = everything + list(Status.choices)
        self.fields["unit"].choices = [(u.code, u.name) for u in units]
        for name in ("pes", "country"):  # proper names and the guide's English, not messages
            self.fields[name].widget.attrs["lang"] = "en"


class AssessmentForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, widget=forms.RadioSelect)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    measures = forms.MultipleChoiceField(
        label=_("Our measures that implement it"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        codes = Code.objects.filter(list="measure", active=True).order_by("sort_order", "code")
        self.fields["measures"].choices = [(c.code, code_label(c)) for c in codes]
