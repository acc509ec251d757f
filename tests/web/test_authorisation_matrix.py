"""The authorisation matrix: every URL pattern of the site (pages, the JSON API, the admin) × every role
of the demo profile and an anonymous visitor × a record in the user's units, one of another district
and one of a protected person in the user's units.

Each route's access is declared once, in ``ROUTES`` (who opens it; whether its path names a person's
record; who may change something through it), and the expected outcome of every combination follows
from ``records/access.py``'s policy:

- a role that may open the route gets 200 (or a redirect) for a record in its units, 403 or 404 for one
  of another district (a 403 logged as ``denied``), and a protected person's record masked; every 200
  with a person's record adds an access-log entry naming that person;
- any other role gets 403 (or 404), an anonymous visitor the log-in page (401 from the API);
- no page or answer to anyone here shows the protected person's real name, address or number (none
  of these users has ``may_see_protected``);
- a POST to a route that changes records is refused to every role that may not write through it and
  outside the writer's units, and changes nothing in the database.

A route missing from ``ROUTES`` fails ``test_every_route_declares_its_access``, naming it: a new page
or API operation cannot be added without saying who may use it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import pytest

from tests.web.conftest import PASSWORD, log_entries, make_person
from tests.web.results.conftest import results_world  # noqa: F401 (a fixture)
from tests.web.site import fill, person_records, url_patterns
from tests.web.test_swedish_everywhere import benchlearning_store, full_world  # noqa: F401 (fixtures)

CASEWORKER, MANAGER, ANALYST, EMPLOYERS, DPO, ADMIN, PARTNER = (
    "caseworker",
    "unit_manager",
    "analyst",
    "employer_relations",
    "dpo",
    "admin",
    "partner",
)
# One user of each role (tests/web/conftest.py, tests/web/results/conftest.py), none with may_see_protected.
USERS = {
    CASEWORKER: "anna",
    MANAGER: "chef",
    ANALYST: "ali",
    EMPLOYERS: "emil",
    DPO: "sara",
    ADMIN: "admin",
    PARTNER: "pia",  # matrix_world: a partner organisation of the labour-market observatory
}
ANYONE = tuple(USERS)  # every signed-in role
CASEWORK = (CASEWORKER, MANAGER)
RESULTS = (ANALYST, MANAGER)
SCOPES = ("in", "out", "protected")  # a record of the user's units, of another district, of a protected person


@dataclass(frozen=True)
class Access:
    """Who may use a route (by role) and what its path names.

    ``roles``: the roles that open it (GET). ``person``: its path names a person's record, so a record
    of another district is refused and a protected person's is masked. ``writes``: the roles that change
    records through it (POST, or the API's other methods); None if it changes nothing. ``get``: False
    for a route that only accepts a POST (GET answers 405). ``public``: open without signing in.
    ``protected``: "masked" (served with the identity masked) or "refused" (not served at all, as a
    protected person's documents). ``use``: path parameters taken from another record of the scope
    (``{"entry_id": "signed"}``: a signed journal entry). ``query``: the query a page needs. ``opened``:
    what the roles get (200 or a redirect, unless the route serves nothing, 404). ``body``: what a POST
    sends, where the input is checked before the access (the API's schemas) or names the person
    (``"<person_id>"``: the scope's person); otherwise an empty form. ``portal``: a page of the
    participant portal, which no staff session opens, its sign-in pages neither."""

    roles: tuple = ()
    person: bool = False
    writes: tuple | None = None
    get: bool = True
    public: bool = False
    protected: str = "masked"
    use: tuple = ()
    query: str = ""
    opened: frozenset = frozenset({200, 302})
    body: tuple = ()
    portal: bool = False


PERSON_PAGE = Access(CASEWORK, person=True)
CASEWORKER_FORM = Access((CASEWORKER,), person=True, writes=(CASEWORKER,))
ADMINISTRATORS = Access((ADMIN,))
NOBODY = Access(())  # the admin's person records and access log: not even an administrator
PARTICIPANTS = Access((), portal=True)  # the participant portal: no staff role (the participant is no role here)

ROUTES: dict[str, Access] = {
    # --- public, and the signed-in user's own things
    "health": Access(public=True),
    "accounts/login/": Access(public=True),
    "accounts/logout/": Access(ANYONE, get=False),
    "language/": Access(public=True, get=False),  # a preference of one's own, not a record
    "": Access(ANYONE),
    # --- casework: lists and search of the user's units
    "persons/": Access(CASEWORK),
    "caseload/": Access(CASEWORK),
    "caseload/filters/save/": Access(CASEWORK, get=False),
    "caseload/filters/delete/": Access(CASEWORK, get=False),
    "caseload/reassign/": Access(CASEWORK, get=False, writes=CASEWORK),
    "caseload/team/": Access((MANAGER,)),
    "worklist/": Access(CASEWORK),
    "worklist/team/": Access((MANAGER,)),
    "search/": Access(CASEWORK),
    "meetings/": Access(CASEWORK),
    "attendance/report/": Access(CASEWORK),
    "persons/new/": Access((CASEWORKER,), writes=(CASEWORKER,)),
    # --- a person's record
    "persons/<int:person_id>/": PERSON_PAGE,
    "persons/<int:person_id>/places/": Access(CASEWORK, person=True, writes=(CASEWORKER,)),
    "persons/<int:person_id>/export.json": PERSON_PAGE,
    "persons/<int:person_id>/export.html": PERSON_PAGE,
    "enrolments/<int:enrolment_id>/caseworker/": Access(CASEWORK, person=True, writes=CASEWORK),
    "persons/<int:person_id>/enrol/": CASEWORKER_FORM,
    "enrolments/<int:enrolment_id>/decision/": CASEWORKER_FORM,
    "enrolments/<int:enrolment_id>/assessment/": CASEWORKER_FORM,
    "enrolments/<int:enrolment_id>/plan/": CASEWORKER_FORM,
    "enrolments/<int:enrolment_id>/measure/": CASEWORKER_FORM,
    "enrolments/<int:enrolment_id>/exit/": CASEWORKER_FORM,
    "enrolments/<int:enrolment_id>/followup/": Access(
        (CASEWORKER,), person=True, writes=(CASEWORKER,), use=(("enrolment_id", "ended"),)
    ),
    "measures/<int:participation_id>/end/": CASEWORKER_FORM,
    "persons/<int:person_id>/journal/": Access(CASEWORK, person=True, writes=(CASEWORKER,)),
    "journal/<int:entry_id>/": Access(CASEWORK, person=True, writes=(CASEWORKER,)),
    "journal/<int:entry_id>/sign/": Access((CASEWORKER,), person=True, writes=(CASEWORKER,), get=False),
    "journal/<int:entry_id>/correct/": Access(
        (CASEWORKER,), person=True, writes=(CASEWORKER,), use=(("entry_id", "signed"),)
    ),
    "persons/<int:person_id>/documents/new/": CASEWORKER_FORM,
    "persons/<int:person_id>/contact/": CASEWORKER_FORM,
    "persons/<int:person_id>/messages/": Access(CASEWORK, person=True, writes=(CASEWORKER,)),
    "persons/<int:person_id>/portal-link/": Access((CASEWORKER,), person=True, writes=(CASEWORKER,), get=False),
    "interests/<int:interest_id>/seen/": Access((CASEWORKER,), person=True, writes=(CASEWORKER,), get=False),
    "documents/<int:document_id>/download/": Access(CASEWORK, person=True, protected="refused"),
    "documents/<int:document_id>/withdraw/": CASEWORKER_FORM,
    "entries/<slug:record_type>/<int:record_id>/correct/": CASEWORKER_FORM,
    "entries/<slug:record_type>/<int:record_id>/withdraw/": CASEWORKER_FORM,
    "persons/<int:person_id>/meetings/new/": CASEWORKER_FORM,
    "meetings/<int:meeting_id>/outcome/": CASEWORKER_FORM,
    "meetings/<int:meeting_id>/calendar.ics": PERSON_PAGE,
    "measures/<int:participation_id>/attendance/": CASEWORKER_FORM,
    "results/person/<str:key>/": Access((CASEWORKER,), person=True),
    # --- employers and places: the employer register's staff; placements are the caseworkers'
    "employers/": Access((EMPLOYERS, ADMIN)),
    "employers/<int:employer_id>/": Access((EMPLOYERS, ADMIN), writes=(EMPLOYERS, ADMIN)),
    "employers/places/<int:place_id>/candidates/": Access(
        (CASEWORKER,), writes=(CASEWORKER,), body=(("person", "<person_id>"),)
    ),
    "employers/placements/<int:placement_id>/": CASEWORKER_FORM,
    # --- results, evaluation (aggregated or pseudonymised)
    "results/": Access(RESULTS, query="?year=2023&period=VB"),
    "results/indicators/<str:indicator_id>/": Access(RESULTS, query="?year=2023&period=VB"),
    "results/indicators/<str:indicator_id>/rows/": Access(RESULTS, query="?year=2023&period=VB"),
    "results/report/": Access(RESULTS, query="?year=2023&period=VB"),
    "results/report/<int:year>/<str:code>/<str:lang>/view/": Access(RESULTS),
    "results/report/<int:year>/<str:code>/<str:lang>.<str:fmt>": Access(RESULTS),
    "evaluation/": Access((ANALYST,)),
    # --- the access log: the data protection officer
    "log-review/": Access((DPO,)),
    # the labour-market observatory: public figures for anyone, the partners' and analysts' tiers by role
    "lmi/": Access(public=True),
    # the bulletin is HTML or PDF: the matrix's format (csv) is no bulletin, 404 for everyone alike
    "lmi/bulletin/<str:month>/<str:lang>.<str:fmt>": Access(public=True, opened=frozenset({404})),
    "lmi/open-data/datapackage.json": Access(public=True),
    "lmi/open-data/<str:release>/<str:table>.<str:fmt>": Access(public=True),
    "lmi/dashboard/": Access(public=True),
    "lmi/partners/": Access((PARTNER, ANALYST)),
    "lmi/analysts/": Access((ANALYST,)),
    "benchlearning/": Access(RESULTS, query="?year=2023"),
    # profiling: the estimate and the caseworker's assessment of it; the model card; the monitoring
    "profiling/estimates/<int:estimate_id>/": Access(
        (CASEWORKER,), person=True, writes=(CASEWORKER,), use=(("estimate_id", "estimate"),)
    ),
    "profiling/model-card/": Access((CASEWORKER, MANAGER, ANALYST, DPO)),
    "profiling/monitoring/": Access((ANALYST, DPO)),
    # the practice catalogue and the self-assessment of the managers' and analysts' units (records/practices)
    "practices/": Access(RESULTS),
    "practices/export.yaml": Access(RESULTS),
    "practices/learn/": Access(RESULTS),
    "practices/<slug:practice_id>/": Access(RESULTS, writes=RESULTS),
    "log-review/export.csv": Access((DPO,)),
    "log-review/unusual/": Access((DPO,)),
    # --- the JSON API (a session here; tokens get the same answers: tests/web/test_access.py)
    "api/v1/": Access(public=True, opened=frozenset({404})),  # django-ninja's root: serves nothing
    "api/v1/openapi.json": Access(public=True),
    "api/v1/docs": Access(public=True),
    "api/v1/persons": Access(CASEWORK),
    "api/v1/persons/<person_id>": PERSON_PAGE,
    "api/v1/persons/<person_id>/enrolments": PERSON_PAGE,
    "api/v1/persons/<person_id>/participations": PERSON_PAGE,
    "api/v1/persons/<person_id>/followups": PERSON_PAGE,
    "api/v1/persons/<person_id>/export": PERSON_PAGE,
    "api/v1/persons/<person_id>/exits": PERSON_PAGE,
    "api/v1/persons/<person_id>/meetings": Access(
        CASEWORK,
        person=True,
        writes=(CASEWORKER,),
        body=(("enrolment_id", "<enrolment_id>"), ("kind", "planning"), ("starts_at", "2030-01-07T10:00:00+01:00")),
    ),
    "api/v1/persons/<person_id>/journal": Access(
        CASEWORK,
        person=True,
        writes=(CASEWORKER,),
        body=(("enrolment_id", "<enrolment_id>"), ("kind", "samtal"), ("date", "<today>"), ("text", "Matris.")),
    ),
    "api/v1/journal/<entry_id>": Access(CASEWORK, person=True),
    "api/v1/journal/<entry_id>/sign": Access((CASEWORKER,), person=True, writes=(CASEWORKER,), get=False),
    "api/v1/journal/<entry_id>/corrections": Access(
        (CASEWORKER,),
        person=True,
        writes=(CASEWORKER,),
        get=False,
        use=(("entry_id", "signed"),),
        body=(("reason", "Fel person"), ("text", "Rättad."), ("date", "<today>")),
    ),
    "api/v1/worklist": Access(CASEWORK),
    "api/v1/indicators": Access(RESULTS),
    "api/v1/indicators/<indicator_id>/results": Access(RESULTS, query="?year=2023&period=VB"),
    # --- the participant portal: participants only (their own sign-in, tested in tests/web/test_portal*);
    # every staff role is refused, an anonymous visitor sent to the portal's sign-in (401 from its API)
    "portal/": PARTICIPANTS,
    "portal/sign-in/": Access(public=True, portal=True),
    "portal/link/<str:secret>/": Access(public=True, portal=True),  # an unknown link: a page that says so
    "portal/oidc/start/": Access(public=True, portal=True, opened=frozenset({302, 404})),  # 404 without OpenID Connect
    "portal/oidc/callback/": Access(
        public=True, portal=True, opened=frozenset({302, 400, 404})
    ),  # no sign-in under way
    "portal/sign-out/": Access(public=True, portal=True, get=False),
    "portal/language/": Access(public=True, portal=True, get=False),
    "portal/plan/": PARTICIPANTS,
    "portal/meetings/": PARTICIPANTS,
    "portal/meetings/<int:meeting_id>/calendar.ics": PARTICIPANTS,
    "portal/measures/": PARTICIPANTS,
    "portal/places/": PARTICIPANTS,
    "portal/messages/": PARTICIPANTS,
    "portal/messages/<int:message_id>/attachment/": PARTICIPANTS,
    "portal/my-data/": PARTICIPANTS,
    "portal/my-data/extract.<str:fmt>": PARTICIPANTS,
    "api/v1/portal/me": PARTICIPANTS,
    "api/v1/portal/plan": PARTICIPANTS,
    "api/v1/portal/meetings": PARTICIPANTS,
    "api/v1/portal/places": PARTICIPANTS,
    "api/v1/portal/interest": Access((), get=False, writes=(), portal=True),
    "api/v1/portal/messages": Access((), writes=(), portal=True),
    # --- the admin (a route under a prefix follows the longest prefix declared)
    "admin/": ADMINISTRATORS,
    "admin/login/": Access(public=True),
    "admin/logout/": Access((ADMIN,), get=False),
    "admin/people/": NOBODY,
    "admin/casework/": NOBODY,
    "admin/journal/": NOBODY,
    "admin/audit/": NOBODY,
    "admin/autocomplete/": NOBODY,  # no admin has autocomplete fields: refused to everyone
    "admin/r/<path:content_type_id>/<path:object_id>/": Access(
        (ADMIN,), opened=frozenset({404})
    ),  # no model has a page on the site
    "admin/(?P<url>.*)$": Access((ADMIN,), opened=frozenset({404})),  # the admin's catch-all: no such page
    "admin/axes/accessattempt/add/": NOBODY,  # written by log-in attempts only
    "admin/axes/accesslog/add/": NOBODY,
    "admin/axes/accessfailurelog/add/": NOBODY,
}
PREFIXES = ("admin/",)  # routes under these are declared by their longest declared prefix


def access_of(route: str) -> Access | None:
    if route in ROUTES:
        return ROUTES[route]
    if route.startswith(PREFIXES):
        prefixes = [p for p in ROUTES if p.endswith("/") and route.startswith(p) and p.startswith(PREFIXES)]
        return ROUTES[max(prefixes, key=len)] if prefixes else None
    return None


def all_routes() -> list[str]:
    """Every route of the site, once (the API declares a GET and a POST of one path as two patterns)."""
    return list(dict.fromkeys(route for route, _pattern in url_patterns()))


def test_every_route_declares_its_access():
    undeclared = [route for route in all_routes() if access_of(route) is None]
    assert not undeclared, (
        "routes without an entry in ROUTES of tests/web/test_authorisation_matrix.py (declare who may use "
        f"each, from records/access.py's policy): {undeclared}"
    )
    stale = [route for route in ROUTES if route not in all_routes() and not route.startswith(PREFIXES)]
    assert not stale, f"ROUTES declares routes the site no longer has: {stale}"


@pytest.fixture
def quiet():
    """No log line per refusal (thousands of them)."""
    import logging

    logging.disable(logging.CRITICAL)
    yield
    logging.disable(logging.NOTSET)


# --- the world ----------------------------------------------------------------------------------


@pytest.fixture
def matrix_world(full_world):
    """``full_world`` (tests/web/test_swedish_everywhere.py) with a record of every kind for a person
    of Järva (anna's and chef's unit), of Söderort (another district) and the protected person of
    Järva, each with an ended enrolment beside the open one."""
    from django.contrib.auth.models import User

    from pestrack.profiling import live
    from pestrack.records.casework.models import Enrolment
    from pestrack.records.codes.models import Code
    from pestrack.records.employers.models import PlaceInterest
    from pestrack.records.journal import messages
    from pestrack.records.org.users import add_user

    w = full_world
    add_user("pia", "partner", ["stockholm"], password=PASSWORD)
    anna = User.objects.get(username="anna")
    w.records = {
        "in": person_records(make_person("Inom", "Jarvasson", "jt-jarva", serial=106), author=anna, place=w.place),
        "out": person_records(w.soderort, author=anna, place=w.place),
        "protected": person_records(w.protected, author=anna, place=w.place),
    }
    for r in w.records.values():
        e = r.enrolment
        r.interest = PlaceInterest.objects.create(person=r.person, enrolment=e, place=w.place)
        r.estimate = live.estimate(anna, e, live.active())  # profiling is on in full_world
        r.message = messages.send(r.person, "Välkommen!", author=anna, actor="anna")
        r.ended = Enrolment.objects.create(
            person=r.person,
            programme=e.programme,
            org_unit=e.org_unit,
            referring_unit=e.referring_unit,
            target_group=e.target_group,
            entry_route=e.entry_route,
            start_date=e.start_date - dt.timedelta(days=400),
            end_date=e.start_date - dt.timedelta(days=200),
            exit_reason=Code.objects.get(list="exit_reason", code="moved"),
        )
    return w


def ids(w, scope: str, access: Access) -> dict:
    """The path parameters of a route for a record of ``scope``."""
    from django.contrib.auth.models import User

    from pestrack.analytics.pseudonym import person_key

    r = w.records[scope]
    values = {
        "person_id": r.person.pk,
        "enrolment_id": r.enrolment.pk,
        "participation_id": r.participation.pk,
        "entry_id": r.unsigned.pk,
        "document_id": r.document.pk,
        "meeting_id": r.meeting.pk,
        "record_type": "assessment",
        "record_id": r.assessment.pk,
        "placement_id": r.placement.pk,
        "interest_id": r.interest.pk,
        "message_id": r.message.pk,
        "secret": "no-such-link",
        "key": person_key(r.person.pin_hash),
        "employer_id": w.employer.pk,
        "place_id": w.place.pk,
        "indicator_id": "jobbtorg_exit_work_or_studies",
        "practice_id": "welcome_house",
        "year": 2023,
        "code": "VB",
        "lang": "sv",
        "fmt": "csv",
        # the admin's
        "object_id": 1,
        "content_type_id": 1,
        "id": User.objects.get(username="admin").pk,  # the admin's user pages (ids are not 1 on PostgreSQL)
        "app_label": "codes",
        "url": "no-such-page/",
        "today": dt.date.today().isoformat(),
        # the labour-market observatory's
        "month": "2023-12",
        "release": "latest",
        "table": "lmi_hires",
    }
    for name, attribute in access.use:
        values[name] = getattr(r, attribute).pk
    return values


def secrets(w) -> list[str]:
    p = w.protected
    return [p.first_name, p.last_name, p.address, p.identity_number, p.identity_number.replace("-", "")]


def database_state() -> str:
    """A digest of every row of every pestrack table but the access log (which a refusal writes to),
    read with one plain SELECT a table: the test takes it after each of some 750 writes, and through
    querysets that was two thirds of the test's time."""
    from django.apps import apps
    from django.db import connection

    quote = connection.ops.quote_name
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if not model.__module__.startswith("pestrack.") or model._meta.label == "audit.AccessLogEntry":
                continue
            digest.update(model._meta.label.encode())
            table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
            cursor.execute(f"SELECT * FROM {table} ORDER BY {pk}")
            digest.update(repr(cursor.fetchall()).encode())
    return digest.hexdigest()


# --- the expectations -----------------------------------------------------------------------------

OK, REFUSED = {200, 302}, {403, 404}


def expected(access: Access, role: str | None, scope: str) -> set[int]:
    """The statuses a GET may answer for ``role`` (None: anonymous) and a record of ``scope``."""
    if access.portal and role is not None:
        return REFUSED if access.get else {403, 405}
    if access.public:
        return access.opened if access.get else {405}
    if role is None:
        return {302, 401, 403, 405}  # the log-in page (checked below), or the API's 401
    if not access.get:
        return {405, 403}
    if role not in access.roles:
        return REFUSED
    if access.person and scope == "out":
        return REFUSED
    if access.person and scope == "protected" and access.protected == "refused":
        return REFUSED
    return access.opened


def _requests(w, post: bool = False):
    """(route, access, url, scope, body) of every route for every scope its path (or its POST's body)
    can name."""
    for route in all_routes():
        access = access_of(route)
        for scope in SCOPES if access.person or (post and access.body) else ("in",):
            values = ids(w, scope, access)
            body = {k: values[v[1:-1]] if v.startswith("<") else v for k, v in access.body}
            yield route, access, fill(route, values) + access.query, scope, body


def _is_log_in(response) -> bool:
    """A redirect to a log-in page (or to the admin's index, which sends there)."""
    location = response.get("Location", "")
    return response.status_code == 302 and (
        location.startswith(("/accounts/login/", "/admin/login/", "/portal/sign-in/")) or location == "/admin/"
    )


@pytest.mark.slow  # some 2,500 requests: about a minute on an idle machine
@pytest.mark.django_db
def test_every_route_answers_every_role_as_declared(matrix_world, client, quiet):
    """GET every route as every role and anonymously, for a record in scope, out of scope, protected."""
    w = matrix_world
    client.raise_request_exception = False
    hidden = secrets(w)
    wrong: list[str] = []
    reads = 0  # answers with a person's record, each checked for its entry in the access log
    requests = list(_requests(w))
    for role in (None, *USERS):
        if role is None:
            client.logout()
        else:
            assert client.login(username=USERS[role], password=PASSWORD)
        who = role or "anonymous"
        for route, access, url, scope, _body in requests:
            refusals = log_entries(action="denied").count()
            last_entry = log_entries().order_by("-id").values_list("id", flat=True).first() or 0
            response = client.get(url)
            status = response.status_code
            if status == 302 and expected(access, role, scope) == REFUSED and role is not None:
                if response["Location"] == "/admin/":
                    status = 404  # the admin's answer to an object that does not exist: it shows nothing
                else:
                    response = client.get(response["Location"])  # a redirect to a refused page refuses too
                    status = response.status_code
            if status not in expected(access, role, scope):
                wrong.append(
                    f"{who} GET {url} ({route}, {scope}): {status}, expected {sorted(expected(access, role, scope))}"
                )
                continue
            if role is None and status == 302 and not access.public and not _is_log_in(response):
                wrong.append(f"anonymous GET {url}: redirected to {response['Location']}, not to the log-in page")
            if status == 403 and role is not None and access.person:
                if log_entries(action="denied").count() == refusals:
                    wrong.append(f"{who} GET {url} ({scope}): refused without a 'denied' entry in the access log")
            if status == 200 and role is not None and access.person:
                reads += 1
                person = w.records[scope].person.pk
                if not log_entries(id__gt=last_entry, person_id=person).exists():
                    wrong.append(f"{who} GET {url} ({route}, {scope}): read without an entry naming the person")
            body = b"".join(response.streaming_content) if response.streaming else response.content
            text = body.decode("utf-8", "replace")
            shown = [s for s in hidden if s in text]
            if shown:
                wrong.append(f"{who} GET {url} ({scope}): shows the protected person's {shown}")
    assert not wrong, f"{len(wrong)} answers differ from ROUTES:\n" + "\n".join(wrong)
    assert reads > 50  # 112 when written


def _post(client, url, body):
    """A POST of ``body`` (a JSON object to the API)."""
    if url.startswith("/api/"):
        return client.post(url, body, content_type="application/json")
    return client.post(url, body)


@pytest.mark.slow  # some 600 writes, the database compared after each: about half a minute
@pytest.mark.django_db
def test_no_write_is_let_through_to_a_role_or_record_it_is_not_for(matrix_world, client, quiet):
    """POST to every route that changes records, as every role that may not write through it, and as
    its writers for a record of another district, and anonymously: refused, and nothing changed.
    Then, as its writers in their own units: not refused (the table says who writes)."""
    w = matrix_world
    client.raise_request_exception = False
    wrong: list[str] = []
    requests = [r for r in _requests(w, post=True) if r[1].writes is not None]
    assert len(requests) > 30
    for role in (None, *USERS):
        if role is None:
            client.logout()
        else:
            assert client.login(username=USERS[role], password=PASSWORD)
        who = role or "anonymous"
        state = database_state()
        for route, access, url, scope, body in requests:
            if role in access.writes and scope != "out":
                continue  # may write here: tried last, below
            before = state
            response = _post(client, url, body)
            status = response.status_code
            refused = status in REFUSED or (role is None and (status == 401 or _is_log_in(response)))
            if not refused:
                wrong.append(f"{who} POST {url} ({route}, {scope}): {status}, expected a refusal")
            state = database_state()
            if state != before:
                wrong.append(f"{who} POST {url} ({route}, {scope}): changed the database")
    for role in USERS:
        assert client.login(username=USERS[role], password=PASSWORD)
        for route, access, url, scope, body in requests:
            if role in access.writes and scope == "in":
                status = _post(client, url, body).status_code
                if status in REFUSED or status >= 500:
                    wrong.append(
                        f"{role} POST {url} ({route}, own units): {status}, but ROUTES says the role writes here"
                    )
    assert not wrong, f"{len(wrong)} writes differ from ROUTES:\n" + "\n".join(wrong)
