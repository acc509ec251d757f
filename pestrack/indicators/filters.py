"""The filter language of definitions: a small, safe subset of SQL expressions.

Allowed: columns of the population table, string/number/TRUE/FALSE literals, DATE 'YYYY-MM-DD',
comparisons (= <> != < <= > >=), IN (...), BETWEEN, IS [NOT] NULL, AND, OR, NOT, parentheses and a
bare boolean column. Anything else (functions, sub-queries, several statements, other tables) is
refused. The text is parsed with SQLGlot and every node of the tree is checked before the tree
(never the text) goes into a query.
"""

from __future__ import annotations

import datetime as dt

import sqlglot
from sqlglot import exp

from pestrack.indicators.catalogue import Catalogue

COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
CONNECTIVES = (exp.And, exp.Or, exp.Not, exp.Paren)


class FilterError(ValueError):
    pass


def parse(text: object) -> exp.Expr:
    """Parse a filter (a value read from YAML); raises FilterError for anything that is not one expression."""
    if not isinstance(text, str) or not text.strip():
        raise FilterError("a filter must be a non-empty text")
    try:
        tree = sqlglot.parse_one(text, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise FilterError(f"cannot parse {text!r}: {str(exc).splitlines()[0]}") from None
    if isinstance(tree, exp.Block):
        raise FilterError(f"{text!r} holds more than one statement")
    return tree


class _Checker:
    def __init__(self, catalogue: Catalogue, table: str):
        self.catalogue, self.table = catalogue, table
        self.errors: list[str] = []

    def column(self, node: exp.Column):
        if node.table:
            self.errors.append(f"column {node.sql()} names a table; use the bare column name")
            return None
        info = self.catalogue.column(self.table, node.name)
        if info is None:
            self.errors.append(f"unknown column {node.name!r} in table {self.table!r}")
        return info

    def value_kind(self, node: exp.Expr) -> str | None:
        """The kind of an operand (text, number, date, bool), or None after an error."""
        if isinstance(node, exp.Paren):
            return self.value_kind(node.this)
        if isinstance(node, exp.Column):
            info = self.column(node)
            return info.kind if info else None
        if isinstance(node, exp.Literal):
            return "text" if node.is_string else "number"
        if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
            return "number"
        if isinstance(node, exp.Boolean):
            return "bool"
        if (
            isinstance(node, exp.Cast)
            and node.to.this == exp.DataType.Type.DATE
            and isinstance(node.this, exp.Literal)
            and node.this.is_string
        ):
            try:
                dt.date.fromisoformat(node.this.name)
            except ValueError:
                self.errors.append(f"{node.sql()} is not a date (YYYY-MM-DD)")
                return None
            return "date"
        self.errors.append(f"{node.sql()!r} is not allowed in a filter (only columns and literal values)")
        return None

    def same_kind(self, left: exp.Expr, right: exp.Expr, where: exp.Expr):
        a, b = self.value_kind(left), self.value_kind(right)
        if a and b and a != b:
            self.errors.append(f"type mismatch in {where.sql()!r}: {a} compared with {b}")
        for col, lit in ((left, right), (right, left)):
            self.code(col, lit)

    def code(self, col: exp.Expr, lit: exp.Expr):
        """A text literal compared with a coded column must be one of its codes."""
        if isinstance(col, exp.Column) and isinstance(lit, exp.Literal) and lit.is_string:
            info = self.catalogue.column(self.table, col.name)
            if info and info.codes is not None and lit.name not in info.codes:
                self.errors.append(
                    f"{lit.name!r} is not a code of {col.name} in the profile (codes: {', '.join(sorted(info.codes))})"
                )

    def predicate(self, node: exp.Expr):
        if isinstance(node, (exp.And, exp.Or)):
            self.predicate(node.this)
            self.predicate(node.expression)
        elif isinstance(node, (exp.Not, exp.Paren)):
            self.predicate(node.this)
        elif isinstance(node, COMPARISONS):
            self.same_kind(node.this, node.expression, node)
        elif isinstance(node, exp.In):
            if node.args.get("query") or node.args.get("field") or not node.expressions:
                self.errors.append(f"{node.sql()!r}: IN takes a list of values")
                return
            for item in node.expressions:
                self.same_kind(node.this, item, node)
        elif isinstance(node, exp.Between):
            self.same_kind(node.this, node.args["low"], node)
            self.same_kind(node.this, node.args["high"], node)
        elif isinstance(node, exp.Is):
            if not isinstance(node.expression, exp.Null):
                self.errors.append(f"{node.sql()!r}: IS only takes NULL")
            self.value_kind(node.this)
        elif isinstance(node, exp.Column):
            info = self.column(node)
            if info and info.kind != "bool":
                self.errors.append(f"column {node.name!r} is {info.kind}, not a condition (compare it with a value)")
        elif isinstance(node, exp.Boolean):
            pass
        else:
            self.errors.append(f"{node.sql()!r} is not allowed in a filter")


def check(tree: exp.Expr, catalogue: Catalogue, table: str) -> list[str]:
    """Every problem with a parsed filter over ``table``: unknown columns, type mismatches, codes
    not in the profile, forbidden constructs and conditions that can never be true."""
    checker = _Checker(catalogue, table)
    checker.predicate(tree)
    if not checker.errors:
        reason = never_true(tree, catalogue, table)
        if reason:
            checker.errors.append(f"{tree.sql()!r} can never be true: {reason}")
    return checker.errors


def _literal(node: exp.Expr):
    if isinstance(node, exp.Paren):
        return _literal(node.this)
    if isinstance(node, exp.Literal):
        return node.name if node.is_string else float(node.name)
    if isinstance(node, exp.Neg):
        return -float(node.this.name)
    if isinstance(node, exp.Cast):
        return dt.date.fromisoformat(node.this.name)
    if isinstance(node, exp.Boolean):
        return node.this
    return None


def _conjuncts(node: exp.Expr) -> list[exp.Expr]:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


def never_true(tree: exp.Expr, catalogue: Catalogue, table: str) -> str | None:
    """Why a conjunction of simple conditions can never hold (None when it may hold).

    Catches the mistakes that happen: one column equal to two values, an IN list disjoint from an
    equality, an empty range, IS NULL on a column that is never empty or together with a value.
    Conditions under OR/NOT are not analysed (a disjunction is never-true only if every branch is)."""
    if isinstance(tree, exp.Or):
        left, right = never_true(tree.this, catalogue, table), never_true(tree.expression, catalogue, table)
        return f"{left}; and {right}" if left and right else None
    allowed: dict[str, set] = {}
    low: dict[str, tuple] = {}
    high: dict[str, tuple] = {}
    null: set[str] = set()
    valued: set[str] = set()
    for c in _conjuncts(tree):
        if isinstance(c, exp.Or):
            reason = never_true(c, catalogue, table)
            if reason:
                return reason
            continue
        if isinstance(c, exp.Boolean) and not c.this:
            return "FALSE"
        col = c.this if isinstance(c, (exp.EQ, exp.In, exp.Between, exp.Is, *COMPARISONS)) else None
        if not isinstance(col, exp.Column):
            continue
        name = col.name
        if isinstance(c, exp.Is):
            info = catalogue.column(table, name)
            if info and not info.nullable:
                return f"{name} is never empty"
            null.add(name)
            continue
        valued.add(name)
        if isinstance(c, exp.EQ):
            values = {_literal(c.expression)}
        elif isinstance(c, exp.In):
            values = {_literal(e) for e in c.expressions}
        else:
            values = None
        if values is not None and None not in values:
            allowed[name] = allowed[name] & values if name in allowed else values
            if not allowed[name]:
                return f"{name} cannot take all the values asked for"
        bounds = []
        if isinstance(c, exp.Between):
            bounds = [("low", _literal(c.args["low"]), False), ("high", _literal(c.args["high"]), False)]
        elif isinstance(c, (exp.GT, exp.GTE)):
            bounds = [("low", _literal(c.expression), isinstance(c, exp.GT))]
        elif isinstance(c, (exp.LT, exp.LTE)):
            bounds = [("high", _literal(c.expression), isinstance(c, exp.LT))]
        for side, value, strict in bounds:
            if value is None:
                continue
            store = low if side == "low" else high
            old = store.get(name)
            tighter = value > old[0] if side == "low" and old else value < old[0] if old else True
            if tighter or (old and value == old[0] and strict):
                store[name] = (value, strict)
    for name in null & valued:
        return f"{name} IS NULL together with a condition on its value"
    for name in set(low) & set(high):
        (lo, lo_strict), (hi, hi_strict) = low[name], high[name]
        try:
            empty = lo > hi or (lo == hi and (lo_strict or hi_strict))
        except TypeError:
            continue
        if empty:
            return f"the range of {name} is empty"
    for name, values in allowed.items():
        inside = [v for v in values if _in_range(v, low.get(name), high.get(name))]
        if not inside:
            return f"no value of {name} asked for lies in its range"
    return None


def _in_range(v, lo, hi) -> bool:
    try:
        return (lo is None or v > lo[0] or (v == lo[0] and not lo[1])) and (
            hi is None or v < hi[0] or (v == hi[0] and not hi[1])
        )
    except TypeError:
        return True
