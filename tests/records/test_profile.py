"""Profiles are data: loading is idempotent and a bad file is named with its line."""

import shutil

import pytest

from pestrack.records.codes.models import Code
from pestrack.records.codes.profile import ProfileError, load_profile
from pestrack.records.org.models import OrgUnit

pytestmark = pytest.mark.django_db
SRC = "profiles/stockholm"


@pytest.fixture
def copy(tmp_path):
    dst = tmp_path / "p"
    shutil.copytree(SRC, dst)
    return dst


def test_loading_twice_changes_nothing(profile):
    before = (Code.objects.count(), OrgUnit.objects.count())
    load_profile("stockholm")
    assert (Code.objects.count(), OrgUnit.objects.count()) == before


def test_a_code_dropped_from_the_profile_is_kept_inactive(copy):
    load_profile(str(copy))
    text = (copy / "codes.yaml").read_text()
    (copy / "codes.yaml").write_text(text.replace('  - {code: mentoring, sv: "Mentorskap", en: "Mentoring"}\n', ""))
    load_profile(str(copy))
    assert Code.objects.get(list="measure", code="mentoring").active is False


def test_a_new_target_group_is_a_profile_change_not_code(copy):
    with (copy / "codes.yaml").open("a") as f:
        f.write("\nsurvey_kind:\n  - {code: nks, sv: Nöjd kund, en: Customer satisfaction}\n")
    load_profile(str(copy))
    assert Code.objects.filter(list="survey_kind", code="nks").exists()


def test_missing_name_is_reported_with_file_and_line(copy):
    text = (copy / "codes.yaml").read_text()
    lines = text.splitlines()
    n = next(i for i, line in enumerate(lines) if "code: matching" in line)
    lines[n] = '  - {code: matching, en: "Job matching"}'
    (copy / "codes.yaml").write_text("\n".join(lines))
    with pytest.raises(ProfileError, match=rf"codes.yaml:{n + 1}: measure.matching has no 'sv'"):
        load_profile(str(copy))


def test_unit_with_unknown_parent_is_refused(copy):
    with (copy / "org_units.yaml").open("a") as f:
        f.write('- {code: x, name: "X", kind: office, parent: nowhere}\n')
    with pytest.raises(ProfileError, match=r"org_units.yaml:\d+: unit x: parent 'nowhere' is not defined"):
        load_profile(str(copy))
    assert not OrgUnit.objects.exists()  # nothing half-written


def test_access_log_retention_cannot_be_shorter_than_the_database_floor(copy):
    text = (copy / "profile.yaml").read_text().replace("access_log_years: 5", "access_log_years: 1")
    (copy / "profile.yaml").write_text(text)
    with pytest.raises(ProfileError, match="access_log_years must be at least 2"):
        load_profile(str(copy))


def test_broken_yaml_names_the_file(copy):
    (copy / "codes.yaml").write_text("programme: [unclosed\n")
    with pytest.raises(ProfileError, match="codes.yaml: not valid YAML"):
        load_profile(str(copy))


def test_age_bands_must_be_ranges(copy):
    text = (copy / "profile.yaml").read_text().replace('"16-19"', '"sixteen"')
    (copy / "profile.yaml").write_text(text)
    with pytest.raises(ProfileError, match=r"profile.yaml:\d+: analytics.age_bands must be"):
        load_profile(str(copy))


def test_the_profile_read_without_a_database_is_what_loading_puts_in_it(profile):
    """``pestrack synth --out`` works from the files alone: the same codes, rules and unit paths."""
    from pestrack.records.codes.models import ProfileSetting
    from pestrack.records.codes.profile import read_profile

    data = read_profile("stockholm")
    assert data.unit_paths() == dict(OrgUnit.objects.values_list("code", "path"))
    from_files = {k: (c.name_sv, c.rules) for k, c in data.code_objects().items()}
    assert from_files == {(c.list, c.code): (c.name_sv, c.rules) for c in Code.objects.all()}
    assert data.home_municipality == ProfileSetting.get("home_municipality") == "0180"
    assert data.settings["age_bands"] == ProfileSetting.get("age_bands")


def test_unit_paths_refuse_an_unknown_parent_without_a_database(copy):
    from pestrack.records.codes.profile import read_profile

    with (copy / "org_units.yaml").open("a") as f:
        f.write('- {code: x, name: "X", kind: office, parent: nowhere}\n')
    with pytest.raises(ProfileError, match=r"org_units.yaml:\d+: unit x: parent 'nowhere' is not defined"):
        read_profile(str(copy)).unit_paths()


def test_a_parsed_file_is_each_callers_own():
    """The YAML of a file is parsed once per content and handed out as copies: a caller that changes
    what it got (the profile loader adds and pops keys) changes nothing for the next caller."""
    from pestrack.records import yaml_files

    first = yaml_files.parse("a: {b: [1, 2]}\n")
    first["a"]["b"].append(3)
    first["c"] = 1
    assert yaml_files.parse("a: {b: [1, 2]}\n") == {"a": {"b": [1, 2]}}
    assert yaml_files.parse("a: {b: [1]}\n") == {"a": {"b": [1]}}  # another content: parsed anew
