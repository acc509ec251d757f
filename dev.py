#!/usr/bin/env python3
"""Set up and run pestrack on a fresh machine that has only Python 3.11+ and pip.

    python3 dev.py demo    # create .venv, install the locked dependencies, run `pestrack demo`
    python3 dev.py test    # the same set-up, then the whole test suite (SQLite, then PostgreSQL)

Any other arguments are passed to the `pestrack` command inside the virtual environment.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("PESTRACK_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
LOCK = ROOT / "requirements.lock"
STAMP = VENV / ".pestrack-lock-sha256"
DURATIONS = "--durations=15"  # the slowest tests in every run, to keep the suite short


def ensure_venv() -> None:
    """Create the virtual environment and install the lock file once (again when it changes)."""
    if sys.version_info < (3, 11):
        sys.exit(f"pestrack needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    digest = hashlib.sha256(LOCK.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    if not (BIN / "python").exists():
        print(f"creating virtual environment {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["install", "--require-hashes", "-r", str(LOCK)], check=True)
    subprocess.run(pip + ["install", "--no-deps", "-e", str(ROOT)], check=True)
    STAMP.write_text(digest)


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
        code = subprocess.run([python, "-m", "pytest", DURATIONS, *extra], cwd=ROOT, env=env).returncode
        print(f"== database tests on PostgreSQL ({pg_url}) ==", flush=True)
        if pg is None:
            pg_code = subprocess.run(pg_cmd, cwd=ROOT, env=pg_env).returncode
        else:
            pg_code = pg.wait()
            pg_log.seek(0)
            shutil.copyfileobj(pg_log, sys.stdout)
            sys.stdout.flush()
    if pg_code == 5:  # pytest: no tests collected in this pass
        pg_code = 0
    return code or pg_code


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0 if argv else 2
    ensure_venv()
    if argv[0] == "test":
        return run_tests(argv[1:])
    return subprocess.run([str(BIN / "pestrack"), *argv], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
