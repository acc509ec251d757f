"""What the package needs at run time goes into the built package: every data file under pestrack/
is matched by a package-data pattern of pyproject.toml (the bundled ESCO vocabulary was not, so an
installed, not editable, pestrack could not match)."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _package_of(path: Path) -> Path:
    """The nearest folder with an __init__.py: setuptools' package-data patterns are relative to it."""
    folder = path.parent
    while not (folder / "__init__.py").exists():
        folder = folder.parent
    return folder


def test_every_data_file_is_in_the_package_data():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    missing = []
    for path in (ROOT / "pestrack").rglob("*"):
        if path.is_dir() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
            continue
        relative = path.relative_to(_package_of(path)).as_posix()
        if not any(fnmatch.fnmatch(relative, p) for p in patterns):
            missing.append(path.relative_to(ROOT).as_posix())
    assert missing == [], f"not in [tool.setuptools.package-data] of pyproject.toml: {missing}"
