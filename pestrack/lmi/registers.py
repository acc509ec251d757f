"""Synthetic vacancies and job-seekers' occupations (``pestrack lmi synth``; docs/lmi.md, "Synthetic
data"), drawn from the contract events of the same shard, so the shortages of the observatory follow
the synthetic labour market without an import:

- **vacancies**: a share of the hires (not those of the stock at the start) were advertised, in the
  hire's occupation and municipality, published some days before the hire and closed the day before
  it; an advertisement may offer more positions than were filled, more often in the occupation
  groups the settings name (the shortages).
- **job-seekers' occupations**: a person whose employment ended (other than by retirement) seeks its
  occupation from the next day for some months (to_date empty while still seeking on the last day);
  with ``--participants``, every participant hired after the exit sought that occupation for some
  months before the hire.

The settings are the ``registers`` block of profiles/<name>/lmi/synth.yaml (DEFAULTS when absent).
Its own random stream (``seed`` of the shard + 1,000,003), so the contract events are the same with
or without the registers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pestrack.analytics.schema import BY_NAME

DEFAULTS = {
    "advertised_share": 0.6,  # of the hires, advertised as a vacancy
    "sources": {"job_board": 0.7, "employment_service": 0.3},
    "published_days": [7, 45],  # published this many days before the hire (uniform)
    "extra_positions": {"default": 0.1},  # per SSYK major group: chance an advertisement offers 2-5 positions
    "seeking_months": [1, 12],  # months a job-seeker seeks the occupation (uniform)
}
STREAM = 1_000_003
RETIREMENT = "retirement"


def _settings(cfg: dict) -> dict:
    return {**DEFAULTS, **(cfg.get("registers") or {})}


def _days(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(pc.cast(column, pa.int32()).to_numpy(zero_copy_only=False), dtype=np.int64)


def _date(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(days.astype(np.int32), mask=mask).cast(pa.date32())


def vacancies_and_seekers(
    cfg: dict, events: pa.Table, start: int, stop: int, seed: int, shard: int, participants: pa.Array | None
) -> tuple[pa.Table, pa.Table]:
    """The ``vacancies`` and ``jobseeker_occupations`` of one shard's ``events`` (module docstring);
    ``start``/``stop`` the first and last day covered (days since 1970-01-01), ``participants`` the
    person keys of the PES exits (or None)."""
    s = _settings(cfg)
    rng = np.random.default_rng(seed + STREAM)
    latest = events.filter(pc.and_(pc.is_null(events["superseded_date"]), pc.invert(events["cancelled"])))
    hires = latest.filter(pc.equal(latest["kind"], "hire"))
    hire_day = _days(hires["event_date"])
    hires = hires.filter(pa.array(hire_day >= start))
    hire_day = hire_day[hire_day >= start]

    # vacancies: the advertised hires
    n = len(hires)
    advertised = np.flatnonzero(rng.random(n) < s["advertised_share"])
    occupation = hires["occupation"].take(pa.array(advertised))
    groups = pc.utf8_slice_codeunits(occupation, 0, 1).to_numpy(zero_copy_only=False)
    extra = s["extra_positions"]
    chance = (
        np.array([float(extra.get(str(g), extra.get("default", 0))) for g in groups]) if len(groups) else np.zeros(0)
    )
    positions = np.where(rng.random(len(advertised)) < chance, rng.integers(2, 6, len(advertised)), 1)
    low, high = s["published_days"]
    published = hire_day[advertised] - rng.integers(int(low), int(high) + 1, len(advertised))
    sources = list(s["sources"])
    p = np.array([float(v) for v in s["sources"].values()])
    source = rng.choice(len(sources), size=len(advertised), p=p / p.sum())
    closed = hire_day[advertised] - 1
    vacancies = pa.table(
        {
            "vacancy_id": pc.binary_join_element_wise(
                pa.scalar(f"V{shard}-"), pa.array(np.arange(len(advertised))).cast(pa.string()), ""
            ),
            "source": pa.DictionaryArray.from_arrays(pa.array(source.astype(np.int32)), pa.array(sources)).cast(
                pa.string()
            ),
            "occupation": occupation,
            "municipality": hires["municipality"].take(pa.array(advertised)),
            "positions": pa.array(positions.astype(np.int32)),
            "published_date": _date(np.maximum(published, start)),
            "last_date": _date(closed),
        },
        schema=BY_NAME["vacancies"].arrow,
    )

    # job-seekers: the ended employments (not retirements), each seeking its occupation
    ends = latest.filter(
        pc.and_(pc.equal(latest["kind"], "termination"), pc.not_equal(latest["termination_reason"], RETIREMENT))
    )
    months_low, months_high = s["seeking_months"]
    end_day = _days(ends["event_date"])
    length = np.round(rng.uniform(float(months_low), float(months_high), len(ends)) * 30.4375).astype(np.int64)
    seekers = [
        (ends["person_key"], ends["occupation"], end_day + 1, end_day + length),
    ]
    if participants is not None and len(participants):
        mine = pc.is_in(hires["person_key"], value_set=participants)
        theirs = hires.filter(mine)
        day = hire_day[np.asarray(mine.to_numpy(zero_copy_only=False), dtype=bool)]
        before = np.round(rng.uniform(float(months_low), float(months_high), len(theirs)) * 30.4375).astype(np.int64)
        seekers.append((theirs["person_key"], theirs["occupation"], day - before, day - 1))
    parts = []
    for person, occ, first, last in seekers:
        keep = first <= stop
        open_ = last > stop
        take = pa.array(np.flatnonzero(keep))
        parts.append(
            pa.table(
                {
                    "person_key": pc.take(person, take),
                    "occupation": pc.take(occ, take),
                    "from_date": _date(np.maximum(first[keep], start)),
                    "to_date": _date(last[keep], mask=open_[keep]),
                },
                schema=BY_NAME["jobseeker_occupations"].arrow,
            )
        )
    return vacancies, pa.concat_tables(parts)
