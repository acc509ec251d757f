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
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.db.models import Count, DateField, ExpressionWrapper, OuterRef, Q, Subquery
from sqlglot import exp

from pestrack.analytics.pseudonym import is_person_key, person_key
from pestrack.analytics.schema import (
    BY_NAME,
    DAYS_PER_MONTH,
    LAST_WORK_BANDS,
    RECORD_TABLES,
    SCHEMA_VERSION,
    SWEDEN_BANDS,
    TABLES,
    WAI_DAYS,
)
from pestrack.records.audit import log
from pestrack.records.casework.bands import band_for
from pestrack.records.casework.models import Assessment, Enrolment, FollowUp, Participation
from pestrack.records.casework.rules import age_on
from pestrack.records.codes.models import Code, ProfileSetting
from pestrack.records.employers.models import Place
from pestrack.records.outreach.models import OutreachContact, SurveyAnswer

BATCH = 20_000
ROW_GROUP = 122_880  # rows per row group of a written file: DuckDB's own row group size
SORT_MEMORY = "512MB"  # the sort's memory (13 M course results: 0.8 GB peak, 12-13 s; 1GB: 1.3 GB, as fast)
DEFAULT_AGE_BANDS = ["0-15", "16-19", "20-24", "25-29", "30-39", "40-49", "50-64", "65-"]
MANIFEST = "manifest.json"
Row = Mapping[str, Any]  # one row of a queryset's .values(), by field name


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


def last_work_band(last_worked: date | None, never_worked: bool | None, start: date) -> str | None:
    """LAST_WORK_BANDS: whole months from the month last worked to the start's month."""
    if never_worked:
        return "never"
    if last_worked is None:
        return None
    months = max(0, (start.year - last_worked.year) * 12 + start.month - last_worked.month)
    return next(b for b in reversed(LAST_WORK_BANDS[1:]) if months >= int(b.split("-")[0]))


def sweden_band(born_abroad: bool | None, arrival_year: int | None, age: int, start_year: int) -> str | None:
    """SWEDEN_BANDS: years in Sweden at the start (born in Sweden: the age)."""
    if born_abroad is None or (born_abroad and arrival_year is None):
        return None
    years = max(0, start_year - arrival_year) if born_abroad and arrival_year is not None else age
    return next(b for b in reversed(SWEDEN_BANDS) if years >= int(b.split("-")[0]))


@dataclass
class ExtractResult:
    written: dict[str, int] = field(default_factory=dict)  # table -> rows, rewritten
    unchanged: dict[str, int] = field(default_factory=dict)  # table -> rows, left as it was
    stale: list[str] = field(default_factory=list)  # register tables whose person keys no longer match


PERSON_FIELDS = (
    "person__pin_hash",
    "person__sex",
    "person__birth_date",
    "person__municipality",
    "person__education_level__code",
    "person__born_abroad",
)


@lru_cache(maxsize=200_000)
def _key(pin_hash: str) -> str:
    return person_key(pin_hash)


def _person(r: Row, prefix: str = "person__") -> dict:
    return {
        "person_key": _key(r[prefix + "pin_hash"]),
        "sex": r[prefix + "sex"],
        "birth_year": r[prefix + "birth_date"].year,
        "municipality": r[prefix + "municipality"],
        "education_level": r[prefix + "education_level__code"],
        "born_abroad": r[prefix + "born_abroad"],
    }


class Shaper:
    """Turns record values (dicts named as the Django look-ups below: ``person__pin_hash``, ...) into
    rows of the analytics tables. The extract feeds it from the database; ``pestrack synth --out``
    feeds it a drawn population in the same form, so both give the same rows."""

    def __init__(self, age_bands: list[str] | None, outcome: dict[str, str], wai=None):
        self.bands = parse_bands(age_bands or DEFAULT_AGE_BANDS)
        self.outcome = outcome  # exit reason code -> work, studies or other
        self.wai = wai  # the profile's instrument code wai (its bands rule), when it has one

    def _context(self, r: Row, prefix: str = "") -> dict:
        return {
            "programme": r[prefix + "programme__code"],
            "org_unit": r[prefix + "org_unit__code"],
            "org_unit_path": r[prefix + "org_unit__path"],
            "target_group": r[prefix + "target_group__code"],
        }

    def enrolment(self, r: Row) -> dict:
        age = age_on(r["person__birth_date"], r["start_date"])
        reason = r["exit_reason__code"]
        return {
            "enrolment_id": r["id"],
            **_person(r),
            **self._context(r),
            "referring_unit": r["referring_unit__code"],
            "referring_body": r["referring_body__code"],
            "entry_route": r["entry_route__code"],
            "has_decision": bool(r["decision_reference"] and r["decision_date"]),
            "start_date": r["start_date"],
            "end_date": r["end_date"],
            "exit_reason": reason,
            "exit_outcome": self.outcome.get(reason, "other") if reason else None,
            "age_at_start": age,
            "age_band_at_start": age_band(age, self.bands),
            "days_to_first_measure": (r["first_measure"] - r["start_date"]).days if r.get("first_measure") else None,
            "time_since_last_work": last_work_band(r.get("last_worked"), r.get("never_worked"), r["start_date"]),
            "time_in_sweden": sweden_band(
                r.get("person__born_abroad"), r.get("person__arrival_year"), age, r["start_date"].year
            ),
            "wai_band_at_start": band_for(self.wai, r.get("wai_score")) if self.wai is not None else None,
        }

    def exit(self, r: Row) -> dict | None:
        """The exit row of an enrolment; None while it is open."""
        if r["end_date"] is None:
            return None
        days = (r["end_date"] - r["start_date"]).days
        age = age_on(r["person__birth_date"], r["end_date"])
        return {
            "enrolment_id": r["id"],
            **_person(r),
            **self._context(r),
            "entry_route": r["entry_route__code"],
            "start_date": r["start_date"],
            "exit_date": r["end_date"],
            "exit_reason": r["exit_reason__code"],
            "exit_outcome": self.outcome.get(r["exit_reason__code"], "other"),
            "duration_days": days,
            "duration_months": days / DAYS_PER_MONTH,
            "age_at_exit": age,
            "age_band_at_exit": age_band(age, self.bands),
        }

    def participation(self, r: Row) -> dict:
        age = age_on(r["enrolment__person__birth_date"], r["start_date"])
        return {
            "participation_id": r["id"],
            "enrolment_id": r["enrolment_id"],
            **_person(r, "enrolment__person__"),
            **self._context(r, "enrolment__"),
            "measure": r["measure__code"],
            "provider_type": r["provider_type__code"],
            "place_id": r["place_id"],
            "start_date": r["start_date"],
            "end_date": r["end_date"],
            "age_at_start": age,
            "age_band_at_start": age_band(age, self.bands),
        }

    def followup(self, r: Row) -> dict:
        reason = r["enrolment__exit_reason__code"]
        return {
            "enrolment_id": r["enrolment_id"],
            **_person(r, "enrolment__person__"),
            **self._context(r, "enrolment__"),
            "exit_date": r["enrolment__end_date"],
            "exit_reason": reason,
            "exit_outcome": self.outcome.get(reason, "other"),
            "months": r["months"],
            "reference_date": r["reference_date"],
            "working": r["working"],
            "studying": r["studying"],
            "self_sufficient": r["self_sufficient"],
            "source": r["source"],
        }

    def place(self, r: Row) -> dict:
        return {
            "place_id": r["id"],
            "kind": r["kind__code"],
            "employer_is_city": r["employer__city_unit__code"] is not None,
            "employer_org_unit": r["employer__city_unit__code"],
            "sector_code": r["employer__sector_code"] or None,
            "positions": r["positions"],
            "start_date": r["start_date"],
            "end_date": r["end_date"],
            "status": r.get("status"),
            "positions_filled": r.get("filled") if r.get("proposed") else None,
        }

    def outreach_contact(self, r: Row) -> dict:
        return {
            "contact_id": r["id"],
            "date": r["date"],
            "org_unit": r["org_unit__code"],
            "org_unit_path": r["org_unit__path"],
            "target_group": r["target_group__code"],
            "sex": r["sex"] or None,
            "age_band": r["age_band"] or None,
            "level": r["level"],
            "outcome": r["outcome"] or None,
        }

    def survey_answer(self, r: Row) -> dict:
        pin_hash = r["enrolment__person__pin_hash"]
        return {
            "survey": r["survey"],
            "question": r["question"],
            "date": r["date"],
            "org_unit": r["org_unit__code"],
            "person_key": _key(pin_hash) if pin_hash else None,
            "sex": r["enrolment__person__sex"],
            "value": r["value"],
        }


class Extractor(Shaper):
    """The analytics tables from the records database, one generator per table."""

    def __init__(self):
        super().__init__(
            ProfileSetting.get("age_bands"),
            {c.code: (c.rules or {}).get("outcome", "other") for c in Code.objects.filter(list="exit_reason")},
            Code.objects.filter(list="instrument", code="wai").first(),
        )

    def _enrolment_rows(self, ids: Iterable[int] | None = None) -> Iterator[dict]:
        first = (
            Participation.objects.current()
            .filter(enrolment=OuterRef("pk"))
            .order_by("start_date")
            .values("start_date")[:1]
        )
        wai = (
            Assessment.objects.current()
            .filter(
                enrolment=OuterRef("pk"),
                instrument__list="instrument",
                instrument__code="wai",
                date__lte=ExpressionWrapper(OuterRef("start_date") + dt.timedelta(days=WAI_DAYS), DateField()),
            )
            .order_by("date", "id")
            .values("score")[:1]
        )
        enrolments = Enrolment.objects.all() if ids is None else Enrolment.objects.filter(pk__in=list(ids))
        return (
            enrolments.order_by("id")
            .annotate(first_measure=Subquery(first), wai_score=Subquery(wai))
            .values(
                "id",
                *PERSON_FIELDS,
                "person__arrival_year",
                "last_worked",
                "never_worked",
                "wai_score",
                "programme__code",
                "org_unit__code",
                "org_unit__path",
                "target_group__code",
                "referring_unit__code",
                "referring_body__code",
                "entry_route__code",
                "decision_reference",
                "decision_date",
                "start_date",
                "end_date",
                "exit_reason__code",
                "first_measure",
            )
            .iterator(chunk_size=BATCH)
        )

    def enrolments(self) -> Iterator[dict]:
        return map(self.enrolment, self._enrolment_rows())

    def enrolment_row(self, enrolment_id: int) -> dict:
        """One enrolment's row of the enrolments table, as the extract would write it (profiling
        scores a live enrolment from the same values its model learnt from)."""
        return self.enrolment(next(iter(self._enrolment_rows([enrolment_id]))))

    def exits(self) -> Iterator[dict]:
        return (row for row in map(self.exit, self._enrolment_rows()) if row is not None)

    def participations(self) -> Iterator[dict]:
        return map(
            self.participation,
            Participation.objects.current()
            .order_by("id")
            .values(
                "id",
                "enrolment_id",
                *(f"enrolment__{p}" for p in PERSON_FIELDS),
                "enrolment__programme__code",
                "enrolment__org_unit__code",
                "enrolment__org_unit__path",
                "enrolment__target_group__code",
                "measure__code",
                "provider_type__code",
                "place_id",
                "start_date",
                "end_date",
            )
            .iterator(chunk_size=BATCH),
        )

    def followups(self) -> Iterator[dict]:
        return map(
            self.followup,
            FollowUp.objects.current()
            .order_by("id")
            .values(
                "enrolment_id",
                *(f"enrolment__{p}" for p in PERSON_FIELDS),
                "enrolment__programme__code",
                "enrolment__org_unit__code",
                "enrolment__org_unit__path",
                "enrolment__target_group__code",
                "enrolment__end_date",
                "enrolment__exit_reason__code",
                "months",
                "reference_date",
                "working",
                "studying",
                "self_sufficient",
                "source",
            )
            .iterator(chunk_size=BATCH),
        )

    def outreach(self) -> Iterator[dict]:
        return map(
            self.outreach_contact,
            OutreachContact.objects.order_by("id")
            .values(
                "id",
                "date",
                "org_unit__code",
                "org_unit__path",
                "target_group__code",
                "sex",
                "age_band",
                "level",
                "outcome",
            )
            .iterator(chunk_size=BATCH),
        )

    def places(self) -> Iterator[dict]:
        hired = Count("placements", filter=Q(placements__status="hired"))
        return map(
            self.place,
            Place.objects.order_by("id")
            .annotate(filled=hired, proposed=Count("placements"))
            .values(
                "id",
                "kind__code",
                "employer__city_unit__code",
                "employer__sector_code",
                "positions",
                "start_date",
                "end_date",
                "status",
                "filled",
                "proposed",
            )
            .iterator(chunk_size=BATCH),
        )

    def placements(self) -> Iterator[dict]:
        from pestrack.analytics.placements import placement_rows

        return placement_rows(date.today())

    def survey_answers(self) -> Iterator[dict]:
        return map(
            self.survey_answer,
            SurveyAnswer.objects.order_by("id")
            .values(
                "survey",
                "question",
                "date",
                "org_unit__code",
                "enrolment__person__pin_hash",
                "enrolment__person__sex",
                "value",
            )
            .iterator(chunk_size=BATCH),
        )


class TableFile:
    """One analytics table being written to ``out/<name>.parquet``: rows may be appended in any
    number of calls (``pestrack synth`` appends one shard at a time); they are written in batches
    of BATCH rows, and the content hash covers those batches, so the same rows give the same file
    and hash however they were appended."""

    def __init__(self, name: str, out: Path):
        self.name, self.schema, self.sort_key = name, BY_NAME[name].arrow, BY_NAME[name].sort_key
        self.final, self.temp = out / f"{name}.parquet", out / f".{name}.parquet.tmp"
        self.digest = hashlib.sha256(str(self.schema).encode())
        # the temporary file is only read back by the sort (or dropped when unchanged): not compressed
        self.writer = pq.ParquetWriter(self.temp, self.schema, compression="none")
        self.rows = 0
        self.pending: list[dict] = []

    def append(self, rows: Iterable[dict]) -> None:
        for row in rows:
            self.pending.append(row)
            if len(self.pending) >= BATCH:
                self._flush()

    def append_table(self, table: pa.Table) -> None:
        """Rows already in Arrow form (a generator's columns), in batches of BATCH rows like ``append``."""
        self._flush()
        for batch in table.cast(self.schema).to_batches(max_chunksize=BATCH):
            self.digest.update(batch.serialize())
            self.writer.write_batch(batch)
            self.rows += batch.num_rows

    def _flush(self) -> None:
        if self.pending:
            record = pa.RecordBatch.from_pylist(self.pending, schema=self.schema)
            self.digest.update(record.serialize())
            self.writer.write_batch(record)
            self.rows += len(self.pending)
            self.pending = []

    def finish(self, previous: dict | None) -> tuple[int, str, bool]:
        """Close the file; it replaces the old one unless the content equals ``previous``'s hash.
        Returns (rows, content hash, rewritten)."""
        self._flush()
        self.writer.close()
        sha = self.digest.hexdigest()
        if (
            previous
            and previous.get("sha256") == sha
            and previous.get("sort_key") == list(self.sort_key)
            and self.final.exists()
        ):  # a file of an older layout (before the sort) is rewritten once
            self.temp.unlink()
            return self.rows, sha, False
        self._sort()
        os.replace(self.temp, self.final)
        return self.rows, sha, True

    def _sort(self) -> None:
        """Rewrite the temporary file in the table's ``sort_key`` order (ties broken by the other
        columns, so the file's bytes depend only on its rows), in row groups of ROW_GROUP
        rows, so that a scan filtering on those columns skips most row groups by their min/max.
        DuckDB sorts (spilling to disk beyond SORT_MEMORY); the rows and types stay as written."""
        if not self.rows:
            return
        import duckdb

        sorted_temp = self.temp.with_name(self.temp.name + ".sorted")
        with (
            tempfile.TemporaryDirectory(prefix=".sort-", dir=self.temp.parent) as spill,
            duckdb.connect(config={"memory_limit": SORT_MEMORY, "temp_directory": spill}) as con,
        ):
            # The key first, then every other column: a total order, so that rows equal on the key
            # (e.g. courses of one school form ending on one day) come out in the same order every run.
            columns = [*self.sort_key, *(c for c in self.schema.names if c not in self.sort_key)]
            order = ", ".join(exp.column(c, quoted=True).sql(dialect="duckdb") for c in columns)
            source = exp.Literal.string(str(self.temp)).sql(dialect="duckdb")
            reader = con.sql(f"SELECT * FROM read_parquet({source}) ORDER BY {order}").to_arrow_reader(ROW_GROUP)
            try:
                with pq.ParquetWriter(sorted_temp, self.schema, compression="zstd") as writer:
                    for batch in reader:
                        writer.write_table(pa.Table.from_batches([batch]).cast(self.schema), row_group_size=ROW_GROUP)
            except BaseException:
                sorted_temp.unlink(missing_ok=True)
                raise
        os.replace(sorted_temp, self.temp)

    def abort(self) -> None:
        self.writer.close()
        self.temp.unlink(missing_ok=True)


def write_table(name: str, rows: Iterable[dict], out: Path, previous: dict | None) -> tuple[int, str, bool]:
    """Write ``rows`` to ``out/<name>.parquet`` unless the content equals ``previous``'s hash.

    Returns (rows, content hash, rewritten)."""
    table = TableFile(name, out)
    try:
        table.append(rows)
    except BaseException:
        table.abort()
        raise
    return table.finish(previous)


def read_manifest(out: Path) -> dict:
    path = out / MANIFEST
    return json.loads(path.read_text()) if path.exists() else {"tables": {}}


def note_table(manifest: dict, name: str, rows: int, sha: str, **extra) -> None:
    manifest["tables"][name] = {
        "rows": rows,
        "sha256": sha,
        "sort_key": list(BY_NAME[name].sort_key),
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **extra,
    }


def write_manifest(
    out: Path,
    manifest: dict,
    result: ExtractResult | None = None,
    hashes: dict[str, str] | None = None,
    profile: str | None = None,
) -> None:
    """Record the rewritten tables of ``result`` (rows, hash, time), the schema version and the profile
    the tables come from (when given), and write ``out/manifest.json``."""
    if result is not None:
        assert hashes is not None  # a result comes with the hashes of its tables
        for name, rows in result.written.items():
            note_table(manifest, name, rows, hashes[name])
    manifest["schema_version"] = SCHEMA_VERSION
    if profile:
        manifest["profile"] = profile
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))


def stale_register_tables(out: Path) -> list[str]:
    """Register tables in ``out`` whose person keys are of an older format (32 hex digits): an
    extract leaves them as they are, so they no longer join the record tables until their files are
    imported again."""
    stale = []
    for table in TABLES:
        path = out / f"{table.name}.parquet"
        if table.register and path.exists():
            file = pq.ParquetFile(path)
            keys = file.read_row_group(0, columns=["person_key"]).column(0) if file.num_row_groups else []
            if len(keys) and not is_person_key(keys[0].as_py()):
                stale.append(table.name)
    return stale


def extract(
    out: Path | str, tables: Iterable[str] | None = None, actor: str | None = None, source: str = "cli"
) -> ExtractResult:
    """Write the analytics tables to ``out``; the access log names ``actor`` (default: the command
    line's user) and ``source``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(out)
    ex = Extractor()
    result = ExtractResult()
    hashes = {}
    for table in RECORD_TABLES:
        if tables is not None and table.name not in tables:
            continue
        rows, hashes[table.name], rewritten = write_table(
            table.name, getattr(ex, table.name)(), out, manifest["tables"].get(table.name)
        )
        (result.written if rewritten else result.unchanged)[table.name] = rows
    write_manifest(out, manifest, result, hashes, profile=ProfileSetting.get("profile"))
    result.stale = stale_register_tables(out)
    log.record(
        actor or log.cli_actor(),
        "export",
        object_type="analytics",
        source=source,
        detail=f"pseudonymised analytics extract to {out.name}: rewritten {sorted(result.written)}, "
        f"unchanged {sorted(result.unchanged)}",
    )
    return result
