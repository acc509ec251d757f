"""Matching quality measured on synthetic data where hires follow a hidden rule.

``synthetic()`` draws participants and places from a pool of ESCO occupations. Each participant
has a true occupation that the matcher never sees: their desired occupation is it or (30 %) a
similar one, their skills are some of its related skills plus others. The hidden hiring rule: a
participant is hired at the allowed place where

    2 × [the place's occupation is their true one] + 1.5 × (share of required skills they hold)
    + 1 × [under 8 km away] + noise (normal, sd 0.5)

is highest. ``evaluate()`` reports recall at 10 (the share of participants whose hire is among
their 10 best-ranked places), the same with each score component left out and with it alone, the
mean contribution of each component to the top-10 scores, and a plain keyword baseline in the same
run: fuzzy token overlap (rapidfuzz token_set_ratio) of the participant's occupation and skill
labels with the place's, under the same hard rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from pestrack.matching.esco import Taxonomy, taxonomy
from pestrack.matching.score import COMPONENTS, WEIGHTS, Matcher, Opening, Participant, top_k

LAT, LON = (59.20, 59.45), (17.80, 18.20)  # Stockholm
KINDS: tuple[tuple[str, dict[str, object], float], ...] = (  # place type, its rules, its share
    ("regular", {}, 0.5),
    ("city_job", {"requires_programme": "city_programme"}, 0.2),
    ("praktik", {}, 0.2),
    ("feriejobb", {"min_age": 16, "max_age": 19}, 0.1),
)


@dataclass
class Synthetic:
    participants: list[Participant]
    places: list[Opening]
    truth: np.ndarray  # per participant: true occupation row
    hired: np.ndarray | None = None  # per participant: place position of the hire, -1 if none was allowed


def synthetic(
    n_participants: int,
    n_places: int,
    seed: int = 0,
    tax: Taxonomy | None = None,
    n_occupations: int = 150,
    start: dt.date = dt.date(2024, 6, 1),
) -> Synthetic:
    tax = tax or taxonomy()
    rng = np.random.default_rng(seed)
    pool = np.sort(rng.choice(len(tax.occupations.ids), n_occupations, replace=False))
    sim = tax.occupation_similarity(pool, pool)
    np.fill_diagonal(sim, -1)
    neighbour = pool[sim.argmax(axis=1)]
    n_skills = len(tax.skills.ids)
    truth = rng.integers(0, n_occupations, n_participants)
    parts = []
    for i in range(n_participants):
        t = int(pool[truth[i]])
        related = tax.related_skills[t]
        desired = [t] if rng.random() < 0.7 else [int(neighbour[truth[i]])]
        skills = [int(s) for s in rng.choice(related, rng.integers(2, 7), replace=False)] + [
            int(s) for s in rng.integers(0, n_skills, 2)
        ]
        experience = [int(neighbour[truth[i]])] if rng.random() < 0.4 else []
        age = int(rng.integers(16, 60))
        parts.append(
            Participant(
                id=f"P{i:06d}",
                desired=desired,
                experience=experience,
                skills=skills,
                birth_date=start - dt.timedelta(days=int(age * 365.25 + rng.integers(0, 365))),
                programmes=frozenset({"city_programme"} if rng.random() < 0.6 else ()),
                swedish_level=int(rng.integers(0, 7)),
                driving_licence=bool(rng.random() < 0.5),
                lat=float(rng.uniform(*LAT)),
                lon=float(rng.uniform(*LON)),
                max_travel_km=float(rng.choice([8, 12, 20, 30])) if rng.random() < 0.7 else None,
                available_from=start + dt.timedelta(days=int(rng.integers(-30, 60))),
            )
        )
    kinds = rng.choice(len(KINDS), n_places, p=[k[2] for k in KINDS])
    occ = pool[rng.integers(0, n_occupations, n_places)]
    places = []
    for j in range(n_places):
        o = int(occ[j])
        related = tax.related_skills[o]
        pick = rng.choice(related, int(rng.integers(3, 7)), replace=False)
        nreq = int(rng.integers(1, min(4, len(pick))))
        code, rules, _ = KINDS[kinds[j]]
        places.append(
            Opening(
                id=f"Q{j:05d}",
                kind=code,
                kind_rules=rules,
                start_date=start + dt.timedelta(days=int(rng.integers(0, 90))),
                occupation=o,
                required=[int(s) for s in pick[:nreq]],
                optional=[int(s) for s in pick[nreq:]],
                swedish_level=int(rng.choice([0, 0, 1, 2, 3, 4])),
                driving_licence=bool(rng.random() < 0.15),
                lat=float(rng.uniform(*LAT)),
                lon=float(rng.uniform(*LON)),
                hours=int(rng.choice([20, 30, 40])),
                title=tax.occupations.labels[o],
            )
        )
    return Synthetic(parts, places, pool[truth])


def hidden_hires(data: Synthetic, matcher: Matcher, seed: int = 0) -> np.ndarray:
    """The hidden rule: per participant, the allowed place of highest utility (-1 when none is allowed)."""
    rng = np.random.default_rng(seed + 1)
    q_occ = np.array([q.occupation for q in data.places])
    req = [set(q.required) for q in data.places]
    hired = np.full(len(data.participants), -1, np.int64)
    for start in range(0, len(data.participants), 1024):
        rows = np.arange(start, min(start + 1024, len(data.participants)))
        ok = matcher.feasible(rows)
        km = matcher.distance_km(rows)
        held = np.array([[len(r & set(data.participants[i].skills)) / len(r) for r in req] for i in rows])
        u = 2.0 * (data.truth[rows][:, None] == q_occ[None, :]) + 1.5 * held + 1.0 * (km < 8)
        u = u + rng.normal(0, 0.5, u.shape)
        u[~ok] = -np.inf
        best = u.argmax(axis=1)
        hired[rows] = np.where(np.isfinite(u[np.arange(len(rows)), best]), best, -1)
    return hired


def recall_at(ranked: np.ndarray, hired: np.ndarray, k: int = 10) -> float:
    have = hired >= 0
    return float((ranked[have, :k] == hired[have, None]).any(axis=1).mean())


def keyword_ranking(data: Synthetic, matcher: Matcher, k: int = 10, tax: Taxonomy | None = None) -> np.ndarray:
    """The baseline: fuzzy keyword overlap of labels, under the same hard rules."""
    from rapidfuzz import fuzz, process

    tax = tax or taxonomy()
    occ, sk = tax.occupations.labels, tax.skills.labels
    queries = [
        " ".join([occ[o] for o in p.desired + p.experience] + [sk[s] for s in p.skills]) for p in data.participants
    ]
    docs = [" ".join([q.title] + [sk[s] for s in q.required + q.optional]) for q in data.places]
    out = np.full((len(queries), k), -1, np.int64)
    for start in range(0, len(queries), 1024):
        rows = np.arange(start, min(start + 1024, len(queries)))
        score = process.cdist(
            [queries[i] for i in rows], docs, scorer=fuzz.token_set_ratio, workers=2, dtype=np.float32
        )
        score /= 100  # top_k ranks scores of 0-1 (the ratio is 0-100)
        out[rows], _ = top_k(score, matcher.feasible(rows), k)
    return out


def evaluate(n_participants: int = 2000, n_places: int = 1000, seed: int = 0, k: int = 10) -> dict:
    tax = taxonomy()
    data = synthetic(n_participants, n_places, seed, tax)
    full = Matcher(data.participants, data.places, tax=tax)
    data.hired = hidden_hires(data, full, seed)
    ranked, _ = full.top_places(k)
    recall = {"matcher": recall_at(ranked, data.hired, k)}
    result: dict[str, object] = {
        "participants": n_participants,
        "places": n_places,
        "seed": seed,
        "k": k,
        "hired": int((data.hired >= 0).sum()),
        "recall": recall,
    }
    recall["keyword baseline"] = recall_at(keyword_ranking(data, full, k, tax), data.hired, k)
    rng = np.random.default_rng(seed + 2)
    random_rank = np.array([rng.permutation(n_places)[:k] for _ in range(n_participants)])
    recall["random"] = recall_at(random_rank, data.hired, k)
    for c in COMPONENTS:
        if not WEIGHTS[c] or (c == "text" and full.text_p is None):  # no free texts in the data
            continue
        without = Matcher(data.participants, data.places, {**WEIGHTS, c: 0.0}, tax=tax)
        recall[f"without {c}"] = recall_at(without.top_places(k)[0], data.hired, k)
        alone = Matcher(data.participants, data.places, {c: 1.0}, tax=tax)
        recall[f"{c} only"] = recall_at(alone.top_places(k)[0], data.hired, k)
    # mean weighted contribution of each component to the scores of the top-k lists
    contrib = {c: 0.0 for c in COMPONENTS}
    rows = np.arange(min(n_participants, 500))
    parts = full.components(rows)
    wsum = sum(full.weights.values())
    good = ranked[rows] >= 0
    for c, v in parts.items():
        contrib[c] = float(
            (np.take_along_axis(v, np.maximum(ranked[rows], 0), 1)[good]).mean() * full.weights[c] / wsum
        )
    result["mean contribution in top-k"] = contrib
    return result


def format_result(r: dict) -> str:
    lines = [
        f"{r['participants']} participants, {r['places']} places, seed {r['seed']}: {r['hired']} hires by the hidden rule",
        f"recall@{r['k']}:",
    ]
    lines += [f"  {name:<22} {value:6.3f}" for name, value in r["recall"].items()]
    lines.append(f"mean contribution to the top-{r['k']} scores:")
    lines += [f"  {c:<22} {v:6.3f}" for c, v in r["mean contribution in top-k"].items()]
    return "\n".join(lines)
