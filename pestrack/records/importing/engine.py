"""The import: check, then write.

1. Check: the file is read once, a chunk of rows at a time; each row is checked (kinds.py) and
   either rejected (written at once to the rejects file) or turned into an action (create, update,
   unchanged).
2. Write: the actions are written in ONE transaction, in batches, with their access-log entries.
   Any exception, Ctrl-C included, rolls the whole write back.

A small file is checked whole, its actions spooled to an anonymous temporary file, then written.
A large one is checked in a forked child process while this process writes the chunks the child
sends, still in one transaction (``_overlapped``): on two cores that halves the time. Either way
memory stays flat.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import multiprocessing
import os
import pickle
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, partial
from operator import itemgetter
from pathlib import Path

from django.db import connection, connections, reset_queries, transaction
from django.utils import timezone

from pestrack.records import processes
from pestrack.records.audit import log
from pestrack.records.casework import activity
from pestrack.records.casework.models import Enrolment
from pestrack.records.importing.fields import mask_pin
from pestrack.records.importing.kinds import PIN, Kind, Outcome
from pestrack.records.importing.reader import MAX_CELL, REJECT_COLUMNS, FileRefused, Source, open_source, oversized
from pestrack.records.importing.registry import KINDS
from pestrack.records.spreadsheet import safe_row

CHUNK = 2000
SHOW = 20  # rejected rows kept for the screen
SHOW_CHARS = 80  # of a rejected value, on the screen
PARALLEL_FROM = 20_000  # rows: smaller files are checked and written in one process
CACHE_KB = 65_536  # SQLite page cache while writing
PIPE_BYTES = 1 << 20  # chunks in flight from the checking child to the writer


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
        raise FileRefused(
            f"{source.path}: required column {', '.join(missing)} is missing "
            f"(a {kind.name} file needs {', '.join(kind.required)}; this header has "
            f"{', '.join(c for c in header if c) or 'nothing'})"
        )
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
        extra = cells[len(self.source.header) :]  # kept after the reject columns: imported unchanged, the
        # row is refused again (too many cells) until someone removes them
        self.writer.writerow(
            safe_row(
                kept
                + [line, "; ".join(dict.fromkeys(c for c, _ in problems)), "; ".join(f"{c}: {r}" for c, r in problems)]
                + extra
            )
        )

    def close(self) -> None:
        if self.file:
            self.file.close()


def run_import(
    path: Path | str,
    kind_name: str,
    *,
    rejects_path: Path | None = None,
    today: dt.date | None = None,
    progress: Progress | None = None,
    chunk_size: int = CHUNK,
    jobs: int | None = None,
) -> ImportResult:
    """Import one file; raises FileRefused (nothing written) when the file as a whole is unusable.

    ``jobs``: 1 checks the whole file, then writes; 2 checks in a second process while this one
    writes (see ``_overlapped``); None chooses 2 for files of PARALLEL_FROM rows or more when
    the machine has two cores.
    """
    path = Path(path)
    kind_cls = KINDS[kind_name]
    source = open_source(path)
    result = ImportResult(path, kind_name)
    try:
        positions = _columns(source, kind_cls)
        kind = kind_cls(set(positions), today or dt.date.today())
        keep = [i for i, c in enumerate(source.header) if c not in REJECT_COLUMNS]
        rejects = Rejects(rejects_path or default_rejects_path(path), source, keep)
        check = partial(_check, source, kind, positions, rejects, result, chunk_size=chunk_size)
        if _parallel(jobs, source):
            _overlapped(check, kind, result, progress)
        else:
            _serial(check, kind, result, progress)
    finally:
        source.close()
    return result


def _parallel(jobs: int | None, source: Source) -> bool:
    """Whether to check in a child process. Never inside an open transaction: the child could not
    see its uncommitted rows (and closing the connection before forking would end it)."""
    if jobs is None:
        jobs = 2 if source.size >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 else 1
    if jobs not in (1, 2):
        raise ValueError(f"jobs must be 1 or 2, not {jobs}")
    return jobs == 2 and "fork" in multiprocessing.get_all_start_methods() and not connection.in_atomic_block


def _serial(check, kind: Kind, result: ImportResult, progress: Progress | None) -> None:
    """Check the whole file, spooling the actions to a temporary file, then write them."""
    with tempfile.TemporaryFile() as spool:
        chunks = check(lambda actions: pickle.dump(actions, spool, protocol=pickle.HIGHEST_PROTOCOL), progress)
        if not chunks:
            return
        spool.seek(0)
        with _writing(kind, result) as write:
            for n in range(chunks):
                write(pickle.load(spool))
                if progress:
                    progress("writing", n + 1, chunks)


def _overlapped(check, kind: Kind, result: ImportResult, progress: Progress | None) -> None:
    """Check in a forked child while this process writes the chunks it sends, in the one transaction.

    The child sees the database as it was before the import (the transaction is not committed), as
    the serial path does: rows may refer only to records already stored. The pipe holds about one
    chunk, so memory stays flat. Any failure on either side, Ctrl-C included, rolls the write back.
    """
    ctx = multiprocessing.get_context("fork")
    inbox, outbox = ctx.Pipe(duplex=False)
    _widen(outbox)
    connections.close_all()  # the child opens its own connection
    child = ctx.Process(target=_checker, args=(check, result, outbox, inbox, os.getpid()), daemon=True)
    child.start()
    outbox.close()
    try:
        with _writing(kind, result) as write:
            received = written = 0
            while True:
                try:
                    message, *payload = inbox.recv()
                except EOFError:
                    child.join()
                    raise RuntimeError(
                        f"the checking process ended unexpectedly (exit code {child.exitcode})"
                    ) from None
                if message == "actions":
                    received += 1
                    write(payload[0])
                    written += 1
                    if progress:
                        progress("writing", written, received)
                elif message == "progress":
                    if progress:
                        progress("checking", *payload)
                elif message == "error":
                    raise payload[0]
                else:  # done: the child's counts of unchanged and rejected rows
                    checked = payload[0]
                    result.unchanged, result.rejected = checked.unchanged, checked.rejected
                    result.problems, result.rejects_path = checked.problems, checked.rejects_path
                    break
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        inbox.close()


def _widen(pipe) -> None:
    """Let the pipe hold a few chunks (Linux; else its default 64 KB, about a third of one), so that
    neither side waits for the other when one chunk takes a little longer than the next."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except OSError:
        pass


def _checker(check, result: ImportResult, outbox, inbox, parent: int) -> None:
    """The child's work: check the file, send each chunk of actions, then the result."""
    # ended with the importing process, however it ends (kill -9 included), so that nothing is left
    # holding the SQLite file or a PostgreSQL connection; elsewhere than Linux a dead parent closes the
    # pipe, and the next send fails
    processes.die_with_parent(parent)
    inbox.close()  # the parent's end: kept open here, a dead parent would leave this process blocked on send
    try:
        check(
            lambda actions: outbox.send(("actions", actions)),
            lambda phase, done, total: outbox.send(("progress", done, total)),
        )
        outbox.send(("done", result))
    except BaseException as exc:  # the parent re-raises it and rolls back
        try:
            outbox.send(("error", exc))
        except Exception:  # not picklable
            outbox.send(("error", RuntimeError(f"checking failed: {exc!r}")))
    finally:
        outbox.close()
        connections.close_all()


def _check(source, kind, positions, rejects, result, emit, progress, *, chunk_size) -> int:
    """Check every row; rejected rows go to the rejects file, each chunk of actions to ``emit``.
    Returns how many chunks were emitted."""
    width = len(source.header)
    names, pick = list(positions), itemgetter(*positions.values())
    chunk: list[tuple[int, dict[str, str]]] = []
    cells_of: dict[int, list[str]] = {}
    emitted = 0

    def flush():
        nonlocal emitted
        actions = []
        for outcome in kind.check_chunk(chunk):
            if outcome.problems:
                _reject(outcome, cells_of[outcome.line], rejects, result)
            elif outcome.action == "unchanged":
                result.unchanged += 1
            else:
                actions.append(outcome)
        if actions:
            emit(pack(kind, actions))
            emitted += 1
        chunk.clear()
        cells_of.clear()
        reset_queries()  # with DEBUG on, Django keeps every statement: memory would grow with the file
        if progress:
            progress("checking", *source.progress())

    try:
        for line, cells in source.rows:
            if not "".join(cells).strip():
                continue
            too_large = _too_large(cells, source.header)
            if too_large:
                _reject(Outcome(line, too_large), [] if oversized(cells) else cells, rejects, result)
                continue
            if len(cells) > width and "".join(cells[width:]).strip():
                _reject(
                    Outcome(
                        line,
                        [
                            (
                                "",
                                f"the row has {len(cells)} cells but the header has {width} "
                                "(an unquoted delimiter in a value?)",
                            )
                        ],
                    ),
                    cells,
                    rejects,
                    result,
                )
                continue
            if len(cells) >= width:
                row = dict(zip(names, pick(cells)))
            else:  # a short row: the missing cells are empty
                row = {c: cells[i] if i < len(cells) else "" for c, i in positions.items()}
            chunk.append((line, row))
            cells_of[line] = cells
            if len(chunk) >= chunk_size:
                flush()
        if chunk:
            flush()
    finally:
        rejects.close()
    if rejects.writer:
        result.rejects_path = rejects.path
    return emitted


def _too_large(cells: list[str], header: list[str]) -> list[tuple[str, str]]:
    """The problems of a row too large to check: a line over the reader's limit, or cells longer than
    MAX_CELL (each named by its column). Checked before anything else, so no rule sees such a value."""
    whole = oversized(cells)
    if whole:
        return [("", whole)]
    return [
        (header[i], f"the value has {len(c)} characters; at most {MAX_CELL}")
        if i < len(header)
        else (
            "",
            f"cell {i + 1}, after the header's {len(header)} columns, has {len(c)} characters; at most {MAX_CELL}",
        )
        for i, c in enumerate(cells)
        if len(c) > MAX_CELL
    ]


def _reject(outcome: Outcome, cells: list[str], rejects: Rejects, result: ImportResult) -> None:
    result.rejected += 1
    rejects.write(cells, outcome.line, outcome.problems)
    header = rejects.source.header
    for column, reason in outcome.problems:
        if len(result.problems) >= SHOW:
            break
        value = cells[header.index(column)] if column in header and header.index(column) < len(cells) else ""
        if len(value) > SHOW_CHARS:
            value = value[:SHOW_CHARS] + "…"
        result.problems.append((outcome.line, column, mask_pin(value) if column == PIN else value, reason))


@contextmanager
def _page_cache():
    """On SQLite, a page cache of up to CACHE_KB while writing: with the default 2 MB, the inserts
    into the indexes of a large table (the person's look-up hash, the access log) miss the cache."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cur:
        cur.execute("PRAGMA cache_size")
        before = cur.fetchone()[0]
        cur.execute(f"PRAGMA cache_size = -{CACHE_KB}")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA cache_size = {int(before)}")


@contextmanager
def _writing(kind: Kind, result: ImportResult):
    """One transaction for the whole write; yields a function that writes one chunk of actions.
    The transaction ends with the ``import`` entry that counts everything."""
    actor = log.cli_actor()
    with _page_cache(), transaction.atomic():

        def write(actions):
            write_chunk(kind, actions, actor, result)
            reset_queries()

        yield write
        if result.imported:
            log.record(
                actor,
                "import",
                object_type=kind.object_type,
                source="cli",
                detail=f"import {kind.name} from {result.path.name}: created {result.created}, updated "
                f"{result.updated}, unchanged {result.unchanged}, rejected {result.rejected}",
            )


class Table:
    """How new records of a model are inserted: the columns in order, their defaults, and which of
    them are stamped with the time of writing."""

    def __init__(self, model):
        fields = [fl for fl in model._meta.concrete_fields if not fl.primary_key]
        self.name, self.pk = model._meta.db_table, model._meta.pk.column
        self.columns = [fl.column for fl in fields]
        self.names_defaults = [(fl.attname, fl.get_default()) for fl in fields]
        self.dates = [i for i, fl in enumerate(fields) if fl.get_internal_type() == "DateField"]
        self.json = [i for i, fl in enumerate(fields) if fl.get_internal_type() == "JSONField"]
        self.stamped = [
            i for i, fl in enumerate(fields) if getattr(fl, "auto_now", False) or getattr(fl, "auto_now_add", False)
        ]

    def row(self, values: dict) -> list:
        """One new record's values in column order, dates as ISO text (which both databases take):
        made by the checking side, so that the writing side has little left to do."""
        row = [values.get(n, d) for n, d in self.names_defaults]
        for i in self.dates:
            if row[i] is not None:
                row[i] = row[i].isoformat()
        for i in self.json:
            row[i] = json.dumps(row[i])
        return row


@cache
def table_of(model) -> Table:
    return Table(model)


def pack(kind: Kind, actions: list[Outcome]) -> tuple[list, list]:
    """A chunk of actions as sent to the writer: creates as (line, person id, row), updates as they are."""
    table = table_of(kind.model)
    return (
        [(a.line, a.person_id, table.row(a.values)) for a in actions if a.action == "create"],
        [a for a in actions if a.action == "update"],
    )


def write_chunk(kind: Kind, batch: tuple[list, list], actor: str, result: ImportResult) -> None:
    """Write one packed chunk of creates and updates and log each written record."""
    model = kind.model
    creates, updates = batch
    events = []
    now = timezone.now()
    detail = f"import {kind.name} from {result.path.name}, line "
    if updates:
        has_stamp = any(fl.name == "updated_at" for fl in model._meta.fields)
        objs = [model(pk=a.pk, **a.values, **({"updated_at": now} if has_stamp else {})) for a in updates]
        names = list(updates[0].values) + (["updated_at"] if has_stamp else [])
        model.objects.bulk_update(objs, names, batch_size=500)
        events += [
            log.Event(
                actor=actor,
                action="update",
                person_id=a.person_id,
                object_type=kind.object_type,
                object_id=str(a.pk),
                detail=detail + str(a.line),
                source="cli",
                at=now,
            )
            for a in updates
        ]
    if creates:
        ids = _insert(table_of(model), [row for _, _, row in creates], now)
        own = kind.object_type == "person"
        events += [
            log.Event(
                actor=actor,
                action="create",
                person_id=person_id or (pk if own else None),  # a new person: its own id
                object_type=kind.object_type,
                object_id=str(pk),
                detail=detail + str(line),
                source="cli",
                at=now,
            )
            for (line, person_id, _), pk in zip(creates, ids)
        ]
    _refresh_activity(model, creates, updates)
    log.record_many(events)
    result.created += len(creates)
    result.updated += len(updates)


def _refresh_activity(model, creates: list, updates: list[Outcome]) -> None:
    """Refresh the last activity of the enrolments a chunk wrote, or wrote records of (one UPDATE
    per chunk, casework.activity). New enrolments went in with theirs (``Enrolments.accept``)."""
    if model is Enrolment:
        ids = [a.pk for a in updates if activity.counts(a.values)]
    elif activity.is_record(model):
        at = table_of(model).columns.index("enrolment_id")
        ids = [row[at] for _, _, row in creates] + [a.values["enrolment_id"] for a in updates]
    else:
        return
    activity.refresh_last_activity(ids)


def _insert(table: Table, rows: list[list], now) -> list[int]:
    """INSERT the rows and return their new primary keys, in order.

    Django's bulk_create spends most of its time preparing values, so this is plain SQL. On
    PostgreSQL the keys are taken from the table's sequence first and the rows go in with COPY;
    on SQLite they go in with executemany under the transaction's write lock, so AUTOINCREMENT
    gives them consecutive keys ending at last_insert_rowid() (checked).
    """
    stamp = connection.ops.adapt_datetimefield_value(now)
    for row in rows:
        for i in table.stamped:
            row[i] = stamp
    qn = connection.ops.quote_name
    name, pk, columns = qn(table.name), qn(table.pk), ", ".join(map(qn, table.columns))
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table.name, table.pk, len(rows)],
            )
            ids = [r[0] for r in cur.fetchall()]
            with cur.cursor.copy(f"COPY {name} ({pk}, {columns}) FROM STDIN") as copy:
                for pk_value, row in zip(ids, rows):
                    copy.write_row([pk_value, *row])
            return ids
        cur.executemany(f"INSERT INTO {name} ({columns}) VALUES ({', '.join(['%s'] * len(table.columns))})", rows)
        cur.execute("SELECT last_insert_rowid()")
        last = cur.fetchone()[0]
        first = last - len(rows) + 1
        cur.execute(f"SELECT count(*) FROM {name} WHERE {pk} BETWEEN %s AND %s", [first, last])
        if cur.fetchone()[0] != len(rows):  # cannot happen under the write lock; never guess the keys
            raise RuntimeError(f"the new rows of {table.name} did not get consecutive keys; nothing was imported")
    return list(range(first, last + 1))
