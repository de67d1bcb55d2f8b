"""metrics/staging.py: every table as text in DuckDB with each row's file and line; the cache's
fingerprint of the inputs."""

from __future__ import annotations

import csv
from pathlib import Path

from metrics import curated, staging

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_every_curated_row_is_staged_as_text_in_file_order(tmp_path):
    columns = curated.dictionary(DATA / "dictionary.csv")
    with staging.stage(columns, DATA, tmp_path / "imports") as staged:
        assert staged.problems == []
        for table in ("bodies", "measures", "figures"):
            frame = staged.frame(table)
            expected = csv_rows(DATA / f"{table}.csv")
            assert len(frame) == len(expected), table
            key = frame.columns[0]
            assert list(frame[key]) == [r[key] for r in expected], table  # the file's order


def test_a_file_with_a_missing_column_is_a_problem_at_its_header(data_copy, tmp_path):
    path = data_copy / "themes.csv"
    rows = path.read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    path.write_text("\n".join(",".join(r.split(",")[:-1]) for r in rows) + "\n", encoding="utf-8")
    columns = curated.dictionary(data_copy / "dictionary.csv")
    with staging.stage(columns, data_copy, tmp_path / "imports") as staged:
        found = [(p.file.endswith("themes.csv"), p.row, p.column) for p in staged.problems]
    assert (True, 1, header[-1]) in found


def test_shape_problems_name_each_missing_unknown_or_misplaced_column():
    expected = ["a", "b", "c"]
    assert staging.shape_problems("f.csv", ["a", "b", "c"], expected) == []
    missing = staging.shape_problems("f.csv", ["a", "b"], expected)
    assert [(p.row, p.column, p.reason) for p in missing] == [(1, "c", "missing column")]
    unknown = staging.shape_problems("f.csv", ["a", "b", "c", "d"], expected)
    assert [(p.column, p.reason.split(" (")[0]) for p in unknown] == [("d", "unknown column")]
    (order,) = staging.shape_problems("f.csv", ["b", "a", "c"], expected)
    assert "out of order" in order.reason


def test_the_fingerprint_changes_with_a_file_and_marks_a_missing_one(tmp_path):
    here, gone = tmp_path / "x.csv", tmp_path / "missing.csv"
    here.write_text("a\n1\n", encoding="utf-8")
    before = staging.fingerprint([here, gone])
    assert before[1] == [str(gone), None, None]
    here.write_text("a\n12\n", encoding="utf-8")
    assert staging.fingerprint([here, gone]) != before


def test_the_inputs_of_a_build_are_the_dictionary_the_tables_and_each_batch(tmp_path):
    files = staging.input_files(DATA, tmp_path / "imports", ["t.txt"])
    assert files[0] == DATA / "dictionary.csv"
    assert {DATA / f"{t}.csv" for t in curated.TABLES} <= set(files)
    assert files[-1] == Path("t.txt")
