"""The similarities of the bundled ESCO occupations and skills (records/employers/esco.py).

Similarity of two concepts is the cosine of the TF-IDF vectors of their texts (labels, alternative
labels and description), fitted once on all bundled texts. An occupation's related skills are the
derived relation of the bundle. Everything is loaded from the package, never downloaded.
"""

from __future__ import annotations

from functools import cache, cached_property

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from pestrack.records.employers.esco import URI, Concepts, UnknownConcept, vocabulary  # noqa: F401  (imported from here)


class Taxonomy:
    def __init__(self):
        v = vocabulary()
        self.occupations, self.skills = v.occupations, v.skills
        index = self.skills.index
        self.related_skills = [[index[s] for s in related] for related in v.related_skills]

    @cached_property
    def vectorizer(self) -> TfidfVectorizer:
        return TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2, dtype=np.float32).fit(
            self.occupations.texts + self.skills.texts
        )

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
