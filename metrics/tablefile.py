"""Read a CSV or XLSX file that people bring into text cells, safely.

``read`` gives the header, the records (file line, cells) and the cells that hold formulas;
``UnreadableFile`` says why a file is not a table at all. Nothing here knows the import
format's columns (``metrics.ingest``).
"""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime

from metrics.textio import decode

MAX_BYTES = int(float(os.environ.get("METRICS_MAX_IMPORT_MB", "20")) * 1024 * 1024)
XLSX_MAGIC = b"PK\x03\x04"


class UnreadableFile(Exception):
    """The file cannot be read as a table at all (exit status 2)."""


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def _read_xlsx(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]], list[tuple[int, str]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=False, read_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise UnreadableFile(f"not a readable XLSX workbook ({error.__class__.__name__})") from error
    sheet = book.worksheets[0]
    rows = sheet.iter_rows()
    header_cells = next(rows, None)
    if header_cells is None:
        raise UnreadableFile("the first sheet is empty")
    header = [_cell(c.value) for c in header_cells]
    records, formulas = [], []
    for cells in rows:
        line = cells[0].row
        values = []
        for position, c in enumerate(cells):
            if c.data_type == "f":
                formulas.append((line, header[position] if position < len(header) else str(position + 1)))
            values.append(_cell(c.value))
        if any(values):
            records.append((line, values))
    return header, records, formulas


def _read_csv(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]], list]:
    try:
        text = decode(data)
    except ValueError as error:
        raise UnreadableFile(str(error)) from error
    if "\x00" in text:
        raise UnreadableFile("it holds NUL bytes: a binary file, not a text table")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
        records, start = [], reader.line_num + 1
        for record in reader:
            if any(cell.strip() for cell in record):
                records.append((start, [cell.strip() for cell in record]))
            start = reader.line_num + 1
    except csv.Error as error:
        raise UnreadableFile(f"not a CSV table: {error}") from error
    return header, records, []


def read(data: bytes, file_name: str) -> tuple[list[str], list[tuple[int, list[str]]], list[tuple[int, str]]]:
    """(header, records as (line, cells), formula cells as (line, column)) of a CSV or XLSX file."""
    is_xlsx = data.startswith(XLSX_MAGIC) or file_name.lower().endswith((".xlsx", ".xlsm"))
    return _read_xlsx(data) if is_xlsx else _read_csv(data)
