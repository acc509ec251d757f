"""The practice catalogue (docs/practices.md): browse and filter the practices, open one with the
unit's self-assessment (status, notes, the unit's measures that implement it and their estimated
effects), and download the self-assessment as YAML.

Unit managers and analysts only, for the units of their assignments and below
(records/practices/rules.py); anyone else gets 403, logged. Every change is logged by the rules.
The practices' texts are the guide's English: the templates mark them lang="en"."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pestrack.benchlearning import practices as catalogue
from pestrack.evaluation.saved import estimates_by_measure
from pestrack.records import access
from pestrack.records.codes.models import Code
from pestrack.records.practices import rules
from pestrack.records.practices.models import Status
from pestrack.reports.formatting import count, number
from pestrack.web.practices.forms import AssessmentForm, FilterForm
from pestrack.web.workspace.forms import code_label


def _lang() -> str:
    return "en" if (get_language() or "sv").startswith("en") else "sv"


def _unit(request):
    """The unit whose self-assessment is shown: ?unit=CODE among the user's, else the user's top unit.
    Refuses (403, logged) a unit outside the user's."""
    source = access.client_address(request)
    rules.require(request.user, source=source)
    code = request.GET.get("unit") or request.POST.get("unit")
    if not code:
        return rules.default_unit(request.user)
    unit = rules.units_for(request.user).filter(code=code).first()
    if unit is None:
        from pestrack.records.org.models import OrgUnit

        rules.require(request.user, OrgUnit.objects.filter(code=code).first() or OrgUnit(code=code), source=source)
    return unit


def _status_label(status: str | None) -> str:
    return str(Status(status).label) if status else str(Status.NOT_STARTED.label)


@login_required
def catalogue_page(request):
    unit = _unit(request)
    practices = catalogue.catalogue()
    units = list(rules.units_for(request.user))
    form = FilterForm(request.GET or None, practices=practices, units=units, initial={"unit": unit.code})
    assessed = rules.assessments_of(unit)
    wanted = form.cleaned_data if form.is_valid() else {}
    words = (wanted.get("q") or "").lower().split()
    rows = []
    for p in practices:
        a = assessed.get(p.id)
        status = a.status if a else Status.NOT_STARTED
        if wanted.get("area") and p.area != wanted["area"]:
            continue
        if wanted.get("pes") and p.pes != wanted["pes"]:
            continue
        if wanted.get("country") and p.country != wanted["country"]:
            continue
        if wanted.get("status") and status != wanted["status"]:
            continue
        if words and not all(w in p.text().lower() for w in words):
            continue
        rows.append({"practice": p, "status": _status_label(status), "assessed": a is not None})
    return render(
        request,
        "web/practices/catalogue.html",
        {
            "form": form,
            "rows": rows,
            "unit": unit,
            "shown": count(len(rows), _lang()),
            "total": count(len(practices), _lang()),
            "here": "practices",
        },
    )


def _effect(e) -> str:
    """An estimate in the page's language: percentage points for a yes/no outcome."""
    lang = _lang()
    scale, unit = (100, _("percentage points")) if e.binary else (1, "")
    value = number(e.att * scale, 1 if e.binary else 3, lang)
    text = f"{value} {unit}".strip()
    if e.ci_low is None or e.ci_high is None:
        return text + " (" + _("no confidence interval") + ")"
    return _("%(effect)s (95 %% confidence interval %(low)s to %(high)s)") % {
        "effect": text,
        "low": number(e.ci_low * scale, 1 if e.binary else 3, lang),
        "high": number(e.ci_high * scale, 1 if e.binary else 3, lang),
    }


def measure_effects(codes: list[Code]) -> list[dict]:
    """Each linked measure with the estimates of its effect that pestrack has saved (or none)."""
    saved = estimates_by_measure(getattr(settings, "PESTRACK_EVALUATIONS_DIR", None))
    return [
        {
            "measure": code_label(c),
            "estimates": [
                {"effect": _effect(e), "outcome": e.outcome, "method": e.method, "n": count(e.n_treated, _lang())}
                for e in saved.get(c.code, [])
            ],
        }
        for c in codes
    ]


@login_required
@require_http_methods(["GET", "POST"])
def practice_page(request, practice_id: str):
    unit = _unit(request)
    practice = catalogue.by_id().get(practice_id)
    if practice is None:
        raise Http404(_("No such practice."))
    current = rules.assessments_of(unit).get(practice.id)
    initial = {"status": Status.NOT_STARTED}
    if current:
        initial = {
            "status": current.status,
            "notes": current.notes,
            "measures": [m.code for m in current.measures.all()],
        }
    form = AssessmentForm(request.POST or None, initial=initial)
    if request.method == "POST":
        rules.require(request.user, unit, action="write", source=access.client_address(request))
        if form.is_valid():
            d = form.cleaned_data
            try:
                rules.save(
                    request.user,
                    unit,
                    [rules.Change(practice.id, d["status"], d["notes"], tuple(d["measures"]))],
                    source=access.client_address(request),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The self-assessment is saved."))
                return redirect(reverse("practice", args=[practice.id]) + f"?unit={unit.code}")
    linked = list(current.measures.all()) if current else []
    return render(
        request,
        "web/practices/practice.html",
        {
            "p": practice,
            "form": form,
            "unit": unit,
            "current": current,
            "status": _status_label(current.status if current else None),
            "effects": measure_effects(linked),
            "here": "practices",
        },
    )


@login_required
def export_yaml(request):
    """The unit's self-assessment as YAML (practice id -> status, notes, measures), the file
    ``pestrack practices import`` reads and a benchlearning package carries."""
    unit = _unit(request)
    rows = catalogue.assessment_rows(unit)
    from pestrack.records.audit import log

    log.record_for_user(
        request.user,
        "export",
        source=access.client_address(request),
        object_type=rules.WHAT,
        detail=f"unit={unit.code}",
    )
    text = catalogue.write_assessment(rows, pes=settings.PESTRACK_PROFILE, unit=unit.code)
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="practices-{unit.code}.yaml"'
    return response


def _own_pes(ids: list[str]) -> str | None:
    """This installation's PES id in the benchlearning packages (its profile's mapping), if among ``ids``."""
    from pestrack.benchlearning.definitions import load_mapping

    try:
        own = str(load_mapping(settings.PESTRACK_PROFILE).pes.get("id") or "")
    except Exception:  # a profile without a benchlearning mapping: no default
        own = ""
    return own if own in ids else None


@login_required
def learn_page(request):
    """Learn from whom: for each indicator where the PES lies below its peer group in the imported
    packages' comparison, the peers that do better and the practices they have in place. The results
    roles, as the comparison itself (web/benchlearning); every view logged."""
    from pestrack.benchlearning.compare import compare, lessons_in
    from pestrack.benchlearning.definitions import load_shared
    from pestrack.records.audit import log
    from pestrack.web.benchlearning.views import network

    source = access.client_address(request)
    access.results_units(request.user, what="benchlearning", source=source)
    packages, _refused, years, year = network(request)
    of_year = sorted({p.pes_id for p in packages if p.year == year})
    pes = request.GET.get("pes") if request.GET.get("pes") in of_year else _own_pes(of_year)
    log.record_for_user(request.user, "read", source=source, object_type="benchlearning", detail=f"learn {year} {pes}")
    lessons, names = [], {}
    if pes:
        comparison = compare(packages, load_shared(), year)
        names = {k: v.get("name", k) for k, v in comparison.pes.items()}
        lang = _lang()
        for lesson in lessons_in(comparison, pes, packages):
            ind = comparison.indicator(lesson.indicator)
            value = {e.pes: e.value for e in ind.entries.values()} if ind else {}

            def pct(v):
                return "" if v is None else number(v, 1, lang) + (" %" if lang == "sv" else "%")

            lessons.append(
                {
                    "name": ind.shared.name[lang] if ind else lesson.indicator,
                    "own": pct(value.get(pes)),
                    "peers": [
                        {
                            "name": names.get(p.pes, p.pes),
                            "value": pct(value.get(p.pes)),
                            "in_place": p.in_place,
                            "partly": p.partly,
                        }
                        for p in lesson.peers
                    ],
                }
            )
    return render(
        request,
        "web/practices/learn.html",
        {
            "years": years,
            "year": year,
            "choices": [(p, names.get(p, p)) for p in of_year],
            "pes": pes,
            "pes_name": names.get(pes, pes) if pes else "",
            "lessons": lessons,
            "here": "practices",
        },
    )
