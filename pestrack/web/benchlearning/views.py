"""The benchlearning comparison (docs/benchlearning.md) for analysts and unit managers (the results
roles): the imported packages of a year, per indicator a funnel plot (inline SVG) with its values in
a table beneath. Aggregates of partner PES only; every view is logged."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from pestrack.benchlearning.compare import compare
from pestrack.benchlearning.definitions import load_shared
from pestrack.benchlearning.output import funnel_svg
from pestrack.benchlearning.package import read_trusted_keys, stored
from pestrack.records import access
from pestrack.records.audit import log


def _funnel_text(flag: str) -> str:
    if not flag:
        return _("Within what chance explains")
    side, level = flag.split()
    if side == "above":
        return _("Above the %(level)s %% limit") % {"level": level.replace(".", ",") if _lang() == "sv" else level}
    return _("Below the %(level)s %% limit") % {"level": level.replace(".", ",") if _lang() == "sv" else level}


def _lang() -> str:
    return "en" if (get_language() or "sv").startswith("en") else "sv"


def _note(note: str) -> str:
    if note.startswith("not computable: "):
        return _("Not computable: %(reason)s") % {"reason": note.removeprefix("not computable: ")}
    if note.startswith("suppressed"):
        return _("Withheld: too few persons")
    return _("No value") if note else ""


@login_required
def comparison(request):
    access.results_units(request.user, what="benchlearning", source=access.client_address(request))
    packages, refused = stored(
        settings.PESTRACK_BENCHLEARNING_DIR,
        trusted=read_trusted_keys(settings.PESTRACK_BENCHLEARNING_TRUSTED_KEYS),
        network_below=settings.PESTRACK_BENCHLEARNING_SUPPRESS_BELOW,
    )
    years = sorted({p.year for p in packages}, reverse=True)
    try:
        year = int(request.GET.get("year") or (years[0] if years else 0))
    except ValueError:
        year = years[0] if years else 0
    log.record_for_user(
        request.user, "read", source=access.client_address(request), object_type="benchlearning", detail=str(year)
    )
    lang = _lang()
    indicators = []
    if year in years:
        comp = compare(packages, load_shared(), year)
        for ind in comp.indicators:
            svg = funnel_svg(ind, {"x": _("Denominator (persons)"), "y": _("Value (%)")})
            rows = [
                {
                    "pes": comp.pes[e.pes]["name"],
                    "group": comp.peer_groups.get(e.pes, ""),
                    "value": e.value,
                    "low": e.low,
                    "high": e.high,
                    "denominator": e.denominator,
                    "funnel": _funnel_text(e.funnel) if e.value is not None else "",
                    "note": _note(e.note),
                }
                for e in ind.entries.values()
            ]
            indicators.append(
                {
                    "name": ind.shared.name[lang],
                    "definition": ind.shared.definition_sv if lang == "sv" else ind.shared.definition,
                    "svg": mark_safe(svg),  # built from numbers and escaped names (output.funnel_svg)
                    "rows": rows,
                    "mean": ind.mean,
                    "median": ind.median,
                    "pooled": ind.pooled,
                }
            )
    return render(
        request,
        "benchlearning/comparison.html",
        {"years": years, "year": year, "indicators": indicators, "refused": [str(r) for r in refused]},
    )
