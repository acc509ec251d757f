"""bench/web.py keeps working: its simulated staff pass the password policy (a password the policy
found too like some of the user names stopped the benchmark after a 15-minute set-up)."""

from __future__ import annotations

import sys
from pathlib import Path

from pestrack.records.org.users import set_password

ROOT = Path(__file__).resolve().parents[2]


def test_every_benchmark_user_gets_a_password_the_policy_accepts():
    from django.contrib.auth.models import User

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import web as bench  # bench/web.py
    finally:
        sys.path.remove(str(ROOT / "bench"))
    names = [f"bench-cw-{i:03d}" for i in range(200)] + [f"bench-mgr-{i:02d}" for i in range(20)]
    for name in names:
        set_password(User(username=name), bench.PASSWORD)  # raises ValueError naming the reason
