"""Take in a batch of new figures from a CSV or XLSX file: read, check, store, roll back.

The import format is one row per figure (see ``IMPORT_COLUMNS`` and ``python -m metrics
template``). Bodies, themes and indicators are given by id or by name (Chinese or English);
a row either names an existing ``measure_id`` or describes its measure, which is then found
or created. Every problem is reported as ``file:row:column: reason`` and the import is all or
nothing: the batch is written only if every row passes, together with the curated data and
every batch stored before it.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from metrics import batches, curated, paths, staging, store, tablefile
from metrics.tablefile import MAX_BYTES, UnreadableFile
from metrics.validate import Problem

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
FORMULA = re.compile(r"^[=+@]|^-[^0-9.]")


class StoreError(Exception):
    """The store cannot be changed (not writable, or a rollback that later batches rely on);
    nothing was changed."""


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
    header, records, formulas = tablefile.read(data, file_name)
    problems = [
        Problem(file_name, line, column, "a formula; type the value itself") for line, column in formulas
    ]
    known = list(IMPORT_COLUMNS)
    for name in header:
        if name not in IMPORT_COLUMNS:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(Problem(file_name, 1, name or "(empty)", f"unknown column{hint}"))
    for name, (required, _) in IMPORT_COLUMNS.items():
        if required and name not in header:
            problems.append(Problem(file_name, 1, name, "missing column"))
    if problems and not records:
        return pd.DataFrame(columns=known), problems
    rows, lines = [], []
    for line, values in records:
        if len(values) > len(header) and any(values[len(header) :]):
            problems.append(
                Problem(file_name, line, "", f"{len(values)} cells, but the header has {len(header)}")
            )
        cells = dict(zip(header, values + [""] * (len(header) - len(values))))
        rows.append({name: cells.get(name, "") for name in known})
        lines.append(line)
    if not rows:
        problems.append(Problem(file_name, 1, "", "no rows below the header"))
    frame = pd.DataFrame(rows, columns=known, dtype=str)
    frame.index = pd.Index(lines, dtype="int64")
    return frame, problems


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


# --- the import --------------------------------------------------------------------------------------


def new_batch_id(sha256: str, imports_dir: Path) -> str:
    """'b0003_20191101T080000_bbd63e8d': a sequence number (so batches list in import order),
    the time and the file's hash."""
    stored = batches.list_batches(imports_dir)
    number = max((int(b.batch_id[1:5]) for b in stored if b.batch_id[1:5].isdigit()), default=0) + 1
    return f"b{number:04d}_{datetime.now(UTC):%Y%m%dT%H%M%S}_{sha256[:8]}"


EXISTING = ("sources", "bodies", "themes", "indicators", "measures")  # what to_tables resolves against


def _read(data: bytes, file_name: str, data_dir: Path, imports_dir: Path, base) -> Checked:
    """The import's rows as table rows, with the problems found in the file itself (not yet
    against the data as a whole). Raises UnreadableFile when the file is not a table at all."""
    if len(data) > MAX_BYTES:
        raise UnreadableFile(
            f"the file is {len(data) / 2**20:.1f} MB; the limit is {MAX_BYTES / 2**20:.0f} MB"
        )
    digest = hashlib.sha256(data).hexdigest()
    result = Checked(file_name=file_name, sha256=digest, batch_id="", rows=0)
    for batch in batches.list_batches(imports_dir):
        if batch.sha256 == digest:
            result.duplicate_of = batch.batch_id
            return result
    result.batch_id = new_batch_id(digest, imports_dir)
    rows, result.problems = read_rows(data, file_name)
    result.rows = len(rows)
    columns = curated.dictionary(data_dir / "dictionary.csv")
    existing = staging.read_frames(columns, data_dir, imports_dir, EXISTING, base)
    result.tables, problems = to_tables(rows, file_name, existing, result.batch_id)
    result.problems = sorted(set(result.problems + problems))
    return result


def _with_data_problems(result: Checked, error: store.DataError) -> Checked:
    found = [_in_import_terms(p, result.file_name) for p in error.problems]
    result.problems = sorted(set(result.problems + found))
    return result


def _against_data(
    result: Checked, data_dir: Path, sources_dir: Path | None, imports_dir: Path, base
) -> Checked:
    """``result`` with the problems its rows have together with all the data stored (the
    cached ``base`` of the last build, when it is still true to the data, and only the
    import's rows checked against it)."""
    sources_dir = sources_dir or paths.sources_dir()
    try:
        with store.checked(
            data_dir, sources_dir, store.require_source_texts(), imports_dir, result.tables, base=base
        ):
            pass
    except store.DataError as error:
        _with_data_problems(result, error)
    return result


def check(
    data: bytes,
    file_name: str,
    data_dir: Path = paths.DATA_DIR,
    sources_dir: Path | None = None,
    imports_dir: Path | None = None,
    db_path: Path | None = None,
) -> Checked:
    """Every problem of an import file, against the curated data and the stored batches.

    Raises UnreadableFile when the file is not a table at all.
    """
    imports_dir = imports_dir or paths.imports_dir(data_dir)
    base = store.cache_for(Path(db_path or paths.default_db()), data_dir, imports_dir)
    result = _read(data, file_name, data_dir, imports_dir, base)
    return result if result.duplicate_of else _against_data(result, data_dir, sources_dir, imports_dir, base)


def import_file(
    data: bytes,
    file_name: str,
    db_path: Path | None = None,
    data_dir: Path = paths.DATA_DIR,
    sources_dir: Path | None = None,
    imports_dir: Path | None = None,
    progress: Callable[[float], None] = lambda done: None,
) -> tuple[Checked, batches.Batch | None]:
    """Check and, when every row passes, store the batch and rebuild the database atomically
    (the build checks the batch with everything else, once).

    Returns the check and the stored batch (None when nothing was written: problems, or the
    same file was imported before).
    """
    imports_dir = imports_dir or paths.imports_dir(data_dir)
    progress(0.05)
    base = store.cache_for(Path(db_path or paths.default_db()), data_dir, imports_dir)
    checked = _read(data, file_name, data_dir, imports_dir, base)
    if checked.duplicate_of:
        return checked, None
    if not checked.ok:  # report every problem, as a dry run would
        return _against_data(checked, data_dir, sources_dir, imports_dir, base), None
    progress(0.2)
    batch = batches.Batch(
        batch_id=checked.batch_id,
        file_name=Path(file_name).name,
        sha256=checked.sha256,
        imported_at=datetime.now(UTC).isoformat(timespec="seconds"),
        rows=len(checked.tables["figures"]),
    )
    plain = {table: frame.reset_index(drop=True) for table, frame in checked.tables.items()}
    try:
        _build_with_batch(db_path, data_dir, sources_dir, imports_dir, checked, batch, plain)
    except store.DataError as error:
        return _with_data_problems(checked, error), None
    except OSError as error:
        raise StoreError(f"cannot write the store: {error}; nothing was imported") from error
    progress(1.0)
    return checked, batch


def _build_with_batch(db_path, data_dir, sources_dir, imports_dir, checked, batch, plain) -> None:
    # Where the batch's rows will be read from at the next build, if one line each: then the
    # staged rows of this build can be kept for the next import (see store.build).
    one_line = not any(frame[c].str.contains("[\r\n]").any() for frame in plain.values() for c in frame)
    stored = {table: f"{imports_dir.name}/{batch.batch_id}/{table}.csv" for table in batches.TABLES}
    store.build(
        db_path,
        data_dir=data_dir,
        sources_dir=sources_dir,
        imports_dir=imports_dir,
        pending=checked.tables,
        before_swap=lambda: batches.write(imports_dir, batch, plain),
        stored=stored if one_line else None,
    )


def rollback(
    batch_id: str,
    db_path: Path | None = None,
    data_dir: Path = paths.DATA_DIR,
    sources_dir: Path | None = None,
    imports_dir: Path | None = None,
) -> batches.Batch:
    """Remove exactly one batch and rebuild; if the rebuild fails the batch is put back."""
    imports_dir = imports_dir or paths.imports_dir(data_dir)
    stored = {b.batch_id: b for b in batches.list_batches(imports_dir)}
    if batch_id not in stored:
        raise KeyError(f"no batch {batch_id!r}; see `python -m metrics batches`")
    aside = batches.set_aside(imports_dir, batch_id)
    try:
        store.build(db_path, data_dir=data_dir, sources_dir=sources_dir, imports_dir=imports_dir)
    except store.DataError as error:
        batches.restore(imports_dir, aside)
        raise StoreError(
            f"batch {batch_id} cannot be rolled back alone: later data relies on it "
            f"(roll those batches back first); nothing was written: "
            + "; ".join(map(str, error.problems[:5]))
        ) from error
    except OSError as error:
        batches.restore(imports_dir, aside)
        raise StoreError(f"cannot write the store: {error}") from error
    except BaseException:
        batches.restore(imports_dir, aside)
        raise
    batches.clean(imports_dir)
    return stored[batch_id]


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
