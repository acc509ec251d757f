#!/usr/bin/env python3
"""Set up and run pestrack on a fresh machine that has only Python 3.11+ and pip.

    python3 dev.py demo    # create .venv, install the locked dependencies, run `pestrack demo`
    python3 dev.py test    # the same set-up, then the whole test suite (SQLite, then PostgreSQL)
    python3 dev.py lint    # the same set-up, then ruff check, ruff format --check and mypy (as CI does)

Any other arguments are passed to the `pestrack` command inside the virtual environment.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("PESTRACK_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
LOCK = ROOT / "requirements.lock"  # what the application needs to run (the demo)
DEV_LOCK = ROOT / "requirements-dev.lock"  # that and the extras: tests, Spark, benchmarks
STAMP = VENV / ".pestrack-lock-sha256"
DURATIONS = "--durations=15"  # the slowest tests in every run, to keep the suite short


def _digest(lock: Path) -> str:
    return hashlib.sha256(lock.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_venv(dev: bool = False) -> None:
    """Create the virtual environment and install a lock file once (again when it changes): the
    runtime lock for the demo, the development lock (a superset) for the tests."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs on the system Python
        sys.exit(f"pestrack needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    lock = DEV_LOCK if dev else LOCK
    installed = STAMP.read_text() if STAMP.exists() else ""
    if installed == _digest(lock) or (not dev and installed == _digest(DEV_LOCK)):
        return
    if not (BIN / "python").exists():
        print(f"creating virtual environment {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print(f"installing the pinned dependencies of {lock.name} (once; a few minutes on a first run)", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    # --no-compile: Python compiles a module when it is first imported, so only the modules used are
    # compiled (all of pyspark's, pandas' and the others' took some 20 s of the install)
    subprocess.run(pip + ["install", "--no-compile", "--require-hashes", "-r", str(lock)], check=True)
    subprocess.run(pip + ["install", "--no-deps", "-e", str(ROOT)], check=True)
    STAMP.write_text(_digest(lock))


def run(cmd: list[str], also: tuple = (), **kwargs) -> int:
    """Run ``cmd`` and wait for it, passing SIGTERM, SIGHUP and SIGINT on to it, so that ending
    dev.py (Ctrl-C, ``kill``, a closed terminal) also ends the server or test run it started (and
    the processes in ``also``, started before)."""
    child = subprocess.Popen(cmd, **kwargs)

    def forward(signum, _frame):
        for p in (child, *also):
            if p is not None and p.poll() is None:
                p.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    try:
        return child.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def run_tests(extra: list[str]) -> int:
    """Run the suite on SQLite and the database tests again on PostgreSQL.

    The two passes run at the same time (each is mostly one busy core, and CI has two); the
    PostgreSQL pass writes to a log that is printed when the SQLite pass has finished.
    PESTRACK_TEST_SERIAL=1 runs them one after the other instead."""
    python = str(BIN / "python")
    env = dict(os.environ)
    env.pop("PESTRACK_DATABASE_URL", None)
    pg_url = os.environ.get("PESTRACK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    pg_env = {**env, "PESTRACK_DATABASE_URL": pg_url}
    pg_cmd = [python, "-m", "pytest", DURATIONS, "-m", "django_db or postgres", *extra]
    serial = os.environ.get("PESTRACK_TEST_SERIAL") == "1"
    with tempfile.TemporaryFile("w+") as pg_log:
        pg = None if serial else subprocess.Popen(pg_cmd, cwd=ROOT, env=pg_env, stdout=pg_log, stderr=subprocess.STDOUT)
        print("== tests on SQLite ==", flush=True)
        code = run([python, "-m", "pytest", DURATIONS, *extra], also=(pg,), cwd=ROOT, env=env)
        print(f"== database tests on PostgreSQL ({pg_url}) ==", flush=True)
        if pg is None:
            pg_code = run(pg_cmd, cwd=ROOT, env=pg_env)
        else:
            pg_code = pg.wait()
            pg_log.seek(0)
            shutil.copyfileobj(pg_log, sys.stdout)
            sys.stdout.flush()
    if pg_code == 5:  # pytest: no tests collected in this pass
        pg_code = 0
    return code or pg_code


def run_lint() -> int:
    """Lint (ruff check), formatting (ruff format --check) and types (mypy, the files named in
    pyproject.toml): all three run, and any failure fails the whole."""
    checks = [[str(BIN / "ruff"), "check", "."], [str(BIN / "ruff"), "format", "--check", "."], [str(BIN / "mypy")]]
    failed = []
    for cmd in checks:
        name = " ".join([Path(cmd[0]).name, *cmd[1:]])
        print(f"== {name} ==", flush=True)
        if run(cmd, cwd=ROOT) != 0:
            failed.append(name)
    if failed:
        print(f"failed: {'; '.join(failed)}", flush=True)
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0 if argv else 2
    ensure_venv(dev=argv[0] in ("test", "lint"))
    if argv[0] == "test":
        return run_tests(argv[1:])
    if argv[0] == "lint":
        return run_lint()
    return run([str(BIN / "pestrack"), *argv], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
