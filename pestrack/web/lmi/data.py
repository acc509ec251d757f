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
