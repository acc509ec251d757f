"""``pestrack lmi import FILE --data DIR``: employers' contract-event communications (CSV, XLSX or
Parquet; docs/import-formats.md, "Contract events") into the contract-event tables of DIR.

The rules of the record importer (pestrack/records/importing): the file is read with its reader;
a file without a required column is refused whole (nothing written); each bad row is rejected
with its line, column and reason into FILE.rejects.csv (the original columns plus reject_line,
reject_column, reject_reason) while the good rows are imported; importing the same file again
changes nothing (a communication already received with the same content is "unchanged"); and the
tables are written whole or not at all (store.write).

A communication is ``new`` (a new event), ``correct`` (a new version of an event: the whole
content again) or ``cancel`` (the event is withdrawn). Each is a new version of its event, valid
from its ``known_date``; nothing already received is changed or removed."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from pestrack.analytics.extract import age_band, parse_bands
from pestrack.analytics.pseudonym import is_person_key, opaque_id
from pestrack.lmi import store
from pestrack.records.audit import log
from pestrack.records.codes import classifications
from pestrack.records.importing.engine import Rejects, default_rejects_path
from pestrack.records.importing.reader import REJECT_COLUMNS, FileRefused, Source, normalise_header, open_source

ACTIONS = ("new", "correct", "cancel")
KINDS = ("hire", "termination", "conversion", "extension", "working_time")
ALWAYS = ("communication_id", "event_id", "known_date")
CONTENT = (
    "kind",
    "event_date",
    "sex",
    "birth_year",
    "sector_code",
    "municipality",
    "contract_type",
    "working_time_pct",
)
PERSON = ("identity_number", "person_key")
EMPLOYER = ("employer_org_number", "employer_key")
OPTIONAL = (
    "action",
    "employment_id",
    "occupation",
    "esco_occupation",
    "subsidy",
    "previous_contract_type",
    "termination_reason",
    "planned_end_date",
)
LATE_DAYS = 30  # known this many days after the event: accepted and flagged "late"
SHOW = 20


@dataclass
class ImportResult:
    path: Path
    imported: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    problems: list[tuple[int, str, str, str]] = field(default_factory=list)  # first SHOW: line, column, value, reason

    def summary(self) -> str:
        return f"imported {self.imported}, unchanged {self.unchanged}, rejected {self.rejected}"


class RowError(Exception):
    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems


def _parquet_source(path: Path) -> Source:
    """A Parquet file as the reader's Source: its columns as the header, each value as text."""
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several kinds for a damaged file
        raise FileRefused(f"{path}: not a readable Parquet file ({exc})") from None
    header = normalise_header(table.column_names)

    def text(v) -> str:
        if v is None:
            return ""
        if isinstance(v, dt.date):
            return v.isoformat()
        return str(v)

    def rows():
        for i, row in enumerate(table.to_pylist(), start=2):
            yield i, [text(v) for v in row.values()]

    return Source(path, header, "parquet", ",", rows(), lambda: (0, 1), lambda: None, table.num_rows)


def open_file(path: Path) -> Source:
    if path.suffix.lower() == ".parquet" and path.is_file():
        return _parquet_source(path)
    return open_source(path)


def _columns(source: Source) -> dict[str, int]:
    header = source.header
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    if repeated:
        raise FileRefused(f"{source.path}: column {', '.join(repeated)} appears more than once in the header")
    missing = [c for c in ALWAYS if c not in header]
    missing += [f"{a} or {b}" for a, b in (PERSON, EMPLOYER) if a not in header and b not in header]
    if missing:
        raise FileRefused(
            f"{source.path}: required column {', '.join(missing)} is missing (a contract-event file needs "
            f"{', '.join(ALWAYS + CONTENT)}, a person and an employer column; docs/import-formats.md)"
        )
    known = set(ALWAYS + CONTENT + PERSON + EMPLOYER + OPTIONAL)  # other columns are ignored, as by `pestrack import`
    return {c: i for i, c in enumerate(header) if c in known}


class Checker:
    """Turns one row's texts into an event version, or raises RowError with every problem found."""

    def __init__(self, codes: classifications.Classifications, bands: list[str], today: dt.date):
        self.codes, self.bands, self.today = codes, parse_bands(bands), today
        self.problems: list[tuple[str, str]] = []

    def problem(self, column: str, reason: str) -> None:
        self.problems.append((column, reason))

    def date(self, raw: dict, name: str, required: bool = True) -> dt.date | None:
        text = raw.get(name, "")
        if not text:
            if required:
                self.problem(name, "a date is required")
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            self.problem(name, f"{text!r} is not a date (YYYY-MM-DD)")
            return None

    def code(self, raw: dict, name: str, lst: str, day: dt.date | None, required: bool) -> str | None:
        text = raw.get(name, "")
        if not text:
            if required:
                self.problem(name, "a code is required")
            return None
        if day is not None and text not in self.codes[lst].codes(day):
            v = self.codes[lst].at(day)
            version = f"{self.codes[lst].title}, version {v.version}" if v else self.codes[lst].title
            self.problem(name, f"unknown code {text!r} ({version}, valid on {day.isoformat()})")
        return text

    def version(self, raw: dict) -> dict:
        """The checked content of a new or corrected event (everything but the version bookkeeping)."""
        self.problems = []
        kind = raw.get("kind", "")
        if kind not in KINDS:
            self.problem("kind", f"{kind!r} is not one of {', '.join(KINDS)}" if kind else "a kind is required")
        day = self.date(raw, "event_date")
        out: dict = {"kind": kind, "event_date": day}
        out["person_key"] = self.person(raw)
        out["employer_key"] = self.employer(raw)
        sex = raw.get("sex", "")
        if sex not in ("woman", "man"):
            self.problem("sex", f"{sex!r} is not woman or man" if sex else "sex is required")
        out["sex"] = sex
        out["birth_year"] = self.whole(raw, "birth_year", 1900, self.today.year)
        sector = raw.get("sector_code", "")
        out["sector_code"], out["sector"] = sector, None
        if not re.fullmatch(r"\d{2,5}", sector):
            self.problem("sector_code", f"{sector!r} is not an SNI 2007 code (2 to 5 digits)" if sector else "required")
        elif day is not None:
            out["sector"] = self.codes.section(sector, day)
            if out["sector"] is None:
                self.problem("sector_code", f"unknown SNI 2007 code {sector!r}: no section has division {sector[:2]}")
        out["municipality"] = self.code(raw, "municipality", "municipality", day, True)
        occupation = raw.get("occupation", "")
        out["occupation"] = occupation or None
        out["occupation_group"] = occupation[:1] or None
        if occupation and not re.fullmatch(r"\d{4}", occupation):
            self.problem("occupation", f"{occupation!r} is not an SSYK 2012 code (4 digits)")
        elif occupation and day is not None:
            self.code({"occupation": occupation[0]}, "occupation", "occupation_group", day, False)
        out["esco_occupation"] = self.esco(raw)
        out["contract_type"] = self.code(raw, "contract_type", "contract_type", day, True)
        out["subsidy"] = self.code(raw, "subsidy", "subsidy", day, out["contract_type"] == "subsidised")
        if out["subsidy"] and out["contract_type"] != "subsidised":
            self.problem("subsidy", "a subsidy is given only for contract_type subsidised")
        pct = self.whole(raw, "working_time_pct", 1, 100)
        out["working_time_pct"], out["full_time"] = pct, pct == 100
        out["previous_contract_type"] = self.code(
            raw, "previous_contract_type", "contract_type", day, kind == "conversion"
        )
        if kind == "conversion" and out["previous_contract_type"] == out["contract_type"]:
            self.problem("previous_contract_type", "a conversion changes the contract type (both are the same)")
        out["termination_reason"] = self.code(
            raw, "termination_reason", "termination_reason", day, kind == "termination"
        )
        if kind != "termination" and out["termination_reason"]:
            self.problem("termination_reason", "a reason is given only for a termination")
        out["planned_end_date"] = self.date(raw, "planned_end_date", required=False)
        if out["planned_end_date"] and day and out["planned_end_date"] < day:
            self.problem(
                "planned_end_date",
                f"end before start: the planned end {out['planned_end_date']} is before the event date {day}",
            )
        if out["birth_year"] and day:
            out["age_band"] = age_band(day.year - out["birth_year"], self.bands)
        if self.problems:
            raise RowError(self.problems)
        return out

    def whole(self, raw: dict, name: str, low: int, high: int) -> int | None:
        text = raw.get(name, "")
        try:
            value = int(text)
        except ValueError:
            self.problem(name, f"{text!r} is not a whole number" if text else "a number is required")
            return None
        if not low <= value <= high:
            self.problem(name, f"{value} is not between {low} and {high}")
            return None
        return value

    def person(self, raw: dict) -> str | None:
        key, number = raw.get("person_key", ""), raw.get("identity_number", "")
        if key:
            if not is_person_key(key):
                self.problem("person_key", f"{key[:40]!r} is not a pestrack pseudonym (12 letters and digits)")
            return key
        if not number:
            self.problem("identity_number", "an identity number or a person_key is required")
            return None
        from pestrack.analytics.pseudonym import key_for_identity_number
        from pestrack.records.people.identity import parse

        try:
            return key_for_identity_number(parse(number).digits)
        except ValueError as exc:  # the parser's message starts with the number: keep only the reason
            self.problem("identity_number", f"not a valid identity number: {str(exc).split(': ', 1)[-1]}")
            return None

    def employer(self, raw: dict) -> str | None:
        key, number = raw.get("employer_key", ""), raw.get("employer_org_number", "")
        if key:
            return key
        if not number:
            self.problem("employer_org_number", "an organisation number or an employer_key is required")
            return None
        from pestrack.records.employers.orgnumber import InvalidOrgNumber, parse

        try:
            return opaque_id("employer", parse(number))
        except InvalidOrgNumber as exc:
            self.problem("employer_org_number", str(exc))
            return None

    def esco(self, raw: dict) -> str | None:
        text = raw.get("esco_occupation", "")
        if not text:
            return None
        from pestrack.records.employers.esco import UnknownConcept, vocabulary

        try:
            return vocabulary().occupations.ids[vocabulary().occupations.resolve(text)]
        except UnknownConcept as exc:
            self.problem("esco_occupation", str(exc))
            return None


class State:
    """What is known after the versions so far: the latest version of each event, the events of
    each employment, and the communications received (for idempotence)."""

    def __init__(self, versions: list[dict]):
        self.versions = versions
        self.latest: dict[str, dict] = {}
        self.events_of: dict[str, set[str]] = defaultdict(set)
        self.communications: dict[str, dict] = {}
        for v in sorted(versions, key=lambda v: v["version"]):
            self._note(v)

    def _note(self, v: dict) -> None:
        self.latest[v["event_id"]] = v
        self.events_of[v["employment_id"]].add(v["event_id"])
        self.communications[v["communication_id"]] = v

    def add(self, v: dict) -> None:
        self.versions.append(v)
        self._note(v)

    def current(self, employment_id: str) -> list[dict]:
        return [
            self.latest[e] for e in sorted(self.events_of.get(employment_id, ())) if not self.latest[e]["cancelled"]
        ]


BOOKKEEPING = ("version", "known_date", "superseded_date", "communication_id", "flag")


def same_content(a: dict, b: dict) -> bool:
    return {k: v for k, v in a.items() if k not in BOOKKEEPING} == {k: v for k, v in b.items() if k not in BOOKKEEPING}


def _against_state(v: dict, state: State) -> list[tuple[str, str]]:
    """The problems of a version with what is already known of its employment."""
    others = [e for e in state.current(v["employment_id"]) if e["event_id"] != v["event_id"]]
    hire = next((e for e in others if e["kind"] == "hire"), None)
    if v["cancelled"]:
        if v["kind"] == "hire" and others:
            return [("action", f"the employment {v['employment_id']} has other events: cancel them first")]
        return []
    if v["kind"] == "hire":
        if v["employment_id"] != v["event_id"]:
            return [("employment_id", "a hire starts its own employment: employment_id is the hire's event_id")]
        later = [e for e in others if e["event_date"] < v["event_date"]]
        if later:
            return [("event_date", f"end before start: the employment has an event on {later[0]['event_date']}")]
        return []
    if hire is None:
        return [
            (
                "employment_id",
                f"a {v['kind']} without a matching hire: no hire of employment {v['employment_id']!r} is known",
            )
        ]
    if v["event_date"] < hire["event_date"]:
        return [("event_date", f"end before start: {v['event_date']} is before the hire on {hire['event_date']}")]
    ended = next((e for e in others if e["kind"] == "termination"), None)
    if ended and v["kind"] == "termination":
        return [("event_id", f"the employment {v['employment_id']} already ended on {ended['event_date']}")]
    if ended and v["event_date"] > ended["event_date"]:
        return [
            ("event_date", f"the employment {v['employment_id']} ended on {ended['event_date']}, before this event")
        ]
    if v["kind"] == "termination":
        after = [e for e in others if e["event_date"] > v["event_date"]]
        if after:
            return [("event_date", f"the employment has a {after[0]['kind']} after this termination")]
    return []


def import_events(
    path: Path | str,
    data: Path | str,
    *,
    profile: str | None = None,
    bands: list[str] | None = None,
    rejects_path: Path | None = None,
    today: dt.date | None = None,
) -> ImportResult:
    """Import one file of communications into ``data``; raises FileRefused (nothing written) when
    the file as a whole is unusable."""
    path, data = Path(path), Path(data)
    source = open_file(path)
    result = ImportResult(path)
    today = today or dt.date.today()
    if bands is None:
        from pestrack.records.codes.profile import read_profile

        bands = read_profile(profile).settings["age_bands"]
    try:
        columns = _columns(source)
        keep = [i for i, c in enumerate(source.header) if c not in REJECT_COLUMNS]
        rejects = Rejects(rejects_path or default_rejects_path(path), source, keep)
        checker = Checker(classifications.load(profile), bands, today)
        rows = []
        for line, cells in source.rows:
            if not "".join(cells).strip():
                continue
            raw = {c: (cells[i].strip() if i < len(cells) else "") for c, i in columns.items()}
            rows.append((line, cells, raw))
        state = State(store.read_versions(data))
        # In order of knowledge (then of the file): a correction follows what it corrects.
        rows.sort(key=lambda r: (r[2].get("known_date", ""), r[0]))
        for line, cells, raw in rows:
            try:
                outcome = _one(raw, state, checker, today)
            except RowError as exc:
                result.rejected += 1
                rejects.write(cells, line, exc.problems)
                for column, reason in exc.problems:
                    if len(result.problems) < SHOW:
                        result.problems.append((line, column, raw.get(column, "")[:80], reason))
                continue
            if outcome is None:
                result.unchanged += 1
            else:
                state.add(outcome)
                result.imported += 1
        rejects.close()
        if result.rejected:
            result.rejects_path = rejects.path
    finally:
        source.close()
    if result.imported:
        known = [v["known_date"] for v in state.versions]
        store.write(
            data,
            state.versions,
            bands,
            source_file=path.name,
            covers_from=min(known).isoformat(),
            covers_to=max(known).isoformat(),
        )
    log.record(
        log.cli_actor(),
        "import",
        object_type="analytics",
        source="cli",
        detail=f"contract events {path.name} into {data.name}: {result.summary()}",
    )
    return result


def _one(raw: dict, state: State, checker: Checker, today: dt.date) -> dict | None:
    """The new version a row makes, None when it was already received, or RowError."""
    problems = [(c, "a value is required") for c in ALWAYS if not raw.get(c)]
    action = raw.get("action") or "new"
    if action not in ACTIONS:
        problems.append(("action", f"{action!r} is not one of {', '.join(ACTIONS)}"))
    if problems:
        raise RowError(problems)
    checker.problems = []
    known = checker.date(raw, "known_date")
    if checker.problems:
        raise RowError(checker.problems)
    if known > today:
        raise RowError([("known_date", f"{known} is in the future")])
    event_id, previous = raw["event_id"], state.latest.get(raw["event_id"])
    if action == "cancel":
        if previous is None:
            raise RowError([("event_id", f"a cancellation of an event that does not exist: {event_id!r}")])
        content = {k: v for k, v in previous.items() if k not in BOOKKEEPING}
        content["cancelled"] = True
    else:
        content = checker.version(raw)
        content["cancelled"] = False
        content["event_id"] = event_id
        content["employment_id"] = raw.get("employment_id") or (event_id if content["kind"] == "hire" else "")
        if not content["employment_id"]:
            raise RowError([("employment_id", f"a {content['kind']} names the employment (the hire's event_id)")])
        content["position_change"] = {"hire": 1, "termination": -1}.get(content["kind"], 0)
    received = state.communications.get(raw["communication_id"])
    if received is not None:
        if received["event_id"] == event_id and same_content(received, content) and received["known_date"] == known:
            return None
        raise RowError(
            [
                (
                    "communication_id",
                    f"a duplicate communication: {raw['communication_id']!r} was received with other content",
                )
            ]
        )
    if action == "new" and previous is not None:
        raise RowError([("event_id", f"the event {event_id!r} already exists (send a correction: action correct)")])
    if action == "correct" and previous is None:
        raise RowError([("event_id", f"a correction of an event that does not exist: {event_id!r}")])
    if previous is not None:
        if known < previous["known_date"]:
            raise RowError(
                [
                    (
                        "known_date",
                        f"{known} is before the known date of the event's latest version ({previous['known_date']})",
                    )
                ]
            )
        if previous["cancelled"]:
            raise RowError([("event_id", f"the event {event_id!r} was cancelled")])
        for col in ("kind", "employment_id"):
            if content[col] != previous[col]:
                raise RowError([(col, f"a correction cannot change the {col} ({previous[col]!r})")])
    problems = _against_state(content, state)
    if problems:
        raise RowError(problems)
    late = not content["cancelled"] and (known - content["event_date"]).days > LATE_DAYS
    return {
        **content,
        "version": previous["version"] + 1 if previous else 1,
        "known_date": known,
        "superseded_date": None,
        "communication_id": raw["communication_id"],
        "flag": "late" if late else None,
    }
