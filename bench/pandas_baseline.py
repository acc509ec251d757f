"""The Stockholm indicators computed the plain pandas way, as the baseline of bench/indicators.py.

A reimplementation that does not use the engine (no SQL, no SQLGlot query, no DuckDB): each analytics
table is read once with ``pandas.read_parquet``; per indicator the rows of its period are selected with
boolean masks, the filters of the definition are evaluated on the columns, and the measure is
aggregated with ``groupby`` per breakdown. It reads the same YAML definitions (that is the point:
one definition) and follows the SQL rules the engines follow: a filter that is unknown because of an
empty value (NULL) does not select the row (pandas' nullable booleans give the same three-valued
logic), a breakdown's empty value is a group of its own, named NOT_RECORDED, a sum over no rows is empty, a zero
denominator gives an empty value.

    compute(indicators, tables, period) -> [(indicator_id, breakdown, breakdown_value, numerator,
                                             denominator, value), ...]
"""

from __future__ import annotations

import datetime as dt
import operator
from pathlib import Path

import pandas as pd
from sqlglot import exp

from pestrack.indicators.compile import NOT_RECORDED
from pestrack.indicators.definitions import Indicator, Measure
from pestrack.indicators.periods import Period, window_dates

COMPARE = {
    exp.EQ: operator.eq,
    exp.NEQ: operator.ne,
    exp.GT: operator.gt,
    exp.GTE: operator.ge,
    exp.LT: operator.lt,
    exp.LTE: operator.le,
}
BOOL = "bool[pyarrow]"


def read_tables(data: Path, names: set[str]) -> dict[str, pd.DataFrame]:
    """Each table read once; pyarrow-backed columns keep empty values as NA (not NaN or None)."""
    return {
        name: pd.read_parquet(Path(data) / f"{name}.parquet", dtype_backend="pyarrow")
        for name in sorted(names)
        if (Path(data) / f"{name}.parquet").exists()
    }


def _literal(node: exp.Literal):
    if node.is_string:
        return node.name
    return int(node.name) if node.name.lstrip("-").isdigit() else float(node.name)


def evaluate(node: exp.Expression, df: pd.DataFrame):
    """A filter of the definition language on a DataFrame: a Series (or a scalar for a literal)."""
    if isinstance(node, exp.Paren):
        return evaluate(node.this, df)
    if isinstance(node, exp.Column):
        return df[node.name]
    if isinstance(node, exp.Literal):
        return _literal(node)
    if isinstance(node, exp.Neg):
        return -evaluate(node.this, df)
    if isinstance(node, exp.Boolean):
        return pd.Series(node.this, index=df.index, dtype=BOOL)
    if isinstance(node, exp.Cast):  # DATE 'YYYY-MM-DD'
        return dt.date.fromisoformat(node.this.name)
    if type(node) in COMPARE:
        return COMPARE[type(node)](evaluate(node.this, df), evaluate(node.expression, df))
    if isinstance(node, exp.And):
        return evaluate(node.this, df) & evaluate(node.expression, df)
    if isinstance(node, exp.Or):
        return evaluate(node.this, df) | evaluate(node.expression, df)
    if isinstance(node, exp.Not):
        return ~evaluate(node.this, df)
    if isinstance(node, exp.Is):  # IS NULL (IS NOT NULL is NOT (… IS NULL))
        return pd.Series(evaluate(node.this, df).isna(), dtype=BOOL)
    if isinstance(node, exp.In):
        column = evaluate(node.this, df)
        found = pd.Series(column.isin([_literal(v) for v in node.expressions]), dtype=BOOL)
        return found.mask(column.isna())  # NULL IN (…) is unknown, as in SQL
    if isinstance(node, exp.Between):
        column = evaluate(node.this, df)
        return (column >= evaluate(node.args["low"], df)) & (column <= evaluate(node.args["high"], df))
    raise ValueError(f"{node.sql()!r}: not in the filter language")


def _true(mask) -> pd.Series:
    """Rows where the condition is true (unknown counts as not true)."""
    return mask.fillna(False).astype(bool)


def _in_period(ind: Indicator, df: pd.DataFrame, p: Period) -> pd.Series:
    first, last = window_dates(p, ind.window)
    if ind.period_end:
        end = df[ind.period_end]
        return (df[ind.period] <= last) & (end.isna() | (end >= first))
    return (df[ind.period] >= first) & (df[ind.period] <= last)


def _part_columns(m: Measure, pop: pd.DataFrame, prefix: str) -> dict[str, tuple[str, str]]:
    """Helper columns added to ``pop`` and their aggregation, for a count, distinct count or sum."""
    if m.kind == "count":
        if m.where is None:
            return {prefix: ("__row", "size")}
        pop[prefix] = _true(evaluate(m.where, pop)).astype(int)
        return {prefix: (prefix, "sum")}
    values = pop[m.column]
    if m.where is not None:
        values = values.where(_true(evaluate(m.where, pop)))
    pop[prefix] = values
    return {prefix: (prefix, "nunique" if m.kind == "distinct_count" else "sum")}


def _aggregations(m: Measure, pop: pd.DataFrame) -> tuple[dict, str, str | None]:
    """Named aggregations for groupby().agg and the names of the numerator and denominator."""
    pop["__row"] = 1
    if m.kind == "share":
        pop["__num"] = _true(evaluate(m.condition, pop)).astype(int)
        return {"num": ("__num", "sum"), "den": ("__row", "size")}, "num", "den"
    if m.kind == "mean":
        return {"num": (m.column, "sum"), "den": (m.column, "count")}, "num", "den"
    if m.kind == "ratio":
        aggs = {**_part_columns(m.numerator, pop, "num"), **_part_columns(m.denominator, pop, "den")}
        return aggs, "num", "den"
    return _part_columns(m, pop, "num"), "num", None


def _number(v) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def _value(ind: Indicator, num: float | None, den: float | None) -> float | None:
    if ind.measure.kind in ("count", "distinct_count", "sum"):
        return num
    if num is None or den is None or den == 0:
        return None
    value = num / den
    return value * 100 if ind.unit == "percent" and ind.measure.kind in ("share", "ratio") else value


def _text(v) -> str:
    """A breakdown value as the engines' COALESCE(CAST(… AS TEXT), NOT_RECORDED) gives it."""
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return NOT_RECORDED
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def compute_indicator(ind: Indicator, table: pd.DataFrame, p: Period) -> list[tuple]:
    mask = _in_period(ind, table, p)
    if ind.where is not None:
        mask = mask & evaluate(ind.where, table)
    pop = table[_true(mask)].copy()
    aggs, num, den = _aggregations(ind.measure, pop)
    totals = {
        k: len(pop) if func == "size" else None if func == "sum" and pop.empty else pop[col].agg(func)
        for k, (col, func) in aggs.items()
    }  # SQL: a SUM over no rows is NULL, a COUNT 0
    rows = [("total", None, totals[num], totals[den] if den else None)]
    for b in ind.breakdowns:  # a group always has rows, so its sums are never over none
        grouped = pop.groupby(b, dropna=False, sort=False).agg(**aggs)
        rows += [(b, _text(key), r[num], r[den] if den else None) for key, r in grouped.iterrows()]
    out = []
    for breakdown, value, n, d in rows:
        n, d = _number(n), _number(d)
        if n is not None and ind.measure.divide_by is not None:  # a mean's or sum's unit conversion
            n = n / ind.measure.divide_by
        out.append((ind.id, breakdown, value, n, d, _value(ind, n, d)))
    return out


def compute(indicators: list[Indicator], tables: dict[str, pd.DataFrame], p: Period) -> list[tuple]:
    """Every computed indicator whose population table is in ``tables`` (reported ones have no data)."""
    out = []
    for ind in indicators:
        if not ind.is_reported and ind.population in tables:
            out += compute_indicator(ind, tables[ind.population], p)
    return out
