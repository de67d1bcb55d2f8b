"""Files of rows editors set beside the figures — targets (``metrics.targets``) and events
(``metrics.events``) — read through the store's one checked import like a figures file.

A side file is a CSV or XLSX file recognised by one column of its header (``SideFile.marker``).
``metrics.ingest.read`` hands it here; its rows become rows of one curated table (``table``) in
a batch of their own, checked like figures (every problem as ``file:row:column: reason``, named
by the file's columns) and rolled back like any batch. Each kind says only what is its own: its
columns (the template's), and how one row of cells becomes a table row (``SideFile.row``).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from metrics import curated, staging, tablefile
from metrics.validate import Problem

# row(cell, line, context, problem) -> the table row, or None when a name is unknown (its other
# cells are checked once it is known). ``context`` holds the existing tables' ids by name
# (``context["known"]``), the measures, the batch id and whatever the kind keeps across rows.
RowMaker = Callable[[dict[str, str], int, dict, Callable[[str, str], None]], dict | None]


@dataclass(frozen=True)
class SideFile:
    table: str  # the curated table its rows go to (and the noun of its messages)
    marker: str  # the header column that makes a file one of these
    columns: dict[str, tuple[bool, str]]  # column: (required, meaning), in the template's order
    file_column_of: dict[str, str]  # the table's column -> the file's column it is checked as
    row: RowMaker

    @property
    def required(self) -> list[str]:
        return [name for name, (required, _) in self.columns.items() if required]

    def is_one(self, table: tablefile.Table) -> bool:
        return self.marker in table.header


def kind_of(table: tablefile.Table) -> SideFile | None:
    """The kind of side file ``table`` is, or None for a figures file."""
    from metrics import events, targets

    return next((kind for kind in (targets.KIND, events.KIND) if kind.is_one(table)), None)


def to_tables(
    kind: SideFile,
    table: tablefile.Table,
    file_name: str,
    existing: dict[str, pd.DataFrame],
    batch_id: str,
    tables: tuple,
) -> tuple[dict[str, pd.DataFrame], list[Problem], dict[tuple[str, int], dict[str, str]]]:
    """The rows the file adds to each of ``tables`` (only ``kind.table`` has any), the problems
    of the file itself, and where each row's cells come from (for naming later problems)."""
    from metrics.ingest import Resolver  # the same names as figures: ids, Chinese and English

    problems = [
        Problem(file_name, line, _column(table.header, at), reason) for line, at, reason in table.refused
    ]
    problems += _header_problems(kind, table.header, file_name)
    context = {"known": Resolver(existing).ids, "measures": existing["measures"], "batch_id": batch_id}
    rows, lines, columns = [], [], {}
    for line, values in table.records:
        padded = values + [""] * (len(table.header) - len(values))
        cells = dict(zip(reversed(table.header), reversed(padded)))  # of two same names, the first
        cell = {name: cells.get(name, "").strip() for name in kind.columns}

        def problem(column: str, reason: str, line=line) -> None:
            problems.append(Problem(file_name, line, column, reason))

        made = kind.row(cell, line, context, problem)
        if made is None:
            continue
        rows.append(made)
        lines.append(line)
        columns[(kind.table, line)] = kind.file_column_of
    if not table.records:
        problems.append(Problem(file_name, 1, "", "no rows below the header"))
    out = {name: _frame(name, [], [], file_name) for name in tables}
    out[kind.table] = _frame(kind.table, rows, lines, file_name)
    return out, problems, columns


def named(ids: dict[str, str], what: str, name: str, problem) -> str | None:
    """The id ``name`` (an id, or a Chinese or English name) stands for; '' for an empty cell
    (the check of required cells reports it); None, with a problem, for an unknown name."""
    from metrics.ingest import close_name  # the same "did you mean" as figures

    if not name or name in ids:
        return ids.get(name, "")
    close = close_name(name, ids)
    problem(what, f"unknown {what} {name!r}" + (f" (did you mean {close!r}?)" if close else ""))
    return None


def _column(header: list[str], position: int) -> str:
    return (
        header[position] if position < len(header) and header[position] else tablefile.column_label(position)
    )


def _header_problems(kind: SideFile, header: list[str], file_name: str) -> list[Problem]:
    problems = []
    for position, name in enumerate(header):
        if name and name not in kind.columns:
            close = difflib.get_close_matches(name, list(kind.columns), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(Problem(file_name, 1, name, f"unknown column of a {kind.table} file{hint}"))
        elif name and header.index(name) != position:
            problems.append(Problem(file_name, 1, name, f"two columns are named {name!r}; keep one"))
    problems += [
        Problem(file_name, 1, name, "missing column") for name in kind.required if name not in header
    ]
    return problems


def _frame(table: str, rows: list[dict], lines: list[int], file_name: str) -> pd.DataFrame:
    names = [c.name for c in curated.dictionary()[table]]
    return curated.with_location(pd.DataFrame(rows, columns=names, dtype=str), file_name, lines)


def read_into(kind: SideFile, result, table: tablefile.Table, file_name: str, layout, base):
    """``result`` (a ``metrics.ingest.Checked`` with its batch id) filled from the table of a
    side file of ``kind``."""
    from metrics import batches, ingest

    columns = curated.dictionary(layout.data_dir / "dictionary.csv")
    existing = staging.read_frames(columns, layout.data_dir, layout.imports, ingest.EXISTING, base)
    result.rows = len(table.records)
    result.kind = kind.table
    result.tables, problems, result.columns = to_tables(
        kind, table, file_name, existing, result.batch_id, batches.TABLES
    )
    result.problems = sorted(set(problems))
    return result


def template(kind: SideFile, fmt: str = "csv") -> bytes:
    """An empty side file: CSV (UTF-8 with BOM) or XLSX with a sheet explaining every column."""
    from metrics import export

    empty = pd.DataFrame(columns=list(kind.columns))
    if fmt == "csv":
        return export.csv_bytes(empty)
    guide = pd.DataFrame(
        {
            "column": list(kind.columns),
            "required": ["yes" if required else "" for required, _ in kind.columns.values()],
            "meaning": [meaning for _, meaning in kind.columns.values()],
        }
    )
    return export.xlsx_bytes({kind.table: empty, "说明 guide": guide})
