"""A value computed for part of the organisation is compared only with a target set for that part."""

from __future__ import annotations

from pestrack.indicators.fulfilment import CITY_ONLY, scoped_target

TARGETS = {"own": 850, "kf": 900, "units": {"jt-jarva": 55}}


def test_all_units_use_the_city_wide_target():
    assert scoped_target(TARGETS, None) == (850, None)


def test_one_unit_uses_its_own_target():
    assert scoped_target(TARGETS, ["/stockholm/amf/jt-jarva/"]) == (55, None)


def test_a_unit_without_a_target_of_its_own_is_not_compared_with_the_citys():
    assert scoped_target(TARGETS, ["/stockholm/amf/jt-soderort/"]) == (None, CITY_ONLY)
    assert scoped_target({"own": 850}, ["/stockholm/amf/jt-jarva/"]) == (None, CITY_ONLY)
    # several units together: a single unit's target is not theirs either
    assert scoped_target(TARGETS, ["/stockholm/amf/jt-jarva/", "/stockholm/amf/jt-soderort/"]) == (None, CITY_ONLY)
    assert scoped_target({}, ["/stockholm/amf/jt-jarva/"]) == (None, None)
