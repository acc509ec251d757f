"""The large synthetic labour markets are sorted bucket by bucket (kind and month) to save memory and
time: the file and its content hash must be those of the one-piece sort."""

from __future__ import annotations

import pyarrow.parquet as pq

from pestrack.analytics.extract import BucketedTableFile, TableFile
from pestrack.lmi import store, synth


def test_the_events_sorted_by_kind_and_month_are_the_file_sorted_whole(tmp_path):
    whole, pieces = tmp_path / "whole", tmp_path / "pieces"
    whole.mkdir(), pieces.mkdir()
    one, bucketed = TableFile(store.EVENTS, whole), BucketedTableFile(store.EVENTS, pieces, synth.event_buckets)
    for seed in (4, 5):  # two shards' worth of events (scale 0.1 each), appended in turn
        (events,) = synth.shards("stockholm", [2023], 0.1, seed)
        one.append_table(events)
        bucketed.append_table(events)
    assert one.finish(None)[:2] == bucketed.finish(None)[:2]  # rows and content hash
    a, b = (whole / "contract_events.parquet").read_bytes(), (pieces / "contract_events.parquet").read_bytes()
    assert a == b and pq.ParquetFile(pieces / "contract_events.parquet").metadata.num_row_groups > 2
    assert sorted(p.name for p in pieces.iterdir()) == ["contract_events.parquet"]  # no piece left behind
