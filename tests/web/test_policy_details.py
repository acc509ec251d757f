"""Details of the access policy: list order of protected identities, client address behind a proxy."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from pestrack.records import access
from tests.web.conftest import log_entries, make_person


@pytest.mark.django_db
def test_protected_persons_are_listed_last_not_by_their_real_name(world, login):
    from django.contrib.auth.models import User

    make_person("Aaron", "Aardvark", "jt-jarva", protected=True, serial=201)  # would sort first by name
    make_person("Bo", "Berg", "jt-jarva", serial=202)
    anna = User.objects.get(username="anna")
    order = [(p.protected_identity, p.last_name) for p in access.persons_visible_to(anna)]
    assert [prot for prot, _ in order] == sorted(prot for prot, _ in order)  # unprotected first
    shown = [name for prot, name in order if not prot]
    assert shown == sorted(shown)
    protected_ids = [p.pk for p in access.persons_visible_to(anna) if p.protected_identity]
    assert protected_ids == sorted(protected_ids)  # by id, not by name


@pytest.mark.parametrize(
    "proxies, forwarded, expected",
    [
        (0, "203.0.113.9", "10.0.0.2"),  # no trusted proxy: the header is ignored (it can be forged)
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # a forged first hop does not count
        (2, "203.0.113.9", "10.0.0.2"),  # fewer hops than proxies: fall back to the peer
    ],
)
def test_client_address_trusts_only_the_configured_proxies(settings, proxies, forwarded, expected):
    settings.PESTRACK_TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert access.client_address(request) == expected


@pytest.mark.django_db
def test_the_access_log_records_the_forwarded_client_address(world, login, settings):
    settings.PESTRACK_TRUSTED_PROXIES = 1
    login("anna").get(f"/persons/{world.jarva.pk}/", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert log_entries(actor="anna", person_id=world.jarva.pk, action="read", source="203.0.113.7").exists()
