"""The pathways after a PES exit as published (docs/lmi.md, "Durability and pathways"): the state of
every exit at each month after it (in work on a permanent contract, in work on another contract, in
a measure again, nothing known), as counts and shares per month, with the disclosure step of every
public figure, and drawn as stacked bars (inline SVG, like the bulletin's chart).

The counts come from ``pestrack.lmi.durability.pathways`` (the caller passes them: reports does not
read the contract events itself)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from pestrack.indicators.compute import Result
from pestrack.reports import lmi
from pestrack.reports.formatting import number

STATES = ("permanent", "temporary", "measure", "unknown")
COLOURS = {"permanent": "#1f6f8b", "temporary": "#7fb7be", "measure": "#d9a441", "unknown": "#c9c9c9"}
WITHHELD_COLOUR = "#ffffff"


@dataclass(frozen=True)
class Month:
    month: int  # months after the exit
    exits: float | str | None  # the exits observable that month, as published (rounded, or a marker)
    counts: dict[str, float | str | None]  # per state, as published
    shares: dict[str, float | None]  # per state, percent of the exits (None where the count is withheld)


def published(rows: list[tuple[int, str, int]], below: int, step: int) -> list[Month]:
    """``rows`` (month, state, exits) as published: the month's exits and each state a count through
    the disclosure step of the LMI figures (fewer than ``below`` shown as ``<below``, one more state
    withheld where one alone could be worked out from the month's total, then rounded to ``step``).
    A share is given for a state whose count is published, worked out on the exact counts."""
    counts: dict[int, dict[str, int]] = {}
    for m, state, n in rows:
        counts.setdefault(m, {})[state] = n
    results = []
    for m, by_state in sorted(counts.items()):
        label = str(m)
        results.append(Result("pathway", label, "total", None, float(sum(by_state.values())), None, None))
        results += [
            Result("pathway", label, "state", s, float(by_state.get(s, 0)), None, None)
            for s in STATES
            if by_state.get(s, 0)
        ]
    shown = {(r.period, r.breakdown_value): r for r in lmi.public(results, below, step)}
    out = []
    for m, by_state in sorted(counts.items()):
        total = sum(by_state.values())
        month_counts: dict[str, float | str | None] = {}
        shares: dict[str, float | None] = {}
        for s in STATES:
            r = shown.get((str(m), s))
            if r is None:  # no exit in that state
                month_counts[s], shares[s] = 0, 0.0
            else:
                month_counts[s] = r.suppressed or r.value
                shares[s] = None if r.suppressed else 100 * by_state[s] / total
        t = shown[(str(m), None)]
        out.append(Month(m, t.suppressed or t.value, month_counts, shares))
    return out


def svg(months: list[Month], labels: dict[str, str], title: str, withheld: str, lang: str) -> str:
    """Stacked bars of the states' shares, one bar per month after the exit; a withheld share is left
    white (outlined) so the bar still reaches 100 %. ``labels``: the states' names in the language."""
    width, height, left, bottom = 720, 200, 34, 50
    bar = (width - left) / max(len(months), 1)
    out = [
        f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height + bottom}" width="100%">',
        f"<title>{escape(title)}</title>",
    ]
    for pct in (0, 50, 100):
        y = height - height * pct / 100
        out.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{pct} %</text>')
    for i, m in enumerate(months):
        x, top = left + i * bar, 0.0
        known = sum(v for v in m.shares.values() if v is not None)
        for s in STATES:
            share = m.shares[s]
            if share is None or share <= 0:
                continue
            h = height * share / 100
            out.append(
                f'<rect x="{x + 1:.1f}" y="{top:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" fill="{COLOURS[s]}">'
                f"<title>{m.month}: {escape(labels[s])} {number(share, 1, lang)} %</title></rect>"
            )
            top += h
        if known < 99.95:  # withheld states
            h = height - top
            out.append(
                f'<rect x="{x + 1:.1f}" y="{top:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" '
                f'fill="{WITHHELD_COLOUR}" stroke="#999"><title>{m.month}: {escape(withheld)}</title></rect>'
            )
        if m.month % 3 == 0:
            out.append(
                f'<text x="{x + bar / 2:.1f}" y="{height + 14}" font-size="10" text-anchor="middle">{m.month}</text>'
            )
    x = left
    for s in STATES:
        out.append(f'<text x="{x}" y="{height + 38}" font-size="12" fill="{COLOURS[s]}">■</text>')
        out.append(f'<text x="{x + 12}" y="{height + 38}" font-size="12">{escape(labels[s])}</text>')
        x += 12 + 8 * len(labels[s]) + 18
    out.append("</svg>")
    return "".join(out)
