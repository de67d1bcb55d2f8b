"""The import format: read a CSV or XLSX file of new figures and check it against the data.

The import format is one row per figure (see ``IMPORT_COLUMNS`` and ``python -m metrics
template``). Bodies, themes and indicators are given by id or by name (Chinese or English);
a row either names an existing ``measure_id`` or describes its measure, which is then found
or created. A body, theme or indicator that is not known yet is added when a row describes
it (``body_kind`` …, ``theme_name_en``, ``indicator_family`` …; see ``Additions``): once per
import, in the batch, so that a rollback removes it with the batch. Every problem is reported
as ``file:row:column: reason``. Nothing here writes: ``metrics.store.Store`` stores a batch
only if every row passes, together with the curated data and every batch stored before it.
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

from metrics import batches, curated, database, sidefiles, staging, tablefile
from metrics.tablefile import MAX_BYTES, UnreadableFile
from metrics.validate import Problem, did_you_mean
from metrics.vocabulary import FORMULA_START, looks_like_formula

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
    "label_en": (False, "事项英文名称（可留空：英文页面显示中文名称）"),
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
    # A body, theme or indicator not known yet: described in a row that names it (once is enough).
    "body_kind": (
        False,
        "新增单位时必填：单位类别，编号或名称（province 省区市 / local 市县 / central_department 中央部门 / "
        "financial_institution 金融机构 / central_enterprise 中央企业 / guidance_group 中央指导组）；"
        "此时 body 列为新单位的简称",
    ),
    "body_name_zh": (False, "新单位的全称，如 中共杭州市委（留空则同 body）"),
    "body_name_en": (False, "新单位的英文全称（可留空：英文页面显示中文名称）"),
    "body_short_en": (False, "新单位的英文简称，用于图表（可留空：英文页面显示中文简称）"),
    "body_region": (False, "新单位所在的省级地区，如 浙江（全国性单位留空）"),
    "theme_name_en": (False, "新增主题时必填：新主题的英文名称（theme 列为其中文名称）"),
    "indicator_name_en": (
        False,
        "新指标的英文名称（indicator 列为其中文名称；可留空：英文页面显示中文名称）",
    ),
    "indicator_family": (False, "新增指标时必填：指标大类，{families}"),
    "indicator_direction": (False, "新指标哪个方向为好：up / down / none（留空则同 direction 列）"),
    "indicator_definition_zh": (
        False,
        "新指标自成可比组时必填：该组统计什么（单位、含什么、不含什么），为图表副标题和导出中的定义",
    ),
    "indicator_definition_en": (False, "同上，英文（可留空：英文页面显示中文定义）"),
    "comparable_group": (
        False,
        "新指标加入的已有可比组：编号或名称（只有同组的数字才相互比较）；留空则新指标自成一组，以其名称命名",
    ),
    "comparability": (False, "加入已有可比组时必填：same（口径相同）/ caveat（口径有差异，须填下两列）"),
    "caveat_zh": (False, "comparability 为 caveat 时必填：与该组定义的差异（中文）"),
    "caveat_en": (False, "comparability 为 caveat 时必填：与该组定义的差异（英文）"),
}
FAMILIES = next(c for c in curated.dictionary()["indicators"] if c.name == "family").choices
IMPORT_COLUMNS["indicator_family"] = (
    False,
    IMPORT_COLUMNS["indicator_family"][1].format(families=" / ".join(FAMILIES)),
)
# The columns that describe a new body, theme or indicator; any of them filled in a row whose
# body (theme, indicator) is unknown adds it.
DESCRIBING = {
    "body": ("body_kind", "body_name_zh", "body_name_en", "body_short_en", "body_region"),
    "theme": ("theme_name_en",),
    "indicator": (
        "indicator_name_en",
        "indicator_family",
        "indicator_direction",
        "indicator_definition_zh",
        "indicator_definition_en",
        "comparable_group",
        "comparability",
        "caveat_zh",
        "caveat_en",
    ),
}
HOW_TO_ADD = {
    "body": "fill body_kind (and optionally body_name_zh, body_name_en, body_short_en, body_region) in this row",
    "theme": "fill theme_name_en (its English name) in this row",
    "indicator": (
        "fill indicator_family and indicator_direction, and either comparable_group (a group to join) "
        "or indicator_definition_zh (what a group of its own counts) in this row"
    ),
}
# Where a problem found in a table row an import adds is shown in the import file, by table
# (columns not listed have the import column's name). ``to_tables`` overrides a few per row,
# where a cell was left empty and another one stands for it.
IMPORT_COLUMN_OF = {
    "measures": {"body_id": "body", "theme_id": "theme", "indicator_id": "indicator", "kind": "measure_kind"},
    "sources": {
        "title": "source_title",
        "publisher": "source_publisher",
        "published": "source_published",
        "reference": "source_reference",
    },
    "bodies": {
        "body_id": "body",
        "short_zh": "body",
        "name_zh": "body_name_zh",
        "name_en": "body_name_en",
        "short_en": "body_short_en",
        "region": "body_region",
    },
    "themes": {"theme_id": "theme", "name_zh": "theme", "name_en": "theme_name_en", "description": "theme"},
    "comparable_groups": {
        "group_id": "indicator",
        "name_zh": "indicator",
        "name_en": "indicator_name_en",
        "definition_zh": "indicator_definition_zh",
        "definition_en": "indicator_definition_en",
    },
    "indicators": {
        "indicator_id": "indicator",
        "name_zh": "indicator",
        "name_en": "indicator_name_en",
        "family": "indicator_family",
        "description": "indicator_definition_en",
        "direction": "indicator_direction",
    },
}
REPORT_FILE = "report.txt"  # a batch's report text, in its folder
REQUIRED = [name for name, (required, _) in IMPORT_COLUMNS.items() if required]


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
    # (table, line) -> {table column: import column} where a row's cell stands for another's
    columns: dict[tuple[str, int], dict[str, str]] = field(default_factory=dict)
    # The report text kept with the batch: source file_name -> UTF-8 bytes (see REPORT_FILE)
    texts: dict[str, bytes] = field(default_factory=dict)
    # The table whose rows the import adds and is counted in: figures, or a side file's
    # (targets, events: metrics.sidefiles)
    kind: str = "figures"

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def added_rows(self) -> pd.DataFrame:
        """The rows the import adds to its own table (``kind``), for a preview."""
        return self.tables[self.kind]

    def added(self) -> pd.DataFrame:
        """The bodies, themes, comparable groups and indicators the import adds, one row each:
        ``what`` (body, theme, comparable_group, indicator), ``id``, ``name_zh``, ``name_en``
        ('' when not given), ``detail`` (a body's kind, an indicator's family and group) and the
        import ``row`` that describes it."""
        found = []
        for what, table, key in NEW_TABLES:
            frame = self.tables.get(table)
            if frame is None:
                continue
            for (_, line), record in zip(frame.index, frame.to_dict("records"), strict=True):
                detail = {
                    "body": record.get("body_kind", ""),
                    "indicator": f"{record.get('family', '')}, {record.get('comparable_group', '')}",
                }.get(what, "")
                found.append((what, record[key], record["name_zh"], record["name_en"], detail, line))
        return pd.DataFrame(found, columns=["what", "id", "name_zh", "name_en", "detail", "row"])


# --- reading ---------------------------------------------------------------------------------------


def read_rows(
    data: bytes, file_name: str, table: tablefile.Table | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """The import file (``table``: the file already read) as text cells indexed by file line,
    and the problems of its shape."""
    if not data.strip():
        raise UnreadableFile("the file is empty")
    table = table or tablefile.read(data, file_name)
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
    for line, values in records:
        if len(values) > len(header) and any(values[len(header) :]):
            problems.append(
                Problem(file_name, line, "", f"{len(values)} cells, but the header has {len(header)}")
            )
    if not records:
        problems.append(Problem(file_name, 1, "", "no rows below the header"))
    # Column by column (a row's missing cells are empty); of columns of one name (a problem)
    # the first counts.
    at = {name: position for position, name in reversed(list(enumerate(header)))}
    cells = {
        name: [values[at[name]] if at[name] < len(values) else "" for _, values in records]
        if name in at
        else [""] * len(records)
        for name in known
    }
    frame = pd.DataFrame(cells, columns=known, dtype=str)
    frame.index = pd.Index([line for line, _ in records], dtype="int64")
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

# Which known name an unknown one is suggested for ("did you mean"), chosen on realistic misses
# (tests/test_new_entities.py): difflib's ratio of at least 0.75 (天津市 → 天津市委, 内蒙古党委 →
# 内蒙古自治区党委, 国家卫健委党组 → 国家卫生健康委党组, Tianjn → Tianjin), but never a name whose
# numbers differ (中央第二指导组 is not 中央第二十五指导组) or where two or more characters stand
# for two or more others (CPC Hangzhou Municipal Committee is not CPC Shanghai Municipal
# Committee): those are other bodies. A name of another place with the same ending (杭州市委 for
# 上海市委, 交通运输部党组 for 水利部党组) stays below the ratio. A bracketed part (查处问题（起/件）)
# and letter case need not match.
CUTOFF = 0.75
NUMERALS = re.compile(r"[0-9０-９零〇一二两三四五六七八九十百千万亿]+")
BRACKETED = re.compile(r"[（(][^（）()]*[）)]")


def _plain(name: str) -> str:
    return BRACKETED.sub("", name).casefold().strip()


def _alike(typed: str, known: str) -> bool:
    """Whether ``known`` may be what ``typed`` misspells: the same numbers, and no stretch of
    two or more characters replaced by two or more others."""
    if NUMERALS.findall(typed) != NUMERALS.findall(known):
        return False
    opcodes = difflib.SequenceMatcher(None, typed, known, autojunk=False).get_opcodes()
    return not any(op == "replace" and i2 - i1 >= 2 and j2 - j1 >= 2 for op, i1, i2, j1, j2 in opcodes)


def close_name(value: str, names) -> str | None:
    """The name of ``names`` that ``value`` most likely misspells, or None when none is close
    (see CUTOFF)."""
    by_plain: dict[str, str] = {}
    for name in names:
        by_plain.setdefault(_plain(name), name)
    typed = _plain(value)
    if not typed:
        return None
    for plain in difflib.get_close_matches(typed, list(by_plain), n=5, cutoff=CUTOFF):
        if _alike(typed, plain):
            return by_plain[plain]
    return None


def _lookup(frame: pd.DataFrame, id_column: str, name_columns: list[str]) -> dict[str, str]:
    """Every name (any language) and id -> id; names first (suggestions prefer them), ids win."""
    found = {}
    for column in [*name_columns, id_column]:
        found.update({str(k): i for k, i in zip(frame[column], frame[id_column], strict=True) if k})
    return found


class Resolver:
    """Turns names in import rows into ids, with a 'did you mean' for near misses and, for a name
    close to none, how to add it."""

    def __init__(self, tables: dict[str, pd.DataFrame]):
        self.ids = {
            "body": _lookup(tables["bodies"], "body_id", ["name_zh", "short_zh", "name_en", "short_en"]),
            "theme": _lookup(tables["themes"], "theme_id", ["name_zh", "name_en"]),
            "indicator": _lookup(tables["indicators"], "indicator_id", ["name_zh", "name_en"]),
            "body_kind": _lookup(tables["body_kinds"], "body_kind", ["name_zh", "name_en"]),
            "comparable_group": _lookup(tables["comparable_groups"], "group_id", ["name_zh", "name_en"]),
        }
        self._reasons: dict[tuple[str, str], str] = {}  # an unknown name is often on many rows

    def __call__(self, kind: str, value: str) -> tuple[str | None, str | None]:
        """(id, None) or (None, reason)."""
        found = self.ids[kind].get(value)
        if found is not None:
            return found, None
        if (kind, value) not in self._reasons:
            self._reasons[(kind, value)] = self._unknown(kind, value)
        return None, self._reasons[(kind, value)]

    def _unknown(self, kind: str, value: str) -> str:
        close, add = close_name(value, self.ids[kind]), HOW_TO_ADD.get(kind)
        if close is not None:
            reason = f"unknown {kind} {value!r} (did you mean {close!r}?)"
            return f"{reason}; if it is a new {kind}, {add}" if add else reason
        return f"unknown {kind} {value!r}: to add it, {add}" if add else f"unknown {kind} {value!r}"

    def add(self, kind: str, id_: str, names) -> None:
        """Names of a body (theme, indicator, group) the import adds: later rows may use them."""
        for name in names:
            if name:
                self.ids[kind].setdefault(name, id_)
        self._reasons = {key: reason for key, reason in self._reasons.items() if key[0] != kind}


# What an import may add, with its table and id column, in load order.
NEW_TABLES = (
    ("body", "bodies", "body_id"),
    ("theme", "themes", "theme_id"),
    ("comparable_group", "comparable_groups", "group_id"),
    ("indicator", "indicators", "indicator_id"),
)
# The tables only side files add rows to (metrics.sidefiles).
SIDE_TABLES = ("targets", "events")
# Description columns of the import -> the column of the table they describe.
BODY_FIELDS = {
    "body_name_zh": "name_zh",
    "body_name_en": "name_en",
    "body_short_en": "short_en",
    "body_region": "region",
}
INDICATOR_FIELDS = {
    "indicator_name_en": "name_en",
    "indicator_family": "family",
    "indicator_direction": "direction",
    "comparability": "comparability",
    "caveat_zh": "caveat_zh",
    "caveat_en": "caveat_en",
    "indicator_definition_zh": "definition_zh",  # the definition of the indicator's group
    "indicator_definition_en": "definition_en",
}


class Additions:
    """The bodies, themes, comparable groups and indicators an import adds (one row each, at the
    first import row that describes it), and the check that every other row describing one
    agrees with it, or with the stored one it names. Each method takes an import row ``r``, its
    ``line``, the id its name resolved to (None: unknown) and ``problem(column, reason)``, and
    returns the id, or None after reporting why not."""

    def __init__(self, existing: dict[str, pd.DataFrame], resolve: Resolver):
        self.existing, self.resolve = existing, resolve
        self.rows: dict[str, dict[str, tuple[int, dict]]] = {table: {} for _, table, _ in NEW_TABLES}
        self.described: dict[tuple[str, str], tuple[int, dict]] = {}  # (what, id) -> (line, fields)
        self.columns: dict[tuple[str, int], dict[str, str]] = {}  # see Checked.columns
        self._stored: dict[str, dict[str, dict]] = {}

    # --- the four kinds ---------------------------------------------------------------------------

    def body(self, r, line: int, known: str | None, problem) -> str | None:
        given = {c: (stored, getattr(r, c)) for c, stored in BODY_FIELDS.items() if getattr(r, c)}
        if r.body_kind:
            kind, _ = self.resolve("body_kind", r.body_kind)
            if kind is None:
                problem("body_kind", f"unknown kind of body {r.body_kind!r}: use one of {self._kinds()}")
                return None
            given["body_kind"] = ("body_kind", kind)
        if known is not None:
            return known if self._agrees("body", known, r.body, given, line, problem) else None
        if "body_kind" not in given:
            problem("body_kind", f"required for a new body: one of {self._kinds()}")
            return None
        name_zh = r.body_name_zh or r.body
        if not self._unused(
            "body",
            {"body_name_zh": name_zh, "body_name_en": r.body_name_en, "body_short_en": r.body_short_en},
            problem,
        ):
            return None
        body_id = f"b_{_slug(name_zh)}"
        record = {
            "body_id": body_id,
            "name_zh": name_zh,
            "short_zh": r.body,
            "name_en": r.body_name_en,
            "short_en": r.body_short_en,
            "body_kind": given["body_kind"][1],
            "region": r.body_region,
        }
        self._add("body", "bodies", line, record, [r.body, name_zh, r.body_name_en, r.body_short_en])
        if not r.body_name_zh:
            self.columns[("bodies", line)] = {"name_zh": "body"}
        return body_id

    def theme(self, r, line: int, known: str | None, problem) -> str | None:
        given = {"theme_name_en": ("name_en", r.theme_name_en)}
        if known is not None:
            return known if self._agrees("theme", known, r.theme, given, line, problem) else None
        if not self._unused("theme", {"theme_name_en": r.theme_name_en}, problem):
            return None
        record = {
            "theme_id": f"t_{_slug(r.theme)}",
            "name_zh": r.theme,
            "name_en": r.theme_name_en,
            "description": "",
        }
        self._add("theme", "themes", line, record, [r.theme, r.theme_name_en])
        return record["theme_id"]

    def indicator(self, r, line: int, known: str | None, problem) -> str | None:
        given = {c: (stored, getattr(r, c)) for c, stored in INDICATOR_FIELDS.items() if getattr(r, c)}
        group = None
        if r.comparable_group:
            group, reason = self.resolve("comparable_group", r.comparable_group)
            if group is None:
                problem("comparable_group", reason)
                return None
            given["comparable_group"] = ("comparable_group", group)
        if known is not None:
            return known if self._agrees("indicator", known, r.indicator, given, line, problem) else None
        if not self._unused("indicator", {"indicator_name_en": r.indicator_name_en}, problem):
            return None
        if group is not None:  # joins a group: the group's definition applies
            definition = self.record("comparable_group", group)
            for column in ("indicator_definition_zh", "indicator_definition_en"):
                value, defined = getattr(r, column), definition[INDICATOR_FIELDS[column]]
                if value and value != defined:
                    problem(
                        column,
                        f"the comparable group {group!r} is defined as {defined!r}; leave {column} empty "
                        "(say how this indicator differs in caveat_zh and caveat_en, with comparability caveat)",
                    )
                    return None
            comparability, description = r.comparability, ""
        else:  # a group of its own, named after it, defined by the row's definitions
            if r.comparability not in ("", "same"):
                problem(
                    "comparability",
                    "an indicator without comparable_group is a group of its own and counts what it defines: "
                    "leave comparability empty, or give the comparable_group it joins with a caveat",
                )
                return None
            for column in ("caveat_zh", "caveat_en"):
                if getattr(r, column):
                    problem(
                        column,
                        "a caveat is for an indicator that joins a comparable group: give comparable_group",
                    )
                    return None
            if not self._unused(
                "comparable_group",
                {"indicator": r.indicator, "indicator_name_en": r.indicator_name_en},
                problem,
            ):
                return None
            group = f"g_{_slug(r.indicator)}"
            definition = {
                "group_id": group,
                "name_zh": r.indicator,
                "name_en": r.indicator_name_en,
                "definition_zh": r.indicator_definition_zh,
                "definition_en": r.indicator_definition_en,
            }
            self._add(
                "comparable_group", "comparable_groups", line, definition, [r.indicator, r.indicator_name_en]
            )
            comparability, description = "same", r.indicator_definition_en
        record = {
            "indicator_id": f"i_{_slug(r.indicator)}",
            "name_zh": r.indicator,
            "name_en": r.indicator_name_en,
            "family": r.indicator_family,
            "description": description,
            "direction": r.indicator_direction or r.direction,
            "comparable_group": group,
            "comparability": comparability,
            "caveat_zh": r.caveat_zh,
            "caveat_en": r.caveat_en,
        }
        self._add("indicator", "indicators", line, record, [r.indicator, r.indicator_name_en])
        if not r.indicator_direction and r.direction:
            self.columns[("indicators", line)] = {"direction": "direction"}
        return record["indicator_id"]

    # --- the rows and their checks ----------------------------------------------------------------

    def _add(self, what: str, table: str, line: int, record: dict, names: list[str]) -> None:
        key = record[next(k for w, _, k in NEW_TABLES if w == what)]
        self.rows[table][key] = (line, record)
        self.described[(what, key)] = (line, record)
        self.resolve.add(what, key, names)

    def record(self, what: str, key: str) -> dict:
        """What is known of a body (theme, group, indicator): the row the import adds or the
        stored one; an indicator's with its group's definition."""
        if (what, key) in self.described:
            record = self.described[(what, key)][1]
        else:
            table, id_column = next((t, k) for w, t, k in NEW_TABLES if w == what)
            if table not in self._stored:
                frame = self.existing[table]
                self._stored[table] = dict(zip(frame[id_column], frame.to_dict("records"), strict=True))
            record = self._stored[table][key]
        if what == "indicator":
            group = self.record("comparable_group", record["comparable_group"])
            record = {
                **record,
                "definition_zh": group["definition_zh"],
                "definition_en": group["definition_en"],
            }
        return record

    def _agrees(self, what: str, key: str, name: str, given: dict, line: int, problem) -> bool:
        """Whether every description the row gives is what is known of ``key`` (reported if not)."""
        record, agrees = self.record(what, key), True
        for column, (stored, value) in given.items():
            known = record.get(stored) or ""
            if value == known:
                continue
            agrees = False
            first = self.described.get((what, key), (None,))[0]
            if first is not None and first != line:
                problem(
                    column,
                    f"conflicts with row {first}, which describes {what} {name!r} with {column} {known!r}",
                )
            else:
                problem(
                    column,
                    f"{what} {name!r} exists with {column} {known!r}; an import does not change it "
                    f"(leave {column} empty)",
                )
        return agrees

    def _unused(self, what: str, names: dict[str, str], problem) -> bool:
        """Whether no other body (theme, …) has any of the new one's ``names`` (reported if one has)."""
        for column, name in names.items():
            if name and name in self.resolve.ids[what]:
                taken = self.resolve.ids[what][name]
                use = (
                    "give it as comparable_group to join it"
                    if what == "comparable_group"
                    else f"write it in the {what} column to use it"
                )
                problem(
                    column, f"{name!r} is already the name of {what} {taken!r}: {use}, or choose another name"
                )
                return False
        return True

    def _kinds(self) -> str:
        kinds = self.existing["body_kinds"]
        return ", ".join(f"{k} ({n})" for k, n in zip(kinds.body_kind, kinds.name_zh, strict=True))


def _lists(frame: pd.DataFrame, *columns: str) -> list[list]:
    """Columns as lists (through NumPy: a text column's own tolist walks it cell by cell)."""
    return [frame[column].to_numpy(dtype=object).tolist() for column in columns]


def _slug(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:10]


class _Rows:
    """What an import's rows add, row by row: the measure and the source each figure belongs to
    (found, or new and described in the row) and the figure itself (see ``to_tables``)."""

    def __init__(self, file_name: str, existing: dict[str, pd.DataFrame], batch_id: str, rows: pd.DataFrame):
        self.file_name, self.batch_id = file_name, batch_id
        self.resolve = Resolver(existing)
        self.additions = Additions(existing, self.resolve)
        measures = existing["measures"]
        self.body_of = dict(zip(*_lists(measures, "measure_id", "body_id"), strict=True))
        keys = _lists(measures, "body_id", "theme_id", "indicator_id", "label_zh")
        self.measure_keys = dict(zip(zip(*keys, strict=True), *_lists(measures, "measure_id"), strict=True))
        self.known_sources = set(*_lists(existing["sources"], "source_id"))
        self.new_measures: dict[str, tuple] = {}
        self.new_sources: dict[str, tuple] = {}
        self.figures: list[tuple] = []
        # Only a file that describes something new pays for looking at the description columns.
        self.described = {
            what: [c for c in columns if (rows[c] != "").any()] for what, columns in DESCRIBING.items()
        }
        self.add = {
            "body": self.additions.body,
            "theme": self.additions.theme,
            "indicator": self.additions.indicator,
        }

    def named(self, what: str, value: str, r, line: int, problem, missing: str) -> str | None:
        """The id of the body (theme, indicator) ``value`` names or the row adds; None after
        reporting why not."""
        if not value:
            problem(what, missing)
            return None
        found, reason = self.resolve(what, value)
        if any(getattr(r, column) for column in self.described[what]):
            return self.add[what](r, line, found, problem)
        if reason:
            problem(what, reason)
        return found

    def measure(self, r, line: int, body: str, problem) -> str | None:
        """The row's measure: the ``measure_id`` it names, or the one its body, theme, indicator
        and label describe (added when new); None after reporting why not."""
        if r.measure_id:
            if r.measure_id not in self.body_of and r.measure_id not in self.new_measures:
                problem(
                    "measure_id",
                    f"unknown measure_id {r.measure_id!r}{did_you_mean(r.measure_id, self.body_of)}",
                )
                return None
            if r.measure_id in self.body_of and self.body_of[r.measure_id] != body:
                problem(
                    "measure_id",
                    f"measure {r.measure_id!r} belongs to {self.body_of[r.measure_id]!r}, not {body!r}",
                )
                return None
            return r.measure_id
        theme = self.named("theme", r.theme, r, line, problem, "required for a new measure")
        indicator = self.named("indicator", r.indicator, r, line, problem, "required for a new measure")
        if not r.label_zh:
            problem("label_zh", "required for a new measure (or give measure_id)")
        if theme is None or indicator is None or not r.label_zh:
            return None
        key = (body, theme, indicator, r.label_zh)
        if key not in self.measure_keys:
            measure_id = self.measure_keys[key] = f"{body}_{_slug(theme, indicator, r.label_zh)}"
            record = {
                "measure_id": measure_id,
                "body_id": body,
                "theme_id": theme,
                "indicator_id": indicator,
                "kind": r.measure_kind,
                "label_zh": r.label_zh,
                "label_en": r.label_en,
                "direction": r.direction,
                "note": "",
            }
            self.new_measures[measure_id] = (line, record)
        return self.measure_keys[key]

    def source(self, r, line: int, problem) -> str | None:
        """The row's source: the ``source_id`` it names, or the one its source columns describe
        (added when new); None after reporting why not."""
        source_id = r.source_id
        if not source_id:
            if not r.source_title:
                problem("source_id", "give an existing source_id or a new source_title")
                return None
            source_id = f"import_{_slug(r.source_title, r.source_reference)}"
        if source_id in self.known_sources or source_id in self.new_sources:
            return source_id
        if not r.source_title:
            problem(
                "source_id", f"unknown source_id {source_id!r}{did_you_mean(source_id, self.known_sources)}"
            )
            return None
        record = {
            "source_id": source_id,
            "title": r.source_title,
            "publisher": r.source_publisher,
            "published": r.source_published,
            "reference": r.source_reference,
            "file_name": "",
            "sha256": "",
            "note": f"imported from {self.file_name}",
        }
        self.new_sources[source_id] = (line, record)
        return source_id

    def figure(self, r, line, measure_id: str, source_id: str) -> None:
        record = {
            "figure_id": f"{self.batch_id}_{int(line)}",
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
        }
        self.figures.append((line, record))

    def tables(self) -> dict[str, pd.DataFrame]:
        def frame(table: str, entries) -> pd.DataFrame:
            columns = [c.name for c in curated.dictionary()[table]]
            entries = list(entries)
            df = pd.DataFrame([row for _, row in entries], columns=columns, dtype=str)
            return curated.with_location(df, self.file_name, [line for line, _ in entries])

        tables = {
            "sources": frame("sources", self.new_sources.values()),
            **{table: frame(table, self.additions.rows[table].values()) for _, table, _ in NEW_TABLES},
            "measures": frame("measures", self.new_measures.values()),
            "figures": frame("figures", self.figures),
            # a figures file sets none of these (metrics.sidefiles reads targets and events files)
            **{table: frame(table, []) for table in SIDE_TABLES},
        }
        return {table: tables[table] for table in batches.TABLES}


def to_tables(
    rows: pd.DataFrame, file_name: str, existing: dict[str, pd.DataFrame], batch_id: str
) -> tuple[dict[str, pd.DataFrame], list[Problem], dict[tuple[str, int], dict[str, str]]]:
    """The rows an import adds to each of ``batches.TABLES``, indexed by import line; the
    problems; and where a generated cell stands for another import column (``Checked.columns``)."""
    adding = _Rows(file_name, existing, batch_id, rows)
    problems: list[Problem] = []
    seen_rows: dict[tuple, int] = {}
    # Plain tuples from column lists: pandas' per-row access costs more than all the checks below.
    columns = list(rows.columns)
    row = namedtuple("Row", columns)
    formulas = _formulas(rows)
    for line, r in zip(rows.index.tolist(), map(row._make, zip(*_lists(rows, *columns))), strict=True):

        def problem(column: str, reason: str, line=line) -> None:
            problems.append(Problem(file_name, int(line), column, reason))

        key = tuple(r)
        if key in seen_rows:
            problem("", f"duplicate of row {seen_rows[key]}")
            continue
        seen_rows[key] = int(line)
        for column, value in formulas.get(line, ()):
            problem(column, f"{value!r} looks like a spreadsheet formula; type the value itself")
        body = adding.named("body", r.body, r, int(line), problem, "required value is empty")
        measure_id = None if body is None else adding.measure(r, int(line), body, problem)
        source_id = None if measure_id is None else adding.source(r, line, problem)
        if source_id is not None:
            adding.figure(r, line, measure_id, source_id)
    return adding.tables(), problems, adding.additions.columns


def _formulas(rows: pd.DataFrame) -> dict[object, list[tuple[str, str]]]:
    """The cells a spreadsheet would run as formulas (``looks_like_formula``), by line, in column
    order: the columns are searched at once for a formula's first character, and only those cells
    are looked at one by one."""
    found: dict[object, list[tuple[str, str]]] = {}
    for column in rows.columns:
        cells = rows[column]
        for line, value in cells[cells.str.startswith(FORMULA_START, na=False)].items():
            if looks_like_formula(value):
                found.setdefault(line, []).append((column, value))
    return found


def _in_import_terms(
    problem: Problem, file_name: str, columns: dict[tuple[str, int], dict[str, str]]
) -> Problem:
    """A problem found in a generated table row, named by the import file's column."""
    if problem.file != file_name:
        return problem
    mapping = {**IMPORT_COLUMN_OF.get(problem.table, {}), **columns.get((problem.table, problem.row), {})}
    if problem.column in mapping:
        return Problem(problem.file, problem.row, mapping[problem.column], problem.reason, problem.table)
    return problem


# --- checking an import against the data --------------------------------------------------------


def new_batch_id(sha256: str, stored: list[batches.Batch]) -> str:
    """'b0003_20191101T080000_bbd63e8d': a sequence number (so batches list in import order),
    the time and the file's hash. Only the store's writer hands them out, under its lock."""
    number = max((int(b.batch_id[1:5]) for b in stored if b.batch_id[1:5].isdigit()), default=0) + 1
    return f"b{number:04d}_{datetime.now(UTC):%Y%m%dT%H%M%S}_{sha256[:8]}"


# What to_tables resolves against.
# The stored rows an import is read against, by table: the columns it needs (all when empty).
# Of sources only the ids: at national scale the whole table is 180,000 rows of titles.
EXISTING = {
    "sources": ("source_id",),
    **dict.fromkeys(("body_kinds", "bodies", "themes", "comparable_groups", "indicators", "measures"), ()),
}


def read(
    data: bytes, file_name: str, layout: Layout, base: staging.Cache | None, report: str | None = None
) -> Checked:
    """The import's rows as table rows, with the problems found in the file itself (not yet
    against the data as a whole), and a batch id. Raises UnreadableFile when the file is not a
    table at all. ``report``: the text of the report the rows quote, kept with the batch as the
    text of the source the import adds, so every quote is checked against it."""
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
    table = tablefile.read(data, file_name) if data.strip() else None
    if table is not None and (kind := sidefiles.kind_of(table)):  # targets or events, not figures
        return sidefiles.read_into(kind, result, table, file_name, layout, base)
    rows, result.problems = read_rows(data, file_name, table)
    result.rows = len(rows)
    columns = curated.dictionary(layout.data_dir / "dictionary.csv")
    existing = staging.read_frames(columns, layout.data_dir, layout.imports, EXISTING, base)
    result.tables, problems, result.columns = to_tables(rows, file_name, existing, result.batch_id)
    if report is not None:
        problems += _keep_report(result, report)
    result.problems = sorted(set(result.problems + problems))
    return result


def report_file(batch_id: str) -> str:
    """The source ``file_name`` of the report text kept with batch ``batch_id``."""
    return f"{batch_id}/{REPORT_FILE}"


def _keep_report(result: Checked, report: str) -> list[Problem]:
    """Name ``report`` as the text of the source the import adds (its quotes are then checked
    against it); a problem when the import adds no source."""
    sources = result.tables.get("sources")
    if sources is None or sources.empty:
        return [
            Problem(
                result.file_name,
                1,
                "source_title",
                "a report text is kept as the text of a new source: give source_title (and the other "
                "source_ columns) instead of an existing source_id",
            )
        ]
    data = report.encode("utf-8")
    name = report_file(result.batch_id)
    result.tables["sources"] = sources.assign(file_name=name, sha256=hashlib.sha256(data).hexdigest())
    result.texts = {name: data}
    return []


def with_data_problems(result: Checked, error: database.DataError) -> Checked:
    """``result`` with the problems a check of all the data found, named in the import's terms."""
    found = [_in_import_terms(p, result.file_name, result.columns) for p in error.problems]
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
            pending_texts=result.texts,
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
