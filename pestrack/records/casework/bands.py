"""Instrument bands: which labelled range of an instrument (its profile ``bands`` rule) holds a
score. Its own module, so that the models use it without importing the rules (which import them)."""

from __future__ import annotations

from decimal import Decimal


def band_for(instrument, score) -> str | None:
    """The label of the instrument band that holds ``score`` (bands are inclusive ranges in the profile)."""
    if score is None:
        return None
    for band in (instrument.rules or {}).get("bands", []):
        if Decimal(str(band["min"])) <= Decimal(str(score)) <= Decimal(str(band["max"])):
            return band["label"]
    return None
