"""Disclosure control (pestrack/indicators/disclosure.py): primary suppression of small cells and
secondary suppression so that a withheld cell cannot be worked out from the total and the others."""

from __future__ import annotations

import pytest

from pestrack.indicators.compile import TOTAL
from pestrack.indicators.compute import Result
from pestrack.indicators.disclosure import disclose, published, threshold


def count(breakdown, value_of, n, period="VB 2023", ind="x"):
    return Result(ind, period, breakdown, value_of, n, n, None)


def share(breakdown, value_of, num, den, period="VB 2023"):
    return Result("s", period, breakdown, value_of, None if not den else 100 * num / den, num, den)


def shown(results):
    return [published(r) for r in results]


def test_one_small_category_beside_a_shown_total_takes_the_next_smallest_with_it():
    # primary-only would print 20, <5, 17: and 20 - 17 gives the 3 away
    out = disclose([count(TOTAL, None, 20), count("sex", "man", 3), count("sex", "woman", 17)], 5)
    assert shown(out) == [20, "<5", ".."]
    assert out[2].value is None and out[2].numerator is None and out[2].suppressed == ".."


def test_the_complement_is_the_next_smallest_category_and_never_a_zero():
    rows = [
        count(TOTAL, None, 40),
        count("age_band", "16-19", 3),
        count("age_band", "20-24", 0),
        count("age_band", "25-29", 6),
        count("age_band", "30-39", 31),
    ]
    # hiding the zero would leave 3 = 40 - 6 - 31; the 6 is withheld instead
    assert shown(disclose(rows, 5)) == [40, "<5", 0, "..", 31]


def test_two_small_categories_need_no_complement():
    rows = [count(TOTAL, None, 20), count("sex", "man", 2), count("sex", "woman", 3), count("sex", None, 15)]
    assert shown(disclose(rows, 5)) == [20, "<5", "<5", 15]


def test_shares_hide_numerator_and_denominator_of_both_cells():
    # the men's 1 of 4 would follow from the total's 21 of 34 and the women's 20 of 30
    rows = [share(TOTAL, None, 21, 34), share("sex", "man", 1, 4), share("sex", "woman", 20, 30)]
    out = disclose(rows, 5)
    assert shown(out) == [pytest.approx(100 * 21 / 34), "..", ".."]
    assert all(r.numerator is None and r.denominator is None for r in out[1:])


def test_a_category_without_complement_withholds_the_total():
    rows = [count(TOTAL, None, 9), count("org_unit", "jt-jarva", 3), count("org_unit", "jt-soderort", 0)]
    assert shown(disclose(rows, 5)) == ["..", "<5", 0]


def test_a_withheld_total_and_each_breakdown_and_period_on_their_own():
    rows = [
        count(TOTAL, None, 4),
        count("sex", "man", 1),
        count("sex", "woman", 3),
        count(TOTAL, None, 30, period="VB 2022"),
        count("sex", "man", 10, period="VB 2022"),
        count("sex", "woman", 20, period="VB 2022"),
        count("age_band", "16-19", 2, period="VB 2022"),
        count("age_band", "20-24", 28, period="VB 2022"),
    ]
    assert shown(disclose(rows, 5)) == ["<5", "<5", "<5", 30, 10, 20, "<5", ".."]


def test_no_threshold_publishes_everything():
    rows = [count(TOTAL, None, 20), count("sex", "man", 3), count("sex", "woman", 17)]
    assert disclose(rows, 0) == rows


def test_the_threshold_comes_from_the_profile_and_the_setting_overrides_it(tmp_path):
    assert threshold("stockholm") == 5
    assert threshold("stockholm", 0) == 0 and threshold("stockholm", 11) == 11
    (tmp_path / "profile.yaml").write_text("id: t\n", encoding="utf-8")
    assert threshold(tmp_path) == 0
    (tmp_path / "profile.yaml").write_text("disclosure: {suppress_below: many}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"profile.yaml: disclosure.suppress_below must be a whole number"):
        threshold(tmp_path)


def test_a_share_with_a_small_numerator_or_complement_is_withheld_when_named_a_share():
    rows = [share(TOTAL, None, 60, 120), share("sex", "man", 2, 40), share("sex", "woman", 58, 80)]
    # 2 of 40 men found work names two persons; 1 of the 50 young did not, one person
    rows += [share("age_band", "16-24", 49, 50), share("age_band", "25-", 11, 70)]
    assert shown(disclose(rows, 5)) == [50.0, 5.0, pytest.approx(72.5), 98.0, pytest.approx(1100 / 70)]
    out = disclose(rows, 5, shares={"s"})
    # the women and the older withheld too: the total minus them would give the small cells back
    assert shown(out) == [50.0, "..", "..", "..", ".."]
    assert all(r.numerator is None and r.denominator is None for r in out[1:])


def test_withheld_cells_that_together_are_small_take_another_with_them():
    # 1 and 2 withheld beside a total of 40 would still give away "3 in the two of them"
    rows = [
        count(TOTAL, None, 40),
        count("age_band", "16-19", 1),
        count("age_band", "20-24", 2),
        count("age_band", "25-29", 7),
        count("age_band", "30-", 30),
    ]
    assert shown(disclose(rows, 5)) == [40, "<5", "<5", "..", 30]


def test_shares_secondary_suppression_checks_numerators_too():
    # the men's 4 of 50 is withheld; the women's 30 of 50 would give it back from the total's 34 of 100
    rows = [share(TOTAL, None, 34, 100), share("sex", "man", 4, 50), share("sex", "woman", 30, 50)]
    assert shown(disclose(rows, 5, shares={"s"})) == [34.0, "..", ".."]


def test_the_profiles_threshold_is_parsed_once_and_again_when_the_file_changes(tmp_path, monkeypatch):
    """A results page asks for the threshold once per figure; parsing the profile each time cost an
    indicator page about 120 ms of CPU. A changed file is read again at once."""
    import yaml

    from pestrack.indicators import disclosure

    parsed = []
    real = yaml.safe_load
    monkeypatch.setattr(disclosure.yaml, "safe_load", lambda text: parsed.append(1) or real(text))
    (tmp_path / "profile.yaml").write_text("disclosure: {suppress_below: 3}\n", encoding="utf-8")
    assert [threshold(tmp_path) for _ in range(20)] == [3] * 20
    assert len(parsed) == 1
    (tmp_path / "profile.yaml").write_text("disclosure: {suppress_below: 7}\n", encoding="utf-8")
    assert threshold(tmp_path) == 7 and len(parsed) == 2
