"""Disclosure control: the one step every aggregate output passes (results pages, API, report files).

Primary suppression: a count from 1 to ``below`` - 1 is published as ``<below``; a share, mean or
ratio over fewer than ``below`` rows is withheld (``..``), with its numerator and denominator. Zero
is not suppressed: it reveals no person.

Secondary (complementary) suppression: within one breakdown (the categories of sex, age band, unit…)
whose total is published, a single suppressed category could be recovered as the total minus the
other categories. So when exactly one category is suppressed, the next-smallest category that is
not zero is withheld too (``..``); when there is none, the total is withheld. The threshold is the
profile's ``disclosure: {suppress_below: N}`` (profile.yaml), which the setting
PESTRACK_SUPPRESS_BELOW (or a command's ``--suppress-below``) overrides. docs/results.md.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import yaml

from pestrack.indicators.catalogue import profile_path
from pestrack.indicators.compile import TOTAL
from pestrack.indicators.compute import Result

WITHHELD = ".."


def threshold(profile, override: int | None = None) -> int:
    """The suppression threshold: ``override`` when given, else the profile's, else 0 (off)."""
    if override is not None:
        return int(override)
    path = profile_path(profile) / "profile.yaml"
    meta = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    value = (meta.get("disclosure") or {}).get("suppress_below", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{path}: disclosure.suppress_below must be a whole number of 0 or more, not {value!r}")
    return value


def primary(result: Result | None, below: int) -> str | None:
    """The marker a result gets by itself (``<below`` or ``..``), or None when it may be shown."""
    if result is None or below <= 0:
        return None
    if result.denominator is None and result.value is not None and 0 < result.value < below:
        return f"<{below}"
    if result.denominator is not None and result.denominator < below:
        return WITHHELD
    return None


def _size(r: Result) -> float:
    """How many persons a cell stands for (its denominator, or the count itself)."""
    size = r.denominator if r.denominator is not None else r.value
    return size or 0


def _withhold(r: Result, marker: str) -> Result:
    return dataclasses.replace(r, value=None, numerator=None, denominator=None, suppressed=marker)


def disclose(results: list[Result], below: int) -> list[Result]:
    """The results as they may be published: primary and secondary suppression applied (module
    docstring), in the same order. Suppressed results carry their marker in ``suppressed`` and no
    value, numerator or denominator."""
    if below <= 0:
        return list(results)
    marker = {i: primary(r, below) for i, r in enumerate(results)}
    totals = {(r.indicator_id, r.period): i for i, r in enumerate(results) if r.breakdown == TOTAL}
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, r in enumerate(results):
        if r.breakdown != TOTAL:
            groups[(r.indicator_id, r.period, r.breakdown)].append(i)
    for (ind, per, _), members in groups.items():
        total = totals.get((ind, per))
        if total is None or marker[total] or _empty(results[total]):
            continue
        hidden = [i for i in members if marker[i]]
        if len(hidden) != 1:
            continue
        shown = sorted(
            (i for i in members if not marker[i] and _size(results[i]) > 0), key=lambda i: (_size(results[i]), i)
        )
        if shown:
            marker[shown[0]] = WITHHELD
        else:
            marker[total] = WITHHELD
    return [_withhold(r, m) if (m := marker[i]) else r for i, r in enumerate(results)]


def _empty(r: Result) -> bool:
    return r.value is None and r.denominator is None


def published(result: Result | None, below: int = 0):
    """The value to print of a result: its suppression marker, or its value."""
    if result is None:
        return None
    marker = getattr(result, "suppressed", None)  # a Result, or anything with value and denominator
    if marker:
        return marker
    return primary(result, below) or result.value
