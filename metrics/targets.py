"""The targets file: editors set targets (办结率 ≥ 90% by a date) per indicator, or per body and
indicator, through the store's one checked import (``metrics.store.Store.import_file``).

A targets file is a CSV or XLSX file whose header has the column ``comparison`` (see
``TARGET_COLUMNS`` and ``template``); ``metrics.ingest.read`` hands such a file here. Its rows
become rows of the ``targets`` table (data/dictionary.csv) in a batch of their own, checked like
figures (every problem as ``file:row:column: reason``, named by the file's columns) and rolled
back like any batch. How a target lights a measure: ``metrics.progress``.
"""

from __future__ import annotations

import difflib

import pandas as pd

from metrics import curated, staging, tablefile
from metrics.validate import Problem

# column: (required, meaning). The order is the template's.
TARGET_COLUMNS: dict[str, tuple[bool, str]] = {
    "indicator": (True, "指标：编号或名称（如 inspection_feedback_closure / 巡视督察反馈问题整改）"),
    "body": (False, "单位：编号、全称或简称；留空则对报告该指标的所有单位适用（单位自己的目标优先）"),
    "comparison": (True, "at_least（不低于，≥）或 at_most（不高于，≤）"),
    "target": (True, "目标值：完成率、占比以百分数填写（90 表示 90%）；数量按其量词"),
    "counter": (True, "目标值的量词：完成率、占比填 %；数量填 件、人 等（同一量词类别的数字适用）"),
    "deadline": (False, "完成期限：YYYY-MM-DD（YYYY、YYYY-MM 指该年、该月最后一天）；留空则无期限"),
    "note": (False, "目标出处或说明"),
}
REQUIRED = [name for name, (required, _) in TARGET_COLUMNS.items() if required]
COMPARISONS = {
    "at_least": "at_least",
    "≥": "at_least",
    ">=": "at_least",
    "不低于": "at_least",
    "at_most": "at_most",
    "≤": "at_most",
    "<=": "at_most",
    "不高于": "at_most",
}
# Where a targets row's cell is checked as a column of the targets table: the file's column.
FILE_COLUMN_OF = {"indicator_id": "indicator", "body_id": "body", "value": "target"}
RATE_KINDS = {"closure", "share"}  # measures whose value is a percent


def is_targets_file(table: tablefile.Table) -> bool:
    """Whether a table read from an import file is a targets file (it has ``comparison``)."""
    return "comparison" in table.header


def to_tables(
    table: tablefile.Table, file_name: str, existing: dict[str, pd.DataFrame], batch_id: str, tables: tuple
) -> tuple[dict[str, pd.DataFrame], list[Problem], dict[tuple[str, int], dict[str, str]]]:
    """The rows the file adds to each of ``tables`` (only ``targets`` has any), the problems of
    the file itself, and where each row's cells come from (for naming later problems)."""
    from metrics.ingest import Resolver  # the same names as figures: ids, Chinese and English

    problems = [
        Problem(file_name, line, _column(table.header, at), reason) for line, at, reason in table.refused
    ]
    problems += _header_problems(table.header, file_name)
    known = Resolver(existing).ids
    measures = existing["measures"]
    rows, lines, columns = [], [], {}
    seen: dict[tuple[str, str, str], int] = {}
    for line, values in table.records:
        padded = values + [""] * (len(table.header) - len(values))
        cells = dict(zip(reversed(table.header), reversed(padded)))  # of two same names, the first
        cell = {name: cells.get(name, "").strip() for name in TARGET_COLUMNS}

        def problem(column: str, reason: str, line=line) -> None:
            problems.append(Problem(file_name, line, column, reason))

        indicator = _named(known["indicator"], "indicator", cell["indicator"], problem)
        body = _named(known["body"], "body", cell["body"], problem) if cell["body"] else ""
        if indicator is None or body is None:
            continue  # its other cells are checked once its names are known
        if indicator:
            _fits_measures(measures, indicator, body, cell["counter"], problem)
            key = (indicator, body, cell["counter"])
            if key in seen:
                problem(
                    "indicator",
                    f"a second target for this indicator, body and counter (row {seen[key]}); keep one",
                )
            seen.setdefault(key, line)
        rows.append(
            {
                "target_id": f"target_{batch_id}_r{line:05d}",
                "indicator_id": indicator,
                "body_id": body,
                "comparison": COMPARISONS.get(cell["comparison"], cell["comparison"]),
                "value": cell["target"],
                "counter": cell["counter"],
                "deadline": cell["deadline"],
                "note": cell["note"],
            }
        )
        lines.append(line)
        columns[("targets", line)] = FILE_COLUMN_OF
    if not table.records:
        problems.append(Problem(file_name, 1, "", "no rows below the header"))
    out = {name: _frame(name, [], [], file_name) for name in tables}
    out["targets"] = _frame("targets", rows, lines, file_name)
    return out, problems, columns


def _named(ids: dict[str, str], what: str, name: str, problem) -> str | None:
    """The id ``name`` (an id, or a Chinese or English name) stands for; '' for an empty cell
    (the check of required cells reports it); None, with a problem, for an unknown name."""
    from metrics.ingest import close_name  # the same "did you mean" as figures

    if not name or name in ids:
        return ids.get(name, "")
    close = close_name(name, ids)
    problem(what, f"unknown {what} {name!r}" + (f" (did you mean {close!r}?)" if close else ""))
    return None


def _fits_measures(measures: pd.DataFrame, indicator: str, body: str, counter: str, problem) -> None:
    """A target must light something: a measure of its indicator (and body), in its terms."""
    mine = measures[measures.indicator_id == indicator]
    if body:
        mine = mine[mine.body_id == body]
    if mine.empty:
        where = "body" if body else "indicator"
        problem(
            where,
            "no measure of this indicator"
            + (" for this body" if body else "")
            + ": the target would light nothing",
        )
    elif counter and counter != "%" and set(mine.kind) <= RATE_KINDS:
        problem(
            "counter",
            f"the measures of this indicator are rates in percent: the counter is %, not {counter!r}",
        )


def _column(header: list[str], position: int) -> str:
    return (
        header[position] if position < len(header) and header[position] else tablefile.column_label(position)
    )


def _header_problems(header: list[str], file_name: str) -> list[Problem]:
    problems = []
    for position, name in enumerate(header):
        if name and name not in TARGET_COLUMNS:
            close = difflib.get_close_matches(name, list(TARGET_COLUMNS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(Problem(file_name, 1, name, f"unknown column of a targets file{hint}"))
        elif name and header.index(name) != position:
            problems.append(Problem(file_name, 1, name, f"two columns are named {name!r}; keep one"))
    problems += [Problem(file_name, 1, name, "missing column") for name in REQUIRED if name not in header]
    return problems


def _frame(table: str, rows: list[dict], lines: list[int], file_name: str) -> pd.DataFrame:
    names = [c.name for c in curated.dictionary()[table]]
    return curated.with_location(pd.DataFrame(rows, columns=names, dtype=str), file_name, lines)


def read_into(result, table: tablefile.Table, file_name: str, layout, base: staging.Cache | None):
    """``result`` (a ``metrics.ingest.Checked`` with its batch id) filled from the table of a
    targets file."""
    from metrics import batches, ingest

    columns = curated.dictionary(layout.data_dir / "dictionary.csv")
    existing = staging.read_frames(columns, layout.data_dir, layout.imports, ingest.EXISTING, base)
    result.rows = len(table.records)
    result.tables, problems, result.columns = to_tables(
        table, file_name, existing, result.batch_id, batches.TABLES
    )
    result.problems = sorted(set(problems))
    return result


def template(fmt: str = "csv") -> bytes:
    """An empty targets file: CSV (UTF-8 with BOM) or XLSX with a sheet explaining every column."""
    from metrics import export

    empty = pd.DataFrame(columns=list(TARGET_COLUMNS))
    if fmt == "csv":
        return export.csv_bytes(empty)
    guide = pd.DataFrame(
        {
            "column": list(TARGET_COLUMNS),
            "required": ["yes" if required else "" for required, _ in TARGET_COLUMNS.values()],
            "meaning": [meaning for _, meaning in TARGET_COLUMNS.values()],
        }
    )
    return export.xlsx_bytes({"targets": empty, "说明 guide": guide})
