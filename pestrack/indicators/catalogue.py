"""What a definition may refer to: the analytics tables with their column kinds, and the code values
each coded column may take. Read from pestrack/analytics/schema.py and the profile's YAML files
directly, so validating definitions never needs the records database."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import yaml

from pestrack.analytics.schema import TABLES

# Columns whose values are codes of a profile code list (codes.yaml), by column name.
CODE_LISTS = {
    "programme": "programme",
    "target_group": "target_group",
    "exit_reason": "exit_reason",
    "entry_route": "entry_route",
    "referring_body": "referring_body",
    "measure": "measure",
    "provider_type": "provider_type",
    "education_level": "education_level",
    "kind": "place_type",
}
ORG_UNIT_COLUMNS = ("org_unit", "referring_unit", "employer_org_unit")
AGE_BAND_COLUMNS = ("age_band_at_start", "age_band_at_exit", "age_band")


def kind_of(type_: pa.DataType) -> str:
    """The kind a filter checks types by: text, number, date or bool."""
    if pa.types.is_string(type_):
        return "text"
    if pa.types.is_date(type_):
        return "date"
    if pa.types.is_boolean(type_):
        return "bool"
    return "number"


@dataclass(frozen=True)
class ColumnInfo:
    kind: str
    nullable: bool
    codes: frozenset[str] | None = None  # the allowed values, when the column is coded


@dataclass
class Catalogue:
    tables: dict[str, dict[str, ColumnInfo]] = field(default_factory=dict)

    def column(self, table: str, name: str) -> ColumnInfo | None:
        return self.tables.get(table, {}).get(name)


def profiles_dir() -> Path:
    return Path(os.environ.get("PESTRACK_PROFILES_DIR", Path(__file__).resolve().parents[2] / "profiles"))


def profile_path(profile: str | Path | None) -> Path:
    """A profile folder, given as a path or as a name under PESTRACK_PROFILES_DIR; None: the configured
    profile (PESTRACK_PROFILE)."""
    if profile is None:
        from django.conf import settings

        profile = settings.PESTRACK_PROFILE
    path = Path(profile)
    if path.is_dir():
        return path
    path = profiles_dir() / str(profile)
    if not path.is_dir():
        raise FileNotFoundError(f"no profile named {str(profile)!r} in {profiles_dir()}")
    return path


def _text(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


def code_values(profile_dir: Path) -> dict[str, frozenset[str]]:
    """Allowed values per coded column, from codes.yaml, org_units.yaml and profile.yaml."""
    files = ("codes.yaml", "org_units.yaml", "profile.yaml")
    return dict(_code_values(*(_text(profile_dir / name) for name in files)))


@functools.lru_cache(maxsize=16)
def _code_values(codes: str | None, org_units: str | None, profile: str | None) -> dict[str, frozenset[str]]:
    """Parsed once per content of the three files: the results pages load the definitions, and with
    them this, several times a page, and parsing the YAML was most of it (a changed file is parsed
    again at once). The caller must not change the dict."""
    lists = _yaml(codes) or {}
    by_list = {name: frozenset(str(c["code"]) for c in entries or []) for name, entries in lists.items()}
    values = {col: by_list.get(lst, frozenset()) for col, lst in CODE_LISTS.items()}
    outcomes = {(c.get("rules") or {}).get("outcome", "other") for c in lists.get("exit_reason") or []}
    values["exit_outcome"] = frozenset(outcomes | {"other"})
    values["sex"] = frozenset({"woman", "man"})
    units = frozenset(str(u["code"]) for u in _yaml(org_units) or [])
    for col in ORG_UNIT_COLUMNS:
        values[col] = units
    meta = _yaml(profile) or {}
    bands = (meta.get("analytics") or {}).get("age_bands")
    if bands:
        for col in AGE_BAND_COLUMNS:
            values[col] = frozenset(bands) | {"unknown"}
    return values


def _yaml(text: str | None):
    return yaml.safe_load(text) if text is not None else None


def load_catalogue(profile_dir: Path) -> Catalogue:
    codes = code_values(profile_dir)
    return Catalogue(
        {
            t.name: {
                c.name: ColumnInfo(kind_of(c.type), c.nullable, frozenset(c.values) if c.values else codes.get(c.name))
                for c in t.columns
            }
            for t in TABLES
        }
    )


@dataclass(frozen=True)
class Dimension:
    """A breakdown the results offer for every indicator whose table has one of ``columns`` (the
    first one the table has is used), with its names in Swedish and English."""

    name: str
    columns: tuple[str, ...]
    label: dict[str, str]  # the column's heading: "Kön" / "Sex"
    title: dict[str, str]  # the breakdown's heading: "Efter kön" / "By sex"
    code_list: str | None = None  # the code list (codes.yaml) its values are codes of


# The breakdown dimensions of the results pages and the results API, declared here once.
DIMENSIONS = {
    d.name: d
    for d in (
        Dimension("sex", ("sex",), {"sv": "Kön", "en": "Sex"}, {"sv": "Efter kön", "en": "By sex"}),
        Dimension(
            "age_band",
            AGE_BAND_COLUMNS,
            {"sv": "Åldersgrupp", "en": "Age band"},
            {"sv": "Efter åldersgrupp", "en": "By age band"},
        ),
        Dimension(
            "target_group",
            ("target_group",),
            {"sv": "Målgrupp", "en": "Target group"},
            {"sv": "Efter målgrupp", "en": "By target group"},
            "target_group",
        ),
        Dimension(
            "org_unit",
            ("org_unit",),
            {"sv": "Enhet", "en": "Organisation unit"},
            {"sv": "Efter enhet", "en": "By organisation unit"},
        ),
        Dimension(
            "measure",
            ("measure",),
            {"sv": "Insats", "en": "Measure"},
            {"sv": "Efter insats", "en": "By measure"},
            "measure",
        ),
    )
}


def breakdown_columns(table: str | None) -> dict[str, str]:
    """Dimension name → the column of ``table`` that carries it, for the dimensions the table has
    (none for a reported indicator, which has no table)."""
    if table is None:
        return {}
    names = {c.name for t in TABLES if t.name == table for c in t.columns}
    out = {}
    for dim in DIMENSIONS.values():
        column = next((c for c in dim.columns if c in names), None)
        if column:
            out[dim.name] = column
    return out
