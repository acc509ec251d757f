"""Benchmark of the web application under load: caseworkers and managers on loopback.

    .venv/bin/python bench/web.py [--scale 10] [--caseworkers 50] [--managers 5] [--seconds 60]
                                  [--think 3.0] [--workers 3] [--threads 8] [--name DB] [--keep]
                                  [--reuse DB:FOLDER] [--trace FOLDER] [--sign-in-first]

1. Creates a PostgreSQL database of its own (on PESTRACK_BENCH_POSTGRES_URL, default
   postgresql://postgres@127.0.0.1:5432/postgres), loads the Stockholm profile and the synthetic
   population at ``--scale`` (``pestrack synth --into-db --out``: the records, and their analytics
   tables for the results pages), and adds the simulated staff: caseworkers spread over the Jobbtorg
   offices, and unit managers (one of all Jobbtorg, the others of one office each). Each office's
   enrolments are shared among its caseworkers as the responsible caseworker, plans get a review
   date 90 days after them and open measures a planned end 180 days after their start (the
   synthetic population has neither), so that the work lists hold every kind of item.
2. Serves the application with gunicorn (gthread workers) on 127.0.0.1, production settings but for
   HTTPS (DEBUG off, Argon2 passwords, database connections kept between requests, the access log
   on every request).
3. Each simulated user logs in, then loops until the time is up, waiting ``--think`` seconds (±50 %)
   between requests, like a person reading a page. The default, 3 s on average (1.5–4.5 s), is the
   customary load-test wait (Locust's ``between(1, 5)``) and still far quicker than a caseworker who
   reads a timeline or fills in a form: 50 caseworkers then ask for about 15 pages a second, a busy
   office's peak many times over. ``--think 1`` is a stress run (about 45 pages a second):
   - a caseworker opens their caseload (/caseload/: the open enrolments of their units, a random
     page), their work list (/worklist/: what is due in the enrolments they are responsible for), a
     person, and every fifth round records an assessment (the workspace form: GET, then POST);
     every third round opens the person's journal page, and every fifth writes a journal entry;
     every fourth opens their meetings (/meetings/, the day or the week);
   - a manager opens the results dashboard, an indicator page, or the rows behind an indicator;
   - beside the staff, ``--participants`` (500) participants sign in to the portal with one-time links
     (made in the set-up) and read one of its pages every ``--participant-think`` seconds (30 s on
     average): their overview, plan, meetings, matched places or messages.
   Before the load, each manager opens the dashboard and an indicator page once (the results are
   computed then and shared by the server's processes; the times are printed), and the first
   ``--warm-up`` seconds of the load are not counted. The requests counted are those started in the
   ``--seconds`` after it (the users then finish their round, uncounted).
4. Prints requests per second (over ``--seconds``) and the 50th, 95th and 99th percentile times per
   page, the errors,
   and whether the goals are met: caseload, work list, person, journal and meetings page p95 < 150 ms,
   every portal page p95 < 200 ms,
   dashboard p95 < 500 ms, no errors. The database is dropped at the end unless ``--keep``.
   ``--trace FOLDER`` also keeps every request and gunicorn's own time for it, and prints for each
   page the client's time, the server's and the wait between (accept and thread queues, the
   client's threads), and when the slow requests happened.

Not a test: the numbers depend on the machine; docs/results.md records a run.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.cookiejar
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PASSWORD = "kaffekopp-lastprov-7391"  # passes the password policy (not like the user names)
GOALS_MS = {"caseload": 150, "worklist": 150, "person": 150, "journal": 150, "meetings": 150, "dashboard": 500}
PORTAL_PAGES = {
    "portal home": "/portal/",
    "portal plan": "/portal/plan/",
    "portal meetings": "/portal/meetings/",
    "portal places": "/portal/places/",
    "portal messages": "/portal/messages/",
}
GOALS_MS.update(dict.fromkeys(PORTAL_PAGES, 200))
INDICATOR = "jobbtorg_exit_work_or_studies"


# ---- set-up (child process with Django) -----------------------------------------------------------


def child_users(caseworkers: int, managers: int, participants: int = 0) -> dict:
    """Create the simulated staff; for each caseworker some of their persons with an open enrolment;
    and a one-time portal sign-in link for each of ``participants`` persons with an open enrolment."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pestrack.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db.models import F
    from django.db.models.functions import Mod

    from pestrack.records import access
    from pestrack.records.casework.due import ShiftDate
    from pestrack.records.casework.models import Enrolment, Participation, Plan
    from pestrack.records.codes.models import Code
    from pestrack.records.org.models import OrgUnit
    from pestrack.records.org.users import add_user

    offices = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.OFFICE, parent__code="jobbtorg").order_by("code"))
    plan = {"caseworkers": [], "managers": [], "wai": Code.objects.get(list="instrument", code="wai").pk}
    samtal = Code.objects.get(list="journal_kind", code="samtal").pk
    for i in range(caseworkers):
        unit = offices[i % len(offices)]
        user = add_user(f"bench-cw-{i:03d}", "caseworker", [unit.code], password=PASSWORD)
        persons = list(access.persons_visible_to(user).values_list("pk", flat=True)[:2000])
        visible = access.persons_visible_to(user).count()
        sample = random.Random(i).sample(persons, min(200, len(persons)))
        open_enrolments = dict(
            Enrolment.objects.filter(
                person_id__in=sample, end_date__isnull=True, org_unit__path__startswith=unit.path
            ).values_list("person_id", "pk")
        )
        plan["caseworkers"].append(
            {
                "username": user.username,
                "unit": unit.code,
                "persons": sample,
                "pages": max(1, -(-visible // 50)),
                "open": open_enrolments,
                "journal_kind": samtal,
            }
        )
    # the responsible caseworkers: each office's enrolments shared among its caseworkers by id
    by_office: dict[str, list[int]] = {}
    for i in range(caseworkers):
        by_office.setdefault(offices[i % len(offices)].code, []).append(i)
    for office in offices:
        staff = by_office.get(office.code, [])
        for j, i in enumerate(staff):
            user = get_user_model().objects.get(username=f"bench-cw-{i:03d}")
            Enrolment.objects.filter(org_unit=office).annotate(share=Mod("id", len(staff))).filter(share=j).update(
                caseworker=user
            )
    Plan.objects.filter(review_date__isnull=True).update(review_date=ShiftDate(F("date"), days=90))
    Participation.objects.filter(end_date__isnull=True, planned_end_date__isnull=True).update(
        planned_end_date=ShiftDate(F("start_date"), days=180)
    )
    for i in range(managers):
        unit = "jobbtorg" if i == 0 else offices[(i - 1) % len(offices)].code
        add_user(f"bench-mgr-{i:02d}", "unit_manager", [unit], password=PASSWORD)
        plan["managers"].append({"username": f"bench-mgr-{i:02d}", "unit": unit})
    from pestrack.records.people.models import Person
    from pestrack.records.portal.signin import create_link

    open_persons = list(Enrolment.objects.filter(end_date__isnull=True).values_list("person_id", flat=True).distinct())
    chosen = random.Random(7).sample(open_persons, min(participants, len(open_persons)))
    plan["participants"] = [create_link(p, source="bench") for p in Person.objects.filter(pk__in=chosen)]
    return plan


# ---- the simulated users ---------------------------------------------------------------------------


class LoopbackPolicy(http.cookiejar.DefaultCookiePolicy):
    """Send the server's Secure cookies back over plain HTTP: the bench talks to gunicorn on loopback
    without TLS, while the server keeps its production cookie settings (Secure when DEBUG is off)."""

    def return_ok_secure(self, cookie, request):
        return True


class Stats:
    def __init__(self, trace: Path | None = None):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.counting = False
        self.trace = open(trace, "w") if trace else None  # noqa: SIM115 - closed by close()
        self.sent = 0

    def request_id(self) -> int:
        with self.lock:
            self.sent += 1
            return self.sent

    def record(self, rid: int, page: str, started: float, seconds: float, error: str | None, counted: bool) -> None:
        """Every request, counted or not, for --trace: its id (sent to the server as X-Bench-Request, so
        that gunicorn's access log can be joined), page, wall-clock start, seconds and error."""
        if self.trace:
            with self.lock:
                self.trace.write(f"{rid}\t{page}\t{started:.4f}\t{seconds:.4f}\t{error or ''}\t{int(counted)}\n")

    def close(self) -> None:
        if self.trace:
            self.trace.close()

    def add(self, page: str, seconds: float, error: str | None, counted: bool) -> None:
        if not counted:
            return
        with self.lock:
            self.times[page].append(seconds)
            if error:
                self.errors[page].append(error)


class User:
    def __init__(self, base: str, username: str, stats: Stats, think: float, rng: random.Random):
        self.base, self.username, self.stats, self.think, self.rng = base, username, stats, think, rng
        self.jar = http.cookiejar.CookieJar(LoopbackPolicy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def request(self, page: str | None, path: str, data: dict | None = None) -> str:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        rid = self.stats.request_id()
        req = urllib.request.Request(
            self.base + path, data=body, headers={"Referer": self.base + path, "X-Bench-Request": str(rid)}
        )
        # counted: started in the counted window (after the warm-up, before the end)
        counted, wall, started = self.stats.counting, time.time(), time.perf_counter()
        error, text = None, ""
        try:
            with self.opener.open(req, timeout=30) as response:
                text = response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            error = f"{exc.code} {path}"
        except OSError as exc:
            error = f"{type(exc).__name__} {path}"
        took = time.perf_counter() - started
        if page:
            self.stats.add(page, took, error, counted)
        # an uncounted request (a sign-in) is traced by its path without the last part (a link's secret)
        self.stats.record(rid, page or path.split("?")[0].rsplit("/", 2)[0], wall, took, error, counted)
        return text

    def login(self) -> None:
        self.request(None, "/accounts/login/")
        text = self.request(
            None,
            "/accounts/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf()},
        )
        if 'name="password"' in text:
            raise SystemExit(f"{self.username} could not log in")

    def pause(self) -> None:
        time.sleep(self.think * self.rng.uniform(0.5, 1.5))

    def signed_in(self) -> bool:
        return any(c.name == "sessionid" for c in self.jar)

    def run(self, until: float) -> None:
        if not self.signed_in():
            self.login()
        rounds = 0
        while time.time() < until:
            self.round(rounds)
            rounds += 1


class Caseworker(User):
    def __init__(self, plan: dict, wai: int, *args):
        super().__init__(*args)
        self.plan, self.wai = plan, wai

    def round(self, n: int) -> None:
        page = self.rng.randint(1, min(self.plan["pages"], 20))
        self.request("caseload", f"/caseload/?page={page}")
        self.pause()
        self.request("worklist", "/worklist/")
        self.pause()
        person = self.rng.choice(self.plan["persons"])
        self.request("person", f"/persons/{person}/")
        self.pause()
        if n % 5 == 4 and self.plan["open"]:
            enrolment = self.rng.choice(list(self.plan["open"].values()))
            form = f"/enrolments/{enrolment}/assessment/"
            self.request("assessment form", form)
            self.pause()
            self.request(
                "record assessment",
                form,
                {
                    "csrfmiddlewaretoken": self.csrf(),
                    "instrument": self.wai,
                    "date": time.strftime("%Y-%m-%d"),
                    "score": str(self.rng.randint(0, 10)),
                },
            )
            self.pause()
        if n % 3 == 1:
            self.request("journal", f"/persons/{person}/journal/")
            self.pause()
        if n % 4 == 3:  # my meetings: the day, or the week
            self.request("meetings", "/meetings/" if n % 8 == 3 else "/meetings/?view=week")
            self.pause()
        if n % 5 == 2 and self.plan["open"]:
            person, enrolment = self.rng.choice(list(self.plan["open"].items()))
            self.request(
                "write journal",
                f"/persons/{person}/journal/",
                {
                    "csrfmiddlewaretoken": self.csrf(),
                    "enrolment": enrolment,
                    "kind": self.plan["journal_kind"],
                    "date": time.strftime("%Y-%m-%d"),
                    "text": "Samtal om nästa steg i planen.",
                    "back": "person",
                },
            )
            self.pause()


class Participant(User):
    """A participant in the portal: signs in with a one-time link (its page, then "Sign in"), then
    reads a page now and then."""

    def login(self) -> None:
        path = f"/portal/link/{self.username}/"  # the link's secret stands in for the user name
        self.request(None, path)
        text = self.request(None, path, {"csrfmiddlewaretoken": self.csrf()})
        if 'action="/portal/sign-out/"' not in text:
            raise SystemExit("a participant could not sign in with a one-time link")

    def run(self, until: float) -> None:
        time.sleep(self.rng.uniform(0, self.think))  # participants arrive spread out, not all at once
        super().run(until)

    def round(self, n: int) -> None:
        page = self.rng.choice(list(PORTAL_PAGES))
        self.request(page, PORTAL_PAGES[page])
        self.pause()


class Manager(User):
    def round(self, n: int) -> None:
        year = self.rng.choice(["2022", "2023"])
        self.request("dashboard", f"/results/?year={year}&period=VB")
        self.pause()
        self.request("indicator", f"/results/indicators/{INDICATOR}/?year={year}&period=VB")
        self.pause()
        if n % 3 == 2:
            self.request("indicator rows", f"/results/indicators/{INDICATOR}/rows/?year={year}&period=VB&page=2")
            self.pause()


# ---- the run ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], env: dict, what: str) -> float:
    started = time.perf_counter()
    print(f"... {what}", flush=True)
    subprocess.run(cmd, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    took = time.perf_counter() - started
    print(f"    {took:.0f} s", flush=True)
    return took


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def report(stats: Stats, seconds: float, title: str) -> bool:
    print(
        f"\n{title}\n{'page':18} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}  goal"
    )
    ok = True
    total = 0
    for page in sorted(stats.times):
        times = sorted(stats.times[page])
        total += len(times)
        p50, p95, p99 = (percentile(times, q) * 1000 for q in (50, 95, 99))
        goal = GOALS_MS.get(page)
        verdict = "" if goal is None else (f"p95 < {goal} ms: {'met' if p95 < goal else 'NOT met'}")
        ok &= goal is None or p95 < goal
        print(
            f"{page:18} {len(times):>9} {len(times) / seconds:>7.1f} {p50:>7.0f} {p95:>7.0f} {p99:>7.0f} "
            f"{len(stats.errors[page]):>6}  {verdict}"
        )
    errors = sum(len(e) for e in stats.errors.values())
    print(
        f"{'all':18} {total:>9} {total / seconds:>7.1f}{'':24} {errors:>6}  no errors: {'met' if not errors else 'NOT met'}"
    )
    for page, errs in stats.errors.items():
        for e in sorted(set(errs))[:5]:
            print(f"    {page}: {e}")
    return ok and not errors


def cpu_seconds(gunicorn_pid: int) -> dict[str, float]:
    """CPU seconds used so far (Linux /proc; zeros elsewhere, and nothing is printed) by this process (the simulated users),
    by gunicorn's processes, and by PostgreSQL's processes on this machine."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"users (this process)": 0.0, "gunicorn": 0.0, "PostgreSQL": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()
        pid, ppid, cpu = int(stat.parent.name), int(rest[1]), (int(rest[11]) + int(rest[12])) / tick
        if pid == os.getpid():
            used["users (this process)"] += cpu
        elif pid == gunicorn_pid or ppid == gunicorn_pid:
            used["gunicorn"] += cpu
        elif name.startswith("postgres"):
            # and what its ended children used (the server's, for the connections closed meanwhile)
            used["PostgreSQL"] += cpu + (int(rest[13]) + int(rest[14])) / tick
    return used


def analyse_trace(folder: Path) -> None:
    """Where the counted requests spent their time: the server's own time (gunicorn's, from the parsed
    request to the written response) beside the client's, and the wait between (the accept queue, the
    worker's thread queue, the client's own threads); and how the slow ones cluster in time."""
    server = {}
    for line in (folder / "server.log").read_text().splitlines():
        rid, pid, _status, micros = line.split("\t")
        if rid.isdigit():
            server[int(rid)] = (pid, int(micros) / 1e6)
    rows = []
    for line in (folder / "client.tsv").read_text().splitlines():
        rid, page, start, seconds, _error, counted = line.split("\t")
        if counted == "1" and int(rid) in server:
            rows.append((page, float(start), float(seconds), *server[int(rid)]))
    if not rows:
        print("trace: no counted request found in the server's log")
        return
    print(f"\ntrace ({len(rows)} counted requests found in the server's log): p50 / p95 / p99 ms")
    print(f"{'page':18} {'client':>18} {'server':>18} {'wait':>18}")
    by_page: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for page, _start, client, _pid, own in rows:
        by_page[page].append((client, own))
    for page, pairs in sorted(by_page.items()):
        cols = []
        for values in ([c for c, _ in pairs], [o for _, o in pairs], [max(0.0, c - o) for c, o in pairs]):
            values.sort()
            cols.append(" / ".join(f"{percentile(values, q) * 1000:.0f}" for q in (50, 95, 99)))
        print(f"{page:18} {cols[0]:>18} {cols[1]:>18} {cols[2]:>18}")
    slow = [r for r in rows if r[2] > 0.15]
    slow_server = [r for r in slow if r[4] > 0.15]
    print(
        f"slow (> 150 ms at the client): {len(slow)} of {len(rows)}; of them {len(slow_server)} slow in the "
        f"server too; by server process: "
        + ", ".join(
            f"{pid} {sum(1 for r in slow if r[3] == pid)}/{sum(1 for r in rows if r[3] == pid)}"
            for pid in sorted({r[3] for r in rows})
        )
    )
    first = min(r[1] for r in rows)
    seconds: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        second = seconds[int(r[1] - first)]
        second[0] += 1
        second[1] += r[2] > 0.15
    print("per second from the first counted request, requests started (slow ones):")
    print("  " + " ".join(f"{s}:{n}({k})" for s, (n, k) in sorted(seconds.items())))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--caseworkers", type=int, default=50)
    ap.add_argument("--managers", type=int, default=5)
    ap.add_argument("--participants", type=int, default=500, help="participants in the portal beside the staff")
    ap.add_argument("--participant-think", type=float, default=30.0, help="mean seconds between their pages")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--warm-up", type=float, default=20)
    ap.add_argument("--think", type=float, default=3.0, help="mean seconds between a user's requests (1 = stress run)")
    ap.add_argument("--single", type=int, default=20, help="rounds of one user alone, before the load")
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--name", help="name of the database to create (default pestrack_bench_web_PID)")
    ap.add_argument("--keep", action="store_true", help="keep the database and the analytics folder (printed)")
    ap.add_argument(
        "--reuse",
        metavar="NAME:FOLDER",
        help="a database and analytics folder kept by --keep: skip the set-up (and keep them)",
    )
    ap.add_argument(
        "--sign-in-first",
        action="store_true",
        help="a variant: every user signs in before the load (8 at a time, not timed), so the load is "
        "only pages read by users already signed in; by default the caseworkers sign in together when "
        "the load starts and the participants during its first --participant-think seconds",
    )
    ap.add_argument(
        "--trace",
        metavar="FOLDER",
        type=Path,
        help="write every request to FOLDER/client.tsv and gunicorn's access log (with its own time per "
        "request) to FOLDER/server.log, and print where the slow requests spent their time",
    )
    args = ap.parse_args()

    import psycopg

    server = os.environ.get("PESTRACK_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    if args.reuse:
        name, folder = args.reuse.split(":", 1)
        tmp, args.keep = Path(folder), True
    else:
        name = args.name or f"pestrack_bench_web_{os.getpid()}"
        tmp = Path(tempfile.mkdtemp(prefix="pestrack-bench-web-"))
    url = server.rsplit("/", 1)[0] + "/" + name
    env = {
        **os.environ,
        "PESTRACK_DATABASE_URL": url,
        "PESTRACK_DEBUG": "0",
        "PESTRACK_DB_CONN_MAX_AGE": "60",
        "PESTRACK_ANALYTICS_DIR": str(tmp / "analytics"),
        "PESTRACK_ANALYTICS_CACHE_DIR": str(tmp / "cache"),
        "DJANGO_SETTINGS_MODULE": "pestrack.settings",
        "PESTRACK_LOG_LEVEL": "ERROR",
    }
    if not args.reuse:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    gunicorn = None
    try:
        if not args.reuse:
            run(
                [str(BIN / "pestrack"), "init", "--profile", "stockholm"],
                env,
                f"database {name}: migrations and profile",
            )
            run(
                [
                    str(BIN / "pestrack"),
                    "synth",
                    "--years",
                    "2022",
                    "2023",
                    "--scale",
                    str(args.scale),
                    "--seed",
                    "1",
                    "--into-db",
                    "--out",
                    str(tmp / "analytics"),
                ],
                env,
                f"synthetic population at scale {args.scale}",
            )
            with psycopg.connect(url, autocommit=True) as conn:
                # the planner's statistics and the visibility map (index-only scans), as autovacuum
                # would gather them after the load
                conn.execute("VACUUM ANALYZE")
        print("... staff users", flush=True)
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child-users",
                str(args.caseworkers),
                str(args.managers),
                str(args.participants),
            ],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if child.returncode:
            sys.exit(f"adding the staff users failed:\n{child.stderr}")
        out = child.stdout
        plan = json.loads(out.strip().splitlines()[-1])
        with psycopg.connect(url, autocommit=True) as conn:
            # the responsible caseworkers, review dates and planned ends just written (their old row
            # versions and the statistics, as autovacuum would clear and gather them)
            conn.execute("VACUUM ANALYZE")
        with psycopg.connect(url) as conn:
            persons = conn.execute("SELECT count(*) FROM people_person").fetchone()[0]
            enrolments = conn.execute("SELECT count(*) FROM casework_enrolment").fetchone()[0]
        caseloads = sorted(c["pages"] * 50 for c in plan["caseworkers"])
        print(
            f"    {persons:,} persons, {enrolments:,} enrolments; caseloads up to about "
            f"{caseloads[0]:,}–{caseloads[-1]:,} persons per caseworker",
            flush=True,
        )

        if args.trace:
            args.trace.mkdir(parents=True, exist_ok=True)
        port = free_port()
        gunicorn = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "pestrack.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--threads",
                str(args.threads),
                "--worker-class",
                "gthread",
                "--log-level",
                "error",
                *(
                    [
                        "--access-logfile",
                        str(args.trace / "server.log"),
                        "--access-logformat",
                        "%({x-bench-request}i)s\t%(p)s\t%(s)s\t%(D)s",
                    ]
                    if args.trace
                    else []
                ),
            ],
            env=env,
            cwd=ROOT,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        stats = Stats(args.trace / "client.tsv" if args.trace else None)
        rng = random.Random(1)
        users = [
            Caseworker(c, plan["wai"], base, c["username"], stats, args.think, random.Random(rng.random()))
            for c in plan["caseworkers"]
        ]
        users += [
            Manager(base, m["username"], stats, args.think, random.Random(rng.random())) for m in plan["managers"]
        ]
        print(
            "... first views of the results: each manager's dashboard and indicator page, computed once "
            "and shared by the server's processes",
            flush=True,
        )
        for m in users[len(plan["caseworkers"]) :]:
            m.login()
            for year in ("2022", "2023"):
                for page, path in (
                    ("dashboard", f"/results/?year={year}&period=VB"),
                    ("indicator", f"/results/indicators/{INDICATOR}/?year={year}&period=VB"),
                ):
                    started = time.perf_counter()
                    m.request(None, path)
                    print(f"    {m.username} {page} {year}: {time.perf_counter() - started:.1f} s", flush=True)
        users += [
            Participant(base, secret, stats, args.participant_think, random.Random(rng.random()))
            for secret in plan["participants"]
        ]
        print(
            f"... one caseworker and one manager alone, {args.single} rounds each, think time 0 "
            "(what a page costs without contention)",
            flush=True,
        )
        alone = Stats()
        alone.counting = True
        solo_users = [
            Caseworker(
                plan["caseworkers"][0],
                plan["wai"],
                base,
                plan["caseworkers"][0]["username"],
                alone,
                0.0,
                random.Random(2),
            ),
            Manager(base, plan["managers"][0]["username"], alone, 0.0, random.Random(3)),
        ]
        for solo in solo_users:
            solo.login()
            for n in range(args.single):
                solo.round(n)
        report(alone, 1.0, f"alone (load average {os.getloadavg()[0]:.1f}; req/s not meaningful here)")
        print(
            f"... {len(plan['caseworkers'])} caseworkers, {len(plan['managers'])} managers and "
            f"{len(plan['participants'])} participants in the portal (a page every {args.participant_think:.0f} s) "
            f"on {base} "
            f"(gunicorn {args.workers} workers × {args.threads} threads, think time {args.think} s): "
            f"{args.warm_up:.0f} s warm-up, then {args.seconds:.0f} s counted",
            flush=True,
        )
        if args.sign_in_first:
            print(f"... {len(users)} users sign in, 8 at a time", flush=True)
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda u: u.login(), (u for u in users if not u.signed_in())))
        until = time.time() + args.warm_up + args.seconds
        threads = [threading.Thread(target=u.run, args=(until,), daemon=True) for u in users]
        for t in threads:
            t.start()
        time.sleep(args.warm_up)
        stats.counting = True
        cpu_before = cpu_seconds(gunicorn.pid)
        time.sleep(max(0.0, until - time.time()))
        stats.counting = False  # what starts after this is not counted (the users finish their round)
        cpu_after = cpu_seconds(gunicorn.pid)
        for t in threads:
            t.join()
        load = os.getloadavg()[0]
        ok = report(stats, args.seconds, f"{len(users)} users together (load average {load:.1f} at the end)")
        if any(cpu_after.values()):
            print(
                f"CPU used in the {args.seconds:.0f} s counted ({os.cpu_count()} CPUs: {args.seconds * (os.cpu_count() or 1):.0f} s): "
                + ", ".join(f"{who} {cpu_after[who] - cpu_before[who]:.1f} s" for who in cpu_after)
            )
        stats.close()
        if args.trace:
            gunicorn.terminate()  # flushes the access log
            gunicorn.wait(timeout=30)
            gunicorn = None
            analyse_trace(args.trace)
        print(
            f"\ngoals {'met' if ok else 'NOT met'} (scale {args.scale}, {os.cpu_count()} CPUs, load average {load:.1f})"
        )
        return 0 if ok else 1
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        if args.keep:
            print(f"kept: --reuse {name}:{tmp}  (database {url})")
        else:
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child-users"]:
        print(json.dumps(child_users(*(int(a) for a in sys.argv[2:5]))))
    else:
        sys.exit(main())
