"""The generator as one call: plan, draw, optionally write."""
from __future__ import annotations

import datetime as dt

from pestrack.records.codes.profile import home_municipality
from pestrack.synth import config, plan, population, store


def build(profile: str, years: list[int], *, scale: int = 1, seed: int = 1,
          today: dt.date | None = None) -> population.Population:
    """Draw the population (needs the profile loaded in the database for its codes and rules)."""
    if scale < 1:
        raise ValueError("scale must be 1 or more")
    cfg = config.load(profile)
    years = sorted(years)
    codes = store.load_codes()
    ws = {c for (lst, c), code in codes.items()
          if lst == "exit_reason" and (code.rules or {}).get("outcome") in population.WORK_OR_STUDIES}
    chains = plan.fix_exits(cfg, plan.make_plan(cfg, years, scale), scale, ws)
    return population.draw(cfg, chains, years, seed, codes, home_municipality(), today)
