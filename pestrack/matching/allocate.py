"""Filling many places at once: the allocation that maximises the total fit under the hard rules.

The objective, in this order (lexicographic, made exact by integer arithmetic in float64):

1. the sum over allocated pairs of (score + priority bonus × the applicant's priority tier),
   each rounded to 1/1000, plus 1/1000 for each filled position (between equal fits, filling more
   places wins);
2. between allocations equal on 1, the applicants with the better lottery ranks: the lottery is a
   permutation of the applicants drawn with the stated seed, so the same input and seed give the
   same allocation.

A pair that breaks a hard rule is never allocated. A place with several positions is that many
slots. Two solvers, both optimal:

The scores come as ``Pairs``: a function that gives the score and hard-rule matrices of a block of
applicants × every place (``Matcher.scores``), or two whole matrices. Each block is asked for once
and kept only as the pairs' integer fits (2 bytes a pair), so no float matrix of every pair is held:
11,000 × 11,000 takes 242 MB where the scores and rules as matrices took 605 MB and scoring them in
one call several GB.

- "sparse" (the default, ``auto``): never holds an applicants × positions matrix of values. It solves the
  matching (SciPy's LAPJVsp, ``min_weight_full_bipartite_matching``) on a graph of each
  applicant's ``candidates`` best places and each place's best applicants, then proves the result
  optimal for the whole problem by linear-programming duality: integer dual prices for applicants
  and positions are read off the solution as shortest-path distances in its residual graph, and
  every pair left out of the graph is priced in blocks of applicants. A pair worth more than its
  two prices could improve the allocation: those pairs join the graph and it is solved again
  (rarely more than once). Memory grows with the graph, not with applicants × positions.
- "dense": SciPy's ``linear_sum_assignment`` on the whole matrix (the simple reference; it needs
  about 40 bytes per applicant × position: 4 GB at 11,000 × 11,000).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

CANDIDATES = 16  # the first graph: each applicant's best places (more are priced in as needed)
UNIT = 1000  # scores are rounded to 1/UNIT


@dataclass(frozen=True)
class Pairs:
    """Applicants (rows) × places (columns), given a block of applicants at a time: ``rows(r)`` is the
    (score, feasible) pair of matrices of applicants ``r`` (any of them, in any order) × every place
    (``Matcher.scores`` is one)."""

    n: int
    m: int
    rows: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]

    @classmethod
    def of(cls, score, feasible) -> Pairs:
        """Whole matrices as pairs."""
        if feasible is None:
            raise ValueError("a score matrix needs its matrix of the hard rules (feasible)")
        score, feasible = np.asarray(score), np.asarray(feasible, bool)
        return cls(score.shape[0], score.shape[1], lambda r: (score[r], feasible[r]))


@dataclass
class Allocation:
    place_of: np.ndarray  # per applicant: the place position allocated, or -1
    fit: np.ndarray  # per applicant: the rounded score + priority bonus of the allocated pair (NaN if none)
    score: np.ndarray  # per applicant: the score of the allocated pair (NaN if none)
    objective: tuple[int, int]  # (sum of rounded fits in 1/UNIT incl. one per filled slot, sum of lottery points)
    lottery: np.ndarray  # per applicant: lottery rank (0 is the best)
    method: str
    reasons: list[str] = field(default_factory=list)


def lottery_ranks(ids, seed: int) -> np.ndarray:
    """A reproducible lottery: the applicants sorted by id, then permuted with ``seed``."""
    order = np.argsort(np.asarray([str(i) for i in ids]), kind="stable")
    perm = np.random.default_rng(seed).permutation(len(order))
    ranks = np.empty(len(order), np.int64)
    ranks[order] = perm
    return ranks


def allocate(
    score: np.ndarray | Pairs,
    feasible: np.ndarray | None,
    positions,
    *,
    priority=None,
    priority_bonus: float = 0.25,
    ids=None,
    seed: int = 0,
    method: str = "auto",
    candidates: int = CANDIDATES,
) -> Allocation:
    """Allocate places (columns, with ``positions`` each) to applicants (rows); see the module docstring.
    ``score``: the score matrix (with ``feasible``, the hard rules' matrix) or ``Pairs`` (``feasible``
    None)."""
    if method == "auto":
        method = "sparse"
    if method not in ("dense", "sparse"):
        raise ValueError(f"method is auto, dense or sparse, not {method!r}")
    pairs = score if isinstance(score, Pairs) else Pairs.of(score, feasible)
    n = pairs.n
    positions = np.asarray(positions, np.int64)
    priority = np.zeros(n) if priority is None else np.asarray(priority, np.float64)
    ranks = lottery_ranks(range(n) if ids is None else ids, seed)
    values = _Values(pairs, priority, priority_bonus, ranks)
    place_of = np.full(n, -1, np.int64)
    if n and int(positions.sum()):
        place_of = _dense(values, positions) if method == "dense" else _sparse(values, positions, candidates)
    got = place_of >= 0
    chosen = np.zeros(n, np.int64)
    chosen[got] = values.fit(np.flatnonzero(got), place_of[got])
    objective = (int(chosen.sum()), int(values.points[got].sum()))
    fit_value = np.where(got, (chosen - 1) / UNIT, np.nan)
    return Allocation(place_of, fit_value, _allocated_scores(pairs, place_of), objective, ranks, method)


def _allocated_scores(pairs: Pairs, place_of: np.ndarray) -> np.ndarray:
    """The score of each applicant's allocated pair (NaN for none), asked for a block at a time."""
    out = np.full(pairs.n, np.nan)
    for rows in _blocks(pairs.n):
        rows = rows[place_of[rows] >= 0]
        if len(rows):
            score, _ = pairs.rows(rows)
            out[rows] = np.asarray(score)[np.arange(len(rows)), place_of[rows]]
    return out


BLOCK = 256  # applicants scored at a time (a few BLOCK × places × 8-byte arrays)


class _Values:
    """The integer value of each pair, from the fits of every pair, computed once a block of
    applicants at a time and kept in 2 bytes a pair (8 if a large bonus needs more).

    fit = round((score + bonus × priority) × UNIT) + 1 for an allowed pair (at least 1), 0 for a
    forbidden one; the value of an allocated pair is fit × mult + the applicant's lottery points,
    where mult exceeds any sum of lottery points, so the fits decide first and the lottery breaks ties."""

    def __init__(self, pairs: Pairs, priority, bonus: float, ranks):
        n = pairs.n
        self.shape = (n, pairs.m)
        self.points = (n - ranks).astype(np.int64)  # 1..n
        self.mult = n * (n + 1) // 2 + 1
        self.fits = np.zeros(self.shape, np.int16)
        for rows in _blocks(n):
            score, feasible = pairs.rows(rows)
            fit = np.array(score, np.float64)  # a copy: the caller's scores are not changed
            fit += bonus * priority[rows, None]
            fit *= UNIT
            np.rint(fit, out=fit)
            fit += 1
            np.maximum(fit, 1, out=fit)
            fit[~np.asarray(feasible, bool)] = 0
            if fit.max(initial=0) > np.iinfo(self.fits.dtype).max:
                self.fits = self.fits.astype(np.int64)
            self.fits[rows] = fit
        if int(self.fits.max(initial=0)) * self.mult * max(n, 1) >= 2**53:
            raise ValueError("the allocation is too large for exact arithmetic; split it")

    def block(self, rows) -> np.ndarray:
        """fit for applicants ``rows`` × every place."""
        return self.fits[rows].astype(np.int64)

    def fit(self, rows, cols) -> np.ndarray:
        """fit of the pairs (rows[k], cols[k])."""
        return self.fits[np.asarray(rows, np.int64), np.asarray(cols, np.int64)].astype(np.int64)


def _blocks(n: int):
    return (np.arange(start, min(start + BLOCK, n)) for start in range(0, n, BLOCK))


def _dense(values: _Values, positions) -> np.ndarray:
    n, m = values.shape
    slot_place = np.repeat(np.arange(m), positions)
    fit = values.fits[:, slot_place].astype(np.float64)
    value = fit * values.mult + np.where(fit > 0, values.points[:, None], 0)
    rows, slots = linear_sum_assignment(value, maximize=True)
    place_of = np.full(n, -1, np.int64)
    good = fit[rows, slots] > 0
    place_of[rows[good]] = slot_place[slots[good]]
    return place_of


def _candidates(values: _Values, positions, k: int) -> np.ndarray:
    """(applicant, place) pairs of the first graph: each applicant's k best allowed places and each
    place's k × positions best applicants, found block by block (no full matrix)."""
    n, m = values.shape
    kk = min(n, k * int(max(positions.max(initial=1), 1)))
    best_fit = np.zeros((0, m), np.int32)  # per place, the best fits seen so far and their applicants
    best_row = np.zeros((0, m), np.int64)
    found: list[np.ndarray] = []
    for rows in _blocks(n):
        fit = values.block(rows)
        ka = min(k, m)
        top = np.argpartition(-fit, ka - 1, axis=1)[:, :ka] if ka < m else np.tile(np.arange(m), (len(rows), 1))
        found.append(np.stack([np.repeat(rows, top.shape[1]), top.ravel()], 1))
        both_fit = np.concatenate([best_fit, fit])
        both_row = np.concatenate([best_row, np.broadcast_to(rows[:, None], fit.shape)])
        if len(both_fit) > kk:
            keep = np.argpartition(-both_fit, kk - 1, axis=0)[:kk]
            both_fit, both_row = np.take_along_axis(both_fit, keep, 0), np.take_along_axis(both_row, keep, 0)
        best_fit, best_row = both_fit, both_row
    found.append(np.stack([best_row.ravel(), np.tile(np.arange(m), best_row.shape[0])], 1))
    pairs = np.unique(np.concatenate(found), axis=0)
    return pairs[values.fit(pairs[:, 0], pairs[:, 1]) > 0]


def _sparse(values: _Values, positions, candidates: int) -> np.ndarray:
    """The optimal allocation: solve on a candidate graph, price every pair outside it against the
    solution's dual prices, add the pairs that could improve it, and solve again until none can."""
    n, m = values.shape
    pairs = _candidates(values, positions, candidates)
    while True:
        place_of, u, v_place = _solve_graph(values, positions, pairs)
        better = _priced_out(values, pairs, u, v_place)
        if not len(better):
            return place_of
        pairs = np.unique(np.concatenate([pairs, better]), axis=0)


def _solve_graph(values: _Values, positions, pairs):
    """(place per applicant, the applicants' dual prices, each place's lowest position price) of the
    best allocation within ``pairs``. Every applicant is matched: to a position or to a private
    'no place' column of value 0 (weights are shifted by 1 there and everywhere, as the solver
    drops zero weights)."""
    n, m = values.shape
    first_slot = np.concatenate([[0], np.cumsum(positions)[:-1]])
    S = int(positions.sum())
    reps = positions[pairs[:, 1]]
    r = np.repeat(pairs[:, 0], reps)
    q = np.repeat(pairs[:, 1], reps)
    slot = np.repeat(first_slot[pairs[:, 1]], reps) + (np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps))
    w = values.fit(r, q) * values.mult + values.points[r]  # the value of each pair (> 0)
    rows_all = np.concatenate([r, np.arange(n)])
    cols_all = np.concatenate([slot, S + np.arange(n)])
    w_all = np.concatenate([w, np.zeros(n, np.int64)])
    graph = sparse.csr_matrix(((w_all + 1).astype(np.float64), (rows_all, cols_all)), shape=(n, S + n))
    rows, cols = min_weight_full_bipartite_matching(graph, maximize=True)
    match = np.empty(n, np.int64)
    match[rows] = cols
    # The value of each applicant's matched edge; the dual prices as shortest-path distances: for an
    # edge (i, c) not in the matching, price[match[i]] <= price[c] + w(i, match[i]) - w(i, c); the
    # columns left free have price 0 (complementary slackness). At an optimum these distances are
    # never negative; columns no free one reaches get a large common offset (still exact integers).
    matched_w = np.zeros(n, np.int64)
    is_matched = match[rows_all] == cols_all
    matched_w[rows_all[is_matched]] = w_all[is_matched]
    free = np.ones(S + n + 1, bool)
    free[match] = False
    free[-1] = False  # the source
    length = matched_w[rows_all] - w_all
    keep = ~is_matched
    src = S + n
    big = float(2**52)
    arcs_from = np.concatenate([cols_all[keep], np.full(S + n, src)])
    arcs_to = np.concatenate([match[rows_all[keep]], np.arange(S + n)])
    arcs_len = np.concatenate([length[keep].astype(np.float64), np.where(free[: S + n], 0.0, big)])
    price = _shortest(arcs_from, arcs_to, arcs_len, S + n + 1, src)[: S + n]
    if (price < 0).any():  # cannot happen at an optimum of the graph
        raise AssertionError("the matching solver returned a matching that is not optimal")
    u = matched_w - price[match]
    slot_place = np.repeat(np.arange(m), positions)
    v_place = np.full(m, np.inf)
    np.minimum.at(v_place, slot_place, price[:S])
    place_of = np.where(match < S, slot_place[np.minimum(match, S - 1)], -1)
    return place_of, u, v_place


def _shortest(frm, to, length, nodes: int, source: int) -> np.ndarray:
    """Distances from ``source`` over arcs that may be negative (no negative cycle): Bellman-Ford in
    rounds of numpy relaxation, which ends after as many rounds as the longest shortest path has arcs."""
    dist = np.full(nodes, np.inf)
    dist[source] = 0.0
    for _ in range(nodes):
        cand = dist[frm] + length
        new = dist.copy()
        np.minimum.at(new, to, cand)
        if np.array_equal(new, dist):
            return dist
        dist = new
    raise AssertionError("negative cycle in the residual graph")


def _priced_out(values: _Values, pairs, u, v_place) -> np.ndarray:
    """Pairs outside the graph worth more than the applicant's and the place's cheapest position's
    prices: by duality, none means the allocation is optimal for the whole problem."""
    n, m = values.shape
    in_graph = sparse.csr_matrix((np.ones(len(pairs), bool), (pairs[:, 0], pairs[:, 1])), shape=(n, m))
    found = []
    for rows in _blocks(n):
        fit = values.block(rows)
        w = fit * np.float64(values.mult)  # exact: below 2**53 (checked in _Values)
        w += values.points[rows, None]
        w -= u[rows, None]
        better = w > v_place[None, :]
        better &= fit > 0
        better &= ~in_graph[rows].toarray()
        i, j = np.nonzero(better)
        if len(i):
            found.append(np.stack([rows[i], j], 1))
    return np.concatenate(found) if found else np.zeros((0, 2), np.int64)


def explain(alloc: Allocation, score, feasible, priority, ids, place_ids, rule_counts=None) -> list[str]:
    """One sentence per applicant: what they got and why, or why not. ``score`` and ``feasible`` as for
    ``allocate`` (matrices, or ``Pairs`` and None: asked for a block of applicants at a time).
    ``rule_counts(i)``, when given, says for an applicant without any allowed place how many places
    each hard rule excluded."""
    pairs = score if isinstance(score, Pairs) else Pairs.of(score, feasible)
    n = pairs.n
    priority = np.zeros(n) if priority is None else np.asarray(priority)
    holder: dict[int, list[int]] = {}
    for i, j in enumerate(alloc.place_of):
        if j >= 0:
            holder.setdefault(int(j), []).append(i)
    out = []
    for rows in _blocks(n):
        scores, allowed_rows = pairs.rows(rows)
        for i, s, ok in zip(rows, np.asarray(scores), np.asarray(allowed_rows, bool)):
            out.append(_reason(int(i), s, ok, alloc, priority, holder, ids, place_ids, rule_counts))
    return out


def _reason(i: int, score, feasible, alloc: Allocation, priority, holder, ids, place_ids, rule_counts) -> str:
    """explain's sentence for applicant ``i``, from their scores and hard rules against every place."""
    allowed = np.flatnonzero(feasible)
    j = int(alloc.place_of[i])
    tier = f" (priority {int(priority[i])})" if priority[i] else ""
    if not len(allowed):
        why = ""
        if rule_counts is not None:
            why = ": " + ", ".join(f"{rule} excludes {c}" for rule, c in rule_counts(i).items() if c)
        return f"{ids[i]}{tier}: no place - every place breaks a hard rule{why}"
    better = [
        int(b) for b in allowed[np.argsort(-score[allowed], kind="stable")] if score[b] > (score[j] if j >= 0 else -1)
    ]
    taken = "; ".join(
        f"{place_ids[b]} ({score[b]:.3f}) went to {', '.join(str(ids[h]) for h in holder.get(b, []))}"
        for b in better[:2]
        if holder.get(b)
    )
    if j >= 0:
        rank = 1 + len(better)
        return (
            f"{ids[i]}{tier}: got {place_ids[j]}, score {score[j]:.3f}, their choice {rank} of "
            f"{len(allowed)} allowed" + (f"; better fits taken: {taken}" if taken else "")
        )
    return (
        f"{ids[i]}{tier}: no place - all {len(allowed)} allowed places went to applicants with a higher "
        f"total fit, priority or lottery rank (lottery rank {int(alloc.lottery[i]) + 1})"
        + (f"; e.g. {taken}" if taken else "")
    )
