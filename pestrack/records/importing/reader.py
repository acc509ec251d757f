"""Reading an import file row by row: CSV (UTF-8 with or without BOM, or Windows-1252; ``,`` or ``;``)
and XLSX. Rows are streamed, so memory does not grow with the file."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

REJECT_COLUMNS = ("reject_line", "reject_column", "reject_reason")
_BLOCK = 1 << 20
MAX_CELL = 32_767  # characters: a spreadsheet's own limit for a cell, so no real value is longer
MAX_LINE = 1 << 20  # characters in one line (or one row of a CSV file's quoted lines): 1 Mi
# A line longer than MAX_LINE is never given to the CSV parser whole: it is skipped to its end and
# stands for a row of one cell, OVERSIZE (a NUL, which no accepted text file contains), rejected.
OVERSIZE = "\x00"
csv.field_size_limit(MAX_LINE)  # a quote left open would otherwise gather the rest of the file


def oversized(cells: list[str]) -> str | None:
    """Why a row read from a file is too large to check, or None (the row is then rejected whole,
    naming its line; the import goes on)."""
    if any(OVERSIZE in c for c in cells):
        return f"the line is longer than {MAX_LINE} characters"
    return None


class FileRefused(Exception):
    """The file as a whole cannot be imported (unreadable, wrong encoding, missing column)."""


@dataclass
class Source:
    path: Path
    header: list[str]  # normalised column names, in file order
    encoding: str  # "utf-8-sig", "cp1252" or "xlsx"
    delimiter: str
    rows: Iterator[tuple[int, list[str]]]  # (line number, cell texts); the header is line 1
    progress: Callable[[], tuple[int, int]]  # () -> (done, total) in bytes or rows
    close: Callable[[], None]
    size: int = 0  # about how many rows follow the header (line breaks, or the sheet's row count)


# A valid multi-byte UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF).
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


def detect_encoding(path: Path) -> tuple[str, int]:
    """The file's encoding and its number of line breaks: UTF-8 (with or without BOM) if the whole file
    is valid UTF-8; Windows-1252 only if the file has no valid multi-byte UTF-8 sequence at all.

    A file with both (UTF-8 with a stray byte, e.g. a line pasted from an old system) is refused,
    naming the line and byte offset of the first byte that is not UTF-8: read as Windows-1252 its
    every å, ä and ö would become mojibake ("Ã¥") and overwrite good names. Binary files, UTF-16
    and bytes undefined in Windows-1252 are refused too."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = offset = 0
    bad: tuple[int, int, int] | None = None  # line, byte offset (from 0), the byte
    multibyte = False
    tail = b""
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            if b"\x00" in block:
                raise FileRefused(
                    f"{path}: not a text file in UTF-8 or Windows-1252 "
                    "(it contains NUL bytes; UTF-16 or a binary file?)"
                )
            if bad is None:
                pending = len(decoder.getstate()[0])
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    at = max(exc.start - pending, 0)
                    bad = (lines + block[:at].count(b"\n") + 1, offset + exc.start - pending, exc.object[exc.start])
            multibyte = multibyte or _UTF8_MULTIBYTE.search(tail + block) is not None
            tail = block[-3:]
            lines += block.count(b"\n")
            offset += len(block)
    if bad is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:  # a sequence cut off by the end of the file
            bad = (lines + 1, offset - len(exc.object) + exc.start, exc.object[exc.start])
    if bad is None:
        return "utf-8-sig", lines
    line, at, byte = bad
    if multibyte:
        raise FileRefused(
            f"{path}: line {line}, byte {at}: byte {byte:#04x} is not UTF-8, but the rest of the file "
            "is UTF-8; correct that line (or save the whole file as CSV UTF-8) and import again. "
            "Nothing was imported"
        )
    with path.open("rb") as f:
        lines = 0
        while block := f.read(_BLOCK):
            try:
                block.decode("cp1252")
            except UnicodeDecodeError as exc:
                line = lines + block[: exc.start].count(b"\n") + 1
                raise FileRefused(
                    f"{path}: not readable as UTF-8 or Windows-1252 (line {line}, byte "
                    f"{exc.object[exc.start]:#04x}); save it as CSV UTF-8"
                ) from None
            lines += block.count(b"\n")
    return "cp1252", lines


def normalise_header(cells) -> list[str]:
    return [str(c or "").strip().lower().replace(" ", "_") for c in cells]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _bounded_lines(text) -> Iterator[str]:
    """The text's lines for the CSV parser, none longer than MAX_LINE: a longer one is read to its end
    in bounded pieces and replaced by OVERSIZE, so memory stays bounded whatever the file holds."""
    while line := text.readline(MAX_LINE + 1):
        if len(line) > MAX_LINE and not line.endswith("\n"):
            while (rest := text.readline(_BLOCK)) and not rest.endswith("\n"):
                pass
            line = OVERSIZE + "\n"
        yield line


def _open_csv(path: Path) -> Source:
    encoding, lines = detect_encoding(path)
    raw = path.open("rb")
    text = io.TextIOWrapper(raw, encoding=encoding, newline="")
    first = text.readline(MAX_LINE + 1)
    if len(first) > MAX_LINE:
        raw.close()
        raise FileRefused(f"{path}: the header line is longer than {MAX_LINE} characters (not an import file?)")
    if not first.strip():
        raw.close()
        raise FileRefused(f"{path}: the file is empty (no header line)")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = normalise_header(next(csv.reader([first], delimiter=delimiter)))
    total = path.stat().st_size or 1

    def rows():
        line = 1
        reader = csv.reader(_bounded_lines(text), delimiter=delimiter)
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # a field over the limit (a quote left open): this row only
                cells = [OVERSIZE + str(exc)]
            line += 1
            yield line, cells

    def close():
        text.close()  # also keeps the wrapper alive until then: collecting it would close ``raw``

    return Source(
        path,
        header,
        encoding,
        delimiter,
        rows(),
        lambda: (0 if raw.closed else raw.tell(), total),
        close,
        max(lines - 1, 0),
    )


def _open_xlsx(path: Path) -> Source:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise FileRefused(f"{path}: not a readable XLSX workbook ({exc})") from None
    sheet = book.worksheets[0]
    it = sheet.iter_rows(values_only=True)
    first = next(it, None)
    if first is None:
        book.close()
        raise FileRefused(f"{path}: the first sheet is empty (no header row)")
    header = normalise_header(first)
    total = sheet.max_row or 1
    state = {"line": 1}

    def rows():
        for values in it:
            state["line"] += 1
            yield state["line"], [_cell_text(v) for v in values]

    return Source(path, header, "xlsx", ",", rows(), lambda: (state["line"], total), book.close, total - 1)


def open_source(path: Path) -> Source:
    """Open ``path`` and read its header; raises FileRefused with the file name and the reason."""
    if not path.is_file():
        raise FileRefused(f"{path}: no such file")
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise FileRefused(f"{path}: cannot be read ({exc.strerror})") from None
    if magic.startswith(b"PK\x03\x04") or path.suffix.lower() in (".xlsx", ".xlsm"):
        return _open_xlsx(path)
    return _open_csv(path)
