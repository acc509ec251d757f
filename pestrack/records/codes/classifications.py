"""The versioned code lists contract events are coded in (profiles/<name>/lmi/classifications.yaml):
SNI 2007 sections, SSYK 2012 major groups, contract types, subsidies, termination reasons and
workplace municipalities. An event is checked against the version valid on its event date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pestrack.records.codes.profile import LINE, ProfileError, _read, profile_dir

FILE = Path("lmi") / "classifications.yaml"
LISTS = ("sector", "occupation_group", "contract_type", "subsidy", "termination_reason", "municipality")


@dataclass(frozen=True)
class Version:
    version: str
    valid_from: dt.date
    labels: dict[str, dict[str, str]]  # code -> {"sv": ..., "en": ...}
    divisions: dict[str, str] = field(default_factory=dict)  # sector: two-digit division -> section


@dataclass(frozen=True)
class Classification:
    name: str
    title: str
    versions: tuple[Version, ...]  # by valid_from

    def at(self, day: dt.date) -> Version | None:
        """The version valid on ``day`` (None before the first)."""
        found = None
        for v in self.versions:
            if v.valid_from <= day:
                found = v
        return found

    def codes(self, day: dt.date) -> frozenset[str]:
        v = self.at(day)
        return frozenset(v.labels) if v else frozenset()

    def label(self, code: str, lang: str = "sv") -> str:
        """The code's name in the newest version that has it (the code itself when none has)."""
        for v in reversed(self.versions):
            if code in v.labels:
                return v.labels[code].get(lang) or code
        return code


def _divisions(text: str, where: str) -> list[str]:
    low, _, high = str(text).partition("-")
    try:
        first, last = int(low), int(high or low)
    except ValueError:
        raise ProfileError(f"{where}: divisions must be 'NN' or 'NN-NN', not {text!r}") from None
    return [f"{d:02d}" for d in range(first, last + 1)]


@dataclass(frozen=True)
class Classifications:
    path: Path
    lists: dict[str, Classification]

    def __getitem__(self, name: str) -> Classification:
        return self.lists[name]

    def section(self, sector_code: str, day: dt.date) -> str | None:
        """The SNI section of a sector code (its first two digits) valid on ``day``, or None."""
        v = self.lists["sector"].at(day)
        return v.divisions.get(sector_code[:2]) if v else None


@cache
def _load(path: Path) -> Classifications:
    data = _read(path) or {}
    lists = {}
    for name in LISTS:
        entry = data.get(name)
        if not isinstance(entry, dict) or not isinstance(entry.get("versions"), list) or not entry["versions"]:
            raise ProfileError(f"{path}: the code list {name!r} needs a list of versions")
        versions = []
        for v in entry["versions"]:
            where = f"{path}:{v.get(LINE, '?')}"
            if not isinstance(v.get("valid_from"), dt.date) or not v.get("codes"):
                raise ProfileError(f"{where}: {name}: a version needs valid_from (a date) and codes")
            labels, divisions = {}, {}
            for c in v["codes"]:
                code = str(c.get("code", ""))
                if not code or not c.get("sv") or not c.get("en"):
                    raise ProfileError(f"{path}:{c.get(LINE, '?')}: {name}: each code needs code, sv and en")
                labels[code] = {"sv": c["sv"], "en": c["en"]}
                if name == "sector":
                    for d in _divisions(c.get("divisions", ""), f"{path}:{c.get(LINE, '?')}"):
                        divisions[d] = code
            versions.append(Version(str(v.get("version", "")), v["valid_from"], labels, divisions))
        versions.sort(key=lambda x: x.valid_from)
        lists[name] = Classification(name, str(entry.get("classification", name)), tuple(versions))
    return Classifications(path, lists)


def load(profile: str | Path | None = None) -> Classifications:
    """The profile's classifications; ProfileError naming the file and line when one is malformed."""
    return _load(profile_dir(None if profile is None else str(profile)) / FILE)
