"""The generator as one call: plan once, then draw the population shard by shard.

Scale N is N shards, each a scale-1 population drawn from the same plan with its own seed (shard 0
with the seed itself, so shard 0 of any scale is the scale-1 population). Every count is then
exactly N times the calibrated one and every rate stays the same; only one shard is in memory at a
time. Identity numbers, decision references and place titles stay unique across shards.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pestrack.synth import config, plan, population

if TYPE_CHECKING:
    from pestrack.records.codes.models import Code
    from pestrack.records.codes.profile import ProfileData


@dataclass(frozen=True)
class Codes:
    """What the drawing needs of the profile: its codes (with their rules) and home municipality."""

    codes: dict[tuple[str, str], Code]
    home: str

    @classmethod
    def from_database(cls) -> Codes:
        from pestrack.records.codes.profile import home_municipality
        from pestrack.synth import store

        return cls(store.load_codes(), home_municipality())

    @classmethod
    def from_profile(cls, data: ProfileData) -> Codes:
        """From the profile's files (``read_profile``): no database needed."""
        return cls(data.code_objects(), data.home_municipality)


def shard_seed(seed: int, shard: int) -> int:
    if shard == 0:
        return seed
    return int.from_bytes(hashlib.sha256(f"pestrack-synth/{seed}/{shard}".encode()).digest()[:8], "big")


def shards(
    profile: str,
    years: list[int],
    *,
    scale: int = 1,
    seed: int = 1,
    codes: Codes | None = None,
    today: dt.date | None = None,
) -> Iterator[population.Population]:
    """The population in ``scale`` shards (codes from the database unless given)."""
    if scale < 1:
        raise ValueError("scale must be 1 or more")
    cfg = config.load(profile)
    years = sorted(years)
    codes = codes or Codes.from_database()
    ws = {
        c
        for (lst, c), code in codes.codes.items()
        if lst == "exit_reason" and (code.rules or {}).get("outcome") in population.WORK_OR_STUDIES
    }
    chains = plan.fix_exits(cfg, plan.make_plan(cfg, years), 1, ws)
    taken = population.Taken()
    for k in range(scale):
        yield population.draw(cfg, chains, years, shard_seed(seed, k), codes.codes, codes.home, today, taken)


def build(
    profile: str, years: list[int], *, seed: int = 1, codes: Codes | None = None, today: dt.date | None = None
) -> population.Population:
    """The scale-1 population in one piece (needs the profile loaded in the database unless ``codes``)."""
    return next(shards(profile, years, seed=seed, codes=codes, today=today))
