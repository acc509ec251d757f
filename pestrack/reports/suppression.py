"""The disclosure-control step of the published tables: small cells become markers."""
from __future__ import annotations


def suppressed(result, below: int):
    """The value to publish of an engine result: the value, or a marker instead of a small cell.
    Counts from 1 to ``below`` - 1 print as ``<below``; a share, mean or ratio over fewer than
    ``below`` rows is withheld (``..``). Zero is not suppressed: it reveals no person."""
    if result is None:
        return None
    if below > 0:
        if result.denominator is None and result.value is not None and 0 < result.value < below:
            return f"<{below}"
        if result.denominator is not None and result.denominator < below:
            return ".."
    return result.value
