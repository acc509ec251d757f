"""An evaluation as JSON, or as one self-contained HTML page with its plots embedded (no network)."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

import numpy as np

from pestrack.analytics import output
from pestrack.evaluation.diagnostics import METHOD_NAMES, SMD_LIMIT, fmt_effect


def to_json(result) -> str:
    return output.to_json(result.to_dict())


def love_plot(result) -> str | None:
    """Absolute SMD per covariate before (open) and after (filled) adjustment, with the 0.1 line."""
    if not result.balance:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result.balance[::-1]
    names = [r["covariate"] for r in rows]
    fig, ax = plt.subplots(figsize=(6.5, 0.35 * len(rows) + 1.4))
    y = np.arange(len(rows))
    ax.scatter([abs(r["smd_before"]) for r in rows], y, facecolors="none", edgecolors="#b2182b", label="before")
    after = [(abs(r["smd_after"]), i) for i, r in enumerate(rows) if r["smd_after"] is not None]
    if after:
        ax.scatter([a for a, _ in after], [i for _, i in after], color="#2166ac", label="after")
    ax.axvline(SMD_LIMIT, color="grey", linestyle="--", linewidth=1)
    ax.set_yticks(y, names)
    ax.set_xlabel("absolute standardised mean difference")
    ax.set_title("Covariate balance (love plot)")
    ax.legend(loc="lower right")
    return output.png(fig)


def overlap_plot(result) -> str | None:
    """Propensity-score histograms of treated and comparison units; units outside support in grey."""
    if result.score is None:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    score, t, keep = result.score, result.treated_mask, result.support
    bins = np.linspace(0, 1, 51).tolist()  # matplotlib types bins as a sequence of floats
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    ax.hist(score[t], bins=bins, alpha=0.6, color="#2166ac", label="treated", density=True)
    ax.hist(score[~t], bins=bins, alpha=0.6, color="#f4a582", label="comparison", density=True)
    if (~keep).any():
        lo, hi = score[keep].min(), score[keep].max()
        ax.axvspan(0, lo, color="#999999", alpha=0.25, label="outside common support")
        ax.axvspan(hi, 1, color="#999999", alpha=0.25)
    ax.set_xlabel("propensity score")
    ax.set_ylabel("density")
    ax.set_title("Overlap of propensity scores")
    ax.legend()
    return output.png(fig)


def _num(v, digits=3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{v:.{digits}f}"


CSS = output.CSS


def to_html(result) -> str:
    """The whole self-contained page."""
    e = html.escape
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Impact evaluation: "
        f"{e(result.treatment)} on {e(result.outcome)}</title><style>{CSS}</style></head><body>"
        f"<h1>Impact evaluation: {e(result.treatment)} on {e(result.outcome)}</h1>\n"
        f"{body_html(result)}</body></html>"
    )


def body_html(result) -> str:
    """The report's content (every value escaped), for the page above and the web application."""
    e = html.escape
    b = result.outcome_binary
    parts = [
        f"<p class='headline'>Effect on the treated (ATT): <strong>{e(fmt_effect(result.att, b))}</strong>, "
        f"95 % CI {e(fmt_effect(result.ci_low, b))} to {e(fmt_effect(result.ci_high, b))}</p>",
        f"<p>{e(result.summary)}</p>",
    ]
    if result.warnings:
        parts.append(
            "<div class='warn'><h2>Warnings</h2><ul>"
            + "".join(f"<li>{e(w)}</li>" for w in result.warnings)
            + "</ul></div>"
        )
    rows = [
        ("Method", METHOD_NAMES[result.method]),
        ("Effect on the treated (ATT)", f"{_num(result.att, 4)} [{_num(result.ci_low, 4)}, {_num(result.ci_high, 4)}]"),
        ("Standard error", _num(result.se, 4)),
    ]
    if result.ate is not None:
        rows.append(
            (
                "Average effect (ATE)",
                f"{_num(result.ate, 4)} [{_num(result.ate_ci_low, 4)}, {_num(result.ate_ci_high, 4)}]",
            )
        )
    rows += [
        ("Naive difference (no adjustment)", _num(result.naive_difference, 4)),
        ("Mean outcome, treated used", _num(result.treated_mean, 4)),
        ("Mean outcome, weighted comparison", _num(result.control_mean, 4)),
        ("Treated units used / all", f"{result.n_treated} / {result.n_treated_total}"),
        ("Comparison units used / all", f"{result.n_control} / {result.n_control_total}"),
        (
            "Outside common support (treated, comparison)",
            f"{result.n_treated_outside_support}, {result.n_control_outside_support}",
        ),
        ("Treated without a match", str(result.n_treated_unmatched)),
        ("Rows dropped for missing values", str(result.n_dropped_missing)),
        ("Confidence interval", result.ci_method),
    ]
    parts.append(
        "<h2>Estimate</h2><table>" + "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows) + "</table>"
    )
    if result.balance:
        head = (
            "<tr><th>covariate</th><th>mean treated (before)</th><th>mean comparison (before)</th><th>SMD before</th>"
            "<th>SMD after</th><th>variance ratio before</th><th>variance ratio after</th></tr>"
        )
        body = []
        for r in result.balance:
            bad = r["smd_after"] is not None and abs(r["smd_after"]) > SMD_LIMIT
            body.append(
                f"<tr><td>{e(r['covariate'])}</td><td>{_num(r['treated_mean_before'])}</td>"
                f"<td>{_num(r['control_mean_before'])}</td><td>{_num(r['smd_before'])}</td>"
                f"<td{' class=bad' if bad else ''}>{_num(r['smd_after'])}</td>"
                f"<td>{_num(r['variance_ratio_before'], 2)}</td><td>{_num(r['variance_ratio_after'], 2)}</td></tr>"
            )
        parts.append(
            "<h2>Covariate balance</h2><p>Standardised mean difference (SMD): difference in means over the "
            f"pooled standard deviation before adjustment; |SMD| up to {SMD_LIMIT} is usually taken as "
            "balanced. Variance ratio: treated over comparison, 0.5–2 is usual.</p><table>"
            + head
            + "".join(body)
            + "</table>"
        )
    for title, uri in (("Love plot", love_plot(result)), ("Overlap", overlap_plot(result))):
        if uri:
            parts.append(f"<h2>{title}</h2><img alt='{e(title)}' src='{uri}'>")
    parts.append("<h2>What this assumes</h2><ul>" + "".join(f"<li>{e(a)}</li>" for a in result.assumptions) + "</ul>")
    if result.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{e(n)}</li>" for n in result.notes) + "</ul>")
    settings = json.dumps(output.json_safe(result.settings), ensure_ascii=False)
    parts.append(f"<h2>Settings</h2><pre>{e(settings)}</pre>")
    return "\n".join(parts)


def write(result, path: Path, fmt: str) -> None:
    """Write the report whole or not at all (a temporary file renamed into place)."""
    if fmt not in ("json", "html"):
        raise ValueError(f"format must be json or html, not {fmt!r}")
    output.write_atomic(path, to_json(result) if fmt == "json" else to_html(result))
