"""Results pages: who sees them is decided by records.access.results_units (analysts: all units;
unit managers: their units; nobody else), and every page, download and refusal is logged."""

from __future__ import annotations

import base64
import functools
import hashlib
import tempfile
from pathlib import Path

from csp.decorators import csp_update
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from pestrack.indicators.compile import TOTAL
from pestrack.indicators.fulfilment import MET, NOT_MET, PARTLY
from pestrack.records import access
from pestrack.records.audit import log
from pestrack.reports.annual import SYMBOL
from pestrack.reports.formatting import count, printed
from pestrack.reports.html import STYLE as REPORT_STYLE
from pestrack.reports.labels import words as report_words
from pestrack.reports.writers import CONTENT_TYPES, WRITERS
from pestrack.results import service
from pestrack.web.results import charts, sparkline

FULFILMENT_WORDS = {MET: gettext_lazy("Met"), PARTLY: gettext_lazy("Partly met"), NOT_MET: gettext_lazy("Not met")}
REPORT_LANGUAGES = (("sv", "Svenska"), ("en", "English"))


def language() -> str:
    return "en" if (get_language() or "sv").startswith("en") else "sv"


NO_MARK = mark_safe('<span class="mark">–</span>')


def mark(status: str | None) -> SafeString:
    """A fulfilment mark's HTML: a symbol and a word (never colour alone), and a class for the colour.

    Made here rather than by an included template: the dashboard shows one per indicator, and
    including a template that often was a fifth of the page's time."""
    if not status:
        return NO_MARK
    return format_html(
        '<span class="mark mark-{}"><span aria-hidden="true">{}</span> {}</span>',
        status,
        SYMBOL[status],
        FULFILMENT_WORDS[status],
    )


class PeriodForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int)
    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        choices=[
            ("VB", gettext_lazy("Whole year (VB)")),
            ("T1", gettext_lazy("January–April (T1)")),
            ("T2", gettext_lazy("January–August (T2)")),
        ],
    )

    def __init__(self, data, years: list[int], default: int):
        super().__init__(data)
        # a year the data do not cover whole is offered with a note (years without data are not offered)
        self.fields["year"].choices = [
            (y, str(y) if service.complete(y) else _("%(year)s (incomplete data)") % {"year": y})
            for y in reversed(years)
        ]
        self.default_year = default

    def choice(self) -> tuple[int, str]:
        if self.is_valid():
            return self.cleaned_data["year"], self.cleaned_data["period"]
        return self.default_year, "VB"


class ReportForm(PeriodForm):
    lang = forms.ChoiceField(label=gettext_lazy("Language of the report"), choices=REPORT_LANGUAGES)


def _selection(request, form_class=PeriodForm):
    """The period form (bound to the query, defaults filled in) and the chosen year and period."""
    default = service.default_year()
    years = service.years() or [default]
    query = request.GET.copy()
    query.setdefault("year", str(default))
    query.setdefault("period", "VB")
    query.setdefault("lang", language())
    form = form_class(query, years, default)
    year, code = form.choice()
    return form, year, code


def _scope(request, what: str):
    return access.results_units(request.user, what=what, source=access.client_address(request))


def _log(request, what: str, detail: str, action: str = "read") -> None:
    log.record_for_user(request.user, action, source=access.client_address(request), object_type=what, detail=detail)


def _status(form) -> int:
    return 200 if form.is_valid() else 400


def results_page(view):
    """Log-in required; when the analytics tables cannot be found the page says so (503)."""

    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except FileNotFoundError as exc:
            return render(request, "results/unavailable.html", {"reason": str(exc)}, status=503)

    return wrapped


def _indicator(indicator_id: str):
    ind = service.indicators().get(indicator_id)
    if ind is None:
        raise Http404(_("No such indicator."))
    return ind


def _goals(report, year: int, units: list[str] | None, lang: str) -> list[dict]:
    """The report's goals with their indicator rows, as the dashboard shows them."""
    words = report_words(report.goals, lang)
    goals = []
    for goal in report.goals.goals:
        rows = []
        for row in [r for r in report.rows if r.goal_id == goal.id]:
            ind = row.indicator
            cells = row.cells(year, lang)
            rows.append(
                {
                    "name": row.name.get(lang) or row.name["sv"],
                    "id": ind.id if ind else None,
                    "computed": bool(ind and not ind.is_reported),
                    "available": bool(ind and service.available(ind, units)),
                    "outcome": cells["outcome"],
                    "target": cells["target"],
                    "prev": cells["outcome_prev_year"],
                    "mark": mark(row.fulfilment),
                    "not_compared": cells["fulfilment"] if row.not_compared else "",
                }
            )
        status = report.statuses[goal.id]
        goals.append(
            {
                "id": goal.id,
                "title": goal.title,
                "level": words[goal.level],
                "depth": min(goal.id.count(".") + 2, 6),
                "mark": mark(status["status"]),
                "rows": rows,
                "assessed": status["assessment"] is not None,
            }
        )
    return goals


def _overview(report, history: dict, year: int, code: str, units: list[str] | None, lang: str) -> list[dict]:
    """Each goal with its indicators' outcome, target, mark and small trend (``service.history``):
    the top of the dashboard, before the goals' tables."""
    partial = service.partial_years()
    goals = []
    for goal in report.goals.goals:
        items = []
        for row in [r for r in report.rows if r.goal_id == goal.id and r.indicator is not None]:
            ind = row.indicator
            cells = row.cells(year, lang)
            past = history.get(ind.id, [])
            values = [v if isinstance(v, (int, float)) else None for _y, v in past]
            target = row.target if row.scoped else ind.targets.get(year, {}).get("own")
            target = target if isinstance(target, (int, float)) and not isinstance(target, bool) else None
            said = [f"{charts.year_label(y, partial)}: {printed(ind, v, lang) or _('no value')}" for y, v in past]
            items.append(
                {
                    "name": row.name.get(lang) or row.name["sv"],
                    "id": ind.id,
                    "link": not ind.is_reported and service.available(ind, units),
                    "outcome": cells["outcome"],
                    "target": cells["target"],
                    "mark": mark(row.fulfilment),
                    "spark": sparkline.svg(values, [y in partial for y, _v in past], target),
                    "spark_text": _("Trend, %(period)s by year: %(values)s")
                    % {"period": code, "values": "; ".join(said)}
                    if len(past) > 1
                    else "",
                }
            )
        status = mark(report.statuses[goal.id]["status"])
        goals.append({"id": goal.id, "title": goal.title, "mark": status, "items": items})
    return goals


@results_page
def dashboard(request):
    units = _scope(request, "results dashboard")
    form, year, code = _selection(request)
    lang = language()
    report = service.report(year, code, units)
    _log(request, "results dashboard", f"{report.period.label}, {service.scope_text(units)}")
    # The goals' tables are made from the report alone: the template keeps their HTML under the
    # report's key and the language (they were about two thirds of the page's CPU), and makes the
    # rows (a callable in the context) only when it has no HTML kept.
    goals_key = hashlib.sha256(repr((service.report_key(year, code, units), lang)).encode()).hexdigest()
    context = {
        "form": form,
        "period": report.period,
        "units": units,
        "year": year,
        "code": code,
        "goals": functools.partial(_goals, report, year, units, lang),
        "overview": lambda: _overview(report, service.history(year, code, units), year, code, units, lang),
        "goals_key": goals_key,
        "legend": [mark(s) for s in (MET, PARTLY, NOT_MET)],
        "suppress_below": report.suppress_below,
        "incomplete": not service.complete(year, code),
    }
    return render(request, "results/dashboard.html", context, status=_status(form))


@results_page
def indicator(request, indicator_id: str):
    units = _scope(request, "results indicator")
    ind = _indicator(indicator_id)
    form, year, code = _selection(request)
    lang = language()
    fmt = lambda v, cell="outcome": printed(ind, v, lang, cell)  # noqa: E731
    context = {
        "form": form,
        "indicator": ind,
        "name": ind.name.get(lang) or ind.name["sv"],
        "units": units,
        "definition": ind.definition if lang == "en" else ind.definition_sv,
        "available": service.available(ind, units),
        "year": year,
        "code": code,
        "target": fmt(ind.targets.get(year, {}).get("own"), "target"),
        "reported": ind.is_reported,
        "suppress_below": service.suppress_below(),
        "incomplete": not service.complete(year, code),
        "period": service.period(year, code),
    }
    if context["available"] and not ind.is_reported:
        total = next((r for r in service.results(ind, year, code, units) if r.breakdown == TOTAL), None)
        row = next(
            (r for r in service.report(year, code, units).rows if r.indicator and r.indicator.id == ind.id), None
        )
        trend = service.trend(ind, units)
        context.update(
            {
                "outcome": fmt(total.suppressed or total.value if total else None),
                "numerator": count(total.numerator, lang) if total else "",
                "denominator": count(total.denominator, lang) if total else "",
                "mark": mark(row.fulfilment if row else None),
                "not_compared": row.cells(year, lang)["fulfilment"] if row and row.not_compared else "",
                "target": row.cells(year, lang)["target"] if row else context["target"],
                "trend": charts.trend_chart(ind, trend, lang, units, partial=service.partial_years()),
                "breakdowns": [
                    charts.breakdown_chart(ind, dim, rows, lang)
                    for dim, rows in service.breakdowns(ind, year, code, units).items()
                ],
            }
        )
    _log(request, "results indicator", f"{ind.id} {code} {year}, {service.scope_text(units)}")
    return render(request, "results/indicator.html", context, status=_status(form))


class RowsForm(forms.Form):
    only = forms.ChoiceField(
        label=gettext_lazy("Rows"),
        required=False,
        choices=[
            ("", gettext_lazy("All rows of the population")),
            ("numerator", gettext_lazy("Counted in the numerator")),
            ("denominator", gettext_lazy("Counted in the denominator")),
        ],
    )
    page = forms.IntegerField(min_value=1, max_value=service.MAX_PAGE, required=False)


@results_page
def rows(request, indicator_id: str):
    """The pseudonymised rows behind an indicator (drill-down)."""
    units = _scope(request, "results rows")
    ind = _indicator(indicator_id)
    if ind.is_reported or not service.available(ind, units):
        raise Http404(_("This indicator has no rows for your units."))
    form, year, code = _selection(request)
    filters = RowsForm(request.GET)
    only, page = (
        (filters.cleaned_data["only"] or None, filters.cleaned_data["page"] or 1) if filters.is_valid() else (None, 1)
    )
    lang = language()
    columns, found, total = service.drill_rows(ind, year, code, units, only, page)
    readable = access.person_keys_readable(request.user) if "person_key" in columns else {}
    key_at = columns.index("person_key") if "person_key" in columns else None
    table = [
        {"cells": cells, "key": r[key_at] if key_at is not None and r[key_at] in readable else None}
        for r, cells in zip(found, charts.row_values(columns, found, language()))
    ]
    pages = max(1, -(-total // service.PAGE_ROWS))
    if page > pages:
        raise Http404(_("There is no page %(page)s: the rows have %(pages)s pages.") % {"page": page, "pages": pages})
    _log(
        request,
        "results rows",
        f"{ind.id} {code} {year} {only or 'all'} page {page}: {len(found)} of {total} "
        f"pseudonymised rows, {service.scope_text(units)}",
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "filters": filters,
        "indicator": ind,
        "name": ind.name.get(lang) or ind.name["sv"],
        "columns": [charts.column_label(c) for c in columns],
        "rows": table,
        "total": total,
        "total_text": count(total, lang),
        "rows_total": total,  # the plural form's number (total_text is what is printed)
        "page": page,
        "pages": pages,
        "query": query.urlencode(),
        "key_at": key_at,
        "units": units,
        "year": year,
        "code": code,
        "lang": lang,
    }
    return render(request, "results/rows.html", context, status=_status(form) if filters.is_valid() else 400)


@login_required
def person(request, key: str):
    """From a pseudonymised row to the person: only for a caseworker who may read them."""
    person = access.person_for_key(request.user, key, source=access.client_address(request))
    return redirect(reverse("person-detail", args=[person.pk]))


@results_page
def report_page(request):
    units = _scope(request, "annual report")
    form, year, code = _selection(request, ReportForm)
    lang = form.cleaned_data["lang"] if form.is_valid() else language()
    links = [
        {"format": fmt, "url": reverse("results-report-file", args=[year, code, lang, fmt])}
        for fmt in ("html", "pdf", "xlsx", "csv")
    ]
    if lang == "sv":
        links.append(
            {
                "format": "csv",
                "comma": True,
                "url": reverse("results-report-file", args=[year, code, lang, "csv"]) + "?separator=comma",
            }
        )
    _log(request, "annual report", f"report page {code} {year}, {service.scope_text(units)}")
    return render(
        request,
        "results/report.html",
        {
            "form": form,
            "year": year,
            "code": code,
            "lang": lang,
            "units": units,
            "links": links,
            "view_url": reverse("results-report-view", args=[year, code, lang]),
            # with contract events, the report ends with the durability (_report_file); not a unit's
            "durability": bool(settings.PESTRACK_LMI_DIR) and units is None,
        },
        status=_status(form),
    )


def _report_file(request, year: int, code: str, lang: str, fmt: str) -> tuple[bytes, str]:
    units = _scope(request, "annual report")
    if code not in service.PERIODS or lang not in dict(REPORT_LANGUAGES) or fmt not in WRITERS:
        raise Http404(_("No such report."))
    if year not in service.years():
        raise Http404(_("There is no data for that year."))
    report = service.report(year, code, units)
    if settings.PESTRACK_LMI_DIR:  # the durability of work after an exit, from the contract events
        from pestrack.lmi import durability

        report = service.with_durability(
            report, Path(settings.PESTRACK_LMI_DIR), durability.durability, durability.stored_comparisons
        )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"report.{fmt}"
        if fmt == "csv":  # ?separator=comma: comma-separated instead of the Swedish semicolons
            WRITERS[fmt](report, out, lang, comma=request.GET.get("separator") == "comma")
        else:
            WRITERS[fmt](report, out, lang)
        content = out.read_bytes()
    name = f"{'verksamhetsberattelse' if lang == 'sv' else 'annual-report'}-{code}-{year}.{fmt}"
    return content, name


@results_page
def report_file(request, year: int, code: str, lang: str, fmt: str):
    content, name = _report_file(request, year, code, lang, fmt)
    _log(request, "annual report", f"download {name}", action="export")
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# The report's HTML file carries its own <style> (it is also a download that must stand alone): the
# page's Content-Security-Policy allows exactly that style by its hash, and still no script.
REPORT_STYLE_HASH = "'sha256-" + base64.b64encode(hashlib.sha256(REPORT_STYLE.encode()).digest()).decode() + "'"


@results_page
@csp_update({"style-src": [REPORT_STYLE_HASH]})
def report_view(request, year: int, code: str, lang: str):
    """The report's HTML shown in the browser (the same file as the HTML download)."""
    content, name = _report_file(request, year, code, lang, "html")
    _log(request, "annual report", f"view {name}")
    return HttpResponse(content, content_type=CONTENT_TYPES["html"])
