"""Runs ``pestrack evaluate --measure`` on the analytics tables for an analyst and shows the report.

Only the analyst role may use it (others get 403, logged); every run is written to the access log
with what was asked. The tables are pseudonymised: no person is shown, only aggregates."""

from __future__ import annotations

import os
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pestrack.records import access
from pestrack.records.audit import log

METHODS = [
    ("psm", gettext_lazy("Matching on the propensity score")),
    ("ipw", gettext_lazy("Inverse-probability weighting")),
    ("dr", gettext_lazy("Doubly robust (AIPW)")),
]
OUTCOMES = [
    "work_or_studies_6m",
    "work_or_studies_3m",
    "work_or_studies_12m",
    "working_6m",
    "studying_6m",
    "self_sufficient_6m",
    "exit_work_or_studies",
]


def analytics_dir() -> Path:
    """PESTRACK_ANALYTICS_DIR (setting or environment), else ./analytics."""
    return Path(
        getattr(settings, "PESTRACK_ANALYTICS_DIR", None) or os.environ.get("PESTRACK_ANALYTICS_DIR") or "analytics"
    )


def _measures(folder: Path) -> list[str]:
    path = folder / "participations.parquet"
    if not path.exists():
        return []
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    return sorted(pc.unique(pq.read_table(path, columns=["measure"]).column("measure")).to_pylist())


class EvaluationForm(forms.Form):
    measure = forms.ChoiceField(label=gettext_lazy("Measure"))
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=[(o, o) for o in OUTCOMES])
    method = forms.ChoiceField(label=gettext_lazy("Method"), choices=METHODS)
    covariates = forms.CharField(
        label=gettext_lazy("Covariates"),
        required=False,
        help_text=gettext_lazy("Comma-separated enrolment columns; empty for the default"),
    )
    exact = forms.CharField(label=gettext_lazy("Match exactly on"), required=False)

    def __init__(self, *args, measures=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure"].choices = [(m, m) for m in measures]


@login_required
def evaluation_page(request):
    source = access.client_address(request)
    if not access.has_role(request.user, "analyst"):
        log.record_for_user(
            request.user, "denied", source=source, object_type="evaluation", detail="refused evaluation page"
        )
        raise PermissionDenied(_("Only analysts may run evaluations."))
    folder = analytics_dir()
    measures = _measures(folder)
    form = EvaluationForm(request.GET or None, measures=measures)
    body, error = None, None
    if form.is_bound and form.is_valid():
        from pestrack.evaluation.data import EvaluationError
        from pestrack.evaluation.report import body_html
        from pestrack.evaluation.run import run_evaluation, split_list

        d = form.cleaned_data
        log.record_for_user(
            request.user,
            "read",
            source=source,
            object_type="evaluation",
            detail=f"measure={d['measure']} outcome={d['outcome']} method={d['method']} "
            f"covariates={d['covariates']} exact={d['exact']}",
        )
        try:
            result = run_evaluation(
                data=None,
                measure=d["measure"],
                analytics=folder,
                treatment=None,
                outcome=d["outcome"],
                covariates=split_list(d["covariates"]),
                exact=split_list(d["exact"]),
                pre_outcome=None,
                missing=None,
                method=d["method"],
            )
            body = mark_safe(body_html(result))  # every value in it is escaped by body_html
        except EvaluationError as exc:
            error = str(exc)
    return render(
        request,
        "web/evaluation.html",
        {"form": form, "body": body, "error": error, "no_data": not measures, "folder": folder},
    )
