"""Work Ability Index bands and change, IPS fidelity scoring and storage, outcomes by fidelity, SROI."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from pestrack.cli import app
from pestrack.evaluation.data import EvaluationError
from pestrack.evaluation.fidelity import outcomes_by_fidelity
from pestrack.evaluation.instruments import SroiAssumptions, band_of, sroi, wai_bands, wai_change
from pestrack.records.fidelity import scale
from tests.indicators.conftest import write_table

runner = CliRunner()


# ---------------------------------------------------------------- Work Ability Index


def test_wai_bands_are_helsinkis_from_the_profile():
    bands = wai_bands("stockholm")
    assert [band_of(s, bands) for s in (0, 4, 5, 7, 8, 10)] == ["0–4", "0–4", "5–7", "5–7", "8–10", "8–10"]


def test_wai_change_per_participant_uses_the_first_and_the_latest_assessment():
    table = pa.table(
        {
            "person_key": ["a", "a", "a", "b", "b", "c"],
            "date": ["2023-05-01", "2023-01-10", "2023-09-01", "2023-02-01", "2023-08-01", "2023-03-03"],
            "score": [6, 3, 8, 7, 5, 9],
        }
    )
    doc = wai_change(table, wai_bands())
    rows = {r["person"]: r for r in doc["participants"]}
    assert rows["a"]["first_score"] == 3 and rows["a"]["last_score"] == 8 and rows["a"]["change"] == 5
    assert (rows["a"]["first_band"], rows["a"]["last_band"], rows["a"]["band_change"]) == ("0–4", "8–10", "better")
    assert rows["b"]["band_change"] == "same" and rows["b"]["change"] == -2  # 7 and 5 are both 5–7
    assert rows["c"]["change"] is None and rows["c"]["band_change"] is None
    s = doc["summary"]
    assert s["participants"] == 3 and s["with_repeat_assessment"] == 2 and s["mean_change"] == 1.5
    assert s["transitions"]["0–4"]["8–10"] == 1 and s["last_band_counts"] == {"0–4": 0, "5–7": 1, "8–10": 2}


def test_wai_score_outside_the_scale_names_the_row():
    table = pa.table({"person_key": ["a", "b"], "date": ["2023-01-01", "2023-01-02"], "score": [5, 11]})
    with pytest.raises(EvaluationError, match=r"wai\.csv: row 2, column 'score': 11 is outside the scale 0–10"):
        wai_change(table, wai_bands(), source="wai.csv")


def test_wai_command(tmp_path):
    path = tmp_path / "wai.csv"
    path.write_text("pk,day,wai\np1,2023-01-01,4\np1,2023-06-01,6\n")
    res = runner.invoke(
        app, ["instruments", "wai", "--data", str(path), "--person", "pk", "--date", "day", "--score", "wai"]
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["participants"][0]["band_change"] == "better"


# ---------------------------------------------------------------- IPS fidelity


def _items(value=4, **changes):
    items = {no: value for no in range(1, 26)}
    items.update({int(k[1:]): v for k, v in changes.items()})
    return items


@pytest.mark.parametrize(
    "total,category",
    [
        (125, "exemplary"),
        (115, "exemplary"),
        (114, "good"),
        (100, "good"),
        (99, "fair"),
        (74, "fair"),
        (73, "not_ips"),
        (25, "not_ips"),
    ],
)
def test_ips_fidelity_categories_at_their_limits(total, category):
    assert scale.category(total) == category


def test_ips_scoring_needs_all_25_items_scored_1_to_5():
    assert scale.total(_items(4)) == 100
    assert scale.total(_items(5, i3=1)) == 121
    assert len(scale.items()) == 25
    with pytest.raises(scale.FidelityError, match="items 25 have no score"):
        scale.check_items({no: 3 for no in range(1, 25)})
    with pytest.raises(scale.FidelityError, match="item 7: 6 is not a score 1-5"):
        scale.check_items(_items(3, i7=6))
    with pytest.raises(scale.FidelityError, match="item 26 is not an item number"):
        scale.check_items({**_items(3), 26: 3})


@pytest.mark.django_db
def test_a_review_stores_total_and_category_per_unit_and_date(profile):
    from django.db import IntegrityError, transaction

    from pestrack.records.fidelity.models import FidelityReview
    from pestrack.records.org.models import OrgUnit

    unit = OrgUnit.objects.get(code="jt-city")
    review = FidelityReview.objects.create(org_unit=unit, review_date=dt.date(2023, 3, 1), item_scores=_items(3))
    review.refresh_from_db()
    assert (review.total, review.category) == (75, "fair")
    review.item_scores = _items(5)
    review.save()
    review.refresh_from_db()
    assert (review.total, review.category) == (125, "exemplary")
    with pytest.raises(IntegrityError), transaction.atomic():
        FidelityReview.objects.create(org_unit=unit, review_date=dt.date(2023, 3, 1), item_scores=_items(3))


def _reviews_csv(path, rows):
    header = "org_unit,review_date," + ",".join(f"item_{i}" for i in range(1, 26)) + "\n"
    path.write_text(header + "".join(f"{u},{d}," + ",".join([str(v)] * 25) + "\n" for u, d, v in rows))
    return path


@pytest.mark.django_db
def test_ips_import_is_all_or_nothing_and_logged(profile, tmp_path):
    from pestrack.records.audit.models import AccessLogEntry
    from pestrack.records.fidelity.models import FidelityReview

    bad = _reviews_csv(tmp_path / "bad.csv", [("jt-city", "2023-01-01", 4), ("jt-nowhere", "2023-01-01", 4)])
    res = runner.invoke(app, ["instruments", "ips-import", str(bad)])
    assert res.exit_code == 2 and "bad.csv:3: org_unit 'jt-nowhere' is not a unit code" in res.output.replace("\n", "")
    assert FidelityReview.objects.count() == 0
    good = _reviews_csv(tmp_path / "good.csv", [("jt-city", "2023-01-01", 5), ("jt-jarva", "2023-01-01", 3)])
    res = runner.invoke(app, ["instruments", "ips-import", str(good)])
    assert res.exit_code == 0, res.output
    assert "jt-city 2023-01-01: total 125, Exemplary fidelity" in res.output
    assert dict(FidelityReview.objects.values_list("org_unit__code", "category")) == {
        "jt-city": "exemplary",
        "jt-jarva": "fair",
    }
    assert AccessLogEntry.objects.filter(action="import", object_type="fidelity_review").count() == 1


def test_outcomes_by_fidelity_use_the_review_in_force_at_exit(tmp_path):
    data = tmp_path / "a"
    enrolments = [  # (unit, end date, in work at 6 months)
        ("u1", dt.date(2023, 2, 1), True),
        ("u1", dt.date(2023, 8, 1), True),
        ("u1", dt.date(2023, 9, 1), False),
        ("u2", dt.date(2023, 8, 1), False),
        ("u3", dt.date(2023, 8, 1), None),
    ]
    write_table(
        data,
        "enrolments",
        [{"enrolment_id": i + 1, "org_unit": u, "end_date": d} for i, (u, d, _) in enumerate(enrolments)],
    )
    write_table(
        data,
        "participations",
        [{"participation_id": i + 1, "enrolment_id": i + 1, "measure": "ips"} for i in range(len(enrolments))],
    )
    write_table(
        data,
        "followups",
        [
            {"enrolment_id": i + 1, "months": 6, "working": w, "studying": False if w is not None else None}
            for i, (_, _, w) in enumerate(enrolments)
        ],
    )
    reviews = [
        {"org_unit": "u1", "review_date": dt.date(2023, 1, 1), "total": 80, "category": "fair"},
        {"org_unit": "u1", "review_date": dt.date(2023, 6, 1), "total": 118, "category": "exemplary"},
        {"org_unit": "u2", "review_date": dt.date(2023, 1, 1), "total": 60, "category": "not_ips"},
    ]
    rows = {r["category"]: r for r in outcomes_by_fidelity(data, reviews)["rows"]}
    assert (rows["exemplary"]["participants"], rows["exemplary"]["with_outcome"], rows["exemplary"]["share"]) == (
        2,
        1,
        0.5,
    )
    assert (rows["fair"]["participants"], rows["fair"]["share"]) == (1, 1.0)
    assert (rows["not_ips"]["participants"], rows["not_ips"]["share"]) == (1, 0.0)
    assert (rows["no_review"]["participants"], rows["no_review"]["outcome_known"], rows["no_review"]["share"]) == (
        1,
        0,
        None,
    )
    assert rows["good"]["participants"] == 0
    assert rows["exemplary"]["ci_low"] < 0.5 < rows["exemplary"]["ci_high"]


# ---------------------------------------------------------------- SROI


def test_sroi_by_hand():
    a = SroiAssumptions(
        participants=100,
        cost_per_participant=50000,
        effect=0.1,
        monthly_social_assistance=10000,
        monthly_tax_income=5000,
        years=2,
        drop_off=0.5,
        attribution=1.0,
        deadweight=0.0,
        discount_rate=0.0,
    )
    doc = sroi(a)
    # year 1: 10 extra in work x 180 000 = 1.8 M; year 2: 5 x 180 000 = 0.9 M; cost 5 M
    assert doc["present_value"] == pytest.approx(2_700_000)
    assert doc["cost"] == 5_000_000 and doc["ratio"] == pytest.approx(0.54)
    assert {x["name"] for x in doc["assumptions"]} >= {"effect", "discount_rate", "deadweight", "attribution"}
    discounted = sroi(SroiAssumptions(**{**a.__dict__, "discount_rate": 0.1}))
    assert discounted["present_value"] == pytest.approx(1_800_000 / 1.1 + 900_000 / 1.21)


def test_sroi_command_takes_the_effect_from_an_evaluation_and_lists_the_assumptions(tmp_path):
    ev = tmp_path / "ev.json"
    ev.write_text(json.dumps({"att": 0.2, "n_treated_total": 50}))
    spec = tmp_path / "sroi.yaml"
    spec.write_text("cost_per_participant: 40000\nyears: 1\ndiscount_rate: 0\n")
    res = runner.invoke(
        app,
        ["instruments", "sroi", "--evaluation", str(ev), "--assumptions", str(spec), "--set", "monthly_tax_income=0"],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    values = {x["name"]: x["value"] for x in doc["assumptions"]}
    assert values["effect"] == 0.2 and values["participants"] == 50 and values["monthly_tax_income"] == 0
    assert doc["present_value"] == pytest.approx(50 * 0.2 * 12 * 9000)
    bad = runner.invoke(app, ["instruments", "sroi", "--set", "drop_off=2"])
    assert bad.exit_code == 2 and "drop_off is a share between 0 and 1" in bad.output
    assert runner.invoke(app, ["instruments", "sroi", "--set", "colour=3"]).exit_code == 2
