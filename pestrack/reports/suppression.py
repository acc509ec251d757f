"""The disclosure-control step of the published tables: small cells become markers."""

from __future__ import annotations

from pestrack.indicators.disclosure import published


def suppressed(result, below: int = 0):
    """The value to publish of an engine result: the value, or a marker instead of a small cell
    (``disclosure.published``; the rule, primary and secondary suppression, is in
    pestrack/indicators/disclosure.py)."""
    return published(result, below)
