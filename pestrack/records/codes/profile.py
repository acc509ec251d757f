"""Read a profile (profiles/<name>/: profile.yaml, org_units.yaml, codes.yaml) and load it into the database.

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

from pestrack.records import yaml_files
from pestrack.records.codes.models import Code, ProfileSetting
from pestrack.records.org.models import OrgUnit

LINE = "__line__"
REQUIRED_LISTS = (
    "programme",
    "target_group",
    "entry_route",
    "exit_reason",
    "measure",
    "instrument",
    "education_level",
    "place_type",
    "provider_type",
    "referring_body",
)
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
        return yaml_files.parse(path.read_text(encoding="utf-8"), _LineLoader)
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


def default_profile() -> str:
    """The configured profile (PESTRACK_PROFILE, else the one profiles/DEFAULT names)."""
    return settings.PESTRACK_PROFILE


def profile_dir(name: str | Path | None) -> Path:
    """A profile folder: a path, or a name under PESTRACK_PROFILES_DIR; None: the configured profile."""
    if name is None:
        name = settings.PESTRACK_PROFILE
    path = Path(name)
    if path.is_dir():
        return path
    path = Path(settings.PESTRACK_PROFILES_DIR) / name
    if not path.is_dir():
        raise ProfileError(f"no profile named {name!r} in {settings.PESTRACK_PROFILES_DIR}")
    return path


@dataclass
class ProfileData:
    """A profile read and checked from its files, before (or without) any database."""

    root: Path
    settings: dict  # ProfileSetting key -> value
    units: list[dict]  # code, name, kind, parent (None or a code), line; parents first
    codes: dict[str, list[dict]]  # list name -> code, name_sv, name_en, description, rules, sort_order
    org_path: Path

    @property
    def home_municipality(self) -> str:
        return self.settings["home_municipality"]

    def code_objects(self) -> dict[tuple[str, str], Code]:
        """(list, code) -> an unsaved Code: what the business rules and the generator need, no database."""
        return {(name, c["code"]): Code(list=name, **c) for name, entries in self.codes.items() for c in entries}

    def unit_paths(self) -> dict[str, str]:
        """Unit code -> materialised path as OrgUnit.save makes it (/stockholm/amf/jobbtorg/)."""
        paths: dict[str, str] = {}
        for u in self.units:
            if u["parent"] and u["parent"] not in paths:
                raise _unknown_parent(self.org_path, u)
            paths[u["code"]] = (paths[u["parent"]] if u["parent"] else "/") + u["code"] + "/"
        return paths


def _unknown_parent(org_path: Path, unit: dict) -> ProfileError:
    return ProfileError(
        f"{org_path}:{unit['line']}: unit {unit['code']}: parent {unit['parent']!r} is not defined above it"
    )


def read_profile(name: str | None) -> ProfileData:
    """Read and check profile.yaml, org_units.yaml and codes.yaml; every error names file and line."""
    root = profile_dir(name)
    meta_path, org_path, codes_path = root / "profile.yaml", root / "org_units.yaml", root / "codes.yaml"
    meta, units, lists = _read(meta_path), _read(org_path), _read(codes_path)

    home = str(_need(meta, "home_municipality", meta_path, "the profile"))
    retention = _need(meta, "retention", meta_path, "the profile")
    for key in ("person_records_years", "access_log_years"):
        value = _need(retention, key, meta_path, "retention")
        if not isinstance(value, int) or value <= 0:
            raise ProfileError(
                f"{meta_path}:{retention[LINE]}: retention.{key} must be a positive whole number of years"
            )
    if retention["access_log_years"] < MIN_ACCESS_LOG_YEARS:
        raise ProfileError(
            f"{meta_path}:{retention[LINE]}: retention.access_log_years must be at least "
            f"{MIN_ACCESS_LOG_YEARS} (the database keeps log entries that long)"
        )

    age_bands = (meta.get("analytics") or {}).get("age_bands")
    if age_bands is not None:
        line = meta["analytics"][LINE]
        if not isinstance(age_bands, list) or not all(
            isinstance(b, str) and re.fullmatch(r"\d+-(\d+)?", b) for b in age_bands
        ):
            raise ProfileError(
                f'{meta_path}:{line}: analytics.age_bands must be a list of "low-high" or "low-" strings'
            )
    worklist = _worklist_settings(meta.get("worklist"), meta_path)
    notifications = _notification_settings(meta.get("notifications"), meta_path)
    portal = _portal_settings(meta.get("portal"), meta_path)
    if not isinstance(lists, dict):
        raise ProfileError(f"{codes_path}: must be a mapping of list name to codes")
    for required in REQUIRED_LISTS:
        if required not in lists:
            raise ProfileError(f"{codes_path}: the code list '{required}' is missing")
    if not isinstance(units, list):
        raise ProfileError(f"{org_path}: must be a list of organisation units")

    kinds = set(OrgUnit.Kind.values)
    unit_rows = []
    for item in units:
        code = str(_need(item, "code", org_path, "a unit"))
        kind = _need(item, "kind", org_path, f"unit {code}")
        if kind not in kinds:
            raise ProfileError(f"{org_path}:{item[LINE]}: unit {code}: kind {kind!r} is not one of {sorted(kinds)}")
        unit_rows.append(
            {
                "code": code,
                "name": _need(item, "name", org_path, f"unit {code}"),
                "kind": kind,
                "parent": item.get("parent") or None,
                "line": item[LINE],
            }
        )

    code_rows: dict[str, list[dict]] = {}
    for list_name, entries in lists.items():
        if list_name == LINE:
            continue
        if not isinstance(entries, list):
            raise ProfileError(f"{codes_path}: list '{list_name}' must be a sequence of codes")
        code_rows[list_name] = []
        for order, item in enumerate(entries):
            code = str(_need(item, "code", codes_path, f"an entry of '{list_name}'"))
            rules = item.get("rules") or {}
            if not isinstance(rules, dict):
                raise ProfileError(f"{codes_path}:{item[LINE]}: {list_name}.{code}: rules must be a mapping")
            code_rows[list_name].append(
                {
                    "code": code,
                    "name_sv": _need(item, "sv", codes_path, f"{list_name}.{code}"),
                    "name_en": _need(item, "en", codes_path, f"{list_name}.{code}"),
                    "description": item.get("description", ""),
                    "rules": _clean(rules),
                    "sort_order": order,
                }
            )

    settings_values = {
        "profile": meta.get("id", root.name),
        "home_municipality": home,
        "retention": _clean(retention),
        "name": _clean(meta.get("name", {})),
        "age_bands": age_bands,
        "worklist": worklist,
        "notifications": notifications,
        "portal": portal,
        "demo": _demo_settings(meta.get("demo"), meta_path, {u["code"] for u in unit_rows}, code_rows),
    }
    return ProfileData(root, settings_values, unit_rows, code_rows, org_path)


DEMO_ROLES = ("caseworker", "unit_manager", "analyst", "employer_relations", "dpo", "admin")
DEMO_CODES = {  # demo.enrolment key -> code list
    "programme": "programme",
    "target_group": "target_group",
    "entry_route": "entry_route",
    "exit_reason": "exit_reason",
    "measure": "measure",
}


def _demo_settings(section, meta_path: Path, units: set[str], codes: dict[str, list[dict]]) -> dict:
    """The demo's settings (``demo:`` in profile.yaml): its users with their units, the codes of its
    fixed records and of the small sample; every unit and code must be the profile's own. A profile
    without a demo section has no demo users (``pestrack demo`` says so)."""
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise ProfileError(f"{meta_path}: demo must be a mapping (users, enrolment, places, sample)")
    line = section.get(LINE, "?")
    known = {name: {c["code"] for c in entries} for name, entries in codes.items()}

    def code(lst: str, value, where) -> None:
        if str(value) not in known.get(lst, set()):
            raise ProfileError(f"{meta_path}:{where}: demo: {value!r} is not a code of the list {lst!r} in codes.yaml")

    users = section.get("users") or []
    if not isinstance(users, list):
        raise ProfileError(f"{meta_path}:{line}: demo.users must be a list of {{username, role, unit}}")
    for u in users:
        where = u.get(LINE, line) if isinstance(u, dict) else line
        if not isinstance(u, dict) or not all(u.get(k) for k in ("username", "role", "unit")):
            raise ProfileError(f"{meta_path}:{where}: each of demo.users needs a username, a role and a unit")
        if u["role"] not in DEMO_ROLES:
            raise ProfileError(
                f"{meta_path}:{where}: demo user {u['username']}: role {u['role']!r} is not one of {', '.join(DEMO_ROLES)}"
            )
        if u["unit"] not in units:
            raise ProfileError(
                f"{meta_path}:{where}: demo user {u['username']}: unit {u['unit']!r} is not in org_units.yaml"
            )
    enrolment = section.get("enrolment") or {}
    for key, lst in DEMO_CODES.items():
        if key not in enrolment:
            raise ProfileError(f"{meta_path}:{line}: demo.enrolment has no '{key}'")
        code(lst, enrolment[key], enrolment.get(LINE, line))
    for place in section.get("places") or []:
        code("place_type", place.get("kind"), place.get(LINE, line))
    sample = section.get("sample")
    if sample is not None:
        where = sample.get(LINE, line)
        sample = _clean(sample)
        for g in [*sample.get("groups", []), *sample.get("ages", {}), *sample.get("routes", {})]:
            code("target_group", g, where)
        for r in [*sample.get("routes", {}).values(), sample.get("default_route")]:
            code("entry_route", r, where)
        for r in sample.get("exit_reasons", []):
            code("exit_reason", r, where)
        for m in sample.get("measures", []):
            code("measure", m, where)
        for o in sample.get("not_offices", []):
            if o not in units:
                raise ProfileError(f"{meta_path}:{where}: demo.sample.not_offices: {o!r} is not in org_units.yaml")
    return _clean(section)


WORKLIST_DEFAULTS = {"followup_months": [3, 6, 12], "followup_window_days": 90, "inactive_days": 30}


def _worklist_settings(section, meta_path: Path) -> dict:
    """The work list's settings (``worklist:`` in profile.yaml), the defaults where it is silent.
    ``followup_window_days`` may be null: a follow-up then stays due until it is recorded."""
    if section is None:
        return dict(WORKLIST_DEFAULTS)
    line = section.get(LINE, "?") if isinstance(section, dict) else "?"
    if not isinstance(section, dict):
        raise ProfileError(
            f"{meta_path}: worklist must be a mapping (followup_months, followup_window_days, inactive_days)"
        )
    months = section.get("followup_months", WORKLIST_DEFAULTS["followup_months"])
    if (
        not isinstance(months, list)
        or not months
        or not all(isinstance(m, int) and not isinstance(m, bool) and 0 < m <= 120 for m in months)
    ):
        raise ProfileError(
            f"{meta_path}:{line}: worklist.followup_months must be a list of whole numbers "
            "of months from 1 to 120, e.g. [3, 6, 12]"
        )
    values = {"followup_months": sorted(set(months))}
    for key in ("followup_window_days", "inactive_days"):
        days = section.get(key, WORKLIST_DEFAULTS[key])
        if key == "followup_window_days" and days is None:
            values[key] = None  # a follow-up never lapses
        elif not isinstance(days, int) or isinstance(days, bool) or days <= 0:
            raise ProfileError(f"{meta_path}:{line}: worklist.{key} must be a positive whole number of days")
        else:
            values[key] = days
    return values


NOTIFICATION_DEFAULTS = {
    "meeting_days_before": 1,
    "plan_review_days_before": 7,
    "default_channels": ["email", "sms"],
    "max_attempts": 5,
}
NOTIFICATION_CHANNELS = ("email", "sms")


def _notification_settings(section, meta_path: Path) -> dict:
    """The reminders' settings (``notifications:`` in profile.yaml, docs/notifications.md), the
    defaults where it is silent. A lead time of null sends no reminder of that kind."""
    if section is None:
        return dict(NOTIFICATION_DEFAULTS)
    if not isinstance(section, dict):
        raise ProfileError(
            f"{meta_path}: notifications must be a mapping (meeting_days_before, plan_review_days_before, "
            "default_channels, max_attempts)"
        )
    line = section.get(LINE, "?")
    values = {}
    for key in ("meeting_days_before", "plan_review_days_before"):
        days = section.get(key, NOTIFICATION_DEFAULTS[key])
        if days is not None and (not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 60):
            raise ProfileError(
                f"{meta_path}:{line}: notifications.{key} must be a whole number of days from 0 to 60 (or null: none)"
            )
        values[key] = days
    channels = section.get("default_channels", NOTIFICATION_DEFAULTS["default_channels"])
    if not isinstance(channels, list) or not set(channels) <= set(NOTIFICATION_CHANNELS):
        raise ProfileError(
            f"{meta_path}:{line}: notifications.default_channels must be a list of email and sms (or [] for none)"
        )
    values["default_channels"] = [c for c in NOTIFICATION_CHANNELS if c in channels]
    attempts = section.get("max_attempts", NOTIFICATION_DEFAULTS["max_attempts"])
    if not isinstance(attempts, int) or isinstance(attempts, bool) or not 1 <= attempts <= 100:
        raise ProfileError(f"{meta_path}:{line}: notifications.max_attempts must be a whole number from 1 to 100")
    values["max_attempts"] = attempts
    return values


def notification_settings() -> dict:
    """The loaded profile's reminder settings, the defaults for any it lacks."""
    return {**NOTIFICATION_DEFAULTS, **(ProfileSetting.get("notifications") or {})}


def _portal_settings(section, meta_path: Path) -> dict:
    """The participant portal's settings (``portal:`` in profile.yaml): whether participants see the
    names of the staff who read their record, and the languages beyond Swedish and English, each
    ``{code, name, rtl}`` with its translations in the profile's ``locale/CODE/LC_MESSAGES``."""
    if section is None:
        return {"show_staff_names": False, "languages": []}
    if not isinstance(section, dict):
        raise ProfileError(f"{meta_path}: portal must be a mapping (show_staff_names, languages)")
    line = section.get(LINE, "?")
    show = section.get("show_staff_names", False)
    if not isinstance(show, bool):
        raise ProfileError(f"{meta_path}:{line}: portal.show_staff_names must be true or false")
    languages = section.get("languages") or []
    if not isinstance(languages, list):
        raise ProfileError(f"{meta_path}:{line}: portal.languages must be a list of {{code, name, rtl}}")
    out = []
    for item in languages:
        if (
            not isinstance(item, dict)
            or not re.fullmatch(r"[a-z]{2,3}", str(item.get("code", "")))
            or not item.get("name")
        ):
            raise ProfileError(
                f"{meta_path}:{line}: each of portal.languages needs a code (two or three lower-case letters) and a name"
            )
        out.append({"code": item["code"], "name": str(item["name"]), "rtl": bool(item.get("rtl", False))})
    return {"show_staff_names": show, "languages": out}


def load_profile(name: str | None) -> LoadResult:
    data = read_profile(name)
    with transaction.atomic():
        for key, value in data.settings.items():
            ProfileSetting.objects.update_or_create(key=key, defaults={"value": value})

        seen_units: dict[str, OrgUnit] = {u.code: u for u in OrgUnit.objects.all()}
        for item in data.units:
            parent = None
            if item["parent"]:
                parent = seen_units.get(item["parent"])
                if parent is None:
                    raise _unknown_parent(data.org_path, item)
            unit = seen_units.get(item["code"]) or OrgUnit(code=item["code"])
            unit.name, unit.kind, unit.parent = item["name"], item["kind"], parent
            unit.save()
            seen_units[item["code"]] = unit

        n_codes = 0
        for list_name, entries in data.codes.items():
            for c in entries:
                Code.objects.update_or_create(
                    list=list_name,
                    code=c["code"],
                    defaults={**{k: v for k, v in c.items() if k != "code"}, "active": True},
                )
                n_codes += 1
            Code.objects.filter(list=list_name).exclude(code__in=[c["code"] for c in entries]).update(active=False)
    return LoadResult(codes=n_codes, units=len(data.units))


def home_municipality() -> str:
    return ProfileSetting.get("home_municipality", "")


_WORKLIST_CACHE: dict = {}
_WORKLIST_TTL = 60.0  # seconds: a profile loaded by another process is seen within a minute


def worklist_setting(key: str):
    """``followup_months``, ``followup_window_days`` or ``inactive_days`` of the loaded profile (its
    defaults where it has none).

    Read on every work-list page: all are fetched in one query and kept a minute in the process
    (and dropped at once when this process writes a setting, see ``forget_worklist_settings``)."""
    import time

    now = time.monotonic()
    if not _WORKLIST_CACHE or now - _WORKLIST_CACHE["at"] > _WORKLIST_TTL:
        values = ProfileSetting.objects.filter(key="worklist").values_list("value", flat=True).first() or {}
        _WORKLIST_CACHE.update({**WORKLIST_DEFAULTS, **values, "at": now})
    return _WORKLIST_CACHE[key]


def worklist_settings() -> tuple:
    """Every work-list setting, as (key, value) pairs (what the compiled work-list queries depend on)."""
    worklist_setting("inactive_days")
    return tuple((k, repr(v)) for k, v in sorted(_WORKLIST_CACHE.items()) if k != "at")


def forget_worklist_settings(**kwargs) -> None:
    _WORKLIST_CACHE.clear()


def retention_years(key: str) -> int:
    return int((ProfileSetting.get("retention") or {})[key])
