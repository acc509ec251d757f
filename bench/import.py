"""Benchmark of ``pestrack import`` against a plain bulk insert of the same rows.

    python bench/import.py --rows 100000          # SQLite and, if reachable, PostgreSQL
    python bench/import.py --rows 20000 --only sqlite

For each database it generates (deterministically) a persons file and an enrolments file of
``--rows`` rows each, imports them with the validated importer, then dumps the stored rows and
inserts exactly those column values into a fresh database with a raw ``executemany`` in one
transaction (the baseline: no parsing, no validation, no encryption, no access log). Every step
runs in its own subprocess, so each peak memory (ru_maxrss; for the import the larger of its own
and its checking child's) is its own. Goal: import within 3× the baseline, memory flat in the
file size. ``--jobs 1`` measures the import checking and writing in one process.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import pickle
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PG = "postgresql://postgres@127.0.0.1:5432/"
TABLES = {"persons": "people_person", "enrolments": "casework_enrolment"}
OFFICES = ["jt-jarva", "jt-soderort", "jt-vasterort", "jt-city", "jt-unga"]
FIRST = ["Anna", "Fatima", "Sara", "Erik", "Ahmed", "Johan", "Åsa", "Örjan"]
LAST = ["Andersson", "Hassan", "Johansson", "Ali", "Karlsson", "Nilsson", "Öberg", "Ström"]


def generate(folder: Path, rows: int) -> tuple[Path, Path]:
    sys.path.insert(0, str(REPO))
    from pestrack.records.people.identity import make_number

    rng = random.Random(2023)
    persons, enrolments = folder / "persons.csv", folder / "enrolments.csv"
    with (
        persons.open("w", newline="", encoding="utf-8") as pf,
        enrolments.open("w", newline="", encoding="utf-8") as ef,
    ):
        p, e = csv.writer(pf), csv.writer(ef)
        p.writerow(
            [
                "personal_identity_number",
                "first_name",
                "last_name",
                "birth_date",
                "sex",
                "municipality",
                "education_level",
                "born_abroad",
                "protected_identity",
            ]
        )
        e.writerow(
            [
                "personal_identity_number",
                "programme",
                "org_unit",
                "target_group",
                "entry_route",
                "start_date",
                "end_date",
                "exit_reason",
                "referring_unit",
            ]
        )
        base = dt.date(1960, 1, 1)
        for i in range(rows):
            birth = base + dt.timedelta(days=i // 900)
            pin = make_number(birth, 100 + i % 900)
            p.writerow(
                [
                    pin,
                    rng.choice(FIRST),
                    rng.choice(LAST),
                    birth,
                    rng.choice(["woman", "man"]),
                    "0180",
                    rng.choice(["primary", "upper_secondary", "post_secondary_long"]),
                    rng.choice(["yes", "no", ""]),
                    "no",
                ]
            )
            start = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 300))
            ended = rng.random() < 0.5
            e.writerow(
                [
                    pin,
                    "jobbtorg",
                    rng.choice(OFFICES),
                    "forsorjningsstod",
                    "social_services",
                    start,
                    start + dt.timedelta(days=120) if ended else "",
                    "work" if ended else "",
                    "sdf-rk",
                ]
            )
    return persons, enrolments


# --- workers (run in a subprocess with PESTRACK_DATABASE_URL set) ------------------------------


def _django():
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pestrack.settings")
    import django

    django.setup()


def worker(args) -> dict:
    _django()
    from django.db import connection, transaction

    t0 = time.perf_counter()
    out: dict = {}
    if args.worker == "init":
        from django.core.management import call_command

        from pestrack.records.codes.profile import load_profile

        call_command("migrate", interactive=False, verbosity=0)
        load_profile("stockholm")
    elif args.worker == "import":
        from pestrack.records.importing.engine import run_import

        t0 = time.perf_counter()
        result = run_import(Path(args.file), args.kind, jobs=args.jobs)
        out["summary"] = result.summary()
    elif args.worker == "dump":
        with open(args.file, "wb") as fh, connection.cursor() as cur:
            cur.execute(f"SELECT * FROM {TABLES[args.kind]} ORDER BY id")
            pickle.dump([c[0] for c in cur.description], fh)
            while rows := cur.fetchmany(5000):
                pickle.dump(rows, fh)
    elif args.worker == "baseline":
        n = 0
        with open(args.file, "rb") as fh, transaction.atomic(), connection.cursor() as cur:
            t0 = time.perf_counter()
            columns = pickle.load(fh)
            sql = f"INSERT INTO {TABLES[args.kind]} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
            while True:
                try:
                    rows = pickle.load(fh)
                except EOFError:
                    break
                cur.executemany(sql, rows)
                n += len(rows)
        out["summary"] = f"inserted {n}"
    out["seconds"] = time.perf_counter() - t0
    out["maxrss_mb"] = (
        max(
            resource.getrusage(who).ru_maxrss  # the import's checking child counts too
            for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        )
        / 1024
    )
    return out


def step(url: str, *args: str) -> dict:
    env = dict(os.environ, PESTRACK_DATABASE_URL=url)
    proc = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"step {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench(name: str, url_a: str, url_b: str, files: dict[str, Path], folder: Path, rows: int, jobs: list[str]) -> None:
    step(url_a, "--worker", "init")
    step(url_b, "--worker", "init")
    for kind in ("persons", "enrolments"):
        imp = step(url_a, "--worker", "import", "--kind", kind, "--file", str(files[kind]), *jobs)
        dump = folder / f"{name}-{kind}.pickle"
        step(url_a, "--worker", "dump", "--kind", kind, "--file", str(dump))
        base = step(url_b, "--worker", "baseline", "--kind", kind, "--file", str(dump))
        print(
            f"{name:10} {kind:10} import {rows / imp['seconds']:10,.0f} rows/s ({imp['seconds']:7.1f} s, peak "
            f"{imp['maxrss_mb']:5.0f} MB; {imp['summary']})   baseline {rows / base['seconds']:10,.0f} rows/s "
            f"({base['seconds']:6.1f} s, peak {base['maxrss_mb']:5.0f} MB)   ratio {imp['seconds'] / base['seconds']:4.1f}×",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--jobs", type=int, choices=[1, 2], help="the import's --jobs (default: its own choice)")
    parser.add_argument("--worker", choices=["init", "import", "dump", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--kind", choices=list(TABLES), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    with tempfile.TemporaryDirectory(prefix="pestrack-bench-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        persons, enrolments = generate(folder, args.rows)
        files = {"persons": persons, "enrolments": enrolments}
        print(
            f"generated {args.rows:,} persons and {args.rows:,} enrolments in {time.perf_counter() - t:.0f} s "
            f"({persons.stat().st_size / 1e6:.0f} MB + {enrolments.stat().st_size / 1e6:.0f} MB)",
            flush=True,
        )
        if args.only in (None, "sqlite"):
            bench(
                "sqlite",
                f"sqlite:///{folder}/import.sqlite3",
                f"sqlite:///{folder}/baseline.sqlite3",
                files,
                folder,
                args.rows,
                jobs,
            )
        if args.only in (None, "postgresql"):
            postgres(files, folder, args.rows, jobs)


def postgres(files, folder, rows, jobs) -> None:
    import psycopg

    names = [f"bench_pestrack_{os.getpid()}_{x}" for x in ("import", "baseline")]
    try:
        admin = psycopg.connect(PG + "postgres", autocommit=True, connect_timeout=3)
    except Exception as exc:
        print(f"postgresql skipped: {PG} is not reachable ({str(exc).strip().splitlines()[0]})")
        return
    try:
        for n in names:
            admin.execute(f"CREATE DATABASE {n}")
        bench("postgresql", PG + names[0], PG + names[1], files, folder, rows, jobs)
    finally:
        for n in names:
            admin.execute(f"DROP DATABASE IF EXISTS {n} WITH (FORCE)")
        admin.close()


if __name__ == "__main__":
    main()
