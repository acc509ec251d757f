"""Staff users: every password pestrack sets passes Django's password validators."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

pytestmark = pytest.mark.django_db


def cli(*args):
    from pestrack.cli import app

    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize("password", ["abc", "password1234", "kalle-svensson-1"])
def test_user_add_refuses_a_password_the_policy_refuses(profile, password):
    from django.contrib.auth.models import User

    result = cli("user-add", "kalle-svensson", "--role", "caseworker", "--unit", "jt-jarva", "--password", password)
    assert result.exit_code == 2, result.output
    assert "password refused" in result.output
    assert not User.objects.filter(username="kalle-svensson").exists()


def test_user_add_accepts_a_good_password_and_prints_a_random_one_when_none_is_given(profile):
    from django.contrib.auth.models import User

    ok = cli("user-add", "kalle", "--role", "caseworker", "--unit", "jt-jarva", "--password", "Vinter-Tallrik-57")
    assert ok.exit_code == 0, ok.output
    assert User.objects.get(username="kalle").check_password("Vinter-Tallrik-57")
    random = cli("user-add", "lisa", "--role", "analyst", "--unit", "jt-jarva")
    assert random.exit_code == 0 and "password " in random.output


def test_add_user_refuses_a_short_password_and_keeps_the_old_one(profile):
    from pestrack.records.org.users import add_user

    user = add_user("kalle", "caseworker", ["jt-jarva"], password="Vinter-Tallrik-57")
    with pytest.raises(ValueError, match="at least 12 characters"):
        add_user("kalle", "caseworker", ["jt-jarva"], password="kort")
    user.refresh_from_db()
    assert user.check_password("Vinter-Tallrik-57")
