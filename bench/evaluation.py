"""Benchmark of ``pestrack.evaluation``: propensity-score matching and its 200-replicate bootstrap on
10,000, 100,000 and 1,000,000 rows with 10 covariates, against a straightforward implementation in
the same run.

    python bench/evaluation.py                        # 10k, 100k, 1M
    python bench/evaluation.py --sizes 10000 100000 --naive-replicates 5

Data: ``pestrack.evaluation.simulate`` (confounded assignment, a known effect of 1.0, 10 numeric
covariates and a three-level group). Every measurement runs in its own subprocess, so its peak
memory (ru_maxrss) is its own.

- ours: ``evaluate(method="psm")``: Newton logistic fit, matching by one cKDTree query, the fast
  bootstrap (matches held fixed, treated and comparison units resampled, replicates as matrix
  products); also ``method="dr"`` with its one-step bootstrap.
- straightforward: scikit-learn's LogisticRegression, matching by scanning every comparison unit for
  each treated unit in a Python loop, and a bootstrap that redraws n rows and redoes all of it
  ``--naive-replicates`` times; the time for 200 replicates is projected from those (marked
  "projected"). Above ``--naive-max-rows`` the scan is not run at all and its time is projected from
  the largest size run, growing with the square of the rows (n_treated x n_comparison).

Goal: one million rows with a 200-replicate bootstrap in under two minutes on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COVARIATES = [f"x{i}" for i in range(1, 11)] + ["group"]


def _data(rows: int):
    sys.path.insert(0, str(REPO))
    from pestrack.evaluation.data import prepare
    from pestrack.evaluation.simulate import simulate

    table, truth = simulate(rows, p=10, seed=1)
    return prepare(table, treatment="treated", outcome="outcome", covariates=COVARIATES), truth


def ours(rows: int, method: str, replicates: int) -> dict:
    from pestrack.evaluation.estimators import evaluate

    ds, truth = _data(rows)
    started = time.perf_counter()
    # no trimming, so that the point estimate is the straightforward implementation's
    res = evaluate(ds, method=method, ci="bootstrap", replicates=replicates, trim="none")
    return {
        "seconds": time.perf_counter() - started,
        "att": res.att,
        "ci": [res.ci_low, res.ci_high],
        "truth": truth["att"],
        "replicates": replicates,
        "projected": False,
    }


def _naive_once(X, t, y, rng=None):
    """Fit, match (1 nearest, with replacement) by a full scan, estimate: the textbook loop."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    if rng is not None:
        idx = rng.integers(0, len(t), len(t))
        X, t, y = X[idx], t[idx], y[idx]
    ps = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10000).fit(X, t).predict_proba(X)[:, 1]
    logit = np.log(ps / (1 - ps))
    controls = np.flatnonzero(~t)
    lc, yc = logit[controls], y[controls]
    diffs = [y[i] - yc[np.argmin(np.abs(lc - logit[i]))] for i in np.flatnonzero(t)]
    return float(np.mean(diffs))


def naive(rows: int, replicates: int) -> dict:
    import numpy as np

    ds, truth = _data(rows)
    X, t, y = ds.X, ds.treated, ds.outcome
    started = time.perf_counter()
    att = _naive_once(X, t, y)
    point = time.perf_counter() - started
    rng = np.random.default_rng(1)
    reps = [_naive_once(X, t, y, rng) for _ in range(replicates)]
    boot = time.perf_counter() - started - point
    lo, hi = np.quantile(reps, [0.025, 0.975]) if replicates >= 20 else (float("nan"), float("nan"))
    return {
        "seconds": point + boot / max(replicates, 1) * 200,
        "point_seconds": point,
        "att": att,
        "ci": [float(lo), float(hi)],
        "truth": truth["att"],
        "replicates": replicates,
        "projected": replicates < 200,
    }


def child(args) -> None:
    if args.impl == "naive":
        out = naive(args.rows, args.replicates)
    else:
        out = ours(args.rows, args.impl, args.replicates)
    out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def run(rows: int, impl: str, replicates: int) -> dict:
    cmd = [sys.executable, __file__, "--child", impl, "--rows", str(rows), "--replicates", str(replicates)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if proc.returncode:
        sys.exit(f"{impl} on {rows} rows failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--replicates", type=int, default=200)
    ap.add_argument(
        "--naive-replicates",
        type=int,
        default=None,
        help="replicates the straightforward bootstrap really runs (default: 200 up to 10k rows, 3 above)",
    )
    ap.add_argument("--naive-max-rows", type=int, default=100_000)
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--child", choices=["psm", "dr", "naive"], help=argparse.SUPPRESS)
    ap.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        args.impl = args.child
        child(args)
        return
    print(f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.1f}", flush=True)
    print(f"{'rows':>10} {'implementation':<46} {'seconds':>9} {'peak MB':>8} {'ATT':>7} {'95% CI':>17}", flush=True)
    results, last_naive = [], None
    for rows in args.sizes:
        for impl in ("psm", "dr", "naive"):
            if impl == "naive" and rows > args.naive_max_rows:
                if last_naive is None:
                    continue
                scale = (rows / last_naive["rows"]) ** 2
                r = {
                    "rows": rows,
                    "impl": impl,
                    "seconds": last_naive["seconds"] * scale,
                    "projected": True,
                    "max_rss_mb": None,
                    "att": None,
                    "ci": [None, None],
                }
            else:
                reps = (
                    args.replicates
                    if impl != "naive"
                    else (
                        args.naive_replicates if args.naive_replicates is not None else (200 if rows <= 10_000 else 3)
                    )
                )
                r = {"rows": rows, "impl": impl, **run(rows, impl, reps)}
                if impl == "naive":
                    last_naive = r
            results.append(r)
            name = {
                "psm": "ours: matching + fast bootstrap",
                "dr": "ours: AIPW + one-step bootstrap",
                "naive": "straightforward: loop + refit",
            }[impl] + (" (projected)" if r["projected"] else "")
            att = f"{r['att']:.3f}" if r["att"] is not None else "–"
            ci = f"[{r['ci'][0]:.3f}, {r['ci'][1]:.3f}]" if r["ci"][0] is not None and r["ci"][0] == r["ci"][0] else "–"
            mem = f"{r['max_rss_mb']:.0f}" if r["max_rss_mb"] else "–"
            print(f"{rows:>10,} {name:<46} {r['seconds']:>9.1f} {mem:>8} {att:>7} {ci:>17}", flush=True)
        ours_psm = next(x for x in results if x["rows"] == rows and x["impl"] == "psm")
        other = next((x for x in results if x["rows"] == rows and x["impl"] == "naive"), None)
        if other:
            same = "" if other["att"] is None else f"; ATT difference {abs(other['att'] - ours_psm['att']):.1e}"
            print(
                f"{'':>10} speed-up of matching + bootstrap: {other['seconds'] / ours_psm['seconds']:,.0f}x{same}",
                flush=True,
            )
    big = next((x for x in results if x["rows"] >= 1_000_000 and x["impl"] == "psm"), None)
    if big:
        verdict = "met" if big["seconds"] < 120 else "NOT met"
        print(f"goal (1M rows, {args.replicates} replicates, < 120 s): {big['seconds']:.1f} s, {verdict}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
