"""One indicator → one SQL query (a SQLGlot tree; DuckDB and PostgreSQL text by transpiling).

The query returns one row for the total (breakdown ``total``, no value) and one per value of each
breakdown column, with ``numerator``, ``denominator`` (both DOUBLE, NULL where the measure has no
denominator) and ``value`` (unrounded)::

    WITH pop AS (SELECT * FROM <population> WHERE <period date in range> AND (<where>)),
         agg AS (SELECT 'total', NULL, <num>, <den> FROM pop
                 UNION ALL SELECT 'sex', CAST(sex AS TEXT), <num>, <den> FROM pop GROUP BY sex ...)
    SELECT breakdown, breakdown_value, numerator, denominator, <value> AS value FROM agg

Shares and ratios in percent are multiplied by 100; a zero denominator gives a NULL value.
"""
from __future__ import annotations

from sqlglot import exp

from pestrack.indicators.definitions import Indicator, Measure
from pestrack.indicators.periods import Period, window_dates

TOTAL = "total"


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _double(e: exp.Expression) -> exp.Expression:
    return exp.cast(e, "double")


def _when(cond: exp.Expression, then: exp.Expression, otherwise: exp.Expression | None = None) -> exp.Case:
    case = exp.Case().when(cond.copy(), then)
    return case.else_(otherwise) if otherwise is not None else case


def _part(m: Measure) -> exp.Expression:
    """A ratio part, or a count/distinct count/sum over the whole group."""
    if m.kind == "count":
        return exp.Sum(this=_when(m.where, exp.Literal.number(1), exp.Literal.number(0))) if m.where \
            else exp.Count(this=exp.Star())
    value = _col(m.column)
    if m.where is not None:
        value = _when(m.where, value)
    if m.kind == "distinct_count":
        return exp.Count(this=exp.Distinct(expressions=[value]))
    return exp.Sum(this=value)


def aggregates(m: Measure) -> tuple[exp.Expression, exp.Expression | None]:
    """(numerator, denominator) aggregate expressions of a measure."""
    if m.kind == "share":
        return exp.Sum(this=_when(m.condition, exp.Literal.number(1), exp.Literal.number(0))), exp.Count(this=exp.Star())
    if m.kind == "mean":
        return exp.Sum(this=_col(m.column)), exp.Count(this=_col(m.column))
    if m.kind == "ratio":
        return _part(m.numerator), _part(m.denominator)
    return _part(m), None


def value_expression(ind: Indicator) -> exp.Expression:
    num, den = exp.column("numerator"), exp.column("denominator")
    if ind.measure.kind in ("count", "distinct_count", "sum"):
        return num
    value = exp.Div(this=num, expression=exp.func("nullif", den, exp.Literal.number(0)))
    if ind.unit == "percent" and ind.measure.kind in ("share", "ratio"):
        value = exp.Mul(this=exp.paren(value), expression=exp.Literal.number(100))
    return value


def compile_indicator(ind: Indicator, p: Period) -> exp.Select:
    if ind.is_reported:
        raise ValueError(f"indicator {ind.id} is reported (source {ind.source}); it has no query")
    first, last = window_dates(p, ind.window)
    low, high = (exp.cast(exp.Literal.string(d.isoformat()), "date") for d in (first, last))
    if ind.period_end:  # the row's span [period, period_end] overlaps [first, last]; no end = still open
        ends_after = exp.or_(exp.column(ind.period_end, quoted=True).is_(exp.null()),
                             exp.GTE(this=_col(ind.period_end), expression=low.copy()))
        in_period = exp.and_(exp.LTE(this=_col(ind.period), expression=high), exp.paren(ends_after))
    else:
        in_period = exp.Between(this=_col(ind.period), low=low, high=high)
    condition = exp.and_(in_period, exp.paren(ind.where.copy())) if ind.where is not None else in_period
    pop = exp.select("*").from_(exp.to_table(ind.population, quoted=True)).where(condition)

    num, den = aggregates(ind.measure)
    den = _double(den) if den is not None else exp.cast(exp.null(), "double")

    def branch(name: str, column: str | None) -> exp.Select:
        label = exp.cast(_col(column), "text") if column else exp.cast(exp.null(), "text")
        q = exp.select(exp.alias_(exp.Literal.string(name), "breakdown"), exp.alias_(label, "breakdown_value"),
                       exp.alias_(_double(num.copy()), "numerator"), exp.alias_(den.copy(), "denominator")).from_("pop")
        return q.group_by(_col(column)) if column else q

    agg = branch(TOTAL, None)
    for b in ind.breakdowns:
        agg = exp.union(agg, branch(b, b), distinct=False)
    return (exp.select("breakdown", "breakdown_value", "numerator", "denominator",
                       exp.alias_(value_expression(ind), "value"))
            .from_("agg").with_("pop", as_=pop).with_("agg", as_=agg))


def to_sql(ind: Indicator, p: Period, dialect: str = "duckdb") -> str:
    return compile_indicator(ind, p).sql(dialect=dialect)
