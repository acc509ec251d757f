"""Scoring participant–place pairs, many at once, under the hard rules.

A pair's score is a weighted mean of components, each between 0 and 1:

- occupation: ESCO similarity of the place's occupation to the participant's desired occupations
  (or, at 0.8 of it, to occupations they have worked in)
- skills: how well the participant's skills cover the place's required skills (two thirds) and
  optional skills (one third); a skill counts fully when it is the same ESCO skill and partly when
  it is a similar one (ESCO text similarity); skills of occupations worked in count at 0.6
- travel: 1 at the door, 0 at the participant's travel limit (30 km when none is stated)
- conditions: starting on time (0 when 60 days late) and hours within the participant's maximum
- text: similarity of the participant's free text with the place's title and description

A component that cannot be judged (no occupation given, no coordinates) is 0.5. A pair that breaks
a hard rule (records.employers.rules.eligibility: programme, age, Swedish level, licence, travel
limit) is infeasible: it is never ranked or allocated. Scores are computed a block of participants
at a time with NumPy and SciPy sparse products, so 100,000 × 20,000 pairs fit in memory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import multiprocessing
import os
import threading
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from threadpoolctl import threadpool_limits

from pestrack.matching.esco import Taxonomy, taxonomy
from pestrack.records import processes
from pestrack.records.employers.rules import CEFR, EARTH_KM

COMPONENTS = ("occupation", "skills", "travel", "conditions", "text")
WEIGHTS = {"occupation": 0.35, "skills": 0.35, "travel": 0.15, "conditions": 0.10, "text": 0.05}
EXPERIENCE_WEIGHT = 0.8  # an occupation worked in, against one desired
EXPERIENCE_SKILL_WEIGHT = 0.6  # a skill implied by an occupation worked in, against one stated
DEFAULT_TRAVEL_KM = 30.0
LATE_DAYS = 60
NEUTRAL = 0.5
BLOCK = 32  # participants scored at a time: 32 × 20,000 float32 arrays stay in the CPU cache
FORK_MIN_ROWS = 2048  # fewer participants are scored in this process (forking costs more)


def _num(x: float, places: int = 2) -> str:
    """A number for an explanation, in the language's format (0,50 in Swedish)."""
    return number_format(round(float(x), places), places)


@dataclass
class Participant:
    id: object
    desired: list[int] = field(default_factory=list)  # ESCO occupation rows
    experience: list[int] = field(default_factory=list)
    skills: list[int] = field(default_factory=list)  # ESCO skill rows
    birth_date: dt.date | None = None
    programmes: frozenset = frozenset()
    swedish_level: int = 0
    driving_licence: bool = False
    lat: float | None = None
    lon: float | None = None
    max_travel_km: float | None = None
    max_hours: int | None = None
    available_from: dt.date | None = None
    summary: str = ""
    priority: int = 0  # allocation only: the stated priority tier (0 none)


@dataclass
class Opening:
    """A place as matching sees it."""

    id: object
    kind: str
    kind_rules: dict
    start_date: dt.date
    occupation: int = -1
    required: list[int] = field(default_factory=list)
    optional: list[int] = field(default_factory=list)
    swedish_level: int = 0
    driving_licence: bool = False
    lat: float | None = None
    lon: float | None = None
    hours: int | None = None
    title: str = ""
    description: str = ""
    positions: int = 1


def _f(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _padded(lists, width=None) -> np.ndarray:
    width = width or max([len(x) for x in lists] + [1])
    out = np.full((len(lists), width), -1, dtype=np.int32)
    for i, x in enumerate(lists):
        out[i, : len(x)] = x[:width]
    return out


def _csr(lists, weights, ncols) -> sparse.csr_matrix:
    indptr = np.cumsum([0] + [len(x) for x in lists])
    idx = np.fromiter((v for x in lists for v in x), np.int64, indptr[-1])
    w = np.fromiter((v for x in weights for v in x), np.float32, indptr[-1])
    m = sparse.csr_matrix((w, idx, indptr), shape=(len(lists), ncols))
    m.sum_duplicates()
    return m


class Matcher:
    """Scores every participant against every place; see the module docstring."""

    # what the places alone give (``_place_side``, kept per list of places)
    occ_cols: np.ndarray
    place_occ_local: np.ndarray
    skill_cols: np.ndarray
    req: sparse.csr_matrix
    opt: sparse.csr_matrix
    skill_weights: sparse.csr_matrix
    skill_const: np.ndarray
    programme_codes: list[str]
    programme_bit: dict[str, int]
    needs_programme: np.ndarray
    latest_birth: np.ndarray
    earliest_birth: np.ndarray
    day_base: int
    start_day: np.ndarray
    q_sw: np.ndarray
    q_lic: np.ndarray
    q_xyz: np.ndarray
    q_hours: np.ndarray

    def __init__(
        self,
        participants: list[Participant],
        places: list[Opening],
        weights: dict | None = None,
        tax: Taxonomy | None = None,
    ):
        self.tax = tax or taxonomy()
        self.participants, self.places = participants, places
        self.weights = {c: float((weights or WEIGHTS).get(c, 0.0)) for c in COMPONENTS}
        if sum(self.weights.values()) <= 0:
            raise ValueError("at least one score component needs a positive weight")
        P, Q = participants, places
        self.__dict__.update(_place_side(Q, self.tax))
        # occupations: the similarities of every occupation used by participants with every place occupation
        self.desired = _padded([p.desired for p in P])
        self.experience = _padded([p.experience for p in P])
        used_p = np.unique(np.concatenate([self.desired.ravel(), self.experience.ravel(), [-1]]))
        self.occ_rows = used_p[used_p >= 0]
        self.occ_sim = np.zeros((len(self.occ_rows) + 1, len(self.occ_cols) + 1), np.float32)  # last: none
        if len(self.occ_rows) and len(self.occ_cols):
            self.occ_sim[:-1, :-1] = self.tax.occupation_similarity(self.occ_rows, self.occ_cols)
        self.desired_local = self._local(self.desired, self.occ_rows)
        self.experience_local = self._local(self.experience, self.occ_rows)
        # per used occupation × place occupation: the similarity, NEUTRAL in the last column (places
        # without an occupation), 0 on the last row ('none', so that it never wins a maximum); a block
        # takes its maximum over the participant's occupations first and spreads it to places after
        self.occ_desired = self.occ_sim.copy()
        self.occ_desired[:, -1] = NEUTRAL
        self.occ_desired[-1] = 0
        self.occ_experience = self.occ_desired * EXPERIENCE_WEIGHT
        self.occ_experience[:-1, -1] = NEUTRAL  # a place without an occupation cannot be judged, whoever asks
        self.no_occupation = (self.desired[:, 0] < 0) & (self.experience[:, 0] < 0)
        # skills: a participant's coverage of each skill a place asks for
        own = [self._skill_weights(p) for p in P]
        rows = np.unique(np.array([s for d in own for s in d] + [-1]))
        self.skill_rows = rows[rows >= 0]
        row_of = {s: i for i, s in enumerate(self.skill_rows)}
        self.part_skills = [
            (np.array([row_of[s] for s in d], dtype=np.int64), np.array(list(d.values()), np.float32)) for d in own
        ]
        self.skill_sim = (
            self.tax.skill_similarity(self.skill_rows, self.skill_cols)
            if len(self.skill_rows) and len(self.skill_cols)
            else np.zeros((len(self.skill_rows), len(self.skill_cols)), np.float32)
        )
        # hard rules and the other components
        self.in_programme = np.array([sum(self.programme_bit.get(c, 0) for c in p.programmes) for p in P], np.int64)
        # age on the start day: age >= a  <=>  birth (as YYYYMMDD) <= (start year - a)MMDD
        birth = _f(
            [p.birth_date and p.birth_date.year * 10000 + p.birth_date.month * 100 + p.birth_date.day for p in P]
        )
        self.birth_key = np.where(np.isnan(birth), 0, birth).astype(np.int32)  # unknown: no age rule applies
        self.has_birth = ~np.isnan(birth)
        self.avail_day = np.array(
            [-np.inf if p.available_from is None else p.available_from.toordinal() - self.day_base for p in P],
            np.float32,
        )
        self.p_sw = np.array([p.swedish_level for p in P], np.int8)
        self.p_lic = np.array([p.driving_licence for p in P], bool)
        self.p_xyz = _xyz(P)
        self.max_km = _f([p.max_travel_km for p in P])
        self.limit_km = np.where(np.isnan(self.max_km), DEFAULT_TRAVEL_KM, self.max_km).astype(np.float32)
        chord = 2 * np.sin(np.minimum(np.nan_to_num(self.max_km, nan=np.inf), math.pi * EARTH_KM) / (2 * EARTH_KM))
        self.max_chord2 = np.where(np.isnan(self.max_km), np.inf, chord**2).astype(np.float32)
        self.max_hours = np.array([p.max_hours or np.inf for p in P], np.float32)  # 0 or none: not stated
        self.text_p = self.text_q = None
        if self.weights["text"] > 0 and any(p.summary for p in P) and any(q.title or q.description for q in Q):
            vec = TfidfVectorizer(sublinear_tf=True, dtype=np.float32).fit(
                [p.summary for p in P] + [f"{q.title} {q.description}" for q in Q]
            )
            self.text_p = vec.transform([p.summary for p in P])
            self.text_q = vec.transform([f"{q.title} {q.description}" for q in Q]).T.tocsr()

    @staticmethod
    def _local(rows: np.ndarray, used: np.ndarray) -> np.ndarray:
        """Occupation rows as positions in ``used``; -1 (none) becomes the last position."""
        pos = np.searchsorted(used, rows)
        return np.where(rows >= 0, pos, len(used)).astype(np.int32)

    def _skill_weights(self, p: Participant) -> dict[int, float]:
        out = {r: EXPERIENCE_SKILL_WEIGHT for o in p.experience for r in self.tax.related_skills[o]}
        out.update({s: 1.0 for s in p.skills})
        return out

    # -- one block of participants against every place ------------------------------------------------

    def coverage(self, rows) -> np.ndarray:
        """How well each participant of ``rows`` covers each wanted skill (rows × wanted skills)."""
        out = np.zeros((len(rows), len(self.skill_cols)), np.float32)
        for k, i in enumerate(rows):
            idx, w = self.part_skills[i]
            if len(idx):
                out[k] = (self.skill_sim[idx] * w[:, None]).max(axis=0)
        return out

    def chord2(self, rows) -> np.ndarray:
        """Squared chord between participants ``rows`` and every place on the unit sphere (NaN where a
        location is unknown)."""
        dot = self.p_xyz[rows] @ self.q_xyz.T
        np.multiply(dot, -2, out=dot)
        dot += 2
        np.maximum(dot, 0, out=dot)
        return dot.astype(np.float32)

    def distance_km(self, rows, chord2=None) -> np.ndarray:
        c = np.sqrt(self.chord2(rows) if chord2 is None else chord2)  # a new array: chord2 is kept
        c /= 2
        np.minimum(c, 1, out=c)
        np.arcsin(c, out=c)
        c *= 2 * EARTH_KM
        return c

    def rules(self, rows, chord2=None) -> dict[str, np.ndarray]:
        """Each hard rule for participants ``rows`` × every place (True: the rule allows the pair)."""
        rows = np.asarray(rows)
        birth = self.birth_key[rows][:, None]
        c2 = self.chord2(rows) if chord2 is None else chord2
        need = self.needs_programme
        age = np.less_equal(birth, self.latest_birth[None, :])
        age &= birth > self.earliest_birth[None, :]
        unknown = ~self.has_birth[rows]
        if unknown.any():
            age[unknown] = True
        with np.errstate(invalid="ignore"):
            travel = np.greater(c2, self.max_chord2[rows][:, None])  # not '<=': NaN (unknown) is allowed
        np.logical_not(travel, out=travel)
        return {
            "programme": _per_value(self.in_programme[rows], lambda v: (v & need) == need),
            "age": age,
            "swedish_level": _per_value(self.p_sw[rows], lambda v: v >= self.q_sw),
            "driving_licence": _per_value(self.p_lic[rows], lambda v: v | ~self.q_lic),
            "travel": travel,
        }

    def feasible(self, rows, chord2=None) -> np.ndarray:
        """The hard rules together for participants ``rows`` × every place (True: allowed)."""
        ok: np.ndarray | None = None
        for allowed in self.rules(rows, chord2).values():
            ok = allowed if ok is None else np.logical_and(ok, allowed, out=ok)
        assert ok is not None  # rules() always gives every hard rule
        return ok

    def components(self, rows, chord2=None) -> dict[str, np.ndarray]:
        rows = np.asarray(rows)
        out = {}
        if self.weights["occupation"]:
            best = self.occ_desired[self.desired_local[rows]].max(axis=1)
            np.maximum(best, self.occ_experience[self.experience_local[rows]].max(axis=1), out=best)
            occ = np.take(best, self.place_occ_local, axis=1)
            occ[self.no_occupation[rows]] = NEUTRAL
            out["occupation"] = occ
        if self.weights["skills"]:
            skills = np.ascontiguousarray((self.skill_weights @ self.coverage(rows).T).T, dtype=np.float32)
            skills += self.skill_const[None, :]
            out["skills"] = skills
        if self.weights["travel"]:
            c2 = self.chord2(rows) if chord2 is None else chord2
            km = self.distance_km(rows, c2)
            km /= self.limit_km[rows][:, None]
            travel = np.subtract(1, km, out=km)
            np.clip(travel, 0, 1, out=travel)
            travel[np.isnan(travel)] = NEUTRAL
            out["travel"] = travel
        if self.weights["conditions"]:
            late = self.avail_day[rows][:, None] - self.start_day[None, :]
            late *= -1 / LATE_DAYS
            late += 1
            start = np.clip(late, 0, 1, out=late)
            with np.errstate(divide="ignore", invalid="ignore"):
                hours = self.max_hours[rows][:, None] / self.q_hours[None, :]
            np.minimum(hours, 1, out=hours)
            start += hours
            start /= 2
            out["conditions"] = start
        if self.weights["text"] and self.text_p is not None:
            out["text"] = np.asarray((self.text_p[rows] @ self.text_q).todense(), dtype=np.float32)
        return out

    def total(self, parts: dict[str, np.ndarray]) -> np.ndarray:
        """The weighted mean, computed in the components' own arrays (they are scaled in place); a
        component left out (free text when nobody has any) counts as 0."""
        total = None
        for c, v in parts.items():
            w = self.weights[c] / sum(self.weights.values())
            if total is None:
                total = np.multiply(v, w, out=v) if v.dtype == np.float32 else (v * w).astype(np.float32)
            else:
                total += np.multiply(v, w, out=v)
        return total if total is not None else np.zeros((0, len(self.places)), np.float32)

    def scores(self, rows) -> tuple[np.ndarray, np.ndarray]:
        """(score, feasible) for participants ``rows`` × every place."""
        c2 = self.chord2(rows)
        parts = self.components(rows, c2)
        total = self.total(parts) if parts else np.zeros((len(rows), len(self.places)), np.float32)
        return total, self.feasible(rows, c2)

    # -- rankings ----------------------------------------------------------------------------------

    def top_places(self, k: int = 10, rows=None, jobs: int = 2, block: int = BLOCK):
        """The k best feasible places of each participant: (place positions, scores), -1/NaN padded.
        Ties go to the place listed first; the result does not depend on ``jobs`` or ``block``.

        With ``jobs`` > 1 and at least FORK_MIN_ROWS participants, contiguous chunks of them are
        scored in ``jobs`` forked worker processes, which inherit this Matcher (nothing big is
        pickled); NumPy on blocks this small holds the GIL too often for threads to help."""
        rows = np.arange(len(self.participants)) if rows is None else np.asarray(rows)
        forked = jobs > 1 and len(rows) >= FORK_MIN_ROWS and "fork" in multiprocessing.get_all_start_methods()
        # one BLAS thread: its only product here (chord2, block × 3 × places) is too small to share,
        # and idle BLAS threads spinning cost more CPU than the scoring itself (measured); not for a
        # single block (a web page's one participant), where setting the limit costs more (~5 ms)
        one_blas_thread = threadpool_limits(1, user_api="blas") if len(rows) > block else contextlib.nullcontext()
        with one_blas_thread:
            if not forked:
                return self._top_places(k, rows, block)
            chunks = np.array_split(rows, 4 * jobs)  # several per worker: a slowed one holds up less
            # a ProcessPoolExecutor, unlike a Pool, raises when a worker dies instead of waiting forever
            fork = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(jobs, fork, _adopt, (self, os.getpid())) as pool:
                parts = list(pool.map(_top_places_in_worker, [(k, c, block) for c in chunks]))
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def _top_places(self, k: int, rows: np.ndarray, block: int):
        k_eff = min(k, len(self.places))
        idx = np.full((len(rows), k), -1, np.int64)
        val = np.full((len(rows), k), np.nan, np.float32)
        for start in range(0, len(rows), block):
            r = rows[start : start + block]
            score, ok = self.scores(r)
            end = start + len(r)
            idx[start:end, :k_eff], val[start:end, :k_eff] = top_k(score, ok, k_eff)
        return idx, val

    def top_candidates(self, place: int, k: int = 10, block: int = 4096):
        """The k best feasible participants for place position ``place`` (participant positions, scores)."""
        cand, vals = [], []
        for start in range(0, len(self.participants), block):
            r = np.arange(start, min(start + block, len(self.participants)))
            score, ok = self.scores(r)
            s = np.where(ok[:, place], score[:, place], -np.inf)
            cand.append(r)
            vals.append(s)
        s = np.concatenate(vals)[None, :]
        best, v = top_k(s, np.isfinite(s), min(k, s.shape[1]))
        return best[0], v[0]

    # -- explanation -------------------------------------------------------------------------------

    def explain(self, i: int, j: int) -> dict:
        """Why participant position i and place position j score what they do, for a caseworker."""
        from pestrack.records.casework.rules import Violation
        from pestrack.records.employers.rules import km_between

        p, q, tax = self.participants[i], self.places[j], self.tax
        parts = {c: float(v[0, j]) for c, v in self.components([i]).items()}
        total = float(self.total({c: np.array([[v]]) for c, v in parts.items()})[0, 0])
        occ_labels = tax.occupations.labels
        lines = []
        if "occupation" in parts:
            if q.occupation < 0:
                lines.append(_("occupation: the place has no ESCO occupation"))
            elif not (p.desired or p.experience):
                lines.append(_("occupation: the participant has no desired occupation or experience"))
            else:
                best = max(
                    (
                        (float(tax.occupation_similarity([o], [q.occupation])[0, 0]) * w, occ_labels[o], kind)
                        for os_, w, kind in ((p.desired, 1.0, "wants"), (p.experience, EXPERIENCE_WEIGHT, "worked"))
                        for o in os_
                    ),
                    default=(0, "", ""),
                )
                wording = (
                    _("occupation %(score)s: place is '%(place)s'; participant wants '%(own)s'")
                    if best[2] == "wants"
                    else _("occupation %(score)s: place is '%(place)s'; participant has worked as '%(own)s'")
                )
                lines.append(
                    wording % {"score": _num(parts["occupation"]), "place": occ_labels[q.occupation], "own": best[1]}
                )
        covered, missing = [], []
        if "skills" in parts:
            own = self._skill_weights(p)
            for s in q.required:
                sim = (
                    tax.skill_similarity(list(own), [s])[:, 0] * np.array(list(own.values()), np.float32)
                    if own
                    else np.zeros(0)
                )
                if len(sim) and sim.max() > 0:
                    via = list(own)[int(sim.argmax())]
                    covered.append(
                        tax.skills.labels[s] + ("" if via == s else f" (≈ {tax.skills.labels[via]}, {_num(sim.max())})")
                    )
                else:
                    missing.append(tax.skills.labels[s])
            opt = sum(1 for s in q.optional if s in own)
            lines.append(
                _("skills %(score)s: ") % {"score": _num(parts["skills"])}
                + (
                    _("required %(n)s of %(total)s covered") % {"n": len(covered), "total": len(q.required)}
                    if q.required
                    else _("the place lists no required skills")
                )
                + (f" ({'; '.join(covered)})" if covered else "")
                + (_("; missing: %(skills)s") % {"skills": "; ".join(missing)} if missing else "")
                + (_("; optional %(n)s of %(total)s held") % {"n": opt, "total": len(q.optional)} if q.optional else "")
            )
        km = None
        if None not in (p.lat, p.lon, q.lat, q.lon):
            km = km_between(p.lat, p.lon, q.lat, q.lon)
        if "travel" in parts:
            lines.append(
                _("travel %(score)s: ") % {"score": _num(parts["travel"])}
                + (
                    _("%(km)s km (limit %(limit)s km)")
                    % {"km": _num(km, 1), "limit": _num(p.max_travel_km or DEFAULT_TRAVEL_KM, 0)}
                    if km is not None
                    else _("no location known")
                )
            )
        if "conditions" in parts:
            late = (p.available_from - q.start_date).days if p.available_from else 0
            lines.append(
                _("conditions %(score)s: ") % {"score": _num(parts["conditions"])}
                + (
                    _("available %(n)s days after the start") % {"n": late}
                    if late > 0
                    else _("available from the start")
                )
                + (
                    _("; %(hours)s h/week against at most %(max)s") % {"hours": q.hours, "max": p.max_hours}
                    if q.hours and p.max_hours and q.hours > p.max_hours
                    else ""
                )
            )
        if "text" in parts and parts["text"] > 0:
            lines.append(_("free text %(score)s") % {"score": _num(parts["text"])})
        violations: list[Violation] = self.violations(i, j)
        requirements = (
            [
                _("Swedish %(level)s required, participant %(own)s")
                % {"level": CEFR[q.swedish_level], "own": CEFR[p.swedish_level]}
            ]
            if q.swedish_level
            else []
        )
        if q.driving_licence:
            requirements.append(
                _("driving licence required, held") if p.driving_licence else _("driving licence required, not held")
            )
        return {
            "participant": p.id,
            "place": q.id,
            "score": round(total, 4),
            "feasible": not violations,
            "components": {c: round(v, 4) for c, v in parts.items()},
            "contributions": {c: round(self.weights[c] * v / sum(self.weights.values()), 4) for c, v in parts.items()},
            "skills_covered": covered,
            "skills_missing": missing,
            "distance_km": None if km is None else round(km, 1),
            "requirements": requirements,
            "hard_rules_broken": [v.message for v in violations],
            "lines": lines,
        }

    def violations(self, i: int, j: int):
        """The hard rules pair (i, j) breaks, worded by records.employers.rules.eligibility."""
        from types import SimpleNamespace

        from pestrack.records.employers.rules import eligibility

        p, q = self.participants[i], self.places[j]
        kind = SimpleNamespace(code=q.kind, name_sv=q.kind, rules=q.kind_rules)
        return eligibility(
            kind=kind,
            place_start=q.start_date,
            place_swedish_level=q.swedish_level,
            place_licence=q.driving_licence,
            place_latlon=(q.lat, q.lon) if q.lat is not None and q.lon is not None else None,
            birth_date=p.birth_date,
            programmes=set(p.programmes),
            swedish_level=p.swedish_level,
            driving_licence=p.driving_licence,
            latlon=(p.lat, p.lon) if p.lat is not None and p.lon is not None else None,
            max_travel_km=p.max_travel_km,
        )


def top_k(score: np.ndarray, ok: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the positions of the k highest allowed scores, best first; equal scores go to the
    lower position. Disallowed entries, NaN scores (never allowed) and missing ones come back as
    -1 / NaN."""
    b, m = score.shape
    if k <= 0 or m == 0:
        return np.full((b, k), -1, np.int64), np.full((b, k), np.nan, np.float32)
    k = min(k, m)
    # disallowed pairs are moved below every allowed one (scores are 0–1) without making them all
    # equal (many equal values make many candidates below), NaN below those
    masked = np.subtract(score, np.float32(2) * ~ok, dtype=np.float32)
    np.fmax(masked, np.float32(-3), out=masked)
    # a lower bound of each row's k-th value: the k-th highest of the maxima of g column groups
    # (they are k different entries); only the entries at or above it are sorted
    g = max(k, min(m, 256))
    group_max = masked[:, : m - m % g].reshape(b, m // g, g).max(axis=1)
    bound = np.partition(group_max, g - k, axis=1)[:, g - k]
    flat = np.flatnonzero(masked >= bound[:, None])  # much faster than a 2-d nonzero
    r, c = np.divmod(flat, m)
    v = masked.ravel()[flat]
    order = np.lexsort((c, -v, r))  # by row, then best first, then lower position
    first = np.searchsorted(r, np.arange(b))  # each row has at least k candidates
    pick = order[first[:, None] + np.arange(k)]
    best, vals = c[pick].astype(np.int64), v[pick]
    bad = vals < 0
    return np.where(bad, -1, best), np.where(bad, np.nan, vals).astype(np.float32)


def _per_value(values: np.ndarray, rule) -> np.ndarray:
    """``rule`` (a value's row over the places) of each of ``values``, computed once per distinct
    value: participants' programmes, Swedish levels and licences take few values in a block, and
    copying rows is much faster than comparing a column with a row."""
    distinct, inverse = np.unique(values, return_inverse=True)
    return rule(distinct[:, None])[inverse]


_worker_matcher: Matcher | None = None  # in a worker process of Matcher.top_places


def _adopt(matcher: Matcher, parent: int) -> None:
    """A worker's start: it ends with the process that forked it (a worker outlives a parent killed with
    kill -9 otherwise, waiting for work, with whatever it inherited), and scores with its Matcher."""
    global _worker_matcher
    processes.die_with_parent(parent)
    _worker_matcher = matcher


def _top_places_in_worker(task):
    k, rows, block = task
    return _worker_matcher._top_places(k, rows, block)


def _xyz(items) -> np.ndarray:
    """Unit vectors of the items' locations (NaN where unknown)."""
    lat = np.radians(_f([x.lat for x in items]))
    lon = np.radians(_f([x.lon for x in items]))
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1).reshape(len(items), 3)


# What a Matcher needs of the places alone, kept for the last few lists of places it was given: the
# portal scores one participant at a time against the same open places (matching.store), and building
# these per participant was most of a places page's CPU (about 75 ms of 90 at 6,400 places).
_PLACE_SIDES: OrderedDict[int, tuple[list, Taxonomy, dict]] = OrderedDict()
_PLACE_SIDES_KEPT = 4
_place_sides_lock = threading.Lock()


def _place_side(Q: list[Opening], tax: Taxonomy) -> dict:
    """The place-only arrays of a Matcher over ``Q`` (read-only: no Matcher changes them)."""
    with _place_sides_lock:
        kept = _PLACE_SIDES.get(id(Q))
        if kept is not None and kept[0] is Q and kept[1] is tax and kept[2]["q_sw"].shape[0] == len(Q):
            _PLACE_SIDES.move_to_end(id(Q))
            return kept[2]
    place_occ = np.array([q.occupation for q in Q], dtype=np.int32)
    used_q = np.unique(np.concatenate([place_occ, [-1]]))
    occ_cols = used_q[used_q >= 0]
    wanted = np.unique(np.array([s for q in Q for s in q.required + q.optional] + [-1]))
    skill_cols = wanted[wanted >= 0]
    col_of = {s: i for i, s in enumerate(skill_cols)}
    V = len(skill_cols)
    req = _csr(
        [[col_of[s] for s in q.required] for q in Q],
        [[1.0 / max(len(q.required), 1)] * len(q.required) for q in Q],
        V,
    )
    opt = _csr(
        [[col_of[s] for s in q.optional] for q in Q],
        [[1.0 / max(len(q.optional), 1)] * len(q.optional) for q in Q],
        V,
    )
    has_req = np.array([bool(q.required) for q in Q])
    has_opt = np.array([bool(q.optional) for q in Q])
    # skills = (2 req + opt) / 3, with req NEUTRAL when the place requires nothing and opt = req
    # when it has no optional skills: one product of the coverage with a weight per (skill, place)
    share = (2 + ~has_opt) / 3
    required = (q.kind_rules.get("requires_programme") for q in Q)
    programme_codes = sorted({c for c in required if c is not None})
    if len(programme_codes) > 62:
        raise ValueError("more than 62 programmes required by places")
    bit = {c: 1 << k for k, c in enumerate(programme_codes)}
    start = np.array([q.start_date.year * 10000 + q.start_date.month * 100 + q.start_date.day for q in Q], np.int64)
    min_age, max_age = _f([q.kind_rules.get("min_age") for q in Q]), _f([q.kind_rules.get("max_age") for q in Q])
    base = min([q.start_date.toordinal() for q in Q] + [0]) if Q else 0
    side = {
        "occ_cols": occ_cols,
        "place_occ_local": Matcher._local(place_occ, occ_cols),
        "skill_cols": skill_cols,
        "req": req,
        "opt": opt,
        "skill_weights": (req.T.multiply(share[None, :]) + opt.T / 3).T.tocsr().astype(np.float32),
        "skill_const": (NEUTRAL * ~has_req * share).astype(np.float32),
        "programme_codes": programme_codes,
        "programme_bit": bit,
        "needs_programme": np.array([bit.get(q.kind_rules.get("requires_programme"), 0) for q in Q], np.int64),
        "latest_birth": np.where(np.isnan(min_age), 99_999_999, start - np.nan_to_num(min_age) * 10000).astype(
            np.int32
        ),
        "earliest_birth": np.where(np.isnan(max_age), -1, start - (np.nan_to_num(max_age) + 1) * 10000).astype(
            np.int32
        ),
        "day_base": base,
        "start_day": np.array([q.start_date.toordinal() - base for q in Q], np.float32),
        "q_sw": np.array([q.swedish_level for q in Q], np.int8),
        "q_lic": np.array([q.driving_licence for q in Q], bool),
        "q_xyz": _xyz(Q),
        "q_hours": np.array([0 if q.hours is None else q.hours for q in Q], np.float32),
    }
    with _place_sides_lock:
        _PLACE_SIDES[id(Q)] = (Q, tax, side)
        while len(_PLACE_SIDES) > _PLACE_SIDES_KEPT:
            _PLACE_SIDES.popitem(last=False)
    return side
