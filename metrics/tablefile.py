"""Read a CSV or XLSX file that people bring into text cells, safely.

``read_file`` gives the bytes of a file named on the command line (a regular file of at most
MAX_BYTES; a device or a FIFO is refused, not read or waited on). ``read`` gives its table:
the header, the records (file line, cells) and the cells it refused (formulas, overlong text,
merged cells); ``UnreadableFile`` says why a file is not a table at all, and where. Nothing
here knows the import format's columns (``metrics.ingest``).

Every size is capped before it costs memory or time: the file (MAX_BYTES), what an XLSX
unpacks to (MAX_UNPACKED, and no part packed more than MAX_RATIO times: a zip bomb), the rows
(MAX_ROWS), the columns (MAX_COLUMNS) and the characters of a cell (MAX_CELL).
"""

from __future__ import annotations

import csv
import io
import os
import stat
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from metrics.textio import UTF16, decode, looks_utf16

MAX_BYTES = int(float(os.environ.get("METRICS_MAX_IMPORT_MB", "20")) * 1024 * 1024)
MAX_UNPACKED = int(float(os.environ.get("METRICS_MAX_XLSX_UNPACKED_MB", "100")) * 1024 * 1024)
# Deflate packs repeated bytes up to about 1000 times; a worksheet of real rows, even one row
# repeated (as openpyxl or Excel write it), about 10 to 25 times. Parts under 1 MB are not judged.
MAX_RATIO = 100
RATIO_FROM = 1024 * 1024
MAX_PARTS = 10_000  # a workbook has a few dozen
MAX_ROWS = 200_000  # rows of figures below the header
MAX_COLUMNS = 200
MAX_CELL = 10_000  # characters in one cell
LAST_XLSX_ROW = 1_048_576
MAX_MERGED_SHOWN = 20
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003, and any password-protected workbook
FILE_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


class UnreadableFile(Exception):
    """The file cannot be read as a table at all (exit status 2)."""


@dataclass
class Table:
    """A file's first row, its other non-empty rows as (file line, cells), and the cells refused
    as (file line, column position from 0, reason)."""

    header: list[str]
    records: list[tuple[int, list[str]]]
    refused: list[tuple[int, int, str]] = field(default_factory=list)


def column_letter(number: int) -> str:
    """The spreadsheet name of column ``number`` (from 1).

    >>> column_letter(1), column_letter(23), column_letter(201), column_letter(16384)
    ('A', 'W', 'GS', 'XFD')
    """
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_label(position: int) -> str:
    """'column 23 (W)' for position 22: how to name a column without a usable name."""
    return f"column {position + 1} ({column_letter(position + 1)})"


def _too_big(size: int) -> UnreadableFile:
    return UnreadableFile(f"the file is {size / 2**20:.1f} MB; the limit is {MAX_BYTES / 2**20:.0f} MB")


def read_file(path: os.PathLike | str) -> bytes:
    """The bytes of the regular file at ``path``, at most MAX_BYTES.

    UnreadableFile for anything else: a folder, a device such as /dev/zero (endless), a FIFO
    (opened without waiting for a writer), a file over the limit, or one that cannot be opened.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        raise UnreadableFile(error.strerror or str(error)) from error
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = FILE_KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise UnreadableFile(f"it is {kind}; give the path of a CSV or XLSX file")
        if info.st_size > MAX_BYTES:
            raise _too_big(info.st_size)
        chunks, size = [], 0
        while size <= MAX_BYTES and (chunk := os.read(fd, min(2**20, MAX_BYTES + 1 - size))):
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise UnreadableFile(error.strerror or str(error)) from error
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_BYTES:  # it grew while being read
        raise _too_big(len(data))
    return data


def read(data: bytes, file_name: str) -> Table:
    """The table of a CSV or XLSX file (an XLSX by its first bytes or its name)."""
    if len(data) > MAX_BYTES:
        raise _too_big(len(data))
    if data.startswith(OLE_MAGIC):
        raise UnreadableFile(
            "an Excel 97-2003 (.xls) or password-protected workbook; save it as .xlsx without a password"
        )
    is_xlsx = data.startswith(XLSX_MAGIC) or file_name.lower().endswith((".xlsx", ".xlsm"))
    table = _read_xlsx(data) if is_xlsx else _read_csv(data)
    if not table.header and not table.records:
        raise UnreadableFile("the first sheet is empty" if is_xlsx else "the file is empty")
    return table


class _Rows:
    """Collects the rows of a table, refusing absurd ones as it goes."""

    def __init__(self):
        self.table = Table([], [])

    def add(self, line: int, values: list[str]) -> None:
        while values and not values[-1]:
            values.pop()
        if len(values) > MAX_COLUMNS:
            raise UnreadableFile(
                f"row {line:,} has {len(values):,} columns; an import file has at most {MAX_COLUMNS}"
            )
        for position, value in enumerate(values):
            if len(value) > MAX_CELL:
                reason = f"{len(value):,} characters in one cell; the limit is {MAX_CELL:,}"
                self.table.refused.append((line, position, reason))
                values[position] = value[:20] + "…"
        if line == 1:
            self.table.header = values
        elif values:
            if len(self.table.records) == MAX_ROWS:
                raise UnreadableFile(
                    f"more than {MAX_ROWS:,} rows of figures (row {line:,} is one too many); "
                    f"split the file into parts of at most {MAX_ROWS:,} rows"
                )
            self.table.records.append((line, values))


# --- CSV -----------------------------------------------------------------------------------------


def _read_csv(data: bytes) -> Table:
    try:
        text = decode(data)
    except ValueError as error:
        raise UnreadableFile(str(error)) from error
    if not text.strip():
        raise UnreadableFile("the file is empty")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        if looks_utf16(data):
            raise UnreadableFile(UTF16)
        raise UnreadableFile(f"line {line} holds NUL bytes: a binary file, not a text table")
    if csv.field_size_limit() <= MAX_BYTES:  # a long cell is refused by its row and column instead
        csv.field_size_limit(MAX_BYTES + 1)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = _Rows()
    try:
        start = 1
        for record in reader:
            rows.add(start, [cell.strip() for cell in record])
            start = reader.line_num + 1
    except csv.Error as error:
        raise UnreadableFile(f"not a CSV table: line {reader.line_num}: {error}") from error
    return rows.table


# --- XLSX ----------------------------------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _check_archive(data: bytes) -> None:
    """Refuse a workbook that would unpack to more than MAX_UNPACKED, or any part of it packed
    like a zip bomb, before anything is unpacked. The sizes checked are the ones the archive
    declares: ``zipfile`` never unpacks a part beyond its declared size (it stops there and the
    checksum fails), so a part that lies about its size is refused as broken."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as error:
        raise UnreadableFile(f"not a readable XLSX workbook ({error.__class__.__name__})") from error
    if len(parts) > MAX_PARTS:
        raise UnreadableFile(
            f"not a readable XLSX workbook: it holds {len(parts):,} parts; a workbook has a few dozen"
        )
    for part in parts:
        ratio = part.file_size // max(part.compress_size, 1)
        if part.file_size >= RATIO_FROM and ratio > MAX_RATIO:
            raise UnreadableFile(
                f"not a readable XLSX workbook: its part {part.filename[:100]!r} unpacks from "
                f"{part.compress_size:,} to {part.file_size:,} bytes ({ratio:,} times; real worksheets "
                "pack at most about 25 times): a zip bomb"
            )
    total = sum(part.file_size for part in parts)
    if total > MAX_UNPACKED:
        largest = max(parts, key=lambda part: part.file_size)
        raise UnreadableFile(
            f"the workbook unpacks to {total / 2**20:,.1f} MB (its part {largest.filename[:100]!r} "
            f"alone to {largest.file_size / 2**20:,.1f} MB); the limit is {MAX_UNPACKED / 2**20:,.4g} MB "
            "(METRICS_MAX_XLSX_UNPACKED_MB)"
        )


def _read_xlsx(data: bytes) -> Table:
    import openpyxl

    _check_archive(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=False, read_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise UnreadableFile(f"not a readable XLSX workbook ({error.__class__.__name__})") from error
    try:
        if not book.worksheets:
            raise UnreadableFile("the workbook has no worksheet")
        return _read_sheet(book, book.worksheets[0])
    finally:
        book.close()


def _read_sheet(book, sheet) -> Table:
    """The rows of ``sheet`` as they stand in its XML, read with openpyxl's own row parser (what
    ``iter_rows`` uses) but without padding: ``iter_rows`` fills every missing row and cell up to
    the sheet's declared dimension (``A1:XFD1048576`` makes that 17 billion cells), and its
    empty cells carry no row number."""
    from openpyxl.worksheet._reader import WorkSheetParser

    rows, previous = _Rows(), 0
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=False,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        try:
            for line, cells in parser.parse():
                if line <= previous:
                    order = "appears twice" if line == previous else f"comes after row {previous:,}"
                    raise UnreadableFile(f"not a readable XLSX workbook: row {line:,} {order}")
                if line > LAST_XLSX_ROW:
                    raise UnreadableFile(
                        f"not a readable XLSX workbook: row {line:,} is beyond a sheet's last row"
                    )
                previous = line
                rows.add(line, _row_values(line, cells, rows.table))
        except UnreadableFile:
            raise
        except Exception as error:  # a cell openpyxl cannot read (a broken number, a bad reference)
            why = f"{error.__class__.__name__}: {str(error)[:100]}"
            if "integer string conversion" in why:
                why = f"a number of more than {sys.get_int_max_str_digits():,} digits"
            raise UnreadableFile(
                f"not a readable XLSX workbook: row {parser.row_counter:,}: {why}"
            ) from error
    merged = parser.merged_cells.mergeCell if parser.merged_cells else []
    for shown, cells in enumerate(merged[:MAX_MERGED_SHOWN], 1):
        more = len(merged) - MAX_MERGED_SHOWN
        also = f" (and {more:,} more merged ranges)" if shown == MAX_MERGED_SHOWN and more > 0 else ""
        reason = f"merged cells {cells.coord}{also}; unmerge them and type the value in every cell"
        rows.table.refused.append((cells.min_row, cells.min_col - 1, reason))
    return rows.table


def _row_values(line: int, cells: list[dict], table: Table) -> list[str]:
    """The text of a row's cells by position; formulas noted in ``table``."""
    filled = {}
    for cell in cells:
        if cell["value"] is None or cell["value"] == "":
            continue
        position = cell["column"] - 1
        if position >= MAX_COLUMNS:
            where = f"row {line:,} has a value in {column_label(position)}"
            raise UnreadableFile(f"{where}; an import file has at most {MAX_COLUMNS} columns")
        if cell["data_type"] == "f":
            table.refused.append((line, position, "a formula; type the value itself"))
        filled[position] = _cell(cell["value"])
    values = [""] * (max(filled) + 1 if filled else 0)
    for position, value in filled.items():
        values[position] = value
    return values
