"""Synthetic enrolments for profiling, with outcomes drawn from a documented true risk function.

The published-figure population (``pestrack synth``) is fitted to the city's reported numbers and has
no risk function; this generator is separate and draws from its own random stream, so the published
figures are untouched. It writes ``enrolments.parquet`` (the analytics schema) and
``profiling_truth.parquet`` (enrolment_id, true_risk), with a manifest naming the profile and schema
version. The audit reads the true risk to report the best possible (oracle) AUC.

True risk of "not in work or studies 12 months after enrolment" (``TRUE_RISK``, docs/profiling.md)::

    logit p = -1.0 + 0.35 * previous_enrolments (0-5) + education + target group + age band
              + 0.3 * has_decision - 0.3 * (entry route self-referral) + 0.8 * (district with fewer jobs)
              + time since last work (LAST_WORK) + WAI band at the start (WAI)

The codes (target groups with their terms and shares, districts, offices, programme) are the
profile's: profiles/<name>/profiling_synth.yaml (``world``). An education level not recorded at all (empty) counts as "unknown". Sex, birth country and time in
Sweden have no effect (time in Sweden is drawn: persons born in Sweden have lived here 10 years or
more, those born abroad are spread over the bands, a tenth of them without an arrival year, so it is associated with birth country, and the
audit names it as a proxy). The three inputs added later (time since last work, time in Sweden, WAI
band) are drawn from a stream of their own, so that every other column is as before. The referring district is where the person lives: with
``proxy=False`` it is drawn independently of birth country; with ``proxy=True`` most persons born
abroad live in the three districts with fewer jobs, so the district becomes a proxy for birth country
and a model using it selects persons born abroad more often (the audit must flag this).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pestrack.analytics.extract import MANIFEST, ROW_GROUP, age_band, parse_bands
from pestrack.analytics.schema import BY_NAME, SCHEMA_VERSION, SWEDEN_BANDS

INTERCEPT = -1.0
PREVIOUS = 0.35
EDUCATION = {
    "pre_primary_short": 0.9,
    "primary": 0.5,
    "upper_secondary": 0.0,
    "post_secondary_short": -0.3,
    "post_secondary_long": -0.6,
    "unknown": 0.4,
}
EDUCATION_SHARE = [0.12, 0.2, 0.38, 0.1, 0.12, 0.08]
AGE_BAND = {"16-19": -0.2, "20-24": -0.3, "25-29": -0.1, "30-39": 0.0, "40-49": 0.2, "50-64": 0.6}
DECISION = 0.3
SELF_REFERRAL = -0.3
DISTRICT = 0.8
# time since last work (months; never worked; None: not recorded) and the WAI band at the start (None:
# not assessed), with their shares; time in Sweden: the bands of persons born abroad (no effect)
LAST_WORK = {"0-5": -0.4, "6-11": -0.1, "12-23": 0.2, "24-59": 0.5, "60-": 0.8, "never": 0.4, None: 0.2}
LAST_WORK_SHARE = [0.15, 0.12, 0.13, 0.15, 0.10, 0.10, 0.25]
WAI = {"0–4": 0.6, "5–7": 0.2, "8–10": 0.0, None: 0.2}
WAI_SHARE = [0.15, 0.30, 0.25, 0.30]
SWEDEN_ABROAD_SHARE = [0.2, 0.25, 0.2, 0.35]  # 0-1, 2-4, 5-9, 10-
WORLD_FILE = "profiling_synth.yaml"


@dataclass(frozen=True)
class World:
    """The profile's codes the true risk is written in (profiles/<name>/profiling_synth.yaml)."""

    programme: str
    municipality: str
    unit_path: str  # with {unit}
    units: list[str]
    groups: dict[str, dict]  # target group -> logit, share, ages, entry_route, referring_body, decision, ...
    districts: list[dict]  # code, unit
    fewer_jobs: list[str]  # districts with fewer jobs


def world(profile: str | Path | None = None) -> World:
    """The generator's world of ``profile`` (None: the configured one); ProfileError naming the file
    and what is missing."""
    from pestrack.records.codes.profile import ProfileError, _clean, _read, profile_dir

    path = profile_dir(profile) / WORLD_FILE
    if not path.exists():
        raise ProfileError(f"{path}: the profile has no world for the profiling generator (docs/profiling.md)")
    data = _clean(_read(path)) or {}
    missing = [
        k for k in ("programme", "municipality", "unit_path", "units", "target_groups", "districts") if not data.get(k)
    ]
    groups = data.get("target_groups") or {}
    missing += [
        f"target_groups.{g}.{k}"
        for g, v in groups.items()
        for k in ("logit", "share", "entry_route", "referring_body")
        if not isinstance(v, dict) or v.get(k) is None
    ]
    if missing:
        raise ProfileError(f"{path}: missing {', '.join(missing)}")
    return World(
        str(data["programme"]),
        str(data["municipality"]),
        str(data["unit_path"]),
        [str(u) for u in data["units"]],
        groups,
        list(data["districts"]),
        [str(d) for d in data.get("fewer_jobs") or []],
    )


def true_logit(
    previous, education, target_group, age_band_, has_decision, self_referral, district, last_work, wai, world_=None
) -> np.ndarray:
    """The documented true risk on the log-odds scale: arrays of equal length, the code columns as
    text (the enrolments table's values; None where empty); ``world_``: the profile's (default the
    configured profile's)."""
    w = world_ or world()

    def lut(table: dict, values) -> np.ndarray:
        return np.array([table[v] for v in np.asarray(values, dtype=object)], dtype=float)

    return (
        INTERCEPT
        + PREVIOUS * np.asarray(previous)
        + lut(EDUCATION, education)
        + lut({g: v["logit"] for g, v in w.groups.items()}, target_group)
        + lut(AGE_BAND, age_band_)
        + DECISION * np.asarray(has_decision)
        + SELF_REFERRAL * np.asarray(self_referral)
        + DISTRICT * np.isin(district, w.fewer_jobs)
        + lut(LAST_WORK, last_work)
        + lut(WAI, wai)
    )


def _text(indices: np.ndarray, values) -> pa.Array:
    """Codes by index (a dictionary array cast to text: no million Python strings)."""
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32)), pa.array(list(values))).cast(pa.string())


def draw(
    n: int,
    *,
    seed: int = 1,
    proxy: bool = False,
    years: tuple[int, int] = (2020, 2024),
    age_bands=None,
    profile: str | Path | None = None,
):
    """(enrolments table, truth table, as-of date) for ``n`` enrolments starting in ``years``, in the
    codes of ``profile``'s world (None: the configured profile)."""
    w = world(profile)
    rng = np.random.default_rng([seed, 21, int(proxy)])  # a stream of its own
    bands = parse_bands(age_bands or ["0-15", "16-19", "20-24", "25-29", "30-39", "40-49", "50-64", "65-"])
    groups, educations = list(w.groups), list(EDUCATION)
    districts = [d["code"] for d in w.districts]
    fewer_idx = np.array([districts.index(d) for d in w.fewer_jobs])
    other_idx = np.array([i for i in range(len(districts)) if i not in fewer_idx])
    group_value = lambda key, default: np.array([w.groups[x].get(key, default) for x in groups])  # noqa: E731
    persons = max(1, int(n * 0.8))
    # persons: sex, birth country, education, district (where they live) and target group
    p_sex = rng.integers(0, 2, persons)
    p_abroad = rng.random(persons) < 0.5
    p_edu = rng.choice(len(educations), persons, p=EDUCATION_SHARE)
    p_missing = rng.random(persons) < 0.5  # half of the unknown: the field left empty, not "unknown"
    if proxy:
        fewer = np.where(p_abroad, rng.random(persons) < 0.8, rng.random(persons) < 0.08)
        p_district = np.where(
            fewer,
            fewer_idx[rng.integers(0, len(fewer_idx), persons)],
            other_idx[rng.integers(0, len(other_idx), persons)],
        )
    else:
        p_district = rng.integers(0, len(districts), persons)
    p_group = rng.choice(len(groups), persons, p=[float(w.groups[x]["share"]) for x in groups])
    # enrolments: each of a person, starting in the years; ids in start order
    first, last = dt.date(years[0], 1, 1), dt.date(years[1], 12, 31)
    start_day = np.sort(rng.integers(0, (last - first).days + 1, n))
    person = rng.integers(0, persons, n)
    enrolment_id = np.arange(1, n + 1, dtype=np.int64)
    order = np.lexsort((enrolment_id, start_day, person))  # a person's enrolments in start order
    sp = person[order]
    new = np.r_[True, sp[1:] != sp[:-1]]
    idx = np.arange(n)
    previous = np.empty(n, dtype=np.int64)
    previous[order] = np.minimum(idx - np.maximum.accumulate(np.where(new, idx, 0)), 5)
    g = p_group[person]
    lo = np.array([(w.groups[x].get("ages") or (18, 64))[0] for x in groups])[g]
    hi = np.array([(w.groups[x].get("ages") or (18, 64))[1] for x in groups])[g]
    age = lo + (rng.random(n) * (hi - lo + 1)).astype(int)
    band_names = [age_band(a, bands) for a in range(120)]
    band_values = sorted(set(band_names))
    band = np.array([band_values.index(b) for b in band_names])[age]
    start = np.datetime64(first) + start_day.astype("timedelta64[D]")
    birth_year = (start.astype("datetime64[Y]").astype(int) + 1970) - age
    # each a draw for every enrolment, compared with its group's share (1: all, 0: none)
    self_ref = rng.random(n) < group_value("self_referral", 0.0)[g]
    decision = rng.random(n) < group_value("decision", 0.0)[g]
    district = p_district[person]
    edu = p_edu[person]
    edu_missing = (edu == educations.index("unknown")) & (p_missing[person])  # not recorded at all
    logit = (
        INTERCEPT
        + PREVIOUS * previous
        + np.array([EDUCATION[e] for e in educations])[edu]
        + group_value("logit", 0.0)[g]
        + np.array([AGE_BAND.get(b, 0.0) for b in band_values])[band]
        + DECISION * decision
        + SELF_REFERRAL * self_ref
        + DISTRICT * np.isin(district, fewer_idx)
    )
    # the inputs added later, from a stream of their own (every column above is as before)
    extra = np.random.default_rng([seed, 21, int(proxy), 2])
    works, wais = list(LAST_WORK), list(WAI)
    work = extra.choice(len(works), n, p=LAST_WORK_SHARE)
    wai = extra.choice(len(wais), n, p=WAI_SHARE)
    sweden = np.where(p_abroad, extra.choice(4, persons, p=SWEDEN_ABROAD_SHARE), 3)[person]
    no_arrival = (p_abroad & (extra.random(persons) < 0.1))[person]  # born abroad, arrival year not recorded
    logit = logit + np.array(list(LAST_WORK.values()))[work] + np.array(list(WAI.values()))[wai]
    risk = 1 / (1 + np.exp(-logit))
    y = rng.random(n) < risk
    # exits that carry the outcome: 0 -> ended for work or studies within the year; 1 -> ended for
    # another reason within the year, or still open a year on (and perhaps ended later, for anything)
    reasons = ["work", "studies", "moved", "own_request", "illness", "transferred_af", "other_support"]
    outcomes = ["work", "studies", "other", "other", "other", "other", "other"]
    other_early = y & (rng.random(n) < 0.4)
    days = np.where(y & ~other_early, rng.integers(380, 720, n), rng.integers(30, 330, n))
    end = start + days.astype("timedelta64[D]")
    is_open = end > np.datetime64(last)
    reason = np.where(
        ~y,
        (rng.random(n) >= 0.7).astype(int),  # work 70 %, studies 30 %
        np.where(other_early, rng.integers(2, 7, n), np.array([0, 5, 6])[rng.integers(0, 3, n)]),
    )
    offices = w.units
    office = np.array([offices.index(d.get("unit") or offices[0]) for d in w.districts])[district]
    for i, x in enumerate(groups):  # a group's own unit (young people's, the city jobs') before the district's
        if w.groups[x].get("unit"):
            office = np.where(g == i, offices.index(w.groups[x]["unit"]), office)
    routes = [w.groups[x]["entry_route"] for x in groups] + ["self_referral"]
    route = np.where(self_ref, len(groups), g)
    mask = pa.array(is_open)
    columns = {
        "enrolment_id": pa.array(enrolment_id),
        "person_key": pc.utf8_lpad(pa.array(person).cast(pa.string()), 12, "P"),
        "sex": _text(p_sex[person], ["woman", "man"]),
        "birth_year": pa.array(birth_year.astype(np.int32)),
        "municipality": pa.array(np.full(n, w.municipality)),
        "education_level": pc.if_else(pa.array(edu_missing), pa.nulls(n, pa.string()), _text(edu, educations)),
        "born_abroad": pa.array(p_abroad[person]),
        "programme": _text(np.zeros(n, int), [w.programme]),
        "org_unit": _text(office, offices),
        "org_unit_path": _text(office, [w.unit_path.format(unit=o) for o in offices]),
        "target_group": _text(g, groups),
        "referring_unit": _text(district, districts),
        "referring_body": _text(g, [w.groups[x]["referring_body"] for x in groups]),
        "entry_route": _text(route, routes),
        "has_decision": pa.array(decision),
        "start_date": pa.array(start.astype("datetime64[D]"), pa.date32()),
        "end_date": pc.if_else(mask, pa.nulls(n, pa.date32()), pa.array(end.astype("datetime64[D]"), pa.date32())),
        "exit_reason": pc.if_else(mask, pa.nulls(n, pa.string()), _text(reason, reasons)),
        "exit_outcome": pc.if_else(mask, pa.nulls(n, pa.string()), _text(reason, outcomes)),
        "age_at_start": pa.array(age.astype(np.int32)),
        "age_band_at_start": _text(band, band_values),
        "days_to_first_measure": pa.nulls(n, pa.int32()),
        "time_since_last_work": pa.array(works, pa.string()).take(pa.array(work)),
        "time_in_sweden": pc.if_else(pa.array(no_arrival), pa.nulls(n, pa.string()), _text(sweden, SWEDEN_BANDS)),
        "wai_band_at_start": pa.array(wais, pa.string()).take(pa.array(wai)),
    }
    enrolments = pa.table(columns).cast(BY_NAME["enrolments"].arrow)
    truth = pa.table({"enrolment_id": pa.array(enrolment_id), "true_risk": pa.array(risk)})
    return enrolments, truth, str(last)


def write(out: Path, n: int, *, seed: int = 1, proxy: bool = False, profile: str | None = None, **kwargs) -> dict:
    """Draw and write the tables to ``out``; returns the manifest."""
    from pestrack.records.codes.profile import default_profile

    profile = profile or default_profile()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    enrolments, truth, as_of = draw(n, seed=seed, proxy=proxy, profile=profile, **kwargs)
    pq.write_table(enrolments, out / "enrolments.parquet", row_group_size=ROW_GROUP, compression="zstd")
    pq.write_table(truth, out / "profiling_truth.parquet", row_group_size=ROW_GROUP, compression="zstd")
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "profile": profile,
        "synthetic": {"generator": "profiling", "seed": seed, "proxy": proxy, "enrolments": n, "as_of": as_of},
        "tables": {"enrolments": {"rows": n}, "profiling_truth": {"rows": n}},
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest
