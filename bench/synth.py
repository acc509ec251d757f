"""Benchmark of `pestrack synth`: rows per second and peak memory, each run in a child process of
its own (peak = the child's maximum resident set size).

    .venv/bin/python bench/synth.py [SCALE ...] [--into-db] [--pandas-at-any-scale]   # default: 1 10

Per scale, the same population (seed 1, 2022-2023) three ways:

- parquet: `pestrack synth --out DIR`, streaming: shard by shard into the analytics tables;
- pandas:  the same shards and the same rows, kept in lists, then one pandas DataFrame per table
           written with DataFrame.to_parquet (the plain way; needs the "bench" extra). Above scale
           10 it is skipped unless --pandas-at-any-scale (it would need many GB; the estimate from
           the smaller scales is printed);
- into-db: `pestrack synth --into-db` into a new SQLite database (PESTRACK_DATABASE_URL's PostgreSQL
           server when set to one), with --into-db only, and only at scale 1 unless asked for more.

"rows" are the analytics rows written (parquet, pandas) or the records inserted (into-db). Times:
draw = drawing the population, write = everything after (shaping the rows, writing the files or the
database). Not a test: prints a table; scale 100 takes about half an hour on a small machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
YEARS = [2022, 2023]
SEED = 1
PANDAS_MAX_SCALE = 10  # above: the in-memory baseline is estimated from its peak at the scales run, not run


def _setup(database_url: str | None = None) -> None:
    if database_url:
        os.environ["PESTRACK_DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pestrack.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


class Timer:
    """Time spent drawing (inside the shard generator) versus the rest."""

    def __init__(self):
        self.draw = 0.0
        self.started = time.perf_counter()

    def timed(self, shards):
        while True:
            t = time.perf_counter()
            try:
                pop = next(shards)
            except StopIteration:
                return
            finally:
                self.draw += time.perf_counter() - t
            yield pop

    def result(self, rows: int) -> dict:
        total = time.perf_counter() - self.started
        return {"rows": rows, "draw": self.draw, "write": total - self.draw, "total": total}


def _shards(scale: int):
    from pestrack.records.codes.profile import read_profile
    from pestrack.synth import run

    data = read_profile("stockholm")
    return data, run.shards("stockholm", YEARS, scale=scale, seed=SEED, codes=run.Codes.from_profile(data))


def child_parquet(scale: int, out: Path) -> dict:
    _setup()
    from pestrack.synth.to_parquet import ParquetOut

    timer = Timer()
    data, shards = _shards(scale)
    writer = ParquetOut(out, data)
    rows = sum(writer.add(pop) for pop in timer.timed(shards))
    writer.finish()
    return timer.result(rows)


def child_pandas(scale: int, out: Path) -> dict:
    _setup()
    import pandas as pd

    from pestrack.analytics.schema import TABLES
    from pestrack.synth.to_parquet import TableRows

    timer = Timer()
    data, shards = _shards(scale)
    table_rows = TableRows(data)  # the same rows as the parquet run's
    tables: dict[str, list[dict]] = {t.name: [] for t in TABLES}
    for pop in timer.timed(shards):
        for name, rows in table_rows.of(pop).items():
            tables[name].extend(rows)
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        pd.DataFrame(rows).to_parquet(out / f"{name}.parquet", compression="zstd", index=False)
    return timer.result(sum(len(rows) for rows in tables.values()))


def child_into_db(scale: int, out: Path) -> dict:
    url = os.environ.get("PESTRACK_DATABASE_URL", "")
    _setup(url if url.startswith("postgres") else f"sqlite:///{out / 'bench.sqlite3'}")
    from django.core.management import call_command
    from django.db import connection

    from pestrack.records.codes.profile import load_profile
    from pestrack.synth import run, store

    out.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    load_profile("stockholm")
    timer = Timer()
    counts = store.write_shards(timer.timed(run.shards("stockholm", YEARS, scale=scale, seed=SEED)), SEED)
    return {**timer.result(sum(counts.values())), "vendor": connection.vendor}


CHILDREN = {"parquet": child_parquet, "pandas": child_pandas, "into-db": child_into_db}


def run_child(mode: str, scale: int, tmp: Path) -> dict:
    """One run in a child process; its peak memory from the kernel's accounting of that child."""
    out = tmp / f"{mode}-{scale}"
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", mode, str(scale), str(out)], stdout=subprocess.PIPE, text=True
    )
    output = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{mode} at scale {scale} failed (exit {code})")
    result = json.loads(output.strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return result


def main(scales: list[int], into_db: bool, pandas_any_scale: bool = False) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="pestrack-bench-synth-"))
    print(
        f"{'scale':>5} {'mode':8} {'rows':>12} {'draw s':>8} {'write s':>8} {'total s':>8} "
        f"{'rows/s':>9} {'write rows/s':>12} {'peak MB':>8}",
        flush=True,
    )
    pandas_mb_per_scale = None
    for scale in scales:
        modes = ["parquet", "pandas"] + (["into-db"] if into_db and (scale == 1 or len(scales) == 1) else [])
        for mode in modes:
            if mode == "pandas" and scale > PANDAS_MAX_SCALE and not pandas_any_scale:
                guess = f"about {pandas_mb_per_scale * scale / 1024:,.0f} GB" if pandas_mb_per_scale else "all of it"
                print(
                    f"{scale:>5} pandas   skipped: it holds every row in memory ({guess}); --pandas-at-any-scale runs it"
                )
                continue
            r = run_child(mode, scale, tmp)
            if mode == "pandas":
                pandas_mb_per_scale = r["peak_mb"] / scale
            print(
                f"{scale:>5} {mode:8} {r['rows']:>12,} {r['draw']:>8.1f} {r['write']:>8.1f} {r['total']:>8.1f} "
                f"{r['rows'] / r['total']:>9,.0f} {r['rows'] / max(r['write'], 1e-9):>12,.0f} {r['peak_mb']:>8,.0f}"
                + (f"  ({r['vendor']})" if "vendor" in r else ""),
                flush=True,
            )
    print(f"files in {tmp}")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--child"]:
        mode, scale, out = args[1], int(args[2]), Path(args[3])
        print(json.dumps(CHILDREN[mode](scale, out)), flush=True)
    else:
        main([int(a) for a in args if a.isdigit()] or [1, 10], "--into-db" in args, "--pandas-at-any-scale" in args)
