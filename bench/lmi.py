"""Benchmark of the labour-market flows (docs/lmi.md, "Performance"): every flow indicator (hires,
terminations, net balance, conversions, extensions) with every breakdown, by month for one year,
on about 100 million contract events, on DuckDB (the indicator engine) against a straightforward
pandas implementation in the same run, with Apache Spark (local[2]) beside them.

    .venv/bin/python bench/lmi.py                          # 100 M events, duckdb pandas spark
    .venv/bin/python bench/lmi.py --events 2000000         # a quick check
    .venv/bin/python bench/lmi.py --engines duckdb pandas  # without Spark
    .venv/bin/python bench/lmi.py --engines duckdb pandas-monthly spark  # 100 M in 23 GB (below)

The events are generated once into the cache folder (--cache, default $PESTRACK_BENCH_CACHE or
<tmp>/pestrack-bench) with the generator of `pestrack lmi synth` for the one year, at the scale that
gives --events rows (a stock of positions at the start counts its hires too), without the derived
positions; generation is not part of the benchmark. Each engine runs in a child process of its own;
time is from the start of the child's work to the last row (reading the files included), peak
memory the largest resident memory of the child and its children (the Spark JVM included).
Every engine's rows must equal pandas' (each count exactly); the run exits 1 if one differs.

The baseline is ``pandas``: the whole year in one DataFrame. At 100 M events it needs more memory than
the machine of the measurements has (about 27 GB by the 10 M run's 2.7 GB, against 23 GB), so
``pandas-monthly`` is the same code reading one month's events at a time (the event-date filter
pushed to the Parquet reader); the baseline of a run is ``pandas`` when it is among the engines,
else ``pandas-monthly``, and its rows are the reference every other engine must equal.

Goal (issue 19): DuckDB at least 10 times faster than pandas, under 30 s on 2 cores and under 2 GB
of memory; the last line says whether it was met.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
FLOWS = ("lmi_hires", "lmi_terminations", "lmi_net_balance", "lmi_conversions", "lmi_extensions")
GOAL = {"ratio": 10.0, "seconds": 30.0, "mb": 2048.0}


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pestrack.settings")
    sys.path[:0] = [str(ROOT), str(BENCH)]
    import django

    django.setup()


def _months(year: int):
    from pestrack.reports.lmi import periods

    return [p for p in periods(f"{year}-01", f"{year}-12") if "Q" not in p.label and len(p.label) == 7]


KINDS = {
    "lmi_hires": ["hire"],
    "lmi_terminations": ["termination"],
    "lmi_net_balance": ["hire", "termination"],
    "lmi_conversions": ["conversion"],
    "lmi_extensions": ["extension"],
}


def pandas_flows(data: Path, year: int, indicators, monthly: bool = False) -> list:
    """The flows with pandas alone: read the table, keep the versions known at the year's end and
    not cancelled, then per indicator, month and breakdown a groupby. ``monthly`` (the engine
    ``pandas-monthly``): the same, but reading one month's events at a time (a filter on the event
    date pushed to the Parquet reader), for sizes where the whole year does not fit in memory."""
    import pandas as pd

    known = pd.Timestamp(dt.date(year, 12, 31))
    breakdowns = sorted({b for i in indicators for b in i.breakdowns})
    columns = ["kind", "event_date", "known_date", "superseded_date", "cancelled", "position_change", *breakdowns]

    def read(filters=None):
        df = pd.read_parquet(
            data / "contract_events.parquet", columns=columns, dtype_backend="pyarrow", filters=filters
        )
        for c in ("event_date", "known_date", "superseded_date"):
            df[c] = pd.to_datetime(df[c])
        df = df[(df.known_date <= known) & (df.superseded_date.isna() | (df.superseded_date > known)) & ~df.cancelled]
        df = df[df.event_date.dt.year == year]
        return df.assign(month=df.event_date.dt.month)

    def month_rows(df, ind, p) -> list:
        part = df[df.kind.isin(KINDS[ind.id])]
        measure = (lambda g: g.position_change.sum()) if ind.id == "lmi_net_balance" else (lambda g: len(g))
        month = part[part.month == int(p.label[5:])]
        out = [(ind.id, p.label, "total", None, float(measure(month)))]
        for b in ind.breakdowns:
            col = month[b].astype(object).where(month[b].notna(), "(not recorded)")
            for value, group in month.groupby(col, sort=True):
                out.append((ind.id, p.label, b, str(value), float(measure(group))))
        return out

    rows: list = []
    if not monthly:
        df = read()
        for ind in indicators:
            for p in _months(year):
                rows += month_rows(df, ind, p)
        return rows
    by_month: dict[str, dict[str, list]] = {}
    for p in _months(year):
        df = read([("event_date", ">=", p.start), ("event_date", "<=", p.end)])
        by_month[p.label] = {ind.id: month_rows(df, ind, p) for ind in indicators}
        del df
    for ind in indicators:  # the order of the whole-year run
        for p in _months(year):
            rows += by_month[p.label][ind.id]
    return rows


def engine_flows(name: str, data: Path, year: int, indicators, master: str) -> list:
    from pestrack.indicators import engines
    from pestrack.indicators.compute import compute

    engine = engines.DuckDBEngine(data) if name == "duckdb" else engines.SparkEngine(data, master=master)
    rows = []
    with engine:
        for p in _months(year):
            for r in compute(indicators, engine, p, known_on=dt.date(year, 12, 31)):
                rows.append((r.indicator_id, r.period, r.breakdown, r.breakdown_value, r.value))
    return rows


def child(name: str, data: Path, year: int, master: str, out: Path) -> dict:
    _setup_django()
    from indicators import PeakMemory  # bench/indicators.py

    from pestrack.reports.lmi import definitions

    flows = [i for i in definitions() if i.id in FLOWS]
    with PeakMemory() as mem:
        started = time.perf_counter()
        if name in ("pandas", "pandas-monthly"):
            rows = pandas_flows(data, year, flows, monthly=name == "pandas-monthly")
        else:
            rows = engine_flows(name, data, year, flows, master)
        seconds = time.perf_counter() - started
    out.write_text(json.dumps(sorted(rows, key=lambda r: (r[0], r[1], r[2], r[3] or ""))))
    return {"seconds": seconds, "peak_mb": mem.peak_kb / 1024, "rows": len(rows)}


def run_child(name: str, data: Path, args, work: Path) -> tuple[dict, list] | str:
    out = work / f"{name}.json"
    proc = subprocess.run(
        [sys.executable, __file__, "--child", name, str(data), str(args.year), args.spark_master, str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        return f"failed: {lines[-1] if lines else 'exit ' + str(proc.returncode)}"
    return json.loads(proc.stdout.strip().splitlines()[-1]), json.loads(out.read_text())


def events_data(events: int, year: int, seed: int, cache: Path) -> Path:
    """The contract events in the cache: generated at the scale that gives about ``events`` rows."""
    folder = cache / f"lmi-events-{events}-{year}-seed{seed}"
    if (folder / "manifest.json").exists():
        return folder
    _setup_django()
    from pestrack.lmi import synth

    with tempfile.TemporaryDirectory() as probe:  # events per unit of scale, from a small one
        rows = synth.write(Path(probe), "stockholm", [year], scale=0.01, seed=seed, positions=False, registers=False)
    scale = events / (rows["contract_events"] / 0.01)
    print(f"generating about {events:,} events (scale {scale:.2f}) into {folder} …", flush=True)
    started = time.perf_counter()
    rows = synth.write(folder, "stockholm", [year], scale=scale, seed=seed, positions=False, registers=False)
    print(f"{rows['contract_events']:,} events in {time.perf_counter() - started:.0f} s", flush=True)
    return folder


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=100_000_000)
    ap.add_argument("--year", type=int, default=2023)
    ap.add_argument("--seed", type=int, default=1)
    names = ["duckdb", "pandas", "pandas-monthly", "spark"]
    ap.add_argument("--engines", nargs="+", default=["duckdb", "pandas", "spark"], choices=names)
    ap.add_argument(
        "--cache",
        type=Path,
        default=Path(os.environ.get("PESTRACK_BENCH_CACHE", Path(tempfile.gettempdir()) / "pestrack-bench")),
    )
    ap.add_argument("--spark-master", default="local[2]")
    args = ap.parse_args(argv)
    data = events_data(args.events, args.year, args.seed, args.cache)
    import pyarrow.parquet as pq

    total = pq.ParquetFile(data / "contract_events.parquet").metadata.num_rows
    print(f"{total:,} contract events in {data}; every flow by month and breakdown for {args.year}")
    # the baseline: pandas on the whole year; pandas-monthly where that does not fit in memory
    base = next((n for n in ("pandas", "pandas-monthly") if n in args.engines), None)
    results, failed = {}, False
    with tempfile.TemporaryDirectory() as work:
        for name in sorted(args.engines, key=lambda n: (n != base, names.index(n))):
            got = run_child(name, data, args, Path(work))
            if isinstance(got, str):
                print(f"{name:14} {got}")
                failed = True
                continue
            results[name] = got
    # the rows every engine must equal: the baseline's, or without one the first engine's (DuckDB's)
    ref_name = base if base in results else next(iter(results), None)
    reference = results[ref_name][1] if ref_name else None
    print(f"{'engine':14} {'time s':>8} {'peak MB':>8} {'rows':>8} {'x ' + str(base):>16}  = {ref_name}")
    for name, (m, rows) in results.items():
        ratio = results[base][0]["seconds"] / m["seconds"] if base in results else None
        same = "yes" if rows == reference else "NO"
        failed |= same == "NO"
        print(
            f"{name:14} {m['seconds']:8.2f} {m['peak_mb']:8.0f} {m['rows']:8,} {ratio if ratio else float('nan'):16.1f}  {same}"
        )
    if "duckdb" in results and base in results:
        m = results["duckdb"][0]
        ratio = results[base][0]["seconds"] / m["seconds"]
        met = ratio >= GOAL["ratio"] and m["seconds"] < GOAL["seconds"] and m["peak_mb"] < GOAL["mb"]
        print(
            f"goal (DuckDB ≥ {GOAL['ratio']:.0f}× {base}, < {GOAL['seconds']:.0f} s, < {GOAL['mb']:.0f} MB): "
            f"{'met' if met else 'NOT met'} ({ratio:.1f}×, {m['seconds']:.1f} s, {m['peak_mb']:.0f} MB, {total:,} events)"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        name, data, year, master, out = sys.argv[2:7]
        print(json.dumps(child(name, Path(data), int(year), master, Path(out))))
    else:
        sys.exit(main())
