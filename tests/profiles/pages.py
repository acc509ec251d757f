"""Run by tests/profiles/test_whole_chain.py in a fresh process, on the database and analytics tables
the chain made (PESTRACK_DATABASE_URL, PESTRACK_ANALYTICS_DIR, PESTRACK_PROFILE): each demo user of
the profile opens the main staff pages. Prints one JSON line: {page: [status, text of the page]}."""

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


def main() -> None:
    out = {}
    users = {role: name for name, role, _unit in demo_users()}
    for role, pages in {
        "caseworker": ["/caseload/", "/worklist/", "PERSON"],
        "unit_manager": ["/caseload/team/", "/results/"],
        "analyst": ["/results/"],
    }.items():
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        user = get_user_model().objects.get(username=users[role])
        client.force_login(user)
        for page in pages:
            if page == "PERSON":
                enrolment = Enrolment.objects.filter(caseworker=user).order_by("pk").first()
                page = f"/persons/{enrolment.person_id}/"
            r = client.get(page, follow=True)
            out[f"{role} {page}"] = [r.status_code, text(r)]
    print(json.dumps(out))


main()
