"""Benchmark of ``pestrack.profiling``: train and audit on synthetic enrolments, 1 million by default.

    python bench/profiling.py                          # 1,000,000 enrolments, logistic with boosting compared
    python bench/profiling.py --sizes 100000 1000000 --no-compare

Data: ``pestrack.synth.profiling`` (outcomes drawn from the documented true risk), generated once
per size and version of the generator into the cache folder (--cache, default $PESTRACK_BENCH_CACHE or
<tmp>/pestrack-bench);
generation is not timed. Each size runs in its own subprocess, so its peak memory (ru_maxrss, the
largest resident memory of the process) is its own. Timed, as ``pestrack profiling train`` and
``pestrack profiling audit`` do it:

- load: the profiling table from the analytics tables (DuckDB: inputs, previous enrolments, target);
- train: the logistic regression on the earlier cohorts with its standard errors, validated on the
  latest cohort (and, unless --no-compare, gradient boosting fitted on the same rows for comparison);
- audit: predictions, AUC with interval, Brier, calibration, the groups and intersections with
  their rates and intervals, the proxy check.

Goal: train and audit on one million enrolments in under 2 minutes on 2 cores, peak memory under
3 GB. The run exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 120
GOAL_MB = 3 * 1024


def _setup() -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pestrack.settings")
    import django

    django.setup()


def child(rows: int, folder: Path, compare: bool) -> dict:
    _setup()
    from pestrack.profiling import data as profiling_data
    from pestrack.profiling import settings as profiling_settings
    from pestrack.profiling.audit import audit
    from pestrack.profiling.train import train

    s = profiling_settings.read("stockholm")
    out = {"rows": rows}
    t = time.perf_counter()
    data = profiling_data.load(folder, s)
    out["load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    model = train(data, s, "logistic", compare=compare)
    out["train_s"] = time.perf_counter() - t
    t = time.perf_counter()
    result = audit(model, data, s)
    out["audit_s"] = time.perf_counter() - t
    out["seconds"] = out["load_s"] + out["train_s"] + out["audit_s"]
    out["auc"], out["auc_oracle"] = result["auc"], result["auc_oracle"]
    out["boosting_auc"] = model.meta["validation"]["comparison"].get("boosting", {}).get("auc")
    out["groups"], out["flags"] = len(result["groups"]), len(result["flags"])
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def generate(rows: int, cache: Path) -> Path:
    # a folder per version of the generator: data drawn by an older one (other columns) are not reused
    import hashlib

    version = hashlib.sha256((REPO / "pestrack" / "synth" / "profiling.py").read_bytes()).hexdigest()[:10]
    folder = cache / f"profiling-{rows}-{version}"
    if not (folder / "manifest.json").exists():
        _setup()
        from pestrack.synth import profiling

        t = time.perf_counter()
        profiling.write(folder, rows, seed=1)
        print(f"generated {rows:,} enrolments in {time.perf_counter() - t:.1f} s (not timed)", flush=True)
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--compare", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument(
        "--cache",
        type=Path,
        default=Path(os.environ.get("PESTRACK_BENCH_CACHE") or Path(tempfile.gettempdir()) / "pestrack-bench"),
    )
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.rows, args.child, args.compare)))
        return
    print(f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.1f}", flush=True)
    results = []
    for rows in args.sizes:
        folder = generate(rows, args.cache)
        cmd = [sys.executable, __file__, "--child", str(folder), "--rows", str(rows)]
        cmd.append("--compare" if args.compare else "--no-compare")
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
        if proc.returncode:
            sys.exit(f"{rows:,} rows failed:\n{proc.stderr}")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print(
        f"{'rows':>10} {'load s':>7} {'train s':>8} {'audit s':>8} {'total s':>8} {'peak MB':>8} "
        f"{'AUC':>6} {'oracle':>7} {'boost':>6} {'x time goal':>11} {'x memory goal':>13} {'goal met':>8}"
    )
    missed = False
    for r in results:
        t_ratio, m_ratio = r["seconds"] / GOAL_SECONDS, r["peak_mb"] / GOAL_MB
        met = t_ratio < 1 and m_ratio < 1
        missed |= r["rows"] >= 1_000_000 and not met
        boost = f"{r['boosting_auc']:.3f}" if r["boosting_auc"] is not None else "–"
        print(
            f"{r['rows']:>10,} {r['load_s']:>7.1f} {r['train_s']:>8.1f} {r['audit_s']:>8.1f} {r['seconds']:>8.1f} "
            f"{r['peak_mb']:>8.0f} {r['auc']:>6.3f} {r['auc_oracle']:>7.3f} {boost:>6} {t_ratio:>11.2f} "
            f"{m_ratio:>13.2f} {'yes' if met else 'no':>8}"
        )
    print(f"goal: under {GOAL_SECONDS} s and {GOAL_MB} MB for 1,000,000 enrolments (ratios: measured / goal)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
