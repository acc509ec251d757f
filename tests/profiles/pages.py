"""Run by tests/profiles/test_whole_chain.py in a fresh process, on the database and analytics tables
the chain made (PESTRACK_DATABASE_URL, PESTRACK_ANALYTICS_DIR, PESTRACK_PROFILE): each demo user of
the profile opens the main staff pages, in English and in Swedish. Prints one JSON line:
{"pages": {page: [status, text of the English page]}, "language": {"LANG page": [problems]}}, the
problems as tests/web/test_swedish_everywhere.py finds them (a message or code name of the other
language, a raw code) on the page in the user's language LANG."""

from __future__ import annotations

import json
import os
import re

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pestrack.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402

from pestrack.records.casework.models import Enrolment  # noqa: E402
from pestrack.records.sample import demo_users  # noqa: E402


def text(response) -> str:
    body = response.content.decode("utf-8", "replace")
    return re.sub(r"<script.*?</script>|<style.*?</style>", " ", body, flags=re.S)


def written() -> frozenset[str]:
    """What staff wrote in the records (journal entries, plans, notes: the text fields of the records'
    models), as a page shows it: data in the writer's language, not words of the application (a
    demo's Swedish notes on an English page, an English plan on a Swedish one)."""
    from django.apps import apps
    from django.db import models

    out: set[str] = set()
    for model in apps.get_models():
        if not model.__module__.startswith("pestrack.records") or model._meta.app_label in ("codes", "org"):
            continue
        for f in model._meta.get_fields():
            if isinstance(f, models.TextField) and not f.choices:
                out |= {" ".join(v.split()) for v in model.objects.values_list(f.name, flat=True).distinct() if v}
    return frozenset(out)


def main() -> None:
    from tests.web.test_swedish_everywhere import foreign_messages, problems, raw_codes, words_of

    out: dict[str, list] = {}
    language: dict[str, list[str]] = {}
    users = {role: name for name, role, _unit in demo_users()}
    notes = written()
    for lang in ("en", "sv"):
        own_words = words_of(lang)
        foreign, codes = foreign_messages(lang, own_words), raw_codes(own_words)
        for role, pages in {
            "caseworker": ["/caseload/", "/worklist/", "PERSON"],
            "unit_manager": ["/caseload/team/", "/results/"],
            "analyst": ["/results/"],
        }.items():
            client = Client(HTTP_ACCEPT_LANGUAGE=lang)
            user = get_user_model().objects.get(username=users[role])
            client.force_login(user)
            client.post("/language/", {"language": lang})  # the user's own choice
            for page in pages:
                if page == "PERSON":
                    enrolment = Enrolment.objects.filter(caseworker=user).order_by("pk").first()
                    page = f"/persons/{enrolment.person_id}/"
                r = client.get(page, follow=True)
                if lang == "en":
                    out[f"{role} {page}"] = [r.status_code, text(r)]
                html = r.content.decode("utf-8", "replace")
                language[f"{lang} {role} {page}"] = [
                    f'lang="{lang}"' in html[:300],
                    *problems(html, foreign, codes, lang, notes),
                ]
    print(json.dumps({"pages": out, "language": language}))


main()
