"""Where the compiled queries run. Every engine reads the analytics tables (Parquet files from
``pestrack analytics extract``) under their own names and runs the same SQLGlot tree, transpiled
to its dialect; ``run`` returns (breakdown, breakdown_value, numerator, denominator, value) rows."""

from __future__ import annotations

import io
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from sqlglot import exp

from pestrack.analytics.schema import TABLES

Row = tuple[str, str | None, float | None, float | None, float | None]  # a row of an indicator's query (compile.py)


class Engine:
    dialect = "duckdb"
    tables: dict[str, Path] = {}  # the analytics tables found in the data folder

    def run(self, query: exp.Expression) -> list[tuple]:
        """The rows of any query (an indicator's give Row; the results layer's months, counts and pages others)."""
        raise NotImplementedError

    def run_all(self, queries: list[exp.Expression]) -> list[list[Row]]:
        """The rows of each indicator query, in the order of ``queries`` (one after the other here)."""
        return [self.run(q) for q in queries]

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
    """DuckDB in memory, one view per Parquet file of the folder.

    Every query reads its Parquet file again (DuckDB pushes each indicator's filters into the scan,
    which costs less than sharing one scan between indicators). The files are sorted by their
    table's sort key (analytics/schema.py), so a scan skips the row groups whose min/max rule its
    filters out: at scale 100 that halved the time of the set. The files' metadata is cached, not
    read and parsed again at each query. Rows come in no particular order unless the query has an
    ORDER BY (compute() sorts them), which lets DuckDB's two threads work with less waiting (about
    a tenth less time).

    ``run_all`` runs the queries ``workers`` at a time (default: DuckDB's thread count), each on a
    cursor of its own and on one thread, the costliest first (distinct counts, then by the rows of
    their table): the cores are used by running queries side by side rather than by splitting each
    query (which probably spares DuckDB the merging of per-thread hash tables, large for the
    distinct counts), and starting with the longest keeps a long one from running alone at the end.
    At scale 100 that took the set from about 0.85 s to about 0.7 s (medians of fresh processes
    taking turns; docs/indicators.md). ``run`` (one query) uses every thread."""

    dialect = "duckdb"

    def __init__(self, data: Path, workers: int | None = None):
        import duckdb

        self.con = duckdb.connect(":memory:")
        threads = self.con.execute("SELECT current_setting('threads')").fetchone()
        assert threads is not None  # a SELECT without FROM gives one row
        self.threads = threads[0]
        self.workers = workers or self.threads
        self.con.execute("SET parquet_metadata_cache = true")
        self.con.execute("SET preserve_insertion_order = false")
        self.tables = _parquet_files(data)
        self.rows: dict[str, int] = {}  # rows per table, read when first needed (``_cost``)
        for name, path in self.tables.items():
            literal = exp.Literal.string(str(path)).sql(dialect="duckdb")
            self.con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet({literal})')

    def run(self, query: exp.Expression, con=None) -> list[tuple]:
        return (con or self.con).execute(query.sql(dialect=self.dialect)).fetchall()

    def run_all(self, queries: list[exp.Expression]) -> list[list[Row]]:
        if self.workers <= 1 or len(queries) <= 1:
            return super().run_all(queries)

        def run_on_own_cursor(query: exp.Expression) -> list[Row]:
            with self.con.cursor() as cursor:  # DuckDB runs a query per connection at a time
                return self.run(query, cursor)

        order = sorted(range(len(queries)), key=lambda k: self._cost(queries[k]), reverse=True)
        self.con.execute("SET threads = 1")  # for the whole database: every cursor's query on one thread
        try:
            with ThreadPoolExecutor(self.workers, thread_name_prefix="pestrack-duckdb") as pool:
                rows = list(pool.map(run_on_own_cursor, [queries[k] for k in order]))
        finally:
            self.con.execute(f"SET threads = {int(self.threads)}")
        out: list[list[Row]] = [[] for _ in queries]
        for k, r in zip(order, rows):
            out[k] = r
        return out

    def _cost(self, query: exp.Expression) -> tuple[bool, int]:
        """How long a query will take, roughly: a distinct count costs most per row; then the rows
        of the tables it reads (each table's count read once from its Parquet footer)."""
        names = {t.name for t in query.find_all(exp.Table)} & set(self.tables)
        for n in names - set(self.rows):
            self.rows[n] = pq.ParquetFile(self.tables[n]).metadata.num_rows
        return query.find(exp.Distinct) is not None, sum(self.rows[n] for n in names)

    def close(self) -> None:
        self.con.close()


PG_TYPES = {
    "string": "text",
    "date32[day]": "date",
    "int64": "bigint",
    "int32": "integer",
    "bool": "boolean",
    "double": "double precision",
}


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
        try:
            for name, path in self.tables.items():
                self._load(name, pq.ParquetFile(path))
        except BaseException:
            self.close()  # nothing half-loaded is left behind
            raise
        self.conn.execute(f'SET search_path TO "{schema}"')

    def _load(self, name: str, parquet: pq.ParquetFile) -> None:
        """COPY … FROM STDIN (FORMAT csv), fed by pyarrow's CSV writer batch by batch: no Python object per
        value, so a table of millions of rows loads in seconds. Empty unquoted = NULL, "" = empty text;
        doubles are written in their shortest exact form."""
        schema = parquet.schema_arrow
        columns = ", ".join(f'"{f.name}" {PG_TYPES[str(f.type)]}' for f in schema)
        table = f'"{self.schema}"."{name}"'
        self.conn.execute(f"CREATE TABLE {table} ({columns})")
        names = ", ".join(f'"{f.name}"' for f in schema)
        options = pa_csv.WriteOptions(include_header=False)
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy:
            for batch in parquet.iter_batches(batch_size=100_000):
                buffer = io.BytesIO()
                pa_csv.write_csv(batch, buffer, options)
                copy.write(buffer.getbuffer())
        self.conn.execute(f"ANALYZE {table}")

    def run(self, query: exp.Expression) -> list[tuple]:
        return self.conn.execute(query.sql(dialect=self.dialect)).fetchall()

    def close(self) -> None:
        if not self.keep:
            self.conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        self.conn.close()


class EngineUnavailable(RuntimeError):
    """The engine's software is not installed or cannot start here (the message says what to do)."""


SPARK_CONF = {  # one machine, no network, quiet: see docs/indicators.md "Spark settings"
    "spark.app.name": "pestrack-indicators",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "4",  # the aggregates are small; Spark's 200 only costs start-up time
    "spark.sql.ansi.enabled": "true",
}


SPARK_SMALL_DATA = {  # tests and small folders: start-up and planning dominate, not the scans
    "spark.sql.shuffle.partitions": "1",
    "spark.sql.adaptive.enabled": "false",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",  # quick JIT, one GC thread
}


def spark_session(master: str = "local[2]", conf: dict[str, str] | None = None):
    """A SparkSession (PySpark) with ``SPARK_CONF`` and ``conf`` on top; an existing session of the
    process is reused (Spark allows one per process)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineUnavailable(
            "the Apache Spark engine needs PySpark: pip install 'pestrack[spark]' (python3 dev.py test installs it)"
        ) from None
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise EngineUnavailable("the Apache Spark engine needs Java 17 or 21: no java on PATH and no JAVA_HOME")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.master(master)
    for key, value in {**SPARK_CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def _active_spark():
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    return SparkSession.getActiveSession()


class SparkEngine(Engine):
    """Apache Spark through PySpark: one temporary view per Parquet file, the query transpiled to
    Spark SQL. Without ``session`` it starts one (``master``, default local mode on two cores, or uses the
    one running in the process) and stops what it started on close; a given session is left running."""

    dialect = "spark"

    def __init__(self, data: Path, master: str = "local[2]", session=None, conf: dict[str, str] | None = None):
        self.tables = _parquet_files(data)
        if session is None:
            self.own = _active_spark() is None  # a session already running in the process is not ours to stop
            session = spark_session(master, conf)
        else:
            self.own = False
        self.spark = session
        for name, path in self.tables.items():
            self.spark.read.parquet(str(path)).createOrReplaceTempView(name)

    def run(self, query: exp.Expression) -> list[tuple]:
        return [tuple(r) for r in self.spark.sql(query.sql(dialect=self.dialect)).collect()]

    def close(self) -> None:
        for name in self.tables:
            self.spark.catalog.dropTempView(name)
        if self.own:
            self.spark.stop()


ENGINES = {"duckdb": DuckDBEngine, "postgres": PostgresEngine, "spark": SparkEngine}
