"""The report's other tables (profiles/<p>/tables.yaml): tables of counts by sex and year, such as
Jobbtorg's enrolled individuals per target group, each row an indicator of the profile or a sum of
rows. The format is in docs/reports.md; every problem is reported as ``file:line: what is wrong``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pestrack.indicators.catalogue import profile_path
from pestrack.indicators.compile import TOTAL
from pestrack.indicators.definitions import KEYS, LINE, DefinitionErrors, Indicator, read_yaml
from pestrack.indicators.periods import Period

FILE = "tables.yaml"
SEXES = ("women", "men")
SEX_CODE = {"women": "woman", "men": "man"}
TABLE_FIELDS = {"id", "section", "title", "label", "rows"}
ROW_FIELDS = {"indicator", "label", "subset", "sum", "note"}


@dataclass
class TableRow:
    label: dict[str, str]
    indicator: str | None = None
    subset: bool = False  # a part of the row above (indented)
    sum_total: list[str] = field(default_factory=list)  # indicator ids added for the total cell
    sum_by_sex: list[str] = field(default_factory=list)  # … and for the women and men cells
    note: dict[str, str] = field(default_factory=dict)


@dataclass
class Table:
    id: str
    section: dict[str, str]
    title: dict[str, str]
    label: dict[str, str]
    rows: list[TableRow]

    def indicator_ids(self) -> set[str]:
        return {i for r in self.rows for i in [r.indicator, *r.sum_total, *r.sum_by_sex] if i}


@dataclass
class TableResult:
    table: Table
    years: tuple[str, str]  # the period's label and the previous one's
    cells: list[dict[str, float | str | None]]  # per row: {women, men, total}_{now, prev}

    COLUMNS = ("women_now", "women_prev", "men_now", "men_prev", "total_now", "total_prev")  # as printed
    HEADERS = {
        "sv": {"women": "Kvinna", "men": "Man", "total": "Totalsumma"},
        "en": {"women": "Women", "men": "Men", "total": "Total"},
    }

    def header(self, lang: str) -> list[str]:
        """Column headings after the label column: ``Kvinna VB 2023``, ``Kvinna VB 2022``, …"""
        names = self.HEADERS[lang]
        return [
            f"{names[c.split('_')[0]]} {self.years[0] if c.endswith('now') else self.years[1]}" for c in self.COLUMNS
        ]

    def printed_rows(self, lang: str) -> list[tuple[TableRow, list[str]]]:
        return [(row, [cell_text(c[k], lang) for k in self.COLUMNS]) for row, c in zip(self.table.rows, self.cells)]


def _texts(value, where: str, errors: list[str], what: str) -> dict[str, str]:
    if isinstance(value, str):
        return {"sv": value, "en": value}
    if isinstance(value, dict) and isinstance(value.get("sv"), str):
        return {"sv": value["sv"], "en": str(value.get("en") or value["sv"])}
    errors.append(f"{where}: {what} must be a text or {{sv: …, en: …}}")
    return {"sv": "", "en": ""}


def _row(item, path: Path, indicators: dict[str, Indicator], errors: list[str]) -> TableRow | None:
    if not isinstance(item, dict):
        errors.append(f"{path}: a table row must be a mapping, not {item!r}")
        return None
    where = f"{path}:{item.get(LINE, '?')}"
    for key in sorted(set(item) - ROW_FIELDS - {LINE, KEYS}, key=str):
        errors.append(f"{path}:{item[KEYS][key]}: unknown row field {key!r} (fields: {', '.join(sorted(ROW_FIELDS))})")
    if ("indicator" in item) == ("sum" in item):
        errors.append(f"{where}: a row has either an indicator or a sum")
        return None
    row = TableRow(
        label={},
        subset=bool(item.get("subset")),
        note=_texts(item["note"], where, errors, "note") if "note" in item else {},
    )
    ids: list[str] = []
    if "indicator" in item:
        row.indicator = item["indicator"]
        ids = [row.indicator]
    else:
        s = item["sum"]
        if isinstance(s, list):
            s = {"total": s, "by_sex": s}
        if not isinstance(s, dict) or not all(isinstance(s.get(k), list) for k in ("total", "by_sex")):
            errors.append(f"{where}: sum must be a list of indicator ids, or {{total: [...], by_sex: [...]}}")
            return None
        row.sum_total, row.sum_by_sex = list(s["total"]), list(s["by_sex"])
        ids = row.sum_total + row.sum_by_sex
    for i in ids:
        ind = indicators.get(i)
        if ind is None:
            errors.append(f"{where}: unknown indicator {i!r} (not a computed indicator of the profile)")
        elif "sex" not in ind.breakdowns or ind.unit != "count":
            errors.append(f"{where}: indicator {i!r} must be a count with the breakdown sex")
    if "label" in item:
        row.label = _texts(item["label"], where, errors, "label")
    elif row.indicator in indicators:
        row.label = dict(indicators[row.indicator].name)
    else:
        errors.append(f"{where}: a sum row needs a label")
    return row


def load_tables(profile: str | Path | None, indicators: dict[str, Indicator]) -> list[Table]:
    """The tables of the profile's tables.yaml (none when the file is absent)."""
    path = profile_path(profile) / FILE
    if not path.exists():
        return []
    data = read_yaml(path)
    if not isinstance(data, list):
        raise DefinitionErrors([f"{path}:1: {FILE} holds a list of tables"])
    errors: list[str] = []
    tables = []
    for item in data:
        if not isinstance(item, dict):
            errors.append(f"{path}: each table must be a mapping, not {item!r}")
            continue
        where = f"{path}:{item.get(LINE, '?')}"
        for key in sorted(set(item) - TABLE_FIELDS - {LINE, KEYS}, key=str):
            errors.append(
                f"{path}:{item[KEYS][key]}: unknown table field {key!r} (fields: {', '.join(sorted(TABLE_FIELDS))})"
            )
        if not isinstance(item.get("rows"), list) or not item["rows"]:
            errors.append(f"{where}: a table needs rows")
            continue
        rows = [r for r in (_row(r, path, indicators, errors) for r in item["rows"]) if r]
        tables.append(
            Table(
                str(item.get("id") or ""),
                _texts(item.get("section", ""), where, errors, "section"),
                _texts(item.get("title"), where, errors, "title"),
                _texts(item.get("label"), where, errors, "label"),
                rows,
            )
        )
    if errors:
        raise DefinitionErrors(errors)
    return tables


def cell_text(value, lang: str) -> str:
    """A count as the table prints it (``1 493``), a suppression marker as it is, nothing for None."""
    from pestrack.reports.formatting import number

    if value is None:
        return ""
    return value if isinstance(value, str) else number(value, 0, lang)


def table_results(
    tables: list[Table], computed: dict, p: Period, prev: Period, suppress_below: int = 0
) -> list[TableResult]:
    """Each table's cells from the engine results ``computed`` ({(id, period label, sex or TOTAL): Result})."""
    from pestrack.reports.suppression import suppressed

    def value(ids: list[str], label: str, key: str):
        results = [computed.get((i, label, key)) for i in ids]
        if all(r is None or r.value is None for r in results):
            return None
        if any(isinstance(suppressed(r, suppress_below), str) for r in results):
            return ".."  # a sum beside a suppressed part would give the part away
        return sum(r.value for r in results if r is not None and r.value is not None)

    out = []
    for t in tables:
        cells = []
        for row in t.rows:
            c: dict[str, float | str | None] = {}
            for when, label in (("now", p.label), ("prev", prev.label)):
                if row.indicator:
                    for sex in SEXES:
                        c[f"{sex}_{when}"] = suppressed(
                            computed.get((row.indicator, label, SEX_CODE[sex])), suppress_below
                        )
                    c[f"total_{when}"] = suppressed(computed.get((row.indicator, label, TOTAL)), suppress_below)
                else:
                    for sex in SEXES:
                        c[f"{sex}_{when}"] = value(row.sum_by_sex, label, SEX_CODE[sex])
                    c[f"total_{when}"] = value(row.sum_total, label, TOTAL)
            cells.append(c)
        out.append(TableResult(t, (p.label, prev.label), cells))
    return out
