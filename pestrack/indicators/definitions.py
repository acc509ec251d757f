"""Indicator definitions: read from the profile's YAML, checked, turned into ``Indicator`` objects.

Every problem is collected (not only the first) and reported as ``file:line: indicator: what is
wrong``; nothing runs until the whole set is valid. The format is described in docs/indicators.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlglot import exp

from pestrack.indicators import filters
from pestrack.indicators.catalogue import Catalogue, load_catalogue, profile_path
from pestrack.records import yaml_files

LINE, KEYS = "__line__", "__keys__"
UNITS = ("percent", "count", "months", "mean", "index", "ratio")
DIRECTIONS = ("higher", "lower")
MEASURES = ("share", "count", "distinct_count", "mean", "sum", "ratio")
PART_MEASURES = ("count", "distinct_count", "sum")  # the parts of a ratio
FIELDS = {
    "id",
    "name",
    "definition",
    "definition_sv",
    "unit",
    "direction",
    "population",
    "where",
    "measure",
    "period",
    "window",
    "breakdowns",
    "precision",
    "targets",
    "source",
    "print_unit",
    "first_year",
    "cell_precision",
    "blank_cells",
    "bare_cells",
    "unit_cells",
}
CELLS = ("outcome", "men", "women", "prev")
TARGET_CELLS = ("target", "kf")  # the annual target and the city council's target, as printed
MAX_PRECISION = 6
SETTINGS_FILE = "_reporting.yaml"


class DefinitionErrors(ValueError):
    """All the problems found in a set of definitions, one line each."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


class _LineLoader(yaml.SafeLoader):
    """Keeps the line of every mapping (LINE) and of each of its keys (KEYS)."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=True)
        mapping[LINE] = node.start_mark.line + 1
        mapping[KEYS] = {self.construct_object(k, deep=True): k.start_mark.line + 1 for k, _ in node.value}
        return mapping


def read_yaml(path: Path):
    try:
        return yaml_files.parse(path.read_text(encoding="utf-8"), _LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise DefinitionErrors([f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from None


@dataclass
class Measure:
    kind: str  # one of MEASURES
    column: str | None = None  # distinct_count, mean, sum
    condition: exp.Expr | None = None  # share: the numerator's condition
    where: exp.Expr | None = None  # a ratio part's own filter
    numerator: Measure | None = None  # ratio
    denominator: Measure | None = None  # ratio
    divide_by: float | None = None  # mean, sum: the sum divided by this (a unit conversion)


@dataclass(frozen=True)
class Window:
    """Rows whose period date lies in the ``months`` months ending ``lag_months`` before the period end."""

    months: int
    lag_months: int = 0


@dataclass
class Indicator:
    id: str
    name: dict[str, str]
    unit: str
    direction: str  # higher, lower or band
    precision: int
    file: Path
    line: int
    band: tuple[float, float] | None = None  # (centre, half_width) for direction band
    definition: str = ""  # in English; definition_sv in Swedish (the results page)
    definition_sv: str = ""
    population: str | None = None
    where: exp.Expr | None = None
    measure: Measure | None = None
    period: str | None = None
    period_end: str | None = None  # with period: rows whose span [period, period_end] overlaps
    at_end: bool = False  # with period_end: rows whose span holds the period's last day (a stock)
    window: Window | None = None
    breakdowns: list[str] = field(default_factory=list)
    targets: dict[int, dict[str, float | str]] = field(default_factory=dict)
    source: str | None = None  # reported indicators: where the values come from
    reported: dict[int, dict[str, float]] = field(default_factory=dict)  # year -> {total, women, men}
    print_unit: bool = True  # false: the report prints the bare number (as published)
    first_year: int | None = None  # the first year the report gives a value for (a new indicator)
    cell_precision: dict[str, int] = field(default_factory=dict)  # a report cell printed at other decimals
    blank_cells: tuple[str, ...] = ()  # report cells left empty as published (still computed by breakdown)
    bare_cells: tuple[str, ...] = ()  # report cells printed without the unit, as published
    unit_cells: tuple[str, ...] = ()  # with print_unit false: cells printed with the unit all the same

    def cell_unit(self, cell: str) -> str | None:
        """The unit printed in report cell ``cell`` (CELLS or TARGET_CELLS), None for a bare number:
        the published report is not consistent (``130 st`` as the target beside a bare ``146``)."""
        if self.print_unit:
            return None if cell in self.bare_cells else self.unit
        return self.unit if cell in self.unit_cells else None

    def precision_of(self, cell: str) -> int:
        """The decimals of cell ``cell`` (CELLS or TARGET_CELLS): ``cell_precision``'s, else ``precision``.
        The one precision rule of every output: the total is printed as the ``outcome`` cell and a
        breakdown's categories as the ``men`` and ``women`` cells, on pages as in the report."""
        return self.cell_precision.get(cell, self.precision)

    @property
    def is_reported(self) -> bool:
        return self.source is not None


class _Reader:
    """Turns one YAML mapping into an Indicator, noting each problem with its line."""

    def __init__(self, path: Path, item: dict, catalogue: Catalogue, report_years: list[int]):
        self.path, self.item, self.catalogue, self.report_years = path, item, catalogue, report_years
        self.errors: list[str] = []
        self.id = str(item.get("id") or "?")

    def error(self, where: dict | int | None, key: str | None, message: str):
        line = (
            where
            if isinstance(where, int)
            else (where or self.item).get(KEYS, {}).get(key) or (where or self.item).get(LINE, "?")
        )
        self.errors.append(f"{self.path}:{line}: indicator {self.id}: {message}")

    def filter(self, where: dict, key: str, table: str | None) -> exp.Expr | None:
        text = where.get(key)
        try:
            tree = filters.parse(text)
        except filters.FilterError as exc:
            self.error(where, key, f"{key}: {exc}")
            return None
        if table:
            for message in filters.check(tree, self.catalogue, table):
                self.error(where, key, f"{key}: {message}")
        return tree

    def column(self, where: dict, key: str, table: str | None, kinds: tuple[str, ...] | None) -> str | None:
        name = where.get(key)
        if not isinstance(name, str) or not name:
            self.error(where, key, f"{key} must name a column")
            return None
        if table is None:
            return name
        info = self.catalogue.column(table, name)
        if info is None:
            self.error(where, key, f"{key}: unknown column {name!r} in table {table!r}")
        elif kinds and info.kind not in kinds:
            self.error(where, key, f"{key}: column {name!r} is {info.kind}; {key} needs {' or '.join(kinds)}")
        return name

    def measure(self, m, table: str | None, allowed: tuple[str, ...], at: dict) -> Measure | None:
        if isinstance(m, str):
            m = {m: None, LINE: at.get(KEYS, {}).get("measure", at.get(LINE)), KEYS: {}}
        if not isinstance(m, dict):
            self.error(at, "measure", f"measure must be one of {', '.join(allowed)}")
            return None
        kinds = [k for k in m if k in MEASURES]
        extra = [k for k in m if k not in MEASURES and k not in (LINE, KEYS, "where", "divide_by")]
        if len(kinds) != 1 or extra or (kinds[0] not in allowed):
            self.error(
                m,
                None,
                f"measure must be exactly one of {', '.join(allowed)} (got {', '.join(map(str, kinds + extra)) or 'nothing'})",
            )
            return None
        kind = kinds[0]
        out = Measure(kind)
        if "where" in m:
            if kind in PART_MEASURES and allowed == PART_MEASURES:
                out.where = self.filter(m, "where", table)
            else:
                self.error(m, "where", "only the parts of a ratio take their own 'where'")
        if "divide_by" in m:
            d = m["divide_by"]
            if kind not in ("mean", "sum") or allowed == PART_MEASURES:
                self.error(m, "divide_by", "only a mean or a sum (not a ratio's part) takes divide_by")
            elif not self.number(d) or d <= 0:
                self.error(m, "divide_by", f"divide_by must be a number above 0 (got {d!r})")
            else:
                out.divide_by = float(d)
        if kind == "share":
            out.condition = self.filter(m, "share", table)
        elif kind in ("distinct_count",):
            out.column = self.column(m, kind, table, None)
        elif kind in ("mean", "sum"):
            out.column = self.column(m, kind, table, ("number",))
        elif kind == "count" and m.get("count") not in (None, "*", "rows"):
            self.error(m, "count", "count takes no column (use distinct_count to count distinct values)")
        elif kind == "ratio":
            parts = m.get("ratio")
            if not isinstance(parts, dict) or set(parts) - {LINE, KEYS} != {"numerator", "denominator"}:
                self.error(m, "ratio", "ratio needs exactly a numerator and a denominator")
                return None
            out.numerator = self.measure(parts["numerator"], table, PART_MEASURES, parts)
            out.denominator = self.measure(parts["denominator"], table, PART_MEASURES, parts)
        return out

    def number(self, value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    def read(self) -> Indicator | None:
        item = self.item
        for key in sorted(set(item) - FIELDS - {LINE, KEYS}, key=str):
            self.error(item, key, f"unknown field {key!r} (fields: {', '.join(sorted(FIELDS))})")
        if not isinstance(item.get("id"), str) or not item["id"].replace("_", "").isalnum():
            self.error(item, "id", "id must be a name of letters, digits and _")
        name = item.get("name")
        if not isinstance(name, dict) or not all(
            isinstance(name.get(lang), str) and name[lang] for lang in ("sv", "en")
        ):
            self.error(item, "name", "name needs both sv and en texts")
            name = {}
        unit = item.get("unit")
        if unit not in UNITS:
            self.error(item, "unit", f"unit {unit!r} is not one of {', '.join(UNITS)}")
            unit = ""  # a placeholder: with an error noted, read() gives no indicator
        direction, band = self.direction(item.get("direction"))
        precision = item.get("precision")
        if not isinstance(precision, int) or isinstance(precision, bool) or not 0 <= precision <= MAX_PRECISION:
            self.error(
                item,
                "precision",
                f"precision must be a whole number of decimals from 0 to {MAX_PRECISION} (got {precision!r})",
            )
            precision = 0  # a placeholder, as for the unit
        ind = Indicator(
            id=self.id,
            name={k: v for k, v in name.items() if k in ("sv", "en")},
            unit=unit,
            direction=direction,
            band=band,
            precision=precision,
            file=self.path,
            line=item.get(LINE, 0),
            definition=str(item.get("definition") or ""),
            definition_sv=str(item.get("definition_sv") or ""),
        )
        ind.targets = self.targets(item.get("targets"))
        if "print_unit" in item:
            if not isinstance(item["print_unit"], bool):
                self.error(item, "print_unit", "print_unit must be true or false")
            else:
                ind.print_unit = item["print_unit"]
        if "cell_precision" in item:
            cp = item["cell_precision"]
            if not isinstance(cp, dict) or not all(
                k in CELLS and isinstance(v, int) and 0 <= v <= MAX_PRECISION
                for k, v in cp.items()
                if k not in (LINE, KEYS)
            ):
                self.error(
                    item,
                    "cell_precision",
                    f"cell_precision maps cells ({', '.join(CELLS)}) to decimals 0–{MAX_PRECISION}",
                )
            else:
                ind.cell_precision = {k: v for k, v in cp.items() if k not in (LINE, KEYS)}
        for key, allowed in (
            ("blank_cells", CELLS),
            ("bare_cells", CELLS + TARGET_CELLS),
            ("unit_cells", CELLS + TARGET_CELLS),
        ):
            if key in item:
                cells = item[key]
                if not isinstance(cells, list) or not all(c in allowed for c in cells):
                    self.error(item, key, f"{key} lists report cells ({', '.join(allowed)})")
                else:
                    setattr(ind, key, tuple(cells))
        if "first_year" in item:
            if not isinstance(item["first_year"], int) or isinstance(item["first_year"], bool):
                self.error(item, "first_year", "first_year must be a year")
            else:
                ind.first_year = item["first_year"]
        if "source" in item:
            self.reported(ind)
        else:
            self.computed(ind)
        years = set(ind.reported) | set(self.report_years)
        for year in sorted(years):
            if ind.targets.get(year, {}).get("own") is None:
                self.error(item, "targets" if "targets" in item else None, f"no own target for {year}, a reported year")
        return None if self.errors else ind

    def direction(self, value) -> tuple[str, tuple[float, float] | None]:
        if value in DIRECTIONS:
            return value, None
        if isinstance(value, dict) and isinstance(value.get("band"), dict):
            band = value["band"]
            centre, half = band.get("centre"), band.get("half_width")
            if self.number(centre) and self.number(half) and half >= 0:
                return "band", (float(centre), float(half))
        self.error(self.item, "direction", "direction must be higher, lower or {band: {centre: N, half_width: N}}")
        return "higher", None

    def targets(self, value) -> dict[int, dict[str, float | str]]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(self.item, "targets", "targets must map a year to {own: …, kf: …}")
            return {}
        out = {}
        for year, t in value.items():
            if year in (LINE, KEYS):
                continue
            line = value[KEYS].get(year)
            if not isinstance(year, int) or not 1900 < year < 2200:
                self.error(line, None, f"targets: {year!r} is not a year")
                continue
            if not isinstance(t, dict) or set(t) - {LINE, KEYS} - {"own", "kf", "units"}:
                self.error(line, None, f"targets for {year} take only own, kf and units")
                continue
            for who in ("own", "kf"):
                v = t.get(who)
                if v is not None and not self.number(v) and not (isinstance(v, str) and v.strip()):
                    self.error(line, None, f"target {who} for {year} must be a number or a text")
            out[year] = {k: v for k, v in t.items() if k in ("own", "kf") and v is not None}
            if "units" in t:
                out[year]["units"] = self.unit_targets(t, year)
        return out

    def unit_targets(self, t: dict, year: int) -> dict[str, float]:
        """``units: {unit code: N}``: the targets set for single units (a unit's results are compared
        with its own target only; fulfilment.scoped_target)."""
        value = t["units"]
        if not isinstance(value, dict):
            self.error(t, "units", f"targets for {year}: units must map a unit code to a number")
            return {}
        info = self.catalogue.column("enrolments", "org_unit")
        known = info.codes if info else None
        out = {}
        for code, v in value.items():
            if code in (LINE, KEYS):
                continue
            line = value[KEYS].get(code)
            if known is not None and str(code) not in known:
                self.error(line, None, f"targets for {year}: unknown unit {code!r} (not in org_units.yaml)")
            elif not self.number(v):
                self.error(line, None, f"target for unit {code} in {year} must be a number")
            else:
                out[str(code)] = v
        return out

    def reported(self, ind: Indicator):
        """A reported indicator: values given per year (total, women, men) with their source; no query."""
        src = self.item["source"]
        if not isinstance(src, dict) or not isinstance(src.get("name"), str) or not isinstance(src.get("values"), dict):
            self.error(self.item, "source", "source needs a name and values: {YEAR: {total: N, women: N, men: N}}")
            return
        for key in ("population", "where", "measure", "period", "window", "breakdowns"):
            if key in self.item:
                self.error(self.item, key, f"a reported indicator (with a source) has no {key}")
        ind.source = src["name"]
        for year, values in src["values"].items():
            if year in (LINE, KEYS):
                continue
            line = src["values"][KEYS].get(year)
            if (
                not isinstance(year, int)
                or not isinstance(values, dict)
                or not all(k in ("total", "women", "men", LINE, KEYS) for k in values)
                or not all(self.number(v) for k, v in values.items() if k not in (LINE, KEYS))
                or "total" not in values
            ):
                self.error(line, None, f"source value for {year!r} must be {{total: N, women: N, men: N}} (numbers)")
                continue
            ind.reported[year] = {k: float(v) for k, v in values.items() if k not in (LINE, KEYS)}

    def computed(self, ind: Indicator):
        item = self.item
        table = item.get("population")
        if table not in self.catalogue.tables:
            self.error(
                item,
                "population",
                f"population {table!r} is not an analytics table ({', '.join(self.catalogue.tables)})",
            )
            table = None
        ind.population = table
        if "where" in item:
            ind.where = self.filter(item, "where", table)
        if "measure" not in item:
            self.error(item, None, "measure is missing")
        else:
            ind.measure = self.measure(item["measure"], table, MEASURES, item)
        if ind.measure and ind.measure.kind == "share" and ind.unit in UNITS and ind.unit not in ("percent", "ratio"):
            self.error(item, "unit", "a share is given in percent (or as a ratio 0–1)")
        if ind.measure and ind.where is not None and ind.measure.condition is not None and table:
            both = exp.and_(ind.where, ind.measure.condition)
            reason = filters.never_true(both, self.catalogue, table)
            if reason:
                self.error(item, "measure", f"the share's condition can never hold within the population: {reason}")
        if "period" not in item:
            self.error(item, None, "period (the date column that places a row in a period) is missing")
        elif isinstance(item["period"], dict):
            span = item["period"]
            if set(span) - {LINE, KEYS} - {"at"} != {"from", "to"} or span.get("at", "end") != "end":
                self.error(
                    span,
                    None,
                    "period must name a date column, or be {from: start column, to: end column} "
                    "(rows whose span overlaps the period), with at: end for the rows whose span "
                    "holds the period's last day (a stock)",
                )
            else:
                ind.period = self.column(span, "from", table, ("date",))
                ind.period_end = self.column(span, "to", table, ("date",))
                ind.at_end = "at" in span
        else:
            ind.period = self.column(item, "period", table, ("date",))
        if "window" in item:
            w = item["window"]
            if (
                not isinstance(w, dict)
                or set(w) - {LINE, KEYS} - {"months", "lag_months"}
                or not isinstance(w.get("months"), int)
                or w["months"] < 1
                or not isinstance(w.get("lag_months", 0), int)
                or w.get("lag_months", 0) < 0
            ):
                self.error(item, "window", "window must be {months: N ≥ 1, lag_months: N ≥ 0}")
            else:
                ind.window = Window(w["months"], w.get("lag_months", 0))
        breakdowns = item.get("breakdowns") or []
        if not isinstance(breakdowns, list):
            self.error(item, "breakdowns", "breakdowns must be a list of columns")
            breakdowns = []
        for b in breakdowns:
            if not isinstance(b, str) or (table and self.catalogue.column(table, b) is None):
                self.error(item, "breakdowns", f"unknown breakdown {b!r}: not a column of {table!r}")
        if len(set(map(str, breakdowns))) != len(breakdowns):
            self.error(item, "breakdowns", "a breakdown is listed twice")
        ind.breakdowns = [b for b in breakdowns if isinstance(b, str)]


def load_file(path: Path, catalogue: Catalogue, report_years: list[int]) -> tuple[list[Indicator], list[str]]:
    """The indicators of one file (a list of definitions, or one definition) and the errors found."""
    data = read_yaml(path)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        return [], [f"{path}:1: a definitions file holds a list of indicators"]
    out, errors = [], []
    for item in data:
        if not isinstance(item, dict):
            errors.append(f"{path}: each entry must be an indicator mapping, not {item!r}")
            continue
        reader = _Reader(path, item, catalogue, report_years)
        ind = reader.read()
        errors += reader.errors
        if ind:
            out.append(ind)
    return out, errors


def report_years(folder: Path) -> tuple[list[int], list[str]]:
    path = folder / SETTINGS_FILE
    if not path.exists():
        return [], []
    data = read_yaml(path)
    years = data.get("report_years") if isinstance(data, dict) else None
    if not isinstance(years, list) or not all(isinstance(y, int) for y in years):
        line = data.get(KEYS, {}).get("report_years", 1) if isinstance(data, dict) else 1
        return [], [f"{path}:{line}: report_years must be a list of years"]
    return years, []


def load_definitions(
    profile: str | Path | None = None, files: list[Path] | None = None, folder: str = "indicators"
) -> list[Indicator]:
    """Every indicator of the profile's ``folder`` (or of ``files``), checked; raises
    DefinitionErrors listing every problem. ``folder="lmi/indicators"``: the labour-market flows and stocks."""
    root = profile_path(profile)
    catalogue = load_catalogue(root)
    directory = root / folder
    years, errors = report_years(directory)
    paths = files if files is not None else sorted(p for p in directory.glob("*.yaml") if not p.name.startswith("_"))
    indicators: list[Indicator] = []
    seen: dict[str, Indicator] = {}
    for path in paths:
        found, file_errors = load_file(Path(path), catalogue, years)
        errors += file_errors
        for ind in found:
            if ind.id in seen:
                errors.append(
                    f"{ind.file}:{ind.line}: indicator {ind.id}: id already used at "
                    f"{seen[ind.id].file}:{seen[ind.id].line}"
                )
            seen[ind.id] = ind
            indicators.append(ind)
    if errors:
        raise DefinitionErrors(errors)
    return indicators
