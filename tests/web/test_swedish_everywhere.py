"""Every page a Swedish user sees is Swedish.

The test logs in as each role of the ``world`` (Swedish chosen), walks the application's URL
patterns (so a page added later is covered without a change here: only its path parameters may
need a value in ``ids``), renders every page each user may open, submits every form on it with
invalid input, and fails on

(a) an English message of the application: an msgid of the project's .po files whose Swedish
    msgstr differs from it, found in the visible text (a missing or bypassed translation);
    and the same for English users the other way round: a Swedish msgstr, or the Swedish name of
    a code, on an English page;
(b) a raw code value shown as text: a code of the profile's code lists, an organisation unit's
    code, or the stored value of a field with choices (``woman`` instead of ``kvinna``).

Visible text is the text of the page outside <script>, <style> and <code> (the log review shows
the access log's entries verbatim in <code>: they are the record, not a message) and outside
passages marked as the other language (``lang``: the city's goals, quoted in Swedish on an
English page), plus the aria-label, title, alt and placeholder attributes.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import pestrack
from tests.web.conftest import PASSWORD
from tests.web.results.conftest import results_world  # noqa: F401 (a fixture)
from tests.web.site import fill, person_records, url_patterns

# Routes not walked, each with its reason. Nothing else may be skipped.
SKIPPED = {
    "api/v1/": "the JSON API: no pages; its error messages are tested with the API (tests/web/test_api*)",
    "admin/": "Django's admin, for administrators: its model, field and permission names are the models' own "
    "English names (not yet translated: a separate piece of work); the data protection officer's "
    "log review replaces it for the access log",
    "health": "a JSON health check for the load balancer, no page",
    "language/": "POST only: switches the language and redirects",
    "accounts/logout/": "POST only: logs out and redirects",
    "portal/oidc/start/": "sign-in with the identity provider: redirects to the provider (tests/web/portal/test_oidc.py)",
    "portal/oidc/callback/": "the identity provider's answer: signs in, or refuses with the portal's sign-in page (403), "
    "whose messages tests/web/portal/test_oidc.py reads",
}

USERS = ("anna", "erik", "maria", "ali", "emil", "sara", "admin", "dina")

# Queries that give a page its content (the sample population is of 2022–2023).
QUERIES = {
    "results-dashboard": "?year=2023&period=VB",
    "results-indicator": "?year=2023&period=VB",
    "results-rows": "?year=2023&period=VB",
    "results-report": "?year=2023&period=VB&lang=LANG",
    "log-review": "?since=2000-01-01",
    "evaluation": "",
}


# --- the application's own English messages ----------------------------------------------------


def _po_entries(path: Path):
    """(msgid, msgstr) of a .po file, plural forms as their singular and plural msgids; a message
    with a context (pgettext) as CONTEXT\x04MSGID, as gettext keys it."""
    return _entries(path.read_text(encoding="utf-8"))


def _entries(text: str):
    for block in re.split(r"\n\s*\n", text):
        if block.lstrip().startswith("#~"):
            continue
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            m = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if m:
                key = m[1]
                fields[key] = _unquote(m[2])
            elif line.startswith('"') and key:
                fields[key] += _unquote(line[1:-1])
        if fields.get("msgid"):
            context = fields["msgctxt"] + "\x04" if "msgctxt" in fields else ""
            yield context + fields["msgid"], fields.get("msgstr", fields.get("msgstr[0]", ""))
            if "msgid_plural" in fields:
                yield fields["msgid_plural"], fields.get("msgstr[1]", "")


def _unquote(s: str) -> str:
    return s.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def _catalogues() -> list[tuple[str, str]]:
    root = Path(pestrack.__file__).parent
    return [entry for po in root.rglob("locale/sv/LC_MESSAGES/django.po") for entry in _po_entries(po)]


def words_of(language: str) -> set[str]:
    """Every word of the translations into ``language`` (the msgids for English, the msgstrs for
    Swedish) and of the profile's names in it, in lower case: a code or a one-word message that is
    also a word of the page's language ("man", "praktik", "All" in Swedish) proves nothing."""
    from pestrack.records.codes.models import Code
    from pestrack.records.org.models import OrgUnit

    texts = [msgid if language == "en" else msgstr for msgid, msgstr in _catalogues()]
    texts += list(Code.objects.values_list("name_en" if language == "en" else "name_sv", flat=True))
    texts += list(OrgUnit.objects.values_list("name", flat=True))  # proper names, in both languages
    if language == "sv":  # the city's own Swedish texts (goals, activities, analyses)
        from django.conf import settings

        texts.append(
            (Path(settings.PESTRACK_PROFILES_DIR) / settings.PESTRACK_PROFILE / "goals.yaml").read_text(
                encoding="utf-8"
            )
        )
    return {w.lower() for t in texts for w in re.findall(r"[\w-]+", t)}


def _pattern(text: str) -> re.Pattern:
    """``text`` over visible text: its placeholders match anything, its words must stand alone."""
    parts = re.split(r"%\(\w+\)[sd]|%[sd]|\{\{?\s*\w+\s*\}?\}", text)
    body = ".{1,80}?".join(re.escape(re.sub(r"\s+", " ", p)) for p in parts)
    return re.compile(rf"(?<![\w-]){body}(?![\w-])")


def foreign_messages(language: str, own_words: set[str]) -> dict[str, re.Pattern]:
    """The application's messages in the other language: for a Swedish page each msgid translated
    to something else (a missing or bypassed translation); for an English page each such msgstr,
    and the Swedish names of codes whose English name differs (a Swedish string leaking)."""
    from pestrack.records.codes.models import Code
    from pestrack.records.org.models import OrgUnit

    texts = []
    for msgid, msgstr in _catalogues():
        if msgstr and msgstr != msgid and "<" not in msgid:
            texts.append(msgstr if language == "en" else msgid)
    if language == "en":  # the Swedish names of codes, but not the units' proper names
        units = set(OrgUnit.objects.values_list("name", flat=True))
        texts += [sv for sv, en in Code.objects.values_list("name_sv", "name_en") if sv != en and sv not in units]
    found = {}
    for text in texts:
        fixed = re.split(r"%\(\w+\)[sd]|%[sd]|\{\{?\s*\w+\s*\}?\}", text)
        if text.lower() in own_words or not any(re.search(r"[^\W\d_]{2}", p) for p in fixed):
            continue  # a word of the page's language too, or nothing left once the placeholders are out
        found[text] = _pattern(text)
    return found


# --- raw code values ----------------------------------------------------------------------------


def raw_codes(own_words: set[str]) -> set[str]:
    from django.apps import apps

    from pestrack.records.codes.models import Code
    from pestrack.records.org.models import OrgUnit

    codes = set(Code.objects.values_list("code", flat=True)) | set(OrgUnit.objects.values_list("code", flat=True))
    for model in apps.get_models():
        if not model.__module__.startswith("pestrack.records"):
            continue
        for f in model._meta.get_fields():
            for value, _label in getattr(f, "choices", None) or ():
                if isinstance(value, str):
                    codes.add(value)
    # digits are numbers on a page, and the demo users' names are names
    return {c for c in codes if not c.isdigit() and len(c) > 1 and c.lower() not in own_words} - set(USERS)


# --- visible text -------------------------------------------------------------------------------


class Visible(HTMLParser):
    HIDDEN = {"script", "style", "code"}
    ATTRIBUTES = {"aria-label", "title", "alt", "placeholder"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, language: str):
        super().__init__(convert_charrefs=True)
        self.language = language
        self.hidden = 0
        self.other_language: list[int] = []  # stack depths of elements marked as another language
        self.stack: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        lang = dict(attrs).get("lang")
        if tag not in self.VOID:
            self.stack.append(tag)
            if tag in self.HIDDEN:
                self.hidden += 1
            elif tag != "html" and lang and not lang.startswith(self.language):
                self.hidden += 1  # a passage marked as the other language (a quotation), for the screen reader too
                self.other_language.append(len(self.stack))
        if not self.hidden:
            self.texts += [v for k, v in attrs if k in self.ATTRIBUTES and v]

    def handle_endtag(self, tag):
        if tag in self.VOID or tag not in self.stack:
            return
        while self.stack:
            depth = len(self.stack)
            top = self.stack.pop()
            if top in self.HIDDEN:
                self.hidden -= 1
            if self.other_language and self.other_language[-1] == depth:
                self.other_language.pop()
                self.hidden -= 1
            if top == tag:
                break

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.texts.append(data)


def visible_text(html: str, language: str) -> list[str]:
    parser = Visible(language)
    parser.feed(html)
    return [" ".join(t.split()) for t in parser.texts]


def problems(
    html: str,
    foreign: dict[str, re.Pattern],
    codes: set[str],
    language: str,
    written: frozenset[str] = frozenset(),
    memo: dict[str, list[str]] | None = None,
) -> list[str]:
    """What is wrong in the page's visible text; ``written``: texts that staff wrote in the records,
    shown as written whatever the reader's language, left out. ``memo``: the problems of each text
    seen before with the same ``foreign`` and ``codes`` (a walk meets the menu's texts on every page,
    and each text is searched for every one of hundreds of messages)."""
    found = []
    for text in visible_text(html, language):
        if text in written:
            continue
        if memo is not None and text in memo:
            found += memo[text]
            continue
        of_text = [f"{message!r} in {text[:120]!r}" for message, pattern in foreign.items() if pattern.search(text)]
        of_text += [
            f"raw code {token!r} in {text[:120]!r}" for token in re.findall(r"[\w][\w-]*", text) if token in codes
        ]
        if memo is not None:
            memo[text] = of_text
        found += of_text
    return found


# --- the world and its pages --------------------------------------------------------------------


@pytest.fixture(scope="module")
def benchlearning_store(tmp_path_factory):
    """Imported benchlearning packages, so that the comparison page shows every part of itself."""
    from tests.web import benchlearning_network

    return benchlearning_network.build(tmp_path_factory.mktemp("benchlearning"))


@pytest.fixture
def full_world(results_world, settings, tmp_path, benchlearning_store):
    """Every kind of record the pages show (tests.web.site.person_records: an assessment, a plan, a
    measure, journal entries, a document, a meeting, a placement on a place of an employer) for Järva's
    person, with a message to the portal and an interest in the place, and an ended enrolment with its
    follow-up."""
    from pestrack.records.casework.models import Enrolment, FollowUp
    from pestrack.records.codes.models import Code
    from pestrack.records.employers.models import Contact, Employer, Place
    from tests.web.conftest import make_person

    w = results_world
    code = lambda lst, c: Code.objects.get(list=lst, code=c)  # noqa: E731
    today = dt.date.today()
    w.ended = make_person("Avslutad", "Avslutadsson", "jt-jarva", serial=105)
    ended = w.ended.enrolments.get()
    Enrolment.objects.filter(pk=ended.pk).update(
        end_date=today - dt.timedelta(days=95), exit_reason=code("exit_reason", "work")
    )
    FollowUp.objects.create(
        enrolment=ended,
        months=3,
        reference_date=today - dt.timedelta(days=4),
        working=True,
        studying=False,
        self_sufficient=True,
        source="register",
    )
    w.employer = Employer.objects.create(org_number="556036-0793", name="Exempelhandeln AB", size_band="50-249")
    Contact.objects.create(employer=w.employer, date=today, kind="visit", note="Besök om sommarjobb")
    w.place = Place.objects.create(
        kind=code("place_type", "stockholmsjobb"), employer=w.employer, title="Lokalvårdare", start_date=today
    )
    from django.contrib.auth import get_user_model

    anna = get_user_model().objects.get(username="anna")
    settings.PESTRACK_DOCUMENTS_DIR = tmp_path / "documents"
    r = person_records(w.jarva, author=anna, place=w.place)
    w.assessment, w.participation, w.unsigned, w.signed = r.assessment, r.participation, r.unsigned, r.signed
    w.document, w.meeting, w.placement = r.document, r.meeting, r.placement
    from pestrack.lmi import synth
    from pestrack.records.documents.demo import tiny_pdf, upload_of

    settings.PESTRACK_BENCHLEARNING_DIR = benchlearning_store  # the comparison of partner PES
    settings.PESTRACK_LMI_DIR = tmp_path / "lmi"  # the labour-market observatory's pages
    synth.write(settings.PESTRACK_LMI_DIR, "stockholm", [2023], scale=0.002, seed=1)
    from pestrack.records.employers.models import PlaceInterest
    from pestrack.records.journal import messages

    w.message = messages.send(
        w.jarva, "Välkommen till portalen!", author=anna, actor="anna", upload=upload_of("program.pdf", tiny_pdf())
    )
    PlaceInterest.objects.create(person=w.jarva, enrolment=r.enrolment, place=w.place)
    # profiling switched on, so that the estimate on the person page and its pages are walked
    from pestrack.profiling import live
    from tests.profiling.helpers import enable

    enable(settings, tmp_path)
    w.estimate = live.estimate(anna, r.enrolment, live.active())
    return w


def ids(w, user: str, name: str, language: str) -> dict:
    """Values for the path parameters of route ``name`` as ``user`` would follow them: each user's
    own person. A new parameter needs a value here (the test says which)."""
    from pestrack.analytics.pseudonym import person_key

    person = {"erik": w.soderort, "dina": w.referred, "maria": w.protected}.get(user, w.jarva)
    enrolment = (w.ended if name == "record-followup" else person).enrolments.order_by("pk").first()
    return {
        "person_id": person.pk,
        "enrolment_id": enrolment.pk,
        "participation_id": w.participation.pk,
        "employer_id": w.employer.pk,
        "entry_id": (w.signed if name == "journal-correct" else w.unsigned).pk,
        "document_id": w.document.pk,
        "meeting_id": w.meeting.pk,
        "estimate_id": w.estimate.pk,
        "record_type": "assessment",
        "record_id": w.assessment.pk,
        "place_id": w.place.pk,
        "placement_id": w.placement.pk,
        "indicator_id": "jobbtorg_exit_work_or_studies",
        "practice_id": "welcome_house",
        "key": person_key(person.pin_hash),
        "year": 2023,
        "code": "VB",
        "lang": language,
        "fmt": "csv" if name == "lmi-open-table" else "html",
        "message_id": w.message.pk,
        "interest_id": w.jarva.place_interests.get().pk,
        "secret": "not-a-real-link",
        "month": "2023-12",
        "release": "latest",
        "table": "lmi_hires",
    }


def routes():
    """(route, name) of every URL pattern but the SKIPPED ones."""
    for route, pattern in url_patterns():
        if not any(route.startswith(skipped) for skipped in SKIPPED):
            yield route.lstrip("^").rstrip("$"), pattern.name


def forms_of(html: str) -> list[tuple[str, list[str]]]:
    """(action, field names) of each POST form of the page's content (not the header's)."""
    main = html.split("<main", 1)[-1]
    found = []
    for m in re.finditer(r'<form[^>]*method="post"[^>]*>(.*?)</form>', main, re.S | re.I):
        action = re.search(r'action="([^"]*)"', m[0])
        names = re.findall(r'name="([^"]+)"', m[1])
        found.append((action[1] if action else "", [n for n in names if n != "csrfmiddlewaretoken"]))
    return found


BAD = {"identity_number": "19850315-1234", "person": "19850315-1234", "org_number": "12345", "q": "x"}


def invalid(names: list[str]) -> dict:
    """Input that breaks every rule it can: a wrong identity number, dates and numbers that are
    not, and nothing where something is required."""
    data = {}
    for n in names:
        field = n.rsplit("-", 1)[-1]  # without the form's prefix
        if field in BAD:
            data[n] = BAD[field]
        elif "date" in field or field in ("since", "until"):
            data[n] = "31.02.2024"
        elif field in ("score", "months", "hours", "year"):
            data[n] = "mycket"
    return data


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_page_and_form_is_in_the_users_language(full_world, client, language, settings):
    own_words = words_of(language)
    english, codes = foreign_messages(language, own_words), raw_codes(own_words)
    memo: dict[str, list[str]] = {}  # problems(): each text's problems, found once
    # the lists are what they say (in English "woman" and "work" are words of the page's language)
    assert len(english) > 300 and {"jt-jarva", "forsorjningsstod"} <= codes
    assert language == "en" or {"woman", "work"} <= codes
    found: dict[str, list[str]] = {}
    opened: set[str] = set()
    every = list(routes())
    assert every, "no routes found"
    anonymous = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=language)
    wrong = client.post("/accounts/login/", {"username": "anna", "password": "fel"}, HTTP_ACCEPT_LANGUAGE=language)
    for where, response in (("GET /accounts/login/", anonymous), ("POST /accounts/login/", wrong)):
        assert response.status_code == 200
        if ps := problems(response.content.decode(), english, codes, language, memo=memo):
            found[f"anonymous {where}"] = ps
    opened.add("login")

    def walk(user: str, every) -> None:
        urls = [
            (fill(route, ids(full_world, user, name, language)) + QUERIES.get(name, "").replace("LANG", language), name)
            for route, name in every
        ]
        for url, name in urls:
            response = client.get(url)
            if response.status_code in (200, 302, 405):  # a download, a way to a page (results-person), or
                opened.add(name)  # an action only sent from another page's form (405: checked with that form)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            html = response.content.decode()
            for p in problems(html, english, codes, language, memo=memo):
                found.setdefault(f"{user} GET {url}", []).append(p)
            for action, names in forms_of(html):
                target = action or url.split("?")[0]
                if target in ("/language/", "/accounts/logout/", "/portal/language/", "/portal/sign-out/"):
                    continue
                answer = client.post(target, invalid(names))
                if answer.status_code >= 500:
                    found.setdefault(f"{user} POST {target}", []).append(f"status {answer.status_code}")
                if "html" in answer.get("Content-Type", "") and answer.status_code in (200, 400, 422):
                    for p in problems(answer.content.decode(), english, codes, language, memo=memo):
                        found.setdefault(f"{user} POST {target}", []).append(p)

    for user in USERS:
        assert client.login(username=user, password=PASSWORD)
        client.post("/language/", {"language": language})
        walk(user, every)
        client.logout()
    # the participant portal, as the participant Jarva (signed in with a one-time link)
    from pestrack.records.portal.signin import create_link

    settings.PESTRACK_PORTAL_LINKS = True
    client.post("/portal/language/", {"language": language})
    sign_in_page = client.get("/portal/sign-in/")
    if ps := problems(sign_in_page.content.decode(), english, codes, language, memo=memo):
        found["anonymous GET /portal/sign-in/"] = ps
    assert client.post(f"/portal/link/{create_link(full_world.jarva)}/").status_code == 302
    walk("participant", [(route, name) for route, name in every if route.startswith("portal/")])
    client.post("/portal/sign-out/")
    never = {name for _route, name in every} - opened - {None}
    report = "\n".join(f"{where}:\n  " + "\n  ".join(sorted(set(ps))) for where, ps in sorted(found.items()))
    assert not found and not never, (
        f"pages no user could open (give them ids or a user): {sorted(never)}\n"
        f"{len(found)} pages with the other language or raw codes:\n{report}"
    )


@pytest.mark.django_db
def test_identity_number_errors_are_swedish(world, login):
    """Each way an identity number is wrong, said in Swedish on the new-person form."""
    client = login("anna")
    client.post("/language/", {"language": "sv"})
    for number, message in [
        ("1985-03-15", "är inte på formen ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN"),
        ("19850230-1234", "är inget datum"),
        ("20991231-1234", "ligger i framtiden"),
        ("19850315-1234", "kontrollsiffran är fel"),
        ("19850315+1234", "används bara med tvåsiffrigt år"),
    ]:
        response = client.post("/persons/new/", {"person-identity_number": number, "person-first_name": "Test"})
        assert response.status_code == 422
        assert message in response.content.decode(), number


def test_one_english_message_has_one_translation():
    """Django merges the catalogues, and one translation of a message wins everywhere: the same
    English text with two Swedish translations shows the wrong one somewhere (the model card's
    "Measure" as a statistic turned every measure into "Mått"). A message that means something else
    in one place needs a context (pgettext)."""
    seen: dict[str, set[str]] = {}
    root = Path(pestrack.__file__).parent
    for po in root.rglob("locale/sv/LC_MESSAGES/django.po"):
        for block in re.split(r"\n\s*\n", po.read_text(encoding="utf-8")):
            if "msgid_plural" in block or block.lstrip().startswith("#~"):
                continue  # plural forms translate one message two ways by design
            for msgid, msgstr in _entries(block):
                if msgstr:
                    seen.setdefault(msgid, set()).add(msgstr)
    assert {k: v for k, v in seen.items() if len(v) > 1} == {}
