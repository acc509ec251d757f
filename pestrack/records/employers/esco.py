"""The bundled ESCO vocabulary (esco_data/README.md): occupation and skill ids, labels and texts, and
resolving an id, URI or label to a concept. Records owns it because places and matching profiles
store ESCO ids and the importer checks them; matching (matching/esco.py) builds its similarities
on it. Everything is loaded from the package, never downloaded."""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

DATA = Path(__file__).with_name("esco_data")
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


@dataclass
class Vocabulary:
    """The bundle: occupations, skills, and per occupation (by row) its related skills' ids."""

    occupations: Concepts
    skills: Concepts
    related_skills: list[list[str]]


@cache
def vocabulary() -> Vocabulary:
    occ, sk = _read("esco_occupations.csv.gz"), _read("esco_skills.csv.gz")
    return Vocabulary(
        Concepts("occupation", [r["id"] for r in occ], [r["label"] for r in occ], [r["text"] for r in occ]),
        Concepts("skill", [r["id"] for r in sk], [r["label"] for r in sk], [r["text"] for r in sk]),
        [r["related_skills"].split() for r in occ],
    )
