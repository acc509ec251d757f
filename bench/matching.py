"""Benchmark of matching and allocation against straightforward implementations, in one run.

    python bench/matching.py                       # 100,000 × 20,000 top-10, 11,000 × 11,000 allocation
    python bench/matching.py --participants 20000 --places 5000 --applicants 3000

1. top 10 places for each of ``--participants`` participants against ``--places`` places
   (synthetic data from pestrack.matching.evaluate): the vectorised Matcher (blocks of
   participants in ``--jobs`` forked worker processes, whose CPU time and peak memory are
   reported too) against the straightforward pair-by-pair scorer (pestrack.matching.reference)
   timed on ``--sample`` participants and scaled to all. The two must give the same lists on the
   sample.
2. allocation of ``--applicants`` feriejobb applicants (16–19) to as many one-position feriejobb
   places: the sparse solver (the default: LAPJVsp on each applicant's and each place's best
   candidates, proved optimal by pricing every other pair) against linear_sum_assignment on the
   whole matrix; the objectives must be equal. Both are given the Matcher's scores a block of
   applicants at a time, as ``pestrack allocate`` gives them. Besides each step's peak, the peak of
   the allocation alone (scoring included) is reported.

Each step runs in its own subprocess, so its peak memory (ru_maxrss) is its own. Goals: each of
the two tasks under a minute on two cores; the allocation under 1 GB at the dense solver's objective.
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


def step(args) -> dict:
    sys.path.insert(0, str(REPO))
    import numpy as np

    from pestrack.matching.esco import taxonomy
    from pestrack.matching.evaluate import synthetic

    tax = taxonomy()
    tax.occupation_vectors, tax.skill_vectors  # noqa: B018 - load before timing
    out: dict = {}
    if args.step in ("top", "top-reference"):
        t = time.perf_counter()
        data = synthetic(args.participants, args.places, seed=1, tax=tax)
        out["generate_s"] = time.perf_counter() - t
        if args.step == "top":
            from pestrack.matching.score import Matcher

            t, c = time.perf_counter(), time.process_time() + _children_cpu()
            m = Matcher(data.participants, data.places, tax=tax)
            best, _ = m.top_places(10, jobs=args.jobs)
            out["seconds"], out["cpu_s"] = time.perf_counter() - t, time.process_time() + _children_cpu() - c
            out["sample"] = best[: args.sample].tolist()
            out["peak_worker_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        else:
            from pestrack.matching.reference import PairScorer

            t, c = time.perf_counter(), time.process_time()
            ref = PairScorer(tax)
            lists = [[j for _, j in ref.top_places(p, data.places)] for p in data.participants[: args.sample]]
            took = time.perf_counter() - t
            out["seconds_sample"] = took
            out["seconds"] = took * args.participants / args.sample
            out["cpu_s"] = (time.process_time() - c) * args.participants / args.sample
            out["sample"] = lists
    else:
        import datetime as dt

        from pestrack.matching.allocate import Pairs, allocate
        from pestrack.matching.score import Matcher

        data = synthetic(args.applicants, args.applicants, seed=2, tax=tax)
        summer = dt.date(2025, 6, 16)
        for p in data.participants:  # feriejobb: applicants of 16-19, places of that kind
            p.birth_date = dt.date(2006 + (hash(p.id) % 4), 1 + hash(p.id[::-1]) % 12, 1)
            p.priority = int(hash(p.id) % 5 == 0)  # a fifth from priority areas
        for q in data.places:
            q.kind, q.kind_rules, q.start_date, q.positions = "feriejobb", {"min_age": 16, "max_age": 19}, summer, 1
        t, c = time.perf_counter(), time.process_time()
        m = Matcher(data.participants, data.places, tax=tax)
        out["score_s"] = time.perf_counter() - t  # setting the Matcher up
        priority = np.array([p.priority for p in data.participants])
        rss_before = _reset_peak()
        t = time.perf_counter()
        # as pestrack allocate does: the Matcher scores a block of applicants at a time, asked by the
        # allocation, which keeps 2-byte fits of the pairs (no score or rule matrix of every pair)
        pairs = Pairs(len(data.participants), len(data.places), m.scores)
        a = allocate(
            pairs,
            None,
            np.ones(len(data.places), int),
            priority=priority,
            seed=7,
            method="sparse" if args.step == "allocate" else "dense",
        )
        out["solve_s"] = time.perf_counter() - t
        out["alloc_peak_mb"], out["alloc_extra_mb"] = _status_mb("VmHWM"), _status_mb("VmHWM") - rss_before
        out["seconds"] = out["score_s"] + out["solve_s"]
        out["cpu_s"] = time.process_time() - c
        out["objective"] = list(a.objective)
        out["allocated"] = int((a.place_of >= 0).sum())
        out["feasible_share"] = float(np.mean([m.feasible(np.arange(i, i + 1)).mean() for i in range(0, pairs.n, 97)]))
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> float:
    """Reset this process's peak resident size (Linux: 5 > /proc/self/clear_refs) and return the
    resident size now, so that the peak of the allocation alone can be read afterwards."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS")


def _children_cpu() -> float:
    """CPU seconds of the finished worker processes of this step (top_places forks them)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(args, name: str) -> dict:
    cmd = [sys.executable, __file__, "--step", name] + [
        f"--{k}={v}" for k, v in vars(args).items() if k not in ("step",) and v is not None
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    if done.returncode:
        raise SystemExit(f"step {name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--participants", type=int, default=100_000)
    ap.add_argument("--places", type=int, default=20_000)
    ap.add_argument("--applicants", type=int, default=11_000)
    ap.add_argument("--sample", type=int, default=50, help="participants the straightforward top-10 is timed on")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--step", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:
        print(json.dumps(step(args)))
        return
    load = os.getloadavg()[0]
    print(
        f"{os.cpu_count()} cores, load average {load:.1f} (wall times are only meaningful near 0); top 10 for {args.participants:,} participants × {args.places:,} places; "
        f"allocation of {args.applicants:,} applicants to {args.applicants:,} places",
        flush=True,
    )
    top, ref = run(args, "top"), run(args, "top-reference")
    same = top["sample"][: args.sample] == [row + [-1] * (10 - len(row)) for row in ref["sample"]]
    print(
        f"top-10   vectorised     {top['seconds']:8.1f} s ({top['cpu_s']:.0f} s CPU)  {top['peak_mb']:7.0f} MB peak "
        f"(largest worker {top['peak_worker_mb']:.0f} MB)  (+ {top['generate_s']:.0f} s generating the data)"
    )
    print(
        f"top-10   straightforward{ref['seconds']:8.1f} s ({ref['cpu_s']:.0f} s CPU)  {ref['peak_mb']:7.0f} MB peak  (measured on "
        f"{args.sample} participants: {ref['seconds_sample']:.1f} s, scaled)  ratio {ref['seconds'] / top['seconds']:.0f}×; "
        f"same lists on the sample: {same}",
        flush=True,
    )
    sp, dense = run(args, "allocate"), run(args, "allocate-dense")
    for name, r in (("sparse (default)", sp), ("dense", dense)):
        print(
            f"allocate {name:<24} {r['seconds']:6.1f} s ({r['cpu_s']:.0f} s CPU; Matcher {r['score_s']:.1f} s, "
            f"scoring and solving {r['solve_s']:.1f} s)  {r['peak_mb']:6.0f} MB peak; {r['allocated']:,} allocated, "
            f"objective {r['objective']}"
        )
        # The step's peak includes the taxonomy, the synthetic data and the Matcher (about 0.35 GB
        # together, resident before the allocation is called): the allocation's own share is below.
        print(
            f"         {'':<24} the allocation alone: {r['alloc_extra_mb']:6.0f} MB above the "
            f"{r['alloc_peak_mb'] - r['alloc_extra_mb']:.0f} MB resident before it (peak {r['alloc_peak_mb']:.0f} MB)"
        )
    print(
        f"allocation: same objective: {sp['objective'] == dense['objective']}; pairs allowed by the hard rules "
        f"{sp['feasible_share']:.0%} (a sample); goal < 60 s: top-10 {'met' if top['seconds'] < 60 else 'NOT met'}, "
        f"allocation {'met' if sp['seconds'] < 60 else 'NOT met'}; goal < 1 GB peak: allocation "
        f"{'met' if sp['peak_mb'] < 1024 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
