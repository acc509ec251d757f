"""Matching: hard rules never broken (vectorised and per-pair agree), ESCO similarity, rankings with
reasons, the quality evaluation, and the commands."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from pestrack.matching.esco import UnknownConcept, taxonomy
from pestrack.matching.evaluate import evaluate, synthetic
from pestrack.matching.score import Matcher, Opening, Participant, top_k
from pestrack.records.audit.models import AccessLogEntry
from pestrack.records.employers.models import Place
from pestrack.records.importing import engine
from pestrack.records.people.models import Person

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
START = dt.date(2025, 6, 16)


@pytest.fixture(scope="module")
def tax():
    return taxonomy()


def occ(tax, label):
    return tax.occupations.resolve(label)


def skill(tax, label):
    return tax.skills.resolve(label)


def test_esco_concepts_resolve_by_id_uri_and_label(tax):
    i = tax.occupations.resolve("shop assistant")
    uri = "http://data.europa.eu/esco/occupation/" + tax.occupations.ids[i]
    assert tax.occupations.resolve(uri) == tax.occupations.resolve(tax.occupations.ids[i]) == i
    with pytest.raises(UnknownConcept, match="not an ESCO occupation"):
        tax.occupations.resolve("astronaut of the sea")


def test_similar_occupations_are_closer_than_unrelated_ones(tax):
    shop, sales, welder = occ(tax, "shop assistant"), occ(tax, "sales assistant"), occ(tax, "welder")
    sim = tax.occupation_similarity([shop], [shop, sales, welder])[0]
    assert sim[0] == 1 and sim[1] > 0.4 > sim[2]


def place(tax, **kw):
    base = dict(
        id="Q",
        kind="regular",
        kind_rules={},
        start_date=START,
        occupation=occ(tax, "shop assistant"),
        required=[skill(tax, "customer service")],
        lat=59.33,
        lon=18.06,
        title="Butik",
    )
    return Opening(**{**base, **kw})


def person(tax, **kw):
    base = dict(
        id="P",
        desired=[occ(tax, "shop assistant")],
        skills=[skill(tax, "customer service")],
        birth_date=dt.date(2000, 1, 1),
        lat=59.33,
        lon=18.07,
    )
    return Participant(**{**base, **kw})


def test_each_hard_rule_excludes_the_pair(tax):
    places = [
        place(tax, id="regular"),
        place(tax, id="sj", kind="stockholmsjobb", kind_rules={"requires_programme": "jobbtorg"}),
        place(tax, id="fj", kind="feriejobb", kind_rules={"min_age": 16, "max_age": 19}),
        place(tax, id="swedish", swedish_level=4),
        place(tax, id="licence", driving_licence=True),
        place(tax, id="far", lat=59.90, lon=17.60),
    ]
    young = person(
        tax,
        id="young",
        birth_date=dt.date(2006, 6, 16),
        programmes=frozenset({"jobbtorg"}),
        swedish_level=4,
        driving_licence=True,
        max_travel_km=20,
    )
    older = person(tax, id="older", birth_date=dt.date(2005, 6, 16), swedish_level=3, max_travel_km=20)
    m = Matcher([young, older], places, tax=tax)
    ok = m.feasible([0, 1])
    assert ok[0].tolist() == [True, True, True, True, True, False]  # 19 on the start day; 60 km away
    assert ok[1].tolist() == [True, False, False, False, False, False]  # 20 on the start day: too old
    assert "only for persons enrolled in jobbtorg" in " ".join(m.explain(1, 1)["hard_rules_broken"])
    assert m.explain(1, 2)["hard_rules_broken"] == [
        "feriejobb (feriejobb) requires age 19 or under on 2025-06-16; the person is 20."
    ]
    best, _ = m.top_places(10, jobs=1)
    assert set(best[1][best[1] >= 0]) == {0}  # the only allowed place is the only one ranked


def test_vectorised_rules_agree_with_the_per_pair_rules(tax):
    data = synthetic(120, 80, seed=3, tax=tax)
    m = Matcher(data.participants, data.places, tax=tax)
    ok = m.feasible(np.arange(120))
    for i in range(120):
        for j in range(80):
            assert ok[i, j] == (not m.violations(i, j)), (i, j, m.violations(i, j))


def test_ranking_and_explanation_read_like_a_caseworker_would(tax):
    good = place(tax, id="good", optional=[skill(tax, "assist customers")])
    other = place(tax, id="other", occupation=occ(tax, "welder"), required=[skill(tax, "clean surfaces")])
    m = Matcher([person(tax, max_travel_km=10)], [other, good], tax=tax)
    best, score = m.top_places(2, jobs=1)
    assert best[0].tolist() == [1, 0] and score[0, 0] > score[0, 1]
    from django.utils import translation

    with translation.override("en"):
        e = m.explain(0, 1)
    assert e["components"]["occupation"] == 1.0 and e["skills_covered"] == ["customer service"]
    assert any(
        line.startswith("occupation 1.00: place is 'shop assistant'; participant wants 'shop assistant'")
        for line in e["lines"]
    )
    assert "optional 0 of 1 held" in " ".join(e["lines"]) and e["distance_km"] < 1
    assert abs(sum(e["contributions"].values()) - e["score"]) < 1e-3
    assert m.explain(0, 0)["skills_missing"] == ["clean surfaces"]


def test_rankings_do_not_depend_on_blocks_or_jobs(tax):
    data = synthetic(300, 200, seed=5, tax=tax)
    m = Matcher(data.participants, data.places, tax=tax)
    a = m.top_places(10, jobs=1, block=512)
    b = m.top_places(10, jobs=2, block=37)
    assert (a[0] == b[0]).all()
    # the candidates of a place are the participants whose score there is highest
    _, val = m.top_candidates(7, 5)
    score, ok = m.scores(np.arange(300))
    s = np.where(ok[:, 7], score[:, 7], -np.inf)
    assert np.allclose(np.sort(s)[::-1][:5], val)


def test_one_participant_at_a_time_scores_as_all_at_once(tax):
    """The portal scores one participant at a time against the same list of open places, reusing
    what the places alone give: each participant's scores equal those of one matcher over everyone,
    and another list of places (or the same list changed) is never scored with the first one's."""
    data = synthetic(40, 120, seed=8, tax=tax)
    together, _ok = Matcher(data.participants, data.places, tax=tax).scores(np.arange(40))
    for i in range(0, 40, 7):
        alone, _ = Matcher([data.participants[i]], data.places, tax=tax).scores([0])
        assert np.allclose(alone[0], together[i], equal_nan=True)
    fewer = data.places[:60]
    alone, _ = Matcher([data.participants[0]], fewer, tax=tax).scores([0])
    assert alone.shape == (1, 60) and np.allclose(alone[0], together[0, :60], equal_nan=True)
    changed = list(data.places)
    changed.pop()
    alone, _ = Matcher([data.participants[0]], changed, tax=tax).scores([0])
    assert alone.shape == (1, 119)


def test_forked_workers_give_the_same_lists_as_one_process(tax, monkeypatch, tmp_path):
    from pestrack.matching import score

    data = synthetic(300, 300, seed=6, tax=tax)
    m = Matcher(data.participants, data.places, tax=tax)
    alone = m.top_places(10, jobs=1)
    scored_in, scores = tmp_path / "pids", Matcher.scores

    def scores_noting_the_process(self, rows):
        with scored_in.open("a") as f:
            f.write(f"{os.getpid()}\n")
        return scores(self, rows)

    monkeypatch.setattr(Matcher, "scores", scores_noting_the_process)
    monkeypatch.setattr(score, "FORK_MIN_ROWS", 0)  # fork for these few participants too
    forked = m.top_places(10, jobs=2, block=7)
    pids = set(scored_in.read_text().split())
    assert pids and str(os.getpid()) not in pids  # every block was scored in a worker process
    assert (forked[0] == alone[0]).all() and np.array_equal(forked[1], alone[1], equal_nan=True)


def test_top_k_breaks_ties_by_position():
    score = np.array([[0.5, 0.7, 0.5, 0.5]], np.float32)
    ok = np.array([[True, True, True, False]])
    best, _ = top_k(score, ok, 4)
    assert best.tolist() == [[1, 0, 2, -1]]


def test_top_k_equals_a_full_sort_on_wide_rows_with_many_ties():
    rng = np.random.default_rng(4)
    score = (rng.integers(0, 10, (6, 1000)) / 10).astype(np.float32)  # wider than the column groups
    ok = rng.random((6, 1000)) < np.array([1, 0.5, 0.05, 0.005, 0.001, 0])[:, None]
    best, val = top_k(score, ok, 10)
    for i in range(6):
        want = sorted((-score[i, j], j) for j in np.flatnonzero(ok[i]))[:10]
        assert best[i].tolist() == [j for _, j in want] + [-1] * (10 - len(want))
        assert val[i, : len(want)].tolist() == [-s for s, _ in want] and np.isnan(val[i, len(want) :]).all()


def test_top_k_treats_a_nan_score_as_not_allowed():
    score = np.array([[np.nan, 0.5, 0.3, np.nan, 0.4]], np.float32)
    ok = np.array([[True, True, True, False, False]])
    best, val = top_k(score, ok, 3)
    assert best.tolist() == [[1, 2, -1]]
    assert val[0, :2].tolist() == [0.5, np.float32(0.3)] and np.isnan(val[0, 2])


def test_the_matcher_beats_random_and_each_component_is_measured():
    r = evaluate(400, 200, seed=1)
    recall = r["recall"]
    assert recall["matcher"] > 3 * recall["random"]
    assert {"keyword baseline", "without occupation", "skills only"} <= set(recall)
    assert r["hired"] > 300


# --- records and commands ------------------------------------------------------------------------


def cli(*args):
    from pestrack.cli import app

    return CliRunner().invoke(app, list(map(str, args)))


@pytest.fixture
def examples(profile):
    for kind in ("persons", "enrolments", "employers", "places", "match_profiles", "placements"):
        r = engine.run_import(EXAMPLES / f"{kind}.csv", kind)
        assert r.rejected == 0, kind
    return {p.first_name: p.pk for p in Person.objects.all()}


@pytest.mark.django_db
def test_match_a_participant_lists_allowed_places_with_reasons_and_logs_it(examples):
    r = cli("match", "--participant", examples["Amina"], "--json")
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)
    titles = [Place.objects.get(pk=e["place"]).reference for e in got]
    assert titles[0] == "EH-2025-01" and "FJ-2025-11" not in titles and "GK-2025-02" not in titles
    assert got[0]["components"]["occupation"] == 1.0
    assert AccessLogEntry.objects.filter(person_id=examples["Amina"], object_type="match_profile").exists()
    # Sofia's Swedish (A2) is below the shop's B1: only the Stockholmsjobb place is left
    r = cli("match", "--participant", examples["Sofia"])
    assert "Lokalvårdare" in r.output and "Butiksbiträde" not in r.output


@pytest.mark.django_db
def test_match_a_place_lists_candidates(examples):
    sj = Place.objects.get(reference="SJ-2025-07").pk
    r = cli("match", "--place", sj)
    assert r.exit_code == 0, r.output
    # Jobbtorg participants with Swedish A1 or better; Amina is hired there already, Karl has no Swedish level
    assert f"participant {examples['Oskar']}:" in r.output and f"participant {examples['Sofia']}:" in r.output
    assert f"participant {examples['Amina']}:" not in r.output and f"participant {examples['Karl']}:" not in r.output
    assert AccessLogEntry.objects.filter(person_id=examples["Sofia"], object_type="match_profile").exists()


def test_match_needs_exactly_one_of_participant_or_place():
    r = cli("match")
    assert r.exit_code == 2 and "give --participant ID or --place ID" in r.output


def _write(path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.mark.django_db
def test_allocate_from_files_writes_a_reason_for_everyone(profile, tmp_path, monkeypatch):
    places = _write(
        tmp_path / "places.csv",
        ["id", "kind", "start_date", "occupation", "positions", "latitude", "longitude"],
        [
            ["F1", "feriejobb", "2025-06-16", "landscape gardener", "1", "59.33", "18.06"],
            ["F2", "feriejobb", "2025-06-16", "shop assistant", "1", "59.33", "18.06"],
        ],
    )
    applicants = _write(
        tmp_path / "applicants.csv",
        ["id", "birth_date", "desired_occupations", "priority"],
        [
            ["A", "2008-01-01", "landscape gardener", "0"],
            ["B", "2008-01-01", "shop assistant", "1"],
            ["C", "1990-01-01", "shop assistant", "0"],
            ["D", "2008-02-02", "shop assistant", "0"],
        ],
    )
    out = tmp_path / "allocation.csv"
    # scored a block of applicants at a time, never all at once (11,000 x 11,000 took several GB)
    from pestrack.matching import allocate
    from pestrack.matching.score import Matcher

    asked = []
    scores = Matcher.scores
    monkeypatch.setattr(allocate, "BLOCK", 3)
    monkeypatch.setattr(Matcher, "scores", lambda self, rows: asked.append(len(rows)) or scores(self, rows))
    r = cli("allocate", "--places", places, "--applicants", applicants, "--out", out)
    assert r.exit_code == 0, r.output
    assert asked and max(asked) <= 3
    assert "allocated 2 of 4 applicants to 2 positions in 2 places" in r.output
    rows = {row["applicant_id"]: row for row in csv.DictReader(out.open(encoding="utf-8"))}
    assert rows["A"]["place_id"] == "F1" and rows["B"]["place_id"] == "F2"
    assert float(rows["B"]["score"]) > 0.5 and rows["C"]["score"] == ""
    assert rows["C"]["reason"] == "C: no place - every place breaks a hard rule: age excludes 2"
    assert rows["D"]["place_id"] == "" and "went to B" in rows["D"]["reason"]


@pytest.mark.django_db
def test_allocate_refuses_a_bad_file_naming_file_line_and_column(profile, tmp_path):
    places = _write(
        tmp_path / "places.csv",
        ["id", "kind", "start_date"],
        [["F1", "nojob", "2025-06-16"], ["F1", "feriejobb", "2025-13-01"]],
    )
    applicants = _write(tmp_path / "applicants.csv", ["id", "birth_date"], [["A", "2008-01-01"]])
    r = cli("allocate", "--places", places, "--applicants", applicants, "--out", tmp_path / "o.csv")
    assert r.exit_code == 2
    assert "places.csv:2: kind: 'nojob' is not a place_type code" in r.output
    assert "places.csv:3: start_date:" in r.output and "places.csv:3: id: 'F1' is also on line 2" in r.output
    assert not (tmp_path / "o.csv").exists()


def test_vectorised_scores_equal_the_straightforward_pair_by_pair_ones(tax):
    from pestrack.matching.reference import PairScorer

    data = synthetic(40, 40, seed=11, tax=tax)
    m = Matcher(
        data.participants,
        data.places,
        weights={"occupation": 0.35, "skills": 0.35, "travel": 0.15, "conditions": 0.10},
        tax=tax,
    )
    ref = PairScorer(tax, m.weights)
    score, ok = m.scores(np.arange(40))
    for i, p in enumerate(data.participants):
        for j, q in enumerate(data.places):
            assert ok[i, j] == ref.allowed(p, q)
            assert abs(score[i, j] - ref.score(p, q)) < 1e-5, (i, j)
    best, _ = m.top_places(10, jobs=1)
    assert [[j for _, j in ref.top_places(p, data.places)] for p in data.participants[:20]] == [
        [j for j in row if j >= 0] for row in best[:20].tolist()
    ]


def test_scores_equal_the_pair_by_pair_ones_where_something_is_not_stated(tax):
    """Experience only against a place without an occupation (cannot be judged: 0.5, not 0.8 of it),
    no maximum of hours (none or 0) against a place with or without hours."""
    from pestrack.matching.reference import PairScorer

    cook = occ(tax, "cook")
    people = [
        Participant(id=1, experience=[cook], max_hours=0),
        Participant(id=2, desired=[cook], max_hours=20),
        Participant(id=3, max_hours=None),
    ]
    places = [
        Opening(id=10, kind="regular", kind_rules={}, start_date=START),
        Opening(id=11, kind="regular", kind_rules={}, start_date=START, occupation=cook, hours=40),
    ]
    m = Matcher(
        people, places, weights={"occupation": 0.35, "skills": 0.35, "travel": 0.15, "conditions": 0.10}, tax=tax
    )
    ref = PairScorer(tax, m.weights)
    score, _ok = m.scores(np.arange(3))
    assert not np.isnan(score).any()
    for i, p in enumerate(people):
        for j, q in enumerate(places):
            assert abs(score[i, j] - ref.score(p, q)) < 1e-5, (i, j, score[i, j], ref.score(p, q))


def test_the_keyword_baseline_keeps_the_hard_rules(tax):
    from pestrack.matching.evaluate import keyword_ranking

    data = synthetic(200, 100, seed=3, tax=tax)
    m = Matcher(data.participants, data.places, tax=tax)
    ranked = keyword_ranking(data, m, 10, tax)
    ok = m.feasible(np.arange(200))
    pairs = [(i, j) for i, row in enumerate(ranked) for j in row if j >= 0]
    assert pairs and all(ok[i, j] for i, j in pairs)


@pytest.mark.django_db
def test_a_place_already_proposed_or_taken_is_not_suggested_again(examples):
    r = cli("match", "--participant", examples["Amina"])  # hired at the Stockholmsjobb place
    assert "Lokalvårdare" not in r.output and "Butiksbiträde" in r.output
    r = cli("match", "--place", Place.objects.get(reference="FJ-2025-11").pk)  # Oskar is proposed already
    assert f"participant {examples['Oskar']}:" not in r.output and "no other participant may take" in r.output


FORKED_SCORING = """
import os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pestrack.settings")
django.setup()
from pestrack.matching import score
from pestrack.matching.esco import taxonomy
from pestrack.matching.evaluate import synthetic

tax = taxonomy()
data = synthetic(60, 40, seed=3, tax=tax)
m = score.Matcher(data.participants, data.places, tax=tax)
score.FORK_MIN_ROWS = 0
scores = score.Matcher.scores
def slow(self, rows):
    os.write(1, f"scoring {os.getpid()}\\n".encode())  # one write, atomic on a pipe: two workers' lines never mix
    time.sleep(60)
    return scores(self, rows)
score.Matcher.scores = slow
m.top_places(5, jobs=2, block=7)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_forked_scoring_workers_end_when_their_process_is_killed(tmp_path):
    """The class of the probe's killed import: a forked child outliving its parent (and holding what it
    inherited, a database connection among them). kill -9 of a process scoring in forked workers leaves
    no worker behind."""
    import signal
    import subprocess
    import time

    from tests.records.test_import_parallel import _processes_with

    script = tmp_path / "forked-scoring-audit18.py"
    script.write_text(FORKED_SCORING)
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        workers = set()
        while len(workers) < 2:  # both workers are scoring
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            if line.startswith("scoring "):
                workers.add(line.split()[1])
        assert len(workers) == 2 and str(proc.pid) not in workers
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 10
        while _processes_with(str(script)) and time.time() < deadline:
            time.sleep(0.1)
        assert _processes_with(str(script)) == [], "a scoring worker is left after kill -9 of its process"
    finally:
        for pid in _processes_with(str(script)):
            os.kill(pid, signal.SIGKILL)
