"""The pathways chart's figures as published: small states suppressed like every public LMI figure."""

from __future__ import annotations

from pestrack.lmi import durability
from pestrack.reports import lmi_pathways


def test_pathway_states_are_those_the_pathways_are_computed_in():
    assert lmi_pathways.STATES == durability.STATES


def test_a_small_state_is_withheld_with_one_more_and_the_rest_are_rounded_shares_exact():
    rows = [(0, "permanent", 41), (0, "temporary", 12), (0, "measure", 3), (0, "unknown", 19), (1, "unknown", 4)]
    first, second = lmi_pathways.published(rows, below=5, step=5)
    assert first.exits == 75
    assert first.counts == {"permanent": 40, "temporary": "..", "measure": "<5", "unknown": 20}
    assert first.shares["permanent"] == 100 * 41 / 75 and first.shares["temporary"] is None
    assert second.exits == "<5" and second.counts["unknown"] == "<5" and second.shares["unknown"] is None
    assert second.counts["permanent"] == 0 and second.shares["permanent"] == 0.0
    svg = lmi_pathways.svg([first, second], {s: s for s in lmi_pathways.STATES}, "t", "withheld", "en")
    assert svg.startswith("<svg") and svg.count("<title>0: withheld</title>") == 1
    assert "<title>0: permanent 54.7 %</title>" in svg
