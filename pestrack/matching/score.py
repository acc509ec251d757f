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

import datetime as dt

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from pestrack.matching.esco import Taxonomy, taxonomy
from pestrack.records.employers.rules import CEFR

COMPONENTS = ("occupation", "skills", "travel", "conditions", "text")
WEIGHTS = {"occupation": 0.35, "skills": 0.35, "travel": 0.15, "conditions": 0.10, "text": 0.05}
EXPERIENCE_WEIGHT = 0.8  # an occupation worked in, against one desired
EXPERIENCE_SKILL_WEIGHT = 0.6  # a skill implied by an occupation worked in, against one stated
DEFAULT_TRAVEL_KM = 30.0
LATE_DAYS = 60
NEUTRAL = 0.5
BLOCK = 512


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
        out[i, :len(x)] = x[:width]
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

    def __init__(self, participants: list[Participant], places: list[Opening], weights: dict | None = None,
                 tax: Taxonomy | None = None):
        self.tax = tax or taxonomy()
        self.participants, self.places = participants, places
        self.weights = {c: float((weights or WEIGHTS).get(c, 0.0)) for c in COMPONENTS}
        if sum(self.weights.values()) <= 0:
            raise ValueError("at least one score component needs a positive weight")
        n, m = len(participants), len(places)
        P, Q = participants, places
        # occupations: the similarities of every occupation used by participants with every place occupation
        self.desired = _padded([p.desired for p in P])
        self.experience = _padded([p.experience for p in P])
        place_occ = np.array([q.occupation for q in Q], dtype=np.int32)
        used_p = np.unique(np.concatenate([self.desired.ravel(), self.experience.ravel(), [-1]]))
        used_q = np.unique(np.concatenate([place_occ, [-1]]))
        self.occ_rows, self.occ_cols = used_p[used_p >= 0], used_q[used_q >= 0]
        self.occ_sim = np.zeros((len(self.occ_rows) + 1, len(self.occ_cols) + 1), np.float32)  # last: none
        if len(self.occ_rows) and len(self.occ_cols):
            self.occ_sim[:-1, :-1] = self.tax.occupation_similarity(self.occ_rows, self.occ_cols)
        self.desired_local = self._local(self.desired, self.occ_rows)
        self.experience_local = self._local(self.experience, self.occ_rows)
        self.place_occ_local = self._local(place_occ, self.occ_cols)
        self.has_occ = place_occ >= 0
        # skills: a participant's coverage of each skill a place asks for
        wanted = np.unique(np.array([s for q in Q for s in q.required + q.optional] + [-1]))
        self.skill_cols = wanted[wanted >= 0]
        col_of = {s: i for i, s in enumerate(self.skill_cols)}
        V = len(self.skill_cols)
        self.req = _csr([[col_of[s] for s in q.required] for q in Q],
                        [[1.0 / max(len(q.required), 1)] * len(q.required) for q in Q], V)
        self.opt = _csr([[col_of[s] for s in q.optional] for q in Q],
                        [[1.0 / max(len(q.optional), 1)] * len(q.optional) for q in Q], V)
        self.has_req = np.array([bool(q.required) for q in Q])
        self.has_opt = np.array([bool(q.optional) for q in Q])
        own = [self._skill_weights(p) for p in P]
        rows = np.unique(np.array([s for d in own for s in d] + [-1]))
        self.skill_rows = rows[rows >= 0]
        row_of = {s: i for i, s in enumerate(self.skill_rows)}
        self.part_skills = [(np.array([row_of[s] for s in d], dtype=np.int64), np.array(list(d.values()), np.float32))
                            for d in own]
        self.skill_sim = (self.tax.skill_similarity(self.skill_rows, self.skill_cols)
                          if len(self.skill_rows) and V else np.zeros((len(self.skill_rows), V), np.float32))
        # hard rules and the other components
        self.programme_codes = sorted({q.kind_rules.get("requires_programme") for q in Q} - {None})
        self.needs_programme = np.array([self.programme_codes.index(q.kind_rules["requires_programme"])
                                         if q.kind_rules.get("requires_programme") else -1 for q in Q], dtype=np.int32)
        self.in_programme = np.array([[c in p.programmes for c in self.programme_codes] + [True] for p in P], dtype=bool
                                     ).reshape(n, len(self.programme_codes) + 1)
        self.min_age = _f([q.kind_rules.get("min_age") for q in Q])
        self.max_age = _f([q.kind_rules.get("max_age") for q in Q])
        self.birth_y = _f([p.birth_date and p.birth_date.year for p in P])
        self.birth_md = _f([p.birth_date and p.birth_date.month * 100 + p.birth_date.day for p in P])
        self.start_y = _f([q.start_date.year for q in Q])
        self.start_md = _f([q.start_date.month * 100 + q.start_date.day for q in Q])
        self.start_ord = _f([q.start_date.toordinal() for q in Q])
        self.avail_ord = _f([p.available_from and p.available_from.toordinal() for p in P])
        self.p_sw = np.array([p.swedish_level for p in P], np.int16)
        self.q_sw = np.array([q.swedish_level for q in Q], np.int16)
        self.p_lic = np.array([p.driving_licence for p in P], bool)
        self.q_lic = np.array([q.driving_licence for q in Q], bool)
        self.p_lat, self.p_lon = _f([p.lat for p in P]), _f([p.lon for p in P])
        self.q_lat, self.q_lon = _f([q.lat for q in Q]), _f([q.lon for q in Q])
        self.max_km = _f([p.max_travel_km for p in P])
        self.max_hours = _f([p.max_hours for p in P])
        self.q_hours = _f([q.hours for q in Q])
        self.text_p = self.text_q = None
        if self.weights["text"] > 0 and any(p.summary for p in P) and any(q.title or q.description for q in Q):
            vec = TfidfVectorizer(sublinear_tf=True, dtype=np.float32).fit(
                [p.summary for p in P] + [f"{q.title} {q.description}" for q in Q])
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

    def distance_km(self, rows) -> np.ndarray:
        lat1, lon1 = np.radians(self.p_lat[rows])[:, None], np.radians(self.p_lon[rows])[:, None]
        lat2, lon2 = np.radians(self.q_lat)[None, :], np.radians(self.q_lon)[None, :]
        x = (lon2 - lon1) * np.cos((lat1 + lat2) / 2)
        return (6371.0 * np.hypot(x, lat2 - lat1)).astype(np.float32)

    def rules(self, rows, km=None) -> dict[str, np.ndarray]:
        """Each hard rule for participants ``rows`` × every place (True: the rule allows the pair)."""
        rows = np.asarray(rows)
        age = self.start_y[None, :] - self.birth_y[rows][:, None] - (self.start_md[None, :] < self.birth_md[rows][:, None])
        km = self.distance_km(rows) if km is None else km
        with np.errstate(invalid="ignore"):
            return {"programme": self.in_programme[rows][:, self.needs_programme],
                    "age": ~(age < self.min_age[None, :]) & ~(age > self.max_age[None, :]),
                    "swedish_level": self.p_sw[rows][:, None] >= self.q_sw[None, :],
                    "driving_licence": self.p_lic[rows][:, None] | ~self.q_lic[None, :],
                    "travel": ~(km > self.max_km[rows][:, None])}

    def feasible(self, rows, km=None) -> np.ndarray:
        """The hard rules together for participants ``rows`` × every place (True: allowed)."""
        ok = None
        for allowed in self.rules(rows, km).values():
            ok = allowed if ok is None else ok & allowed
        return ok

    def components(self, rows, km=None) -> dict[str, np.ndarray]:
        rows = np.asarray(rows)
        b, m = len(rows), len(self.places)
        out = {}
        if self.weights["occupation"]:
            sim = self.occ_sim[:, self.place_occ_local]  # used occupations × places
            occ = sim[self.desired_local[rows]].max(axis=1)
            occ = np.maximum(occ, EXPERIENCE_WEIGHT * sim[self.experience_local[rows]].max(axis=1))
            unknown = (self.desired[rows, 0] < 0) & (self.experience[rows, 0] < 0)
            occ[unknown] = NEUTRAL
            occ[:, ~self.has_occ] = NEUTRAL
            out["occupation"] = occ
        if self.weights["skills"]:
            cov = self.coverage(rows)
            req = np.asarray((self.req @ cov.T).T, dtype=np.float32)
            opt = np.asarray((self.opt @ cov.T).T, dtype=np.float32)
            req[:, ~self.has_req] = NEUTRAL
            opt[:, ~self.has_opt] = req[:, ~self.has_opt]
            out["skills"] = (2 * req + opt) / 3
        if self.weights["travel"]:
            km = self.distance_km(rows) if km is None else km
            limit = np.where(np.isnan(self.max_km[rows]), DEFAULT_TRAVEL_KM, self.max_km[rows])[:, None]
            travel = np.clip(1 - km / np.maximum(limit, 1e-3), 0, 1)
            out["travel"] = np.where(np.isnan(km), NEUTRAL, travel).astype(np.float32)
        if self.weights["conditions"]:
            late = self.avail_ord[rows][:, None] - self.start_ord[None, :]
            start = np.where(np.isnan(late), 1.0, np.clip(1 - late / LATE_DAYS, 0, 1))
            with np.errstate(invalid="ignore", divide="ignore"):
                hours = np.where(self.q_hours[None, :] > self.max_hours[rows][:, None],
                                 self.max_hours[rows][:, None] / self.q_hours[None, :], 1.0)
            out["conditions"] = ((start + hours) / 2).astype(np.float32)
        if self.weights["text"]:
            out["text"] = (np.asarray((self.text_p[rows] @ self.text_q).todense(), dtype=np.float32)
                           if self.text_p is not None else np.zeros((b, m), np.float32))
        return out

    def total(self, parts: dict[str, np.ndarray]) -> np.ndarray:
        total = sum(self.weights[c] * v for c, v in parts.items())
        return (total / sum(self.weights.values())).astype(np.float32)

    def scores(self, rows) -> tuple[np.ndarray, np.ndarray]:
        """(score, feasible) for participants ``rows`` × every place."""
        km = self.distance_km(rows)
        return self.total(self.components(rows, km)), self.feasible(rows, km)

    # -- rankings ----------------------------------------------------------------------------------

    def top_places(self, k: int = 10, rows=None, jobs: int = 2, block: int = BLOCK):
        """The k best feasible places of each participant: (place positions, scores), -1/NaN padded.
        Ties go to the place listed first; the result does not depend on ``jobs`` or ``block``."""
        rows = np.arange(len(self.participants)) if rows is None else np.asarray(rows)
        k_eff = min(k, len(self.places))
        idx = np.full((len(rows), k), -1, np.int64)
        val = np.full((len(rows), k), np.nan, np.float32)

        def one(start):
            r = rows[start:start + block]
            score, ok = self.scores(r)
            best, s = top_k(score, ok, k_eff)
            idx[start:start + len(r), :k_eff], val[start:start + len(r), :k_eff] = best, s

        starts = range(0, len(rows), block)
        if jobs > 1:
            with ThreadPoolExecutor(jobs) as pool:
                list(pool.map(one, starts))
        else:
            for s in starts:
                one(s)
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
                lines.append("occupation: the place has no ESCO occupation")
            elif not (p.desired or p.experience):
                lines.append("occupation: the participant has no desired occupation or experience")
            else:
                best = max(((float(tax.occupation_similarity([o], [q.occupation])[0, 0]) * w, occ_labels[o], kind)
                            for os_, w, kind in ((p.desired, 1.0, "wants"), (p.experience, EXPERIENCE_WEIGHT, "has worked as"))
                            for o in os_), default=(0, "", ""))
                lines.append(f"occupation {parts['occupation']:.2f}: place is '{occ_labels[q.occupation]}'; "
                             f"participant {best[2]} '{best[1]}'")
        covered, missing = [], []
        if "skills" in parts:
            own = self._skill_weights(p)
            for s in q.required:
                sim = tax.skill_similarity(list(own), [s])[:, 0] * np.array(list(own.values()), np.float32) if own else np.zeros(0)
                if len(sim) and sim.max() > 0:
                    via = list(own)[int(sim.argmax())]
                    covered.append(tax.skills.labels[s] + ("" if via == s else f" (≈ {tax.skills.labels[via]}, {sim.max():.2f})"))
                else:
                    missing.append(tax.skills.labels[s])
            opt = sum(1 for s in q.optional if s in own)
            lines.append(f"skills {parts['skills']:.2f}: required {len(covered)} of {len(q.required)} covered"
                         + (f" ({'; '.join(covered)})" if covered else "")
                         + (f"; missing: {'; '.join(missing)}" if missing else "")
                         + (f"; optional {opt} of {len(q.optional)} held" if q.optional else ""))
        km = None
        if None not in (p.lat, p.lon, q.lat, q.lon):
            km = km_between(p.lat, p.lon, q.lat, q.lon)
        if "travel" in parts:
            lines.append(f"travel {parts['travel']:.2f}: " + (
                f"{km:.1f} km (limit {p.max_travel_km or DEFAULT_TRAVEL_KM:.0f} km)" if km is not None else "no location known"))
        if "conditions" in parts:
            late = (p.available_from - q.start_date).days if p.available_from else 0
            lines.append(f"conditions {parts['conditions']:.2f}: "
                         + (f"available {late} days after the start" if late > 0 else "available from the start")
                         + (f"; {q.hours} h/week against at most {p.max_hours}" if q.hours and p.max_hours and q.hours > p.max_hours else ""))
        if "text" in parts and parts["text"] > 0:
            lines.append(f"free text {parts['text']:.2f}")
        violations: list[Violation] = self.violations(i, j)
        requirements = [f"Swedish {CEFR[q.swedish_level]} required, participant {CEFR[p.swedish_level]}"] if q.swedish_level else []
        if q.driving_licence:
            requirements.append("driving licence required" + (", held" if p.driving_licence else ", not held"))
        return {"participant": p.id, "place": q.id, "score": round(total, 4), "feasible": not violations,
                "components": {c: round(v, 4) for c, v in parts.items()},
                "contributions": {c: round(self.weights[c] * v / sum(self.weights.values()), 4) for c, v in parts.items()},
                "skills_covered": covered, "skills_missing": missing, "distance_km": None if km is None else round(km, 1),
                "requirements": requirements, "hard_rules_broken": [v.message for v in violations], "lines": lines}

    def violations(self, i: int, j: int):
        """The hard rules pair (i, j) breaks, worded by records.employers.rules.eligibility."""
        from types import SimpleNamespace

        from pestrack.records.employers.rules import eligibility

        p, q = self.participants[i], self.places[j]
        kind = SimpleNamespace(code=q.kind, name_sv=q.kind, rules=q.kind_rules)
        return eligibility(kind=kind, place_start=q.start_date, place_swedish_level=q.swedish_level,
                           place_licence=q.driving_licence,
                           place_latlon=(q.lat, q.lon) if q.lat is not None and q.lon is not None else None,
                           birth_date=p.birth_date, programmes=set(p.programmes), swedish_level=p.swedish_level,
                           driving_licence=p.driving_licence,
                           latlon=(p.lat, p.lon) if p.lat is not None and p.lon is not None else None,
                           max_travel_km=p.max_travel_km)


def top_k(score: np.ndarray, ok: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the positions of the k highest feasible scores, best first; ties to the lower
    position. Infeasible or missing entries come back as -1 / NaN."""
    b, m = score.shape
    if k <= 0 or m == 0:
        return np.full((b, k), -1, np.int64), np.full((b, k), np.nan, np.float32)
    # quantise so that ties are exact, and break them by position within the same number
    key = np.where(ok, np.round(score.astype(np.float64), 6) - np.arange(m) * (1e-7 / max(m, 1)), -np.inf)
    part = np.argpartition(-key, k - 1, axis=1)[:, :k] if k < m else np.tile(np.arange(m), (b, 1))
    order = np.argsort(-np.take_along_axis(key, part, 1), axis=1, kind="stable")
    best = np.take_along_axis(part, order, 1)
    bad = ~np.isfinite(np.take_along_axis(key, best, 1))
    vals = np.take_along_axis(score, best, 1).astype(np.float32)
    return np.where(bad, -1, best), np.where(bad, np.nan, vals)


