"""The bundled ESCO occupations and skills (data/README.md) and their similarities.

Similarity of two concepts is the cosine of the TF-IDF vectors of their texts (labels, alternative
labels and description), fitted once on all bundled texts. An occupation's related skills are the
derived relation of the bundle. Everything is loaded from the package, never downloaded.
"""
from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

DATA = Path(__file__).with_name("data")
URI = "http://data.europa.eu/esco/"


class UnknownConcept(ValueError):
    pass


def _read(name: str) -> list[dict]:
    with gzip.open(DATA / name, "rb") as f:
        return list(csv.DictReader(io.TextIOWrapper(f, "utf-8")))


@dataclass
class Concepts:
    """Occupations or skills: ids, labels and texts in a fixed order; ``index`` maps id -> row."""

    kind: str
    ids: list[str]
    labels: list[str]
    texts: list[str]

    @cached_property
    def index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.ids)}

    @cached_property
    def by_label(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for i, label in enumerate(self.labels):
            out.setdefault(label.lower(), i)
        return out

    def resolve(self, value: str) -> int:
        """The row of an id, a full ESCO URI or an exact (case-insensitive) label."""
        v = value.strip()
        if v.startswith(URI):
            v = v.rsplit("/", 1)[1]
        i = self.index.get(v)
        if i is None:
            i = self.by_label.get(v.lower())
        if i is None:
            raise UnknownConcept(f"{value!r} is not an ESCO {self.kind} id, URI or label of the bundled ESCO data")
        return i

    def label(self, concept_id: str) -> str:
        i = self.index.get(concept_id)
        return self.labels[i] if i is not None else concept_id


class Taxonomy:
    def __init__(self):
        occ, sk = _read("esco_occupations.csv.gz"), _read("esco_skills.csv.gz")
        self.occupations = Concepts("occupation", [r["id"] for r in occ], [r["label"] for r in occ], [r["text"] for r in occ])
        self.skills = Concepts("skill", [r["id"] for r in sk], [r["label"] for r in sk], [r["text"] for r in sk])
        index = self.skills.index
        self.related_skills = [[index[s] for s in r["related_skills"].split()] for r in occ]

    @cached_property
    def vectorizer(self) -> TfidfVectorizer:
        return TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2, dtype=np.float32).fit(
            self.occupations.texts + self.skills.texts)

    @cached_property
    def occupation_vectors(self):
        return self.vectorizer.transform(self.occupations.texts)

    @cached_property
    def skill_vectors(self):
        return self.vectorizer.transform(self.skills.texts)

    def occupation_similarity(self, rows, cols) -> np.ndarray:
        """Cosine similarity of occupations ``rows`` × ``cols`` (row indices); 1 on the same occupation."""
        rows, cols = np.asarray(rows), np.asarray(cols)
        sim = (self.occupation_vectors[rows] @ self.occupation_vectors[cols].T).toarray()
        sim[rows[:, None] == cols[None, :]] = 1.0
        return np.clip(sim, 0, 1).astype(np.float32)

    def skill_similarity(self, rows, cols, floor: float = 0.3) -> np.ndarray:
        """Cosine similarity of skills ``rows`` × ``cols``, 0 below ``floor`` (unrelated skills share
        only common words); 1 on the same skill."""
        rows, cols = np.asarray(rows), np.asarray(cols)
        sim = (self.skill_vectors[rows] @ self.skill_vectors[cols].T).toarray()
        sim[sim < floor] = 0
        sim[rows[:, None] == cols[None, :]] = 1.0
        return np.clip(sim, 0, 1).astype(np.float32)


@cache
def taxonomy() -> Taxonomy:
    return Taxonomy()
