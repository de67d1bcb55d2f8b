"""The curated CSVs, the stored batches and pending rows, loaded as text into DuckDB for checking.

Every table of the dictionary becomes ``<table>__text`` in the attached database ``staged``: its
columns as VARCHAR ('' for an empty cell), rows in the order they were added (curated file
first, then batches oldest first, then pending rows). The view ``<table>`` adds ``_pos``, the
row's position in that order. Where each position came from (file and line) is kept beside, so
a problem that SQL finds is reported at its line.

CSV files are read by DuckDB's own reader, which loads millions of rows in seconds into a
database file whose memory is capped (it spills to disk). A file whose records do not each
fill one line (a quoted cell spanning lines, a blank line), or that DuckDB's reader refuses,
is read by Python's csv module instead, which knows each record's line and says precisely why
a file cannot be read.
"""

from __future__ import annotations

import bisect
import csv
import itertools
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from metrics import batches, curated
from metrics.validate import Problem, did_you_mean

STAGE = "staged"
# DuckDB's memory for staging, checking and building; beyond it, it spills to the staging folder.
MEMORY_LIMIT = os.environ.get("METRICS_MEMORY_LIMIT", "1GB")


@dataclass(frozen=True)
class Origin:
    """Rows ``first`` .. ``first + rows - 1`` of a table came from ``file``: from ``first_line``
    on, one line each, or from the lines listed in ``lines``."""

    first: int
    rows: int
    file: str
    first_line: int = 0
    lines: tuple[int, ...] = ()

    def line(self, pos: int) -> int:
        return self.lines[pos - self.first] if self.lines else self.first_line + pos - self.first


def shape_problems(file: str, got: list[str], expected: list[str]) -> list:
    """A header must name exactly the dictionary's columns, in order."""
    problems = [Problem(file, 1, name, "missing column") for name in expected if name not in got]
    problems += [
        Problem(file, 1, name, f"unknown column{did_you_mean(name, expected)}")
        for name in got
        if name not in expected
    ]
    if not problems and got != expected:
        problems.append(Problem(file, 1, got[0], f"columns out of order; expected {','.join(expected)}"))
    return problems


class Staged:
    """Text tables in DuckDB, with the file and line of every row (see the module docstring).

    Use as a context manager: the staging database lives in a temporary folder (in ``folder``
    when given, so that it spills beside the database being built) and is removed on exit.
    """

    def __init__(self, columns: dict[str, list[curated.Column]], folder: Path | None = None):
        self.columns = columns
        self.origins: dict[str, list[Origin]] = {table: [] for table in curated.TABLES}
        self.problems: list[Problem] = []  # files that could not be read as their table
        self._dir = tempfile.TemporaryDirectory(prefix="staging-", dir=folder)
        self.con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": self._dir.name})
        self.con.execute("SET enable_progress_bar = false")
        self.con.execute(f"ATTACH ? AS {STAGE}", [str(Path(self._dir.name) / "staged.duckdb")])
        self.con.execute(f"USE {STAGE}")
        for table in curated.TABLES:
            cells = ", ".join(f'"{c.name}" VARCHAR NOT NULL' for c in columns[table])
            self.con.execute(f"CREATE TABLE {table}__text ({cells})")
            self.con.execute(f"CREATE VIEW {table} AS SELECT *, rowid AS _pos FROM {table}__text")

    def __enter__(self) -> Staged:
        return self

    def __exit__(self, *exc) -> None:
        self.con.close()
        self._dir.cleanup()

    # --- adding rows ------------------------------------------------------------------------------

    def names(self, table: str) -> list[str]:
        return [c.name for c in self.columns[table]]

    def count(self, table: str) -> int:
        return self.con.execute(f"SELECT count(*) FROM {table}__text").fetchone()[0]

    def add_csv(self, table: str, path: Path, file: str | None = None) -> None:
        """Add the rows of the CSV ``path``, reported as ``file`` (default: its name)."""
        file = file or path.name
        try:
            header = _header(path)
        except curated.CsvShapeError as error:
            self.problems.append(_problem(file, error.line, error.reason))
            return
        except OSError as error:
            self.problems.append(_problem(file, 1, error.strerror or str(error)))
            return
        wrong = shape_problems(file, header, self.names(table))
        if wrong:
            self.problems += wrong
            return
        first = self.count(table)
        if self._add_one_line_each(table, path, first):
            self.origins[table].append(Origin(first, self.count(table) - first, file, first_line=2))
            return
        try:
            frame = curated.read_csv_text(path)
        except curated.CsvShapeError as error:
            self.problems.append(_problem(file, error.line, error.reason))
            return
        self._insert(table, frame)
        self.origins[table].append(Origin(first, len(frame), file, lines=tuple(frame.index)))

    def _add_one_line_each(self, table: str, path: Path, first: int) -> bool:
        """Read ``path`` with DuckDB; keep the rows only if there is one per line after the header."""
        lines = _physical_lines(path)
        if lines is None:
            return False
        names = self.names(table)
        columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
        cells = ", ".join(f"coalesce(\"{n}\", '')" for n in names)
        self.con.execute("BEGIN")
        try:
            self.con.execute(
                f"INSERT INTO {table}__text SELECT {cells} FROM read_csv(?, columns = {columns}, "
                "header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
                "strict_mode = true)",
                [str(path)],
            )
        except duckdb.Error:
            self.con.execute("ROLLBACK")
            return False
        if self.count(table) - first != max(lines - 1, 0):
            self.con.execute("ROLLBACK")
            return False
        self.con.execute("COMMIT")
        return True

    def add_frame(self, table: str, frame: pd.DataFrame) -> None:
        """Add text rows indexed as ``curated.location`` reads them (a curated line or (file, line))."""
        wrong = shape_problems(f"{table}.csv", list(frame.columns), self.names(table))
        if wrong:
            self.problems += wrong
            return
        first = self.count(table)
        self._insert(table, frame)
        located = (curated.location(table, index) for index in frame.index)
        for file, run in itertools.groupby(located, key=lambda at: at[0]):
            lines = tuple(line for _, line in run)
            self.origins[table].append(Origin(first, len(lines), file, lines=lines))
            first += len(lines)

    def _insert(self, table: str, frame: pd.DataFrame) -> None:
        rows = frame.astype(str).reset_index(drop=True)  # noqa: F841 (read by DuckDB)
        self.con.execute(f"INSERT INTO {table}__text SELECT * FROM rows")

    # --- reading back -----------------------------------------------------------------------------

    def locate(self, table: str, pos: int) -> tuple[str, int]:
        """(file, line) of the row at position ``pos`` of ``table``."""
        origins = self.origins[table]
        origin = origins[bisect.bisect_right([o.first for o in origins], pos) - 1]
        return origin.file, origin.line(pos)

    def frame(self, table: str) -> pd.DataFrame:
        """A table's text cells, in order."""
        return self.con.execute(f"SELECT * EXCLUDE (_pos) FROM {table} ORDER BY _pos").df()


def stage(
    columns: dict[str, list[curated.Column]],
    data_dir: Path,
    imports_dir: Path,
    pending: dict[str, pd.DataFrame] | None = None,
    folder: Path | None = None,
    tables: tuple[str, ...] = curated.TABLES,
) -> Staged:
    """``tables`` of the curated data, then of every stored batch, then ``pending`` rows."""
    staged = Staged(columns, folder)
    try:
        for table in tables:
            staged.add_csv(table, data_dir / f"{table}.csv")
        for batch in batches.list_batches(imports_dir):
            for table in batches.TABLES:
                if table in tables:
                    path = imports_dir / batch.batch_id / f"{table}.csv"
                    staged.add_csv(table, path, f"{imports_dir.name}/{batch.batch_id}/{table}.csv")
        for table, frame in (pending or {}).items():
            if table in tables:
                staged.add_frame(table, frame)
    except BaseException:
        staged.__exit__()
        raise
    return staged


def read_frames(
    columns: dict[str, list[curated.Column]], data_dir: Path, imports_dir: Path, tables: tuple[str, ...]
) -> dict[str, pd.DataFrame]:
    """Some tables of the curated data and the stored batches, as text frames (unchecked)."""
    with stage(columns, data_dir, imports_dir, tables=tables) as staged:
        return {table: staged.frame(table) for table in tables}


def _problem(file: str, line: int, reason: str) -> Problem:
    return Problem(file, line, "", reason)


def _header(path: Path) -> list[str]:
    """The first record of a CSV, as Python's csv module reads it."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            return next(csv.reader(f), [])
    except UnicodeDecodeError as error:
        raise curated.CsvShapeError(
            path, 1, f"not UTF-8 text ({error.reason} at byte {error.start})"
        ) from error


def _physical_lines(path: Path) -> int | None:
    """Lines in the file (a last line without a newline counts), or None when a bare carriage
    return could end a line for one reader and not another."""
    newlines = returns = crlf = 0
    last = b""
    with path.open("rb") as f:
        while chunk := f.read(1 << 24):
            newlines += chunk.count(b"\n")
            returns += chunk.count(b"\r")
            crlf += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
            last = chunk[-1:]
    if returns != crlf:
        return None
    return newlines + (last not in (b"", b"\n"))
