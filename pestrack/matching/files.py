"""The files of ``pestrack allocate``: places and applicants in, the allocation out.

Input files are CSV or XLSX read like the imports (docs/import-formats.md). An allocation on part
of the data would be wrong, so a file with any bad row is refused whole, with every problem listed
as file:line: column: reason. Applicants are identified by the file's own ``id`` (a pseudonym):
no identity numbers are needed.
"""

from __future__ import annotations

import csv
from pathlib import Path

from pestrack.matching.esco import Taxonomy, taxonomy
from pestrack.matching.score import Opening, Participant
from pestrack.records.importing import fields as f
from pestrack.records.importing.employer_kinds import decimal, esco_list
from pestrack.records.importing.kinds import Check
from pestrack.records.importing.reader import REJECT_COLUMNS, open_source
from pestrack.records.spreadsheet import safe_row

PLACE_REQUIRED = ("id", "kind", "start_date")
APPLICANT_REQUIRED = ("id", "birth_date")


class BadFile(ValueError):
    pass


def _read(path: Path, required: tuple[str, ...], parse) -> list:
    source = open_source(path)
    problems: list[str] = []
    out = []
    seen: dict[str, int] = {}  # id -> the line it is first on
    try:
        missing = [c for c in required if c not in source.header]
        if missing:
            raise BadFile(f"{path}: required column {', '.join(missing)} is missing")
        for line, cells in source.rows:
            if not "".join(cells).strip():
                continue
            row = {
                c: cells[i] if i < len(cells) else "" for i, c in enumerate(source.header) if c not in REJECT_COLUMNS
            }
            check = Check(line, row)
            item = parse(check)
            key = row.get("id", "").strip()
            if key in seen:
                check.fail("id", f"{key!r} is also on line {seen[key]}")
            seen.setdefault(key, line)
            problems += [f"{path}:{line}: {col}: {reason}" for col, reason in check.problems]
            out.append(item)
    finally:
        source.close()
    if problems:
        shown = problems[:50] + ([f"... and {len(problems) - 50} more"] if len(problems) > 50 else [])
        raise BadFile("\n".join(shown))
    return out


def _indices(c: Check, column: str, vocabulary) -> list[int]:
    """Where the ESCO codes in ``column`` stand in ``vocabulary`` (the taxonomy's occupations or skills)."""
    return [vocabulary.index[code] for code in c.get(column, esco_list, vocabulary) or []]


def _shared_columns(c: Check) -> dict:
    """The columns a place and an applicant have alike: Swedish level, driving licence, position."""
    return {
        "swedish_level": c.get("swedish_level", f.integer, low=0, high=6) or 0,
        "driving_licence": bool(c.get("driving_licence", f.boolean)),
        "lat": c.get("latitude", decimal, low=-90, high=90),
        "lon": c.get("longitude", decimal, low=-180, high=180),
    }


def read_places(path: Path, codes: dict[str, dict], tax: Taxonomy | None = None) -> list[Opening]:
    """``codes``: place_type code -> its rules (from the profile)."""
    tax = tax or taxonomy()

    def parse(c: Check) -> Opening:
        kind = c.get("kind", f.choice, codes, what="place_type code", required=True)
        occ = c.get("occupation", esco_list, tax.occupations) or []
        code = (c.row.get("kind") or "").strip()
        return Opening(
            id=c.get("id", f.text, required=True),
            kind=code,
            kind_rules=kind or {},
            start_date=c.get("start_date", f.date, required=True),
            occupation=tax.occupations.index[occ[0]] if occ else -1,
            required=_indices(c, "required_skills", tax.skills),
            optional=_indices(c, "optional_skills", tax.skills),
            **_shared_columns(c),
            hours=c.get("hours_per_week", f.integer, low=1, high=60),
            title=c.get("title", f.text),
            positions=c.get("positions", f.integer, low=1, high=100_000) or 1,
        )

    return _read(Path(path), PLACE_REQUIRED, parse)


def read_applicants(path: Path, tax: Taxonomy | None = None) -> list[Participant]:
    tax = tax or taxonomy()

    def parse(c: Check) -> Participant:
        return Participant(
            id=c.get("id", f.text, required=True),
            birth_date=c.get("birth_date", f.date, required=True),
            programmes=frozenset(
                x.strip() for x in (c.row.get("programmes") or "").replace("|", ";").split(";") if x.strip()
            ),
            desired=_indices(c, "desired_occupations", tax.occupations),
            experience=_indices(c, "experience", tax.occupations),
            skills=_indices(c, "skills", tax.skills),
            **_shared_columns(c),
            max_travel_km=c.get("max_travel_km", decimal, low=0, high=1000),
            max_hours=c.get("max_hours_per_week", f.integer, low=1, high=60),
            available_from=c.get("available_from", f.date),
            summary=c.get("summary", f.text),
            priority=c.get("priority", f.integer, low=0, high=9) or 0,
        )

    return _read(Path(path), APPLICANT_REQUIRED, parse)


def write_allocation(path: Path, applicants, places, alloc, reasons) -> None:
    with Path(path).open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["applicant_id", "place_id", "score", "priority", "lottery_rank", "reason"])
        for i, p in enumerate(applicants):
            j = int(alloc.place_of[i])
            w.writerow(
                safe_row(
                    [
                        p.id,
                        places[j].id if j >= 0 else "",
                        f"{alloc.score[i]:.3f}" if j >= 0 else "",
                        p.priority,
                        int(alloc.lottery[i]) + 1,
                        reasons[i],
                    ]
                )
            )
