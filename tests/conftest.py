"""Test set-up shared by the whole suite.

The suite runs twice (see dev.py): on SQLite, and the database tests again on PostgreSQL when
PESTRACK_DATABASE_URL points at one. Tests marked ``postgres`` run only in the second pass. When
no PostgreSQL answers, the database tests of that pass are skipped with the reason, unless
PESTRACK_REQUIRE_POSTGRES=1 (CI), where that is an error.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from hypothesis import settings as hypothesis_settings

# No per-example time limit: CI runs two test passes on two cores, and a slow example there is not a failure.
hypothesis_settings.register_profile("pestrack", deadline=None)
hypothesis_settings.load_profile("pestrack")


def _is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def _postgres_unreachable() -> str | None:
    import psycopg

    db = settings.DATABASES["default"]
    try:
        psycopg.connect(
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            user=db["USER"] or None,
            password=db["PASSWORD"] or None,
            dbname=db["NAME"] or "postgres",
            connect_timeout=3,
        ).close()
    except Exception as exc:  # any failure to connect means: not reachable here
        return f"PostgreSQL at {db['HOST']}:{db['PORT'] or 5432} is not reachable ({str(exc).strip().splitlines()[0]})"
    return None


def pytest_collection_modifyitems(config, items):
    if not _is_postgres():
        skip = pytest.mark.skip(reason="needs PostgreSQL: runs in the PostgreSQL pass of `python3 dev.py test`")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)
        return
    reason = _postgres_unreachable()
    if reason is None:
        return
    if os.environ.get("PESTRACK_REQUIRE_POSTGRES") == "1":
        raise pytest.UsageError(reason + " and PESTRACK_REQUIRE_POSTGRES=1")
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "django_db" in item.keywords or "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def own_postgres_database():
    """A PostgreSQL database of the test's own on the configured server, dropped afterwards: yields
    (url, psycopg connection arguments for it)."""
    import psycopg

    db = settings.DATABASES["default"]
    name = f"pestrack_own_{os.getpid()}"
    admin = dict(
        host=db["HOST"],
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{name}", {**admin, "dbname": name}
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def own_database_url(request, tmp_path):
    """The URL of an empty database of the test's own, of the kind the suite runs on (an SQLite file,
    or a PostgreSQL database created and dropped around the test)."""
    if not _is_postgres():
        yield f"sqlite:///{tmp_path / 'own.sqlite3'}"
        return
    url, _ = request.getfixturevalue("own_postgres_database")
    yield url


@pytest.fixture
def profile(db):
    """The Stockholm profile loaded into the test database."""
    from pestrack.records.codes.profile import load_profile

    load_profile("stockholm")
    return "stockholm"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Passwords hashed with MD5 in tests: Argon2, the configured hasher, takes 0.2 s a hash, and
    the suite makes users and logs them in thousands of times. tests/web/test_security.py checks
    Argon2 with the configured hashers."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def english(settings):
    """Tests read messages in English unless they switch language themselves (Swedish is the
    default of the Stockholm deployment; tests that check Swedish override it)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def documents_dir(settings, tmp_path):
    """Each test stores documents (records.documents) in a folder of its own."""
    settings.PESTRACK_DOCUMENTS_DIR = tmp_path / "documents"
    return settings.PESTRACK_DOCUMENTS_DIR
