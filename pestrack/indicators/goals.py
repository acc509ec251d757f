"""The goal hierarchy (profiles/<profile>/goals.yaml), the reported indicators (reported/*.yaml) and
the budget table (reported/_budget.yaml), each checked with file:line errors. See docs/reports.md.

Reported indicators use the indicator definition format with a ``source`` (docs/indicators.md) and
are read by the same reader as the computed ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeGuard, TypeVar

from pestrack.indicators.catalogue import load_catalogue, profile_path
from pestrack.indicators.definitions import (
    KEYS,
    LINE,
    DefinitionErrors,
    Indicator,
    load_definitions,
    load_file,
    read_yaml,
    report_years,
)

STATUSES = ("met", "partly", "not_met")
ACTIVITY_STATUSES = ("done", "deviation")
GOAL_FIELDS = {"id", "level", "parent", "title", "indicators", "activities", "assessment"}
REF_FIELDS = {"id", "name", "tolerance", "analysis"}
ACTIVITY_FIELDS = {"text", "status", "analysis"}
LANGS = ("sv", "en")
T = TypeVar("T")


@dataclass
class IndicatorRef:
    """An indicator attached to a goal: a defined one (``id``) or, not yet defined, its Swedish name."""

    id: str | None
    name: str | None
    line: int
    tolerance: float | None = None
    analysis: dict[int, str] = field(default_factory=dict)


@dataclass
class Activity:
    text: str
    status: str | None  # done, deviation or None (not assessed)
    line: int
    analysis: str = ""


@dataclass
class Assessment:
    """The analyst's own status for a year, with the written analysis that justifies it."""

    status: str
    analysis: str


@dataclass
class Goal:
    id: str
    level: str
    parent: str | None
    title: str
    line: int
    indicators: list[IndicatorRef] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    assessment: dict[int, Assessment] = field(default_factory=dict)


@dataclass
class Level:
    """A level of the goal hierarchy (``levels`` of goals.yaml, top first) with its printed names."""

    id: str
    name: dict[str, str]  # sv, en


@dataclass
class Goals:
    goals: list[Goal]
    tolerance: float  # the profile's default fulfilment tolerance (share of the target)
    levels: list[Level] = field(default_factory=list)
    kf_target: dict[str, str] = field(default_factory=dict)  # the printed name of the ``kf`` target column

    def children(self, goal_id: str) -> list[Goal]:
        return [g for g in self.goals if g.parent == goal_id]

    def labels(self, lang: str) -> dict[str, str]:
        """The report's words the profile gives: each level's name, and ``kf_target``."""
        return {**{level.id: level.name[lang] for level in self.levels}, "kf_target": self.kf_target[lang]}


def _text(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _tolerance(value) -> bool:
    return _number(value) and 0 <= value < 1


class _GoalReader:
    def __init__(self, path: Path, known_ids: set[str]):
        self.path, self.known_ids = path, known_ids
        self.errors: list[str] = []
        self.levels: tuple[str, ...] = ()

    def names(self, node, at: dict, key, what: str) -> dict[str, str]:
        """``{sv, en}`` printed names, each a text; an error names ``what`` otherwise."""
        if not isinstance(node, dict) or not all(_text(node.get(lang)) for lang in LANGS):
            self.error(at, key, f"{what} needs a name in each language ({', '.join(LANGS)}: texts)")
            return {lang: "" for lang in LANGS}
        return {lang: node[lang].strip() for lang in LANGS}

    def level_list(self, data: dict) -> list[Level]:
        """The ``levels`` of goals.yaml, top first, each ``{id, sv, en}``."""
        nodes = data.get("levels")
        if not isinstance(nodes, list) or not nodes:
            self.error(data, "levels", "levels: the goal levels, top first, each {id, sv, en}, are missing")
            return []
        out: list[Level] = []
        for node in nodes:
            if not isinstance(node, dict) or not _text(node.get("id")):
                line = node.get(LINE, "?") if isinstance(node, dict) else data.get(KEYS, {}).get("levels", "?")
                self.errors.append(f"{self.path}:{line}: levels: each level needs an id (a text) with sv and en")
                continue
            self.unknown(node, {"id", *LANGS}, f"level {node['id']}")
            if node["id"] in [lvl.id for lvl in out]:
                self.error(node, "id", f"level {node['id']}: id already used")
            out.append(Level(node["id"], self.names(node, node, None, f"level {node['id']}")))
        self.levels = tuple(lvl.id for lvl in out)
        return out

    def error(self, node: dict, key: str | None, message: str):
        line = node.get(KEYS, {}).get(key) or node.get(LINE, "?")
        self.errors.append(f"{self.path}:{line}: {message}")

    def unknown(self, node: dict, allowed: set[str], what: str):
        for key in sorted(set(node) - allowed - {LINE, KEYS}, key=str):
            self.error(node, key, f"{what}: unknown field {key!r} (fields: {', '.join(sorted(allowed))})")

    def yearly_texts(self, node: dict, key: str, what: str) -> dict[int, str]:
        value = node.get(key) or {}
        if not isinstance(value, dict) or not all(
            isinstance(y, int) and _text(t) for y, t in value.items() if y not in (LINE, KEYS)
        ):
            self.error(node, key, f"{what}: {key} must map a year to a text")
            return {}
        return {y: t.strip() for y, t in value.items() if y not in (LINE, KEYS)}

    def ref(self, node, goal_id: str) -> IndicatorRef | None:
        what = f"goal {goal_id}: indicator"
        if not isinstance(node, dict):
            self.errors.append(f"{self.path}: {what} must be a mapping with id or name, not {node!r}")
            return None
        self.unknown(node, REF_FIELDS, what)
        if ("id" in node) == ("name" in node):
            self.error(node, None, f"{what} needs either id (a defined indicator) or name (its Swedish name)")
            return None
        if "id" in node and node["id"] not in self.known_ids:
            self.error(node, "id", f"{what}: unknown indicator id {node['id']!r} (not in indicators/ or reported/)")
        if "name" in node and not _text(node["name"]):
            self.error(node, "name", f"{what}: name must be a text")
        tolerance = node.get("tolerance")
        if tolerance is not None and not _tolerance(tolerance):
            self.error(node, "tolerance", f"{what}: tolerance must be a share from 0 to below 1 (got {tolerance!r})")
        return IndicatorRef(
            node.get("id"), node.get("name"), node.get(LINE, 0), tolerance, self.yearly_texts(node, "analysis", what)
        )

    def activity(self, node, goal_id: str) -> Activity | None:
        what = f"goal {goal_id}: activity"
        if not isinstance(node, dict) or not _text(node.get("text")):
            line = node.get(LINE, "?") if isinstance(node, dict) else "?"
            self.errors.append(f"{self.path}:{line}: {what} needs a text")
            return None
        self.unknown(node, ACTIVITY_FIELDS, what)
        status = node.get("status")
        if status is not None and status not in ACTIVITY_STATUSES:
            self.error(node, "status", f"{what}: status {status!r} is not one of {', '.join(ACTIVITY_STATUSES)}")
        return Activity(node["text"].strip(), status, node.get(LINE, 0), str(node.get("analysis") or "").strip())

    def assessment(self, node: dict, goal_id: str) -> dict[int, Assessment]:
        value = node.get("assessment") or {}
        out: dict[int, Assessment] = {}
        if not isinstance(value, dict):
            self.error(node, "assessment", f"goal {goal_id}: assessment must map a year to {{status, analysis}}")
            return out
        for year, a in value.items():
            if year in (LINE, KEYS):
                continue
            if (
                not isinstance(year, int)
                or not isinstance(a, dict)
                or a.get("status") not in STATUSES
                or not _text(a.get("analysis"))
            ):
                self.error(
                    value,
                    year,
                    f"goal {goal_id}: assessment for {year!r} needs a status "
                    f"({', '.join(STATUSES)}) and a written analysis",
                )
                continue
            out[year] = Assessment(a["status"], a["analysis"].strip())
        return out

    def goal(self, node) -> Goal | None:
        if not isinstance(node, dict):
            self.errors.append(f"{self.path}: each goal must be a mapping, not {node!r}")
            return None
        goal_id = str(node.get("id") or "?")
        self.unknown(node, GOAL_FIELDS, f"goal {goal_id}")
        if not isinstance(node.get("id"), str) or not node["id"]:
            self.error(node, "id", 'a goal needs an id (a text such as "3.2.1")')
        level = node.get("level")
        if level not in self.levels:
            self.error(node, "level", f"goal {goal_id}: level {level!r} is not one of {', '.join(self.levels)}")
        if not _text(node.get("title")):
            self.error(node, "title", f"goal {goal_id}: title must be a text")
        goal = Goal(
            goal_id,
            str(level),  # as given when it is not a level (the error is noted; load_goals raises)
            node.get("parent"),
            str(node.get("title") or "").strip(),
            node.get(LINE, 0),
            assessment=self.assessment(node, goal_id),
        )
        goal.indicators += self.items(node, "indicators", goal_id, self.ref)
        goal.activities += self.items(node, "activities", goal_id, self.activity)
        return goal

    def items(self, node: dict, key: str, goal_id: str, read: Callable[[object, str], T | None]) -> list[T]:
        """The goal's list ``key`` read item by item with ``read`` (which notes the errors)."""
        items = node.get(key) or []
        if not isinstance(items, list):
            self.error(node, key, f"goal {goal_id}: {key} must be a list")
            return []
        return [x for x in (read(item, goal_id) for item in items) if x is not None]

    def hierarchy(self, goals: list[Goal], nodes: dict[str, dict]):
        levels = self.levels
        seen: dict[str, Goal] = {}
        for g in goals:
            if g.id in seen:
                self.error(nodes[g.id], "id", f"goal {g.id}: id already used on line {seen[g.id].line}")
            seen.setdefault(g.id, g)
        for g in goals:
            if g.level not in levels:
                continue
            depth = levels.index(g.level)
            parent = seen.get(g.parent) if g.parent is not None else None
            if depth == 0 and g.parent is not None:
                self.error(nodes[g.id], "parent", f"goal {g.id}: a {levels[0]} goal has no parent")
            elif depth > 0 and parent is None:
                self.error(nodes[g.id], "parent", f"goal {g.id}: parent {g.parent!r} is not a goal of this file")
            elif depth > 0 and parent is not None and parent.level != levels[depth - 1]:
                self.error(
                    nodes[g.id],
                    "parent",
                    f"goal {g.id}: a {g.level} goal's parent must be a "
                    f"{levels[depth - 1]} goal ({g.parent} is {parent.level})",
                )


def load_goals(profile: str | Path | None = None, known_ids: set[str] | None = None) -> Goals:
    """The goal hierarchy of the profile; raises DefinitionErrors listing every problem.
    ``known_ids``: the indicator ids goals may refer to (default: every defined and reported one)."""
    root = profile_path(profile)
    path = root / "goals.yaml"
    if known_ids is None:
        known_ids = {i.id for i in load_definitions(root)} | {i.id for i in load_reported(root)}
    data = read_yaml(path)
    reader = _GoalReader(path, known_ids)
    if not isinstance(data, dict) or not isinstance(data.get("goals"), list):
        raise DefinitionErrors([f"{path}:1: goals.yaml holds a mapping with a list of goals (goals: [...])"])
    tolerance = (data.get("fulfilment") or {}).get("tolerance", 0.15)
    if not _tolerance(tolerance):
        reader.error(
            data.get("fulfilment") or data,
            "tolerance",
            f"fulfilment tolerance must be a share from 0 to below 1 (got {tolerance!r})",
        )
    levels = reader.level_list(data)
    reader.unknown(data, {"fulfilment", "levels", "kf_target", "goals"}, "goals.yaml")
    kf_target = reader.names(data.get("kf_target"), data, "kf_target", "kf_target (the column of the kf targets)")
    goals = [g for g in (reader.goal(n) for n in data["goals"]) if g is not None]
    reader.hierarchy(goals, {str(n.get("id")): n for n in data["goals"] if isinstance(n, dict)})
    if reader.errors:
        raise DefinitionErrors(reader.errors)
    return Goals(goals, float(tolerance), levels, kf_target)


def load_reported(profile: str | Path | None = None) -> list[Indicator]:
    """The reported indicators of reported/*.yaml (files starting with _ are tables, not definitions),
    with budget adherence filled in from the budget table for the years it has."""
    root = profile_path(profile)
    folder = root / "reported"
    years, errors = report_years(root / "indicators")
    catalogue = load_catalogue(root)
    out: list[Indicator] = []
    for path in sorted(p for p in folder.glob("*.yaml") if not p.name.startswith("_")):
        found, file_errors = load_file(path, catalogue, years)
        out += found
        errors += file_errors
    ids = [i.id for i in out]
    errors += [f"{i.file}:{i.line}: indicator {i.id}: id already used" for n, i in enumerate(out) if i.id in ids[:n]]
    adherence, budget_errors = budget_adherence(folder / "_budget.yaml")
    errors += budget_errors
    if errors:
        raise DefinitionErrors(errors)
    if adherence:
        target_id, by_year = adherence
        ind = next((i for i in out if i.id == target_id), None)
        if ind is None:
            raise DefinitionErrors(
                [f"{folder / '_budget.yaml'}:1: adherence_indicator {target_id!r} is not a reported indicator"]
            )
        for year, value in by_year.items():
            ind.reported[year] = {"total": value}
    return out


def budget_adherence(path: Path) -> tuple[tuple[str, dict[int, float]] | None, list[str]]:
    """(indicator id, {year: actual / adjusted budget × 100 over all rows}) from the budget table."""
    if not path.exists():
        return None, []
    data = read_yaml(path)
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("adherence_indicator"), str)
        or not isinstance(data.get("years"), dict)
    ):
        return None, [f"{path}:1: the budget table needs adherence_indicator and years: {{YEAR: [rows]}}"]
    errors, out = [], {}
    for year, rows in data["years"].items():
        if year in (LINE, KEYS):
            continue
        line = data["years"][KEYS].get(year)
        if not isinstance(year, int) or not isinstance(rows, list) or not rows:
            errors.append(f"{path}:{line}: years: {year!r} must be a year with a list of rows")
            continue
        total_adjusted = total_actual = 0.0
        for row in rows:
            adjusted, actual = (row.get(k) if isinstance(row, dict) else None for k in ("adjusted_budget", "actual"))
            if not (_number(adjusted) and _number(actual)):
                errors.append(
                    f"{path}:{row.get(LINE, line) if isinstance(row, dict) else line}: "
                    f"a budget row needs numbers adjusted_budget and actual"
                )
                continue
            total_adjusted += adjusted
            total_actual += actual
        if total_adjusted <= 0:
            errors.append(f"{path}:{line}: the adjusted net budget for {year} must be above 0")
            continue
        out[year] = total_actual / total_adjusted * 100
    return (data["adherence_indicator"], out), errors
