"""Filling many places at once: the allocation that maximises the total fit under the hard rules.

The objective, in this order (lexicographic, made exact by integer arithmetic in float64):

1. the sum over allocated pairs of (score + priority bonus × the applicant's priority tier),
   each rounded to 1/1000, plus 1/1000 for each filled position (between equal fits, filling more
   places wins);
2. between allocations equal on 1, the applicants with the better lottery ranks: the lottery is a
   permutation of the applicants drawn with the stated seed, so the same input and seed give the
   same allocation.

A pair that breaks a hard rule is never allocated. A place with several positions is that many
slots. The solver is SciPy's ``linear_sum_assignment`` on the whole matrix ("dense", the default:
optimal). "sparse" runs ``min_weight_full_bipartite_matching`` (LAPJVsp) on a graph of each
applicant's ``candidates`` best places and each place's best applicants: optimal only on that
graph, which may leave out an edge of the optimum (bench/matching.py measured 0.04 % below the
optimum at 11,000 × 11,000), so it is never chosen unless asked for.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

CANDIDATES = 64
UNIT = 1000  # scores are rounded to 1/UNIT


@dataclass
class Allocation:
    place_of: np.ndarray  # per applicant: the place position allocated, or -1
    fit: np.ndarray  # per applicant: the rounded score + priority bonus of the allocated pair (NaN if none)
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


def pair_values(score, feasible, priority, bonus: float, ranks) -> tuple[np.ndarray, np.ndarray, int]:
    """(integer fit per pair in 1/UNIT plus one, lottery points per applicant, multiplier M)."""
    n = score.shape[0]
    fit = np.rint((np.asarray(score, np.float64) + bonus * np.asarray(priority)[:, None]) * UNIT) + 1
    fit = np.where(feasible, np.maximum(fit, 1), 0).astype(np.int32)
    points = n - ranks  # 1..n
    mult = n * (n + 1) // 2 + 1  # more than any sum of lottery points
    if int(fit.max(initial=0)) * mult * max(n, 1) >= 2 ** 53:
        raise ValueError("the allocation is too large for exact arithmetic; split it")
    return fit, points, mult


def allocate(score: np.ndarray, feasible: np.ndarray, positions, *, priority=None, priority_bonus: float = 0.25,
             ids=None, seed: int = 0, method: str = "auto", candidates: int = CANDIDATES) -> Allocation:
    """Allocate places (columns, with ``positions`` each) to applicants (rows); see the module docstring."""
    n, m = score.shape
    positions = np.asarray(positions, np.int64)
    priority = np.zeros(n) if priority is None else np.asarray(priority, np.float64)
    ranks = lottery_ranks(range(n) if ids is None else ids, seed)
    fit, points, mult = pair_values(score, feasible, priority, priority_bonus, ranks)
    slot_place = np.repeat(np.arange(m), positions)
    if method == "auto":
        method = "dense"
    place_of = np.full(n, -1, np.int64)
    if n and len(slot_place):
        if method == "dense":
            rows, slots = _dense(fit, points, mult, slot_place)
        elif method == "sparse":
            rows, slots = _sparse(fit, points, mult, slot_place, positions, candidates)
        else:
            raise ValueError(f"method is auto, dense or sparse, not {method!r}")
        good = fit[rows, slot_place[slots]] > 0
        place_of[rows[good]] = slot_place[slots[good]]
    got = place_of >= 0
    chosen = np.where(got, fit[np.arange(n), np.maximum(place_of, 0)], 0).astype(np.int64)
    objective = (int(chosen.sum()), int(points[got].sum()))
    fit_value = np.where(got, (chosen - 1) / UNIT, np.nan)
    return Allocation(place_of, fit_value, objective, ranks, method)


def _dense(fit, points, mult, slot_place):
    value = fit[:, slot_place].astype(np.float64)
    value *= mult
    value += np.where(value > 0, points[:, None], 0)
    rows, slots = linear_sum_assignment(value, maximize=True)
    return rows, slots


def _sparse(fit, points, mult, slot_place, positions, candidates):
    """The graph: each applicant's best ``candidates`` places and each place's best ``candidates``
    applicants (per position), every slot of those places, and a private 'no place' node per applicant."""
    n, m = fit.shape
    k = min(candidates, m)
    by_app = np.argpartition(-fit, k - 1, axis=1)[:, :k] if k < m else np.tile(np.arange(m), (n, 1))
    rows_a = np.repeat(np.arange(n), by_app.shape[1])
    cols_a = by_app.ravel()
    per_place = np.minimum(n, candidates * np.maximum(positions, 1))
    kk = int(per_place.max()) if m else 0
    by_place = np.argpartition(-fit, kk - 1, axis=0)[:kk, :] if kk < n else np.tile(np.arange(n)[:, None], (1, m))
    rows_b, cols_b = by_place.ravel(), np.tile(np.arange(m), by_place.shape[0])
    pairs = np.unique(np.stack([np.concatenate([rows_a, rows_b]), np.concatenate([cols_a, cols_b])], 1), axis=0)
    pairs = pairs[fit[pairs[:, 0], pairs[:, 1]] > 0]
    first_slot = np.concatenate([[0], np.cumsum(positions)[:-1]])
    reps = positions[pairs[:, 1]]
    r = np.repeat(pairs[:, 0], reps)
    slot = np.repeat(first_slot[pairs[:, 1]], reps) + (np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps))
    w = fit[r, slot_place[slot]].astype(np.float64) * mult + points[r] + 1  # +1: above the 'no place' edge
    S = len(slot_place)
    graph = sparse.csr_matrix((np.concatenate([w, np.ones(n)]),
                               (np.concatenate([r, np.arange(n)]), np.concatenate([slot, S + np.arange(n)]))),
                              shape=(n, S + n))
    rows, cols = min_weight_full_bipartite_matching(graph, maximize=True)
    real = cols < S
    return rows[real], cols[real]


def explain(alloc: Allocation, score, feasible, priority, ids, place_ids, rule_counts=None) -> list[str]:
    """One sentence per applicant: what they got and why, or why not. ``rule_counts(i)``, when given,
    says for an applicant without any allowed place how many places each hard rule excluded."""
    n = score.shape[0]
    priority = np.zeros(n) if priority is None else np.asarray(priority)
    holder = {}
    for i, j in enumerate(alloc.place_of):
        if j >= 0:
            holder.setdefault(int(j), []).append(i)
    out = []
    for i in range(n):
        allowed = np.flatnonzero(feasible[i])
        j = int(alloc.place_of[i])
        tier = f" (priority {int(priority[i])})" if priority[i] else ""
        if not len(allowed):
            why = ""
            if rule_counts is not None:
                why = ": " + ", ".join(f"{rule} excludes {c}" for rule, c in rule_counts(i).items() if c)
            out.append(f"{ids[i]}{tier}: no place - every place breaks a hard rule{why}")
            continue
        better = [int(b) for b in allowed[np.argsort(-score[i, allowed], kind="stable")] if score[i, b] > (score[i, j] if j >= 0 else -1)]
        taken = "; ".join(f"{place_ids[b]} ({score[i, b]:.3f}) went to {', '.join(str(ids[h]) for h in holder.get(b, []))}"
                          for b in better[:2] if holder.get(b))
        if j >= 0:
            rank = 1 + len(better)
            out.append(f"{ids[i]}{tier}: got {place_ids[j]}, score {score[i, j]:.3f}, their choice {rank} of "
                       f"{len(allowed)} allowed" + (f"; better fits taken: {taken}" if taken else ""))
        else:
            out.append(f"{ids[i]}{tier}: no place - all {len(allowed)} allowed places went to applicants with a higher "
                       f"total fit, priority or lottery rank (lottery rank {int(alloc.lottery[i]) + 1})"
                       + (f"; e.g. {taken}" if taken else ""))
    return out
