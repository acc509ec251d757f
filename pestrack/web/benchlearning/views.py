"""The benchlearning comparison (docs/benchlearning.md) for analysts and unit managers (the results
roles): the imported packages of a year, per indicator a funnel plot (inline SVG) with its values in
a table beneath; and for one PES of the network (the configured profile's, or the one chosen) its
peer group, its trend beside its peers' and the network's, its breakdowns beside its totals, and
"learn from whom" (the peers that do better and the practices they have in place). Aggregates of
partner PES only; every view is logged."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from pestrack.benchlearning import practices
from pestrack.benchlearning.compare import Comparison, below_peers, compare
from pestrack.benchlearning.definitions import load_mapping, load_shared
from pestrack.benchlearning.output import funnel_svg
from pestrack.benchlearning.package import NOT_RECORDED, Package, read_trusted_keys, stored
from pestrack.records import access
from pestrack.records.audit import log
from pestrack.records.codes.models import Code
from pestrack.reports.formatting import count, number
from pestrack.web.results.charts import category_labels

DIMENSIONS = {
    "age_band": gettext_lazy("Age band"),
    "sex": gettext_lazy("Sex"),
    "education_level": gettext_lazy("Education level"),
}


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
        return _("Not computable:")  # the reason follows, in the words of the PES (_reason)
    if note.startswith("suppressed"):
        return _("Withheld: too few persons")
    return _("No value") if note else ""


def _reason(note: str) -> str:
    """Why a PES cannot compute an indicator, as its package says it: written by the PES (in English,
    the network's common language, like the shared set's definitions), so shown as a quotation."""
    return note.removeprefix("not computable: ") if note.startswith("not computable: ") else ""


def _group(name: str) -> str:
    """A peer group's name in the page's language: k-means groups are numbered (compare.peer_groups);
    declared groups keep the name their PES gave them."""
    if (m := re.fullmatch(r"group (\d+)", name)) is not None:
        return _("Group %(number)s") % {"number": m.group(1)}
    if name.endswith(" (no context)"):
        return _("%(service)s (no context variables)") % {"service": name.removesuffix(" (no context)")}
    return name


def _pct(value: float | None, lang: str) -> str:
    return "–" if value is None else number(value, 1, lang)


def _own_pes(ids: list[str]) -> str:
    """The configured profile's PES when it is in the network, else the first."""
    try:
        own = str(load_mapping(settings.PESTRACK_PROFILE).pes.get("id") or "")
    except Exception:  # a profile without a benchlearning mapping: no PES of its own in the network
        own = ""
    return own if own in ids else ids[0]


def _trend_chart(ind_id: str, pes: str, comps: dict[int, Comparison], lang: str) -> dict:
    """The PES's value over the years beside its peer group's mean and the network's proportion."""
    years = sorted(comps)
    own, peer, network = [], [], []
    for y in years:
        comp = comps[y].indicator(ind_id)
        entry = comp.entries.get(pes) if comp else None
        own.append(entry.value if entry else None)
        peers = [comp.entries[p].value for p in comps[y].peers(pes) if comp and p in comp.entries] if comp else []
        valued = [v for v in peers if v is not None]
        peer.append(sum(valued) / len(valued) if valued else None)
        network.append(comp.pooled if comp else None)
    name = comps[years[-1]].pes.get(pes, {}).get("name", pes)
    datasets = [
        {"label": str(name), "data": own},
        {"label": _("Peer group mean"), "data": peer},
        {"label": _("Network proportion"), "data": network},
    ]
    return {
        "id": f"trend-{ind_id}",
        "title": _("Trend over the years"),
        "type": "line",
        "labels": [str(y) for y in years],
        "datasets": datasets,
        "unit": "%",
        "empty": not any(v is not None for d in datasets for v in d["data"]),
        "table": {
            "head": [_("Year")] + [d["label"] for d in datasets],
            "rows": [[str(y)] + [_pct(d["data"][i], lang) for d in datasets] for i, y in enumerate(years)],
        },
    }


def _labels(dimension: str, values: list[str | None], lang: str) -> list[str]:
    """Category names: women/men, "not recorded", and education levels by the code list's names
    (a partner's own code is shown as it is)."""
    values = [None if v == NOT_RECORDED else v for v in values]
    if dimension != "education_level":
        return category_labels(dimension, values, lang)
    field = "name_en" if lang == "en" else "name_sv"
    names = dict(
        Code.objects.filter(list="education_level", code__in=[v for v in values if v]).values_list("code", field)
    )
    return [_("Not recorded") if v is None else names.get(v, v) for v in values]


def _breakdown_charts(ind_id: str, package: Package, lang: str) -> list[dict]:
    """A bar chart per breakdown of the PES's package, its table beneath with the total first."""
    total = package.total(ind_id)
    out = []
    for dimension, title in DIMENSIONS.items():
        cells = [c for c in package.cells if c.indicator_id == ind_id and c.breakdown == dimension]
        if not cells:
            continue
        labels = _labels(dimension, [c.breakdown_value for c in cells], lang)
        shown = [c.suppressed if c.suppressed else _pct(c.value, lang) for c in cells]
        rows = [[_("Total"), *_cell_row(total, lang)]] if total else []
        rows += [[label, *_cell_row(c, lang)] for label, c in zip(labels, cells)]
        out.append(
            {
                "id": f"breakdown-{ind_id}-{dimension}",
                "title": str(title),
                "type": "bar",
                "labels": labels,
                "datasets": [{"label": str(title), "data": [None if c.suppressed else c.value for c in cells]}],
                "value_labels": shown,
                "unit": "%",
                "empty": False,
                "table": {"head": [str(title), _("Value (%)"), _("Numerator"), _("Denominator")], "rows": rows},
            }
        )
    return out


def _cell_row(c, lang: str) -> list[str]:
    if c.suppressed:
        return [c.suppressed, "", ""]
    return [_pct(c.value, lang), count(c.numerator, lang), count(c.denominator, lang)]


def _lessons(comp: Comparison, pes: str, packages: list[Package], names: dict[str, str]) -> list[dict]:
    """Learn from whom: per indicator where the PES lies below its peers, the peers that do better
    and the practices they have in place (from their packages' self-assessments)."""
    assessments = {p.pes_id: p.manifest.get("practices") or {} for p in packages if p.year == comp.year}
    out = []
    for lesson in practices.learn_from_whom(below_peers(comp, pes), assessments):
        ind = comp.indicator(lesson.indicator)
        out.append(
            {
                "indicator": ind.shared.name[_lang()] if ind else lesson.indicator,
                "peers": [
                    {"name": names.get(p.pes, p.pes), "in_place": p.in_place, "partly": p.partly} for p in lesson.peers
                ],
            }
        )
    return out


def network(request):
    """The imported packages (and those refused), their years newest first, and the year asked for
    (``?year=``, else the newest)."""
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
    return packages, refused, years, year


@login_required
def comparison(request):
    access.results_units(request.user, what="benchlearning", source=access.client_address(request))
    packages, refused, years, year = network(request)
    lang = _lang()
    indicators: list[dict] = []
    context: dict = {"years": years, "year": year, "indicators": indicators, "refused": [str(r) for r in refused]}
    pes = ""
    if year in years:
        shared = load_shared()
        comps = {y: compare(packages, shared, y) for y in sorted(years)}
        comp = comps[year]
        ids = sorted(comp.pes)
        pes = request.GET.get("pes") or ""
        pes = pes if pes in ids else _own_pes(ids)
        names = {p: str(meta["name"]) for p, meta in comp.pes.items()}
        package = next(p for p in packages if p.pes_id == pes and p.year == year)
        for ind in comp.indicators:
            svg = funnel_svg(
                ind, {"x": _("Denominator (persons)"), "y": _("Value (%)"), "title": ind.shared.name[lang]}
            )
            rows = [
                {
                    "pes": names[e.pes],
                    "group": _group(comp.peer_groups.get(e.pes, "")),
                    "value": e.value,
                    "low": e.low,
                    "high": e.high,
                    "denominator": e.denominator,
                    "funnel": _funnel_text(e.funnel) if e.value is not None else "",
                    "note": _note(e.note),
                    "reason": _reason(e.note),
                    "selected": e.pes == pes,
                }
                for e in ind.entries.values()
            ]
            indicators.append(
                {
                    "id": ind.shared.id,
                    "name": ind.shared.name[lang],
                    "definition": ind.shared.definition_sv if lang == "sv" else ind.shared.definition,
                    "svg": mark_safe(svg),  # built from numbers and escaped names (output.funnel_svg)
                    "rows": rows,
                    "mean": ind.mean,
                    "median": ind.median,
                    "pooled": ind.pooled,
                    "trend": _trend_chart(ind.shared.id, pes, comps, lang),
                    "breakdowns": _breakdown_charts(ind.shared.id, package, lang),
                }
            )
        context.update(
            pes=pes,
            pes_name=names[pes],
            pes_choices=sorted(names.items(), key=lambda kv: kv[1]),
            peer_group=_group(comp.peer_groups.get(pes, "")),
            peer_method=_("declared by each service")
            if comp.peer_method == "declared"
            else _("by clustering on unemployment rate, population and share born abroad"),
            peers=sorted(names[p] for p in comp.peers(pes)),
            lessons=_lessons(comp, pes, packages, names),
        )
    log.record_for_user(
        request.user,
        "read",
        source=access.client_address(request),
        object_type="benchlearning",
        detail=f"{year} {pes}".strip(),
    )
    return render(request, "benchlearning/comparison.html", context)
