"""Benchmark of `pestrack synth`: rows per second and peak memory, drawing and writing into a new
SQLite database (or PESTRACK_DATABASE_URL's PostgreSQL server when set to one).

    .venv/bin/python bench/synth.py [SCALE ...]      # default: 1

Not a test: prints timings. The pandas baseline of issue 3 is not here (pandas is not a dependency).
"""
from __future__ import annotations

import os
import resource
import sys
import tempfile
import time


def main(scales: list[int]) -> None:
    tmp = tempfile.mkdtemp(prefix="pestrack-bench-synth-")
    os.environ.setdefault("PESTRACK_DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pestrack.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from pestrack.records.codes.profile import load_profile
    from pestrack.synth import run, store

    for scale in scales:
        if connection.vendor == "sqlite":
            connection.close()
            os.environ["PESTRACK_DATABASE_URL"] = f"sqlite:///{tmp}/bench-{scale}.sqlite3"
            connection.settings_dict["NAME"] = f"{tmp}/bench-{scale}.sqlite3"
        call_command("migrate", verbosity=0)
        load_profile("stockholm")
        t0 = time.perf_counter()
        pop = run.build("stockholm", [2022, 2023], scale=scale, seed=1)
        t1 = time.perf_counter()
        counts = store.write(pop, 1)
        t2 = time.perf_counter()
        rows = sum(counts.values())
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"scale {scale}: {rows:,} rows ({counts['persons']:,} persons) on {connection.vendor}; "
              f"draw {t1 - t0:.1f} s, write {t2 - t1:.1f} s, {rows / (t2 - t0):,.0f} rows/s overall; "
              f"peak memory {peak:,.0f} MB", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1])
