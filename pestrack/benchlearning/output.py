"""The comparison written as CSV, XLSX or a standalone HTML page (funnel plots as inline SVG, the
values in a table beneath each), and the Kolada-style export of a package (docs/benchlearning.md)."""

from __future__ import annotations

import csv
import html
import math
from pathlib import Path

from pestrack.benchlearning.compare import Comparison, IndicatorComparison
from pestrack.benchlearning.definitions import Mapping
from pestrack.benchlearning.package import Package
from pestrack.indicators.compile import TOTAL
from pestrack.records.spreadsheet import safe_row

COLUMNS = (
    "indicator_id",
    "pes_id",
    "pes_name",
    "year",
    "value",
    "numerator",
    "denominator",
    "ci95_low",
    "ci95_high",
    "network_mean",
    "network_median",
    "network_proportion",
    "peer_group",
    "peer_mean",
    "funnel_95_low",
    "funnel_95_high",
    "funnel_99_8_low",
    "funnel_99_8_high",
    "funnel",
    "trend",
    "note",
)


def _r(v, digits: int = 2):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), digits)


def rows(comparison: Comparison) -> list[dict]:
    """One row per indicator and PES: the columns of COLUMNS."""
    out = []
    for comp in comparison.indicators:
        for pes, e in comp.entries.items():
            group = comparison.peer_groups.get(pes, "")
            peer_values = [
                comp.entries[p].value
                for p in comparison.peers(pes)
                if comp.entries.get(p) and comp.entries[p].value is not None
            ]
            limits = comp.limits(e.denominator) if e.denominator else {}
            out.append(
                {
                    "indicator_id": comp.shared.id,
                    "pes_id": pes,
                    "pes_name": comparison.pes[pes]["name"],
                    "year": comparison.year,
                    "value": _r(e.value),
                    "numerator": None if e.numerator is None else int(e.numerator),
                    "denominator": None if e.denominator is None else int(e.denominator),
                    "ci95_low": _r(e.low),
                    "ci95_high": _r(e.high),
                    "network_mean": _r(comp.mean),
                    "network_median": _r(comp.median),
                    "network_proportion": _r(comp.pooled),
                    "peer_group": group,
                    "peer_mean": _r(sum(peer_values) / len(peer_values)) if peer_values else None,  # type: ignore[arg-type]
                    "funnel_95_low": _r(limits["95"][0]) if limits else None,
                    "funnel_95_high": _r(limits["95"][1]) if limits else None,
                    "funnel_99_8_low": _r(limits["99.8"][0]) if limits else None,
                    "funnel_99_8_high": _r(limits["99.8"][1]) if limits else None,
                    "funnel": f"outside {e.funnel.split()[1]} % ({e.funnel.split()[0]})" if e.funnel else "",
                    "trend": "; ".join(f"{y}: {'' if v is None else round(v, 2)}" for y, v in e.trend.items()),
                    "note": e.note,
                }
            )
    return out


def write(comparison: Comparison, out: Path) -> None:
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix == ".csv":
        with open(out, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(COLUMNS)
            for row in rows(comparison):
                w.writerow(safe_row(["" if row[c] is None else row[c] for c in COLUMNS]))
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "comparison"
        ws.append(list(COLUMNS))
        for row in rows(comparison):
            ws.append(safe_row([row[c] for c in COLUMNS]))
        info = wb.create_sheet("network")
        info.append(["pes_id", "pes_name", "peer_group", "unemployment_rate", "population", "born_abroad_share"])
        for pes, meta in comparison.pes.items():
            ctx = meta.get("context", {})
            info.append(
                safe_row(
                    [pes, meta["name"], comparison.peer_groups.get(pes, ""), ctx.get("unemployment_rate"),
                     ctx.get("population"), ctx.get("born_abroad_share")]
                )
            )  # fmt: skip
        wb.save(out)
    elif suffix in (".html", ".htm"):
        out.write_text(html_page(comparison), encoding="utf-8")
    else:
        raise ValueError(f"{out}: the comparison is written as .csv, .html or .xlsx")


def funnel_svg(
    comp: IndicatorComparison, labels: dict[str, str] | None = None, width: int = 560, height: int = 300
) -> str:
    """The funnel plot of one indicator: each PES's value against its denominator, with the 95 %
    and 99.8 % control limits around the network proportion. ``labels``: axis texts ("x", "y") and
    the plot's name ("title", default the indicator's English name)."""
    labels = {"x": "Denominator (persons)", "y": "Value (%)", **(labels or {})}
    points = [e for e in comp.entries.values() if e.value is not None and e.denominator]
    if not points or comp.pooled is None:
        return ""
    left, right, top, bottom = 48, 16, 12, 36
    max_n = max(e.denominator for e in points) * 1.1  # type: ignore[type-var,operator]
    min_n = max(1.0, min(e.denominator for e in points) * 0.5)  # type: ignore[type-var,operator]
    values = [e.value for e in points] + [comp.pooled]
    lo_y = max(0.0, min(values) - 10)  # type: ignore[type-var,operator]
    hi_y = min(100.0, max(values) + 10)  # type: ignore[type-var,operator]

    def x(n: float) -> float:
        return left + (math.log(n) - math.log(min_n)) / (math.log(max_n) - math.log(min_n) or 1) * (
            width - left - right
        )

    def y(v: float) -> float:
        return top + (hi_y - v) / (hi_y - lo_y or 1) * (height - top - bottom)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{html.escape(labels.get("title") or comp.shared.name.get("en", comp.shared.id))}">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#444"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#444"/>',
        f'<line x1="{left}" y1="{y(comp.pooled):.1f}" x2="{width - right}" y2="{y(comp.pooled):.1f}" stroke="#333" stroke-dasharray="4 3"/>',
    ]
    steps = [min_n * (max_n / min_n) ** (i / 60) for i in range(61)]
    for level, colour in (("95", "#d08c00"), ("99.8", "#b00020")):
        for side in (0, 1):
            pts = " ".join(f"{x(n):.1f},{y(comp.limits(n)[level][side]):.1f}" for n in steps)
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1" points="{pts}"/>')
    for tick in (lo_y, (lo_y + hi_y) / 2, hi_y):
        parts.append(f'<text x="{left - 4}" y="{y(tick) + 4:.1f}" font-size="10" text-anchor="end">{tick:.0f}</text>')
    for tick in (min_n, math.sqrt(min_n * max_n), max_n):
        parts.append(
            f'<text x="{x(tick):.1f}" y="{height - bottom + 14}" font-size="10" text-anchor="middle">{tick:.0f}</text>'
        )
    parts.append(
        f'<text x="{(left + width) / 2:.0f}" y="{height - 4}" font-size="11" text-anchor="middle">{html.escape(labels["x"])}</text>'
    )
    parts.append(f'<text x="12" y="{top + 8}" font-size="11">{html.escape(labels["y"])}</text>')
    for e in points:
        colour = "#b00020" if e.funnel.endswith("99.8") else "#d08c00" if e.funnel else "#1f5fa8"
        cx, cy = x(e.denominator), y(e.value)  # type: ignore[arg-type]
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{colour}"><title>{html.escape(e.pes)}</title></circle>'
        )
        parts.append(f'<text x="{cx + 6:.1f}" y="{cy - 5:.1f}" font-size="10">{html.escape(e.pes)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def html_page(comparison: Comparison) -> str:
    """A standalone page (English): per indicator, its funnel plot and the table of its values."""
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Benchlearning comparison {comparison.year}</title>",
        "<style>body{font-family:sans-serif;max-width:72rem;margin:auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child,th:first-child{text-align:left}</style>",
        f"</head><body><h1>Benchlearning comparison {comparison.year}</h1>",
        f"<p>Definitions version {html.escape(comparison.version)}; peer groups: {comparison.peer_method}.</p>",
    ]
    by_ind: dict[str, list[dict]] = {}
    for row in rows(comparison):
        by_ind.setdefault(row["indicator_id"], []).append(row)
    for comp in comparison.indicators:
        out.append(f"<h2>{html.escape(comp.shared.name['en'])}</h2><p>{html.escape(comp.shared.definition)}</p>")
        out.append(funnel_svg(comp) or "<p>No PES has a value for this indicator.</p>")
        heads = (
            "pes_name",
            "value",
            "numerator",
            "denominator",
            "ci95_low",
            "ci95_high",
            "peer_group",
            "funnel",
            "trend",
            "note",
        )
        out.append("<table><tr>" + "".join(f"<th>{h}</th>" for h in heads) + "</tr>")
        for row in by_ind.get(comp.shared.id, []):
            out.append(
                "<tr>"
                + "".join(f"<td>{html.escape('' if row[h] is None else str(row[h]))}</td>" for h in heads)
                + "</tr>"
            )
        out.append(
            f"</table><p>Network mean {_r(comp.mean)}, median {_r(comp.median)}, proportion {_r(comp.pooled)}.</p>"
        )
    out.append("</body></html>")
    return "".join(out)


# --- Kolada ------------------------------------------------------------------------------------

KOLADA_COLUMNS = ("kpi", "municipality", "period", "gender", "value")
KOLADA_GENDER = {TOTAL: "T", "woman": "K", "man": "M"}


class KoladaNotSet(ValueError):
    pass


def kolada_rows(package: Package, mapping: Mapping) -> list[tuple[str, str, int, str, float]]:
    """The package's values of the indicators with a Kolada counterpart, as Kolada lays them out:
    KPI id (from the profile's ``kolada.kpis``), municipality code, period (the year), gender T
    (total), K (women), M (men), value (percent, one decimal). Suppressed values are left out."""
    kpis = (mapping.kolada or {}).get("kpis") or {}
    counterparts = [s.id for s in mapping.shared.indicators if s.kolada]
    unset = [i for i in counterparts if not kpis.get(i)]
    if unset:
        raise KoladaNotSet(
            f"{mapping.path}: kolada.kpis has no KPI id for {', '.join(unset)} (the ids your municipality reports under)"
        )
    municipality = str(package.manifest["pes"].get("municipality") or mapping.kolada.get("municipality") or "")
    if not municipality:
        raise KoladaNotSet(f"{mapping.path}: kolada.municipality (the municipality code) is not set")
    out = []
    for c in package.cells:
        if c.indicator_id not in counterparts or c.suppressed or c.value is None:
            continue
        key = TOTAL if c.breakdown == TOTAL else (c.breakdown_value if c.breakdown == "sex" else None)
        if key in KOLADA_GENDER:
            out.append((str(kpis[c.indicator_id]), municipality, c.year, KOLADA_GENDER[key], round(c.value, 1)))
    return out


def write_kolada(rows_: list[tuple], out: Path) -> None:
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(KOLADA_COLUMNS)
        for r in rows_:
            w.writerow(safe_row(list(r)))
