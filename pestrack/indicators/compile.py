"""One indicator → one SQL query (a SQLGlot tree; DuckDB and PostgreSQL text by transpiling).

The query returns one row for the total (breakdown ``total``, no value) and one per value of each
breakdown column, with ``numerator``, ``denominator`` (both DOUBLE, NULL where the measure has no
denominator) and ``value`` (unrounded)::

    WITH pop AS (SELECT * FROM <population> WHERE <period date in range> AND (<where>)),
         agg AS (SELECT 'total', NULL, <num>, <den> FROM pop
                 UNION ALL SELECT 'sex', CAST(sex AS TEXT), <num>, <den> FROM pop GROUP BY sex ...)
    SELECT breakdown, breakdown_value, numerator, denominator, <value> AS value FROM agg

Shares and ratios in percent are multiplied by 100; a zero denominator gives a NULL value.

``units`` limits the population to rows of some organisation units (a unit manager's results):
the rows whose ``org_unit_path`` starts with one of the given paths. Tables without that column
cannot be limited so (``ScopeUnavailable``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlglot import exp

from pestrack.analytics.schema import BY_NAME
from pestrack.indicators.definitions import Indicator, Measure
from pestrack.indicators.periods import Period, window_dates

TOTAL = "total"
# The category of breakdown rows whose column is empty (e.g. the sex of an anonymous survey answer):
# named, so that it is never taken for the total, whose breakdown value is empty.
NOT_RECORDED = "(not recorded)"
UNIT_PATH = "org_unit_path"
KNOWN, SUPERSEDED = "known_date", "superseded_date"  # a versioned table's rows (knowledge_condition)


class ScopeUnavailable(ValueError):
    """The indicator's table has no organisation unit, so it cannot be limited to some units."""


def scopable(table: str) -> bool:
    return any(c.name == UNIT_PATH for c in BY_NAME[table].columns)


def unit_condition(table: str, units: list[str]) -> exp.Expr:
    """Rows of ``table`` whose unit path starts with one of ``units`` (no units: no rows)."""
    if not scopable(table):
        raise ScopeUnavailable(f"the table {table} has no organisation unit; it cannot be limited to units")
    parts = [
        exp.EQ(
            this=exp.Substring(this=_col(UNIT_PATH), start=exp.Literal.number(1), length=exp.Literal.number(len(u))),
            expression=exp.Literal.string(u),
        )
        for u in sorted(set(units))
    ]
    return exp.paren(exp.or_(*parts)) if parts else exp.false()


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _cast(e: exp.Expr, to: exp.DType) -> exp.Cast:
    """CAST without the builder's parsing of the type name and copying of ``e`` (see compile_indicator)."""
    return exp.Cast(this=e, to=exp.DataType(this=to))


def _double(e: exp.Expr) -> exp.Expr:
    return _cast(e, exp.DataType.Type.DOUBLE)


def _when(cond: exp.Expr, then: exp.Expr, otherwise: exp.Expr | None = None) -> exp.Case:
    case = exp.Case().when(cond.copy(), then)
    return case.else_(otherwise) if otherwise is not None else case


def _part(m: Measure) -> exp.Expr:
    """A ratio part, or a count/distinct count/sum over the whole group."""
    if m.kind == "count":
        return (
            exp.Sum(this=_when(m.where, exp.Literal.number(1), exp.Literal.number(0)))
            if m.where
            else exp.Count(this=exp.Star())
        )
    assert m.column is not None  # a distinct_count or sum names its column (definitions.Reader.measure)
    value: exp.Expr = _col(m.column)
    if m.where is not None:
        value = _when(m.where, value)
    if m.kind == "distinct_count":
        return exp.Count(this=exp.Distinct(expressions=[value]))
    return exp.Sum(this=value)


def _divided(total: exp.Expr, m: Measure) -> exp.Expr:
    """A mean's or sum's total divided by the measure's ``divide_by``. Summing whole numbers (days)
    and dividing once gives every engine the same bits; summing fractions (months) would not, as
    floating-point addition depends on the order the engine adds the rows in."""
    if m.divide_by is None:
        return total
    return exp.Div(this=_double(total), expression=_double(exp.Literal.number(repr(m.divide_by))))


def aggregates(m: Measure) -> tuple[exp.Expr, exp.Expr | None]:
    """(numerator, denominator) aggregate expressions of a measure."""
    if m.kind == "share":
        assert m.condition is not None  # a share has its condition (definitions.Reader.measure)
        return exp.Sum(this=_when(m.condition, exp.Literal.number(1), exp.Literal.number(0))), exp.Count(
            this=exp.Star()
        )
    if m.kind == "mean":
        assert m.column is not None  # a mean names its column
        return _divided(exp.Sum(this=_col(m.column)), m), exp.Count(this=_col(m.column))
    if m.kind == "ratio":
        assert m.numerator is not None and m.denominator is not None  # a ratio has both parts
        return _part(m.numerator), _part(m.denominator)
    return _divided(_part(m), m), None


def value_expression(ind: Indicator) -> exp.Expr:
    assert ind.measure is not None  # a computed indicator has its measure (definitions.Reader.computed)
    num, den = exp.column("numerator"), exp.column("denominator")
    if ind.measure.kind in ("count", "distinct_count", "sum"):
        return num
    value: exp.Expr = exp.Div(this=num, expression=exp.func("nullif", den, exp.Literal.number(0)))
    if ind.unit == "percent" and ind.measure.kind in ("share", "ratio"):
        value = exp.Mul(this=exp.paren(value), expression=exp.Literal.number(100))
    return value


def versioned(table: str) -> bool:
    return {KNOWN, SUPERSEDED} <= {c.name for c in BY_NAME[table].columns}


def knowledge_condition(table: str, known_on: dt.date) -> exp.Condition:
    """Rows of a versioned table (``known_date``, ``superseded_date``: the contract events of
    docs/lmi.md) that were the latest version on ``known_on``: what was known that day."""
    if not versioned(table):
        raise ValueError(f"the table {table} has no versions (known_date, superseded_date) to ask as known on a date")
    day = _cast(exp.Literal.string(known_on.isoformat()), exp.DataType.Type.DATE)
    later = exp.or_(_col(SUPERSEDED).is_(exp.null()), exp.GT(this=_col(SUPERSEDED), expression=day.copy()))
    return exp.and_(exp.LTE(this=_col(KNOWN), expression=day), exp.paren(later))


def population(
    ind: Indicator, p: Period, units: list[str] | None = None, known_on: dt.date | None = None
) -> exp.Select:
    """``SELECT * FROM <population>`` limited to the period (and window), the definition's ``where``
    and, when ``units`` is given, to those units; with ``known_on``, to the versions known that day."""
    if ind.is_reported:
        raise ValueError(f"indicator {ind.id} is reported (source {ind.source}); it has no query")
    table, period = ind.population, ind.period
    assert table is not None and period is not None  # a computed indicator has both (definitions.Reader.computed)
    first, last = window_dates(p, ind.window)
    low, high = (_cast(exp.Literal.string(d.isoformat()), exp.DataType.Type.DATE) for d in (first, last))
    if ind.at_end and ind.period_end:  # the span holds the last day: started by then, not ended by its end
        ends_after = exp.or_(
            exp.column(ind.period_end, quoted=True).is_(exp.null()),
            exp.GT(this=_col(ind.period_end), expression=high.copy()),
        )
        in_period = exp.and_(exp.LTE(this=_col(period), expression=high), exp.paren(ends_after))
    elif ind.period_end:  # the row's span [period, period_end] overlaps [first, last]; no end = still open
        ends_after = exp.or_(
            exp.column(ind.period_end, quoted=True).is_(exp.null()),
            exp.GTE(this=_col(ind.period_end), expression=low.copy()),
        )
        in_period = exp.and_(exp.LTE(this=_col(period), expression=high), exp.paren(ends_after))
    else:
        in_period = exp.Between(this=_col(period), low=low, high=high)
    condition = exp.and_(in_period, exp.paren(ind.where.copy())) if ind.where is not None else in_period
    if units is not None:
        condition = exp.and_(condition, unit_condition(table, units))
    if known_on is not None:
        condition = exp.and_(condition, knowledge_condition(table, known_on))
    elif versioned(table):  # every version at once would count a corrected event twice
        raise ValueError(f"indicator {ind.id}: the table {table} is versioned; give the date known on")
    # Built from nodes with copy=False: the builders' string parsing and tree copies cost ~60 ms an
    # indicator, more than DuckDB needs to run the query.
    return (
        exp.select(exp.Star(), copy=False)
        .from_(exp.to_table(table, quoted=True), copy=False)
        .where(condition, copy=False)
    )


def compile_indicator(
    ind: Indicator, p: Period, units: list[str] | None = None, known_on: dt.date | None = None
) -> exp.Select:
    pop = population(ind, p, units, known_on)
    assert ind.measure is not None  # a computed indicator has its measure (definitions.Reader.computed)
    num, den = aggregates(ind.measure)
    den = _double(den) if den is not None else _double(exp.null())
    pop_table = exp.to_table("pop")

    def branch(name: str, column: str | None) -> exp.Select:
        label = (
            exp.func("COALESCE", _cast(_col(column), exp.DataType.Type.TEXT), exp.Literal.string(NOT_RECORDED))
            if column
            else _cast(exp.null(), exp.DataType.Type.TEXT)
        )
        q = exp.select(
            exp.alias_(exp.Literal.string(name), "breakdown", copy=False),
            exp.alias_(label, "breakdown_value", copy=False),
            exp.alias_(_double(num.copy()), "numerator", copy=False),
            exp.alias_(den.copy(), "denominator", copy=False),
            copy=False,
        )
        q = q.from_(pop_table.copy(), copy=False)
        return q.group_by(_col(column), copy=False) if column else q

    agg: exp.Query = branch(TOTAL, None)
    for b in ind.breakdowns:
        agg = exp.union(agg, branch(b, b), distinct=False, copy=False)
    columns = [exp.column(c) for c in ("breakdown", "breakdown_value", "numerator", "denominator")]
    return (
        exp.select(*columns, exp.alias_(value_expression(ind), "value", copy=False), copy=False)
        .from_(exp.to_table("agg"), copy=False)
        .with_(exp.to_identifier("pop"), as_=pop, copy=False)
        .with_(exp.to_identifier("agg"), as_=agg, copy=False)
    )


def membership(m: Measure) -> tuple[exp.Expr, exp.Expr | None]:
    """(in numerator, in denominator) conditions of one population row under measure ``m``: which
    rows the numerator and the denominator count (the denominator's is None when there is none)."""
    true = exp.true()
    if m.kind == "share":
        assert m.condition is not None  # a share has its condition (definitions.Reader.measure)
        return m.condition.copy(), true
    if m.kind == "mean":
        assert m.column is not None  # a mean names its column
        has = exp.Not(this=_col(m.column).is_(exp.null()))
        return has, has.copy()
    if m.kind == "ratio":
        assert m.numerator is not None and m.denominator is not None  # a ratio has both parts
        num, den = (
            part.where.copy() if part.where is not None else exp.true() for part in (m.numerator, m.denominator)
        )
        return num, den
    return (m.where.copy() if m.where is not None else true), None


def compile_rows(
    ind: Indicator, p: Period, units: list[str] | None = None, columns: Sequence[str] = (), only: str | None = None
) -> exp.Select:
    """The population rows behind an indicator: ``columns`` plus ``in_numerator`` and
    ``in_denominator`` (booleans; NULL when the measure has no denominator). ``only`` =
    ``numerator`` or ``denominator`` keeps the rows that part counts."""
    assert ind.measure is not None  # a computed indicator has its measure (definitions.Reader.computed)
    num, den = membership(ind.measure)
    flag = lambda cond: exp.Coalesce(this=exp.paren(cond), expressions=[exp.false()])  # noqa: E731
    den_flag = flag(den) if den is not None else exp.cast(exp.null(), "boolean")
    q = exp.select(
        *(_col(c) for c in columns), exp.alias_(flag(num), "in_numerator"), exp.alias_(den_flag, "in_denominator")
    ).from_(exp.alias_(exp.paren(population(ind, p, units)), "pop"))
    if only == "numerator":
        q = q.where(flag(num.copy()))
    elif only == "denominator" and den is not None:
        q = q.where(flag(den.copy()))
    return q


def to_sql(ind: Indicator, p: Period, dialect: str = "duckdb", units: list[str] | None = None) -> str:
    return compile_indicator(ind, p, units).sql(dialect=dialect)


# The dates that say the data has something in a month: enrolments starting or ending, exits.
EVENT_DATES = {"enrolments": ("start_date", "end_date"), "exits": ("exit_date",)}


def compile_months(tables) -> exp.Select | None:
    """(year, month, events) for every month with an event (EVENT_DATES) in those of ``tables`` the
    data has; None when it has none of them."""
    parts = [
        exp.select(
            exp.alias_(exp.Year(this=_col(c)), "y", copy=False),
            exp.alias_(exp.Month(this=_col(c)), "m", copy=False),
            copy=False,
        )
        .from_(exp.to_table(t, quoted=True), copy=False)
        .where(exp.Not(this=_col(c).is_(exp.null())), copy=False)
        for t, columns in EVENT_DATES.items()
        if t in tables
        for c in columns
    ]
    if not parts:
        return None
    union: exp.Query = parts[0]
    for p in parts[1:]:
        union = exp.union(union, p, distinct=False, copy=False)
    return (
        exp.select(exp.column("y"), exp.column("m"), exp.alias_(exp.Count(this=exp.Star()), "n", copy=False))
        .from_(exp.alias_(exp.paren(union), "d"), copy=False)
        .group_by(exp.column("y"), exp.column("m"), copy=False)
    )


def count_of(query: exp.Select) -> exp.Select:
    """The number of rows ``query`` gives."""
    return exp.select(exp.Count(this=exp.Star())).from_(exp.alias_(exp.paren(query.copy()), "q"))


def page_of(query: exp.Select, order: list[str], size: int, page: int) -> exp.Select:
    """Page ``page`` (from 1) of ``size`` rows of ``query``, ordered by the columns ``order``."""
    return (
        exp.select(exp.Star())
        .from_(exp.alias_(exp.paren(query.copy()), "q"))
        .order_by(*(_col(c) for c in order))
        .limit(size)
        .offset((page - 1) * size)
    )
