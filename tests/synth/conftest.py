"""The scale-1 population of seed 2023 drawn once for the session without a database, and its
analytics tables written straight to Parquet (``pestrack synth --out``)."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

SEED = 2023
YEARS = (2022, 2023)


@pytest.fixture(scope="session")
def drawn(django_db_blocker):
    from pestrack.records.codes.profile import read_profile
    from pestrack.synth import run

    with django_db_blocker.block():
        return run.build("stockholm", list(YEARS), seed=SEED, codes=run.Codes.from_profile(read_profile("stockholm")))


@pytest.fixture(scope="session")
def drawn_tables(drawn, tmp_path_factory, django_db_blocker):
    """(folder, {table: rows}) of every analytics table written from ``drawn``."""
    from pestrack.analytics.schema import TABLES
    from pestrack.records.codes.profile import read_profile
    from pestrack.synth.to_parquet import ParquetOut

    out = tmp_path_factory.mktemp("drawn")
    with django_db_blocker.block():
        writer = ParquetOut(out, read_profile("stockholm"))
        writer.add(drawn)
        writer.finish()
    # every table but the labour-market ones, which `pestrack lmi synth` writes (docs/lmi.md)
    return out, {t.name: pq.read_table(out / f"{t.name}.parquet").to_pylist() for t in TABLES if not t.lmi}
