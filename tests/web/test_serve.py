"""`pestrack demo` and `pestrack serve` start the application and answer on its home page."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.test_setup import _free_port

PESTRACK = str(Path(sys.executable).with_name("pestrack"))
pytestmark = pytest.mark.slow


def _env(db: Path) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PESTRACK_", "DJANGO_"))}
    return {**clean, "PESTRACK_DATABASE_URL": f"sqlite:///{db}"}


def _start(args, env, cwd, port, path="/accounts/login/", timeout=300):
    """Start a server command; its output once it answers ``path``."""
    proc = subprocess.Popen(
        [PESTRACK, *args, "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2).read()
            return proc
        except OSError:
            time.sleep(0.5)
    output = proc.stdout.read() if proc.poll() is not None else "no answer"
    _stop(proc)
    raise AssertionError(f"{args[0]} did not answer: {output[-3000:]}")


def _stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    return proc.communicate(timeout=30)[0]


def _log_in(base: str, username: str, password: str) -> str:
    """Log in through the form as a browser would; the page it lands on."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = opener.open(f"{base}/").read().decode()  # the home page sends us to the log-in form
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login).group(1)
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/"}
    ).encode()
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/accounts/login/"}
    )
    return opener.open(request).read().decode()


def test_demo_serves_the_application_with_one_user_per_role_then_serve_serves_it(tmp_path):
    env = _env(tmp_path / "demo.sqlite3")
    port = _free_port()
    demo = _start(["demo", "--persons", "12"], env, tmp_path, port)
    try:
        home = _log_in(f"http://127.0.0.1:{port}", "anna", "demo-pestrack-2026")
        assert "Välkommen, anna" in home and "Mina ärenden" in home
        # the demo caseworkers have items due now (records.casework.demo)
        assert "Min arbetslista" in home and "Uppföljningar att göra" in home and "Planer att följa upp" in home
    finally:
        output = _stop(demo)
    assert f"application: http://127.0.0.1:{port}/" in output
    for role in ("caseworker", "unit_manager", "analyst", "employer_relations", "dpo", "admin"):
        assert re.search(rf"^\s+\w+\s+{role}\s", output, re.M), role
    assert "password for all: demo-pestrack-2026" in output
    assert "work list: 16 participants of the demo caseworkers" in output

    port = _free_port()
    server = _start(["serve"], env, tmp_path, port, path="/health")
    try:
        home = _log_in(f"http://127.0.0.1:{port}", "maria", "demo-pestrack-2026")
        assert "Välkommen, maria" in home
    finally:
        output = _stop(server)
    assert f"pestrack: http://127.0.0.1:{port}/" in output


def test_serve_refuses_a_database_that_is_not_set_up(tmp_path):
    r = subprocess.run(
        [PESTRACK, "serve", "--port", str(_free_port())],
        env=_env(tmp_path / "empty.sqlite3"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and "run `pestrack init` first" in r.stdout


def test_ending_dev_py_ends_the_server_it_started(tmp_path):
    """`python3 dev.py serve` (or demo) killed with SIGTERM takes its server with it; it used to
    leave the `pestrack` child serving the port."""
    root = Path(__file__).resolve().parents[2]
    env = {**_env(tmp_path / "dev.sqlite3"), "PESTRACK_VENV": str(Path(sys.executable).parents[1])}
    port = _free_port()
    subprocess.run([PESTRACK, "init", "--profile", "stockholm"], env=env, cwd=tmp_path, check=True, capture_output=True)
    dev = subprocess.Popen(
        [sys.executable, str(root / "dev.py"), "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).read()
                break
            except OSError:
                assert time.time() < deadline and dev.poll() is None, "dev.py serve did not answer"
                time.sleep(0.5)
        dev.send_signal(signal.SIGTERM)  # to dev.py alone, not its process group
        dev.wait(timeout=30)
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).read()
            except OSError:
                break
            assert time.time() < deadline, "the server still answers after dev.py ended"
            time.sleep(0.5)
    finally:
        if dev.poll() is None:
            dev.kill()


def test_the_server_imports_every_view_and_builds_the_esco_vectors_when_it_starts(tmp_path):
    """The first visitor of a freshly started server process does not wait for the view modules to
    be imported (seconds under load: the web benchmark's first caseload page took 18 s), nor for the
    ESCO vectors that the portal's places page scores with (about 13 s under the benchmark's load)."""
    code = (
        "import sys, pestrack.wsgi; from pestrack.matching.esco import taxonomy; "
        "print('pestrack.web.workspace.caseload' in sys.modules, "
        "{'occupation_vectors', 'skill_vectors'} <= vars(taxonomy()).keys())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=_env(tmp_path / "db.sqlite3"), capture_output=True, text=True
    )
    assert out.stdout.strip() == "True True", out.stderr
