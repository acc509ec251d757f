"""Benchmark of the indicator engines: the whole Stockholm indicator set with all breakdowns on the
synthetic population, on DuckDB, PostgreSQL and Apache Spark, against a plain pandas implementation
of the same indicators (bench/pandas_baseline.py) in the same run.

    .venv/bin/python bench/indicators.py                           # scales 1 10 100, every engine
    .venv/bin/python bench/indicators.py --scales 1 10 --engines duckdb pandas
    .venv/bin/python bench/indicators.py --data DIR                # a folder of analytics tables instead
    .venv/bin/python bench/indicators.py --repeat 1                # one run each (PostgreSQL at scale 100: ~2 min a run)

Each (scale, engine) runs in a child process of its own, ``--repeat`` times (default 3), the engines
taking turns (pandas, DuckDB, ..., pandas, DuckDB, ...) so that a change in the machine's speed during
the run falls on all of them alike; the times shown are the medians, with the fastest and slowest run
of the total. Columns:

- setup s: the engine made ready (DuckDB: views on the Parquet files; PostgreSQL: the tables loaded
  with COPY; Spark: session start and temporary views; pandas: nothing);
- compute s: every indicator of the period computed (pandas: reading the tables included);
- total s = setup + compute; each of the three columns is the median over the runs of its own,
  then the range of the total over the runs; rows/s = rows scanned / total, where rows scanned is the row count of each computed
  indicator's population table, summed over the indicators (one pass per indicator);
- peak MB: the largest resident memory (over the runs) of the child and its child processes (the
  Spark JVM included; the PostgreSQL server's own processes are not counted);
- x pandas: pandas' median total / the engine's median total;
- = pandas: every row (indicator, breakdown, value) of every run equal to the pandas baseline's,
  every number exactly equal. The run exits 1 if an engine differs.

The synthetic population is generated once per scale into the cache folder (--cache, default
$PESTRACK_BENCH_CACHE or <tmp>/pestrack-bench) with `pestrack synth --scale N --seed 1 --out`, and
reused. Generation time is not part of the benchmark (scale 100 took 16 minutes here).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
ENGINES = ("pandas", "duckdb", "postgres", "spark")
YEARS = [2022, 2023]
SEED = 1
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


class PeakMemory:
    """Samples the resident memory of this process and all its descendants (every 50 ms)."""

    def __init__(self):
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _tree(pid: int) -> list[int]:
        pids, todo = [], [pid]
        while todo:
            p = todo.pop()
            pids.append(p)
            for task in Path(f"/proc/{p}/task").glob("*/children"):
                try:
                    todo += [int(c) for c in task.read_text().split()]
                except OSError:
                    pass
        return pids

    @staticmethod
    def _rss_kb(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _run(self):
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, sum(self._rss_kb(p) for p in self._tree(os.getpid())))
            self._stop.wait(0.05)

    def __enter__(self):
        if Path("/proc/self/task").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
        self.peak_kb = max(self.peak_kb, own)


# --- the child: one engine on one folder ---------------------------------------------------------


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pestrack.settings")
    sys.path[:0] = [str(ROOT), str(BENCH)]
    import django

    django.setup()


def _engine(name: str, data: Path, opts: dict):
    from pestrack.indicators import engines

    if name == "duckdb":
        return engines.DuckDBEngine(data)
    if name == "postgres":
        return engines.PostgresEngine(data, opts["database_url"], schema=f"pestrack_bench_{os.getpid()}")
    return engines.SparkEngine(data, master=opts["spark_master"])


def child(name: str, data: Path, year: int, code: str, opts: dict, out: Path) -> dict:
    _setup_django()
    from pestrack.indicators.definitions import load_definitions
    from pestrack.indicators.periods import period

    indicators, p = load_definitions(opts.get("profile", "stockholm")), period(year, code)
    with PeakMemory() as mem:
        started = time.perf_counter()
        if name == "pandas":
            import pandas_baseline

            setup = 0.0
            tables = pandas_baseline.read_tables(data, {i.population for i in indicators if i.population})
            rows = pandas_baseline.compute(indicators, tables, p)
        else:
            from pestrack.indicators.compute import compute

            with _engine(name, data, opts) as engine:
                setup = time.perf_counter() - started
                results = compute([i for i in indicators if not i.is_reported], engine, p)
            rows = [
                (r.indicator_id, r.breakdown, r.breakdown_value, r.numerator, r.denominator, r.value) for r in results
            ]
        total = time.perf_counter() - started
    out.write_text(json.dumps(rows))
    return {
        "setup": setup,
        "compute": total - setup,
        "total": total,
        "peak_mb": mem.peak_kb / 1024,
        "indicators": sorted({r[0] for r in rows}),
    }


def run_child(name: str, data: Path, args, work: Path) -> tuple[dict, list] | str:
    """One engine in a child process: its measurements and result rows, or why it failed."""
    out = work / f"{name}-{data.name}.json"
    opts = {"database_url": args.database_url, "spark_master": args.spark_master, "profile": args.profile}
    proc = subprocess.run(
        [sys.executable, __file__, "--child", name, str(data), str(args.year), args.period, json.dumps(opts), str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        return f"failed: {lines[-1] if lines else 'exit ' + str(proc.returncode)}"
    return json.loads(proc.stdout.strip().splitlines()[-1]), json.loads(out.read_text())


# --- the parent ----------------------------------------------------------------------------------


def synthetic(scale: int, cache: Path) -> Path:
    """The synthetic population of ``scale`` in the cache, generated when it is not there yet."""
    folder = cache / f"synth-s{scale}-seed{SEED}"
    if not (folder / "manifest.json").exists():
        print(f"generating the scale-{scale} population into {folder} (once) ...", flush=True)
        started = time.perf_counter()
        subprocess.run(
            [
                str(Path(sys.executable).parent / "pestrack"),
                "synth",
                "--profile",
                "stockholm",
                "--years",
                *map(str, YEARS),
                "--scale",
                str(scale),
                "--seed",
                str(SEED),
                "--out",
                str(folder),
            ],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    return folder


def rows_scanned(data: Path, indicator_ids: list[str], profile: str) -> int:
    import pyarrow.parquet as pq

    from pestrack.indicators.definitions import load_definitions

    by_id = {i.id: i for i in load_definitions(profile)}
    counts: dict[str, int] = {}
    for ind in (by_id[i] for i in indicator_ids):
        if ind.population not in counts:
            counts[ind.population] = pq.ParquetFile(data / f"{ind.population}.parquet").metadata.num_rows
    return sum(counts[by_id[i].population] for i in indicator_ids)


def differences(rows: list, reference: list) -> list[str]:
    """Rows that differ from the reference (keyed by indicator, breakdown, value); numbers must be
    exactly equal (docs/indicators.md, Engines: the sums are of whole numbers)."""
    a = {tuple(r[:3]): tuple(r[3:]) for r in rows}
    b = {tuple(r[:3]): tuple(r[3:]) for r in reference}
    out = [f"{k}: only in one" for k in sorted(set(a) ^ set(b), key=str)]
    out += [f"{k}: {a[k]} vs {b[k]}" for k in sorted(set(a) & set(b), key=str) if a[k] != b[k]]
    return out


def postgres_reachable(url: str) -> str | None:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=3).close()
    except Exception as exc:  # any failure: the engine is left out with the reason
        return str(exc).strip().splitlines()[0]
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    ap.add_argument("--data", type=Path, help="a folder of analytics tables instead of the synthetic scales")
    ap.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    ap.add_argument("--year", type=int, default=2023)
    ap.add_argument("--period", default="VB")
    ap.add_argument("--profile", default="stockholm")
    ap.add_argument(
        "--cache",
        type=Path,
        default=Path(os.environ.get("PESTRACK_BENCH_CACHE", "") or Path(tempfile.gettempdir()) / "pestrack-bench"),
    )
    url = os.environ.get("PESTRACK_DATABASE_URL", "")
    ap.add_argument("--database-url", default=url if url.startswith("postgres") else DEFAULT_PG)
    ap.add_argument("--spark-master", default="local[2]")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each engine, taking turns (default 3)")
    args = ap.parse_args(argv)
    sys.path[:0] = [str(ROOT), str(BENCH)]

    engines = ["pandas"] + [e for e in args.engines if e != "pandas"]  # the baseline first: the others meet it
    if "postgres" in engines and (why := postgres_reachable(args.database_url)):
        print(f"postgres left out: {why}")
        engines.remove("postgres")
    folders = [("data", args.data)] if args.data else [(str(s), synthetic(s, args.cache)) for s in args.scales]
    work = Path(tempfile.mkdtemp(prefix="pestrack-bench-indicators-"))
    print(
        f"{'scale':>5} {'engine':8} {'indicators':>10} {'rows scanned':>13} {'setup s':>8} {'compute s':>9} "
        f"{'total s':>8} {'(range)':>13} {'rows/s':>12} {'peak MB':>8} {'x pandas':>8}  = pandas",
        flush=True,
    )
    failed, summary = False, []
    for scale, data in folders:
        runs: dict[str, list[dict]] = {name: [] for name in engines}
        baseline, diffs, errors = None, {}, {}
        for _ in range(args.repeat):
            for name in engines:
                if name in errors:
                    continue
                result = run_child(name, data, args, work)
                if isinstance(result, str):
                    errors[name] = result
                    continue
                m, rows = result
                if name == "pandas" and baseline is None:
                    baseline = rows
                diff = differences(rows, baseline) if baseline is not None else ["no baseline"]
                diffs[name] = diffs.get(name) or diff  # the first run that differs is the one shown
                runs[name].append(m)
        median = {name: statistics.median(m["total"] for m in ms) for name, ms in runs.items() if ms}
        for name in engines:
            if name in errors:
                print(f"{scale:>5} {name:8} {errors[name]}", flush=True)
                failed = True
                continue
            ms, diff = runs[name], diffs[name]
            failed |= bool(diff)
            mid = lambda key, ms=ms: statistics.median(m[key] for m in ms)  # noqa: E731
            totals = [m["total"] for m in ms]
            scanned = rows_scanned(data, ms[0]["indicators"], args.profile)
            speed = median["pandas"] / median[name] if "pandas" in median else float("nan")
            same = "yes" if not diff else f"NO: {len(diff)} rows differ, e.g. {diff[0]}"
            spread = f"{min(totals):.2f}-{max(totals):.2f}"
            print(
                f"{scale:>5} {name:8} {len(ms[0]['indicators']):>10} {scanned:>13,} {mid('setup'):>8.2f} "
                f"{mid('compute'):>9.2f} {median[name]:>8.2f} {spread:>13} {scanned / median[name]:>12,.0f} "
                f"{max(m['peak_mb'] for m in ms):>8,.0f} {speed:>8.1f}  {same} ({len(baseline or [])} rows)",
                flush=True,
            )
        if "duckdb" in median and "pandas" in median:
            ratios = sorted(p["total"] / d["total"] for p, d in zip(runs["pandas"], runs["duckdb"]))
            runs_text = (
                f"median of {len(ratios)} runs; run by run {', '.join(f'{r:.1f}' for r in ratios)}"
                if len(ratios) > 1
                else "1 run"
            )
            summary.append(
                f"scale {scale}: DuckDB {median['pandas'] / median['duckdb']:.1f}x faster than pandas "
                f"({runs_text}), the whole set in {median['duckdb']:.1f} s"
            )
    for line in summary:
        print(line)
    print("goal: DuckDB at least 10x faster than pandas at scale 100, the whole set within 60 s on two cores")
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        name, data, year, code, opts, out = sys.argv[2:8]
        print(json.dumps(child(name, Path(data), int(year), code, json.loads(opts), Path(out))), flush=True)
    else:
        sys.exit(main())
