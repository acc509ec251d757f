"""``pestrack analytics extract``: records → pseudonymised Parquet tables (see schema.py).

Each table is streamed from the database in id order in batches and written to a temporary file
while its content is hashed; the file replaces the old one only when the hash differs from the
manifest's, so a second extract rewrites only what changed.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pestrack.analytics.pseudonym import person_key
from pestrack.analytics.schema import BY_NAME, TABLES
from pestrack.records.audit import log
from pestrack.records.casework.models import Enrolment, FollowUp, Participation
from pestrack.records.casework.rules import age_on
from pestrack.records.codes.models import Code, ProfileSetting
from pestrack.records.employers.models import Place
from pestrack.records.outreach.models import OutreachContact, SurveyAnswer

BATCH = 20_000
DEFAULT_AGE_BANDS = ["0-15", "16-19", "20-24", "25-29", "30-39", "40-49", "50-64", "65-"]
MANIFEST = "manifest.json"


def parse_bands(bands: list[str]) -> list[tuple[int, int | None, str]]:
    out = []
    for b in bands:
        low, _, high = b.partition("-")
        out.append((int(low), int(high) if high else None, b))
    return out


def age_band(age: int, bands: list[tuple[int, int | None, str]]) -> str:
    for low, high, label in bands:
        if age >= low and (high is None or age <= high):
            return label
    return "unknown"


@dataclass
class ExtractResult:
    written: dict[str, int] = field(default_factory=dict)    # table -> rows, rewritten
    unchanged: dict[str, int] = field(default_factory=dict)  # table -> rows, left as it was


PERSON_FIELDS = ("person__pin_hash", "person__sex", "person__birth_date", "person__municipality",
                 "person__education_level__code", "person__born_abroad")


@lru_cache(maxsize=200_000)
def _key(pin_hash: str) -> str:
    return person_key(pin_hash)


def _person(r: dict, prefix: str = "person__") -> dict:
    return {"person_key": _key(r[prefix + "pin_hash"]), "sex": r[prefix + "sex"],
            "birth_year": r[prefix + "birth_date"].year, "municipality": r[prefix + "municipality"],
            "education_level": r[prefix + "education_level__code"], "born_abroad": r[prefix + "born_abroad"]}


class Extractor:
    def __init__(self):
        self.bands = parse_bands(ProfileSetting.get("age_bands") or DEFAULT_AGE_BANDS)
        self.outcome = {c.code: (c.rules or {}).get("outcome", "other") for c in Code.objects.filter(list="exit_reason")}

    def _context(self, r: dict, prefix: str = "") -> dict:
        return {"programme": r[prefix + "programme__code"], "org_unit": r[prefix + "org_unit__code"],
                "org_unit_path": r[prefix + "org_unit__path"], "target_group": r[prefix + "target_group__code"]}

    def _enrolment_rows(self) -> Iterator[dict]:
        return (Enrolment.objects.order_by("id").values(
            "id", *PERSON_FIELDS, "programme__code", "org_unit__code", "org_unit__path", "target_group__code",
            "referring_unit__code", "referring_body__code", "entry_route__code", "decision_reference",
            "decision_date", "start_date", "end_date", "exit_reason__code").iterator(chunk_size=BATCH))

    def enrolments(self) -> Iterator[dict]:
        for r in self._enrolment_rows():
            age = age_on(r["person__birth_date"], r["start_date"])
            reason = r["exit_reason__code"]
            yield {"enrolment_id": r["id"], **_person(r), **self._context(r),
                   "referring_unit": r["referring_unit__code"], "referring_body": r["referring_body__code"],
                   "entry_route": r["entry_route__code"],
                   "has_decision": bool(r["decision_reference"] and r["decision_date"]),
                   "start_date": r["start_date"], "end_date": r["end_date"], "exit_reason": reason,
                   "exit_outcome": self.outcome.get(reason, "other") if reason else None,
                   "age_at_start": age, "age_band_at_start": age_band(age, self.bands)}

    def exits(self) -> Iterator[dict]:
        for r in self._enrolment_rows():
            if r["end_date"] is None:
                continue
            days = (r["end_date"] - r["start_date"]).days
            age = age_on(r["person__birth_date"], r["end_date"])
            yield {"enrolment_id": r["id"], **_person(r), **self._context(r), "entry_route": r["entry_route__code"],
                   "start_date": r["start_date"], "exit_date": r["end_date"], "exit_reason": r["exit_reason__code"],
                   "exit_outcome": self.outcome.get(r["exit_reason__code"], "other"), "duration_days": days,
                   "duration_months": days / 30.4375, "age_at_exit": age, "age_band_at_exit": age_band(age, self.bands)}

    def participations(self) -> Iterator[dict]:
        for r in (Participation.objects.order_by("id").values(
                "id", "enrolment_id", *(f"enrolment__{p}" for p in PERSON_FIELDS), "enrolment__programme__code",
                "enrolment__org_unit__code", "enrolment__org_unit__path", "enrolment__target_group__code",
                "measure__code", "provider_type__code", "place_id", "start_date", "end_date").iterator(chunk_size=BATCH)):
            age = age_on(r["enrolment__person__birth_date"], r["start_date"])
            yield {"participation_id": r["id"], "enrolment_id": r["enrolment_id"],
                   **_person(r, "enrolment__person__"), **self._context(r, "enrolment__"),
                   "measure": r["measure__code"], "provider_type": r["provider_type__code"], "place_id": r["place_id"],
                   "start_date": r["start_date"], "end_date": r["end_date"], "age_at_start": age,
                   "age_band_at_start": age_band(age, self.bands)}

    def followups(self) -> Iterator[dict]:
        for r in (FollowUp.objects.order_by("id").values(
                "enrolment_id", *(f"enrolment__{p}" for p in PERSON_FIELDS), "enrolment__programme__code",
                "enrolment__org_unit__code", "enrolment__org_unit__path", "enrolment__target_group__code",
                "enrolment__end_date", "enrolment__exit_reason__code", "months", "reference_date", "working", "studying",
                "self_sufficient", "source").iterator(chunk_size=BATCH)):
            reason = r["enrolment__exit_reason__code"]
            yield {"enrolment_id": r["enrolment_id"], **_person(r, "enrolment__person__"),
                   **self._context(r, "enrolment__"), "exit_date": r["enrolment__end_date"], "exit_reason": reason,
                   "exit_outcome": self.outcome.get(reason, "other"), "months": r["months"],
                   "reference_date": r["reference_date"], "working": r["working"], "studying": r["studying"],
                   "self_sufficient": r["self_sufficient"], "source": r["source"]}

    def outreach(self) -> Iterator[dict]:
        for r in OutreachContact.objects.order_by("id").values(
                "id", "date", "org_unit__code", "org_unit__path", "target_group__code", "sex", "age_band", "level",
                "outcome").iterator(chunk_size=BATCH):
            yield {"contact_id": r["id"], "date": r["date"], "org_unit": r["org_unit__code"],
                   "org_unit_path": r["org_unit__path"], "target_group": r["target_group__code"],
                   "sex": r["sex"] or None, "age_band": r["age_band"] or None, "level": r["level"],
                   "outcome": r["outcome"] or None}

    def places(self) -> Iterator[dict]:
        for r in Place.objects.order_by("id").values(
                "id", "kind__code", "employer__city_unit__code", "employer__sector_code", "positions", "start_date",
                "end_date").iterator(chunk_size=BATCH):
            yield {"place_id": r["id"], "kind": r["kind__code"], "employer_is_city": r["employer__city_unit__code"] is not None,
                   "employer_org_unit": r["employer__city_unit__code"], "sector_code": r["employer__sector_code"] or None,
                   "positions": r["positions"], "start_date": r["start_date"], "end_date": r["end_date"]}

    def survey_answers(self) -> Iterator[dict]:
        for r in SurveyAnswer.objects.order_by("id").values(
                "survey", "question", "date", "org_unit__code", "enrolment__person__pin_hash", "enrolment__person__sex",
                "value").iterator(chunk_size=BATCH):
            pin_hash = r["enrolment__person__pin_hash"]
            yield {"survey": r["survey"], "question": r["question"], "date": r["date"], "org_unit": r["org_unit__code"],
                   "person_key": _key(pin_hash) if pin_hash else None, "sex": r["enrolment__person__sex"],
                   "value": r["value"]}


def _batches(rows: Iterable[dict], n: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= n:
            yield batch
            batch = []
    if batch:
        yield batch


def write_table(name: str, rows: Iterable[dict], out: Path, previous: dict | None) -> tuple[int, str, bool]:
    """Write ``rows`` to ``out/<name>.parquet`` unless the content equals ``previous``'s hash.

    Returns (rows, content hash, rewritten)."""
    schema = BY_NAME[name].arrow
    final, temp = out / f"{name}.parquet", out / f".{name}.parquet.tmp"
    digest = hashlib.sha256(str(schema).encode())
    n = 0
    with pq.ParquetWriter(temp, schema, compression="zstd") as writer:
        for batch in _batches(rows, BATCH):
            record = pa.RecordBatch.from_pylist(batch, schema=schema)
            digest.update(record.serialize())
            writer.write_batch(record)
            n += len(batch)
    sha = digest.hexdigest()
    if previous and previous.get("sha256") == sha and final.exists():
        temp.unlink()
        return n, sha, False
    os.replace(temp, final)
    return n, sha, True


def extract(out: Path | str, tables: Iterable[str] | None = None) -> ExtractResult:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"tables": {}}
    ex = Extractor()
    result = ExtractResult()
    for table in TABLES:
        if tables is not None and table.name not in tables:
            continue
        rows, sha, rewritten = write_table(table.name, getattr(ex, table.name)(), out, manifest["tables"].get(table.name))
        (result.written if rewritten else result.unchanged)[table.name] = rows
        if rewritten:
            manifest["tables"][table.name] = {"rows": rows, "sha256": sha,
                                              "written_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    manifest["schema_version"] = 1
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    log.record(log.cli_actor(), "export", object_type="analytics", source="cli",
               detail=f"pseudonymised analytics extract to {out.name}: rewritten {sorted(result.written)}, "
                      f"unchanged {sorted(result.unchanged)}")
    return result
