"""The curated CSVs themselves: shape, quotes, completeness against the source, known figures.

Files are read with the csv module, not through metrics.curated, so these tests do not
only trust the code they check. Expected figures are written by hand from the source text.
"""

from __future__ import annotations

import csv
import hashlib
import re
from decimal import Decimal
from pathlib import Path

import pytest

from metrics import curated

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SOURCE_FILE = "000_51c61d9e97b41153.txt"
DICTIONARY = curated.dictionary(DATA_DIR / "dictionary.csv")
TABLE_FILES = sorted(p.stem for p in DATA_DIR.glob("*.csv") if p.stem != "dictionary")
NUMERAL_RUNS = (r"[0-9]+(?:\.[0-9]+)?", r"[零〇一二两三四五六七八九十百千万亿]+")


def read(table: str) -> tuple[list[str], list[dict[str, str]]]:
    """Header and records (as dicts) of data/<table>.csv."""
    with (DATA_DIR / f"{table}.csv").open(encoding="utf-8-sig", newline="") as f:
        header, *records = list(csv.reader(f))
    return header, [dict(zip(header, r)) for r in records]


def records(table: str) -> list[dict[str, str]]:
    return read(table)[1]


def occurrences(needle: str, text: str) -> list[int]:
    """Start of every (also overlapping) occurrence of needle in text."""
    return [m.start() for m in re.finditer(f"(?={re.escape(needle)})", text)]


def written_span(row: dict[str, str], text: str) -> tuple[int, int]:
    """Span of as_written: first occurrence of the evidence, then of as_written inside it."""
    start = text.find(row["evidence"]) + row["evidence"].find(row["as_written"])
    return start, start + len(row["as_written"])


def context(text: str, start: int, end: int, width: int = 12) -> str:
    return f"{text[max(0, start - width) : start]}[{text[start:end]}]{text[end : end + width]}"


# --- (a) shape ---------------------------------------------------------------


def test_every_csv_is_a_dictionary_table():
    assert set(TABLE_FILES) == set(DICTIONARY) == set(curated.TABLES)


@pytest.mark.parametrize("table", TABLE_FILES)
def test_header_is_the_dictionary_columns_in_order(table):
    header, _ = read(table)
    assert header == [c.name for c in DICTIONARY[table]]


# Targets and events are set by editors (their imports); the curated data invents none.
MAY_BE_EMPTY = {"targets", "events"}


@pytest.mark.parametrize("table", TABLE_FILES)
def test_records_have_the_header_width(table):
    with (DATA_DIR / f"{table}.csv").open(encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f))
    assert rows or table in MAY_BE_EMPTY, f"{table}.csv has no records"
    assert [i for i, r in enumerate(rows, start=2) if len(r) != len(header)] == []


@pytest.mark.parametrize("table", TABLE_FILES)
def test_required_cells_are_filled(table):
    required = [c.name for c in DICTIONARY[table] if c.required]
    empty = [(i, name) for i, r in enumerate(records(table)) for name in required if not r[name].strip()]
    assert empty == []


# English names may be left empty by staff who add a body, theme or indicator through an import
# (the pages then show the Chinese one), but the curated catalogue has every one of them.
CURATED_ENGLISH = {
    "bodies": ("name_en", "short_en"),
    "themes": ("name_en",),
    "indicators": ("name_en",),
    "comparable_groups": ("name_en", "definition_en"),
}


@pytest.mark.parametrize("table", list(CURATED_ENGLISH))
def test_the_curated_catalogue_has_every_english_name(table):
    empty = [
        (r[next(iter(r))], c) for r in records(table) for c in CURATED_ENGLISH[table] if not r[c].strip()
    ]
    assert empty == []


@pytest.mark.parametrize("table", TABLE_FILES)
def test_enum_cells_hold_allowed_values(table):
    enums = {c.name: c.allowed.split("|") for c in DICTIONARY[table] if "|" in c.allowed}
    bad = [
        (r[name], name) for r in records(table) for name, allowed in enums.items() if r[name] not in allowed
    ]
    assert bad == []


@pytest.mark.parametrize("table", TABLE_FILES)
def test_references_resolve(table):
    bad = []
    for col in DICTIONARY[table]:
        if col.allowed.startswith("ref:"):
            ref_table, ref_column = col.allowed[4:].split(".")
            known = {r[ref_column] for r in records(ref_table)}
            bad += [(col.name, r[col.name]) for r in records(table) if r[col.name] not in known]
    assert bad == []


@pytest.mark.parametrize(
    "table", ["sources", "body_kinds", "bodies", "themes", "indicators", "measures", "figures"]
)
def test_ids_are_unique(table):
    ids = [r[DICTIONARY[table][0].name] for r in records(table)]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


# --- (b) quotes --------------------------------------------------------------


@pytest.mark.parametrize("table", ["figures", "left_out"])
def test_evidence_occurs_exactly_once_in_the_source(table, source_text):
    counts = {r["evidence"]: len(occurrences(r["evidence"], source_text)) for r in records(table)}
    assert {evidence: n for evidence, n in counts.items() if n != 1} == {}, "evidence: times found"


@pytest.mark.parametrize("table", ["figures", "left_out"])
def test_as_written_occurs_in_its_evidence(table):
    assert [
        (r["as_written"], r["evidence"]) for r in records(table) if r["as_written"] not in r["evidence"]
    ] == []


def test_sources_checksum_is_the_source_file(source_text, source_path):
    (source,) = records("sources")
    assert source["file_name"] == SOURCE_FILE
    assert source["sha256"] == hashlib.sha256(source_path.read_bytes()).hexdigest()


# --- (c) completeness ----------------------------------------------------------


def numeral_runs(text: str) -> list[re.Match]:
    return [m for pattern in NUMERAL_RUNS for m in re.finditer(pattern, text)]


def spans(table: str, text: str) -> list[tuple[int, int]]:
    return [written_span(r, text) for r in records(table)]


def word_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for r in records("number_words") for m in re.finditer(re.escape(r["word"]), text)]


def within(span: tuple[int, int], covers: list[tuple[int, int]]) -> bool:
    return any(start <= span[0] and span[1] <= end for start, end in covers)


def test_every_numeral_in_the_source_is_a_figure_or_left_out(source_text):
    covers = spans("figures", source_text) + spans("left_out", source_text) + word_spans(source_text)
    uncovered = [
        context(source_text, *m.span()) for m in numeral_runs(source_text) if not within(m.span(), covers)
    ]
    assert uncovered == [], "numerals neither in a figure, a left_out row nor a number word:\n" + "\n".join(
        uncovered
    )


def test_no_numeral_is_both_a_figure_and_left_out(source_text):
    figures, left_out = spans("figures", source_text), spans("left_out", source_text)
    both = [
        context(source_text, *m.span())
        for m in numeral_runs(source_text)
        if within(m.span(), figures) and within(m.span(), left_out)
    ]
    assert both == [], "numerals claimed by a figure and a left_out row:\n" + "\n".join(both)


@pytest.mark.parametrize("table", ["figures", "left_out"])
def test_no_two_rows_claim_the_same_span(table, source_text):
    found = spans(table, source_text)
    assert sorted({context(source_text, *s) for s in found if found.count(s) > 1}) == []


def test_every_figure_contains_a_numeral():
    bare = [
        r["as_written"]
        for r in records("figures")
        if not any(re.search(p, r["as_written"]) for p in NUMERAL_RUNS)
    ]
    assert bare == []


# --- (d) figures read by hand from the source ----------------------------------

EXPECTED_FIGURES = [
    # body_id, as_written, role, value, qualifier
    ("tianjin", "166起", "value", "166", "exact"),
    ("tianjin", "216人", "value", "216", "exact"),
    ("tianjin", "91件", "value", "91", "exact"),
    ("tianjin", "108人", "value", "108", "exact"),
    ("tianjin", "80起", "value", "80", "exact"),
    ("tianjin", "101人", "value", "101", "exact"),
    ("tianjin", "120条", "value", "120", "exact"),
    ("tianjin", "77.6%", "change_pct", "-77.6", "exact"),
    ("tianjin", "31.8%", "change_pct", "-31.8", "exact"),
    ("tianjin", "870件", "total", "870", "exact"),
    ("tianjin", "621件", "closed", "621", "exact"),
    ("mwr", "1.33万件", "value", "13300", "exact"),
    ("mwr", "12.2万", "value", "122000", "exact"),
    ("mwr", "599万", "value", "5990000", "exact"),
    ("mwr", "3000多个", "value", "3000", "more_than"),
    ("mwr", "24%", "change_pct", "-24", "exact"),
    ("adbc", "1000亿元", "value", "100000000000", "exact"),
    ("adbc", "64%", "change_pct", "64", "exact"),
    ("shanghai", "逾90%", "value", "90", "more_than"),
    ("shanghai", "277项", "before", "277", "exact"),
    ("shanghai", "76项", "after", "76", "exact"),
    ("huaneng", "2个百分点", "change_pp", "2", "exact"),
    ("huaneng", "3年半", "value", "3.5", "exact"),
    ("mca", "79项", "total", "79", "exact"),
    ("mca", "14项", "closed", "14", "exact"),
    ("mca", "26项", "partly_closed", "26", "exact"),
    ("mca", "39项", "in_progress", "39", "exact"),
]


def figures_of(body_id: str, as_written: str) -> list[dict[str, str]]:
    body_of = {m["measure_id"]: m["body_id"] for m in records("measures")}
    return [
        f for f in records("figures") if body_of[f["measure_id"]] == body_id and f["as_written"] == as_written
    ]


@pytest.mark.parametrize(("body_id", "as_written", "role", "value", "qualifier"), EXPECTED_FIGURES)
def test_known_figure(body_id, as_written, role, value, qualifier):
    (figure,) = figures_of(body_id, as_written)
    assert (figure["role"], Decimal(figure["value"]), figure["qualifier"]) == (
        role,
        Decimal(value),
        qualifier,
    )


@pytest.mark.parametrize(
    ("as_written", "family"),
    [
        ("166起", "cases"),
        ("216人", "people"),
        ("91件", "cases"),
        ("108人", "people"),
        ("80起", "cases"),
        ("101人", "people"),
        ("120条", "clues"),
    ],
)
def test_tianjin_case_counts_are_in_their_family(as_written, family):
    (figure,) = figures_of("tianjin", as_written)
    measure = next(m for m in records("measures") if m["measure_id"] == figure["measure_id"])
    indicator = next(i for i in records("indicators") if i["indicator_id"] == measure["indicator_id"])
    assert (measure["kind"], indicator["family"]) == ("count", family)
