"""The labour-market observatory (docs/lmi.md): a public part without sign-in (the monthly
bulletin, the dashboard and the open data: published figures only, suppressed and rounded), the
partners' tier (role partner or analyst: extracts suppressed but not rounded, cross-tabulated) and
the analysts' tier (role analyst: the figures unrounded and the pseudonymised micro-data). Every
view and download of the two tiers is written to the access log.

Open data: ``/lmi/open-data/datapackage.json`` lists every release (knowledge date) and table;
``/lmi/open-data/<release>/<table>.csv|.json|.parquet`` are stable per table and release, each
described by a Frictionless Table Schema in the data package."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io

import pyarrow as pa
import pyarrow.parquet as pq
from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from pestrack.indicators.disclosure import threshold
from pestrack.records import access
from pestrack.records.audit import log
from pestrack.records.codes import classifications
from pestrack.records.org.models import Role
from pestrack.records.spreadsheet import safe_row
from pestrack.reports import lmi, lmi_bulletin, lmi_pathways
from pestrack.reports.formatting import number
from pestrack.reports.writers import CONTENT_TYPES
from pestrack.web.lmi import data

BULLETIN_STYLE_HASH = "'sha256-" + base64.b64encode(hashlib.sha256(lmi_bulletin.STYLE.encode()).digest()).decode() + "'"
FORMATS = ("csv", "json", "parquet")
FIELDS = [
    {"name": "indicator_id", "type": "string", "description": "Indicator id (docs/lmi.md)"},
    {"name": "period", "type": "string", "description": "Month YYYY-MM, quarter YYYY-Qn or year YYYY"},
    {"name": "breakdown", "type": "string", "description": "total, or the column the figure is broken down by"},
    {
        "name": "breakdown_value",
        "type": "string",
        "description": "The code of the breakdown's category; empty for the total",
    },
    {
        "name": "value",
        "type": "string",
        "description": "The published figure: a whole number, <N (fewer than N) or .. (withheld)",
    },
]


def _lang() -> str:
    return "en" if (get_language() or "sv").startswith("en") else "sv"


def _release(text: str) -> dt.date:
    if text == "latest":
        return data.releases()[0]
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise Http404(_("No such release.")) from None
    if day not in data.releases():
        raise Http404(_("No such release."))
    return day


def _unavailable(view):
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except data.NotConfigured:
            reason = _("The labour-market figures are not set up on this server.")
            return render(request, "lmi/unavailable.html", {"reason": reason}, status=503)
        except lmi.OutsideData:
            reason = _("That month is outside the period the contract events cover.")
            return render(request, "lmi/unavailable.html", {"reason": reason}, status=404)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@_unavailable
def observatory(request):
    """The public start page: the releases, their bulletins and the open data."""
    releases = data.releases()
    return render(
        request,
        "lmi/observatory.html",
        {
            "releases": [{"date": r, "month": f"{r.year}-{r.month:02d}", "lang": _lang()} for r in releases[:24]],
            "tables": [(i.id, i.name[_lang()]) for i in lmi.definitions()],
            "latest": releases[0] if releases else None,
            "analyst": request.user.is_authenticated and access.has_role(request.user, *access.LMI_ANALYST_ROLES),
            "partner": request.user.is_authenticated and access.has_role(request.user, *access.LMI_PARTNER_ROLES),
        },
    )


@_unavailable
@csp_update({"style-src": [BULLETIN_STYLE_HASH]})
def bulletin(request, month: str, lang: str, fmt: str):
    """The monthly bulletin of a month, as known on the month's last covered day."""
    if lang not in ("sv", "en") or fmt not in ("html", "pdf"):
        raise Http404(_("No such bulletin."))
    try:
        lmi.month(month)
    except ValueError:
        raise Http404(_("No such bulletin.")) from None
    b = lmi_bulletin.build_in(data.folder(), month)
    if fmt == "html":
        return HttpResponse(lmi_bulletin.render_html(b, lang), content_type=CONTENT_TYPES["html"])
    buffer = io.BytesIO()
    lmi_bulletin.write_pdf(b, buffer, lang)
    response = HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPES["pdf"])
    response["Content-Disposition"] = f'attachment; filename="lmi-bulletin-{month}-{lang}.pdf"'
    return response


def _rows(results) -> list[list[str]]:
    return [
        [r.indicator_id, r.period, r.breakdown, r.breakdown_value or "", r.suppressed or lmi._number(r.value)]
        for r in results
    ]


@_unavailable
def datapackage(request):
    """A Frictionless Data Package: every release's tables with their Table Schema and URLs."""
    resources = []
    definitions = {i.id: i for i in lmi.definitions()}
    for release in data.releases():
        for table in definitions:
            ind = definitions[table]
            for fmt in FORMATS:
                resources.append(
                    {
                        "name": f"{table}-{release.isoformat()}-{fmt}",
                        "path": request.build_absolute_uri(
                            reverse("lmi-open-table", args=[release.isoformat(), table, fmt])
                        ),
                        "format": fmt,
                        "title": ind.name["en"],
                        "title_sv": ind.name["sv"],
                        "description": ind.definition,
                        "description_sv": ind.definition_sv,
                        "knowledge_date": release.isoformat(),
                        "schema": {
                            "fields": FIELDS,
                            "primaryKey": ["indicator_id", "period", "breakdown", "breakdown_value"],
                        },
                    }
                )
    return JsonResponse(
        {
            "name": "pestrack-lmi",
            "title": "Labour-market flows and stocks (contract events)",
            "title_sv": "Arbetsmarknadens flöden och bestånd (kontraktshändelser)",
            "licenses": [{"name": "CC-BY-4.0"}],
            "resources": resources,
        }
    )


@_unavailable
def open_table(request, release: str, table: str, fmt: str):
    """One indicator's published figures of one release as CSV, JSON or Parquet."""
    day = _release(release)
    if fmt not in FORMATS or table not in {i.id for i in lmi.definitions()}:
        raise Http404(_("No such table."))
    rows = _rows([r for r in data.public(day) if r.indicator_id == table])
    name = f"{table}-{day.isoformat()}.{fmt}"
    if fmt == "json":
        response = JsonResponse({"knowledge_date": day.isoformat(), "fields": FIELDS, "data": rows})
    elif fmt == "csv":
        text = io.StringIO()
        w = csv.writer(text)
        w.writerow([f["name"] for f in FIELDS])
        w.writerows(safe_row(r) for r in rows)
        response = HttpResponse(text.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        buffer = io.BytesIO()
        columns = list(zip(*rows)) if rows else [[] for _ in FIELDS]
        pq.write_table(pa.table({f["name"]: pa.array(list(c), pa.string()) for f, c in zip(FIELDS, columns)}), buffer)
        response = HttpResponse(buffer.getvalue(), content_type="application/vnd.apache.parquet")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@login_required
@_unavailable
def analysts(request):
    """The analysts' tier: the figures unrounded and unsuppressed, and the pseudonymised
    micro-data (the contract events as known on a release). Role analyst only; logged."""
    if not access.has_role(request.user, Role.ANALYST):
        log.record_for_user(
            request.user, "denied", source=access.client_address(request), object_type="lmi", detail="analysts' tier"
        )
        return render(
            request, "lmi/unavailable.html", {"reason": _("The analysts' tier is for the analyst role.")}, status=403
        )
    releases = data.releases()
    download = request.GET.get("download")
    if download in ("figures", "events"):
        day = _release(request.GET.get("release", "latest"))
        log.record_for_user(
            request.user,
            "export",
            source=access.client_address(request),
            object_type="lmi",
            detail=f"{download} as known on {day.isoformat()}",
        )
        if download == "figures":
            text = io.StringIO()
            w = csv.writer(text)
            w.writerow(lmi.CSV_COLUMNS)
            w.writerows(safe_row(r) for r in _rows(data.figures(day)))
            response = HttpResponse(text.getvalue(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="lmi-figures-{day.isoformat()}.csv"'
            return response
        table = pq.read_table(data.folder() / "contract_events.parquet")
        known = pa.scalar(day, pa.date32())
        import pyarrow.compute as pc

        keep = pc.and_kleene(
            pc.less_equal(table["known_date"], known),
            pc.or_kleene(pc.is_null(table["superseded_date"]), pc.greater(table["superseded_date"], known)),
        )
        buffer = io.BytesIO()
        pq.write_table(table.filter(keep), buffer)
        response = HttpResponse(buffer.getvalue(), content_type="application/vnd.apache.parquet")
        response["Content-Disposition"] = f'attachment; filename="contract-events-{day.isoformat()}.parquet"'
        return response
    log.record_for_user(
        request.user, "read", source=access.client_address(request), object_type="lmi", detail="analysts' tier"
    )
    return render(request, "lmi/analysts.html", {"releases": releases[:24]})


FILTER_NAMES = {
    "contract_type": gettext_lazy("Contract type"),
    "sector": gettext_lazy("Industry (SNI 2007)"),
    "municipality": gettext_lazy("Municipality"),
    "sex": gettext_lazy("Sex"),
    "age_band": gettext_lazy("Age band"),
    "occupation_group": gettext_lazy("Occupation group (SSYK 2012)"),
}
BREAKDOWN_NAMES = {
    **FILTER_NAMES,
    "termination_reason": gettext_lazy("Reason for the termination"),
    "previous_contract_type": gettext_lazy("Contract type before"),
    "full_time": gettext_lazy("Full or part time"),
}
CODE_LISTS = {"previous_contract_type": "contract_type"}


def _code_label(codes, breakdown: str, code: str, lang: str) -> str:
    """A category's name in the language: from the profile's classifications, else a few fixed ones."""
    if breakdown == "sex":
        return str({"woman": _("Women"), "man": _("Men")}.get(code, code))
    if breakdown == "full_time":
        return str({"true": _("Full time"), "false": _("Part time")}.get(code, code))
    name = CODE_LISTS.get(breakdown, breakdown)
    if name in codes.lists:
        label = codes[name].label(code, lang)
        return f"{code} {label}" if breakdown in ("sector", "occupation_group") and label != code else label
    return code


def _filters(request, release: dt.date) -> dict[str, str]:
    """The dashboard's filters from the query: each must be a category of the release (else 404)."""
    offered = data.categories(release)
    chosen = {}
    for name in lmi.FILTERS:
        value = request.GET.get(name, "")
        if value:
            if value not in offered[name]:
                raise Http404(_("No such category."))
            chosen[name] = value
    return chosen


def _period(request, release: dt.date) -> str:
    labels = data.period_labels(release)
    label = request.GET.get("period") or f"{release.year}-{release.month:02d}"  # default: the release's month
    if label not in labels:
        raise Http404(_("No such period."))
    return label


def _tables(results, lang: str) -> list[dict]:
    """The figures per indicator: the total, then a table per breakdown (published values)."""
    codes = classifications.load(settings.PESTRACK_PROFILE)
    definitions = {i.id: i for i in lmi.definitions()}
    out: dict[str, dict] = {}
    for r in results:
        ind = definitions[r.indicator_id]
        entry = out.setdefault(
            r.indicator_id,
            {
                "id": r.indicator_id,
                "name": ind.name[lang],
                "definition": ind.definition_sv if lang == "sv" and ind.definition_sv else ind.definition,
                "total": "–",
                "breakdowns": {},
            },
        )
        value = lmi_bulletin.show(r.suppressed or r.value, lang)
        if r.breakdown == "total":
            entry["total"] = value
        else:
            rows = entry["breakdowns"].setdefault(r.breakdown, {"name": BREAKDOWN_NAMES.get(r.breakdown), "rows": []})
            rows["rows"].append((_code_label(codes, r.breakdown, r.breakdown_value or "", lang), value))
    return list(out.values())


@_unavailable
def dashboard(request):
    """The public dashboard: one period's figures under filters (period, contract type, industry,
    municipality, sex, age band, occupation group), as published, each with its definition, the
    source, the knowledge date and the revision note."""
    releases = data.releases()
    day = _release(request.GET.get("release") or "latest")
    label = _period(request, day)
    chosen = _filters(request, day)
    lang = _lang()
    codes = classifications.load(settings.PESTRACK_PROFILE)
    results = data.published(data.dashboard(day, label, chosen))
    return render(
        request,
        "lmi/dashboard.html",
        {
            "releases": releases[:24],
            "release": day,
            "periods": data.period_labels(day),
            "period": label,
            "filters": [
                {
                    "name": name,
                    "title": FILTER_NAMES[name],
                    "chosen": chosen.get(name, ""),
                    "options": [(v, _code_label(codes, name, v, lang)) for v in values],
                }
                for name, values in data.categories(day).items()
            ],
            "tables": _tables(results, lang),
            "durability": _durability(day, lang),
            "shortages": _shortages(day, label, lang),
            "revisions": data.revisions(day, label),
            "below": threshold(settings.PESTRACK_PROFILE, settings.PESTRACK_SUPPRESS_BELOW),
            "step": lmi.rounding(settings.PESTRACK_PROFILE),
        },
    )


def _refuse(request, roles, what: str, reason: str):
    """None when the user has one of ``roles``; else the refusal (403, logged ``denied``)."""
    if access.has_role(request.user, *roles):
        return None
    log.record_for_user(request.user, "denied", source=access.client_address(request), object_type="lmi", detail=what)
    return render(request, "lmi/unavailable.html", {"reason": reason}, status=403)


def _durability(release: dt.date, lang: str) -> dict:
    """The durability section: the share in work at each horizon, in total and by measure; a share of
    fewer exits than the threshold withheld, the counts rounded as every published count."""
    below = threshold(settings.PESTRACK_PROFILE, settings.PESTRACK_SUPPRESS_BELOW)
    step = lmi.rounding(settings.PESTRACK_PROFILE)

    def cell(s) -> tuple[str, str]:
        if not s.exits:
            return "0", "–"
        if s.exits < below:
            return f"<{below}", ".."
        return lmi_bulletin.show(lmi.rounded(s.exits, step), lang), number(s.share, 1, lang) + " %"

    shares = data.durability(release)
    horizons = sorted({s.horizon for s in shares})
    rows: dict[str, list] = {}
    for s in shares:
        if s.breakdown in ("total", "measure"):
            name = str(_("All exits to work")) if s.breakdown == "total" else s.value or ""
            rows.setdefault(name, []).append(cell(s))
    return {
        "configured": data.participants() is not None,
        "horizons": horizons,
        "rows": list(rows.items()),
        "pathways": _pathways(release, lang, below, step),
        "comparison": _comparison(release, lang, below, step),
    }


PATHWAY_STATES = {
    "permanent": gettext_lazy("In work, permanent contract"),
    "temporary": gettext_lazy("In work, other contract"),
    "measure": gettext_lazy("In a measure again"),
    "unknown": gettext_lazy("Nothing known"),
}


def _pathways(release: dt.date, lang: str, below: int, step: int) -> dict | None:
    """The pathways after every exit: a stacked bar per month after the exit of the states' shares
    (lmi_pathways.svg) and the table beneath, as published (suppressed, rounded)."""
    months = lmi_pathways.published(data.pathways(release), below, step)
    if not months:
        return None
    labels = {s: str(PATHWAY_STATES[s]) for s in lmi_pathways.STATES}
    title = _("Pathways after an exit: the state of every exit each month after it")

    def share(v: float | None) -> str:
        return ".." if v is None else number(v, 1, lang) + " %"

    return {
        "svg": mark_safe(lmi_pathways.svg(months, labels, title, str(_("withheld")), lang)),  # noqa: S308  escaped in svg()
        "states": [labels[s] for s in lmi_pathways.STATES],
        "rows": [
            (
                m.month,
                lmi_bulletin.show(m.exits, lang),
                [(lmi_bulletin.show(m.counts[s], lang), share(m.shares[s])) for s in lmi_pathways.STATES],
            )
            for m in months
        ],
    }


def _comparison(release: dt.date, lang: str, below: int, step: int) -> dict | None:
    """The stored comparison with a matched group (pestrack lmi compare): never computed per view. A
    measure with fewer exits to work than the threshold is withheld."""
    stored = data.comparisons()
    if not stored:
        return None
    pct = lambda v: number(v, 1, lang) + " %"  # noqa: E731
    pp = lambda v: number(v, 1, lang)  # noqa: E731
    rows = []
    for c in stored["comparisons"]:
        if c["n_treated"] < below:
            rows.append((c["measure"], f"<{below}", "..", "..", "..", ".."))
        else:
            rows.append(
                (
                    c["measure"],
                    lmi_bulletin.show(lmi.rounded(c["n_treated"], step), lang),
                    pct(c["treated"]),
                    pct(c["matched"]),
                    pp(c["difference"]),
                    f"{pp(c['low'])} – {pp(c['high'])}",
                )
            )
    return {
        "rows": rows,
        "horizon": stored["horizon"],
        "known_on": dt.date.fromisoformat(stored["knowledge_date"]),
        "computed": dt.datetime.fromisoformat(stored["computed_at"]),
        "other_release": stored["knowledge_date"] != release.isoformat(),
    }


VERDICTS = {
    "no_shortage": gettext_lazy("no shortage"),
    "met": gettext_lazy("training meets the gap"),
    "not_met": gettext_lazy("training does not meet the gap"),
    None: gettext_lazy("no course results"),
}


def _shortages(release: dt.date, label: str, lang: str) -> dict:
    """The shortages section: per occupation group the counts as published (suppressed, rounded) and
    the verdict, which is worked out on the exact counts."""
    below = threshold(settings.PESTRACK_PROFILE, settings.PESTRACK_SUPPRESS_BELOW)
    step = lmi.rounding(settings.PESTRACK_PROFILE)
    codes = classifications.load(settings.PESTRACK_PROFILE)

    def shown(n: int | None) -> str:
        if n is None:
            return "–"
        if 0 < n < below:
            return f"<{below}"
        return lmi_bulletin.show(lmi.rounded(n, step), lang)

    rows = [
        {
            "group": _code_label(codes, "occupation_group", r.group, lang),
            "cells": [
                shown(r.vacancies),
                shown(r.job_seekers),
                shown(r.hires),
                shown(r.training_started),
                shown(r.training_passed),
            ],
            "verdict": VERDICTS[r.verdict],
            "unmet": r.verdict == "not_met",
        }
        for r in data.shortages(release, label)
    ]
    return {"configured": data.registers() is not None, "rows": rows}


CROSS_COLUMNS = ("filter", "filter_value", *lmi.CSV_COLUMNS)


@login_required
@_unavailable
def partners(request):
    """The partners' tier: every figure suppressed but not rounded, and cross-tabulations (every
    figure of a period by each breakdown within each category of one filter). Role partner or
    analyst; every view and download logged."""
    refused = _refuse(request, access.LMI_PARTNER_ROLES, "partners' tier", _("The partners' tier is for partners."))
    if refused:
        return refused
    releases = data.releases()
    download = request.GET.get("download")
    if download in ("figures", "crosstab"):
        day = _release(request.GET.get("release", "latest"))
        text = io.StringIO()
        w = csv.writer(text)
        if download == "figures":
            detail, name = f"figures as known on {day.isoformat()}", f"lmi-partner-figures-{day.isoformat()}.csv"
            w.writerow(lmi.CSV_COLUMNS)
            w.writerows(safe_row(r) for r in _rows(data.for_partners(data.figures(day))))
        else:
            label, by = _period(request, day), request.GET.get("by", "")
            if by not in lmi.FILTERS:
                raise Http404(_("No such category."))
            detail = f"cross-tabulation by {by}, {label}, as known on {day.isoformat()}"
            name = f"lmi-partner-{by}-{label}-{day.isoformat()}.csv"
            w.writerow(CROSS_COLUMNS)
            for value in data.categories(day)[by]:
                rows = _rows(data.for_partners(data.dashboard(day, label, {by: value})))
                w.writerows(safe_row([by, value, *r]) for r in rows)
        log.record_for_user(
            request.user, "export", source=access.client_address(request), object_type="lmi", detail=detail
        )
        response = HttpResponse(text.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    log.record_for_user(
        request.user, "read", source=access.client_address(request), object_type="lmi", detail="partners' tier"
    )
    latest = releases[0] if releases else None
    return render(
        request,
        "lmi/partners.html",
        {
            "releases": releases[:24],
            "periods": data.period_labels(latest) if latest else [],
            "filters": [(name, FILTER_NAMES[name]) for name in lmi.FILTERS],
        },
    )
