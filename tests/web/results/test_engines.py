"""pestrack.results asks everything of an indicator Engine: on PostgreSQL it gives the DuckDB answers
(months with data, values with breakdowns, the rows behind an indicator page by page, the report);
and nothing in pestrack/web reaches past it to an engine, a query builder or SQL of its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.web.results.pages import INDICATOR

ROOT = Path(__file__).resolve().parents[3]


def _answers():
    from pestrack.results import data, service

    data.clear_cache()
    ind = service.indicators()[INDICATOR]
    return {
        "months": service.months(),
        "default": service.default_year(),
        "results": service.results(ind, 2023, "VB", None, list(service.dimensions(ind))),
        "scoped": service.results(ind, 2023, "T2", ["/stockholm/amf/jobbtorg/jt-jarva/"]),
        "rows": service.drill_rows(ind, 2023, "VB", None, "numerator", 1),
        "report": [(r.goal_id, r.values, r.fulfilment) for r in service.report(2023, "VB", None).rows],
    }


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_results_on_postgresql_are_those_on_duckdb(results_world, settings, own_postgres_database):
    settings.PESTRACK_RESULTS_ENGINE = "duckdb"
    duck = _answers()
    settings.PESTRACK_RESULTS_ENGINE = "postgres"
    settings.PESTRACK_RESULTS_ENGINE_URL = own_postgres_database[0]
    pg = _answers()
    assert duck["months"] and duck["results"] and duck["rows"][2] > 0
    assert pg == duck


def test_an_unknown_engine_is_refused_by_name(settings, tmp_path):
    from pestrack.results.service import open_engine

    settings.PESTRACK_RESULTS_ENGINE = "sqlite"
    with pytest.raises(ValueError, match="PESTRACK_RESULTS_ENGINE='sqlite': use duckdb or postgres"):
        open_engine(tmp_path)


# What only pestrack.results may use: the engines, the query builders and the runner of queries.
ENGINE_MODULES = {"pestrack.indicators.engines", "pestrack.indicators.coverage", "duckdb", "sqlglot", "psycopg"}
QUERY_NAMES = {"compile_indicator", "compile_rows", "compile_months", "count_of", "page_of", "compute", "build"}


def test_web_asks_the_results_layer_and_builds_no_query():
    broken = []
    for path in sorted((ROOT / "pestrack" / "web").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import):
                broken += [f"{where}: imports {a.name}" for a in node.names if a.name.split(".")[0] in ENGINE_MODULES]
            elif isinstance(node, ast.ImportFrom) and node.module:
                if node.module in ENGINE_MODULES or node.module.split(".")[0] in ENGINE_MODULES:
                    broken.append(f"{where}: imports from {node.module}")
                broken += [
                    f"{where}: imports {node.module}.{a.name}"
                    for a in node.names
                    if node.module.startswith("pestrack.") and a.name in QUERY_NAMES
                ]
    assert not broken, "web reaches past pestrack.results to the engine:\n" + "\n".join(broken)
