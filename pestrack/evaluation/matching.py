"""Nearest-neighbour matching on the logit of the propensity score.

With replacement, k nearest comparison units per treated unit come from a k-d tree (scipy's cKDTree)
in one vectorised query. Without replacement, matching is greedy (MatchIt's default order: treated
units with the largest score first) in k rounds, and each step finds the nearest comparison unit
still available through two "next available" pointer arrays over the sorted scores, so a step costs
close to O(1) instead of a scan. Exact matching on chosen covariates shifts each exact cell far apart
on the score axis, so no match crosses a cell. The caliper is in standard deviations of the logit of
the score (0.2 is the usual choice).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

CELL_GAP = 1000.0  # logit scores lie within ±14; cells this far apart never meet


@dataclass
class Matches:
    """Matched pairs as flat arrays: treated row, comparison row and the pair's weight (1 / matches of the
    treated unit), all row indices into the data that was matched."""

    treated_row: np.ndarray
    control_row: np.ndarray
    weight: np.ndarray
    n_treated_unmatched: int

    def unit_weights(self, n: int) -> np.ndarray:
        """Matching weights per row: 1 for a matched treated unit, the sum of its pair weights for a
        comparison unit (a unit used twice counts twice), 0 for unused rows."""
        w = np.zeros(n)
        w[np.unique(self.treated_row)] = 1.0
        np.add.at(w, self.control_row, self.weight)
        return w


def _keys(logit: np.ndarray, cells: np.ndarray | None) -> np.ndarray:
    return logit if cells is None else logit + cells * CELL_GAP


def match(
    logit: np.ndarray,
    treated: np.ndarray,
    *,
    k: int = 1,
    caliper: float | None = None,
    replace: bool = True,
    cells: np.ndarray | None = None,
) -> Matches:
    """Match each treated unit to k comparison units. ``caliper`` is in SDs of ``logit``."""
    if k < 1:
        raise ValueError("k must be at least 1")
    bound = np.inf if caliper is None else caliper * logit.std()
    if cells is not None:
        bound = min(bound, CELL_GAP / 2)
    keys = _keys(logit, cells)
    t_rows, c_rows = np.flatnonzero(treated), np.flatnonzero(~treated)
    if replace:
        return _with_replacement(keys, t_rows, c_rows, k, bound)
    return _without_replacement(keys, t_rows, c_rows, k, bound)


def _with_replacement(keys, t_rows, c_rows, k, bound) -> Matches:
    tree = cKDTree(keys[c_rows, None])
    dist, idx = tree.query(
        keys[t_rows, None], k=k, distance_upper_bound=bound if np.isfinite(bound) else np.inf, workers=-1
    )
    dist, idx = dist.reshape(len(t_rows), k), idx.reshape(len(t_rows), k)
    found = np.isfinite(dist)
    per_treated = found.sum(axis=1)
    tr = np.repeat(t_rows, k).reshape(len(t_rows), k)[found]
    cr = c_rows[idx[found]]
    w = (1.0 / np.maximum(per_treated, 1))[:, None].repeat(k, axis=1)[found]
    return Matches(tr, cr, w, int((per_treated == 0).sum()))


def _find(parent: list[int], i: int) -> int:
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:
        parent[i], i = root, parent[i]
    return root


def _without_replacement(keys, t_rows, c_rows, k, bound) -> Matches:
    order_c = np.argsort(keys[c_rows], kind="stable")
    sorted_c = keys[c_rows][order_c]
    n_c = len(sorted_c)
    # right[i]: smallest available position >= i (n_c = none); left[i + 1]: largest available position <= i
    # (0 = none), both as union-find parents so that used positions are skipped in near-constant time.
    right = list(range(n_c + 1))
    left = list(range(n_c + 1))
    t_keys = keys[t_rows]
    order_t = np.argsort(-t_keys, kind="stable")  # largest score first
    positions = np.searchsorted(sorted_c, t_keys).tolist()
    values = t_keys.tolist()
    sorted_list = sorted_c.tolist()
    pairs_t, pairs_c = [], []
    active = order_t.tolist()
    for _ in range(k):
        still = []
        for t in active:
            x, pos = values[t], positions[t]
            r = _find(right, pos)
            lf = _find(left, pos) - 1  # left[] is shifted by one: position p lives at p + 1
            best, dist = -1, np.inf
            if r < n_c:
                best, dist = r, sorted_list[r] - x
            if lf >= 0 and x - sorted_list[lf] <= dist:
                best, dist = lf, x - sorted_list[lf]
            if best < 0 or dist > bound:
                continue
            right[best] = best + 1
            left[best + 1] = best
            pairs_t.append(t)
            pairs_c.append(best)
            still.append(t)
        active = still
    pt, pc = np.asarray(pairs_t, dtype=np.int64), np.asarray(pairs_c, dtype=np.int64)
    counts = np.bincount(pt, minlength=len(t_rows))
    return Matches(t_rows[pt], c_rows[order_c[pc]], 1.0 / counts[pt], int((counts == 0).sum()))
