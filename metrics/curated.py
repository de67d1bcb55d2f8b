"""Read the curated CSVs of ``data/`` as the data dictionary describes them.

The dictionary (``data/dictionary.csv``) names every table, its columns in
order, their types, whether they are required and their allowed values. Tables
are read as text so that validation can report bad cells by file, row and
column before anything is converted.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from metrics import paths

# Tables in load order: each one only references tables before it.
TABLES = (
    "sources",
    "body_kinds",
    "bodies",
    "themes",
    "comparable_groups",
    "counters",
    "indicators",
    "measures",
    "figures",
    "targets",
    "events",
    "left_out",
    "number_words",
)


@dataclass(frozen=True)
class Column:
    table: str
    name: str
    type: str  # text | integer | number
    required: bool
    allowed: str  # '' | 'a|b|c' | 'ref:table.column' | 'iso_partial_date' | 'sha256'
    description: str

    @property
    def choices(self) -> tuple[str, ...]:
        if not self.allowed or ":" in self.allowed or "|" not in self.allowed:
            return ()
        return tuple(self.allowed.split("|"))

    @property
    def reference(self) -> tuple[str, str] | None:
        if not self.allowed.startswith("ref:"):
            return None
        table, column = self.allowed[4:].split(".")
        return table, column


def dictionary(path: Path = paths.DICTIONARY) -> dict[str, list[Column]]:
    """Columns of every table, in file order: ``{"figures": [Column, ...], ...}``."""
    columns: dict[str, list[Column]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            columns.setdefault(row["table"], []).append(
                Column(
                    table=row["table"],
                    name=row["column"],
                    type=row["type"],
                    required=row["required"] == "yes",
                    allowed=row["allowed"],
                    description=row["description"],
                )
            )
    return columns


class CsvShapeError(ValueError):
    """A file that cannot be read as a table: not UTF-8, or a record of the wrong width."""

    def __init__(self, path: Path, line: int, reason: str):
        self.path, self.line, self.reason = path, line, reason
        super().__init__(f"{path.name}:{line}: {reason}")


def read_csv_text(path: Path) -> pd.DataFrame:
    """A CSV as text cells ('' for empty), exactly as written, UTF-8 (BOM allowed).

    The index is the file line on which each record starts (the header is line 1),
    so problems can be reported by line even when a quoted cell spans lines.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            return _records(path, csv.reader(f))
    except UnicodeDecodeError as error:
        raise CsvShapeError(path, 1, f"not UTF-8 text ({error.reason} at byte {error.start})") from error


def _records(path: Path, reader) -> pd.DataFrame:
    header = next(reader, [])
    rows, lines = [], []
    start = reader.line_num + 1
    for record in reader:
        if len(record) != len(header):
            raise CsvShapeError(path, start, f"{len(record)} cells, but the header has {len(header)}")
        rows.append(record)
        lines.append(start)
        start = reader.line_num + 1
    return pd.DataFrame(rows, columns=header, index=pd.Index(lines, dtype="int64"), dtype=str)


def location(table: str, index) -> tuple[str, int]:
    """(file, line) of the DataFrame row ``index`` of ``table``.

    Curated rows are indexed by their line in ``<table>.csv``; rows from elsewhere (an import
    file, a stored batch) are indexed by a (file, line) tuple.
    """
    if isinstance(index, tuple):
        return index
    return f"{table}.csv", int(index)


def with_location(df: pd.DataFrame, file: str, lines) -> pd.DataFrame:
    """``df`` indexed by (file, line) tuples, so its problems are reported against ``file``."""
    out = df.copy()
    out.index = pd.Index([(file, int(line)) for line in lines], tupleize_cols=False)
    return out
