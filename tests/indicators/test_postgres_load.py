"""The PostgreSQL engine loads Parquet with COPY (CSV): every value arrives as it was, empty text is
not confused with no value, and doubles are exact."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from tests.indicators.conftest import D, write_table

pytestmark = pytest.mark.postgres


def test_copy_keeps_every_value(tmp_path, own_postgres_database):
    from pestrack.indicators.engines import PostgresEngine

    data = tmp_path / "data"
    path = write_table(
        data,
        "exits",
        [
            {
                "org_unit": 'a,"b"\nc;\\N',
                "education_level": "",
                "duration_months": 1 / 3,
                "born_abroad": True,
                "exit_date": D(2023, 2, 28),
            },
            {
                "org_unit": "NULL",
                "education_level": None,
                "duration_months": 1e-300,
                "born_abroad": None,
                "exit_date": D(1999, 12, 31),
                "age_at_exit": -1,
            },
        ],
    )
    url, _ = own_postgres_database
    with PostgresEngine(data, url, schema="load_test") as pg:
        columns = pq.read_schema(path).names
        got = pg.conn.execute(f"SELECT {', '.join(columns)} FROM exits ORDER BY enrolment_id").fetchall()
    expected = pq.read_table(path).to_pylist()
    assert [dict(zip(columns, row)) for row in got] == expected


def test_a_failed_load_leaves_no_schema(tmp_path, own_postgres_database, monkeypatch):
    import psycopg

    from pestrack.indicators import engines

    write_table(tmp_path / "data", "exits", [{"duration_months": 0.5}])
    url, _ = own_postgres_database
    monkeypatch.setitem(engines.PG_TYPES, "double", "integer")  # duration_months cannot load as an integer
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        engines.PostgresEngine(tmp_path / "data", url, schema="broken_load")
    with psycopg.connect(url) as conn:
        assert conn.execute(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'broken_load'"
        ).fetchone() == (0,)
