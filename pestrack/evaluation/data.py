"""Turning a table (CSV, Parquet, or the analytics tables) into the arrays an estimator needs.

Every check names the file, the row and the column: a treatment that is not yes/no, an outcome that
is not a number, missing values (an error unless ``missing="drop"``, which drops the rows and says how
many), no treated or no comparison units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

YES = {"1", "true", "yes", "y", "ja", "j", "t"}
NO = {"0", "false", "no", "n", "nej", "f"}
MAX_LEVELS = 100  # a categorical covariate with more levels than this is almost surely an id


class EvaluationError(ValueError):
    """Bad input to an evaluation: the message says what, where, and how to fix it."""


@dataclass
class Dataset:
    """One unit per row: treated (bool), outcome, the covariate design matrix and optional extras."""

    treated: np.ndarray
    outcome: np.ndarray
    X: np.ndarray  # design matrix: numeric covariates as they are, categorical ones one-hot (first level dropped)
    names: list[str]  # one per column of X, e.g. "age" or "sex=woman"
    covariates: list[str]  # the covariates as given
    treatment_name: str = "treated"
    outcome_name: str = "outcome"
    exact: np.ndarray | None = None  # integer cell per row for exact matching
    exact_names: list[str] = field(default_factory=list)
    pre_outcome: np.ndarray | None = None
    outcome_binary: bool = False
    source: str = ""
    n_dropped_missing: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.treated)

    def subset(self, rows: np.ndarray) -> Dataset:
        """The same data on some rows (a boolean mask or indices)."""
        pick = lambda a: None if a is None else a[rows]  # noqa: E731
        return Dataset(
            self.treated[rows],
            self.outcome[rows],
            self.X[rows],
            self.names,
            self.covariates,
            self.treatment_name,
            self.outcome_name,
            pick(self.exact),
            self.exact_names,
            pick(self.pre_outcome),
            self.outcome_binary,
            self.source,
            self.n_dropped_missing,
            list(self.notes),
        )


def read_table(path: Path) -> pa.Table:
    """Read a CSV or Parquet file (by its suffix)."""
    path = Path(path)
    if not path.exists():
        raise EvaluationError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.read_table(path)
        if suffix in (".csv", ".txt", ".tsv"):
            from pyarrow import csv

            parse = csv.ParseOptions(delimiter="\t" if suffix == ".tsv" else ",")
            return csv.read_csv(path, parse_options=parse)
    except (pa.ArrowInvalid, OSError) as exc:
        raise EvaluationError(f"{path}: cannot be read ({exc})") from exc
    raise EvaluationError(f"{path}: unknown file type {suffix!r}; give a .csv or .parquet file")


def _where(source: str, row: int) -> str:
    """'FILE: row R (line L)' for a CSV, 'FILE: row R' otherwise; rows count from 1."""
    line = f" (line {row + 1})" if source.lower().endswith((".csv", ".tsv", ".txt")) else ""
    return f"{source}: row {row}{line}"


def _column(table: pa.Table, name: str, source: str, role: str) -> pa.ChunkedArray:
    if name not in table.column_names:
        raise EvaluationError(f"{source}: no {role} column {name!r}; the columns are {', '.join(table.column_names)}")
    return table.column(name)


def _yes_no(col: pa.ChunkedArray, name: str, source: str, role: str) -> np.ndarray:
    """A yes/no column as bool: bool, 0/1 numbers, or yes/no, true/false, ja/nej, 1/0 text."""
    t = col.type
    if pa.types.is_boolean(t):
        return col.to_numpy(zero_copy_only=False).astype(bool)
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        values = col.to_numpy(zero_copy_only=False).astype(float)
        bad = np.flatnonzero((values != 0) & (values != 1))
        if len(bad):
            raise EvaluationError(
                f"{_where(source, bad[0] + 1)}, {role} column {name!r}: {values[bad[0]]:g} is not "
                f"yes/no (0 or 1); {len(bad)} such rows"
            )
        return values == 1
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t):
        text = [str(v).strip().lower() for v in col.to_pylist()]
        out = np.empty(len(text), dtype=bool)
        for i, v in enumerate(text):
            if v in YES:
                out[i] = True
            elif v in NO:
                out[i] = False
            else:
                raise EvaluationError(
                    f"{_where(source, i + 1)}, {role} column {name!r}: {v!r} is not yes/no "
                    f"(give yes/no, true/false, ja/nej or 1/0)"
                )
        return out
    raise EvaluationError(f"{source}: {role} column {name!r} has type {t}, not yes/no")


def _is_yes_no_text(col: pa.ChunkedArray) -> bool:
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        return False
    values = {str(v).strip().lower() for v in pc.unique(col.drop_null()).to_pylist()}
    return bool(values) and values <= (YES | NO)


def _numeric(col: pa.ChunkedArray, name: str, source: str, role: str) -> tuple[np.ndarray, bool]:
    """A number per row; yes/no columns become 0/1. Returns (values, is_binary)."""
    t = col.type
    if pa.types.is_boolean(t) or _is_yes_no_text(col):
        return _yes_no(col, name, source, role).astype(float), True
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        values = col.to_numpy(zero_copy_only=False).astype(float)
        if not np.all(np.isfinite(values)):
            bad = np.flatnonzero(~np.isfinite(values))[0]
            raise EvaluationError(
                f"{_where(source, bad + 1)}, {role} column {name!r}: {values[bad]} is not a finite number"
            )
        return values, bool(np.isin(values, (0.0, 1.0)).all())
    raise EvaluationError(f"{source}: {role} column {name!r} has type {t}; it must be a number or yes/no")


def _design(table: pa.Table, covariates: list[str], source: str) -> tuple[np.ndarray, list[str], list[str]]:
    """Numeric and yes/no covariates as they are; text ones one-hot with the first level (sorted) dropped."""
    cols, names, notes = [], [], []
    for name in covariates:
        col = _column(table, name, source, "covariate")
        t = col.type
        if pa.types.is_dictionary(t):
            col = col.cast(pa.string())
            t = col.type
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            if _is_yes_no_text(col):
                cols.append(_yes_no(col, name, source, "covariate").astype(float))
                names.append(name)
                continue
            values = np.asarray(col.to_pylist(), dtype=object)
            levels = sorted(set(values.tolist()))
            if len(levels) > MAX_LEVELS:
                raise EvaluationError(
                    f"{source}: covariate {name!r} has {len(levels)} distinct values (more than "
                    f"{MAX_LEVELS}); it looks like an id: leave it out or group it"
                )
            for level in levels[1:]:
                cols.append((values == level).astype(float))
                names.append(f"{name}={level}")
            if len(levels) == 1:
                notes.append(f"covariate {name!r} has one value ({levels[0]}) and was left out")
            continue
        if pa.types.is_date(t) or pa.types.is_timestamp(t):
            col = col.cast(pa.int64()) if pa.types.is_date64(t) else col.cast(pa.int32()).cast(pa.int64())
        values, _ = _numeric(col, name, source, "covariate")
        if np.ptp(values) == 0:
            notes.append(f"covariate {name!r} is constant ({values[0]:g}) and was left out")
            continue
        cols.append(values)
        names.append(name)
    X = np.column_stack(cols) if cols else np.empty((table.num_rows, 0))
    return X, names, notes


def prepare(
    table: pa.Table,
    *,
    treatment: str,
    outcome: str,
    covariates: list[str],
    exact: Sequence[str] = (),
    pre_outcome: str | None = None,
    missing: str = "error",
    source: str = "data",
) -> Dataset:
    """Check the columns and build the Dataset. ``missing``: "error" (default) or "drop" (drop those rows)."""
    if missing not in ("error", "drop"):
        raise EvaluationError(f"missing must be 'error' or 'drop', not {missing!r}")
    covariates = [c for c in covariates if c]
    exact = [c for c in exact if c]
    if not covariates and not exact:
        raise EvaluationError("give at least one covariate to compare like with like")
    used = [treatment, outcome, *covariates, *exact] + ([pre_outcome] if pre_outcome else [])
    for role, name in (
        [("treatment", treatment), ("outcome", outcome)]
        + [("covariate", c) for c in covariates]
        + [("exact-matching", c) for c in exact]
        + ([("pre-outcome", pre_outcome)] if pre_outcome else [])
    ):
        _column(table, name, source, role)
    if treatment in [outcome, *covariates, *exact]:
        raise EvaluationError(f"the treatment column {treatment!r} cannot also be the outcome or a covariate")
    dropped = 0
    nulls = {name: table.column(name).null_count for name in dict.fromkeys(used)}
    if any(nulls.values()):
        if missing == "error":
            name = next(n for n, k in nulls.items() if k)
            first = int(np.flatnonzero(table.column(name).is_null().to_numpy(zero_copy_only=False))[0])
            listed = ", ".join(f"{n} ({k})" for n, k in nulls.items() if k)
            raise EvaluationError(
                f"{_where(source, first + 1)}, column {name!r}: missing value; missing values in "
                f"{listed}. Fill them in, or drop those rows with --missing drop"
            )
        keep = np.ones(table.num_rows, dtype=bool)
        for name in nulls:
            keep &= ~table.column(name).is_null().to_numpy(zero_copy_only=False)
        dropped = int((~keep).sum())
        table = table.filter(pa.array(keep))
    if table.num_rows == 0:
        why = f" ({dropped} dropped for missing values)" if dropped else ""
        raise EvaluationError(f"{source}: no rows to compare{why}")
    treated = _yes_no(table.column(treatment), treatment, source, "treatment")
    n_t = int(treated.sum())
    if n_t == 0:
        raise EvaluationError(f"{source}: no treated units ({treatment!r} is no on every row)")
    if n_t == len(treated):
        raise EvaluationError(f"{source}: no comparison units ({treatment!r} is yes on every row)")
    y, binary = _numeric(table.column(outcome), outcome, source, "outcome")
    X, names, notes = _design(table, covariates, source)
    pre = _numeric(table.column(pre_outcome), pre_outcome, source, "pre-outcome")[0] if pre_outcome else None
    cells = None
    if exact:
        keys = [np.asarray(table.column(c).cast(pa.string()).to_pylist(), dtype=object) for c in exact]
        joined = np.array(["\x1f".join(parts) for parts in zip(*keys)], dtype=object) if keys[0].size else keys[0]
        _, cells = np.unique(joined.astype(str), return_inverse=True)
    if dropped:
        notes.append(f"{dropped} rows with missing values were dropped")
    return Dataset(
        treated, y, X, names, covariates, treatment, outcome, cells, list(exact), pre, binary, source, dropped, notes
    )


def load(path: Path, **kwargs) -> Dataset:
    return prepare(read_table(path), source=str(path), **kwargs)
