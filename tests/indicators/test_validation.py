"""Every kind of bad definition is refused before anything runs, naming the file and the line."""

from __future__ import annotations

import pytest

from pestrack.indicators.definitions import DefinitionErrors, load_definitions

VALID = [
    "- id: exits_to_work",  # 1
    "  name: {sv: Till arbete, en: To work}",  # 2
    "  unit: percent",  # 3
    "  direction: higher",  # 4
    "  population: exits",  # 5
    "  where: programme = 'jobbtorg'",  # 6
    "  measure: {share: \"exit_outcome = 'work'\"}",  # 7
    "  period: exit_date",  # 8
    "  breakdowns: [sex]",  # 9
    "  precision: 1",  # 10
    "  targets: {2023: {own: 60}}",  # 11
]


def _errors(define, replace: dict[int, str]) -> list[str]:
    lines = [replace.get(i + 1, line) for i, line in enumerate(VALID)]
    path = define("\n".join(lines) + "\n")
    with pytest.raises(DefinitionErrors) as caught:
        load_definitions("stockholm", files=[path])
    return [e.replace(str(path), "FILE") for e in caught.value.errors]


def test_the_valid_base_definition_loads(define):
    (ind,) = load_definitions("stockholm", files=[define("\n".join(VALID))])
    assert (ind.id, ind.population, ind.period, ind.breakdowns, ind.targets) == (
        "exits_to_work",
        "exits",
        "exit_date",
        ["sex"],
        {2023: {"own": 60}},
    )


@pytest.mark.parametrize(
    "line, text, message",
    [
        (5, "  population: nowhere", "population 'nowhere' is not an analytics table"),
        (6, "  where: programm = 'jobbtorg'", "unknown column 'programm' in table 'exits'"),
        (7, "  measure: {mean: sex}", "column 'sex' is text; mean needs number"),
        (7, "  measure: {sum: exit_date}", "column 'exit_date' is date; sum needs number"),
        (6, "  where: exit_date > 2023", "type mismatch in 'exit_date > 2023': date compared with number"),
        (6, "  where: age_at_exit = '30'", "type mismatch"),
        (6, "  where: programme = 'jobtorg'", "'jobtorg' is not a code of programme in the profile"),
        (6, "  where: target_group in ('kaa', 'kaa_typo')", "'kaa_typo' is not a code of target_group"),
        (6, "  where: org_unit = 'jt-nowhere'", "'jt-nowhere' is not a code of org_unit"),
        (6, "  where: programme = 'jobbtorg' and programme = 'outreach'", "can never be true: programme cannot take"),
        (6, "  where: programme in ('jobbtorg', 'outreach') and programme = 'feriejobb'", "can never be true"),
        (6, "  where: age_at_exit > 30 and age_at_exit < 20", "can never be true: the range of age_at_exit is empty"),
        (6, "  where: age_at_exit between 18 and 29 and age_at_exit = 40", "can never be true"),
        (6, "  where: exit_date is null", "can never be true: exit_date is never empty"),
        (6, "  where: 1 = 1 and false", "can never be true: FALSE"),
        (7, "  measure: {share: \"programme = 'outreach'\"}", "the share's condition can never hold"),
        (6, "  where: \"programme = 'jobbtorg'; drop table exits\"", "more than one statement"),
        (6, "  where: lower(programme) = 'jobbtorg'", "is not allowed in a filter"),
        (6, "  where: programme in (select programme from enrolments)", "IN takes a list of values"),
        (6, "  where: exits.programme = 'jobbtorg'", "names a table"),
        (6, "  where: age_at_exit", "column 'age_at_exit' is number, not a condition"),
        (6, "  where: programme = ", "cannot parse"),
        (9, "  breakdowns: [sex, shoe_size]", "unknown breakdown 'shoe_size'"),
        (10, "  precision: 9", "precision must be a whole number of decimals from 0 to 6"),
        (10, "  precision: two", "precision must be a whole number"),
        (11, "  targets: {2022: {own: 60}}", "no own target for 2023, a reported year"),
        (11, "  targets: {2023: {kf: 'Tas fram av nämnd'}}", "no own target for 2023"),
        (11, "  targets: {2023: {own: 60, city: 3}}", "targets for 2023 take only own, kf and units"),
        (
            11,
            "  targets: {2023: {own: 60, units: {jt-nowhere: 50}}}",
            "unknown unit 'jt-nowhere' (not in org_units.yaml)",
        ),
        (
            11,
            "  targets: {2023: {own: 60, units: {jt-jarva: many}}}",
            "target for unit jt-jarva in 2023 must be a number",
        ),
        (11, "  targets: {2023: {own: 60, units: 55}}", "targets for 2023: units must map a unit code to a number"),
        (3, "  unit: furlongs", "unit 'furlongs' is not one of"),
        (3, "  unit: count", "a share is given in percent"),
        (4, "  direction: {band: {centre: 100}}", "direction must be higher, lower or"),
        (8, "  period: sex", "column 'sex' is text; period needs date"),
        (9, "  colour: red", "unknown field 'colour'"),
        (7, "  measure: {median: duration_months}", "measure must be exactly one of"),
        (7, "  measure: {ratio: {numerator: count}}", "ratio needs exactly a numerator and a denominator"),
        (7, "  measure: {count: person_key}", "count takes no column"),
        (7, "  measure: {mean: duration_days, divide_by: 0}", "divide_by must be a number above 0 (got 0)"),
        (7, "  measure: {mean: duration_days, divide_by: month}", "divide_by must be a number above 0 (got 'month')"),
        (
            7,
            "  measure: {share: \"exit_outcome = 'work'\", divide_by: 2}",
            "only a mean or a sum (not a ratio's part) takes divide_by",
        ),
        (
            7,
            "  measure: {ratio: {numerator: {sum: duration_days, divide_by: 30}, denominator: count}}",
            "takes divide_by",
        ),
        (10, "  blank_cells: [man]", "blank_cells lists report cells (outcome, men, women, prev)"),
        (10, "  bare_cells: men", "bare_cells lists report cells"),
        (10, "  unit_cells: [goal]", "unit_cells lists report cells (outcome, men, women, prev, target, kf)"),
        (10, "  blank_cells: [target]", "blank_cells lists report cells (outcome, men, women, prev)"),
    ],
)
def test_a_bad_definition_is_named_with_file_and_line(define, line, text, message):
    errors = _errors(define, {line: text})
    assert any(e.startswith(f"FILE:{line}: indicator ") and message in e for e in errors), errors


def test_targets_per_unit_load(define):
    (ind,) = load_definitions(
        "stockholm",
        files=[
            define("\n".join(VALID[:10] + ["  targets: {2023: {own: 60, units: {jt-jarva: 55, jt-soderort: 58.5}}}"]))
        ],
    )
    assert ind.targets == {2023: {"own": 60, "units": {"jt-jarva": 55, "jt-soderort": 58.5}}}


def test_a_ratio_part_names_its_own_bad_column(define):
    errors = _errors(define, {7: "  measure:\n    ratio:\n      numerator: {sum: positions}\n      denominator: count"})
    assert any(e.startswith("FILE:9: ") and "unknown column 'positions'" in e for e in errors), errors


def test_every_error_is_reported_not_only_the_first(define):
    errors = _errors(define, {3: "  unit: furlongs", 10: "  precision: -1"})
    assert [e.split(":")[1] for e in errors] == ["3", "10"]


def test_a_reused_id_names_both_places(define):
    first, second = define("\n".join(VALID)), define("\n".join(VALID))
    with pytest.raises(DefinitionErrors) as caught:
        load_definitions("stockholm", files=[first, second])
    assert caught.value.errors == [f"{second}:1: indicator exits_to_work: id already used at {first}:1"]


def test_yaml_that_does_not_parse_names_the_line(define):
    path = define("\n".join(VALID[:4]) + "\n  population: [exits\n")
    with pytest.raises(DefinitionErrors) as caught:
        load_definitions("stockholm", files=[path])
    assert caught.value.errors[0].startswith(f"{path}:") and "not valid YAML" in caught.value.errors[0]


def test_a_reported_indicator_has_no_query_fields(define):
    path = define(
        "- id: sick_leave\n  name: {sv: Sjukfrånvaro, en: Sick leave}\n  unit: percent\n  direction: lower\n"
        "  precision: 1\n  targets: {2023: {own: 4.5}, 2022: {own: 4.5}}\n  population: exits\n"
        "  source: {name: HR system, values: {2022: {total: 4}, 2023: {total: three}}}\n"
    )
    with pytest.raises(DefinitionErrors) as caught:
        load_definitions("stockholm", files=[path])
    errors = [e.replace(str(path), "FILE") for e in caught.value.errors]
    assert "FILE:7: indicator sick_leave: a reported indicator (with a source) has no population" in errors
    assert any(e.startswith("FILE:8: ") and "source value for 2023" in e for e in errors), errors


def test_all_stockholm_definitions_validate():
    indicators = load_definitions("stockholm")
    assert len(indicators) == 39  # 34 of the 2023 report, 5 of matching (matching.yaml)
    assert all(ind.targets[2023]["own"] is not None for ind in indicators)
