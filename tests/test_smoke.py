import pytest


@pytest.mark.django_db
def test_profile_loads_units_and_codes(profile):
    from pestrack.records.codes.models import Code
    from pestrack.records.org.models import OrgUnit

    assert OrgUnit.objects.get(code="jt-jarva").path == "/stockholm/amf/jobbtorg/jt-jarva/"
    assert Code.objects.get(list="target_group", code="kaa").rules["max_age"] == 19
