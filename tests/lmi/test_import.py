"""Importing contract events: per-row rejects with line and reason, idempotence, versions for
corrections and cancellations, nothing written for a refused file."""

from __future__ import annotations

import csv
import datetime as dt

import pyarrow.parquet as pq
import pytest

from pestrack.lmi.importing import import_events
from pestrack.records.importing.reader import FileRefused
from tests.lmi.conftest import event

pytestmark = pytest.mark.django_db
TODAY = dt.date(2024, 6, 1)


def _import(path, data):
    return import_events(path, data, today=TODAY)


def _events(data) -> list[dict]:
    return sorted(
        pq.read_table(data / "contract_events.parquet").to_pylist(), key=lambda v: (v["event_id"], v["version"])
    )


def test_good_rows_are_imported_and_each_bad_row_rejected_with_line_and_reason(events_file, tmp_path):
    path = events_file(
        [
            event("c1", "h1", "hire", "2023-01-02"),  # line 2
            event("c2", "t1", "termination", "2023-02-28", employment_id="nope"),  # 3: no matching hire
            event("c3", "h3", "hire", "2023-03-01", municipality="0999"),  # 4: unknown code
            event("c4", "h4", "hire", "2023-03-01", contract_type="fixed_term", planned_end_date="2023-02-01"),  # 5
            event("c5", "h5", "hire", "2023-03-01", action="correct"),  # 6: correction of nothing
            event("c6", "t6", "termination", "2022-12-01", "2023-03-01", employment_id="h1"),  # 7: end before start
            event("c7", "h7", "hire", "2023-03-01", sector_code="00"),  # 8: unknown SNI division
            event("c8", "h8", "hire", "2023-03-01", occupation="52"),  # 9: not a 4-digit SSYK code
        ]
    )
    data = tmp_path / "data"
    result = _import(path, data)
    assert (result.imported, result.rejected) == (1, 7)
    reasons = {line: (column, reason) for line, column, _, reason in result.problems}
    assert reasons[3] == (
        "employment_id",
        "a termination without a matching hire: no hire of employment 'nope' is known",
    )
    assert reasons[4][0] == "municipality" and "unknown code '0999'" in reasons[4][1]
    assert reasons[5][0] == "planned_end_date" and reasons[5][1].startswith("end before start")
    assert reasons[6] == ("event_id", "a correction of an event that does not exist: 'h5'")
    assert reasons[7][0] == "event_date" and reasons[7][1].startswith("end before start")
    assert reasons[8][0] == "sector_code" and "no section has division 00" in reasons[8][1]
    assert reasons[9][0] == "occupation"
    with result.rejects_path.open(encoding="utf-8-sig") as f:
        rejected = list(csv.DictReader(f))
    assert [r["reject_line"] for r in rejected] == ["3", "4", "5", "6", "7", "8", "9"]
    assert [e["event_id"] for e in _events(data)] == ["h1"]


def test_importing_the_same_file_again_changes_nothing(events_file, tmp_path):
    path = events_file([event("c1", "h1", "hire", "2023-01-02"), event("c2", "t1", "termination", "2023-05-31")])
    data = tmp_path / "data"
    assert _import(path, data).imported == 2
    before = (data / "contract_events.parquet").read_bytes()
    again = _import(path, data)
    assert (again.imported, again.unchanged, again.rejected) == (0, 2, 0)
    assert (data / "contract_events.parquet").read_bytes() == before


def test_a_duplicate_communication_with_other_content_is_rejected(events_file, tmp_path):
    data = tmp_path / "data"
    _import(events_file([event("c1", "h1", "hire", "2023-01-02")]), data)
    result = _import(events_file([event("c1", "h1", "hire", "2023-01-02", working_time_pct="50")], "b.csv"), data)
    assert result.rejected == 1
    assert result.problems[0][1:] == (
        "communication_id",
        "c1",
        "a duplicate communication: 'c1' was received with other content",
    )


def test_a_second_termination_and_an_event_after_the_end_are_rejected(events_file, tmp_path):
    data = tmp_path / "data"
    result = _import(
        events_file(
            [
                event("c1", "h1", "hire", "2023-01-02"),
                event("c2", "t1", "termination", "2023-05-31"),
                event("c3", "t2", "termination", "2023-06-30"),
                event("c4", "w1", "working_time", "2023-07-01", working_time_pct="50"),
            ]
        ),
        data,
    )
    assert [p[1] for p in result.problems] == ["event_id", "event_date"]
    assert "already ended on 2023-05-31" in result.problems[0][3]


def test_a_correction_is_a_new_version_and_the_old_one_is_superseded_on_its_known_date(events_file, tmp_path):
    data = tmp_path / "data"
    _import(events_file([event("c1", "h1", "hire", "2023-01-02", sector_code="47")]), data)
    fix = event("c2", "h1", "hire", "2023-01-02", known="2023-03-15", sector_code="56", action="correct")
    result = _import(events_file([fix], "fix.csv"), data)
    assert result.imported == 1
    v1, v2 = _events(data)
    assert (v1["version"], v1["sector"], v1["superseded_date"]) == (1, "G", dt.date(2023, 3, 15))
    assert (v2["version"], v2["sector"], v2["superseded_date"]) == (2, "I", None)


def test_a_cancellation_withdraws_the_event_and_a_late_one_is_kept_and_flagged(events_file, tmp_path):
    data = tmp_path / "data"
    result = _import(
        events_file(
            [
                event("c1", "h1", "hire", "2023-01-02"),
                event("c2", "h2", "hire", "2023-01-02", known="2023-03-01"),  # 58 days late
                {"communication_id": "c3", "action": "cancel", "event_id": "h2", "known_date": "2023-03-05"},
            ]
        ),
        data,
    )
    assert (result.imported, result.rejected) == (3, 0)
    versions = _events(data)
    assert [(v["event_id"], v["version"], v["cancelled"], v["flag"]) for v in versions] == [
        ("h1", 1, False, None),
        ("h2", 1, False, "late"),
        ("h2", 2, True, None),
    ]


def test_a_file_without_a_required_column_is_refused_and_nothing_is_written(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("communication_id,event_id,kind\nc1,h1,hire\n", encoding="utf-8")
    with pytest.raises(FileRefused, match="required column known_date, identity_number or person_key"):
        _import(path, tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_parquet_files_are_read_like_csv(events_file, tmp_path):
    import pyarrow as pa

    rows = [event("c1", "h1", "hire", "2023-01-02")]
    path = tmp_path / "events.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    assert _import(path, tmp_path / "data").imported == 1
