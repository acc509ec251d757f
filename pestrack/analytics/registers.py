"""``pestrack analytics import``: a register file (CSV or Parquet) into one of the register tables of
the analytics schema (course results, education follow-ups), pseudonymised on the way in.

The file has the table's columns by name (docs/analytics-schema.md); instead of ``person_key`` it may
have ``identity_number`` (personnummer or samordningsnummer), which is turned into the same
``person_key`` the extract gives that person and then dropped. Every row is checked against the
schema (required values, types, allowed values) before anything is written; the errors name the
file, the row and the column, and the table is replaced whole or not at all.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq

from pestrack.analytics.extract import note_table, read_manifest, write_manifest, write_table
from pestrack.analytics.pseudonym import is_person_key
from pestrack.analytics.schema import BY_NAME, Column
from pestrack.records.audit import log

IDENTITY = "identity_number"
TRUE, FALSE = {"true", "1", "yes", "ja", "j", "y"}, {"false", "0", "no", "nej", "n"}
MAX_ERRORS = 50


class RegisterError(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def _read(path: Path) -> tuple[list[str], list[dict]]:
    if path.suffix.lower() == ".parquet":
        table = pq.read_table(path)
        return table.column_names, table.to_pylist()
    with path.open(encoding="utf-8-sig", newline="") as f:
        sample = f.read(4096)
        f.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample.splitlines()[0] if sample else "", delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(f, dialect=dialect)
        return list(reader.fieldnames or []), list(reader)


def _value(raw, col: Column):
    """The typed value of one cell, or raises ValueError with what is wrong."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        if not col.nullable:
            raise ValueError("a value is required")
        return None
    kind = str(col.type)
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in TRUE or text in FALSE:
            return text in TRUE
        raise ValueError(f"{raw!r} is not yes/no (true, false, 1, 0, ja, nej)")
    if kind.startswith("date32"):
        if isinstance(raw, dt.date):
            return raw
        try:
            return dt.date.fromisoformat(str(raw).strip())
        except ValueError:
            raise ValueError(f"{raw!r} is not a date (YYYY-MM-DD)") from None
    if kind in ("int32", "int64"):
        try:
            return int(str(raw).strip())
        except ValueError:
            raise ValueError(f"{raw!r} is not a whole number") from None
    if kind == "double":
        try:
            return float(str(raw).strip().replace(",", "."))
        except ValueError:
            raise ValueError(f"{raw!r} is not a number") from None
    text = str(raw).strip()
    if col.values and text not in col.values:
        raise ValueError(f"{text!r} is not one of {', '.join(col.values)}")
    return text


def _person_key(number: str) -> str:
    from pestrack.analytics.pseudonym import key_for_identity_number
    from pestrack.records.people.identity import parse

    return key_for_identity_number(parse(number).digits)


def check(path: Path, table: str) -> list[dict]:
    """The typed rows of a register file for ``table``; raises RegisterError listing the problems."""
    if table not in BY_NAME or not BY_NAME[table].register:
        registers = ", ".join(t for t, spec in BY_NAME.items() if spec.register)
        raise RegisterError([f"{table!r} is not a register table (register tables: {registers})"])
    if not path.is_file():
        raise RegisterError([f"{path}: no such file"])
    spec = BY_NAME[table]
    header, raw_rows = _read(path)
    names = {c.name for c in spec.columns}
    errors = [
        f"{path}: column {h!r} is not a column of {table} ({', '.join(sorted(names))})"
        for h in header
        if h not in names and h != IDENTITY
    ]
    if "person_key" in names and "person_key" not in header and IDENTITY not in header:
        errors.append(f"{path}: needs a column person_key or {IDENTITY}")
    errors += [
        f"{path}: column {c.name!r} is missing (it is required)"
        for c in spec.columns
        if not c.nullable and c.name not in header and c.name != "person_key"
    ]
    if errors:
        raise RegisterError(errors)
    rows = []
    for n, raw in enumerate(raw_rows, start=2):  # row 1 is the header
        row = {}
        if IDENTITY in header and not (raw.get("person_key") or "").strip():
            try:
                row["person_key"] = _person_key(str(raw.get(IDENTITY) or ""))
            except ValueError as exc:  # the parser's message starts with the number: keep only the reason
                errors.append(f"{path}:{n}: {IDENTITY}: not a valid identity number: {str(exc).split(': ', 1)[-1]}")
        for col in spec.columns:
            if col.name in row:
                continue
            try:
                row[col.name] = _value(raw.get(col.name), col)
            except ValueError as exc:
                errors.append(f"{path}:{n}: {col.name}: {exc}")
        if "person_key" in header and row.get("person_key") and not is_person_key(row["person_key"]):
            errors.append(
                f"{path}:{n}: person_key: {row['person_key'][:40]!r} is not a pestrack pseudonym "
                "(12 letters and digits); give the identity_number instead"
            )
        if len(errors) >= MAX_ERRORS:
            errors.append(f"{path}: stopped after {MAX_ERRORS} errors")
            break
        rows.append(row)
    if errors:
        raise RegisterError(errors)
    return rows


def import_register(path: Path | str, table: str, out: Path | str) -> int:
    """Check ``path`` and write it as ``out/<table>.parquet`` (replacing the table); returns the rows."""
    path, out = Path(path), Path(out)
    rows = check(path, table)
    out.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(out)
    n, sha, _ = write_table(table, rows, out, None)
    note_table(manifest, table, n, sha, source_file=path.name)
    write_manifest(out, manifest)
    log.record(
        log.cli_actor(),
        "import",
        object_type="analytics",
        source="cli",
        detail=f"register file {path.name} into the analytics table {table} in {out.name}: {n} rows",
    )
    return n
