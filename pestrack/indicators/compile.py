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


def _cast(e: exp.Expression, to: exp.DataType.Type) -> exp.Cast:
    """CAST without the builder's parsing of the type name and copying of ``e`` (see compile_indicator)."""
    return exp.Cast(this=e, to=exp.DataType(this=to))


def _double(e: exp.Expression) -> exp.Expression:
    return _cast(e, exp.DataType.Type.DOUBLE)


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
    low, high = (_cast(exp.Literal.string(d.isoformat()), exp.DataType.Type.DATE) for d in (first, last))
    if ind.period_end:  # the row's span [period, period_end] overlaps [first, last]; no end = still open
        ends_after = exp.or_(exp.column(ind.period_end, quoted=True).is_(exp.null()),
                             exp.GTE(this=_col(ind.period_end), expression=low.copy()))
        in_period = exp.and_(exp.LTE(this=_col(ind.period), expression=high), exp.paren(ends_after))
    else:
        in_period = exp.Between(this=_col(ind.period), low=low, high=high)
    condition = exp.and_(in_period, exp.paren(ind.where.copy())) if ind.where is not None else in_period
    # Built from nodes with copy=False: the builders' string parsing and tree copies cost ~60 ms an
    # indicator, more than DuckDB needs to run the query.
    pop = exp.select(exp.Star(), copy=False).from_(exp.to_table(ind.population, quoted=True), copy=False) \
        .where(condition, copy=False)

    num, den = aggregates(ind.measure)
    den = _double(den) if den is not None else _double(exp.null())
    pop_table = exp.to_table("pop")

    def branch(name: str, column: str | None) -> exp.Select:
        label = _cast(_col(column) if column else exp.null(), exp.DataType.Type.TEXT)
        q = exp.select(exp.alias_(exp.Literal.string(name), "breakdown", copy=False),
                       exp.alias_(label, "breakdown_value", copy=False),
                       exp.alias_(_double(num.copy()), "numerator", copy=False),
                       exp.alias_(den.copy(), "denominator", copy=False), copy=False)
        q = q.from_(pop_table.copy(), copy=False)
        return q.group_by(_col(column), copy=False) if column else q

    agg = branch(TOTAL, None)
    for b in ind.breakdowns:
        agg = exp.union(agg, branch(b, b), distinct=False, copy=False)
    columns = [exp.column(c) for c in ("breakdown", "breakdown_value", "numerator", "denominator")]
    return (exp.select(*columns, exp.alias_(value_expression(ind), "value", copy=False), copy=False)
            .from_(exp.to_table("agg"), copy=False)
            .with_(exp.to_identifier("pop"), as_=pop, copy=False)
            .with_(exp.to_identifier("agg"), as_=agg, copy=False))


def to_sql(ind: Indicator, p: Period, dialect: str = "duckdb") -> str:
    return compile_indicator(ind, p).sql(dialect=dialect)
