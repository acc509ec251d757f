"""Profiling in the workspace (docs/profiling.md): the estimate on the person page with its reasons
in plain words and the model card link, never a bare score; the caseworker's own assessment; the
model card; the monitoring page for analysts and the data protection officer.

Access as everywhere: the estimate and the assessment only for a caseworker who writes the
enrolment (records.access), every estimate shown written to the access log. Nothing here changes
any other record: the estimate decides nothing."""

from __future__ import annotations

from collections import defaultdict

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pestrack.profiling import live
from pestrack.records import access
from pestrack.records.audit import log
from pestrack.records.codes.models import Code
from pestrack.records.profiling import rules
from pestrack.records.profiling.models import Estimate, Judgement
from pestrack.web.workspace.common import _enrolment_writable, _source
from pestrack.web.workspace.forms import code_label

MONITOR_ROLES = (access.Role.ANALYST, access.Role.DPO)
CODE_LISTS = ("education_level", "target_group", "entry_route", "referring_body", "programme")
SMALLEST = 5  # follow rates of fewer assessments are not shown (disclosure)


ATTRIBUTES = {
    "sex": gettext_lazy("Sex"),
    "born_abroad": gettext_lazy("Born abroad"),
    "age_band_at_start": gettext_lazy("Age band"),
    "target_group": gettext_lazy("Target group"),
}


def _group_words(attribute: str, group: str) -> tuple[str, str]:
    """An audited characteristic and group in words ("born_abroad", "yes" -> "Born abroad", "yes")."""
    words = {"yes": _("yes"), "no": _("no"), "unknown": _("not recorded"), "woman": _("woman"), "man": _("man")}
    if attribute == "target_group":
        code = Code.objects.filter(list="target_group", code=group).first()
        return str(ATTRIBUTES[attribute]), code_label(code) if code else group
    if attribute == "age_band_at_start":
        return str(ATTRIBUTES[attribute]), _("%(band)s years") % {"band": group}
    return str(ATTRIBUTES.get(attribute, attribute)), words.get(group, group)


def _lang() -> str:
    return "sv" if (get_language() or "sv").startswith("sv") else "en"


def _value_words(column: str, value) -> str:
    if value is None:
        return _("not recorded")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if column in CODE_LISTS:
        code = Code.objects.filter(list=column, code=value).first()
        if code:
            return code_label(code)
    if column == "age_band_at_start":
        return _("%(band)s years") % {"band": value}
    return localize(value)


def shown_estimate(estimate: Estimate, act: live.Active) -> dict:
    """What the caseworker sees: the estimate in words, the reasons in plain words, the suggestion."""
    lang = _lang()
    reasons = []
    for r in estimate.reasons:
        words = {"input": act.settings.label(r["column"], lang), "value": _value_words(r["column"], r["value"])}
        reasons.append(
            (
                _("%(input)s: %(value)s – raises the estimate")
                if r["effect"] > 0
                else _("%(input)s: %(value)s – lowers the estimate")
            )
            % words
        )
    per_100 = round(100 * estimate.probability)
    return {
        "estimate": estimate,
        "target": act.settings.target_label[lang],
        "in_words": _(
            "Of 100 persons enrolled earlier with the same details, about %(n)d were not in work or studies "
            "%(months)d months after enrolment."
        )
        % {"n": per_100, "months": act.settings.target_months},
        "suggestion": _("Intensive support suggested")
        if estimate.suggests_intensive
        else _("Intensive support not suggested"),
        "reasons": reasons,
        "judgement": rules.latest_judgement(estimate),
    }


def person_estimates(request, enrolments, writable_ids: set[int]) -> dict[int, dict]:
    """Enrolment id -> the estimate shown on the person page, for the open enrolments the user
    writes; nothing when profiling is off. Each estimate shown is logged."""
    from pestrack.profiling.settings import ProfilingError

    try:
        act = live.active()
    except ProfilingError:  # a model folder missing or of another profile: casework goes on without
        return {}
    if act is None:
        return {}

    out = {}
    for e in enrolments:
        if e.end_date is None and e.pk in writable_ids:
            try:
                out[e.pk] = shown_estimate(live.estimate(request.user, e, act), act)
            except ProfilingError as exc:  # e.g. a code the model never saw: no estimate, and why
                out[e.pk] = {"unavailable": str(exc)}
    return out


class JudgementForm(forms.Form):
    intensive = forms.TypedChoiceField(
        label=gettext_lazy("Your assessment"),
        choices=[("yes", gettext_lazy("Intensive support")), ("no", gettext_lazy("No intensive support"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Needed when your assessment differs from the estimate."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def judge(request, estimate_id):
    """The estimate with its reasons, and the form for the caseworker's own assessment."""
    estimate = get_object_or_404(Estimate.objects.select_related("enrolment"), pk=estimate_id)
    enrolment = estimate.enrolment
    person = access.get_person_for(
        request.user, enrolment.person_id, write=True, what="profiling assessment", source=_source(request)
    )
    if not _enrolment_writable(enrolment, access.unit_ids_in_scope(request.user, write=True)):
        access.deny(request.user, person.pk, action="update", what="profiling assessment", source=_source(request))
    act = live.active()
    if act is None:
        raise Http404(_("Profiling is switched off."))
    rules.shown(request.user, estimate, source=_source(request))
    form = JudgementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rules.record_judgement(
                request.user,
                estimate,
                intensive=form.cleaned_data["intensive"],
                reason=form.cleaned_data["reason"],
                source=_source(request),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for message in errors:
                    form.add_error(field, message)
        else:
            return redirect("person-detail", person.pk)
    return render(
        request,
        "web/profiling/judge.html",
        {
            "person": person,
            "shown": access.present_person(request.user, person),
            "form": form,
            "e": shown_estimate(estimate, act),
        },
    )


def _require(request, roles, what: str) -> None:
    if not access.has_role(request.user, *roles):
        log.record_for_user(
            request.user, "denied", source=_source(request), object_type="profiling", detail=f"refused {what}"
        )
        raise PermissionDenied(_("You may not see this page."))


@login_required
def model_card(request):
    """The model card of the model in use (with its latest audit), for every staff user."""
    _require(request, (*access.READ_ROLES, *MONITOR_ROLES), "model card")
    act = live.active()
    if act is None:
        raise Http404(_("Profiling is switched off."))
    from pestrack.profiling import card

    body = mark_safe(card.body_html(card.blocks(act.model.meta, act.audit(), act.settings.approval)))  # escaped
    return render(request, "web/profiling/card.html", {"title": card.title(act.model.meta), "body": body})


def _rate_rows(judgements, key) -> list[dict]:
    counts: dict = defaultdict(lambda: [0, 0])
    for j in judgements:
        c = counts[key(j)]
        c[0] += j.follows
        c[1] += 1
    rows = []
    for name, (k, n) in sorted(counts.items(), key=lambda kv: str(kv[0])):
        rows.append({"group": name, "n": n, "rate": None if n < SMALLEST else k / n})
    return rows


@login_required
def monitoring(request):
    """Follow rates overall, by group and by unit; input drift of the estimates made; calibration and
    error-rate drift on the newer cohorts of the analytics tables; warnings beyond the limits."""
    _require(request, MONITOR_ROLES, "profiling monitoring")
    from pestrack.profiling.settings import ProfilingError

    try:
        act = live.active()
    except ProfilingError as exc:  # switched on, but the model cannot be used: say why
        return render(request, "web/profiling/monitoring.html", {"off": True, "model_error": str(exc)})
    if act is None:
        return render(request, "web/profiling/monitoring.html", {"off": True})
    log.record_for_user(
        request.user,
        "read",
        source=_source(request),
        object_type="profiling",
        detail="profiling monitoring (aggregates)",
    )
    estimates = Estimate.objects.filter(model_id=act.model.id)
    latest = {}
    for j in (
        Judgement.objects.filter(estimate__model_id=act.model.id)
        .select_related(
            "estimate__enrolment__person", "estimate__enrolment__org_unit", "estimate__enrolment__target_group"
        )
        .order_by("estimate_id", "-created_at", "-id")
    ):
        latest.setdefault(j.estimate_id, j)
    judged = list(latest.values())
    yes_no = lambda v: _("yes") if v else (_("no") if v is not None else _("not recorded"))  # noqa: E731
    by = {
        _("Sex"): lambda j: {"woman": _("woman"), "man": _("man")}.get(
            j.estimate.enrolment.person.sex, j.estimate.enrolment.person.sex
        ),
        _("Born abroad"): lambda j: yes_no(j.estimate.enrolment.person.born_abroad),
        _("Target group"): lambda j: code_label(j.estimate.enrolment.target_group),
        _("Unit"): lambda j: j.estimate.enrolment.org_unit.name,
    }
    follow = {
        "overall": _rate_rows(judged, lambda j: _("All"))[0] if judged else None,
        "groups": [(title, _rate_rows(judged, key)) for title, key in by.items()],
        "estimates": estimates.count(),
        "judged": len(judged),
    }
    from pestrack.profiling import monitor

    shift = monitor.input_shift(act.model, list(estimates.values_list("inputs", flat=True)), act.settings)
    for s in shift:
        s["label"] = act.settings.label(s["input"], _lang())
    drift, drift_error, computed = None, None, None
    from pestrack.web.evaluation.views import analytics_dir

    try:  # computed once per model and version of the tables, then read back
        computed = live.group_drift(act, analytics_dir())
        drift = computed.result
    except ProfilingError as exc:
        drift_error = str(exc)
    warnings = [
        _("%(input)s: the inputs of the estimates made have shifted from the training data (PSI %(psi)s)")
        % {"input": s["label"], "psi": localize(round(s["psi"], 2))}
        for s in shift
        if s["warning"]
    ]
    if drift:
        for g in drift["groups"]:
            g["attribute"], g["group"] = _group_words(g["attribute"], g["group"])
        names = {"calibration": _("calibration"), "tpr": _("true positive rate"), "fpr": _("false positive rate")}
        for g in drift["groups"]:
            for w in g["warnings"]:
                warnings.append(
                    _("%(attribute)s = %(group)s: the %(what)s has moved by %(change)s since validation")
                    % {
                        "attribute": g["attribute"],
                        "group": g["group"],
                        "what": names[w],
                        "change": localize(round(g[w], 3)),
                    }
                )
    return render(
        request,
        "web/profiling/monitoring.html",
        {
            "follow": follow,
            "shift": shift,
            "drift": drift,
            "drift_error": drift_error,
            "computed": computed,
            "warnings": warnings,
            "model": act.model.meta,
            "smallest": SMALLEST,
        },
    )
