"""Checks on curated tables, reported as ``file:row:column: reason``.

``validate(tables, texts)`` returns every problem it finds (it never stops at
the first), so one run tells a curator everything to fix. Row numbers are file
line numbers (the header is line 1).
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from metrics import curated
from metrics.numbers import QUALIFIER_WORDS, parse_quantity

ROLES_BY_KIND = {
    "closure": {"total", "closed", "partly_closed", "in_progress"},
    "change": {"before", "after", "change_pct", "change_pp"},
    "count": {"value"},
    "share": {"value"},
    "amount": {"value"},
    "duration": {"value"},
}
SIGNED_ROLES = {"change_pct", "change_pp"}
# Words that give a change its sign; the nearest one before the number decides.
DOWN_WORDS = ("减少", "下降", "降低", "压减", "缩减", "精简", "减")
UP_WORDS = ("增长", "增加", "提高", "上升", "提升", "增")
DIRECTION_WORD = re.compile("|".join(DOWN_WORDS + UP_WORDS))
CLOSURE_PARTS = ("closed", "partly_closed", "in_progress")
ISO_PARTIAL_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.reason}"


class Problems(list):
    """A list of Problem with a helper to add one for a table cell."""

    def add(self, table: str, index: int | None, column: str, reason: str) -> None:
        file, row = (f"{table}.csv", 1) if index is None else curated.location(table, index)
        self.append(Problem(file, row, column, reason))


@dataclass(frozen=True)
class SourceText:
    source_id: str
    path: Path
    data: bytes | None  # None when the file is not there
    text: str | None  # None when the file is not there or not UTF-8


def read_source_texts(sources: pd.DataFrame, folder: Path) -> dict[str, SourceText]:
    """Source texts by source_id, read from ``folder`` (missing files give data None)."""
    texts = {}
    for row in sources.itertuples():
        if not row.file_name:
            texts[row.source_id] = SourceText(row.source_id, folder, None, None)
            continue
        path = folder / row.file_name
        data = path.read_bytes() if path.is_file() else None
        try:
            text = data.decode("utf-8") if data is not None else None
        except UnicodeDecodeError:
            text = None
        texts[row.source_id] = SourceText(row.source_id, path, data, text)
    return texts


PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def finite(text: str) -> Decimal | None:
    """The Decimal of ``text`` if it is a plain finite number in ASCII digits, else None.

    'NaN', 'inf', 'abc', full-width '８７０' and '8_70' are not (the database could not read them).
    """
    if not PLAIN_NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def did_you_mean(value: str, choices) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_shape(tables, columns) -> Problems:
    """Each table has exactly the dictionary's columns, in order."""
    problems = Problems()
    for table, df in tables.items():
        expected = [c.name for c in columns[table]]
        got = list(df.columns)
        for name in expected:
            if name not in got:
                problems.add(table, None, name, "missing column")
        for name in got:
            if name not in expected:
                problems.add(table, None, name, f"unknown column{did_you_mean(name, expected)}")
        if not problems and got != expected:
            problems.add(table, None, got[0], f"columns out of order; expected {','.join(expected)}")
    return problems


def check_cells(tables, columns) -> Problems:
    """Required cells, types, allowed values, formats and unique ids."""
    problems = Problems()
    for table, df in tables.items():
        for col in columns[table]:
            for index, value in df[col.name].items():
                problems.extend(_cell_problems(table, index, col, value))
        key = columns[table][0].name
        if table not in ("left_out", "number_words"):
            for index in df.index[df[key].duplicated(keep="first")]:
                problems.add(table, index, key, f"duplicate id {df.at[index, key]!r}")
        else:
            for index in df.index[df.duplicated(keep="first")]:
                problems.add(table, index, key, "duplicate row")
    return problems


def _cell_problems(table, index, col, value) -> Problems:
    problems = Problems()
    if value != value.strip():
        problems.add(table, index, col.name, "leading or trailing spaces")
    if value == "":
        if col.required:
            problems.add(table, index, col.name, "required value is empty")
        return problems
    if col.type in ("number", "integer"):
        number = finite(value)
        if number is None:
            problems.add(table, index, col.name, f"not a number: {value!r}")
            return problems
        if col.type == "integer" and number != number.to_integral_value():
            problems.add(table, index, col.name, f"not a whole number: {value!r}")
    if col.choices and value not in col.choices:
        hint = did_you_mean(value, col.choices)
        problems.add(table, index, col.name, f"{value!r} is not one of {', '.join(col.choices)}{hint}")
    if col.allowed == "iso_partial_date" and not ISO_PARTIAL_DATE.match(value):
        problems.add(table, index, col.name, f"{value!r} is not a date YYYY, YYYY-MM or YYYY-MM-DD")
    if col.allowed == "sha256" and not SHA256.match(value):
        problems.add(table, index, col.name, f"{value!r} is not a lowercase hex SHA-256")
    return problems


def check_references(tables, columns) -> Problems:
    """Every ``ref:table.column`` value exists in the referenced table."""
    problems = Problems()
    for table, df in tables.items():
        for col in columns[table]:
            if col.reference is None:
                continue
            ref_table, ref_column = col.reference
            known = set(tables[ref_table][ref_column])
            for index, value in df[col.name].items():
                if value and value not in known:
                    hint = did_you_mean(value, known)
                    problems.add(table, index, col.name, f"unknown {ref_column} {value!r}{hint}")
    return problems


def check_figures(figures: pd.DataFrame, measures: pd.DataFrame) -> Problems:
    """Roles fit their measure, values agree with what is written, parts fit totals."""
    problems = Problems()
    kind_of = dict(zip(measures.measure_id, measures.kind))
    seen: dict[tuple, int] = {}
    for index, f in figures.iterrows():
        kind = kind_of.get(f.measure_id)
        if kind in ROLES_BY_KIND and f.role and f.role not in ROLES_BY_KIND[kind]:
            allowed = ", ".join(sorted(ROLES_BY_KIND[kind]))
            problems.add(
                "figures", index, "role", f"role {f.role!r} does not fit a {kind} measure (use {allowed})"
            )
        key = (f.measure_id, f.role, f.as_of)
        if key in seen:
            problems.add(
                "figures",
                index,
                "role",
                "conflicts with {} row {}: ".format(*curated.location("figures", seen[key]))
                + f"a second {f.role!r} for measure {f.measure_id!r} as of {f.as_of}",
            )
        seen.setdefault(key, index)
        problems.extend(_value_problems(index, f))
    problems.extend(_closure_problems(figures, kind_of))
    return problems


def _value_problems(index, f) -> Problems:
    problems = Problems()
    value = finite(f.value)
    if value is None:
        return problems  # reported by check_cells
    if value < 0 and f.role not in SIGNED_ROLES:
        problems.add("figures", index, "value", f"negative value {f.value} for role {f.role!r}")
    percent = f.counter == "%"
    if percent and f.role == "change_pct" and value < -100:
        problems.add("figures", index, "value", f"a reduction cannot exceed 100% ({f.value})")
    if percent and f.role not in SIGNED_ROLES and value > 100:
        problems.add("figures", index, "value", f"percent out of range 0–100 ({f.value})")
    if f.role in SIGNED_ROLES and f.as_written in f.evidence:
        before = f.evidence[: f.evidence.index(f.as_written)]
        words = DIRECTION_WORD.findall(before)
        if words and (words[-1] in DOWN_WORDS) != (value < 0) and value != 0:
            sign = "negative" if words[-1] in DOWN_WORDS else "positive"
            problems.add("figures", index, "value", f"{f.value} should be {sign}: the text says {words[-1]}")
    if f.role == "change_pct" and not percent:
        problems.add("figures", index, "counter", f"change_pct needs counter '%', not {f.counter!r}")
    try:
        written = parse_quantity(f.as_written)
    except ValueError as error:
        problems.add("figures", index, "as_written", f"cannot read {f.as_written!r}: {error}")
        return problems
    if written.value != abs(value):
        problems.add(
            "figures",
            index,
            "value",
            f"{f.value} does not match {f.as_written!r} as written ({written.value})",
        )
    detached = {word for word, code in QUALIFIER_WORDS.items() if code == f.qualifier}
    if written.qualifier != f.qualifier and not (
        written.qualifier == "exact" and any(word in f.evidence for word in detached)
    ):
        problems.add(
            "figures",
            index,
            "qualifier",
            f"{f.qualifier!r} does not match {f.as_written!r} as written ({written.qualifier})",
        )
    return problems


def _closure_problems(figures: pd.DataFrame, kind_of: dict) -> Problems:
    """Parts never exceed the total in force: the one reported at that date or the latest before."""
    problems = Problems()
    closure = figures[figures.measure_id.map(kind_of) == "closure"]
    for _, measure in closure.groupby("measure_id"):
        total = None
        for _, group in sorted(measure.groupby("as_of"), key=lambda item: item[0]):
            values = {}
            for index, f in group.iterrows():
                if (value := finite(f.value)) is not None:
                    values[f.role] = (value, index)
            if "total" in values:
                total = values["total"][0]
            parts = [values[role] for role in CLOSURE_PARTS if role in values]
            if total is None or not parts:
                continue
            for value, index in parts:
                if value > total:
                    problems.add("figures", index, "value", f"{value} exceeds the measure's total {total}")
            if sum(v for v, _ in parts) > total:
                problems.add(
                    "figures",
                    parts[-1][1],
                    "value",
                    f"parts add up to {sum(v for v, _ in parts)}, more than the total {total}",
                )
    return problems


def check_sources(sources: pd.DataFrame, texts: dict[str, SourceText], require: bool) -> Problems:
    """Source texts match their checksum; a missing text is a problem when required."""
    problems = Problems()
    for index, s in sources.iterrows():
        if not s.file_name:
            if s.sha256:
                problems.add("sources", index, "file_name", "a SHA-256 is given but no file_name")
            continue
        if not s.sha256:
            problems.add("sources", index, "sha256", f"required with file_name {s.file_name!r}")
        text = texts[s.source_id]
        if text.data is None:
            if require:
                problems.add("sources", index, "file_name", f"source text not found at {text.path}")
            continue
        if text.text is None:
            problems.add("sources", index, "file_name", f"{text.path} is not UTF-8 text")
        digest = hashlib.sha256(text.data).hexdigest()
        if s.sha256 and digest != s.sha256:
            problems.add("sources", index, "sha256", f"{text.path} has SHA-256 {digest}, not {s.sha256}")
    return problems


def check_evidence(table: str, df: pd.DataFrame, texts: dict[str, SourceText]) -> Problems:
    """as_written stands in the evidence, and the evidence verbatim in its source text."""
    problems = Problems()
    for index, row in df.iterrows():
        if row.as_written not in row.evidence:
            problems.add(table, index, "as_written", f"{row.as_written!r} does not occur in the evidence")
        text = texts.get(row.source_id)
        if text is None or text.text is None or not row.evidence:
            continue
        count = text.text.count(row.evidence)
        if count == 0:
            problems.add(table, index, "evidence", f"quote does not occur verbatim in {text.path.name}")
        elif count > 1:
            problems.add(
                table,
                index,
                "evidence",
                f"quote occurs {count} times in {text.path.name}; lengthen it so it locates one place",
            )
    return problems


def validate(tables, columns, texts: dict[str, SourceText], require_texts: bool = False) -> list[Problem]:
    """All problems of a set of curated tables, sorted by file and row."""
    problems = check_shape(tables, columns)
    if problems:
        return sorted(problems)
    problems.extend(check_cells(tables, columns))
    problems.extend(check_references(tables, columns))
    problems.extend(check_figures(tables["figures"], tables["measures"]))
    problems.extend(check_sources(tables["sources"], texts, require_texts))
    for table in ("figures", "left_out"):
        problems.extend(check_evidence(table, tables[table], texts))
    return sorted(set(problems))
