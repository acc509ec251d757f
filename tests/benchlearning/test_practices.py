"""The practice catalogue as data: the guide's 32 practices complete, a profile's own practices added,
and every bad file refused with its file and line."""

from __future__ import annotations

import collections
import textwrap

import pytest

from pestrack.benchlearning import practices
from pestrack.benchlearning.practices import AREAS, LIST_FIELDS, TEXT_FIELDS, PracticeError

GOOD = """\
- id: {id}
  name: A practice
  pes: Some PES
  country: Nowhere
  area: {area}
  description: What it is.
  key_success_factors: [One]
  results: What came of it.
  areas_for_improvement: [Two]
  recommendations: [Three]
"""


def test_the_shared_catalogue_has_the_guides_32_practices_each_complete():
    shared = practices.read_file(practices.shared_file())
    assert len(shared) == 32
    assert len({p.id for p in shared}) == 32
    for p in shared:
        for field in TEXT_FIELDS:
            assert getattr(p, field).strip(), (p.id, field)
        for field in LIST_FIELDS:
            assert getattr(p, field) and all(t.strip() for t in getattr(p, field)), (p.id, field)
    # the guide's four areas, eight practices in each, four practices of each of its eight PES
    assert collections.Counter(p.area for p in shared) == {a: 8 for a in AREAS}
    assert set(collections.Counter(p.pes for p in shared).values()) == {4}
    assert len({p.pes for p in shared}) == 8


def test_the_guides_figures_are_kept_as_the_guide_gives_them():
    by_id = {p.id: p for p in practices.read_file(practices.shared_file())}
    assert "5,272" in by_id["new_opportunities"].results and "48.1%" in by_id["new_opportunities"].results
    assert "326 corporate crises" in by_id["crisis_unit"].results
    assert "45 evaluations" in by_id["continuous_improvement_cycle"].results
    assert "43%" in by_id["ips_stockholm"].results


@pytest.fixture
def profiles(tmp_path, settings):
    (tmp_path / "_shared").mkdir()
    (tmp_path / "_shared" / "practices.yaml").write_text(GOOD.format(id="shared_one", area="employers"))
    (tmp_path / "mine").mkdir()
    settings.PESTRACK_PROFILES_DIR = tmp_path
    return tmp_path


def test_a_profile_adds_its_own_practices_after_the_shared_ones(profiles):
    (profiles / "mine" / "practices.yaml").write_text(GOOD.format(id="our_own", area="evidence"))
    assert [p.id for p in practices.catalogue("mine")] == ["shared_one", "our_own"]


def test_a_profile_without_a_practice_file_has_the_shared_catalogue(profiles):
    assert [p.id for p in practices.catalogue("mine")] == ["shared_one"]


def test_an_id_used_twice_names_the_profiles_file_and_line_and_the_first_place(profiles):
    path = profiles / "mine" / "practices.yaml"
    path.write_text(GOOD.format(id="our_own", area="evidence") + GOOD.format(id="shared_one", area="evidence"))
    with pytest.raises(PracticeError) as err:
        practices.catalogue("mine")
    assert f"{path}:11: practice id 'shared_one' is already used at {profiles / '_shared' / 'practices.yaml'}:1" in str(
        err.value
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("  results: What came of it.\n", ""), "practice 'x' has no 'results'"),
        (("  results: What came of it.\n", "  results: '  '\n"), "practice 'x' has no 'results'"),
        (("area: evidence", "area: marketing"), "unknown area 'marketing'"),
        (("recommendations: [Three]", "recommendations: []"), "has no 'recommendations'"),
        (("name: A practice", "nmae: A practice"), "unknown field 'nmae'"),
    ],
)
def test_a_bad_practice_is_refused_with_file_and_line(profiles, change, message):
    path = profiles / "mine" / "practices.yaml"
    text = GOOD.format(id="ok", area="evidence") + GOOD.format(id="x", area="evidence").replace(*change)
    path.write_text(text)
    with pytest.raises(PracticeError) as err:
        practices.catalogue("mine")
    assert str(err.value).startswith(f"{path}:11: ")
    assert message in str(err.value)


def test_a_self_assessment_file_round_trips(tmp_path):
    rows = [
        practices.AssessmentRow("welcome_house", "in_place", "Since 2021.", ("matching",)),
        practices.AssessmentRow("bifurcators", "not_started"),
    ]
    path = tmp_path / "sa.yaml"
    path.write_text(practices.write_assessment(rows, pes="stockholm", unit="amf"))
    back = practices.read_assessment(path, known=practices.by_id("stockholm"))
    assert back.unit == "amf" and back.pes == "stockholm"
    assert sorted(back.rows, key=lambda r: r.practice) == sorted(rows, key=lambda r: r.practice)


def test_a_package_takes_the_self_assessment_the_pages_and_the_export_write(tmp_path):
    """The file `pestrack practices export` and the practice page's download write (the full form)
    goes into a benchlearning package as it is: one reader for both forms."""
    from pestrack.benchlearning.package import read_practices

    rows = [
        practices.AssessmentRow("welcome_house", "in_place", "Since 2021.", ("matching",)),
        practices.AssessmentRow("bifurcators", "partly"),
    ]
    path = tmp_path / "sa.yaml"
    path.write_text(practices.write_assessment(rows, pes="stockholm", unit="amf"))
    assert read_practices(path) == {"welcome_house": "in_place", "bifurcators": "partly"}
    path.write_text("welcome_house: done\n")
    with pytest.raises(ValueError, match="status must be one of"):
        read_practices(path)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("no_such_practice: {status: partly}", "unknown practice 'no_such_practice'"),
        ("welcome_house: {status: done}", "status must be one of not_started, partly, in_place, not 'done'"),
        ("welcome_house: [partly]", "give its status, or status and notes as a mapping"),
    ],
)
def test_a_bad_self_assessment_file_is_refused_with_file_and_line(tmp_path, entry, message):
    path = tmp_path / "sa.yaml"
    path.write_text(
        textwrap.dedent(f"""\
        unit: amf
        practices:
          bifurcators: {{status: partly}}
          {entry}
        """)
    )
    with pytest.raises(PracticeError) as err:
        practices.read_assessment(path, known=practices.by_id("stockholm"))
    assert str(err.value).startswith(f"{path}:4: "), str(err.value)
    assert message in str(err.value)


def test_a_short_self_assessment_file_maps_practice_ids_to_statuses(tmp_path):
    path = tmp_path / "sa.yaml"
    path.write_text("welcome_house: in_place\nkommunhubben: {status: partly, notes: Pilot.}\n")
    back = practices.read_assessment(path, known=practices.by_id("stockholm"))
    assert [(r.practice, r.status, r.notes) for r in back.rows] == [
        ("welcome_house", "in_place", ""),
        ("kommunhubben", "partly", "Pilot."),
    ]


def test_learn_from_whom_lists_the_better_peers_and_the_practices_they_have_in_place():
    known = practices.by_id("stockholm")
    # as compare.below_peers gives it: indicator -> the peers that do better, best first
    below = [("exit_to_work", ["veneto", "forem"]), ("job_entry_6m", ["helsinki"])]
    assessments = {
        "veneto": {"account_manager": "in_place", "crisis_unit": "in_place", "silv_observatory": "partly"},
        "forem": {"coup_de_boost": "in_place", "otlav": "not_started", "their_own_practice": "in_place"},
        "stockholm": {"welcome_house": "in_place"},
    }
    lessons = practices.learn_from_whom(below, assessments, known)
    assert [lesson.indicator for lesson in lessons] == ["exit_to_work", "job_entry_6m"]
    veneto, forem = lessons[0].peers
    assert veneto.pes == "veneto"
    assert [p.id for p in veneto.in_place] == ["crisis_unit", "account_manager"]  # the catalogue's order
    assert [p.id for p in veneto.partly] == ["silv_observatory"]
    assert [p.id for p in forem.in_place] == ["coup_de_boost"]  # not started and unknown ids left out
    (helsinki,) = lessons[1].peers
    assert helsinki.pes == "helsinki" and helsinki.in_place == () and helsinki.partly == ()


def test_a_profiles_folder_without_the_shared_catalogue_uses_the_one_pestrack_ships(tmp_path, settings):
    (tmp_path / "mine").mkdir()
    settings.PESTRACK_PROFILES_DIR = tmp_path
    assert practices.shared_file() == practices.BUNDLED
    assert len(practices.catalogue("mine")) == 32


def test_lessons_in_a_comparison_come_from_below_peers_and_the_packages_practices(tmp_path):
    from pestrack.benchlearning.compare import Comparison, Entry, IndicatorComparison, lessons_in
    from pestrack.benchlearning.definitions import Shared
    from pestrack.benchlearning.package import Package

    shared = Shared("exit_to_work", {"en": "Exits to work", "sv": "Avslut till arbete"}, "", "", "higher", ())
    values = {"us": 30.0, "a": 45.0, "b": 40.0, "c": 20.0, "far": 90.0}
    comparison = Comparison(
        year=2023,
        version="1",
        pes={p: {"name": p} for p in values},
        peer_groups={"us": "g1", "a": "g1", "b": "g1", "c": "g1", "far": "g2"},
        peer_method="declared",
        indicators=[IndicatorComparison(shared, {p: Entry(p, value=v) for p, v in values.items()})],
    )
    packages = [
        Package(tmp_path / f"{p}.zip", {"pes": {"id": p}, "year": 2023, "practices": practices_of}, [])
        for p, practices_of in [
            ("a", {"welcome_house": "in_place"}),
            ("b", {"the_lab": "partly", "otlav": "in_place"}),
            ("c", {"kommunhubben": "in_place"}),
            ("far", {"amef": "in_place"}),
        ]
    ]
    (lesson,) = lessons_in(comparison, "us", packages)
    assert lesson.indicator == "exit_to_work"
    # the peers of its group that do better, best first; c does worse and far is in another group
    assert [(p.pes, [x.id for x in p.in_place], [x.id for x in p.partly]) for p in lesson.peers] == [
        ("a", ["welcome_house"], []),
        ("b", ["otlav"], ["the_lab"]),
    ]
