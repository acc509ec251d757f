"""A synthetic benchlearning network (``pestrack benchlearning synth``): PES populations of
different sizes and contexts with planted differences in true performance, so that a comparison
can be checked against what was planted (docs/benchlearning.md, "The synthetic network").

Each PES gets the analytics tables a profile's mapping reads (enrolments, exits, followups,
survey_answers; schema-valid, written by the analytics layer's writer), with the codes its
mapping selects (``synthetic`` in its benchlearning.yaml), in DIR/<pes>/analytics/,
and the packages export makes from them: DIR/<pes>/package.zip (the year) and
DIR/<pes>/package-<year-1>.zip (the year before, for the trend).

True performance, the same for every PES unless planted (PLANTED):
- an exit goes to work with probability 0.40 (80 % unsubsidised), to studies 0.10;
- time from registration to exit: exponential, mean 200 days;
- an exit to work is in work 6 months later with probability 0.70;
- a survey answer is 4 or 5 with probability 0.80;
- 0.2 % of persons have no recorded education level (small cells for the disclosure control).
Planted in pairs of equal size, one up and one down, so the network's pooled proportion stays at
the common value and no unplanted PES is pushed outside the funnel by the planted ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np

from pestrack.analytics.extract import age_band, parse_bands, write_table

BASE = {"work": 0.40, "studies": 0.10, "durable": 0.70, "satisfied": 0.80}
MEAN_DAYS = 200
# (name, registrations over the four years, context: unemployment %, population, born abroad %)
NETWORK = [
    ("north", 3000, (4.1, 60_000, 12.0)),
    ("east", 5000, (7.9, 350_000, 30.0)),
    ("south", 8000, (6.5, 150_000, 20.0)),
    ("west", 12000, (8.2, 420_000, 34.0)),
    ("harbour", 8000, (6.2, 140_000, 22.0)),
    ("valley", 5000, (4.4, 75_000, 11.0)),
    ("capital", 16000, (7.6, 900_000, 33.0)),
    ("lakes", 3000, (3.9, 50_000, 10.0)),
]
# PES -> planted true values (differences from BASE), and the indicators they move
PLANTED = {
    "south": {"work": 0.55},
    "harbour": {"work": 0.25},
    "east": {"durable": 0.90},
    "valley": {"durable": 0.50},
    "lakes": {"satisfied": 0.95},
    "north": {"satisfied": 0.60},
}
MOVES = {
    "work": (
        "exits_to_employment",
        "job_entry_6m_registration",
        "job_entry_12m_registration",
        "started_work_or_studies_at_exit",
    ),
    "durable": ("durable_entries",),
    "satisfied": ("jobseeker_satisfaction",),
}
AGE_BANDS = parse_bands(["0-15", "16-19", "20-24", "25-29", "30-39", "40-49", "50-64", "65-"])
EDUCATION = ("pre_primary_short", "primary", "upper_secondary", "post_secondary_short", "post_secondary_long")
OTHER_REASONS = ("moved", "own_request", "illness", "transferred_af", "other_support")


def planted(pes_count: int = 8) -> dict[str, set[str]]:
    """Indicator -> the PES whose true value was made to differ (the funnel plot must flag these)."""
    names = {n for n, _, _ in NETWORK[:pes_count]}
    out: dict[str, set[str]] = {}
    for pes, values in PLANTED.items():
        if pes in names:
            for what in values:
                for ind in MOVES[what]:
                    out.setdefault(ind, set()).add(pes)
    return out


def code_of(pes: str) -> str:
    """The synthetic PES's municipality code (99xx: no real municipality has one)."""
    return f"99{[n for n, _, _ in NETWORK].index(pes):02d}"


def _key(pes: str, n: int) -> str:
    return hashlib.sha256(f"{pes}:{n}".encode()).hexdigest()[:32]


SYNTHETIC_KEYS = ("programme", "org_unit", "org_unit_path", "target_group", "entry_route", "survey", "question")


def synthetic_codes(mapping) -> dict[str, str]:
    """The codes the synthetic records carry, from the mapping's ``synthetic`` section (the
    programme, unit, target group and entry route its indicators select, the survey question of
    its job-seeker satisfaction); ValueError naming the file when one is missing."""
    codes = mapping.synthetic
    missing = [k for k in SYNTHETIC_KEYS if not isinstance(codes.get(k), str) or not codes[k]]
    if missing:
        raise ValueError(
            f"{mapping.path}: synthetic needs {', '.join(missing)} (the codes the synthetic network's "
            "records carry, docs/benchlearning.md)"
        )
    return {k: codes[k] for k in SYNTHETIC_KEYS}


def _tables(
    pes: str, registrations: int, born_abroad: float, year: int, rng: np.random.Generator, codes: dict[str, str]
) -> dict:
    truth = {**BASE, **PLANTED.get(pes, {})}
    first, last = dt.date(year - 3, 1, 1), dt.date(year, 12, 31)
    span = (last - first).days + 1
    code = code_of(pes)
    enrolments, exits, followups, answers = [], [], [], []
    for n in range(registrations):
        start = first + dt.timedelta(days=int(rng.integers(span)))
        age = int(rng.integers(18, 65))
        person = {
            "person_key": _key(pes, n),
            "sex": "woman" if rng.random() < 0.5 else "man",
            "birth_year": start.year - age,
            "municipality": code,
            # a few without a recorded education level: small cells that disclosure control must withhold
            "education_level": None if rng.random() < 0.002 else EDUCATION[int(rng.integers(len(EDUCATION)))],
            "born_abroad": bool(rng.random() < born_abroad / 100),
        }
        context = {k: codes[k] for k in ("programme", "org_unit", "org_unit_path", "target_group")}
        days = int(rng.exponential(MEAN_DAYS)) + 1
        end = start + dt.timedelta(days=days)
        u = rng.random()
        if u < truth["work"]:
            reason, outcome = ("work" if rng.random() < 0.8 else "work_subsidised"), "work"
        elif u < truth["work"] + truth["studies"]:
            reason, outcome = "studies", "studies"
        else:
            reason, outcome = OTHER_REASONS[int(rng.integers(len(OTHER_REASONS)))], "other"
        closed = end <= last
        enrolments.append(
            {
                "enrolment_id": n + 1,
                **person,
                **context,
                "referring_unit": None,
                "referring_body": None,
                "entry_route": codes["entry_route"],
                "has_decision": True,
                "start_date": start,
                "end_date": end if closed else None,
                "exit_reason": reason if closed else None,
                "exit_outcome": outcome if closed else None,
                "age_at_start": age,
                "age_band_at_start": age_band(age, AGE_BANDS),
                "days_to_first_measure": None,
            }
        )
        if not closed:
            continue
        exit_age = age + (end.year - start.year)
        exits.append(
            {
                "enrolment_id": n + 1,
                **person,
                **context,
                "entry_route": codes["entry_route"],
                "start_date": start,
                "exit_date": end,
                "exit_reason": reason,
                "exit_outcome": outcome,
                "duration_days": days,
                "duration_months": days / 30.4375,
                "age_at_exit": exit_age,
                "age_band_at_exit": age_band(exit_age, AGE_BANDS),
            }
        )
        reference = end + dt.timedelta(days=183)
        if reference <= last:
            working = bool(rng.random() < (truth["durable"] if outcome == "work" else 0.2))
            followups.append(
                {
                    "enrolment_id": n + 1,
                    **person,
                    **context,
                    "exit_date": end,
                    "exit_reason": reason,
                    "exit_outcome": outcome,
                    "months": 6,
                    "reference_date": reference,
                    "working": working,
                    "studying": False,
                    "self_sufficient": working,
                    "source": "register",
                }
            )
        # one survey answer from most participants, on a day of their enrolment
        if rng.random() < 0.8:
            day = start + dt.timedelta(days=int(rng.integers(days)))
            good = rng.random() < truth["satisfied"]
            answers.append(
                {
                    "survey": codes["survey"],
                    "question": codes["question"],
                    "date": day,
                    "org_unit": codes["org_unit"],
                    "person_key": None,
                    "sex": person["sex"],
                    "value": int(rng.integers(4, 6)) if good else int(rng.integers(1, 4)),
                }
            )
    return {"enrolments": enrolments, "exits": exits, "followups": followups, "survey_answers": answers}


def generate(
    out: Path,
    pes_count: int = 8,
    seed: int = 1,
    year: int = 2023,
    network_below: int = 5,
    profile: str | Path | None = None,
) -> list[Path]:
    """Write the network to ``out``, each PES mapped as ``profile`` is (None: the configured
    profile); return the packages of ``year``."""
    from pestrack.benchlearning.definitions import load_mapping
    from pestrack.benchlearning.package import export

    if not 2 <= pes_count <= len(NETWORK):
        raise ValueError(f"--pes must be from 2 to {len(NETWORK)}")
    mapping = load_mapping(profile)
    codes = synthetic_codes(mapping)
    rng = np.random.default_rng(seed)
    packages = []
    for name, registrations, (unemployment, population, abroad) in NETWORK[:pes_count]:
        folder = Path(out) / name / "analytics"
        folder.mkdir(parents=True, exist_ok=True)
        for table, rows in _tables(name, registrations, abroad, year, rng, codes).items():
            write_table(table, rows, folder, None)
        pes = {
            "id": name,
            "name": f"{name.title()} PES (synthetic)",
            "country": "XX",
            "municipality": code_of(name),
            "peer_group": "",
        }
        context = {"unemployment_rate": unemployment, "population": population, "born_abroad_share": abroad}
        for y, file in ((year, "package.zip"), (year - 1, f"package-{year - 1}.zip")):
            export(
                mapping.path.parent,
                folder,
                y,
                folder.parent / file,
                pes=pes,
                context=context,
                network_below=network_below,
            )
        packages.append(folder.parent / "package.zip")
    return packages
