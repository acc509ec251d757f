"""``pestrack synth --out DIR`` without a database: the analytics tables straight from the drawn
population, shard by shard.

The rows go through the extract's own ``Shaper`` in the form the extract reads from the database
(``person__pin_hash``, ``org_unit__path``, ...), and into the extract's ``TableFile``s, so the
files, the manifest and the pseudonymous ``person_key`` are those that ``pestrack analytics
extract`` writes from the same population stored in a new database (ids numbered 1, 2, ... in the
order the records would be inserted).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from pestrack.analytics.extract import ExtractResult, Shaper, TableFile, read_manifest, write_manifest
from pestrack.analytics.schema import RECORD_TABLES, WAI_DAYS
from pestrack.records.codes.profile import ProfileData
from pestrack.synth import registers
from pestrack.synth.population import Population


def _code(ref) -> str | None:
    return ref[1] if ref else None


class TableRows:
    """The analytics rows of drawn shards, in the extract's order; ids continue from shard to shard."""

    def __init__(self, profile: ProfileData):
        codes = profile.code_objects()
        self.shaper = Shaper(
            profile.settings["age_bands"],
            {c: (code.rules or {}).get("outcome", "other") for (lst, c), code in codes.items() if lst == "exit_reason"},
            codes.get(("instrument", "wai")),
        )
        self.paths = profile.unit_paths()
        self.bands = profile.settings["age_bands"]
        self.last = {"enrolment": 0, "participation": 0, "place": 0, "contact": 0}  # the last id given

    def of(self, pop: Population) -> dict[str, Iterator[dict]]:
        """The rows of one shard per table, as generators."""
        place_ids = range(self.last["place"] + 1, self.last["place"] + 1 + len(pop.places))
        self.last["place"] += len(pop.places)
        contact_ids = range(self.last["contact"] + 1, self.last["contact"] + 1 + len(pop.outreach))
        self.last["contact"] += len(pop.outreach)
        persons = [
            {
                "person__pin_hash": p["pin_hash"],
                "person__sex": p["sex"],
                "person__birth_date": p["birth_date"],
                "person__municipality": p["municipality"],
                "person__education_level__code": _code(p["education_level"]),
                "person__born_abroad": p["born_abroad"],
                "person__arrival_year": p["arrival_year"],
            }
            for p in pop.persons
        ]
        wai_score: dict[int, tuple] = {}  # enrolment index -> (date, score) of its first WAI within WAI_DAYS
        for a in pop.assessments:
            e = pop.enrolments[a["enrolment"]]
            if a["instrument"] == ("instrument", "wai") and a["date"] <= e["start_date"] + dt.timedelta(days=WAI_DAYS):
                if a["enrolment"] not in wai_score or a["date"] < wai_score[a["enrolment"]][0]:
                    wai_score[a["enrolment"]] = (a["date"], a["score"])
        first_measure: dict[int, object] = {}  # enrolment index -> start of its first participation
        for r in pop.participations:
            if r["enrolment"] not in first_measure or r["start_date"] < first_measure[r["enrolment"]]:
                first_measure[r["enrolment"]] = r["start_date"]
        enrolments = []
        for i, e in enumerate(pop.enrolments):
            self.last["enrolment"] += 1
            enrolments.append(
                {
                    "id": self.last["enrolment"],
                    **persons[e["person"]],
                    "programme__code": _code(e["programme"]),
                    "org_unit__code": e["org_unit"],
                    "org_unit__path": self.paths[e["org_unit"]],
                    "target_group__code": _code(e["target_group"]),
                    "referring_unit__code": e["referring_unit"],
                    "referring_body__code": _code(e["referring_body"]),
                    "entry_route__code": _code(e["entry_route"]),
                    "decision_reference": e["decision_reference"],
                    "decision_date": e["decision_date"],
                    "start_date": e["start_date"],
                    "end_date": e["end_date"],
                    "exit_reason__code": _code(e["exit_reason"]),
                    "first_measure": first_measure.get(i),
                    "last_worked": e["last_worked"],
                    "never_worked": e["never_worked"],
                    "wai_score": wai_score.get(i, (None, None))[1],
                }
            )
        as_parent = [{f"enrolment__{k}": v for k, v in e.items()} for e in enrolments]
        first_participation = self.last["participation"] + 1
        self.last["participation"] += len(pop.participations)
        shaper = self.shaper
        return {
            "enrolments": map(shaper.enrolment, enrolments),
            "exits": (row for row in map(shaper.exit, enrolments) if row is not None),
            "participations": (
                shaper.participation(
                    {
                        "id": first_participation + i,
                        "enrolment_id": enrolments[r["enrolment"]]["id"],
                        **as_parent[r["enrolment"]],
                        "measure__code": _code(r["measure"]),
                        "provider_type__code": _code(r["provider_type"]),
                        "place_id": place_ids[r["place"]] if r["place"] is not None else None,
                        "start_date": r["start_date"],
                        "end_date": r["end_date"],
                    }
                )
                for i, r in enumerate(pop.participations)
            ),
            "followups": (
                shaper.followup(
                    {
                        "enrolment_id": enrolments[r["enrolment"]]["id"],
                        **as_parent[r["enrolment"]],
                        **{
                            k: r[k]
                            for k in ("months", "reference_date", "working", "studying", "self_sufficient", "source")
                        },
                    }
                )
                for r in pop.followups
            ),
            "places": (
                shaper.place(
                    {
                        "id": place_ids[i],
                        "kind__code": p["kind"],
                        "employer__city_unit__code": p["employer"],
                        "employer__sector_code": "",
                        "positions": p["positions"],
                        "start_date": p["start_date"],
                        "end_date": p["end_date"],
                        "status": "open",
                    }
                )
                for i, p in enumerate(pop.places)
            ),
            "outreach": (
                shaper.outreach_contact(
                    {
                        "id": contact_ids[i],
                        "date": c["date"],
                        "org_unit__code": c["org_unit"],
                        "org_unit__path": self.paths[c["org_unit"]],
                        "target_group__code": c["target_group"],
                        "sex": c["sex"],
                        "age_band": c["age_band"],
                        "level": c["level"],
                        "outcome": c["outcome"],
                    }
                )
                for i, c in enumerate(pop.outreach)
            ),
            "survey_answers": (
                shaper.survey_answer(
                    {
                        "survey": a["survey"],
                        "question": a["question"],
                        "date": a["date"],
                        "org_unit__code": a["org_unit"],
                        "enrolment__person__pin_hash": None
                        if a["enrolment"] is None
                        else enrolments[a["enrolment"]]["person__pin_hash"],
                        "enrolment__person__sex": None
                        if a["enrolment"] is None
                        else enrolments[a["enrolment"]]["person__sex"],
                        "value": a["value"],
                    }
                )
                for a in pop.survey_answers
            ),
            **{t: registers.table_rows(pop, t, self.bands) for t in registers.TABLES},
        }


class ParquetOut:
    """Open writers for every analytics table; ``add`` appends one shard, ``finish`` closes them and
    writes the manifest."""

    def __init__(self, out: Path | str, profile: ProfileData):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.table_rows = TableRows(profile)
        self.profile = profile.settings["profile"]
        self.files = {
            name: TableFile(name, self.out) for name in [t.name for t in RECORD_TABLES] + list(registers.TABLES)
        }

    def add(self, pop: Population) -> int:
        """Append the rows of one shard; returns how many rows were written."""
        before = self.rows()
        for name, rows in self.table_rows.of(pop).items():
            self.files[name].append(rows)
        return self.rows() - before

    def rows(self) -> int:
        return sum(f.rows + len(f.pending) for f in self.files.values())

    def finish(self) -> ExtractResult:
        manifest = read_manifest(self.out)
        result, hashes = ExtractResult(), {}
        for name, f in self.files.items():
            rows, hashes[name], rewritten = f.finish(manifest["tables"].get(name))
            (result.written if rewritten else result.unchanged)[name] = rows
        write_manifest(self.out, manifest, result, hashes, profile=self.profile)
        return result

    def abort(self) -> None:
        for f in self.files.values():
            f.abort()
