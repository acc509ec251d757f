"""The practice catalogue (docs/practices.md): the NET PES guide's 32 practices in
``profiles/_shared/practices.yaml``, extended by a profile's own ``profiles/NAME/practices.yaml``;
and a PES's self-assessment against them as a YAML file (export, import, and the file a
benchlearning package carries).

Every error names the file and the line. The catalogue is data: a practice is added by editing a
file, never Python code."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.utils.translation import gettext_lazy

from pestrack.records.codes.profile import LINE, ProfileError, _read

SHARED = "_shared"  # the folder under PESTRACK_PROFILES_DIR shared by every profile (not a profile)
FILE = "practices.yaml"
# The guide's four benchlearning areas (the PES Network's), in its order.
AREAS = {
    "activation": gettext_lazy("Sustainable activation and management of transitions"),
    "employers": gettext_lazy("Relations with employers"),
    "evidence": gettext_lazy("Evidence-based design and implementation of PES services"),
    "partnerships": gettext_lazy("Management of partnerships and stakeholders"),
}
TEXT_FIELDS = ("id", "name", "pes", "country", "area", "description", "results")
LIST_FIELDS = ("key_success_factors", "areas_for_improvement", "recommendations")
OPTIONAL = ("section",)
STATUSES = ("not_started", "partly", "in_place")


class PracticeError(ProfileError):
    """A practice file or self-assessment file that cannot be used (names the file and line)."""


@dataclass(frozen=True)
class Practice:
    id: str
    name: str
    pes: str
    country: str
    area: str
    description: str
    key_success_factors: tuple[str, ...]
    results: str
    areas_for_improvement: tuple[str, ...]
    recommendations: tuple[str, ...]
    section: str
    source: str  # the file it came from, and its line
    line: int

    @property
    def area_name(self) -> str:
        return str(AREAS[self.area])

    def text(self) -> str:
        """Everything a free-text search looks in."""
        return " ".join(
            [self.id, self.name, self.pes, self.country, self.description, self.results]
            + list(self.key_success_factors + self.areas_for_improvement + self.recommendations)
        )


def _practice(item, path: Path) -> Practice:
    if not isinstance(item, dict):
        raise PracticeError(f"{path}: each practice must be a mapping of fields, found {item!r}")
    where = f"{path}:{item.get(LINE, '?')}"
    unknown = sorted(set(item) - {LINE, *TEXT_FIELDS, *LIST_FIELDS, *OPTIONAL})
    if unknown:
        raise PracticeError(f"{where}: unknown field {unknown[0]!r} (fields: {', '.join(TEXT_FIELDS + LIST_FIELDS)})")
    for key in TEXT_FIELDS:
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            raise PracticeError(f"{where}: practice {item.get('id', '?')!r} has no {key!r} (a non-empty text)")
    for key in LIST_FIELDS:
        value = item.get(key)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            raise PracticeError(
                f"{where}: practice {item['id']!r} has no {key!r} (a non-empty list of non-empty texts)"
            )
    if item["area"] not in AREAS:
        raise PracticeError(
            f"{where}: practice {item['id']!r}: unknown area {item['area']!r} (one of {', '.join(AREAS)})"
        )
    text = {k: " ".join(item[k].split()) for k in TEXT_FIELDS}
    lists = {k: tuple(" ".join(v.split()) for v in item[k]) for k in LIST_FIELDS}
    return Practice(
        id=text["id"],
        name=text["name"],
        pes=text["pes"],
        country=text["country"],
        area=text["area"],
        description=text["description"],
        key_success_factors=lists["key_success_factors"],
        results=text["results"],
        areas_for_improvement=lists["areas_for_improvement"],
        recommendations=lists["recommendations"],
        section=str(item.get("section") or ""),
        source=str(path),
        line=item[LINE],
    )


def read_file(path: Path) -> list[Practice]:
    """The practices of one file, each checked (missing or empty field, unknown area or field)."""
    data = _read(Path(path))
    if not isinstance(data, list):
        raise PracticeError(f"{path}: a practice file is a list of practices")
    return [_practice(item, Path(path)) for item in data]


BUNDLED = Path(__file__).resolve().parents[2] / "profiles" / SHARED / FILE


def shared_file() -> Path:
    """The shared catalogue: PESTRACK_PROFILES_DIR/_shared/practices.yaml, or the one pestrack ships
    when the installation's profiles folder has none (it then holds only its own profile)."""
    configured = Path(settings.PESTRACK_PROFILES_DIR) / SHARED / FILE
    return configured if configured.exists() else BUNDLED


def profile_file(profile: str | None = None) -> Path:
    """The profile's own practice file (it may not exist: the shared catalogue is enough)."""
    from pestrack.records.codes.profile import profile_dir

    return profile_dir(profile or settings.PESTRACK_PROFILE) / FILE


_CACHE: dict[tuple, list[Practice]] = {}


def catalogue(profile: str | None = None) -> list[Practice]:
    """The shared practices and the profile's own, in file order. An id used twice is an error naming
    both places. Read once per change of the files."""
    paths = [shared_file(), profile_file(profile)]
    key = tuple((str(p), p.stat().st_mtime_ns if p.exists() else None) for p in paths)
    if key not in _CACHE:
        seen: dict[str, Practice] = {}
        for path in paths:
            if path == paths[1] and not path.exists():
                continue
            for p in read_file(path):
                if p.id in seen:
                    first = seen[p.id]
                    raise PracticeError(
                        f"{p.source}:{p.line}: practice id {p.id!r} is already used at {first.source}:{first.line}"
                    )
                seen[p.id] = p
        _CACHE.clear()
        _CACHE[key] = list(seen.values())
    return _CACHE[key]


def by_id(profile: str | None = None) -> dict[str, Practice]:
    return {p.id: p for p in catalogue(profile)}


# --- the self-assessment as a file ------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentRow:
    """One practice's self-assessment: status, notes, the PES's own measures that implement it."""

    practice: str
    status: str
    notes: str = ""
    measures: tuple[str, ...] = ()
    updated_by: str = ""
    updated_at: str = ""
    line: int | str = field(default="", compare=False)  # where it was read, for the importer's messages


def assessment_rows(unit) -> list[AssessmentRow]:
    """The unit's saved self-assessment (records.practices) as the rows the YAML file holds."""
    from pestrack.records.practices import rules

    return [
        AssessmentRow(
            practice=a.practice,
            status=a.status,
            notes=a.notes,
            measures=tuple(m.code for m in a.measures.all()),
            updated_by=a.updated_by.get_username() if a.updated_by else "",
            updated_at=a.updated_at.date().isoformat(),
        )
        for a in rules.assessments_of(unit).values()
    ]


def write_assessment(rows: list[AssessmentRow], *, pes: str, unit: str) -> str:
    """The YAML text of a self-assessment: practice id -> status, notes, measures (and who, when)."""
    body = {}
    for r in sorted(rows, key=lambda r: r.practice):
        entry: dict = {"status": r.status}
        if r.notes:
            entry["notes"] = r.notes
        if r.measures:
            entry["measures"] = list(r.measures)
        if r.updated_by:
            entry["updated_by"] = r.updated_by
        if r.updated_at:
            entry["updated_at"] = r.updated_at
        body[r.practice] = entry
    head = {"pes": pes, "unit": unit, "exported": dt.date.today().isoformat(), "practices": body}
    return yaml.safe_dump(head, allow_unicode=True, sort_keys=False, width=100)


def _key_line(text: str, key: str) -> int | str:
    """The line of ``key:`` in a YAML text (a scalar value carries no line of its own)."""
    m = re.search(rf"^\s*['\"]?{re.escape(key)}['\"]?\s*:", text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else "?"


@dataclass(frozen=True)
class AssessmentFile:
    pes: str
    unit: str
    rows: list[AssessmentRow]


def read_assessment(path: Path, *, known: dict[str, Practice] | None = None) -> AssessmentFile:
    """A self-assessment file, checked whole: every practice id in the catalogue (``known``; default
    the shared one and this installation's profile's), every status one of not_started, partly,
    in_place. Errors name the file and line."""
    path = Path(path)
    data = _read(path)
    text = path.read_text(encoding="utf-8")
    if isinstance(data, dict) and "practices" not in data:  # the short form: practice id -> status
        data = {"practices": {k: (v if k == LINE or isinstance(v, dict) else {"status": v}) for k, v in data.items()}}
    if not isinstance(data, dict) or not isinstance(data.get("practices"), dict):
        raise PracticeError(f"{path}: a self-assessment file has 'practices:' (practice id -> status, notes)")
    known = by_id() if known is None else known
    rows = []
    for pid, entry in data["practices"].items():
        if pid == LINE:
            continue
        where = f"{path}:{_key_line(text, pid)}"
        if pid not in known:
            raise PracticeError(f"{where}: unknown practice {pid!r} (not in the practice catalogue)")
        if isinstance(entry, str):
            entry = {"status": entry}
        if not isinstance(entry, dict):
            raise PracticeError(f"{where}: practice {pid!r}: give its status, or status and notes as a mapping")
        entry = {k: v for k, v in entry.items() if k != LINE}
        if entry.get("status") not in STATUSES:
            raise PracticeError(
                f"{where}: practice {pid!r}: status must be one of {', '.join(STATUSES)}, not {entry.get('status')!r}"
            )
        measures = entry.get("measures") or []
        if not isinstance(measures, list) or not all(isinstance(m, str) for m in measures):
            raise PracticeError(f"{where}: practice {pid!r}: measures must be a list of measure codes")
        notes = entry.get("notes") or ""
        if not isinstance(notes, str):
            raise PracticeError(f"{where}: practice {pid!r}: notes must be text")
        rows.append(
            AssessmentRow(
                practice=pid,
                status=entry["status"],
                notes=notes,
                measures=tuple(measures),
                updated_by=str(entry.get("updated_by") or ""),
                updated_at=str(entry.get("updated_at") or ""),
                line=_key_line(text, pid),
            )
        )
    return AssessmentFile(pes=str(data.get("pes") or ""), unit=str(data.get("unit") or ""), rows=rows)


# --- learn from whom ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerPractices:
    pes: str
    in_place: tuple[Practice, ...]
    partly: tuple[Practice, ...]


@dataclass(frozen=True)
class Lesson:
    """An indicator where the PES lies below its peer group, and what the peers that do better have."""

    indicator: str
    peers: tuple[PeerPractices, ...]


def learn_from_whom(
    below: list[tuple[str, list[str]]],
    assessments: dict[str, dict[str, str]],
    known: dict[str, Practice] | None = None,
) -> list[Lesson]:
    """For each indicator where this PES lies below its peers, the peers that do better and the
    practices they have in place (and partly in place), in the catalogue's order.

    ``below`` is what ``pestrack.benchlearning.compare.below_peers(comparison, pes)`` returns: a list
    of (indicator id, the peers that do better, best first). ``assessments`` is each PES's
    self-assessment as its package carries it (PES id -> practice id -> status). A peer without a
    self-assessment is listed with no practices; a practice id the catalogue does not know (a partner's
    own practice) is passed over."""
    known = by_id() if known is None else known
    order = {pid: i for i, pid in enumerate(known)}
    lessons = []
    for indicator, peers in below:
        rows = []
        for peer in peers:
            statuses = assessments.get(peer) or {}
            ids = sorted((pid for pid in statuses if pid in known), key=order.__getitem__)
            rows.append(
                PeerPractices(
                    pes=peer,
                    in_place=tuple(known[pid] for pid in ids if statuses[pid] == "in_place"),
                    partly=tuple(known[pid] for pid in ids if statuses[pid] == "partly"),
                )
            )
        lessons.append(Lesson(indicator=indicator, peers=tuple(rows)))
    return lessons
