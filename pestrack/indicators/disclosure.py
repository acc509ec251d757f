"""Disclosure control: the one step every aggregate output passes (results pages, API, report files).

Primary suppression: a count from 1 to ``below`` - 1 is published as ``<below``; a share, mean or
ratio over fewer than ``below`` rows is withheld (``..``), with its numerator and denominator. For
the indicators named as ``shares`` (benchlearning packages), a share whose numerator or complement
(denominator - numerator) is from 1 to ``below`` - 1 is withheld too: "2 of 40 found work" names
two persons as surely as a count of 2. Zero is not suppressed: it reveals no person.

Secondary (complementary) suppression: within one breakdown (the categories of sex, age band, unit…)
whose total is published, the withheld categories together are the total minus the others. So when
exactly one category is withheld, or the withheld ones together would themselves be withheld (two
cells of 1 and 2 beside a total), the next-smallest category that is not zero is withheld too
(``..``), until the withheld ones are at least two and together publishable; when no category is
left to withhold, the total is withheld. The threshold is the
profile's ``disclosure: {suppress_below: N}`` (profile.yaml), which the setting
PESTRACK_SUPPRESS_BELOW (or a command's ``--suppress-below``) overrides. docs/results.md.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from collections.abc import Collection

import yaml

from pestrack.indicators.catalogue import profile_path
from pestrack.indicators.compile import TOTAL
from pestrack.indicators.compute import Result

WITHHELD = ".."


def threshold(profile, override: int | None = None) -> int:
    """The suppression threshold: ``override`` when given, else the profile's, else 0 (off)."""
    if override is not None:
        return int(override)
    path, section = profile_disclosure(profile)
    value = section.get("suppress_below", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{path}: disclosure.suppress_below must be a whole number of 0 or more, not {value!r}")
    return value


def profile_disclosure(profile) -> tuple[str, dict]:
    """The ``disclosure`` section of a profile's profile.yaml (and the file's path, for messages)."""
    path = profile_path(profile) / "profile.yaml"
    return str(path), _disclosure_section(path.read_bytes())


@functools.lru_cache(maxsize=16)
def _disclosure_section(content: bytes) -> dict:
    """Parsed once per content of the file: a results page asks for the threshold once per figure,
    and parsing the profile each time was most of an indicator page's CPU (a changed file is read
    again at once). The caller must not change the dict."""
    return (yaml.safe_load(content.decode("utf-8")) or {}).get("disclosure") or {}


def primary(result: Result | None, below: int, share: bool = False) -> str | None:
    """The marker a result gets by itself (``<below`` or ``..``), or None when it may be shown.
    ``share``: the result is a share, whose numerator and complement may not be small either."""
    if result is None or below <= 0:
        return None
    if result.denominator is None and result.value is not None and 0 < result.value < below:
        return f"<{below}"
    if result.denominator is not None and result.denominator < below:
        return WITHHELD
    if share and result.denominator is not None and result.numerator is not None:
        if _small(result.numerator, below) or _small(result.denominator - result.numerator, below):
            return WITHHELD
    return None


def _small(n: float, below: int) -> bool:
    return 0 < n < below


def _size(r: Result) -> float:
    """How many persons a cell stands for (its denominator, or the count itself)."""
    size = r.denominator if r.denominator is not None else r.value
    return size or 0


def _withhold(r: Result, marker: str) -> Result:
    return dataclasses.replace(r, value=None, numerator=None, denominator=None, suppressed=marker)


def _together(cells: list[Result]) -> Result:
    """Cells of one breakdown summed: what the total minus the published categories gives away."""
    first = cells[0]

    def add(values):
        return None if any(v is None for v in values) else sum(values)

    return dataclasses.replace(
        first,
        value=add([c.value for c in cells]) if first.denominator is None else None,
        numerator=add([c.numerator for c in cells]),
        denominator=add([c.denominator for c in cells]),
    )


def disclose(results: list[Result], below: int, shares: Collection[str] = ()) -> list[Result]:
    """The results as they may be published: primary and secondary suppression applied (module
    docstring), in the same order. Suppressed results carry their marker in ``suppressed`` and no
    value, numerator or denominator. ``shares``: the ids of share indicators whose numerator and
    complement are checked too."""
    if below <= 0:
        return list(results)
    marker = {i: primary(r, below, r.indicator_id in shares) for i, r in enumerate(results)}
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
        shown = sorted(
            (i for i in members if not marker[i] and _size(results[i]) > 0), key=lambda i: (_size(results[i]), i)
        )
        while hidden and (len(hidden) == 1 or primary(_together([results[i] for i in hidden]), below, ind in shares)):
            if not shown:
                marker[total] = WITHHELD
                break
            nxt = shown.pop(0)
            marker[nxt] = WITHHELD
            hidden.append(nxt)
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
