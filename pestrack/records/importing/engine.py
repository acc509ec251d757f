"""The import in two phases.

1. Check: the file is read once, a chunk of rows at a time; each row is checked (kinds.py) and
   either rejected (written at once to the rejects file) or turned into an action (create, update,
   unchanged). Actions are spooled to an anonymous temporary file, so memory stays flat.
2. Write: the spooled actions are written in ONE transaction, in batches, with their access-log
   entries. Any exception, Ctrl-C included, rolls the whole write back.
"""
from __future__ import annotations

import csv
import datetime as dt
import pickle
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, reset_queries, transaction
from django.utils import timezone

from pestrack.records.audit import log
from pestrack.records.importing.fields import mask_pin
from pestrack.records.importing.kinds import KINDS, PIN, Kind, Outcome
from pestrack.records.importing.reader import REJECT_COLUMNS, FileRefused, Source, open_source

CHUNK = 2000
SHOW = 20  # rejected rows kept for the screen


@dataclass
class ImportResult:
    path: Path
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    problems: list[tuple[int, str, str, str]] = field(default_factory=list)  # first SHOW: line, column, value, reason

    @property
    def imported(self) -> int:
        return self.created + self.updated

    def summary(self) -> str:
        return f"imported {self.imported}, unchanged {self.unchanged}, rejected {self.rejected}"


Progress = Callable[[str, int, int], None]


def default_rejects_path(path: Path) -> Path:
    return path.with_name(path.name + ".rejects.csv")


def _columns(source: Source, kind: type[Kind]) -> dict[str, int]:
    """Position of each known column; refuses a file that lacks a required one or repeats a name."""
    header = source.header
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    if repeated:
        raise FileRefused(f"{source.path}: column {', '.join(repeated)} appears more than once in the header")
    missing = [c for c in kind.required if c not in header]
    if missing:
        raise FileRefused(f"{source.path}: required column {', '.join(missing)} is missing "
                          f"(a {kind.name} file needs {', '.join(kind.required)}; this header has "
                          f"{', '.join(c for c in header if c) or 'nothing'})")
    return {c: header.index(c) for c in kind.required + kind.optional if c in header}


class Rejects:
    """The rejects file: the original columns plus reject_line, reject_column and reject_reason."""

    def __init__(self, path: Path, source: Source, keep: list[int]):
        self.path, self.source, self.keep, self.file, self.writer = path, source, keep, None, None

    def write(self, cells: list[str], line: int, problems: list[tuple[str, str]]) -> None:
        if self.writer is None:
            self.file = self.path.open("w", encoding="utf-8-sig", newline="")
            self.writer = csv.writer(self.file, delimiter=self.source.delimiter)
            self.writer.writerow([self.source.header[i] for i in self.keep] + list(REJECT_COLUMNS))
        kept = [cells[i] if i < len(cells) else "" for i in self.keep]
        self.writer.writerow(kept + [line, "; ".join(dict.fromkeys(c for c, _ in problems)),
                                     "; ".join(f"{c}: {r}" for c, r in problems)])

    def close(self) -> None:
        if self.file:
            self.file.close()


def run_import(path: Path | str, kind_name: str, *, rejects_path: Path | None = None, today: dt.date | None = None,
               progress: Progress | None = None, chunk_size: int = CHUNK) -> ImportResult:
    """Import one file; raises FileRefused (nothing written) when the file as a whole is unusable."""
    path = Path(path)
    kind_cls = KINDS[kind_name]
    source = open_source(path)
    result = ImportResult(path, kind_name)
    try:
        positions = _columns(source, kind_cls)
        kind = kind_cls(set(positions), today or dt.date.today())
        keep = [i for i, c in enumerate(source.header) if c not in REJECT_COLUMNS]
        rejects = Rejects(rejects_path or default_rejects_path(path), source, keep)
        with tempfile.TemporaryFile() as spool:
            try:
                chunks = _check(source, kind, positions, rejects, result, spool, progress, chunk_size)
            finally:
                rejects.close()
            if rejects.writer:
                result.rejects_path = rejects.path
            spool.seek(0)
            _write(spool, chunks, kind, result, progress)
    finally:
        source.close()
    return result


def _check(source, kind, positions, rejects, result, spool, progress, chunk_size) -> int:
    """Phase 1: check every row; returns how many chunks of actions were spooled."""
    width = len(source.header)
    chunk: list[tuple[int, dict[str, str]]] = []
    cells_of: dict[int, list[str]] = {}
    spooled = 0

    def flush():
        nonlocal spooled
        actions = []
        for outcome in kind.check_chunk(chunk):
            if outcome.problems:
                _reject(outcome, cells_of[outcome.line], rejects, result)
            elif outcome.action == "unchanged":
                result.unchanged += 1
            else:
                actions.append(outcome)
        if actions:
            pickle.dump(actions, spool, protocol=pickle.HIGHEST_PROTOCOL)
            spooled += 1
        chunk.clear()
        cells_of.clear()
        reset_queries()  # with DEBUG on, Django keeps every statement: memory would grow with the file
        if progress:
            progress("checking", *source.progress())

    for line, cells in source.rows:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            _reject(Outcome(line, [("", f"the row has {len(cells)} cells but the header has {width} "
                                        "(an unquoted delimiter in a value?)")]), cells, rejects, result)
            continue
        chunk.append((line, {c: cells[i] if i < len(cells) else "" for c, i in positions.items()}))
        cells_of[line] = cells
        if len(chunk) >= chunk_size:
            flush()
    if chunk:
        flush()
    return spooled


def _reject(outcome: Outcome, cells: list[str], rejects: Rejects, result: ImportResult) -> None:
    result.rejected += 1
    rejects.write(cells, outcome.line, outcome.problems)
    header = rejects.source.header
    for column, reason in outcome.problems:
        if len(result.problems) >= SHOW:
            break
        value = cells[header.index(column)] if column in header and header.index(column) < len(cells) else ""
        result.problems.append((outcome.line, column, mask_pin(value) if column == PIN else value, reason))


def _write(spool, chunks: int, kind: Kind, result: ImportResult, progress: Progress | None) -> None:
    """Phase 2: every spooled action in one transaction, with its access-log entries."""
    if not chunks:
        return
    actor = log.cli_actor()
    with transaction.atomic():
        for n in range(chunks):
            write_chunk(kind, pickle.load(spool), actor, result)
            reset_queries()
            if progress:
                progress("writing", n + 1, chunks)
        log.record(actor, "import", object_type=kind.object_type, source="cli",
                   detail=f"import {kind.name} from {result.path.name}: created {result.created}, updated "
                          f"{result.updated}, unchanged {result.unchanged}, rejected {result.rejected}")


def write_chunk(kind: Kind, actions: list[Outcome], actor: str, result: ImportResult) -> None:
    """Write one batch of creates and updates and log each written record."""
    model = kind.model
    creates = [a for a in actions if a.action == "create"]
    updates = [a for a in actions if a.action == "update"]
    events = []
    now = timezone.now()
    if updates:
        has_stamp = any(fl.name == "updated_at" for fl in model._meta.fields)
        objs = [model(pk=a.pk, **a.values, **({"updated_at": now} if has_stamp else {})) for a in updates]
        names = list(updates[0].values) + (["updated_at"] if has_stamp else [])
        model.objects.bulk_update(objs, names, batch_size=500)
        events += [_event(actor, "update", kind, a, a.pk, result.path, now) for a in updates]
    if creates:
        ids = _insert(kind, [a.values for a in creates])
        for a, pk in zip(creates, ids):
            if a.person_id is None:  # a new person
                a.person_id = pk
            events.append(_event(actor, "create", kind, a, pk, result.path, now))
    log.record_many(events)
    result.created += len(creates)
    result.updated += len(updates)


def _insert(kind: Kind, rows: list[dict]) -> list[int]:
    """INSERT with executemany (Django's bulk_create spends most of its time preparing values);
    returns the new primary keys, found again by natural key."""
    model = kind.model
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    fields = [fl for fl in model._meta.concrete_fields if not fl.primary_key]
    defaults = {fl.attname: fl.get_default() for fl in fields}
    stamped = {fl.attname for fl in fields if getattr(fl, "auto_now", False) or getattr(fl, "auto_now_add", False)}
    qn = connection.ops.quote_name
    sql = (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(fl.column) for fl in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    names = [fl.attname for fl in fields]
    with connection.cursor() as cur:
        cur.executemany(sql, [[stamp if n in stamped else row.get(n, defaults[n]) for n in names] for row in rows])
    keys = kind.key_fields
    found = {tuple(r[:-1]): r[-1] for r in model.objects.filter(
        **{f"{keys[0]}__in": {row[keys[0]] for row in rows}}).values_list(*keys, "id")}
    return [found[tuple(row[k] for k in keys)] for row in rows]


def _event(actor: str, action: str, kind: Kind, a: Outcome, pk, path: Path, at) -> log.Event:
    return log.Event(actor=actor, action=action, person_id=a.person_id, object_type=kind.object_type, object_id=str(pk),
                     detail=f"import {kind.name} from {path.name}, line {a.line}", source="cli", at=at)
