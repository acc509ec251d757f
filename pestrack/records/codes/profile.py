"""Load a profile (profiles/<name>/: profile.yaml, org_units.yaml, codes.yaml) into the database.

Loading is idempotent: codes and units are matched by code and updated; codes no longer in the
profile are marked inactive, never deleted (records point at them). Every error names the file
and line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from pestrack.records.codes.models import Code, ProfileSetting
from pestrack.records.org.models import OrgUnit

LINE = "__line__"
REQUIRED_LISTS = ("programme", "target_group", "entry_route", "exit_reason", "measure", "instrument",
                  "education_level", "place_type", "provider_type", "referring_body")
MIN_ACCESS_LOG_YEARS = 2  # the PostgreSQL trigger refuses to delete younger log entries


class ProfileError(ValueError):
    pass


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping[LINE] = node.start_mark.line + 1
        return mapping


def _read(path: Path):
    if not path.exists():
        raise ProfileError(f"{path}: file is missing")
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not valid YAML: {exc}") from None


def _need(item: dict, key: str, path: Path, what: str):
    if key not in item or item[key] in (None, ""):
        raise ProfileError(f"{path}:{item.get(LINE, '?')}: {what} has no '{key}'")
    return item[key]


def _clean(d):
    if isinstance(d, dict):
        return {k: _clean(v) for k, v in d.items() if k != LINE}
    if isinstance(d, list):
        return [_clean(v) for v in d]
    return d


@dataclass
class LoadResult:
    codes: int
    units: int


def profile_dir(name: str) -> Path:
    path = Path(name)
    if path.is_dir():
        return path
    path = Path(settings.PESTRACK_PROFILES_DIR) / name
    if not path.is_dir():
        raise ProfileError(f"no profile named {name!r} in {settings.PESTRACK_PROFILES_DIR}")
    return path


def load_profile(name: str) -> LoadResult:
    root = profile_dir(name)
    meta_path, org_path, codes_path = root / "profile.yaml", root / "org_units.yaml", root / "codes.yaml"
    meta, units, lists = _read(meta_path), _read(org_path), _read(codes_path)

    home = str(_need(meta, "home_municipality", meta_path, "the profile"))
    retention = _need(meta, "retention", meta_path, "the profile")
    for key in ("person_records_years", "access_log_years"):
        value = _need(retention, key, meta_path, "retention")
        if not isinstance(value, int) or value <= 0:
            raise ProfileError(f"{meta_path}:{retention[LINE]}: retention.{key} must be a positive whole number of years")
    if retention["access_log_years"] < MIN_ACCESS_LOG_YEARS:
        raise ProfileError(f"{meta_path}:{retention[LINE]}: retention.access_log_years must be at least "
                           f"{MIN_ACCESS_LOG_YEARS} (the database keeps log entries that long)")

    age_bands = (meta.get("analytics") or {}).get("age_bands")
    if age_bands is not None:
        line = meta["analytics"][LINE]
        if not isinstance(age_bands, list) or not all(
                isinstance(b, str) and re.fullmatch(r"\d+-(\d+)?", b) for b in age_bands):
            raise ProfileError(f"{meta_path}:{line}: analytics.age_bands must be a list of \"low-high\" or \"low-\" strings")
    if not isinstance(lists, dict):
        raise ProfileError(f"{codes_path}: must be a mapping of list name to codes")
    for required in REQUIRED_LISTS:
        if required not in lists:
            raise ProfileError(f"{codes_path}: the code list '{required}' is missing")
    if not isinstance(units, list):
        raise ProfileError(f"{org_path}: must be a list of organisation units")

    with transaction.atomic():
        settings_values = {"profile": meta.get("id", root.name), "home_municipality": home,
                           "retention": _clean(retention), "name": _clean(meta.get("name", {})),
                           "age_bands": age_bands}
        for key, value in settings_values.items():
            ProfileSetting.objects.update_or_create(key=key, defaults={"value": value})

        seen_units: dict[str, OrgUnit] = {u.code: u for u in OrgUnit.objects.all()}
        kinds = set(OrgUnit.Kind.values)
        for item in units:
            code = str(_need(item, "code", org_path, "a unit"))
            kind = _need(item, "kind", org_path, f"unit {code}")
            if kind not in kinds:
                raise ProfileError(f"{org_path}:{item[LINE]}: unit {code}: kind {kind!r} is not one of {sorted(kinds)}")
            parent = None
            if item.get("parent"):
                parent = seen_units.get(item["parent"])
                if parent is None:
                    raise ProfileError(f"{org_path}:{item[LINE]}: unit {code}: parent {item['parent']!r} is not defined above it")
            unit = seen_units.get(code) or OrgUnit(code=code)
            unit.name, unit.kind, unit.parent = _need(item, "name", org_path, f"unit {code}"), kind, parent
            unit.save()
            seen_units[code] = unit

        n_codes = 0
        for list_name, entries in lists.items():
            if list_name == LINE:
                continue
            if not isinstance(entries, list):
                raise ProfileError(f"{codes_path}: list '{list_name}' must be a sequence of codes")
            keep = []
            for order, item in enumerate(entries):
                code = str(_need(item, "code", codes_path, f"an entry of '{list_name}'"))
                rules = item.get("rules") or {}
                if not isinstance(rules, dict):
                    raise ProfileError(f"{codes_path}:{item[LINE]}: {list_name}.{code}: rules must be a mapping")
                Code.objects.update_or_create(list=list_name, code=code, defaults={
                    "name_sv": _need(item, "sv", codes_path, f"{list_name}.{code}"),
                    "name_en": _need(item, "en", codes_path, f"{list_name}.{code}"),
                    "description": item.get("description", ""), "rules": _clean(rules), "active": True,
                    "sort_order": order,
                })
                keep.append(code)
                n_codes += 1
            Code.objects.filter(list=list_name).exclude(code__in=keep).update(active=False)
    return LoadResult(codes=n_codes, units=len(units))


def home_municipality() -> str:
    return ProfileSetting.get("home_municipality", "")


def retention_years(key: str) -> int:
    return int((ProfileSetting.get("retention") or {})[key])
