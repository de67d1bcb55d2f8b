"""Checks on curated tables, reported as ``file:row:column: reason``.

``validate(staged, texts)`` returns every problem it finds (it never stops at
the first), so one run tells a curator everything to fix. Row numbers are file
line numbers (the header is line 1).

The checks run set-wise, so that millions of rows take seconds: the tables are
staged in DuckDB (``metrics.staging``) with their row position ``_pos``, each
check is one SQL statement that finds the rows at fault, and Python only works
per distinct value (reading a number or a quantity, a did-you-mean hint,
counting a quote in its source text) and writes the reasons of the rows found.

Only the new rows (``<table>__new``) are checked, against all rows: in a full
build every row is new; in an import the rows staged and checked at the last
build are the base, and only the import's rows, and the figures of the measures
they add to, are looked at.
"""

from __future__ import annotations

import calendar
import difflib
import hashlib
import re
import sys
from dataclasses import dataclass, field
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import pandas as pd

from metrics import curated
from metrics.numbers import QUALIFIER_WORDS, read_quantity
from metrics.vocabulary import DIRECTION_PATTERN, DOWN_WORDS

ROLES_BY_KIND = {
    "closure": {"total", "closed", "partly_closed", "in_progress"},
    "change": {"before", "after", "change_pct", "change_pp", "change_abs"},
    "count": {"value"},
    "share": {"value"},
    "amount": {"value"},
    "duration": {"value"},
}
SIGNED_ROLES = {"change_pct", "change_pp", "change_abs"}
# Words that give a change its sign (metrics.vocabulary, as the extractor): the nearest one
# before the number decides.
DIRECTION_WORD = re.compile(DIRECTION_PATTERN)
CLOSURE_PARTS = ("closed", "partly_closed", "in_progress")
ISO_PARTIAL_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
# The characters that str.strip() removes.
WHITESPACE = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    row: int
    column: str
    reason: str
    # The table whose row it is, where a check found it in one (not part of what it says).
    table: str = field(default="", compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.reason}"


@dataclass(frozen=True)
class SourceText:
    source_id: str
    path: Path
    data: bytes | None  # None when the file is not there
    text: str | None  # None when the file is not there or not UTF-8


#: The file name of a report text kept with an imported batch, inside the imports folder.
BATCH_TEXT = re.compile(r"[A-Za-z0-9_]+/report\.txt")


def read_source_texts(
    sources: pd.DataFrame,
    folder: Path,
    imports: Path | None = None,
    pending: dict[str, bytes] | None = None,
) -> dict[str, SourceText]:
    """The texts of ``sources`` (source_id, file_name) by source_id, read from ``folder``, or for
    a report text kept with a batch (file_name ``<batch_id>/report.txt``) from the ``imports``
    folder, or from ``pending`` (file_name -> bytes: the text of a batch not yet stored). A
    missing file gives data None."""
    texts = {}
    pending = pending or {}
    for row in sources.itertuples():
        batch_text = imports is not None and BATCH_TEXT.fullmatch(row.file_name) is not None
        path = (imports if batch_text else folder) / row.file_name
        if row.file_name in pending:
            data = pending[row.file_name]
        else:
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


# --- the tables in DuckDB --------------------------------------------------------------------------

MACROS = f"""
-- v starts or ends with a character that str.strip() removes
CREATE OR REPLACE TEMP MACRO padded(v) AS v <> '' AND (contains('{WHITESPACE}', v[1]) OR contains('{WHITESPACE}', v[-1]));
CREATE OR REPLACE TEMP MACRO signed(role) AS role IN ({", ".join(f"'{r}'" for r in sorted(SIGNED_ROLES))});
"""


class Frames:
    """Checks over staged tables (``metrics.staging``): each table has its row position ``_pos``.

    A check selects the positions of the rows at fault and ``add``s a reason; ``problems``
    turns every position back into the row's file and line.
    """

    def __init__(self, staged):
        self.staged = staged
        self.con = staged.con
        self.faults: list[tuple[str, int, str, str]] = []
        self.con.execute(MACROS)

    def register(self, name: str, frame: pd.DataFrame) -> None:
        self.con.register(name, frame)

    def rows(self, sql: str, params: list | dict | None = None) -> list[tuple]:
        return self.con.execute(sql, params).fetchall()

    def add(self, table: str, pos: int, column: str, reason: str) -> None:
        self.faults.append((table, pos, column, reason))

    def problems(self) -> list[Problem]:
        return [
            Problem(*self.staged.locate(table, pos), column, reason, table)
            for table, pos, column, reason in self.faults
        ]


def _text_frame(rows: list[tuple], names: list[str]) -> pd.DataFrame:
    """A frame of text columns (typed even when empty, so DuckDB sees VARCHAR)."""
    return pd.DataFrame(rows, columns=names, dtype=object).astype(str)


def _judged(db: Frames, table: str, keys: list[str], judge, where: str) -> list[tuple[int, str]]:
    """(position, reason) of the rows of ``table`` that ``judge`` finds fault with.

    ``judge(*values)`` runs once per distinct combination of the ``keys`` columns among the
    rows matching SQL ``where`` (which tests only those columns) and returns the reasons
    (none when the values are fine).
    """
    columns = ", ".join(f'"{key}"' for key in keys)
    distinct = db.rows(f"SELECT DISTINCT {columns} FROM {table} WHERE {where}")
    verdicts = [(*values, reason) for values in distinct for reason in judge(*values)]
    if not verdicts:
        return []
    db.register("verdicts", _text_frame(verdicts, [*keys, "_reason"]))
    return db.rows(f"SELECT _pos, _reason FROM {table} JOIN verdicts USING ({columns})")


# --- shape and cells -------------------------------------------------------------------------------


def check_cells(db: Frames, columns) -> None:
    """Required cells, types, allowed values, formats and unique ids."""
    for table in curated.TABLES:
        cols = columns[table]
        for pos, column, reason in _blank_or_padded(db, table, cols):
            db.add(table, pos, column, reason)
        for col in cols:
            for pos, reason in _unfit_values(db, table, col):
                db.add(table, pos, col.name, reason)
        _duplicates(db, table, cols)


def _blank_or_padded(db: Frames, table: str, cols: list) -> list[tuple[int, str, str]]:
    """(position, column, reason) of every cell with leading or trailing spaces and every empty
    required cell, found in one scan of the table."""
    tests = [(col.name, f'padded("{col.name}")', "leading or trailing spaces") for col in cols]
    tests += [(col.name, f"\"{col.name}\" = ''", "required value is empty") for col in cols if col.required]
    flags = ", ".join(f"{sql} AS t{i}" for i, (_, sql, _) in enumerate(tests))
    either = " OR ".join(f"t{i}" for i in range(len(tests)))
    found = db.rows(f"SELECT * FROM (SELECT _pos, {flags} FROM {table}__new) WHERE {either}")
    return [(pos, name, reason) for pos, *hits in found for (name, _, reason), hit in zip(tests, hits) if hit]


def _unfit_values(db: Frames, table: str, col: curated.Column) -> list[tuple[int, str]]:
    """(position, reason) of the non-empty cells of ``col`` that do not fit its type, allowed
    values or format, judged once per distinct value."""
    if col.type == "text" and not col.choices and col.allowed not in ("iso_partial_date", "sha256"):
        return []
    return _judged(db, f"{table}__new", [col.name], lambda value: _unfit(col, value), f"\"{col.name}\" <> ''")


def _unfit(col: curated.Column, value: str) -> list[str]:
    """Why the non-empty ``value`` does not fit ``col``: its type, allowed values or format."""
    reasons = []
    if col.type in ("number", "integer"):
        number = finite(value)
        if number is None:
            return [f"not a number: {value!r}"]
        if col.type == "integer" and number != number.to_integral_value():
            reasons.append(f"not a whole number: {value!r}")
        reasons += unstorable(number, value, col.type)
    if col.choices and value not in col.choices:
        hint = did_you_mean(value, col.choices)
        reasons.append(f"{value!r} is not one of {', '.join(col.choices)}{hint}")
    if col.allowed == "iso_partial_date":
        if not ISO_PARTIAL_DATE.match(value):
            reasons.append(f"{value!r} is not a date YYYY, YYYY-MM or YYYY-MM-DD")
        else:
            reasons += impossible_date(value)
    if col.allowed == "sha256" and not SHA256.match(value):
        reasons.append(f"{value!r} is not a lowercase hex SHA-256")
    return reasons


# A number column is a DOUBLE: it keeps 15 significant digits exactly (DBL_DIG), and a figure
# is never rounded. An integer column is a BIGINT.
DOUBLE_DIGITS = 15
BIGINT_MAX = 2**63 - 1


def unstorable(number: Decimal, text: str, kind: str = "number") -> list[str]:
    """Why the finite ``number`` (written ``text``) cannot be stored as it is written in a
    column of ``kind`` (number: DOUBLE; integer: BIGINT).

    >>> unstorable(Decimal("99999999999999999999999999"), "99999999999999999999999999")
    ['99999999999999999999999999 is too large: the store keeps numbers below 10^15 (1,000,000,000,000,000) exactly']
    >>> unstorable(Decimal("0.1234567890123456789"), "0.1234567890123456789")
    ['0.1234567890123456789 has 19 significant digits; the store keeps 15 exactly']
    """
    if not number:
        return []
    shown = text if len(text) <= 40 else f"{text[:20]}… ({len(text):,} characters)"
    if kind == "integer":
        too_large = abs(number) > BIGINT_MAX
        return [f"{shown} is too large: whole numbers stop at {BIGINT_MAX:,}"] if too_large else []
    if number.adjusted() >= DOUBLE_DIGITS:
        limit = f"10^{DOUBLE_DIGITS} ({10**DOUBLE_DIGITS:,})"
        return [f"{shown} is too large: the store keeps numbers below {limit} exactly"]
    if number.adjusted() < -DOUBLE_DIGITS:
        return [f"{shown} is too small: the store keeps numbers down to 10^-{DOUBLE_DIGITS} exactly"]
    digits = "".join(map(str, number.as_tuple().digits)).rstrip("0")
    if len(digits) > DOUBLE_DIGITS:
        return [f"{shown} has {len(digits)} significant digits; the store keeps {DOUBLE_DIGITS} exactly"]
    return []


def impossible_date(text: str) -> list[str]:
    """Why ``text``, shaped YYYY, YYYY-MM or YYYY-MM-DD, is not a date of the calendar.

    >>> impossible_date("2019-02-30"), impossible_date("2020-02-29")
    (["'2019-02-30' is not a date: 2019-02 has 28 days"], [])
    """
    year, month, day = (int(part) for part in (text.split("-") + ["1", "1"])[:3])
    if year == 0:
        return [f"{text!r} is not a date: there is no year 0"]
    days = calendar.monthrange(year, month)[1]
    if day > days:
        return [f"{text!r} is not a date: {year:04d}-{month:02d} has {days} days"]
    return []


def _duplicates(db: Frames, table: str, cols: list) -> None:
    """Ids seen before in the table; in the plain lists (no id), whole rows seen before. Only
    the ids (rows) of new rows are looked at: the rows checked before had none."""
    key = cols[0].name
    keyed = table not in ("left_out", "number_words")
    partition = f'"{key}"' if keyed else ", ".join(f'"{c.name}"' for c in cols)
    sql = f"""
        SELECT _pos, "{key}" FROM (
            SELECT _pos, "{key}", row_number() OVER (PARTITION BY {partition} ORDER BY _pos) AS seen
            FROM {table} SEMI JOIN (SELECT DISTINCT {partition} FROM {table}__new) USING ({partition})
        ) WHERE seen > 1
    """
    for pos, value in db.rows(sql):
        db.add(table, pos, key, f"duplicate id {value!r}" if keyed else "duplicate row")


def check_references(db: Frames, columns) -> None:
    """Every ``ref:table.column`` value exists in the referenced table."""
    for table in curated.TABLES:
        for col in columns[table]:
            if col.reference is not None:
                for pos, reason in _unknown_references(db, table, col):
                    db.add(table, pos, col.name, reason)


def _unknown_references(db: Frames, table: str, col: curated.Column) -> list[tuple[int, str]]:
    ref_table, ref_column = col.reference
    known = cache(lambda: [v for (v,) in db.rows(f'SELECT DISTINCT "{ref_column}" FROM {ref_table}')])

    def unknown(value: str) -> list[str]:
        return [f"unknown {ref_column} {value!r}{did_you_mean(value, known())}"]

    where = f'"{col.name}" <> \'\' AND "{col.name}" NOT IN (SELECT "{ref_column}" FROM {ref_table})'
    return _judged(db, f"{table}__new", [col.name], unknown, where)


# --- figures ---------------------------------------------------------------------------------------

EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


def _number_key(number: Decimal) -> str:
    """Text that is equal exactly for equal numbers (1, 1.0 and 1E+0; 0 and -0): no rounding."""
    return "0" if not number else str(number.normalize(EXACT))


def _exact_decimal(number: Decimal) -> str | None:
    """``number`` as DECIMAL(38, 10) text when that holds it, and any sum of three such, exactly."""
    if number.as_tuple().exponent >= -10 and abs(number) < 10**17:
        return format(number, "f")
    return None


def _register_numbers(db: Frames) -> None:
    """``numbers``: facts about every distinct finite figure value, computed with Decimal
    (``magnitude`` is the key of its absolute value, ``exact`` its DECIMAL text or None)."""
    facts = []
    for (text,) in db.rows("SELECT DISTINCT value FROM figures__scope"):
        number = finite(text)
        if number is not None:
            key, exact = _number_key(abs(number)), _exact_decimal(number)
            facts.append((text, number < 0, number == 0, number < -100, number > 100, key, exact))
    types = {"text": str, "negative": bool, "zero": bool, "below_minus_100": bool, "above_100": bool}
    types |= {"magnitude": str, "exact": object}
    db.register("numbers", pd.DataFrame(facts, columns=list(types)).astype(types))


def _register_quantities(db: Frames) -> None:
    """``quantities``: every distinct as_written of a figure with a finite value, as read."""
    facts = []
    sql = "SELECT DISTINCT as_written FROM figures__new WHERE value IN (SELECT text FROM numbers)"
    for (text,) in db.rows(sql):
        try:
            written = read_quantity(text)
        except ValueError as error:
            facts.append((text, str(error), "", "", "", ""))
            continue
        magnitude = _number_key(abs(written.value))
        facts.append((text, None, magnitude, str(written.value), written.qualifier, written.direction))
    columns = ["text", "error", "magnitude", "shown", "qualifier", "direction"]
    db.register("quantities", _text_frame(facts, columns))


# The view ``valued``: the figures whose value is a finite number (check_cells reports the
# others), with what is known of that number and of the quantity as written.
VALUED = """
CREATE OR REPLACE TEMP VIEW valued AS
SELECT f._pos, f.measure_id, f.role, f.value, f.counter, f.qualifier, f.as_written, f.as_of, f.evidence,
       n.negative, n.zero, n.below_minus_100, n.above_100, n.magnitude, n.exact,
       q.error, q.magnitude AS written_magnitude, q.shown AS written, q.qualifier AS written_qualifier,
       q.direction AS written_direction
FROM figures__new f JOIN numbers n ON n.text = f.value JOIN quantities q ON q.text = f.as_written
"""


def check_figures(db: Frames) -> None:
    """Roles fit their measure, values agree with what is written, parts fit totals."""
    # The figures of the measures that new figures belong to: all a new figure is checked against.
    scope = (
        "figures"
        if db.staged.first_new["figures"] == 0
        else ("figures WHERE measure_id IN (SELECT measure_id FROM figures__new)")
    )
    db.con.execute(f"CREATE OR REPLACE TEMP VIEW figures__scope AS SELECT * FROM {scope}")
    db.con.execute(  # as in a dict of measure_id -> kind, the last row of a measure_id counts
        "CREATE OR REPLACE TEMP VIEW kind_of AS "
        "SELECT measure_id, arg_max(kind, _pos) AS kind FROM measures GROUP BY measure_id"
    )
    roles = [(kind, role) for kind, allowed in ROLES_BY_KIND.items() for role in allowed]
    db.register("roles", _text_frame(roles, ["kind", "role"]))
    db.register("qualifier_words", _text_frame(list(QUALIFIER_WORDS.items()), ["word", "code"]))
    _register_numbers(db)
    _register_quantities(db)
    db.con.execute(VALUED)
    for check in FIGURE_CHECKS:
        check(db)


def _role_fits_kind(db: Frames) -> None:
    sql = """
        SELECT f._pos, f.role, k.kind FROM figures__new f JOIN kind_of k USING (measure_id)
        WHERE f.role <> '' AND k.kind IN (SELECT kind FROM roles)
          AND NOT EXISTS (SELECT 1 FROM roles r WHERE r.kind = k.kind AND r.role = f.role)
    """
    for pos, role, kind in db.rows(sql):
        allowed = ", ".join(sorted(ROLES_BY_KIND[kind]))
        reason = f"role {role!r} does not fit a {kind} measure (use {allowed})"
        db.add("figures", pos, "role", reason)


def _conflicts(db: Frames) -> None:
    """A second figure for the same measure, role and date conflicts with the first."""
    sql = """
        WITH firsts AS (
            SELECT measure_id, role, as_of, min(_pos) AS first
            FROM figures__scope SEMI JOIN figures__new USING (measure_id, role, as_of)
            GROUP BY ALL HAVING count(*) > 1
        )
        SELECT f._pos, firsts.first, f.measure_id, f.role, f.as_of
        FROM figures__scope f JOIN firsts USING (measure_id, role, as_of) WHERE f._pos > firsts.first
    """
    for pos, first, measure_id, role, as_of in db.rows(sql):
        file, line = db.staged.locate("figures", first)
        reason = (
            f"conflicts with {file} row {line}: a second {role!r} for measure {measure_id!r} as of {as_of}"
        )
        db.add("figures", pos, "role", reason)


def _negative(db: Frames) -> None:
    sql = "SELECT _pos, value, role FROM valued WHERE negative AND NOT signed(role)"
    for pos, value, role in db.rows(sql):
        db.add("figures", pos, "value", f"negative value {value} for role {role!r}")


def _reduction_over_100(db: Frames) -> None:
    sql = "SELECT _pos, value FROM valued WHERE counter = '%' AND role = 'change_pct' AND below_minus_100"
    for pos, value in db.rows(sql):
        db.add("figures", pos, "value", f"a reduction cannot exceed 100% ({value})")


def _percent_over_100(db: Frames) -> None:
    sql = "SELECT _pos, value FROM valued WHERE counter = '%' AND NOT signed(role) AND above_100"
    for pos, value in db.rows(sql):
        db.add("figures", pos, "value", f"percent out of range 0–100 ({value})")


def _sign_of_change(db: Frames) -> None:
    """The sign of a change agrees with the last direction word before as_written in the evidence."""
    sql = """
        WITH said AS MATERIALIZED (
            SELECT _pos, value, negative,
                   regexp_extract_all(evidence[:instr(evidence, as_written) - 1], $words)[-1] AS word
            FROM valued WHERE signed(role) AND contains(evidence, as_written) AND NOT zero
        )
        SELECT _pos, value, word, list_contains($down, word) AS down FROM said
        WHERE word IS NOT NULL AND list_contains($down, word) <> negative
    """
    params = {"words": DIRECTION_WORD.pattern, "down": list(DOWN_WORDS)}
    for pos, value, word, down in db.rows(sql, params):
        sign = "negative" if down else "positive"
        db.add("figures", pos, "value", f"{value} should be {sign}: the text says {word}")
    # A direction word inside as_written (减少9个) signs the figure as well.
    sql = """
        SELECT _pos, value, as_written, written_direction = 'down' FROM valued
        WHERE signed(role) AND error IS NULL AND written_direction <> '' AND NOT zero
          AND (written_direction = 'down') <> negative
    """
    for pos, value, as_written, down in db.rows(sql):
        sign = "negative" if down else "positive"
        db.add("figures", pos, "value", f"{value} should be {sign}: as written {as_written!r}")


def _change_pct_counter(db: Frames) -> None:
    for pos, counter in db.rows(
        "SELECT _pos, counter FROM valued WHERE role = 'change_pct' AND counter <> '%'"
    ):
        db.add("figures", pos, "counter", f"change_pct needs counter '%', not {counter!r}")


def _as_written_readable(db: Frames) -> None:
    for pos, as_written, error in db.rows(
        "SELECT _pos, as_written, error FROM valued WHERE error IS NOT NULL"
    ):
        db.add("figures", pos, "as_written", f"cannot read {as_written!r}: {error}")


def _value_as_written(db: Frames) -> None:
    """The value, without its sign, is the number as written."""
    # Judged per distinct pair, each side joined on its own: left to itself the planner joins
    # the two small tables first on the inequality, a nested loop of millions of pairs.
    sql = """
        WITH pairs AS MATERIALIZED (
            SELECT DISTINCT f.value, f.as_written, n.magnitude
            FROM figures__new f JOIN numbers n ON n.text = f.value
        ), differing AS MATERIALIZED (
            SELECT p.value, p.as_written, q.shown AS written
            FROM pairs p JOIN quantities q ON q.text = p.as_written
            WHERE q.error IS NULL AND q.magnitude <> p.magnitude
        )
        SELECT f._pos, f.value, f.as_written, d.written FROM figures__new f JOIN differing d USING (value, as_written)
    """
    for pos, value, as_written, written in db.rows(sql):
        reason = f"{value} does not match {as_written!r} as written ({written})"
        db.add("figures", pos, "value", reason)


def _qualifier_as_written(db: Frames) -> None:
    """The qualifier is the one written, or a word of it stands elsewhere in the evidence."""
    sql = """
        SELECT _pos, qualifier, as_written, written_qualifier FROM valued v
        WHERE error IS NULL AND written_qualifier <> qualifier AND NOT (
            written_qualifier = 'exact' AND EXISTS (
                SELECT 1 FROM qualifier_words w WHERE w.code = v.qualifier AND contains(v.evidence, w.word)))
    """
    for pos, qualifier, as_written, written in db.rows(sql):
        reason = f"{qualifier!r} does not match {as_written!r} as written ({written})"
        db.add("figures", pos, "qualifier", reason)


# Closure dates whose parts may exceed the total in force: the total reported at that date or
# the latest before. Per measure, date and role the last figure in the frame counts. Only dates
# at or after a measure's earliest new figure can change (the rows before were checked when they
# came), with the total in force before them carried in. Dates where every number fits
# DECIMAL(38, 10) and no part exceeds are left out; Python decides the rest.
CLOSURE_SQL = f"""
WITH since AS (
    SELECT measure_id, min(as_of) AS since FROM figures__new GROUP BY measure_id
), closure AS (
    SELECT f.measure_id, f.as_of, f.role, f._pos, f.as_of >= s.since AS recent,
           {{'value': f.value, 'exact': n.exact::DECIMAL(38, 10), 'pos': f._pos}} AS f
    FROM figures__scope f JOIN since s USING (measure_id) JOIN numbers n ON n.text = f.value
    JOIN kind_of USING (measure_id)
    WHERE kind = 'closure' AND role IN ('total', {", ".join(f"'{r}'" for r in CLOSURE_PARTS)})
), latest AS (
    SELECT measure_id, as_of, role, arg_max(f, _pos) AS f FROM closure WHERE recent GROUP BY ALL
    UNION ALL
    SELECT measure_id, max(as_of), role, max_by(f, (as_of, _pos)) FROM closure
    WHERE NOT recent AND role = 'total' GROUP BY measure_id, role
), dated AS (
    SELECT measure_id, as_of,
           any_value(f) FILTER (WHERE role = 'total') AS total,
           list(f ORDER BY list_position({list(CLOSURE_PARTS)}, role)) FILTER (WHERE role <> 'total') AS parts,
           max(f.exact) FILTER (WHERE role <> 'total') AS largest,
           sum(f.exact) FILTER (WHERE role <> 'total') AS parts_sum,
           bool_or(f.exact IS NULL) FILTER (WHERE role <> 'total') AS inexact
    FROM latest GROUP BY ALL
), in_force AS (
    SELECT * EXCLUDE (total), last_value(total IGNORE NULLS) OVER (
        PARTITION BY measure_id ORDER BY as_of ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS total
    FROM dated
)
SELECT total.value, parts FROM in_force
WHERE parts IS NOT NULL AND total IS NOT NULL
  AND (inexact OR total.exact IS NULL OR largest > total.exact OR parts_sum > total.exact)
"""


def _closure_parts(db: Frames) -> None:
    """Parts never exceed the total in force: the one reported at that date or the latest before."""
    for total_text, parts_found in db.rows(CLOSURE_SQL):
        total = Decimal(total_text)
        parts = [(Decimal(part["value"]), part["pos"]) for part in parts_found]
        for value, pos in parts:
            if value > total:
                db.add("figures", pos, "value", f"{value} exceeds the measure's total {total}")
        if sum(v for v, _ in parts) > total:
            reason = f"parts add up to {sum(v for v, _ in parts)}, more than the total {total}"
            db.add("figures", parts[-1][1], "value", reason)


FIGURE_CHECKS = (
    _role_fits_kind,
    _conflicts,
    _negative,
    _reduction_over_100,
    _percent_over_100,
    _sign_of_change,
    _change_pct_counter,
    _as_written_readable,
    _value_as_written,
    _qualifier_as_written,
    _closure_parts,
)


# --- sources and evidence --------------------------------------------------------------------------


def check_sources(db: Frames, texts: dict[str, SourceText], require: bool) -> None:
    """Source texts match their checksum; a missing text is a problem when required."""
    sql = "SELECT _pos, source_id, file_name, sha256 FROM sources__new WHERE file_name <> '' OR sha256 <> ''"
    for pos, source_id, file_name, sha256 in db.rows(sql):
        if not file_name:
            db.add("sources", pos, "file_name", "a SHA-256 is given but no file_name")
            continue
        if not sha256:
            db.add("sources", pos, "sha256", f"required with file_name {file_name!r}")
        text = texts[source_id]
        if text.data is None:
            if require:
                db.add("sources", pos, "file_name", f"source text not found at {text.path}")
            continue
        if text.text is None:
            db.add("sources", pos, "file_name", f"{text.path} is not UTF-8 text")
        digest = hashlib.sha256(text.data).hexdigest()
        if sha256 and digest != sha256:
            db.add("sources", pos, "sha256", f"{text.path} has SHA-256 {digest}, not {sha256}")


def check_evidence(db: Frames, table: str, texts: dict[str, SourceText]) -> None:
    """as_written stands in the evidence, and the evidence verbatim in its source text."""
    sql = f"SELECT _pos, as_written FROM {table}__new WHERE NOT contains(evidence, as_written)"
    for pos, as_written in db.rows(sql):
        db.add(table, pos, "as_written", f"{as_written!r} does not occur in the evidence")
    for pos, reason in _quotes_not_once(db, table, texts):
        db.add(table, pos, "evidence", reason)


def _quotes_not_once(db: Frames, table: str, texts: dict[str, SourceText]) -> list[tuple[int, str]]:
    """(position, reason) of the quotes that do not occur exactly once in their source text,
    counted once per distinct source and quote, where the source's text is held."""
    held = [(source_id,) for source_id, text in texts.items() if text.text is not None]
    db.register("texts_held", _text_frame(held, ["source_id"]))

    def not_once(source_id: str, evidence: str) -> list[str]:
        text = texts[source_id]
        count = text.text.count(evidence)
        if count == 0:
            return [f"quote does not occur verbatim in {text.path.name}"]
        if count > 1:
            return [f"quote occurs {count} times in {text.path.name}; lengthen it so it locates one place"]
        return []

    where = "evidence <> '' AND source_id IN (SELECT source_id FROM texts_held)"
    return _judged(db, f"{table}__new", ["source_id", "evidence"], not_once, where)


def check_catalogue(db: Frames) -> None:
    """An indicator that joins its group with a caveat states it in both languages; a measure's
    own direction, where given, is its indicator's (the catalogue decides)."""
    for language in ("zh", "en"):
        sql = f"SELECT _pos FROM indicators__new WHERE comparability = 'caveat' AND caveat_{language} = ''"
        for (pos,) in db.rows(sql):
            db.add("indicators", pos, f"caveat_{language}", "required when comparability is 'caveat'")
    sql = """
        SELECT m._pos, m.direction, i.direction, i.indicator_id
        FROM measures__new m JOIN indicators i USING (indicator_id)
        WHERE m.direction <> '' AND i.direction <> '' AND m.direction <> i.direction
    """
    for pos, own, catalogue, indicator in db.rows(sql):
        reason = f"direction {own!r} differs from the catalogue's {catalogue!r} for indicator {indicator!r}"
        db.add("measures", pos, "direction", reason + " (leave it empty)")


def source_files(staged) -> pd.DataFrame:
    """source_id and file_name of the staged sources that name a text file."""
    return staged.con.execute("SELECT source_id, file_name FROM sources WHERE file_name <> ''").df()


def validate(staged, texts: dict[str, SourceText], require_texts: bool = False) -> list[Problem]:
    """All problems of the staged tables (``metrics.staging``), sorted by file and row; the
    files that could not be read as their table, if any, and nothing else."""
    if staged.problems:
        return sorted(set(staged.problems))
    db = Frames(staged)
    check_cells(db, staged.columns)
    check_references(db, staged.columns)
    check_catalogue(db)
    check_figures(db)
    check_sources(db, texts, require_texts)
    for table in ("figures", "left_out"):
        check_evidence(db, table, texts)
    return sorted(set(db.problems()))
