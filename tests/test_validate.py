"""One broken copy of the real data per kind of problem, reported by file, row and column.

Rows are file lines (header = 1), counted on the raw file by ``CsvEditor.line_of``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from metrics import database, paths
from metrics.validate import Problem


def load_checked(data_dir: Path, sources_dir: Path, require_texts: bool):
    """The checked figures table and the source texts."""
    with database.checked(data_dir, sources_dir, require_texts, data_dir / "imports") as (staged, texts):
        return staged.frame("figures"), texts


def problems_of(
    data_dir: Path, sources_dir: Path | None = None, require_texts: bool = False
) -> list[Problem]:
    with pytest.raises(database.DataError) as info:
        load_checked(data_dir, sources_dir or paths.sources_dir(), require_texts)
    return info.value.problems


def listing(problems) -> str:
    return "\n".join(map(str, problems))


def assert_problem(problems, file: str, row: int, column: str, keyword: str) -> None:
    at = [p for p in problems if (p.file, p.row, p.column) == (file, row, column)]
    assert at, f"no problem at {file}:{row}:{column}; got:\n{listing(problems)}"
    assert any(keyword in p.reason for p in at), (
        f"no {keyword!r} at {file}:{row}:{column}; got:\n{listing(at)}"
    )


def test_the_unchanged_copy_has_no_problems(data_copy, source_text):
    figures, texts = load_checked(data_copy, paths.sources_dir(), require_texts=True)
    assert texts["symposium_2019"].text == source_text
    assert len(figures) > 0


TJ_CASES = "tianjin_inaction_cases"  # a measure id
CELL_CASES = [
    # table, key (first cell), column, new value, keyword of the reason
    pytest.param("measures", TJ_CASES, "body_id", "tianjn", "did you mean 'tianjin'", id="body-near-miss"),
    pytest.param("measures", TJ_CASES, "body_id", "atlantis", "unknown body_id", id="body-unknown"),
    pytest.param("measures", TJ_CASES, "theme_id", "no_such_theme", "unknown theme_id", id="theme"),
    pytest.param("measures", TJ_CASES, "indicator_id", "nope", "unknown indicator_id", id="indicator"),
    pytest.param("figures", "f003", "measure_id", "no_such_measure", "unknown measure_id", id="measure"),
    pytest.param("figures", "f003", "value", "abc", "not a number", id="value-not-numeric"),
    pytest.param("figures", "f003", "value", "-166", "negative value", id="count-negative"),
    pytest.param("figures", "f044", "value", "190", "out of range", id="share-over-100"),
    pytest.param("figures", "f009", "value", "-177.6", "cannot exceed 100%", id="change-pct-under-minus-100"),
    pytest.param("figures", "f003", "value", "167", "does not match '166起'", id="value-vs-as-written"),
    pytest.param(
        "figures", "f009", "value", "77.6", "should be negative: the text says 减少", id="sign-of-reduction"
    ),
    pytest.param(
        "figures", "f086", "value", "-64", "should be positive: the text says 增长", id="sign-of-growth"
    ),
    pytest.param("figures", "f003", "as_written", "166件", "does not occur in the evidence", id="as-written"),
    pytest.param("figures", "f003", "qualifier", "more_than", "does not match '166起'", id="qualifier-added"),
    pytest.param(
        "figures", "f075", "qualifier", "exact", "does not match '3000多个'", id="qualifier-dropped"
    ),
    pytest.param("figures", "f015", "role", "before", "does not fit a closure measure", id="role-vs-kind"),
    pytest.param("figures", "f003", "role", "valeu", "did you mean 'value'", id="role-typo"),
    pytest.param("figures", "f003", "as_of", "2019/08", "not a date", id="as-of-slashes"),
    pytest.param("figures", "f003", "as_of", "2019-13", "not a date", id="as-of-month-13"),
    pytest.param(
        "figures", "f003", "as_of", "2019-02-30", "not a date: 2019-02 has 28 days", id="as-of-feb-30"
    ),
    pytest.param(
        "figures",
        "f003",
        "value",
        "99999999999999999999999999",
        "too large: the store keeps numbers below 10^15",
        id="value-beyond-a-double",
    ),
    pytest.param(
        "figures", "f003", "value", "166.0000000000000001", "has 19 significant digits", id="value-digits"
    ),
    pytest.param("figures", "f003", "counter", "", "required value is empty", id="required-empty"),
    pytest.param("figures", "f003", "counter", " 起", "leading or trailing spaces", id="spaces"),
    pytest.param(
        "sources", "symposium_2019", "sha256", "ABC", "not a lowercase hex SHA-256", id="sha256-format"
    ),
    pytest.param("sources", "symposium_2019", "published", "2019/01", "not a date", id="published"),
    pytest.param(
        "sources", "symposium_2019", "published", "2019-04-31", "2019-04 has 30 days", id="published-april-31"
    ),
]


@pytest.mark.parametrize(("table", "key", "column", "value", "keyword"), CELL_CASES)
def test_bad_cell_is_reported_at_its_cell(csv_edit, data_copy, table, key, column, value, keyword):
    line = csv_edit.set_cell(table, key, column, value)
    assert_problem(problems_of(data_copy), f"{table}.csv", line, column, keyword)


def test_duplicate_figure_id(csv_edit, data_copy):
    line = csv_edit.set_cell("figures", "f004", "figure_id", "f003")
    assert_problem(problems_of(data_copy), "figures.csv", line, "figure_id", "duplicate id 'f003'")


# The direction words of metrics.vocabulary, the extractor's: each signs a change here too.
@pytest.mark.parametrize(
    ("word", "sign"),
    [
        ("压缩", "negative"),
        ("削减", "negative"),
        ("缩短", "negative"),
        ("回落", "negative"),
        ("攀升", "positive"),
    ],
)
def test_every_direction_word_of_the_vocabulary_signs_a_change(csv_edit, data_copy, word, sign):
    value = "24" if sign == "negative" else "-24"
    csv_edit.set_cell("figures", "f070", "evidence", f"其中因灾死亡失踪人数{word}24%")
    line = csv_edit.set_cell("figures", "f070", "value", value)
    assert_problem(
        problems_of(data_copy), "figures.csv", line, "value", f"should be {sign}: the text says {word}"
    )


def test_a_direction_word_in_as_written_signs_the_change(csv_edit, data_copy):
    # 减少24% as written reads as -24: the unchanged value passes, a positive one does not.
    line = csv_edit.set_cell("figures", "f070", "as_written", "减少24%")
    load_checked(data_copy, paths.sources_dir(), require_texts=False)
    csv_edit.set_cell("figures", "f070", "value", "24")
    assert_problem(problems_of(data_copy), "figures.csv", line, "value", "should be negative: as written")


def test_a_range_is_stored_as_its_low_end_at_least(csv_edit, data_copy, tmp_path):
    # 培训一线员工3至5万人次 is not in the source text: its quotes are not checked here.
    no_texts = tmp_path / "no_texts"
    no_texts.mkdir()
    csv_edit.set_cell("figures", "f003", "evidence", "培训一线员工3至5万人次")
    csv_edit.set_cell("figures", "f003", "as_written", "3至5万人次")
    csv_edit.set_cell("figures", "f003", "counter", "人次")
    line = csv_edit.set_cell("figures", "f003", "value", "30000")
    problems = problems_of(data_copy, no_texts)
    assert_problem(problems, "figures.csv", line, "qualifier", "as written (at_least)")
    assert len(problems) == 1, listing(problems)
    csv_edit.set_cell("figures", "f003", "qualifier", "at_least")
    load_checked(data_copy, no_texts, require_texts=False)


def test_closed_above_total(csv_edit, data_copy):
    line = csv_edit.set_cell("figures", "f016", "value", "871")  # 621 closed of 870 -> 871
    assert_problem(problems_of(data_copy), "figures.csv", line, "value", "exceeds the measure's total 870")


def test_parts_adding_up_to_more_than_the_total(csv_edit, data_copy):
    csv_edit.set_cell("figures", "f062", "value", "27")  # 14 + 27 + 39 = 80 > 79
    last_part = csv_edit.line_of("figures", "f063")
    assert_problem(problems_of(data_copy), "figures.csv", last_part, "value", "add up to 80")


def test_quote_not_in_the_source_text(csv_edit, data_copy, source_text):
    evidence = "全市共查处不作为不担当问题166起！"
    assert evidence not in source_text
    line = csv_edit.set_cell("figures", "f003", "evidence", evidence)
    assert_problem(problems_of(data_copy), "figures.csv", line, "evidence", "does not occur verbatim")


def test_left_out_quote_not_in_the_source_text(csv_edit, data_copy, source_text):
    rows = csv_edit.rows("left_out")
    rows[1][rows[0].index("evidence")] += "！"
    csv_edit.write("left_out", rows)
    assert_problem(problems_of(data_copy), "left_out.csv", 2, "evidence", "does not occur verbatim")


def test_second_figure_for_the_same_measure_role_and_date_conflicts(csv_edit, data_copy):
    original = csv_edit.line_of("figures", "f003")
    line = csv_edit.append("figures", csv_edit.record("figures", "f003") | {"figure_id": "f999"})
    assert_problem(
        problems_of(data_copy), "figures.csv", line, "role", f"conflicts with figures.csv row {original}"
    )


def test_same_measure_and_role_at_a_later_date_is_no_conflict(csv_edit, data_copy):
    csv_edit.append("figures", csv_edit.record("figures", "f036") | {"figure_id": "f999", "as_of": "2019-11"})
    figures, _ = load_checked(data_copy, paths.sources_dir(), require_texts=False)
    assert "f999" in set(figures.figure_id)


def rename_value(rows):
    rows[0][rows[0].index("value")] = "valu"


def drop_note(rows):
    for row in rows:
        del row[-1]


def add_extra(rows):
    rows[0].append("extra")
    for row in rows[1:]:
        row.append("")


def swap_role_and_value(rows):
    for row in rows:
        row[2], row[3] = row[3], row[2]


@pytest.mark.parametrize(
    ("change", "column", "keyword"),
    [
        pytest.param(rename_value, "value", "missing column", id="renamed-missing"),
        pytest.param(rename_value, "valu", "did you mean 'value'", id="renamed-unknown"),
        pytest.param(drop_note, "note", "missing column", id="missing"),
        pytest.param(add_extra, "extra", "unknown column", id="extra"),
        pytest.param(swap_role_and_value, "figure_id", "columns out of order", id="order"),
    ],
)
def test_header_problems(csv_edit, data_copy, change, column, keyword):
    rows = csv_edit.rows("figures")
    change(rows)
    csv_edit.write("figures", rows)
    assert_problem(problems_of(data_copy), "figures.csv", 1, column, keyword)


def test_record_with_too_many_cells(csv_edit, data_copy):
    line = csv_edit.line_of("figures", "f005")
    rows = csv_edit.rows("figures")
    next(r for r in rows if r[0] == "f005").append("surplus")
    csv_edit.write("figures", rows)
    problems = problems_of(data_copy)
    assert_problem(
        problems, "figures.csv", line, "", f"{len(rows[0]) + 1} cells, but the header has {len(rows[0])}"
    )


def test_file_that_is_not_utf8(data_copy):
    path = data_copy / "figures.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))
    assert_problem(problems_of(data_copy), "figures.csv", 1, "", "not UTF-8")


def test_missing_file(data_copy):
    (data_copy / "themes.csv").unlink()
    problems = problems_of(data_copy)
    assert [(Path(p.file).name, p.row) for p in problems] == [("themes.csv", 1)], listing(problems)


def copy_sources(tmp_path: Path, source_path: Path) -> Path:
    folder = tmp_path / "sources"
    folder.mkdir()
    shutil.copyfile(source_path, folder / source_path.name)
    return folder


def test_source_text_checksum_mismatch(csv_edit, data_copy, tmp_path, source_path, source_text):
    folder = copy_sources(tmp_path, source_path)
    altered = bytearray((folder / source_path.name).read_bytes())
    first_newline = altered.index(b"\n")  # outside every quote
    altered[first_newline] = ord(" ")
    (folder / source_path.name).write_bytes(bytes(altered))
    problems = problems_of(data_copy, folder)
    line = csv_edit.line_of("sources", "symposium_2019")
    assert [(p.file, p.row, p.column) for p in problems] == [("sources.csv", line, "sha256")], listing(
        problems
    )
    assert "SHA-256" in problems[0].reason


def test_missing_source_text_is_a_problem_only_when_required(csv_edit, data_copy, tmp_path):
    empty = tmp_path / "no_sources"
    empty.mkdir()
    load_checked(data_copy, empty, require_texts=False)
    line = csv_edit.line_of("sources", "symposium_2019")
    assert_problem(
        problems_of(data_copy, empty, require_texts=True), "sources.csv", line, "file_name", "not found"
    )


def test_problems_are_listed_all_at_once_and_sorted(csv_edit, data_copy):
    lines = [
        csv_edit.set_cell("figures", "f010", "value", "abc"),
        csv_edit.set_cell("figures", "f003", "as_of", "x"),
    ]
    problems = problems_of(data_copy)
    assert problems == sorted(problems)
    assert {("figures.csv", line) for line in lines} <= {(p.file, p.row) for p in problems}


# --- found while writing these tests: the checks crash or stay silent ------------


def test_measure_kind_typo_is_reported_not_a_crash(csv_edit, data_copy):
    line = csv_edit.set_cell("measures", "tianjin_public_requests_closure", "kind", "closur")
    assert_problem(problems_of(data_copy), "measures.csv", line, "kind", "did you mean 'closure'")


@pytest.mark.parametrize("figure_id", ["f003", "f016"])
def test_nan_value_is_reported_not_a_crash(csv_edit, data_copy, figure_id):
    line = csv_edit.set_cell("figures", figure_id, "value", "NaN")
    assert_problem(problems_of(data_copy), "figures.csv", line, "value", "not a number")


def test_evidence_occurring_twice_in_the_source_is_a_problem(csv_edit, data_copy, source_text):
    assert source_text.count("8个") > 1  # 8个专项整治, 8个方面, 8个专项整治工作组 ...
    line = csv_edit.set_cell("figures", "f002", "evidence", "8个")
    problems = problems_of(data_copy)
    assert [(p.file, p.row, p.column) for p in problems] == [("figures.csv", line, "evidence")], listing(
        problems
    )


def test_source_text_that_is_not_utf8_is_reported_not_a_crash(data_copy, tmp_path, source_path, source_text):
    folder = copy_sources(tmp_path, source_path)
    (folder / source_path.name).write_bytes(source_text.encode("gbk", errors="replace"))
    problems = problems_of(data_copy, folder)
    assert "sources.csv" in {p.file for p in problems}, listing(problems)
