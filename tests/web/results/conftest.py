"""A small population at known units, its analytics extracted into the test's own folder, and
users for each kind of results access."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.web.conftest import PASSWORD

TODAY = dt.date(2023, 12, 31)  # the sample's enrolments start in 2022 and 2023


@pytest.fixture
def results_world(world, settings, tmp_path):
    """The access-test ``world`` plus 80 sample persons (2022–2023) and:
    chef (unit manager of Jobbtorg Järva only), lead (unit manager and caseworker of Järva),
    maria (unit manager of all Jobbtorg), ali (analyst), anna (caseworker)."""
    from pestrack.records.org.models import Assignment, OrgUnit
    from pestrack.records.org.users import add_user
    from pestrack.records.sample import create_sample
    from pestrack.results import data

    create_sample(80, seed=11, today=TODAY)
    add_user("chef", "unit_manager", ["jt-jarva"], password=PASSWORD)
    lead = add_user("lead", "unit_manager", ["jt-jarva"], password=PASSWORD)
    Assignment.objects.create(user=lead, role="caseworker", unit=OrgUnit.objects.get(code="jt-jarva"))
    settings.PESTRACK_ANALYTICS_DIR = None
    settings.PESTRACK_ANALYTICS_CACHE_DIR = str(tmp_path / "analytics")
    settings.PESTRACK_ANALYTICS_REFRESH = 3600
    data.clear_cache()
    return world
