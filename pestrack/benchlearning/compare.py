"""The comparison of the PES of a network (docs/benchlearning.md): per indicator, each PES's value
with its Wilson confidence interval, the network mean, median and pooled proportion, the PES's peer
group (declared, or by clustering on the context variables), its trend, and the funnel plot's
verdict: whether it lies outside what chance explains around the network proportion.

``below_peers(comparison, pes)`` answers "learn from whom": the indicators where a PES lies below
its peer group, with the peers that do better.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from pestrack.benchlearning.definitions import CONTEXT, Shared, SharedSet
from pestrack.benchlearning.package import Package

Z95, Z998 = 1.959963984540054, 3.090232306167813  # two-sided 95 % and 99.8 %
LIMITS = (("95", Z95), ("99.8", Z998))


def wilson(numerator: float, denominator: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion, in percent."""
    if denominator <= 0:
        return (math.nan, math.nan)
    p = numerator / denominator
    centre = (p + z * z / (2 * denominator)) / (1 + z * z / denominator)
    half = z * math.sqrt(p * (1 - p) / denominator + z * z / (4 * denominator**2)) / (1 + z * z / denominator)
    return (100 * max(0.0, centre - half), 100 * min(1.0, centre + half))


def funnel_limits(p0: float, denominator: float, z: float) -> tuple[float, float]:
    """Control limits (percent) around the network proportion ``p0`` (0–1) for a PES of this size
    (normal approximation to the binomial, as Spiegelhalter's funnel plots)."""
    half = z * math.sqrt(p0 * (1 - p0) / denominator)
    return (100 * max(0.0, p0 - half), 100 * min(1.0, p0 + half))


@dataclass
class Entry:
    """One PES on one indicator."""

    pes: str
    value: float | None = None  # percent
    numerator: float | None = None
    denominator: float | None = None
    low: float | None = None  # Wilson 95 %
    high: float | None = None
    funnel: str = ""  # "", "above 95", "below 95", "above 99.8", "below 99.8"
    note: str = ""  # why there is no value: not computable (the reason) or suppressed
    trend: dict[int, float | None] = field(default_factory=dict)


@dataclass
class IndicatorComparison:
    shared: Shared
    entries: dict[str, Entry]
    mean: float | None = None  # unweighted mean of the PES values
    median: float | None = None
    pooled: float | None = None  # the network proportion (sum of numerators / sum of denominators), percent

    def limits(self, denominator: float) -> dict[str, tuple[float, float]]:
        if self.pooled is None:
            return {}
        return {name: funnel_limits(self.pooled / 100, denominator, z) for name, z in LIMITS}

    def outside(self, level: str = "99.8") -> set[str]:
        """The PES outside the funnel's ``level`` control limits."""
        return {e.pes for e in self.entries.values() if e.funnel.endswith(" " + level)}


@dataclass
class Comparison:
    year: int
    version: str
    pes: dict[str, dict]  # id -> the package's pes metadata and context
    peer_groups: dict[str, str]
    peer_method: str  # declared or clusters
    indicators: list[IndicatorComparison]

    def indicator(self, indicator_id: str) -> IndicatorComparison | None:
        return next((i for i in self.indicators if i.shared.id == indicator_id), None)

    def peers(self, pes: str) -> list[str]:
        group = self.peer_groups.get(pes)
        return [p for p, g in self.peer_groups.items() if g == group and p != pes]


def peer_groups(packages: dict[str, Package], clusters: int | None = None) -> tuple[dict[str, str], str]:
    """Each PES's peer group: the declared ones when every PES declares one; otherwise groups by
    k-means on the standardised context variables (log population), with k = clusters or about
    one group per three PES. A PES without context stays alone."""
    declared = {p: pk.manifest["pes"].get("peer_group") or "" for p, pk in packages.items()}
    if all(declared.values()):
        return declared, "declared"
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    with_context = [
        p for p, pk in packages.items() if all(pk.manifest.get("context", {}).get(k) is not None for k in CONTEXT)
    ]
    out = {p: f"{p} (no context)" for p in packages if p not in with_context}
    k = clusters or max(1, round(len(with_context) / 3))
    if len(with_context) <= k:
        out.update({p: f"group {i + 1}" for i, p in enumerate(sorted(with_context))})
        return out, "clusters"
    rows = []
    for p in with_context:
        c = packages[p].manifest["context"]
        rows.append([c["unemployment_rate"], math.log(max(c["population"], 1)), c["born_abroad_share"]])
    x = StandardScaler().fit_transform(np.array(rows))
    labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(x)
    # groups numbered in the order of their first PES (stable names whatever k-means numbers them)
    order: dict[int, int] = {}
    for p, label in sorted(zip(with_context, labels)):
        order.setdefault(int(label), len(order) + 1)
        out[p] = f"group {order[int(label)]}"
    return out, "clusters"


def compare(packages: list[Package], shared: SharedSet, year: int, clusters: int | None = None) -> Comparison:
    """The comparison of ``year`` from the packages (several years of one PES give its trend)."""
    of_year = {p.pes_id: p for p in packages if p.year == year}
    if not of_year:
        raise ValueError(f"no package for {year}")
    groups, method = peer_groups(of_year, clusters)
    out = []
    for ind in shared.indicators:
        entries = {}
        for pes, pk in sorted(of_year.items()):
            e = Entry(pes)
            cell = pk.total(ind.id)
            if ind.id in pk.manifest.get("not_computable", {}):
                e.note = "not computable: " + pk.manifest["not_computable"][ind.id]
            elif cell is None:
                e.note = "no value in the package"
            elif cell.suppressed:
                e.note = f"suppressed ({cell.suppressed})"
            elif cell.denominator:
                e.value, e.numerator, e.denominator = cell.value, cell.numerator, cell.denominator
                assert e.numerator is not None
                e.low, e.high = wilson(e.numerator, e.denominator)
            else:
                e.note = "no one in the denominator"
            for other in packages:
                if other.pes_id == pes:
                    c = other.total(ind.id)
                    e.trend[other.year] = c.value if c and not c.suppressed else None
            e.trend = dict(sorted(e.trend.items()))
            entries[pes] = e
        comp = IndicatorComparison(ind, entries)
        valued = [e for e in entries.values() if e.value is not None]
        if valued:
            comp.mean = statistics.fmean(e.value for e in valued)  # type: ignore[misc]
            comp.median = statistics.median(e.value for e in valued)  # type: ignore[type-var]
            num = sum(e.numerator for e in valued)  # type: ignore[misc]
            den = sum(e.denominator for e in valued)  # type: ignore[misc]
            comp.pooled = 100 * num / den
            for e in valued:
                assert e.denominator is not None and e.value is not None
                limits = comp.limits(e.denominator)
                for level in ("99.8", "95"):
                    lo, hi = limits[level]
                    if e.value > hi:
                        e.funnel = f"above {level}"
                        break
                    if e.value < lo:
                        e.funnel = f"below {level}"
                        break
        out.append(comp)
    pes_meta = {p: {**pk.manifest["pes"], "context": pk.manifest.get("context", {})} for p, pk in of_year.items()}
    version = next(iter(of_year.values())).manifest["definitions_version"]
    return Comparison(year, version, pes_meta, groups, method, out)


def _better(direction: str, a: float, b: float) -> bool:
    return a > b if direction == "higher" else a < b


def below_peers(comparison: Comparison, pes: str) -> list[tuple[str, list[str]]]:
    """The indicators where ``pes`` lies below its peer group (its value worse than the peers'
    median), each with the peers that do better, best first. Indicators ``pes`` or its peers
    cannot give a value for are left out."""
    peers = comparison.peers(pes)
    out = []
    for comp in comparison.indicators:
        own = comp.entries.get(pes)
        if own is None or own.value is None:
            continue
        valued = {p: comp.entries[p].value for p in peers if p in comp.entries and comp.entries[p].value is not None}
        if not valued:
            continue
        median = statistics.median(valued.values())  # type: ignore[type-var]
        direction = comp.shared.direction
        if not _better(direction, median, own.value):  # type: ignore[arg-type]
            continue
        better = [p for p, v in valued.items() if _better(direction, v, own.value)]  # type: ignore[arg-type]
        better.sort(key=lambda p: valued[p], reverse=direction == "higher")  # type: ignore[arg-type,return-value]
        out.append((comp.shared.id, better))
    return out


def lessons_in(comparison, pes: str, packages) -> list:
    """``practices.learn_from_whom`` (a list of ``practices.Lesson``) for ``pes`` in a comparison (``compare``) of imported packages
    (``package.stored``): the indicators where it lies below its peer group (``below_peers``)
    and the better peers' practices from the self-assessments their packages carry."""
    from pestrack.benchlearning.practices import learn_from_whom

    assessments = {p.pes_id: dict(p.manifest.get("practices") or {}) for p in packages if p.year == comparison.year}
    return learn_from_whom(below_peers(comparison, pes), assessments)
