"""Every module of pestrack can be imported on its own, whatever was imported before.

A circular import between two modules works when another module happens to import them in a
working order first, and fails for the user whose command imports them the other way round
(`pestrack allocate` crashed like that). The test imports each module afresh: in one process,
after Django's set-up, it forgets every pestrack module that the set-up did not load, then imports
the one module, so each import starts as a fresh command would."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import importlib, os, pkgutil, sys, traceback
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pestrack.settings")
    import django
    django.setup()
    import pestrack
    loaded = set(sys.modules)
    names = sorted(m.name for m in pkgutil.walk_packages(pestrack.__path__, "pestrack.")
                   if ".migrations" not in m.name and not m.name.startswith("pestrack.settings"))
    failed = []
    for name in names:
        for mod in [m for m in sys.modules if m.startswith("pestrack.") and m not in loaded]:
            del sys.modules[mod]
        try:
            importlib.import_module(name)
        except Exception:
            failed.append(name + ": " + traceback.format_exc(limit=1).strip().splitlines()[-1])
    print(f"imported {len(names)} modules")
    print("\\n".join(failed))
    sys.exit(1 if failed else 0)
""")


def test_every_module_imports_on_its_own():
    r = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "imported" in r.stdout
