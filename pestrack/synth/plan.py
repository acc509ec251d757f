"""How many persons follow which path through the target groups: exact, before any drawing.

A person is a *chain* of one or two consecutive enrolments. Each enrolment (a ``Segment``) is
told exactly which counted years it overlaps (``first``..``last``), so the published counts per
year, target group and sex follow by construction:

- persons in group G in year Y  = segments of G that cover Y
- unique persons in year Y      = chains that cover Y
- a chain of two segments that both cover Y is one person counted in two groups, so the number
  of such chains in Y is exactly (sum of the group rows) - (unique persons).

Dates are drawn later (population.py) inside the windows the coverage allows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pestrack.synth.config import SEXES, SynthConfig


class PlanError(ValueError):
    pass


@dataclass(frozen=True)
class Segment:
    group: str
    first: int  # first and last year the enrolment overlaps, among the counted years and the year
    last: int  # before them (which is never counted)
    # How the enrolment ends, where calibrated (exits: in synth.yaml): "" = drawn freely; "open" = still
    # enrolled after 31 Dec of ``last``; otherwise it ends in ``last`` with an exit reason whose outcome
    # is: "ws" work or studies, "other" neither, "studies", "work", "not_studies" (population.FATES).
    fate: str = ""
    young: bool | None = None  # where calibrated: aged 18-29 on the exit date (or not)


@dataclass(frozen=True)
class Chain:
    sex: str
    segments: tuple[Segment, ...]


def _moves(cfg: SynthConfig) -> list[tuple[str, str, float]]:
    out = []
    shared = [set(r.groups) for r in cfg.rows if len(r.groups) > 1]
    for key, weight in (cfg.settings.get("moves") or {}).items():
        a, _, b = key.partition(">")
        if any({a, b} <= row for row in shared):
            raise PlanError(f"{cfg.path}: move {key}: both count in one row, so one person would be counted once")
        out.append((a, b, float(weight)))
    return out


def make_plan(cfg: SynthConfig, years: list[int], scale: int = 1) -> list[Chain]:
    """The chains for the counted ``years`` (consecutive, all with targets) plus the year before."""
    if years != list(range(years[0], years[-1] + 1)):
        raise PlanError(f"years must be consecutive, not {years}")
    missing = [y for y in years if y not in cfg.unique]
    if missing:
        raise PlanError(f"{cfg.path}: no targets for {', '.join(map(str, missing))} (targets: {cfg.years})")
    chains: list[Chain] = []
    for sex in SEXES:
        chains += _plan_sex(cfg, years, sex, scale)
    return chains


def _plan_sex(cfg: SynthConfig, years: list[int], sex: str, scale: int) -> list[Chain]:
    i = SEXES.index(sex)
    left = {y: {g: n * scale for g, n in cfg.group_counts(y, sex).items()} for y in years}
    moves = _moves(cfg)
    span = cfg.settings["span_share"]
    chains: list[Chain] = []
    for y in years:
        doubles = sum(cfg.group_counts(y, sex).values()) * scale - cfg.unique[y][i] * scale
        if doubles < 0:
            raise PlanError(f"{y} {sex}: more unique persons than group memberships")
        for a, b in _allocate(doubles, moves, left[y], f"{y} {sex}"):
            # The second enrolment may run on into next year, or the first may have begun last
            # year, while there is room left in that year's count.
            if y + 1 in left and left[y + 1][b] > 0 and _share(chains, span[b]):
                left[y + 1][b] -= 1
                segs = (Segment(a, y, y), Segment(b, y, y + 1))
            elif y - 1 in left and left[y - 1][a] > 0 and _share(chains, span[a]):
                left[y - 1][a] -= 1
                segs = (Segment(a, y - 1, y), Segment(b, y, y))
            else:
                segs = (Segment(a, y, y), Segment(b, y, y))
            chains.append(Chain(sex, segs))
    for y in years:  # single enrolments: over the turn of the year, then within one year
        for g in left[y]:
            if y + 1 in left:
                n = round(span[g] * min(left[y][g], left[y + 1][g]))
                left[y][g] -= n
                left[y + 1][g] -= n
                chains += [Chain(sex, (Segment(g, y, y + 1),))] * n
            chains += [Chain(sex, (Segment(g, y, y),))] * left[y][g]
            left[y][g] = 0
    # The year before: persons whose enrolment ended then, for follow-up windows (never counted).
    first = cfg.group_counts(years[0], sex)
    n_prior = round(cfg.settings["prior_year_share"] * cfg.unique[years[0]][i] * scale)
    for g, n in _largest_remainder(n_prior, {g: float(v) for g, v in first.items()}).items():
        chains += [Chain(sex, (Segment(g, years[0] - 1, years[0] - 1),))] * n
    return chains


def fix_exits(cfg: SynthConfig, chains: list[Chain], scale: int, ws_reasons: set[str]) -> list[Chain]:
    """Decide which last enrolments end in a calibrated year, which exits of the year are of persons
    aged 18-29 on the exit date and which end to work or studies, so that the programme's exits of that
    year come out as the counts in ``exits`` of synth.yaml (times ``scale``): exits, young_exits,
    [young_|old_]work_or_studies per sex, group_exits and studies per group and sex. An enrolment
    followed by another (a move between groups) always ends in its last year, never to work or studies
    (synth.yaml move_exit_reason): it counts among the exits, not in the numerators.
    """
    segs = [list(c.segments) for c in chains]
    years = {y for c in chains for seg in c.segments for y in (seg.first, seg.last)}

    def mark(k, j, **fields):
        segs[k][j] = replace(segs[k][j], **fields)

    for year, target in sorted((cfg.settings.get("exits") or {}).items()):
        for i, sex in enumerate(SEXES):
            t = {key: v[i] * scale for key, v in target.items() if isinstance(v, list)}
            per_group = {
                key: {g: v[i] * scale for g, v in target.get(key, {}).items()} for key in ("group_exits", "studies")
            }
            what = f"{cfg.path}: exits: {year} {sex}"
            mine = [k for k, c in enumerate(chains) if c.sex == sex]
            last = [k for k in mine if segs[k][-1].last == year]
            moves = [(k, 0) for k in mine if len(segs[k]) > 1 and segs[k][0].last == year]
            if year + 1 in years:  # every enrolment whose last year is followed by a counted one ends then
                if "exits" in t and t["exits"] != len(last) + len(moves):
                    raise PlanError(
                        f"{what}: every enrolment whose last year is {year} ends then "
                        f"({len(last)} + {len(moves)} moves), not {t['exits']}"
                    )
                enders = last
            else:
                if "exits" not in t:
                    raise PlanError(f"{what}: give the number of exits")
                n = t["exits"] - len(moves)
                if not 0 <= n <= len(last):
                    raise PlanError(
                        f"{what}: {t['exits']} exits cannot be met: {len(moves)} exits are moves "
                        f"to another group, {len(last)} enrolments may end"
                    )
                by_group = _by_group(last, lambda k: segs[k][-1].group)
                fixed = {
                    g: v - sum(1 for k, _ in moves if segs[k][0].group == g)
                    for g, v in per_group["group_exits"].items()
                }
                if any(not 0 <= v <= len(by_group.get(g, [])) for g, v in fixed.items()) or sum(fixed.values()) > n:
                    raise PlanError(f"{what}: group_exits {per_group['group_exits']} cannot be met")
                ending = {
                    **_largest_remainder(
                        n - sum(fixed.values()), {g: float(len(ks)) for g, ks in by_group.items() if g not in fixed}
                    ),
                    **fixed,
                }
                enders = [k for g, ks in by_group.items() for k in _spread(ks, ending[g])]
                for k in set(last) - set(enders):
                    mark(k, -1, fate="open")
            exits = moves + [(k, len(segs[k]) - 1) for k in enders]
            young = {e for e in exits if segs[e[0]][e[1]].young}
            if "young_exits" in t:
                young = _pick_young(cfg, t["young_exits"], exits, segs, what)
                for k, j in exits:
                    mark(k, j, young=(k, j) in young)
            for key, pool in (
                ("young_work_or_studies", young),
                ("old_work_or_studies", set(exits) - young),
                ("work_or_studies", exits),
            ):
                if key not in t:
                    continue
                free = sorted((k, j) for k, j in pool if j == len(segs[k]) - 1 and not segs[k][j].fate)
                if not 0 <= t[key] <= len(free):
                    raise PlanError(f"{what}: {key} {t[key]} cannot be met: {len(free)} exits left that are not moves")
                by_group = _by_group(free, lambda e: segs[e[0]][e[1]].group)
                chance = {g: _ws_share(cfg, g, ws_reasons) * len(es) for g, es in by_group.items()}
                to_ws = _capped(t[key], chance, {g: len(es) for g, es in by_group.items()})
                for g, es in by_group.items():
                    for m, (k, j) in enumerate(_spread(es, len(es))):
                        mark(k, j, fate="ws" if m < to_ws[g] else "other")
            for g, n in per_group["studies"].items():  # exits of a group to studies, among those not yet "other"
                mine_g = [(k, j) for k, j in exits if j == len(segs[k]) - 1 and segs[k][j].group == g]
                ws = [e for e in mine_g if segs[e[0]][e[1]].fate == "ws"]
                free = [e for e in mine_g if not segs[e[0]][e[1]].fate]
                if n > len(ws) + len(free):
                    raise PlanError(
                        f"{what}: studies {g} {n} cannot be met: {len(ws) + len(free)} exits may be to studies"
                    )
                for m, (k, j) in enumerate(_spread(ws, len(ws)) + _spread(free, len(free))):
                    mark(k, j, fate="studies" if m < n else "work" if segs[k][j].fate == "ws" else "not_studies")
    return [replace(c, segments=tuple(s)) for c, s in zip(chains, segs)]


def _by_group(items, group) -> dict[str, list]:
    out: dict[str, list] = {}
    for x in items:
        out.setdefault(group(x), []).append(x)
    return out


def _pick_young(cfg: SynthConfig, n: int, exits: list[tuple[int, int]], segs, what: str) -> set:
    """``n`` exits of persons aged 18-29, taken whole persons at a time (a person's exits in one year
    are either all young or all not). A person already decided in an earlier year, in 20-29, or in
    KAA and then another group, is young; the others are taken by the age weights of their first group."""
    per_chain = _by_group(exits, lambda e: e[0])
    young_groups = set(cfg.settings.get("young_groups") or ())  # always 18-29 on the exit date
    young_when_moving = set(cfg.settings.get("young_when_moving") or ())
    forced, chance = set(), {}
    for k, es in per_chain.items():
        groups = [s.group for s in segs[k]]
        earlier = [s.young for s in segs[k] if s.young is not None]
        if earlier:
            if earlier[0]:
                forced |= set(es)
        elif young_groups & set(groups) or (groups[0] in young_when_moving and len(groups) > 1):
            forced |= set(es)
        else:
            ranges = cfg.settings["ages"][groups[0]]
            chance[k] = sum(w for lo, hi, w in ranges if lo <= 29 and hi >= 18) / sum(r[2] for r in ranges)
    left = n - len(forced)
    if left < 0 or left > sum(len(per_chain[k]) for k in chance):
        raise PlanError(
            f"{what}: {n} exits at 18-29 cannot be met: {len(forced)} must be, "
            f"{sum(len(per_chain[k]) for k in chance)} may be"
        )
    young = set(forced)
    # Without randomness: the m-th person of a group of N with chance c comes at (m + 0.5) / (c N), so
    # any first part of the queue takes from each group in proportion to c N. Persons whose exit is a
    # move to another group come last: that exit is never to work or studies, and the published shares
    # at 18-29 are high (otherwise there are not enough young exits left for the numerator).
    queue = []
    for ks in _by_group(sorted(chance), lambda k: segs[k][0].group).values():
        queue += [
            (any(j < len(segs[k]) - 1 for _, j in per_chain[k]), (m + 0.5) / (chance[k] * len(ks) or 1e-9), k)
            for m, k in enumerate(_spread(ks, len(ks)))
        ]
    queue = [k for *_, k in sorted(queue)]
    for k in queue:
        if left >= len(per_chain[k]):
            young |= set(per_chain[k])
            left -= len(per_chain[k])
        if left == 0:
            break
    if left:
        raise PlanError(f"{what}: {n} exits at 18-29 cannot be met exactly")
    return young


def _ws_share(cfg: SynthConfig, group: str, ws_reasons: set[str]) -> float:
    w = cfg.settings["exit_reasons"][group]
    return sum(v for k, v in w.items() if k in ws_reasons) / sum(w.values())


def _spread(items: list, n: int) -> list:
    """``n`` of ``items`` evenly spread over the list (deterministic), in an interleaved order so
    that taking the first m of them is spread too."""
    picked = [x for j, x in enumerate(items) if (j + 1) * n // len(items) > j * n // len(items)]
    return picked[::2] + picked[1::2]


def _capped(n: int, weights: dict[str, float], cap: dict[str, int]) -> dict[str, int]:
    """``n`` in proportion to ``weights`` (largest remainder), none above its cap."""
    out = {g: 0 for g in weights}
    free = dict(weights)
    while n > 0:
        share = _largest_remainder(n, {g: w or 1e-9 for g, w in free.items()})
        for g, k in share.items():
            k = min(k, cap[g] - out[g])
            out[g] += k
            n -= k
        free = {g: w for g, w in free.items() if out[g] < cap[g]}
        if not free and n:
            raise PlanError(f"{n} more exits to work or studies than exits")
    return out


def _share(chains: list, share: float) -> bool:
    """A deterministic Bernoulli stream (no randomness in the plan): true for about ``share``."""
    k = len(chains)
    return int((k + 1) * share) > int(k * share)


def _allocate(n: int, moves: list[tuple[str, str, float]], left: dict[str, int], what: str):
    """``n`` moves a->b in proportion to their weights, each taking one from both groups' room."""
    total = sum(w for _, _, w in moves)
    done = [0] * len(moves)
    for k in range(n):
        best, best_gap = None, None
        for j, (a, b, w) in enumerate(moves):
            if left[a] <= 0 or left[b] <= 0:
                continue
            gap = w / total * (k + 1) - done[j]
            if best_gap is None or gap > best_gap:
                best, best_gap = j, gap
        if best is None:
            raise PlanError(
                f"{what}: no room left for {n - k} more persons in two target groups; "
                "add moves between groups with room"
            )
        a, b, _ = moves[best]
        left[a] -= 1
        left[b] -= 1
        done[best] += 1
        yield a, b


def _largest_remainder(n: int, weights: dict[str, float]) -> dict[str, int]:
    total = sum(weights.values())
    exact = {k: n * w / total for k, w in weights.items()}
    out = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: (out[k] - exact[k], k))[: n - sum(out.values())]:
        out[k] += 1
    return out
