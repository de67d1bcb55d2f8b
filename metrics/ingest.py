"""The import format: read a CSV or XLSX file of new figures and check it against the data.

The import format is one row per figure (see ``IMPORT_COLUMNS`` and ``python -m metrics
template``). Bodies, themes and indicators are given by id or by name (Chinese or English);
a row either names an existing ``measure_id`` or describes its measure, which is then found
or created. Every problem is reported as ``file:row:column: reason``. Nothing here writes:
``metrics.store.Store`` stores a batch only if every row passes, together with the curated
data and every batch stored before it.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pandas as pd

from metrics import batches, curated, database, staging, tablefile
from metrics.tablefile import MAX_BYTES, UnreadableFile
from metrics.validate import Problem

if TYPE_CHECKING:
    from metrics.store import Store as Layout  # its data, imports and sources folders

# column: (required, meaning). The order is the template's.
IMPORT_COLUMNS: dict[str, tuple[bool, str]] = {
    "body": (True, "单位：编号、全称或简称（如 tianjin / 天津市委 / 天津）"),
    "measure_id": (
        False,
        "已有事项的编号（更新已有数字时填写，如 tianjin_public_requests_closure）；留空则按下列字段查找或新建事项",
    ),
    "theme": (False, "主题（专项整治）：编号或名称；新事项必填"),
    "indicator": (False, "指标：编号或名称；新事项必填"),
    "measure_kind": (False, "事项类型：closure / count / change / share / amount / duration；新事项必填"),
    "label_zh": (False, "事项中文名称；新事项必填"),
    "label_en": (False, "事项英文名称；新事项必填"),
    "direction": (False, "哪个方向为好：up / down / none；新事项必填"),
    "role": (
        True,
        "数字的角色：total / closed / partly_closed / in_progress / before / after / change_pct / change_pp / value",
    ),
    "value": (True, "数值，换算为普通数字（1.33万 → 13300）；减少的百分比为负数"),
    "counter": (True, "量词，如 件、起、人、项、%"),
    "qualifier": (False, "exact（默认）/ more_than / at_least / about / less_than"),
    "as_written": (True, "原文写法，如 621件、3000多个"),
    "as_of": (True, "截至日期：YYYY、YYYY-MM 或 YYYY-MM-DD"),
    "period": (False, "原文期间表述，如 今年6月以来"),
    "evidence": (True, "原文依据（逐字引用，须包含原文写法）"),
    "source_id": (False, "已有来源的编号；或留空并填写下列来源字段"),
    "source_title": (False, "新来源的标题（无 source_id 时必填，下列三项同）"),
    "source_publisher": (False, "新来源的发布者"),
    "source_published": (False, "新来源的日期：YYYY、YYYY-MM 或 YYYY-MM-DD"),
    "source_reference": (False, "新来源的出处（文号、网址等）"),
    "note": (False, "备注"),
}
# Where a problem found in a stored table is shown in the import file.
IMPORT_COLUMN_OF = {
    "measures": {"body_id": "body", "theme_id": "theme", "indicator_id": "indicator", "kind": "measure_kind"},
    "sources": {
        "title": "source_title",
        "publisher": "source_publisher",
        "published": "source_published",
        "reference": "source_reference",
    },
}
REQUIRED = [name for name, (required, _) in IMPORT_COLUMNS.items() if required]
FORMULA = re.compile(r"^[=+@]|^-[^0-9.]")


@dataclass
class Checked:
    """Result of checking an import file: the batch it would add, or the problems."""

    file_name: str
    sha256: str
    batch_id: str
    rows: int
    problems: list[Problem] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    duplicate_of: str | None = None  # a stored batch with the same bytes

    @property
    def ok(self) -> bool:
        return not self.problems


# --- reading ---------------------------------------------------------------------------------------


def read_rows(data: bytes, file_name: str) -> tuple[pd.DataFrame, list[Problem]]:
    """The import file as text cells indexed by file line, and the problems of its shape."""
    if not data.strip():
        raise UnreadableFile("the file is empty")
    table = tablefile.read(data, file_name)
    header, records, known = table.header, table.records, list(IMPORT_COLUMNS)
    if not any(header):
        reason = f"row 1 is empty; it must name the columns ({', '.join(REQUIRED)}, …: see the template)"
        return pd.DataFrame(columns=known), [Problem(file_name, 1, "", reason)]

    def column(line: int, position: int) -> str:
        name = header[position] if line > 1 and position < len(header) else ""
        return name or tablefile.column_label(position)

    problems = [Problem(file_name, line, column(line, at), reason) for line, at, reason in table.refused]
    problems += _header_problems(header, records, file_name)
    if problems and not records:
        return pd.DataFrame(columns=known), problems
    rows, lines = [], []
    for line, values in records:
        if len(values) > len(header) and any(values[len(header) :]):
            problems.append(
                Problem(file_name, line, "", f"{len(values)} cells, but the header has {len(header)}")
            )
        padded = values + [""] * (len(header) - len(values))
        # Built from the right, so that of columns of one name (a problem) the first counts.
        cells = dict(zip(reversed(header), reversed(padded[: len(header)])))
        rows.append({name: cells.get(name, "") for name in known})
        lines.append(line)
    if not rows:
        problems.append(Problem(file_name, 1, "", "no rows below the header"))
    frame = pd.DataFrame(rows, columns=known, dtype=str)
    frame.index = pd.Index(lines, dtype="int64")
    return frame, problems


def _header_problems(
    header: list[str], records: list[tuple[int, list[str]]], file_name: str
) -> list[Problem]:
    """Unknown, missing, repeated and unnamed columns (an unnamed one only if it holds values)."""
    problems, known = [], list(IMPORT_COLUMNS)
    positions: dict[str, list[int]] = {}
    for position, name in enumerate(header):
        positions.setdefault(name, []).append(position)
    for name, found in positions.items():
        if not name:
            for position in found:
                line = next(
                    (line for line, values in records if position < len(values) and values[position]), 0
                )
                if line:
                    reason = f"the column has no name, but row {line} has a value in it; name it or delete it"
                    problems.append(Problem(file_name, 1, tablefile.column_label(position), reason))
            continue
        if name not in IMPORT_COLUMNS:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(Problem(file_name, 1, name, f"unknown column{hint}"))
        if len(found) > 1:
            places = [tablefile.column_label(position) for position in found]
            reason = f"{len(found)} columns are named {name!r}: {', '.join(places[:-1])} and {places[-1]}; keep one"
            problems.append(Problem(file_name, 1, name, reason))
    for name in REQUIRED:
        if name not in positions:
            problems.append(Problem(file_name, 1, name, "missing column"))
    return problems


# --- resolving names -------------------------------------------------------------------------------


def _lookup(frame: pd.DataFrame, id_column: str, name_columns: list[str]) -> dict[str, str]:
    """Every id and name (any language) -> id."""
    found = {}
    for column in [id_column, *name_columns]:
        found.update({str(k): i for k, i in zip(frame[column], frame[id_column], strict=True) if k})
    return found


class Resolver:
    """Turns names in import rows into ids, with a 'did you mean' for near misses."""

    def __init__(self, tables: dict[str, pd.DataFrame]):
        self.ids = {
            "body": _lookup(tables["bodies"], "body_id", ["name_zh", "short_zh", "name_en", "short_en"]),
            "theme": _lookup(tables["themes"], "theme_id", ["name_zh", "name_en"]),
            "indicator": _lookup(tables["indicators"], "indicator_id", ["name_zh", "name_en"]),
        }

    def __call__(self, kind: str, value: str) -> tuple[str | None, str | None]:
        """(id, None) or (None, reason)."""
        if value in self.ids[kind]:
            return self.ids[kind][value], None
        close = difflib.get_close_matches(value, list(self.ids[kind]), n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return None, f"unknown {kind} {value!r}{hint}"


def _lists(frame: pd.DataFrame, *columns: str) -> list[list]:
    """Columns as lists (through NumPy: a text column's own tolist walks it cell by cell)."""
    return [frame[column].to_numpy(dtype=object).tolist() for column in columns]


def _slug(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:10]


def to_tables(
    rows: pd.DataFrame, file_name: str, existing: dict[str, pd.DataFrame], batch_id: str
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """The rows an import adds to sources, measures and figures, indexed by import line."""
    resolve = Resolver(existing)
    problems: list[Problem] = []
    measures = existing["measures"]
    body_of = dict(zip(*_lists(measures, "measure_id", "body_id"), strict=True))
    keys = _lists(measures, "body_id", "theme_id", "indicator_id", "label_zh")
    measure_keys = dict(zip(zip(*keys, strict=True), *_lists(measures, "measure_id"), strict=True))
    known_sources = set(*_lists(existing["sources"], "source_id"))
    new_measures, new_sources, figures = {}, {}, []
    seen_rows: dict[tuple, int] = {}

    # Plain tuples from column lists: pandas' per-row access costs more than all the checks below.
    columns = list(rows.columns)
    row = namedtuple("Row", columns)
    for line, r in zip(rows.index.tolist(), map(row._make, zip(*_lists(rows, *columns))), strict=True):

        def problem(column: str, reason: str, line=line) -> None:
            problems.append(Problem(file_name, int(line), column, reason))

        key = tuple(r)
        if key in seen_rows:
            problem("", f"duplicate of row {seen_rows[key]}")
            continue
        seen_rows[key] = int(line)
        for column, value in zip(columns, r, strict=True):
            if FORMULA.match(value) and not re.fullmatch(r"[+-]?\d+(\.\d+)?%?", value):
                problem(column, f"{value!r} looks like a spreadsheet formula; type the value itself")
        body, reason = resolve("body", r.body)
        if reason:
            problem("body", reason)
            continue
        measure_id = r.measure_id
        if measure_id:
            if measure_id not in body_of and measure_id not in new_measures:
                close = difflib.get_close_matches(measure_id, list(body_of), n=1)
                problem(
                    "measure_id",
                    f"unknown measure_id {measure_id!r}"
                    + (f" (did you mean {close[0]!r}?)" if close else ""),
                )
                continue
            if measure_id in body_of and body_of[measure_id] != body:
                problem(
                    "measure_id", f"measure {measure_id!r} belongs to {body_of[measure_id]!r}, not {body!r}"
                )
                continue
        else:
            theme, why_theme = resolve("theme", r.theme) if r.theme else (None, "required for a new measure")
            indicator, why_indicator = (
                resolve("indicator", r.indicator) if r.indicator else (None, "required for a new measure")
            )
            if why_theme:
                problem("theme", why_theme)
            if why_indicator:
                problem("indicator", why_indicator)
            if not r.label_zh:
                problem("label_zh", "required for a new measure (or give measure_id)")
            if why_theme or why_indicator or not r.label_zh:
                continue
            measure_id = measure_keys.get((body, theme, indicator, r.label_zh))
            if measure_id is None:
                measure_id = f"{body}_{_slug(theme, indicator, r.label_zh)}"
                measure_keys[(body, theme, indicator, r.label_zh)] = measure_id
                new_measures[measure_id] = (
                    line,
                    {
                        "measure_id": measure_id,
                        "body_id": body,
                        "theme_id": theme,
                        "indicator_id": indicator,
                        "kind": r.measure_kind,
                        "label_zh": r.label_zh,
                        "label_en": r.label_en,
                        "direction": r.direction,
                        "note": "",
                    },
                )
        source_id = r.source_id
        if not source_id:
            if not r.source_title:
                problem("source_id", "give an existing source_id or a new source_title")
                continue
            source_id = f"import_{_slug(r.source_title, r.source_reference)}"
        if source_id not in known_sources and source_id not in new_sources:
            if not r.source_title:
                close = difflib.get_close_matches(source_id, list(known_sources), n=1)
                problem(
                    "source_id",
                    f"unknown source_id {source_id!r}" + (f" (did you mean {close[0]!r}?)" if close else ""),
                )
                continue
            new_sources[source_id] = (
                line,
                {
                    "source_id": source_id,
                    "title": r.source_title,
                    "publisher": r.source_publisher,
                    "published": r.source_published,
                    "reference": r.source_reference,
                    "file_name": "",
                    "sha256": "",
                    "note": f"imported from {file_name}",
                },
            )
        figures.append(
            (
                line,
                {
                    "figure_id": f"{batch_id}_{int(line)}",
                    "measure_id": measure_id,
                    "role": r.role,
                    "value": r.value,
                    "counter": r.counter,
                    "qualifier": r.qualifier or "exact",
                    "as_written": r.as_written,
                    "as_of": r.as_of,
                    "period": r.period,
                    "source_id": source_id,
                    "evidence": r.evidence,
                    "note": r.note,
                },
            )
        )

    def frame(table: str, entries) -> pd.DataFrame:
        columns = [c.name for c in curated.dictionary()[table]]
        entries = list(entries)
        df = pd.DataFrame([row for _, row in entries], columns=columns, dtype=str)
        return curated.with_location(df, file_name, [line for line, _ in entries])

    tables = {
        "sources": frame("sources", new_sources.values()),
        "measures": frame("measures", new_measures.values()),
        "figures": frame("figures", figures),
    }
    return tables, problems


def _in_import_terms(problem: Problem, file_name: str) -> Problem:
    """A problem found in a generated table row, named by the import file's column."""
    if problem.file != file_name:
        return problem
    for mapping in IMPORT_COLUMN_OF.values():
        if problem.column in mapping:
            return Problem(problem.file, problem.row, mapping[problem.column], problem.reason)
    return problem


# --- checking an import against the data --------------------------------------------------------


def new_batch_id(sha256: str, stored: list[batches.Batch]) -> str:
    """'b0003_20191101T080000_bbd63e8d': a sequence number (so batches list in import order),
    the time and the file's hash. Only the store's writer hands them out, under its lock."""
    number = max((int(b.batch_id[1:5]) for b in stored if b.batch_id[1:5].isdigit()), default=0) + 1
    return f"b{number:04d}_{datetime.now(UTC):%Y%m%dT%H%M%S}_{sha256[:8]}"


EXISTING = ("sources", "bodies", "themes", "indicators", "measures")  # what to_tables resolves against


def read(data: bytes, file_name: str, layout: Layout, base: staging.Cache | None) -> Checked:
    """The import's rows as table rows, with the problems found in the file itself (not yet
    against the data as a whole), and a batch id. Raises UnreadableFile when the file is not a
    table at all."""
    if len(data) > MAX_BYTES:
        raise UnreadableFile(
            f"the file is {len(data) / 2**20:.1f} MB; the limit is {MAX_BYTES / 2**20:.0f} MB"
        )
    digest = hashlib.sha256(data).hexdigest()
    result = Checked(file_name=file_name, sha256=digest, batch_id="", rows=0)
    stored = batches.list_batches(layout.imports)
    for batch in stored:
        if batch.sha256 == digest:
            result.duplicate_of = batch.batch_id
            return result
    result.batch_id = new_batch_id(digest, stored)
    rows, result.problems = read_rows(data, file_name)
    result.rows = len(rows)
    columns = curated.dictionary(layout.data_dir / "dictionary.csv")
    existing = staging.read_frames(columns, layout.data_dir, layout.imports, EXISTING, base)
    result.tables, problems = to_tables(rows, file_name, existing, result.batch_id)
    result.problems = sorted(set(result.problems + problems))
    return result


def with_data_problems(result: Checked, error: database.DataError) -> Checked:
    """``result`` with the problems a check of all the data found, named in the import's terms."""
    found = [_in_import_terms(p, result.file_name) for p in error.problems]
    result.problems = sorted(set(result.problems + found))
    return result


def against_data(result: Checked, layout: Layout, base: staging.Cache | None) -> Checked:
    """``result`` with the problems its rows have together with all the data stored (the
    cached ``base`` of the last build, when it is still true to the data, and only the
    import's rows checked against it)."""
    try:
        with database.checked(
            layout.data_dir,
            layout.sources_dir,
            layout.require_texts,
            layout.imports,
            result.tables,
            base=base,
        ):
            pass
    except database.DataError as error:
        with_data_problems(result, error)
    return result


def template(fmt: str = "csv") -> bytes:
    """An empty import file: CSV (UTF-8 with BOM) or XLSX with a sheet explaining every column."""
    from metrics import export

    empty = pd.DataFrame(columns=list(IMPORT_COLUMNS))
    if fmt == "csv":
        return export.csv_bytes(empty)
    guide = pd.DataFrame(
        {
            "column": list(IMPORT_COLUMNS),
            "required": ["yes" if required else "" for required, _ in IMPORT_COLUMNS.values()],
            "meaning": [meaning for _, meaning in IMPORT_COLUMNS.values()],
        }
    )
    return export.xlsx_bytes({"figures": empty, "说明 guide": guide})
