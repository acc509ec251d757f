"""Every command of `pestrack` runs as a user runs it: in a fresh process (the installed `pestrack`
script, not in-process), on the example files in docs/examples/, against one SQLite database that
the module sets up once. Each must exit 0 and print the line that says it did its work.

The list of commands is read from the Typer app: a new command without an entry in SMOKE fails
`test_every_command_has_a_smoke_run`, so a command cannot ship untried."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "examples"
PESTRACK = str(Path(sys.executable).with_name("pestrack"))

# command -> (arguments after the command, text that the output must contain). In running order:
# later commands use what earlier ones made ({tmp}: the module's folder; {person}/{place}: ids).
SMOKE: dict[str, tuple[list[str], str]] = {
    "init": ([], "profile stockholm"),
    "user-add": (
        ["smoke-anna", "--role", "caseworker", "--unit", "jt-jarva", "--password", "Smoke-test-2026!"],
        "smoke-anna",
    ),
    "import": ([str(EXAMPLES / "persons.csv"), "--kind", "persons", "-q"], "imported 4, unchanged 0, rejected 0"),
    "demo": (["--persons", "40", "--no-serve"], "/portal/link/"),
    "analytics extract": (["--out", "{tmp}/analytics"], "enrolments"),
    "analytics schema": ([], "person_key"),
    "analytics import": (
        [str(EXAMPLES / "course_results.csv"), "--table", "course_results", "--out", "{tmp}/analytics"],
        "course_results",
    ),
    "lmi import": (
        [str(EXAMPLES / "contract_events.csv"), "--data", "{tmp}/lmi_import"],
        "imported 6, unchanged 0, rejected 0",
    ),
    "lmi synth": (
        [
            "--years",
            "2022",
            "2023",
            "--scale",
            "0.005",
            "--seed",
            "1",
            "--participants",
            "{tmp}/analytics",
            "--out",
            "{tmp}/lmi",
        ],
        "contract_events",
    ),
    "lmi compute": (
        ["--data", "{tmp}/lmi", "--from", "2023-01", "--to", "2023-12", "--out", "{tmp}/lmi.csv"],
        "lmi.csv",
    ),
    "lmi durability": (
        [
            "--data",
            "{tmp}/lmi",
            "--participants",
            "{tmp}/analytics",
            "--known-on",
            "2023-12-31",
            "--out",
            "{tmp}/lmi_dur.csv",
        ],
        "lmi_dur.csv",
    ),
    "lmi bulletin": (["--month", "2023-12", "--data", "{tmp}/lmi", "--out", "{tmp}/bulletin.html"], "bulletin.html"),
    "lmi compare": (
        [
            "--data",
            "{tmp}/lmi",
            "--participants",
            "{tmp}/analytics",
            "--measure",
            "matching",
            "--known-on",
            "2023-12-31",
        ],
        "no rows to compare",  # EXIT_CODE: the demo's exits are recent, the labour market 2022-2023
    ),
    "lmi shortages": (
        [
            "--registers",
            "{tmp}/lmi",
            "--data",
            "{tmp}/lmi",
            "--from",
            "2023-01",
            "--to",
            "2023-12",
            "--out",
            "{tmp}/short.csv",
        ],
        "short.csv",
    ),
    "indicators validate": ([], "indicator definitions valid"),
    "indicators list": ([], "computed"),
    "indicators compute": (
        ["--data", "{tmp}/analytics", "--year", "{year}", "--out", "{tmp}/indicators.csv"],
        "indicators.csv",
    ),
    "report annual": (
        [
            "--year",
            "{year}",
            "--data",
            "{tmp}/analytics",
            "--lmi-data",  # the durability section from the contract events of lmi synth
            "{tmp}/lmi",
            "--out",
            "{tmp}/report.csv",
            "--format",
            "csv",
        ],
        "report.csv",
    ),
    "benchlearning validate": ([], "definitions version"),
    "benchlearning export": (
        ["--data", "{tmp}/analytics", "--year", "{year}", "--out", "{tmp}/bl/stockholm.zip"],
        "stockholm.zip",
    ),
    "benchlearning synth": (["--out", "{tmp}/blnet", "--pes", "2", "--seed", "1"], "planted:"),
    "benchlearning import": (
        ["{tmp}/blnet/north/package.zip", "{tmp}/blnet/east/package.zip"],
        "imported 2, refused 0",
    ),
    "benchlearning compare": (["--year", "2023", "--out", "{tmp}/bl.csv"], "2 PES"),
    "benchlearning keygen": (["--out", "{tmp}/bl.key"], "public key:"),
    "benchlearning kolada": (
        [
            "{tmp}/blnet/north/package.zip",
            "--kpi",
            "started_work_or_studies_at_exit=EXAMPLE",
            "--out",
            "{tmp}/kolada.csv",
        ],
        "kolada.csv",
    ),
    "evaluate": (
        [
            "--data",
            str(EXAMPLES / "evaluation_units.csv"),
            "--treatment",
            "treated",
            "--outcome",
            "employed_after",
            "--covariates",
            "age,sex,education",
        ],
        '"att"',
    ),
    "instruments wai": (["--data", str(EXAMPLES / "wai.csv")], "band"),
    "instruments ips-import": ([str(EXAMPLES / "ips_fidelity.csv")], "jt-jarva 2025-10-15: total"),
    "instruments ips-outcomes": (
        ["--analytics", "{tmp}/analytics", "--outcome", "work_or_studies_3m"],
        '"outcome": "work_or_studies_3m"',
    ),
    "instruments sroi": ([], '"ratio"'),
    "match": (["--participant", "{person}", "--top", "3"], "occupation 1.00: place is 'shop assistant'"),
    "match evaluate": (["--participants", "40", "--places", "20"], "recall@10"),
    "allocate": (
        [
            "--places",
            str(EXAMPLES / "allocation_places.csv"),
            "--applicants",
            str(EXAMPLES / "allocation_applicants.csv"),
            "--out",
            "{tmp}/allocation.csv",
        ],
        "allocated",
    ),
    "journal autosign": ([], "journal entries signed automatically"),
    "portal link": (["{person}"], "/portal/link/"),
    "attendance report": (
        ["--month", "{month}", "--unit", "jt-jarva", "--out", "{tmp}/attendance.csv"],
        "attendance.csv",
    ),
    "notify run": ([], "reminders sent:"),
    "audit anchor": (["--to", "{tmp}/anchors.jsonl"], "anchored entry"),
    "audit verify": ([], "the access log is intact"),
    "audit search": (["--limit", "5"], "cli:"),
    "person export": (["{person}"], '"controller"'),
    "retention apply": (["--dry-run"], "dry run: nothing was changed"),
    "synth": (["--years", "2022", "2023", "--seed", "5", "--out", "{tmp}/synth"], "shard 1/1"),
    "profiling synth": (
        ["--out", "{tmp}/profiling", "--enrolments", "12000"],
        "synthetic enrolments with their true risk",
    ),
    "profiling train": (
        ["--data", "{tmp}/profiling", "--out", "{tmp}/model", "--profile", "stockholm", "--no-compare"],
        "validated on",
    ),
    "profiling audit": (
        ["--model", "{tmp}/model", "--data", "{tmp}/profiling", "--format", "html", "--out", "{tmp}/card.html"],
        "groups judged",
    ),
    "profiling policy": (
        [
            "--model",
            "{tmp}/model",
            "--data",
            "{tmp}/profiling",
            "--cutoffs",
            "0.3",
            "0.5",
            "0.7",
            "--out",
            "{tmp}/p.json",
        ],
        "policy simulation of 3 rules",
    ),
    "serve": (["--port", "{port}"], "pestrack"),  # run apart: a page is fetched, then the server is stopped
    "practices check": ([], "32 shared"),
    "practices import": ([str(EXAMPLES / "practices.yaml")], "5 practices of amf stored"),
    "practices export": (["--unit", "amf", "--out", "{tmp}/practices.yaml"], "5 practices of amf written"),
}


def _commands(cmd, prefix=()) -> list[str]:
    """Every runnable command of the click command behind the Typer app, as typed ("audit verify")."""
    sub = getattr(cmd, "commands", None)
    if not sub:
        return [" ".join(prefix)]
    out = [" ".join(prefix)] if prefix and getattr(cmd, "invoke_without_command", False) else []
    for name, child in sub.items():
        out += _commands(child, (*prefix, name))
    return out


def test_every_command_has_a_smoke_run():
    import typer.main

    from pestrack.cli import app

    commands = set(_commands(typer.main.get_command(app)))
    assert commands - set(SMOKE) == set(), "commands without a smoke run: add them to SMOKE in tests/test_cli_smoke.py"
    assert set(SMOKE) - commands == set(), "smoke runs of commands that do not exist"


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    """The module's folder and environment: a new SQLite database, the worktree's code."""
    tmp = tmp_path_factory.mktemp("cli")
    env = {
        **os.environ,
        "PESTRACK_DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "COLUMNS": "200",
        "PESTRACK_DOCUMENTS_DIR": str(tmp / "documents"),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    r = subprocess.run([PESTRACK, "init"], env=env, cwd=tmp, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return tmp, env


# Commands whose smoke run ends in a clear refusal: the exit code and the message expected.
EXIT_CODE = {"lmi compare": 2}


def _run(place, command: str, values: dict) -> subprocess.CompletedProcess:
    tmp, env = place
    args, _ = SMOKE[command]
    args = [a.format(tmp=tmp, **values) for a in args]
    return subprocess.run(
        [PESTRACK, *command.split(), *args], env=env, cwd=tmp, capture_output=True, text=True, timeout=600
    )


def _ids(tmp: Path) -> dict:
    db = sqlite3.connect(tmp / "db.sqlite3")
    try:
        person = db.execute("select person_id from employers_matchprofile order by id limit 1").fetchone()
        if person is None:
            person = db.execute("select id from people_person order by id limit 1").fetchone()
    finally:
        db.close()
    return {"person": person[0]}


def test_every_command_runs_in_a_fresh_process(place):
    tmp, _ = place
    import datetime as dt

    today = dt.date.today()
    values = {"year": today.year - 1, "month": today.strftime("%Y-%m"), "person": "", "port": ""}
    failed = []
    for command, (_, expected) in SMOKE.items():
        if command in ("serve", "synth"):
            continue
        if command == "match":
            values.update(_ids(tmp))
        r = _run(place, command, values)
        if r.returncode != EXIT_CODE.get(command, 0) or expected not in r.stdout + r.stderr:
            failed.append(f"pestrack {command}: exit {r.returncode}, expected {expected!r} in:\n{r.stdout}\n{r.stderr}")
        if command == "import":  # the employer side too, which match and allocate use
            for kind in ("employers", "places", "match_profiles"):
                tmp_args = [PESTRACK, "import", str(EXAMPLES / f"{kind}.csv"), "--kind", kind, "-q"]
                r = subprocess.run(tmp_args, env=place[1], cwd=tmp, capture_output=True, text=True, timeout=600)
                if r.returncode != 0:
                    failed.append(f"pestrack import {kind}: exit {r.returncode}:\n{r.stdout}\n{r.stderr}")
    assert not failed, "\n\n".join(failed)


def test_serve_serves_the_sign_in_page(place):
    tmp, env = place
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [a.format(port=port) for a in SMOKE["serve"][0]]
    server = subprocess.Popen(
        [PESTRACK, "serve", *args], env=env, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        page = None
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as r:
                    page = r.read().decode()
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.5)
        assert page is not None, f"pestrack serve did not answer: {server.poll()}"
        assert SMOKE["serve"][1] in page
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_synth_runs_in_a_fresh_process(place):
    """The synthetic population of the published size (some tens of seconds)."""
    r = _run(place, "synth", {})
    assert r.returncode == 0, r.stdout + r.stderr
    assert SMOKE["synth"][1] in r.stdout


@pytest.mark.parametrize(
    "args",
    [
        [
            "allocate",
            "--places",
            str(EXAMPLES / "allocation_places.csv"),
            "--applicants",
            str(EXAMPLES / "allocation_applicants.csv"),
            "--out",
            "{tmp}/out.csv",
        ],
        ["import", str(EXAMPLES / "persons.csv"), "--kind", "persons"],
    ],
)
def test_a_database_not_set_up_gets_a_clear_error_not_a_traceback(tmp_path, args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PESTRACK_", "DJANGO_"))}
    env["PESTRACK_DATABASE_URL"] = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    out = subprocess.run([PESTRACK, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 2 and "Traceback" not in out.stderr + out.stdout, out.stderr[-2000:]
    assert "pestrack init" in out.stderr
