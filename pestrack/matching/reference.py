"""The straightforward implementation of score.Matcher: one pair at a time, in plain Python, with the
hard rules of records.employers.rules. It is the oracle of the tests (the vectorised scores must
equal it) and the baseline of bench/matching.py; it is not used to match."""

from __future__ import annotations

import heapq
from functools import lru_cache

from pestrack.matching import score as s
from pestrack.matching.esco import Taxonomy


class PairScorer:
    def __init__(self, tax: Taxonomy, weights: dict | None = None):
        self.tax = tax
        self.weights = {c: float((weights or s.WEIGHTS).get(c, 0.0)) for c in s.COMPONENTS}
        all_occ, all_skills = range(len(tax.occupations.ids)), range(len(tax.skills.ids))
        occ_row = lru_cache(maxsize=None)(lambda a: tax.occupation_similarity([a], all_occ)[0].tolist())
        skill_row = lru_cache(maxsize=None)(lambda a: tax.skill_similarity([a], all_skills)[0].tolist())
        self.occ_sim = lambda a, b: occ_row(a)[b]
        self.skill_sim = lambda a, b: skill_row(a)[b]

    def allowed(self, p: s.Participant, q: s.Opening) -> bool:
        rules = q.kind_rules
        if rules.get("requires_programme") and rules["requires_programme"] not in p.programmes:
            return False
        if p.birth_date:
            b, d = p.birth_date, q.start_date
            age = d.year - b.year - ((d.month, d.day) < (b.month, b.day))
            if age < rules.get("min_age", -1) or age > rules.get("max_age", 999):
                return False
        if p.swedish_level < q.swedish_level or (q.driving_licence and not p.driving_licence):
            return False
        return not (p.max_travel_km is not None and self.km(p, q) is not None and self.km(p, q) > p.max_travel_km)

    @staticmethod
    def km(p, q):
        if None in (p.lat, p.lon, q.lat, q.lon):
            return None
        from pestrack.records.employers.rules import km_between

        return km_between(p.lat, p.lon, q.lat, q.lon)

    def score(self, p: s.Participant, q: s.Opening) -> float:
        w = self.weights
        total = 0.0
        if w["occupation"]:
            if q.occupation < 0 or not (p.desired or p.experience):
                occ = s.NEUTRAL
            else:
                occ = max(
                    [self.occ_sim(o, q.occupation) for o in p.desired]
                    + [s.EXPERIENCE_WEIGHT * self.occ_sim(o, q.occupation) for o in p.experience]
                )
            total += w["occupation"] * occ
        if w["skills"]:
            own = {r: s.EXPERIENCE_SKILL_WEIGHT for o in p.experience for r in self.tax.related_skills[o]}
            own.update({k: 1.0 for k in p.skills})

            def cover(skills):
                return sum(max([self.skill_sim(a, b) * wt for a, wt in own.items()] or [0.0]) for b in skills) / len(
                    skills
                )

            req = cover(q.required) if q.required else s.NEUTRAL
            opt = cover(q.optional) if q.optional else req
            total += w["skills"] * (2 * req + opt) / 3
        if w["travel"]:
            km = self.km(p, q)
            limit = p.max_travel_km if p.max_travel_km is not None else s.DEFAULT_TRAVEL_KM
            total += w["travel"] * (s.NEUTRAL if km is None else min(1.0, max(0.0, 1 - km / max(limit, 1e-3))))
        if w["conditions"]:
            late = (p.available_from - q.start_date).days if p.available_from else 0
            start = min(1.0, max(0.0, 1 - late / s.LATE_DAYS))
            hours = p.max_hours / q.hours if p.max_hours and q.hours and q.hours > p.max_hours else 1.0
            total += w["conditions"] * (start + hours) / 2
        return total / sum(w.values())

    def top_places(self, p: s.Participant, places: list[s.Opening], k: int = 10) -> list[tuple[float, int]]:
        """The k best allowed places of one participant, as (score, position), best first."""
        scored = ((round(self.score(p, q), 6), -j) for j, q in enumerate(places) if self.allowed(p, q))
        return [(v, -j) for v, j in heapq.nlargest(k, scored)]
