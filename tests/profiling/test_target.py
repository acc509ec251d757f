"""The target where contract events exist: an employment covering the day 12 months after the start
is work, whatever the follow-up says; studies still come from the follow-ups and exits; outside the
contract events' coverage the follow-ups and exits decide as before (docs/profiling.md, "The target")."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq

from pestrack.analytics.schema import BY_NAME, SCHEMA_VERSION
from pestrack.profiling import data as profiling_data

D = dt.date


def _enrolment(i, start, end, outcome):
    return {
        "enrolment_id": i,
        "person_key": f"P{i:011d}",
        "sex": "woman",
        "birth_year": 1990,
        "municipality": "0180",
        "education_level": "primary",
        "born_abroad": False,
        "programme": "jobbtorg",
        "org_unit": "jt-city",
        "org_unit_path": "/stockholm/amf/jobbtorg/jt-city/",
        "target_group": "forsorjningsstod",
        "entry_route": "social_services",
        "has_decision": True,
        "start_date": start,
        "end_date": end,
        "exit_reason": outcome,
        "exit_outcome": outcome,
        "age_at_start": 31,
        "age_band_at_start": "30-39",
    }


def _followup(i, reference, working, studying):
    return {
        "enrolment_id": i,
        "person_key": f"P{i:011d}",
        "sex": "woman",
        "birth_year": 1990,
        "municipality": "0180",
        "programme": "jobbtorg",
        "org_unit": "jt-city",
        "org_unit_path": "/stockholm/amf/jobbtorg/jt-city/",
        "target_group": "forsorjningsstod",
        "exit_date": D(2021, 6, 30),
        "exit_reason": "work",
        "exit_outcome": "work",
        "months": 6,
        "reference_date": reference,
        "working": working,
        "studying": studying,
        "source": "register",
    }


def _position(i, start, end, known, superseded=None):
    return {
        "employment_id": f"E{i}-{start}",
        "segment": 1,
        "known_date": known,
        "superseded_date": superseded,
        "person_key": f"P{i:011d}",
        "sex": "woman",
        "birth_year": 1990,
        "employer_key": "EMPLOYER0001",
        "sector": "G",
        "sector_code": "47",
        "municipality": "0180",
        "contract_type": "permanent",
        "working_time_pct": 100,
        "full_time": True,
        "age_band": "30-39",
        "start_date": start,
        "end_date": end,
    }


def _write(folder, name, rows, **note):
    pq.write_table(pa.Table.from_pylist(rows, schema=BY_NAME[name].arrow), folder / f"{name}.parquet")


def _folder(tmp_path, contracts: bool):
    """Six enrolments started in January 2021 (12 months on: January 2022), one person each."""
    folder = tmp_path / ("with" if contracts else "without")
    folder.mkdir()
    start, ended, near = D(2021, 1, 10), D(2021, 6, 30), D(2022, 1, 5)
    late = D(2022, 6, 1)  # 12 months on lies after the contract events' coverage
    _write(
        folder,
        "enrolments",
        [
            _enrolment(1, start, ended, "work"),  # follow-up: working; no employment then
            _enrolment(2, start, ended, "other"),  # follow-up: neither; an employment covers the day
            _enrolment(3, start, ended, "work"),  # follow-up: studying; no employment
            _enrolment(4, start, ended, "work"),  # an employment that a later version ended before the day
            _enrolment(5, start, None, None),  # still open, but employed on the day (a subsidised job, say)
            _enrolment(6, late, D(2022, 9, 1), "work"),  # outside the coverage: the follow-up decides
        ],
    )
    _write(
        folder,
        "followups",
        [
            _followup(1, near, True, False),
            _followup(2, near, False, False),
            _followup(3, near, False, True),
            _followup(4, near, True, False),
            _followup(6, D(2023, 6, 1), True, False),
        ],
    )
    manifest = {"schema_version": SCHEMA_VERSION, "profile": "stockholm", "tables": {}}
    if contracts:
        _write(
            folder,
            "positions",
            [
                _position(2, D(2021, 11, 1), None, D(2021, 11, 3)),
                _position(4, D(2021, 7, 1), None, D(2021, 7, 2), superseded=D(2021, 12, 1)),
                _position(4, D(2021, 7, 1), D(2021, 11, 30), D(2021, 12, 1)),
                _position(5, D(2021, 3, 1), D(2022, 3, 1), D(2021, 3, 2)),
                _position(6, D(2023, 1, 1), None, D(2023, 1, 2)),
            ],
        )
        manifest["tables"]["positions"] = {"covers_from": "2021-01-01", "covers_to": "2022-12-31"}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def _targets(folder, stockholm):
    d = profiling_data.load(folder, stockholm)
    return dict(zip(d.column("enrolment_id").tolist(), d.column("target").tolist())), d


def test_contract_events_decide_work_where_they_cover_the_day(tmp_path, stockholm):
    without, _ = _targets(_folder(tmp_path, contracts=False), stockholm)
    # from the follow-ups and exits alone
    assert without == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1, 6: 0}
    with_, d = _targets(_folder(tmp_path, contracts=True), stockholm)
    assert with_ == {
        1: 1,  # the follow-up said working, the employers reported no employment then
        2: 0,  # the follow-up said neither, an employment covered the day
        3: 0,  # studying: contract events say nothing of studies, the follow-up decides
        4: 1,  # the latest version of the employment ended before the day
        5: 0,  # still enrolled, but employed on the day
        6: 0,  # the day lies after the coverage: the follow-up decides
    }
    assert d.target_source == {
        "contract_events": {"covers_from": "2021-01-01", "covers_to": "2022-12-31", "enrolments": 5}
    }


def test_the_model_card_says_where_the_target_came_from(tmp_path, stockholm):
    from django.utils import translation

    from pestrack.profiling import card
    from pestrack.profiling.train import train
    from pestrack.synth import profiling as synth

    folder = tmp_path / "data"
    synth.write(folder, 12_000, seed=3)
    plain = train(profiling_data.load(folder, stockholm), stockholm, "logistic", compare=False)
    enrolments = pq.read_table(folder / "enrolments.parquet").to_pylist()
    # every person of the first 500 enrolments employed from 2021 on, as the employers reported
    _write(
        folder,
        "positions",
        [
            _position(0, D(2021, 1, 1), None, D(2021, 1, 2))
            | {"person_key": e["person_key"], "employment_id": f"E{e['enrolment_id']}"}
            for e in enrolments[:500]
        ],
    )
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["tables"]["positions"] = {"covers_from": "2021-01-01", "covers_to": "2023-12-31"}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    data = profiling_data.load(folder, stockholm)
    model = train(data, stockholm, "logistic", compare=False)
    source = model.meta["target"]["source"]
    assert source["contract_events"]["enrolments"] == data.target_source["contract_events"]["enrolments"] > 1000
    with translation.override("en"):
        assert "from the exit and the follow-ups" in card.target_source(plain.meta["target"])
        text = card.target_source(model.meta["target"])
    assert "contract events" in text and "2021-01-01 to 2023-12-31" in text
    assert f"{source['contract_events']['enrolments']} of the {source['labelled']} enrolments" in text
