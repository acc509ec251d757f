"""``pestrack lmi synth``: a synthetic regional labour market as contract-event tables.

Employment spells are drawn with NumPy, shard by shard as in ``pestrack synth`` (scale N is N
shards, shard 0 with the seed itself, the others with ``shard_seed``; a fractional scale
below 1 gives one smaller shard, for tests): a stock of positions at the start of the first year,
then hires month by month with the profile's seasonality; fixed terms that end, are extended or
converted; probation that converts or ends; sector differences in contract types and durations;
part time more often for women. Each event is communicated a few days after it happened (some
late, some corrected later), so the tables carry versions as imported ones do; what was received
after the last day of the last year is left out (the data are as known on that day).

The participants of a synthetic PES population (``pestrack synth --out DIR``, ``--participants
DIR``) who left for work are hired within ``participant_hire_days`` of their exit date, under
their own person key, so durability and pathways link the two (docs/lmi.md).

The settings are profiles/<name>/lmi/synth.yaml; what each rests on is in docs/lmi.md."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pestrack.analytics.extract import TableFile, age_band, note_table, parse_bands, read_manifest, write_manifest
from pestrack.analytics.pseudonym import DIGITS
from pestrack.analytics.schema import BY_NAME
from pestrack.lmi import store
from pestrack.records.codes.profile import _clean, _read, profile_dir

EPOCH = dt.date(1970, 1, 1)
MONTH = 30.4375
TYPES = ("permanent", "fixed_term", "probationary", "on_call", "temporary_agency", "apprenticeship", "subsidised")
REASONS = ("contract_end", "resignation", "redundancy", "personal_grounds", "probation_end", "retirement", "other")
KINDS = ("hire", "termination", "conversion", "extension", "working_time")
SEXES = ("woman", "man")
NEVER = np.iinfo(np.int32).max


def shard_seed(seed: int, shard: int) -> int:
    """Shard 0 draws with the seed itself, shard k with a hash of (seed, k): the convention of
    ``pestrack synth`` (synth/run.py), under this generator's own name so the streams differ."""
    if shard == 0:
        return seed
    return int.from_bytes(hashlib.sha256(f"pestrack-lmi-synth/{seed}/{shard}".encode()).digest()[:8], "big")


def settings(profile: str) -> dict:
    return _clean(_read(profile_dir(profile) / "lmi" / "synth.yaml"))


def _day(d: dt.date) -> int:
    return (d - EPOCH).days


def _year(days: np.ndarray) -> np.ndarray:
    """The calendar year of each day (days since 1970-01-01)."""
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _keys(rng: np.random.Generator, n: int) -> pa.Array:
    """``n`` random keys of 12 letters and digits (the person key's form)."""
    chars = np.frombuffer(DIGITS.encode(), dtype="S1")[rng.integers(0, len(DIGITS), size=(n, 12))]
    # as fixed-size binary cast to text: the same keys as through NumPy's str, 15 times faster
    return pa.array(chars.view("S12").ravel(), pa.binary(12)).cast(pa.string())


def _pick(rng: np.random.Generator, shares: dict, n: int) -> np.ndarray:
    p = np.array(list(shares.values()), dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _text(codes, idx: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """The code of each index as text (null where ``mask`` is False)."""
    arr = pa.DictionaryArray.from_arrays(
        pa.array(idx.astype(np.int32), mask=None if mask is None else ~mask), pa.array(list(codes))
    )
    return arr.cast(pa.string())


def _dates(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(days.astype(np.int32), mask=None if mask is None else ~mask).cast(pa.date32())


@dataclass
class Spells:
    """One row per employment, everything the events need (days since 1970-01-01)."""

    hire: np.ndarray
    initial: np.ndarray  # in the stock at the start (its hire known on the first day)
    sector: np.ndarray  # index into the profile's sectors
    sex: np.ndarray
    birth_year: np.ndarray
    municipality: np.ndarray
    occupation: np.ndarray  # int code
    employer: np.ndarray
    person: pa.Array
    type0: np.ndarray
    subsidy: np.ndarray
    pct: np.ndarray
    planned: np.ndarray  # fixed term: planned last day, NEVER otherwise
    extension: np.ndarray  # day of an extension, NEVER when none
    extended_to: np.ndarray
    conversion: np.ndarray  # day of a conversion to permanent, NEVER when none
    wt_change: np.ndarray  # day of a working-time change, NEVER when none
    new_pct: np.ndarray
    end: np.ndarray  # termination day, NEVER when it lasts
    reason: np.ndarray


class Generator:
    def __init__(self, profile: str, years: list[int], seed: int):
        self.cfg = settings(profile)
        self.years = sorted(years)
        self.first, self.last = dt.date(self.years[0], 1, 1), dt.date(self.years[-1], 12, 31)
        self.start, self.stop = _day(self.first), _day(self.last)
        self.seed = seed
        self.sectors = list(self.cfg["sectors"])
        self.divisions = {s: _divisions(profile, s) for s in self.sectors}
        self.subsidies = _subsidies(profile)
        self.municipalities = list(self.cfg["municipalities"])
        from pestrack.records.codes.profile import read_profile

        self.bands = read_profile(profile).settings["age_bands"]

    # -- drawing spells ------------------------------------------------------------------------

    def _base(self, rng, hire: np.ndarray, initial: np.ndarray, sector=None, sex=None, birth=None, person=None):
        n = len(hire)
        cfg, secs = self.cfg, self.cfg["sectors"]
        if sector is None:
            sector = _pick(rng, {s: v["share"] for s, v in secs.items()}, n)
        women = np.array([secs[s]["women"] for s in self.sectors])[sector]
        if sex is None:
            sex = (rng.random(n) >= women).astype(np.int8)  # 0 woman, 1 man
        years = _year(hire)
        if birth is None:
            birth = (years - np.clip(rng.normal(38, 11, n), 18, 66)).astype(np.int32)
        groups = np.zeros(n, dtype=np.int32)
        for k, s in enumerate(self.sectors):
            at = np.flatnonzero(sector == k)
            options = np.array([int(g) for g in secs[s]["occupations"]])
            groups[at] = options[rng.integers(0, len(options), len(at))]
        occupation = groups * 1000 + rng.integers(111, 999, n)
        # employers: about one per 25 positions of a sector, sizes skewed (few large, many small)
        employer = np.zeros(n, dtype=np.int64)
        for k in range(len(self.sectors)):
            at = np.flatnonzero(sector == k)
            count = max(1, int(cfg["employees"] * secs[self.sectors[k]]["share"] / 25))
            employer[at] = k * 10_000_000 + (count * rng.random(len(at)) ** 3).astype(np.int64)
        part = rng.random(n) < np.where(sex == 0, cfg["part_time"]["woman"], cfg["part_time"]["man"])
        pcts = np.array(cfg["part_time_pcts"])
        pct = np.where(part, pcts[rng.integers(0, len(pcts), n)], 100).astype(np.int32)
        return dict(
            hire=hire.astype(np.int64),
            initial=initial,
            sector=sector,
            sex=sex,
            birth_year=birth,
            municipality=_pick(rng, cfg["municipalities"], n),
            occupation=occupation,
            employer=employer,
            person=person if person is not None else _keys(rng, n),
            pct=pct,
        )

    def _careers(self, rng, base: dict, type0: np.ndarray) -> Spells:
        """What happens to each employment after the hire (module docstring)."""
        cfg = self.cfg
        n = len(type0)
        hire = base["hire"]
        # the initial stock's futures are drawn from the first day, as if each contract began then
        origin = np.where(base["initial"], self.start, hire)
        months = lambda k: (k * MONTH).astype(np.int64)  # noqa: E731
        perm_years = np.array([cfg["sectors"][s]["permanent_years"] for s in self.sectors])[base["sector"]]

        def permanent_end(mask: np.ndarray, since: np.ndarray) -> np.ndarray:
            return since[mask] + rng.exponential(perm_years[mask] * 365.25).astype(np.int64) + 1

        t = np.array(TYPES)[type0]
        planned = np.full(n, NEVER, dtype=np.int64)
        extension = np.full(n, NEVER, dtype=np.int64)
        extended_to = np.full(n, NEVER, dtype=np.int64)
        conversion = np.full(n, NEVER, dtype=np.int64)
        end = np.full(n, NEVER, dtype=np.int64)
        reason = np.zeros(n, dtype=np.int8)  # contract_end
        r = rng.random(n)
        low, high = cfg["fixed_term_months"]

        ft = t == "fixed_term"
        planned[ft] = origin[ft] + months(rng.uniform(low, high, ft.sum()))
        convert = ft & (r < cfg["fixed_term_outcome"]["convert"])
        extend = ft & ~convert & (r < cfg["fixed_term_outcome"]["convert"] + cfg["fixed_term_outcome"]["extend"])
        conversion[convert] = planned[convert] + 1
        extension[extend] = planned[extend] - 14  # agreed two weeks before the term runs out
        extended_to[extend] = planned[extend] + months(rng.uniform(low, high, extend.sum()))
        end[ft & ~convert & ~extend] = planned[ft & ~convert & ~extend]
        again = extend & (rng.random(n) < cfg["fixed_term_outcome"]["convert"])
        conversion[again] = extended_to[again] + 1
        end[extend & ~again] = extended_to[extend & ~again]

        for name, length, share in (
            ("probationary", cfg["probation_months"], cfg["probation_convert"]),
            ("apprenticeship", cfg["apprenticeship_months"], cfg["apprenticeship_convert"]),
            ("subsidised", cfg["subsidised_months"], cfg["subsidised_convert"]),
        ):
            m = t == name
            ok = m & (r < share)
            conversion[ok] = origin[ok] + months(np.full(ok.sum(), length))
            stop = m & ~ok
            span = (
                months(np.full(stop.sum(), length))
                if name != "probationary"
                else months(rng.uniform(1, length, stop.sum()))
            )
            end[stop] = origin[stop] + span
            if name == "probationary":
                reason[stop] = REASONS.index("probation_end")
        for name, mean in (("on_call", cfg["on_call_months"]), ("temporary_agency", cfg["temporary_agency_months"])):
            m = t == name
            end[m] = origin[m] + 1 + rng.exponential(mean * MONTH, m.sum()).astype(np.int64)
        # permanent from the start, or after a conversion
        perm = t == "permanent"
        end[perm] = permanent_end(perm, origin)
        conv = conversion < NEVER
        end[conv] = permanent_end(conv, conversion)
        quits = perm | conv
        reason[quits] = (
            _pick(rng, {"resignation": 0.7, "redundancy": 0.15, "personal_grounds": 0.05, "other": 0.1}, quits.sum())
            + 1
        )
        reason[quits & (reason == 4)] = REASONS.index("other")  # no probation_end for a permanent contract
        age_at_end = _year(np.minimum(end, self.stop)) - base["birth_year"]
        reason[quits & (age_at_end >= 65)] = REASONS.index("retirement")
        # a working-time change inside a permanent stretch, for a few
        since = np.maximum(np.where(conv, conversion, hire), self.start)
        room = np.minimum(end, self.stop + 1) - since
        change = quits & (rng.random(n) < cfg["working_time_change"]) & (room > 2)
        wt_change = np.full(n, NEVER, dtype=np.int64)
        wt_change[change] = since[change] + 1 + (rng.random(change.sum()) * (room[change] - 2)).astype(np.int64)
        pcts = np.array(cfg["part_time_pcts"])
        new_pct = np.where(base["pct"] == 100, pcts[rng.integers(0, len(pcts), n)], 100).astype(np.int32)
        subsidy = rng.integers(0, len(self.subsidies), n)
        return Spells(
            **base,
            type0=type0,
            subsidy=subsidy,
            planned=planned,
            extension=extension,
            extended_to=extended_to,
            conversion=conversion,
            wt_change=wt_change,
            new_pct=new_pct,
            end=end,
            reason=reason,
        )

    def _types(self, rng, sector: np.ndarray) -> np.ndarray:
        out = np.zeros(len(sector), dtype=np.int64)
        for k, s in enumerate(self.sectors):
            at = np.flatnonzero(sector == k)
            hires = self.cfg["sectors"][s]["hires"]
            out[at] = np.array([TYPES.index(t) for t in hires])[_pick(rng, hires, len(at))]
        return out

    def spells(self, rng, size: float, participants: pa.Table | None) -> Spells:
        cfg = self.cfg
        n0 = int(round(cfg["employees"] * size))
        parts = []
        # the stock on the first day
        temp = rng.random(n0) < cfg["temporary_at_start"]
        back = np.where(temp, rng.integers(1, 180, n0), rng.integers(1, 15 * 365, n0))
        base = self._base(rng, self.start - back, np.ones(n0, dtype=bool))
        type0 = np.where(
            temp, np.array([TYPES.index(t) for t in cfg["temporary_types"]])[_pick(rng, cfg["temporary_types"], n0)], 0
        )
        parts.append(self._careers(rng, base, type0))
        # hires month by month
        season = np.array(cfg["seasonality"], dtype=float)
        season = season / season.mean()
        for year in self.years:
            growth = (1 + cfg["annual_growth"]) ** (year - self.years[0])
            for m in range(12):
                first = _day(dt.date(year, m + 1, 1))
                days = _day(dt.date(year + (m == 11), m % 12 + 2 if m < 11 else 1, 1)) - first
                k = rng.poisson(n0 * cfg["annual_hire_rate"] / 12 * season[m] * growth)
                hire = first + rng.integers(0, days, k)
                base = self._base(rng, hire, np.zeros(k, dtype=bool))
                parts.append(self._careers(rng, base, self._types(rng, base["sector"])))
        if participants is not None and len(participants):
            parts.append(self._participants(rng, participants))
        return _concat(parts)

    def _participants(self, rng, exits: pa.Table) -> Spells:
        """Hires of the PES participants: near the exit for those who left for work; within 18
        months for a share of the others."""
        cfg = self.cfg
        exit_day = np.array(pc.cast(exits["exit_date"], pa.int32()).to_numpy(zero_copy_only=False), dtype=np.int64)
        work = np.array(pc.equal(exits["exit_outcome"], "work").to_numpy(zero_copy_only=False), dtype=bool)
        w = cfg["participant_hire_days"]
        offset = np.where(work, rng.integers(-w, w + 1, len(work)), rng.integers(30, 548, len(work)))
        hired = work | (rng.random(len(work)) < cfg["other_exit_hired_within_18_months"])
        hire = exit_day + offset
        keep = hired & (hire >= self.start) & (hire <= self.stop)
        idx = np.flatnonzero(keep)
        sex = np.array([SEXES.index(s) for s in exits["sex"].to_pylist()], dtype=np.int8)[idx]
        birth = np.array(exits["birth_year"].to_numpy(zero_copy_only=False), dtype=np.int32)[idx]
        base = self._base(
            rng,
            hire[idx],
            np.zeros(len(idx), dtype=bool),
            sex=sex,
            birth=birth,
            person=exits["person_key"].combine_chunks().take(pa.array(idx)),
        )
        hires = cfg["participant_hires"]
        type0 = np.array([TYPES.index(t) for t in hires])[_pick(rng, hires, len(idx))]
        return self._careers(rng, base, type0)

    # -- from spells to communications ---------------------------------------------------------

    def events(self, rng, s: Spells, shard: int) -> pa.Table:
        """Every event version known by the last day: hires, conversions, extensions, working-time
        changes and terminations, each received a few days after it happened."""
        n = len(s.hire)
        ids = pc.binary_join_element_wise(pa.scalar(f"{shard}-"), pa.array(np.arange(n)).cast(pa.string()), "")
        pieces = []
        converted = s.conversion < NEVER
        specs = [
            ("hire", np.ones(n, bool), s.hire),
            ("conversion", converted, s.conversion),
            ("extension", s.extension < NEVER, s.extension),
            ("working_time", s.wt_change < NEVER, s.wt_change),
            ("termination", s.end < NEVER, s.end),
        ]
        for kind, mask, day in specs:
            at = np.flatnonzero(mask & (day <= self.stop))
            d = day[at]
            # the contract type and working time in force after the event
            typ = np.where(converted[at] & (s.conversion[at] <= d), 0, s.type0[at])
            pct = s.pct[at] if kind == "hire" else np.where(s.wt_change[at] <= d, s.new_pct[at], s.pct[at])
            planned = {"hire": s.planned[at], "extension": s.extended_to[at]}.get(kind, np.full(len(at), NEVER))
            late = rng.random(len(at)) < self.cfg["late_share"]
            delay = np.where(late, rng.integers(31, 91, len(at)), rng.integers(0, self.cfg["report_days"] + 1, len(at)))
            stock = s.initial[at] & (kind == "hire")  # the initial stock: known on the first day
            known = np.where(stock, self.start, d + delay)
            pieces.append(
                dict(at=at, kind=kind, day=d, typ=typ, pct=pct, planned=planned, known=known, late=late & ~stock)
            )
        tables = []
        for p in pieces:
            keep = p["known"] <= self.stop
            tables.append(self._table(rng, s, ids, p, keep, shard, version=1))
            if p["kind"] == "hire":  # a few hires corrected later: another occupation
                fix = keep & ~s.initial[p["at"]] & (rng.random(len(keep)) < self.cfg["correction_share"])
                fixed_known = p["known"] + rng.integers(10, 61, len(keep))
                fix &= fixed_known <= self.stop
                q = dict(p, known=fixed_known, late=np.zeros(len(keep), bool))
                tables.append(self._table(rng, s, ids, q, fix, shard, version=2))
        events = pa.concat_tables(tables)
        return self._superseded(events)

    def _table(self, rng, s: Spells, ids, p: dict, keep: np.ndarray, shard: int, version: int) -> pa.Table:
        at = p["at"][keep]
        kind = p["kind"]
        m = len(at)
        day = p["day"][keep]
        take = pa.array(at)
        event_ids = (
            ids.take(take)
            if kind == "hire"
            else pc.binary_join_element_wise(ids.take(take), pa.scalar(f"-{kind[0]}"), "")
        )
        sector = s.sector[at]
        div_options = [np.array(self.divisions[self.sectors[k]]) for k in range(len(self.sectors))]
        division = np.empty(m, dtype=object)
        for k, options in enumerate(div_options):
            where = np.flatnonzero(sector == k)
            division[where] = options[(s.employer[at][where] % len(options))]
        occupation = s.occupation[at]
        if version == 2:
            occupation = (occupation // 1000) * 1000 + rng.integers(111, 999, m)
        typ = p["typ"][keep]
        known = p["known"][keep]
        birth = s.birth_year[at]
        bands = parse_bands(self.bands)
        ages = _year(day) - birth
        band_names = [b[2] for b in bands] + ["unknown"]
        band_idx = np.array([band_names.index(age_band(int(a), bands)) for a in range(0, 130)])[np.clip(ages, 0, 129)]
        comm = pc.binary_join_element_wise(pa.scalar(f"C{version}-"), event_ids, "")
        planned = p["planned"][keep]
        cols = {
            "event_id": event_ids,
            "version": pa.array(np.full(m, version, dtype=np.int32)),
            "known_date": _dates(known),
            "superseded_date": pa.nulls(m, pa.date32()),
            "communication_id": comm,
            "cancelled": pa.array(np.zeros(m, dtype=bool)),
            "kind": pa.array([kind] * m, pa.string()),
            "event_date": _dates(day),
            "employment_id": ids.take(take),
            "person_key": s.person.take(take),
            "sex": _text(SEXES, s.sex[at]),
            "birth_year": pa.array(birth.astype(np.int32)),
            "employer_key": pc.binary_join_element_wise(
                pa.scalar("EMP"), pa.array(s.employer[at]).cast(pa.string()), ""
            ),
            "sector": _text(self.sectors, sector),
            "sector_code": pa.array(division.astype(str)),
            "municipality": _text(self.municipalities, s.municipality[at]),
            "occupation": pa.array(occupation).cast(pa.string()),
            "occupation_group": pa.array(occupation // 1000).cast(pa.string()),
            "esco_occupation": pa.nulls(m, pa.string()),
            "contract_type": _text(TYPES, typ),
            "subsidy": _text(self.subsidies, s.subsidy[at], typ == TYPES.index("subsidised")),
            "working_time_pct": pa.array(p["pct"][keep].astype(np.int32)),
            "full_time": pa.array(p["pct"][keep] == 100),
            "age_band": _text(band_names, band_idx),
            "previous_contract_type": _text(TYPES, s.type0[at], np.full(m, kind == "conversion")),
            "termination_reason": _text(REASONS, s.reason[at], np.full(m, kind == "termination")),
            "planned_end_date": _dates(np.where(planned < NEVER, planned, 0), planned < NEVER),
            "position_change": pa.array(np.full(m, {"hire": 1, "termination": -1}.get(kind, 0), dtype=np.int32)),
            "flag": _text(["late"], np.zeros(m, dtype=np.int32), p["late"][keep]),
        }
        return pa.table(cols, schema=BY_NAME[store.EVENTS].arrow)

    @staticmethod
    def _superseded(events: pa.Table) -> pa.Table:
        """Version 1 of a corrected event is superseded on the day version 2 became known."""
        v2 = events.filter(pc.equal(events["version"], 2)).select(["event_id", "known_date"])
        if not len(v2):
            return events
        first = pc.equal(events["version"], 1)
        at = pc.index_in(events["event_id"], value_set=v2["event_id"])
        later = pc.if_else(first, pc.take(v2["known_date"], at), pa.scalar(None, pa.date32()))
        return events.set_column(events.schema.get_field_index("superseded_date"), "superseded_date", later)


def _divisions(profile: str, section: str) -> list[str]:
    from pestrack.records.codes import classifications

    version = classifications.load(profile)["sector"].versions[-1]
    return sorted(d for d, s in version.divisions.items() if s == section)


def _subsidies(profile: str) -> tuple[str, ...]:
    """The kinds of subsidised employment the profile names (lmi/classifications.yaml ``subsidy``)."""
    from pestrack.records.codes import classifications

    return tuple(classifications.load(profile)["subsidy"].versions[-1].labels)


def _concat(parts: list[Spells]) -> Spells:
    fields = Spells.__dataclass_fields__
    out = {}
    for f in fields:
        values = [getattr(p, f) for p in parts]
        out[f] = pa.concat_arrays(values) if isinstance(values[0], pa.Array) else np.concatenate(values)
    return Spells(**out)


def shards(
    profile: str, years: list[int], scale: float, seed: int, participants: Path | None = None
) -> Iterator[pa.Table]:
    """The event versions of each shard (module docstring)."""
    if scale <= 0:
        raise ValueError("scale must be more than 0")
    count = max(1, math.ceil(scale))
    gen = Generator(profile, years, seed)
    exits = None
    if participants is not None:
        path = Path(participants) / "exits.parquet"
        if not path.exists():
            raise FileNotFoundError(f"{path}: no exits table (pestrack synth --out {participants})")
        exits = pq.read_table(path, columns=["person_key", "sex", "birth_year", "exit_date", "exit_outcome"])
    for k in range(count):
        rng = np.random.default_rng(shard_seed(seed, k))
        spells = gen.spells(rng, scale / count, exits if k == 0 else None)
        yield gen.events(rng, spells, k)


def write(
    out: Path,
    profile: str,
    years: list[int],
    *,
    scale: float = 1,
    seed: int = 1,
    participants: Path | None = None,
    positions: bool = True,
    registers: bool = True,
) -> dict[str, int]:
    """Write the contract-event tables (and, unless ``positions`` is False, the positions derived
    from them; unless ``registers`` is False, the vacancies and job-seekers' occupations drawn from
    them, lmi.registers) into ``out``; returns the rows per table."""
    from pestrack.lmi import registers as lmi_registers

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    gen = Generator(profile, years, seed)
    bands = gen.bands
    tables = {store.EVENTS: TableFile(store.EVENTS, out)}
    if positions:
        tables[store.POSITIONS] = TableFile(store.POSITIONS, out)
    if registers:
        for name in ("vacancies", "jobseeker_occupations"):
            tables[name] = TableFile(name, out)
        keys = (
            pq.read_table(Path(participants) / "exits.parquet", columns=["person_key"])["person_key"]
            if participants
            else None
        )
    try:
        for k, events in enumerate(shards(profile, years, scale, seed, participants)):
            tables[store.EVENTS].append_table(events)
            if positions:
                tables[store.POSITIONS].append(store.derive_positions(events.to_pylist(), bands))
            if registers:
                vacancies, seekers = lmi_registers.vacancies_and_seekers(
                    gen.cfg, events, gen.start, gen.stop, shard_seed(seed, k), k, keys if k == 0 else None
                )
                tables["vacancies"].append_table(vacancies)
                tables["jobseeker_occupations"].append_table(seekers)
    except BaseException:
        for t in tables.values():
            t.abort()
        raise
    manifest = read_manifest(out)
    rows = {}
    first, last = dt.date(min(years), 1, 1), dt.date(max(years), 12, 31)
    for name, t in tables.items():
        n, sha, _ = t.finish(None)
        note_table(
            manifest,
            name,
            n,
            sha,
            covers_from=first.isoformat(),
            covers_to=last.isoformat(),
            source_file=f"pestrack lmi synth --scale {scale} --seed {seed}",
        )
        rows[name] = n
    write_manifest(out, manifest)
    return rows
