"""Set-up: settings from the environment, the CLI on a fresh database, and the README's two
commands on a clean clone."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PESTRACK = str(Path(sys.executable).with_name("pestrack"))


def _settings(env: dict) -> subprocess.CompletedProcess:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='pestrack.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.DATABASES['default']['ENGINE'], s.ALLOWED_HOSTS)"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PESTRACK_")}
    return subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True)


def test_production_refuses_to_start_without_its_keys():
    r = _settings({"PESTRACK_PRODUCTION": "1"})
    assert r.returncode != 0 and "PESTRACK_SECRET_KEY must be set" in r.stderr


def test_production_settings_come_from_the_environment():
    r = _settings(
        {
            "PESTRACK_PRODUCTION": "1",
            "PESTRACK_SECRET_KEY": "s" * 50,
            "PESTRACK_IDENTITY_KEY": "k" * 44,
            "PESTRACK_PSEUDONYM_KEY": "p" * 44,
            "PESTRACK_ALLOWED_HOSTS": "pes.example.org",
            "PESTRACK_DATABASE_URL": "postgresql://app@db.example.org:5432/pestrack",
        }
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False", "True", "django.db.backends.postgresql", "['pes.example.org']"]


def test_an_unsupported_database_url_is_named():
    r = _settings({"PESTRACK_DATABASE_URL": "mysql://x/y"})
    assert r.returncode != 0 and "PESTRACK_DATABASE_URL must start with" in r.stderr


def test_init_creates_a_database_from_the_url_and_loads_the_profile(tmp_path):
    db = tmp_path / "x.sqlite3"
    env = {**os.environ, "PESTRACK_DATABASE_URL": f"sqlite:///{db}"}
    r = subprocess.run(
        [PESTRACK, "init", "--profile", "stockholm"], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    assert "24 organisation units" in r.stdout and db.exists()
    r = subprocess.run([PESTRACK, "init"], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr  # re-running is an upgrade, not an error


def test_init_with_an_unknown_profile_fails_clearly(tmp_path):
    env = {**os.environ, "PESTRACK_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    r = subprocess.run(
        [PESTRACK, "init", "--profile", "nowhere"], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert r.returncode != 0 and "no profile named 'nowhere'" in (r.stdout + r.stderr)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_readme_commands_work_on_a_clean_clone(tmp_path):
    """`python3 dev.py demo` serves the admin site and `python3 dev.py test` runs tests, from a fresh clone."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    readme = (clone / "README.md").read_text()
    assert "python3 dev.py demo" in readme and "python3 dev.py test" in readme
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PESTRACK_", "VIRTUAL_ENV", "DJANGO_"))}
    port = _free_port()
    demo = subprocess.Popen(
        [shutil.which("python3"), "dev.py", "demo", "--port", str(port)],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline, page = time.time() + 600, None
        while time.time() < deadline and demo.poll() is None:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=2).read().decode()
                break
            except OSError:
                time.sleep(1)
        assert page and "csrfmiddlewaretoken" in page, demo.stdout.read() if demo.poll() is not None else "no answer"
    finally:
        os.killpg(demo.pid, signal.SIGTERM)  # dev.py and the server it started
        demo.wait(30)
    r = subprocess.run(
        [shutil.which("python3"), "dev.py", "test", "tests/test_smoke.py", "-q"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "1 passed" in r.stdout


@pytest.mark.postgres
def test_init_on_postgresql_creates_tables_and_the_append_only_trigger(tmp_path, own_postgres_database):
    """`pestrack init` against a PostgreSQL database of its own (created and dropped by the fixture)."""
    import psycopg

    url, connect = own_postgres_database
    env = {**os.environ, "PESTRACK_DATABASE_URL": url}
    r = subprocess.run(
        [PESTRACK, "init", "--profile", "stockholm"], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    with psycopg.connect(**connect) as conn:
        assert conn.execute("SELECT count(*) FROM org_orgunit").fetchone()[0] == 24
        triggers = {
            t for (t,) in conn.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_accesslogentry'::regclass")
        }
        assert {"audit_accesslogentry_append_only", "audit_accesslogentry_no_truncate"} <= triggers


def test_the_documents_cite_only_migrations_that_exist():
    """The probe found the documents citing a migration that did not exist for the append-only
    guarantee: every migration a document names (`audit/0002_append_only`, "migration audit 0003")
    must be one of the app's migrations."""
    from django.apps import apps

    migrations = {
        config.label: {f.stem for f in (Path(config.path) / "migrations").glob("[0-9][0-9][0-9][0-9]_*.py")}
        for config in apps.get_app_configs()
        if config.name.startswith("pestrack.")
    }
    cited = re.compile(r"\b([a-z_]+)/(\d{4})(\w*)|\bmigrations? `?([a-z_]+)[ /](\d{4})(\w*)")
    wrong, seen = [], 0
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for n, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), start=1):
            for m in cited.finditer(line):
                app, number, rest = (m.group(1), m.group(2), m.group(3)) if m.group(1) else m.group(4, 5, 6)
                if app not in migrations:
                    continue  # a path or a date, not a migration
                seen += 1
                names = {name for name in migrations[app] if name.startswith(number)}
                if not names or (rest and f"{number}{rest}" not in names):
                    wrong.append(f"{doc.name}:{n}: {app}/{number}{rest}")
    assert seen >= 2  # the append-only trigger's and the append function's
    assert not wrong, f"documents cite migrations that do not exist: {wrong}"


def test_the_runtime_lock_pins_what_the_development_lock_pins():
    """`dev.py demo` installs requirements.lock, `dev.py test` requirements-dev.lock: a package in
    both must have the same version (and the runtime lock holds no test, Spark or bench package)."""
    root = Path(__file__).resolve().parents[1]

    def pins(name):
        found = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (root / name).read_text(), re.M)
        return {n.lower(): v for n, v in found}

    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    assert runtime and set(runtime) < set(dev)
    assert {n: v for n, v in runtime.items() if dev[n] != v} == {}
    assert not {"pyspark", "pytest", "playwright", "pandas"} & set(runtime)


def test_serve_in_production_runs_gunicorn_from_its_own_environment_whatever_the_path(monkeypatch):
    """The probe: `pestrack serve` exec'd `gunicorn` by name and failed unless the virtual
    environment was on PATH. Now it runs ``python -m gunicorn`` with pestrack's own Python."""
    from pestrack.cli import setup

    command = setup.gunicorn_command("127.0.0.1", 8123)
    assert command[:3] == [sys.executable, "-m", "gunicorn"] and "127.0.0.1:8123" in command
    # threaded workers, one process more than the cores (docs/operations.md)
    monkeypatch.delenv("PESTRACK_WORKERS", raising=False)
    monkeypatch.setattr(setup.os, "cpu_count", lambda: 2)
    threaded = setup.gunicorn_command("127.0.0.1", 8123)
    assert threaded[threaded.index("--worker-class") + 1] == "gthread"
    assert threaded[threaded.index("--workers") + 1] == "3" and int(threaded[threaded.index("--threads") + 1]) > 1
    monkeypatch.setenv("PATH", "/nonexistent")
    version = subprocess.run([*command[:3], "--version"], capture_output=True, text=True, env={"PATH": "/nonexistent"})
    assert version.returncode == 0 and "gunicorn" in (version.stdout + version.stderr)
    started = []
    monkeypatch.setattr(setup.os, "execv", lambda path, args: started.append((path, args)))
    monkeypatch.setattr(setup.os, "execvp", lambda *a: pytest.fail("gunicorn looked up on PATH"))
    monkeypatch.setattr("django.conf.settings.PRODUCTION", True, raising=False)
    monkeypatch.setattr("pestrack.cli.setup.database_ready", lambda: True, raising=False)
    monkeypatch.setattr("pestrack.cli.setup.loaded_profile", lambda: None)  # no database in this test
    monkeypatch.setattr("django.core.management.call_command", lambda *a, **k: None)
    setup.serve("127.0.0.1", 8123)
    assert started == [(sys.executable, command)]


def _dev_module(monkeypatch, root: Path):
    """dev.py as a module, running the tools of this Python's environment on the project in ``root``."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("dev_under_test", ROOT / "dev.py")
    dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dev)
    monkeypatch.setattr(dev, "BIN", Path(sys.executable).parent)
    monkeypatch.setattr(dev, "ROOT", root)
    return dev


@pytest.mark.parametrize(
    ("source", "failed"),
    [
        ("def twice(n: int) -> int:\n    return 2 * n\n", None),
        ("import os\n\n\ndef twice(n: int) -> int:\n    return 2 * n\n", "ruff check ."),
        ("def twice(n: int) -> int:\n    return 2*n\n", "ruff format --check ."),
        ("def twice(n: int) -> int:\n    return str(2 * n)\n", "mypy"),
    ],
)
def test_lint_fails_when_lint_formatting_or_types_fail(tmp_path, monkeypatch, capsys, source, failed):
    """`python3 dev.py lint` (CI's first step) runs ruff check, ruff format --check and mypy with the
    project's settings, and fails, naming the check, when any of them finds something."""
    (tmp_path / "pyproject.toml").write_text('[tool.mypy]\nfiles = ["twice.py"]\n')
    (tmp_path / "twice.py").write_text(source)
    dev = _dev_module(monkeypatch, tmp_path)
    code = dev.run_lint()
    out = capsys.readouterr().out
    if failed is None:
        assert code == 0 and "failed" not in out
    else:
        assert code == 1 and f"failed: {failed}" in out
