"""pestrack import checking in a second process while the first writes (``--jobs 2``, the default
for large files): the same outcome as checking first, one transaction, nothing written on failure.

pytest-django runs each test in a transaction that another process cannot see, so the parallel
import runs in a subprocess against a database of its own: an SQLite file here, or in the
PostgreSQL pass a database created and dropped by the fixture.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pestrack.records.importing import engine
from pestrack.records.people.identity import make_number

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

PESTRACK = str(Path(sys.executable).with_name("pestrack"))
PERSON_COLUMNS = ["personal_identity_number", "first_name", "last_name", "birth_date", "sex", "municipality"]
ENROLMENT_COLUMNS = [
    "personal_identity_number",
    "programme",
    "org_unit",
    "target_group",
    "entry_route",
    "start_date",
    "end_date",
    "exit_reason",
]
BIRTH = dt.date(1980, 5, 17)

# Runs one import in the subprocess (chunks of 10 rows, so that several chunks are in flight) and
# prints the result with the database's counts; "crash-writer" interrupts the third write,
# "crash-checker" fails the checking of the third chunk (in the child process).
DRIVER = r"""
import json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "pestrack.settings"
import django
django.setup()
from pestrack.records.audit.models import AccessLogEntry
from pestrack.records.casework.models import Enrolment
from pestrack.records.importing import engine, registry
from pestrack.records.people.models import Person

mode, path, kind, jobs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
calls, overlapped = [], []
real_overlapped = engine._overlapped
def spy(*args):
    overlapped.append(1)
    return real_overlapped(*args)
engine._overlapped = spy
if mode == "crash-writer":
    real_write = engine.write_chunk
    def write_chunk(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real_write(*args)
    engine.write_chunk = write_chunk
if mode == "slow":  # for the kill tests: each write takes a while and the pipe is small, so that
    import time     # a kill lands mid-import with the checking child waiting to send
    engine.PIPE_BYTES = 4096
    real_write = engine.write_chunk
    def write_chunk(*args):
        time.sleep(0.1)  # 60 chunks: about 6 s, longer than the latest kill
        real_write(*args)
    engine.write_chunk = write_chunk
if mode == "crash-checker":
    cls = registry.KINDS[kind]
    real_check = cls.check_chunk
    def check_chunk(self, rows):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the checker broke")
        return real_check(self, rows)
    cls.check_chunk = check_chunk
out = {}
try:
    r = engine.run_import(path, kind, jobs=jobs, chunk_size=10)
    out.update(created=r.created, updated=r.updated, unchanged=r.unchanged, rejected=r.rejected,
               problems=[[line, column, reason] for line, column, _, reason in r.problems],
               rejects=r.rejects_path and open(r.rejects_path, encoding="utf-8-sig").read())
except BaseException as exc:
    out["error"] = type(exc).__name__ + (f": {exc}" if str(exc) else "")
out["overlapped"] = bool(overlapped)
out["persons"] = sorted(Person.objects.values_list("last_name", flat=True))
out["enrolments"] = Enrolment.objects.count()
out["log"] = {a: AccessLogEntry.objects.filter(action=a).count() for a in ("create", "update", "import")}
print(json.dumps(out))
"""


def _init(url: str, cwd: Path) -> None:
    r = subprocess.run(
        [PESTRACK, "init", "--profile", "stockholm"],
        env={**os.environ, "PESTRACK_DATABASE_URL": url},
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    assert r.returncode == 0, r.stderr


@pytest.fixture(scope="module")
def initialised_sqlite(tmp_path_factory) -> Path:
    """An SQLite file initialised by `pestrack init` once for the module (2.5 s a time): the tests on
    SQLite each get a copy of it."""
    folder = tmp_path_factory.mktemp("initialised")
    _init(f"sqlite:///{folder / 'db.sqlite3'}", folder)
    return folder / "db.sqlite3"


@pytest.fixture
def own_db(own_database_url, request, tmp_path):
    """The URL of a fresh database of this test's own, initialised with the Stockholm profile."""
    if own_database_url.startswith("sqlite:///"):
        import sqlite3

        source = sqlite3.connect(request.getfixturevalue("initialised_sqlite"))
        copy = sqlite3.connect(own_database_url.removeprefix("sqlite:///"))
        try:
            source.backup(copy)  # the whole database, its write-ahead log included
        finally:
            copy.close()
            source.close()
    else:
        _init(own_database_url, tmp_path)
    return own_database_url


def drive(url, mode, path, kind, jobs=2) -> dict:
    r = subprocess.run(
        [sys.executable, "-c", DRIVER, mode, str(path), kind, str(jobs)],
        capture_output=True,
        text=True,
        env={**os.environ, "PESTRACK_DATABASE_URL": url},
    )
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out.pop("overlapped") == (jobs == 2)  # the check ran in a second process
    return out


def persons_file(path: Path) -> Path:
    """35 valid persons and five rows that must be rejected, spread over the chunks."""
    rows = [[make_number(BIRTH, 100 + i), "Test", f"Person{i:02}", str(BIRTH), "woman", "0180"] for i in range(35)]
    rows.insert(5, ["19800517-1234", "Bad", "Check digit", str(BIRTH), "woman", "0180"])
    rows.insert(14, [make_number(BIRTH, 103), "Again", "Duplicate", str(BIRTH), "woman", "0180"])
    rows.insert(22, [make_number(BIRTH, 900), "Bad", "Sex", str(BIRTH), "x", "0180"])
    rows.insert(30, [make_number(BIRTH, 901), "Extra", "Cells", str(BIRTH), "man", "0180", "", "surplus"])
    rows.insert(38, [make_number(BIRTH, 902), "Wrong", "Birth", "1980-05-18", "man", "0180"])
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(PERSON_COLUMNS)
        w.writerows(rows)
    return path


def test_parallel_import_has_the_outcome_of_the_serial_one(own_db, profile, tmp_path):
    path = persons_file(tmp_path / "persons.csv")
    parallel = drive(own_db, "run", path, "persons")
    rejects = parallel.pop("rejects")
    serial = engine.run_import(path, "persons", jobs=1, chunk_size=10)  # in this test's own database
    assert (
        (parallel["created"], parallel["unchanged"], parallel["rejected"])
        == (serial.created, 0, serial.rejected)
        == (35, 0, 5)
    )
    assert parallel["problems"] == [[line, column, reason] for line, column, _, reason in serial.problems]
    assert [p[0] for p in parallel["problems"]] == [7, 16, 24, 32, 40]
    assert rejects == serial.rejects_path.read_text(encoding="utf-8-sig")
    assert parallel["persons"] == [f"Person{i:02}" for i in range(35)]
    assert parallel["log"] == {"create": 35, "update": 0, "import": 1}

    again = drive(own_db, "run", path, "persons")  # re-import: nothing changes, nothing is logged
    assert (again["created"], again["updated"], again["unchanged"], again["rejected"]) == (0, 0, 35, 5)
    assert again["log"] == parallel["log"]

    cli = subprocess.run(
        [PESTRACK, "import", str(path), "--kind", "persons", "--jobs", "2", "--quiet"],
        env={**os.environ, "PESTRACK_DATABASE_URL": own_db},
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 1, cli.stderr
    assert cli.stdout.strip().splitlines()[-1] == "imported 0, unchanged 35, rejected 5"


def test_enrolments_checked_in_parallel_see_the_stored_persons_and_the_rows_before_them(own_db, tmp_path):
    drive(own_db, "run", persons_file(tmp_path / "persons.csv"), "persons")
    rows = [
        [
            make_number(BIRTH, 100 + i),
            "jobbtorg",
            "jt-jarva",
            "forsorjningsstod",
            "social_services",
            "2023-03-01",
            "2023-09-01",
            "work",
        ]
        for i in range(30)
    ]
    rows[17] = [
        make_number(BIRTH, 117),
        "jobbtorg",
        "jt-jarva",
        "forsorjningsstod",
        "social_services",
        "2023-03-01",
        "",
        "",
    ]
    rows.append(
        [make_number(BIRTH, 117), "jobbtorg", "jt-jarva", "forsorjningsstod", "social_services", "2023-10-01", "", ""]
    )  # a second open enrolment, 14 rows (two chunks) after the first
    rows.append(
        [make_number(BIRTH, 900), "jobbtorg", "jt-jarva", "forsorjningsstod", "social_services", "2023-03-01", "", ""]
    )  # a person who was rejected from the persons file
    path = tmp_path / "enrolments.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([ENROLMENT_COLUMNS, *rows])
    r = drive(own_db, "run", path, "enrolments")
    assert (r["created"], r["rejected"], r["enrolments"]) == (30, 2, 30), r["problems"]
    assert r["problems"][0][:2] == [32, "end_date"] and "line 19 already has an open enrolment" in r["problems"][0][2]
    assert (
        r["problems"][1][:2] == [33, "personal_identity_number"]
        and "import the persons file first" in r["problems"][1][2]
    )


def test_a_failure_on_either_side_leaves_the_database_as_it_was(own_db, tmp_path):
    path = persons_file(tmp_path / "persons.csv")
    for mode, error in (("crash-writer", "KeyboardInterrupt"), ("crash-checker", "RuntimeError: the checker broke")):
        r = drive(own_db, mode, path, "persons")
        assert r["error"] == error
        assert (r["persons"], r["log"]) == ([], {"create": 0, "update": 0, "import": 0})
    assert drive(own_db, "run", path, "persons")["created"] == 35  # and the database is still usable


def test_inside_an_open_transaction_the_check_stays_in_this_process(profile, tmp_path):
    """A child process could not see rows this transaction has not committed: jobs=2 falls back."""
    path = persons_file(tmp_path / "persons.csv")
    engine.run_import(path, "persons", jobs=2)
    enrolments = tmp_path / "enrolments.csv"
    with enrolments.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(
            [
                ENROLMENT_COLUMNS,
                [
                    make_number(BIRTH, 100),
                    "jobbtorg",
                    "jt-jarva",
                    "forsorjningsstod",
                    "social_services",
                    "2023-03-01",
                    "",
                    "",
                ],
            ]
        )
    r = engine.run_import(enrolments, "enrolments", jobs=2)
    assert (r.created, r.rejected) == (1, 0)


def _processes_with(text: str) -> list[int]:
    """The pids of live processes whose command line contains ``text`` (zombies are not counted)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_an_import_killed_at_random_points_leaves_no_process_and_no_rows(own_db, tmp_path):
    """kill -9 of the importing process at random moments (the probe found the checking child left
    running, blocked on the pipe, holding the database): no process is left, the database holds the
    rows it had, and a rerun imports the file once."""
    import random
    import signal
    import time

    rows = [[make_number(BIRTH, 100 + i), "Test", f"Person{i:03}", str(BIRTH), "woman", "0180"] for i in range(600)]
    path = tmp_path / "killed-import.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([PERSON_COLUMNS, *rows])
    rng = random.Random(18)
    env = {**os.environ, "PESTRACK_DATABASE_URL": own_db}
    for delay in sorted(rng.uniform(0.5, 4.0) for _ in range(3)):
        proc = subprocess.Popen(
            [sys.executable, "-c", DRIVER, "slow", str(path), "persons", "2"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 10
        while _processes_with(str(path)) and time.time() < deadline:
            time.sleep(0.1)
        assert _processes_with(str(path)) == [], f"a process is left after kill -9 at {delay:.2f} s"
    # all or nothing: a kill either left every row or none (a fast machine may finish before a kill)
    first = drive(own_db, "run", path, "persons")
    before = first["unchanged"]
    assert before in (0, 600), f"{before} rows of 600 survived a kill"
    assert (first["created"], len(first["persons"])) == (600 - before, 600)
    assert first["log"]["create"] == 600 and first["log"]["import"] == (1 if before == 0 else 2)
    again = drive(own_db, "run", path, "persons")
    assert (again["created"], again["unchanged"]) == (0, 600)
