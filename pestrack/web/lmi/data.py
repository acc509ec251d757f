"""What the observatory's pages and open-data files are made of (docs/lmi.md, "The observatory"):
the figures of every whole month the contract events cover, as known on a release date, computed
once per release and data folder and kept in memory."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

from django.conf import settings

from pestrack.indicators.compute import Result
from pestrack.indicators.disclosure import threshold
from pestrack.reports import lmi


class NotConfigured(RuntimeError):
    pass


def folder() -> Path:
    if not settings.PESTRACK_LMI_DIR:
        raise NotConfigured("no contract-event tables are configured (PESTRACK_LMI_DIR)")
    path = Path(settings.PESTRACK_LMI_DIR)
    if lmi.coverage(path) is None:
        raise NotConfigured(f"{path} holds no contract-event tables (pestrack lmi import or lmi synth)")
    return path


def releases() -> list[dt.date]:
    """The knowledge dates figures are published for: the last day of every whole month covered
    (each month's release), newest first."""
    first, last = lmi.coverage(folder())
    out, day = [], last
    while day >= first:
        end = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        if end <= last and day.replace(day=1) >= first.replace(day=1):
            out.append(end)
        day = day.replace(day=1) - dt.timedelta(days=1)
    return out


def months(release: dt.date) -> tuple[str, str]:
    """The first and last month of the figures of a release: every whole month covered up to it."""
    first, _ = lmi.coverage(folder())
    start = first if first.day == 1 else (first.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return f"{start.year}-{start.month:02d}", f"{release.year}-{release.month:02d}"


@functools.lru_cache(maxsize=8)
def _figures(path: str, stamp: float, release: dt.date) -> tuple[Result, ...]:
    first, last = months(release)
    return tuple(lmi.figures_in(Path(path), first, last, known_on=release))


def figures(release: dt.date) -> list[Result]:
    """Every figure of the release, unrounded and unsuppressed (the analysts' tier)."""
    path = folder()
    stamp = (path / "contract_events.parquet").stat().st_mtime
    return list(_figures(str(path), stamp, release))


def public(release: dt.date) -> list[Result]:
    """The figures as published: suppressed and rounded (the public tier)."""
    profile = settings.PESTRACK_PROFILE
    return lmi.public(figures(release), threshold(profile, settings.PESTRACK_SUPPRESS_BELOW), lmi.rounding(profile))


def period_labels(release: dt.date) -> list[str]:
    """The periods a dashboard offers on a release: its months, quarters and years, newest first."""
    first, last = months(release)
    return [p.label for p in reversed(lmi.periods(first, last))]


def categories(release: dt.date) -> dict[str, list[str]]:
    """The values each filter offers: the categories the release's figures have."""
    out: dict[str, set[str]] = {f: set() for f in lmi.FILTERS}
    for r in figures(release):
        if r.breakdown in out and r.breakdown_value:
            out[r.breakdown].add(r.breakdown_value)
    return {f: sorted(v) for f, v in out.items()}


@functools.lru_cache(maxsize=64)
def _dashboard(path: str, stamp: float, release: dt.date, label: str, filters: tuple) -> tuple[Result, ...]:
    return tuple(lmi.dashboard_in(Path(path), label, dict(filters), known_on=release))


def dashboard(release: dt.date, label: str, filters: dict[str, str]) -> list[Result]:
    """One period's figures under the filters, unrounded and unsuppressed (lmi.dashboard)."""
    path = folder()
    stamp = (path / "contract_events.parquet").stat().st_mtime
    return list(_dashboard(str(path), stamp, release, label, tuple(sorted(filters.items()))))


def published(results: list[Result]) -> list[Result]:
    """The public tier: suppressed and rounded."""
    profile = settings.PESTRACK_PROFILE
    return lmi.public(results, threshold(profile, settings.PESTRACK_SUPPRESS_BELOW), lmi.rounding(profile))


def for_partners(results: list[Result]) -> list[Result]:
    """The partners' tier: the same suppression of small counts, but not rounded."""
    return lmi.public(results, threshold(settings.PESTRACK_PROFILE, settings.PESTRACK_SUPPRESS_BELOW), 0)


def revisions(release: dt.date, label: str) -> dict[str, int]:
    return lmi.revisions(folder(), lmi.period(label), release)


def participants() -> Path | None:
    """The PES analytics tables the durability is linked to: PESTRACK_ANALYTICS_DIR, else the
    contract-event folder itself, whichever holds ``exits.parquet``; None when neither does."""
    for candidate in (settings.PESTRACK_ANALYTICS_DIR, settings.PESTRACK_LMI_DIR):
        if candidate and (Path(candidate) / "exits.parquet").exists():
            return Path(candidate)
    return None


@functools.lru_cache(maxsize=8)
def _durability(path: str, pes: str, stamp: float, release: dt.date) -> tuple:
    from pestrack.lmi import durability

    return tuple(durability.durability(Path(path), Path(pes), release, lmi.covered_from(Path(path))))


def durability(release: dt.date) -> list:
    """The durability of exits to work as known on the release (lmi.durability), or [] without PES tables."""
    pes = participants()
    if pes is None:
        return []
    path = folder()
    stamp = max((path / "positions.parquet").stat().st_mtime, (pes / "exits.parquet").stat().st_mtime)
    return list(_durability(str(path), str(pes), stamp, release))


@functools.lru_cache(maxsize=8)
def _pathways(path: str, pes: str, stamp: float, release: dt.date) -> tuple:
    from pestrack.lmi import durability

    return tuple(durability.pathways(Path(path), Path(pes), release, exits_from=lmi.covered_from(Path(path))))


def pathways(release: dt.date) -> list[tuple[int, str, int]]:
    """The pathways after every exit as known on the release (lmi.durability.pathways: month after
    the exit, state, exits), or [] without PES tables."""
    pes = participants()
    if pes is None:
        return []
    path = folder()
    stamp = max((path / "positions.parquet").stat().st_mtime, (pes / "exits.parquet").stat().st_mtime)
    return list(_pathways(str(path), str(pes), stamp, release))


def comparisons() -> dict | None:
    """The stored comparison with a matched group (``pestrack lmi compare``; lmi.durability.stored_comparisons)
    beside the contract events, or None when none was computed."""
    from pestrack.lmi import durability

    return durability.stored_comparisons(folder())


def registers() -> Path | None:
    """The folder of the shortages' register tables (vacancies, jobseeker_occupations, course_results):
    PESTRACK_ANALYTICS_DIR, else the contract-event folder, whichever holds ``vacancies.parquet``."""
    for candidate in (settings.PESTRACK_ANALYTICS_DIR, settings.PESTRACK_LMI_DIR):
        if candidate and (Path(candidate) / "vacancies.parquet").exists():
            return Path(candidate)
    return None


def shortages(release: dt.date, label: str) -> list:
    """The shortages by occupation group in the period (lmi.shortages), or [] without the registers."""
    from pestrack.lmi import shortages as lmi_shortages

    folder_ = registers()
    if folder_ is None:
        return []
    p = lmi.period(label)
    return lmi_shortages.shortages(
        folder_, p.start, p.end, data=folder(), known_on=release, profile=settings.PESTRACK_PROFILE
    )
