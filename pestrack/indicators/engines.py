"""Where the compiled queries run. Every engine reads the analytics tables (Parquet files from
``pestrack analytics extract``) under their own names and runs the same SQLGlot tree, transpiled
to its dialect; ``run`` returns (breakdown, breakdown_value, numerator, denominator, value) rows."""
from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from pestrack.analytics.schema import TABLES

Row = tuple[str, str | None, float | None, float | None, float | None]


class Engine:
    dialect = "duckdb"
    tables: dict[str, Path] = {}  # the analytics tables found in the data folder

    def run(self, query: exp.Expression) -> list[Row]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _parquet_files(data: Path) -> dict[str, Path]:
    data = Path(data)
    if not data.is_dir():
        raise FileNotFoundError(f"{data}: no such folder of analytics tables (pestrack analytics extract --out {data})")
    return {t.name: data / f"{t.name}.parquet" for t in TABLES if (data / f"{t.name}.parquet").exists()}


class DuckDBEngine(Engine):
    """DuckDB in memory, one view per Parquet file of the folder."""

    dialect = "duckdb"

    def __init__(self, data: Path):
        import duckdb

        self.con = duckdb.connect(":memory:")
        self.tables = _parquet_files(data)
        for name, path in self.tables.items():
            literal = exp.Literal.string(str(path)).sql(dialect="duckdb")
            self.con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet({literal})')

    def run(self, query: exp.Expression) -> list[Row]:
        return self.con.execute(query.sql(dialect=self.dialect)).fetchall()

    def close(self) -> None:
        self.con.close()


PG_TYPES = {"string": "text", "date32[day]": "date", "int64": "bigint", "int32": "integer", "bool": "boolean",
            "double": "double precision"}


class PostgresEngine(Engine):
    """Loads the Parquet tables into a schema of its own on a PostgreSQL server, then runs the
    queries there. The schema is dropped on close unless ``keep``."""

    dialect = "postgres"

    def __init__(self, data: Path, url: str, schema: str = "pestrack_indicators", keep: bool = False):
        import psycopg

        if not re.fullmatch(r"[a-z_][a-z0-9_]*", schema):
            raise ValueError(f"schema name {schema!r}: use lower-case letters, digits and _")
        self.schema, self.keep = schema, keep
        self.tables = _parquet_files(data)
        self.conn = psycopg.connect(url, autocommit=True)
        self.conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        self.conn.execute(f'CREATE SCHEMA "{schema}"')
        for name, path in self.tables.items():
            self._load(name, pq.read_table(path))
        self.conn.execute(f'SET search_path TO "{schema}"')

    def _load(self, name: str, table: pa.Table) -> None:
        columns = ", ".join(f'"{f.name}" {PG_TYPES[str(f.type)]}' for f in table.schema)
        self.conn.execute(f'CREATE TABLE "{self.schema}"."{name}" ({columns})')
        names = ", ".join(f'"{f.name}"' for f in table.schema)
        with self.conn.cursor() as cur, cur.copy(f'COPY "{self.schema}"."{name}" ({names}) FROM STDIN') as copy:
            for batch in table.to_batches():
                for row in zip(*(c.to_pylist() for c in batch.columns)):
                    copy.write_row(row)

    def run(self, query: exp.Expression) -> list[Row]:
        return self.conn.execute(query.sql(dialect=self.dialect)).fetchall()

    def close(self) -> None:
        if not self.keep:
            self.conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        self.conn.close()


class SparkEngine(Engine):
    dialect = "spark"

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("the Apache Spark engine (PySpark) is a later step of issue 4; "
                                  "use --engine duckdb or --engine postgres")


ENGINES = {"duckdb": DuckDBEngine, "postgres": PostgresEngine, "spark": SparkEngine}
