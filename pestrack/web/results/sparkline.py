"""A small trend drawn on the server as inline SVG (no script, no library): the overview's
sparklines. The picture is ``aria-hidden``; its text alternative, the values year by year as the
page prints them, is beside it for screen readers (views._overview)."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD = 96, 24, 3


def _points(values: list[float | None], low: float, high: float) -> list[tuple[float, float] | None]:
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    span = (high - low) or 1.0
    return [
        None
        if v is None
        else (round(PAD + i * step, 1), round(HEIGHT - PAD - (v - low) / span * (HEIGHT - 2 * PAD), 1))
        for i, v in enumerate(values)
    ]


def svg(values: list[float | None], partial: list[bool], target: float | None = None) -> SafeString:
    """The line through ``values`` (None: a gap, not joined across), a dot at each value (hollow
    where ``partial``: a year the data do not cover whole), and the target as a dashed line."""
    numbers = [v for v in values if v is not None]
    if not numbers:
        return mark_safe("")
    low, high = (
        min(numbers + ([target] if target is not None else [])),
        max(numbers + ([target] if target is not None else [])),
    )
    points = _points(values, low, high)
    lines, run = [], []
    for p in points + [None]:
        if p is None:
            if len(run) > 1:
                lines.append(" ".join(f"{x},{y}" for x, y in run))
            run = []
        else:
            run.append(p)
    target_line = ""
    if target is not None:
        y = _points([target], low, high)[0][1]
        target_line = format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" class="spark-target"/>', PAD, y, WIDTH - PAD, y
        )
    return format_html(
        '<svg class="spark" width="{}" height="{}" viewBox="0 0 {} {}" aria-hidden="true" focusable="false">'
        "{}{}{}</svg>",
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        target_line,
        format_html_join("", '<polyline points="{}" class="spark-line"/>', ((line,) for line in lines)),
        format_html_join(
            "",
            '<circle cx="{}" cy="{}" r="2.2" class="{}"/>',
            ((p[0], p[1], "spark-partial" if part else "spark-point") for p, part in zip(points, partial) if p),
        ),
    )
