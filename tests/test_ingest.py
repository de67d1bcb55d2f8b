"""Batch import (metrics.ingest, metrics.batches, ``python -m metrics import/batches/rollback/template``).

Every test works on its own store in tmp: a copy of a database built once from data/ and an empty
imports folder, passed explicitly (``db_path``, ``imports_dir``) and through METRICS_DB /
METRICS_IMPORTS_DIR for the command line, so the real data/ folder is only ever read.
Expected values are written by hand from the 天津 example (870 problems raised, 780 resolved as of
2019-10; 621 as of 2019 in the curated source).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import random
import re
import shutil
import subprocess
import sys
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import duckdb
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics import batches, cli, ingest, paths, queries
from metrics.store import Store

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
CURATED_FIGURES = 98
TEMPLATE_COLUMNS = [
    "body",
    "measure_id",
    "theme",
    "indicator",
    "measure_kind",
    "label_zh",
    "label_en",
    "direction",
    "role",
    "value",
    "counter",
    "qualifier",
    "as_written",
    "as_of",
    "period",
    "evidence",
    "source_id",
    "source_title",
    "source_publisher",
    "source_published",
    "source_reference",
    "note",
    "body_kind",
    "body_name_zh",
    "body_name_en",
    "body_short_en",
    "body_region",
    "theme_name_en",
    "indicator_name_en",
    "indicator_family",
    "indicator_direction",
    "indicator_definition_zh",
    "indicator_definition_en",
    "comparable_group",
    "comparability",
    "caveat_zh",
    "caveat_en",
]
REQUIRED_COLUMNS = ["body", "role", "value", "counter", "as_written", "as_of", "evidence"]
BATCH_FILES = {
    "batch.json",
    "sources.csv",
    "bodies.csv",
    "themes.csv",
    "comparable_groups.csv",
    "indicators.csv",
    "measures.csv",
    "figures.csv",
    "targets.csv",
    "events.csv",
}

# The 天津 example, byte for byte as an editor would save it.
TIANJIN_CSV = (
    "body,measure_id,role,value,counter,as_written,as_of,evidence,source_title,source_publisher,"
    "source_published,source_reference\n"
    "天津,tianjin_public_requests_closure,total,870,件,870件,2019-10,群众反映的870件具体问题，已办结780件,"
    "天津市委主题教育办工作通报（第12期）,天津市委主题教育办,2019-10,津教办通报〔2019〕12号\n"
    "天津,tianjin_public_requests_closure,closed,780,件,780件,2019-10,群众反映的870件具体问题，已办结780件,"
    "天津市委主题教育办工作通报（第12期）,天津市委主题教育办,2019-10,津教办通报〔2019〕12号\n"
)
COLUMNS = TIANJIN_CSV.split("\n", 1)[0].split(",")
SOURCE = {
    "source_title": "天津市委主题教育办工作通报（第12期）",
    "source_publisher": "天津市委主题教育办",
    "source_published": "2019-10",
    "source_reference": "津教办通报〔2019〕12号",
}
EVIDENCE = "群众反映的870件具体问题，已办结780件"
TOTAL = {
    "body": "天津",
    "measure_id": "tianjin_public_requests_closure",
    "role": "total",
    "value": "870",
    "counter": "件",
    "as_written": "870件",
    "as_of": "2019-10",
    "evidence": EVIDENCE,
    **SOURCE,
}
CLOSED = {**TOTAL, "role": "closed", "value": "780", "as_written": "780件"}
# An unrelated figure from another report: 内蒙古 problems found, a later count.
OTHER_SOURCE = {
    "source_title": "内蒙古自治区主题教育整改通报",
    "source_publisher": "内蒙古自治区党委主题教育办",
    "source_published": "2019-12",
    "source_reference": "内教办〔2019〕30号",
}
INNER_MONGOLIA = {
    "body": "内蒙古",
    "measure_id": "inner_mongolia_problems_found",
    "role": "value",
    "value": "1503",
    "counter": "个",
    "as_written": "1503个",
    "as_of": "2019-12",
    "evidence": "累计检视问题1503个",
    **OTHER_SOURCE,
}
# A measure that does not exist yet: described instead of named by measure_id.
NEW_MEASURE = {
    "body": "天津",
    "theme": "为民服务解难题",
    "indicator": "群众诉求办结",
    "measure_kind": "closure",
    "label_zh": "12345热线诉求办结",
    "label_en": "12345 hotline requests resolved",
    "direction": "up",
}
HOTLINE_EVIDENCE = "12345热线受理诉求1200件，办结1100件"
HOTLINE = [
    {
        **NEW_MEASURE,
        "role": "total",
        "value": "1200",
        "counter": "件",
        "as_written": "1200件",
        "as_of": "2019-11",
        "evidence": HOTLINE_EVIDENCE,
        **SOURCE,
    },
    {
        **NEW_MEASURE,
        "role": "closed",
        "value": "1100",
        "counter": "件",
        "as_written": "1100件",
        "as_of": "2019-11",
        "evidence": HOTLINE_EVIDENCE,
        **SOURCE,
    },
]


# --- helpers ------------------------------------------------------------------------------------


def csv_bytes(rows: list[dict[str, str]], columns: list[str] | None = None, encoding="utf-8") -> bytes:
    """An import file: the given columns (default: every key in order of appearance) and rows."""
    columns = columns or list(dict.fromkeys(key for row in rows for key in row))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([row.get(c, "") for c in columns] for row in rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list], header: list[str] = COLUMNS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass
class Shop:
    db: Path
    imports: Path

    def import_(self, data: bytes, name: str = "tianjin.csv"):
        return Store(self.db, imports_dir=self.imports).import_file(data, name)

    def batches(self) -> list[batches.Batch]:
        return batches.list_batches(self.imports)

    def count(self, sql: str = "SELECT count(*) FROM figures", params=None):
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(sql, params or []).fetchone()[0]

    def query(self, name: str):
        with duckdb.connect(str(self.db), read_only=True) as con:
            return getattr(queries, name)(con)

    def figure_ids(self) -> set[str]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return {r[0] for r in con.execute("SELECT figure_id FROM figures").fetchall()}

    def snapshot(self) -> dict[str, str]:
        """SHA-256 of the database the path leads to and of every visible file of the store.

        Hidden entries (DuckDB builds in progress, batches being written) are not part of it."""
        found = {"(database)": hashlib.sha256(self.db.read_bytes()).hexdigest() if self.db.exists() else ""}
        for folder in (self.db.parent, self.imports):
            for path in sorted(folder.rglob("*")):
                relative = path.relative_to(folder.parent)
                if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                    found[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
        return found


@pytest.fixture(scope="module")
def pristine_db(tmp_path_factory) -> Path:
    """The curated data built once; every test copies it."""
    db = tmp_path_factory.mktemp("pristine") / "metrics.duckdb"
    Store(db, data_dir=DATA_DIR, sources_dir=paths.sources_dir(), imports_dir=db.parent / "none").build()
    return db


@pytest.fixture
def shop(tmp_path: Path, pristine_db: Path, monkeypatch) -> Shop:
    """A private store in tmp, also set as METRICS_DB / METRICS_IMPORTS_DIR for the CLI."""
    db = tmp_path / "db" / "metrics.duckdb"
    db.parent.mkdir()
    shutil.copyfile(pristine_db, db)
    imports = tmp_path / "imports"
    imports.mkdir()
    monkeypatch.setenv("METRICS_DB", str(db))
    monkeypatch.setenv("METRICS_IMPORTS_DIR", str(imports))
    return Shop(db, imports)


def fresh_store(folder: Path, pristine: Path) -> Shop:
    (folder / "db").mkdir(parents=True)
    (folder / "imports").mkdir()
    shutil.copyfile(pristine, folder / "db" / "metrics.duckdb")
    return Shop(folder / "db" / "metrics.duckdb", folder / "imports")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, pristine_db: Path) -> Shop:
    """A store holding one imported batch (内蒙古, from another report); tests copy it."""
    folder = tmp_path_factory.mktemp("seeded")
    seeded = fresh_store(folder, pristine_db)
    checked, batch = seeded.import_(csv_bytes([INNER_MONGOLIA]), "earlier.csv")
    assert checked.problems == [] and batch is not None
    return seeded


@pytest.fixture
def shop1(seeded: Shop, tmp_path: Path, monkeypatch) -> Shop:
    """A private copy of ``seeded``, also set as METRICS_DB / METRICS_IMPORTS_DIR."""
    shutil.copytree(seeded.db.parent, tmp_path / "db")
    shutil.copytree(seeded.imports, tmp_path / "imports")
    copy = Shop(tmp_path / "db" / seeded.db.name, tmp_path / "imports")
    monkeypatch.setenv("METRICS_DB", str(copy.db))
    monkeypatch.setenv("METRICS_IMPORTS_DIR", str(copy.imports))
    return copy


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def run_cli(*args: str) -> tuple[int, str, str]:
    """``python -m metrics ARGS`` in this process: (exit status, stdout, stderr)."""
    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(list(args))
    out.flush()
    return code, out.buffer.getvalue().decode("utf-8"), err.getvalue()


def subprocess_env(db: Path, imports: Path) -> dict[str, str]:
    env = dict(os.environ, METRICS_DB=str(db), METRICS_IMPORTS_DIR=str(imports))
    env.pop("METRICS_MAX_IMPORT_MB", None)
    return env


def run_module(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "metrics", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=timeout,
    )


def closure_of(frame, measure_id: str) -> dict:
    rows = frame[frame.measure_id == measure_id]
    assert len(rows) == 1, rows
    return rows.iloc[0].to_dict()


# --- 1. the template ----------------------------------------------------------------------------


def test_template_csv_has_the_columns_and_a_bom(tmp_path):
    done = run_module("template", env=subprocess_env(tmp_path / "m.duckdb", tmp_path / "imports"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"\xef\xbb\xbf")
    lines = done.stdout[3:].decode("utf-8").splitlines()
    assert lines == [",".join(TEMPLATE_COLUMNS)]
    assert list(ingest.IMPORT_COLUMNS) == TEMPLATE_COLUMNS
    assert [c for c, (required, _) in ingest.IMPORT_COLUMNS.items() if required] == REQUIRED_COLUMNS


def test_template_xlsx_has_a_guide_sheet(tmp_path):
    out = tmp_path / "template.xlsx"
    assert run_cli("template", "--format", "xlsx", "--out", str(out))[0] == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["figures", "说明 guide"]
    figures = [list(r) for r in book["figures"].iter_rows(values_only=True)]
    assert figures == [TEMPLATE_COLUMNS]
    guide = [list(r) for r in book["说明 guide"].iter_rows(values_only=True)]
    assert guide[0] == ["column", "required", "meaning"]
    assert [r[0] for r in guide[1:]] == TEMPLATE_COLUMNS
    assert [r[0] for r in guide[1:] if r[1] == "yes"] == REQUIRED_COLUMNS
    by_column = {r[0]: r[2] for r in guide[1:]}
    assert "YYYY-MM" in by_column["as_of"]
    assert "621件" in by_column["as_written"]


def test_filled_csv_template_imports(shop):
    header, _ = ingest.template("csv")[3:].decode("utf-8").split("\n", 1)
    columns = header.split(",")
    data = b"\xef\xbb\xbf" + csv_bytes([TOTAL, CLOSED], columns)
    checked, batch = shop.import_(data, "template.csv")
    assert checked.problems == []
    assert batch is not None and batch.rows == 2
    assert shop.count() == CURATED_FIGURES + 2


def test_filled_xlsx_template_imports(shop):
    book = openpyxl.load_workbook(io.BytesIO(ingest.template("xlsx")))
    sheet = book["figures"]
    columns = [c.value for c in sheet[1]]
    for row in (TOTAL, CLOSED):
        sheet.append([int(row[c]) if c == "value" else row.get(c, "") for c in columns])
    out = io.BytesIO()
    book.save(out)
    checked, batch = shop.import_(out.getvalue(), "template.xlsx")
    assert checked.problems == []
    assert batch is not None and batch.rows == 2
    closure = closure_of(shop.query("closures"), "tianjin_public_requests_closure")
    assert (closure["total"], closure["closed"], closure["as_of"]) == (870, 780, "2019-10")


# --- 2. a good import -----------------------------------------------------------------------------


def assert_tianjin_imported(shop: Shop) -> None:
    closure = closure_of(shop.query("closures"), "tianjin_public_requests_closure")
    assert (closure["total"], closure["closed"], closure["as_of"]) == (870, 780, "2019-10")
    assert round(closure["closure_rate"] * 100, 1) == 89.7
    history = shop.query("closure_history")
    history = history[history.measure_id == "tianjin_public_requests_closure"]
    assert [(r.as_of, r.total, r.closed) for r in history.itertuples()] == [
        ("2019", 870, 621),
        ("2019-10", 870, 780),
    ]
    assert shop.count() == CURATED_FIGURES + 2
    curated = {f"f{n:03d}" for n in range(1, CURATED_FIGURES + 1)}
    assert curated <= shop.figure_ids()


def test_good_import_through_the_api(shop):
    data = TIANJIN_CSV.encode("utf-8")
    checked, batch = shop.import_(data, "tianjin.csv")
    assert checked.ok and checked.duplicate_of is None
    assert batch.file_name == "tianjin.csv"
    assert batch.sha256 == hashlib.sha256(data).hexdigest()
    assert batch.rows == 2
    assert shop.batches() == [batch]
    assert sorted(p.name for p in (shop.imports / batch.batch_id).iterdir()) == sorted(BATCH_FILES)
    assert_tianjin_imported(shop)
    # the new source is stored once, with what the rows say about it
    with duckdb.connect(str(shop.db), read_only=True) as con:
        sources = con.execute(
            "SELECT title, publisher, published, reference FROM sources WHERE source_id <> 'symposium_2019'"
        ).fetchall()
    assert sources == [tuple(SOURCE.values())]


def test_good_import_through_the_cli(shop, tmp_path):
    path = tmp_path / "tianjin.csv"
    path.write_text(TIANJIN_CSV, encoding="utf-8")
    code, _, err = run_cli("import", str(path))
    assert code == 0, err
    assert "imported 2 figures" in err
    code, out, _ = run_cli("batches")
    assert code == 0
    listing = list(csv.DictReader(io.StringIO(out)))
    assert len(listing) == 1
    assert listing[0]["file_name"] == "tianjin.csv"
    assert listing[0]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert listing[0]["rows"] == "2"
    assert listing[0]["batch_id"] in err
    assert_tianjin_imported(shop)


def test_dry_run_writes_nothing(shop, tmp_path):
    path = tmp_path / "tianjin.csv"
    path.write_text(TIANJIN_CSV, encoding="utf-8")
    before = shop.snapshot()
    code, _, err = run_cli("import", "--dry-run", str(path))
    assert code == 0, err
    assert "2 figures OK (dry run; nothing written)" in err
    assert shop.snapshot() == before


# --- 3. duplicates ------------------------------------------------------------------------------


def test_same_file_twice_adds_nothing(shop, tmp_path):
    data = TIANJIN_CSV.encode("utf-8")
    _, first = shop.import_(data)
    before = shop.snapshot()
    checked, second = shop.import_(data, "renamed.csv")
    assert second is None
    assert checked.duplicate_of == first.batch_id
    assert shop.snapshot() == before
    path = tmp_path / "again.csv"
    path.write_bytes(data)
    code, _, err = run_cli("import", str(path))
    assert code == 0
    assert "already imported" in err and first.batch_id in err
    assert shop.snapshot() == before
    assert shop.batches() == [first]
    assert shop.count() == CURATED_FIGURES + 2


def test_a_row_already_imported_in_another_file_conflicts(shop):
    _, first = shop.import_(TIANJIN_CSV.encode("utf-8"))
    before = shop.snapshot()
    again = csv_bytes([{**TOTAL, "period": "截至10月底"}])
    checked, batch = shop.import_(again, "again.csv")
    assert batch is None
    [problem] = checked.problems
    assert (problem.file, problem.row, problem.column) == ("again.csv", 2, "role")
    assert problem.reason == (
        f"conflicts with imports/{first.batch_id}/figures.csv row 2: "
        "a second 'total' for measure 'tianjin_public_requests_closure' as of 2019-10"
    )
    assert shop.snapshot() == before


# --- 4. rollback --------------------------------------------------------------------------------


def test_rollback_removes_exactly_that_batch(shop):
    _, a = shop.import_(TIANJIN_CSV.encode("utf-8"), "a.csv")
    _, b = shop.import_(csv_bytes([INNER_MONGOLIA]), "b.csv")
    assert shop.count() == CURATED_FIGURES + 3
    code, _, err = run_cli("rollback", a.batch_id)
    assert code == 0, err
    assert f"rolled back {a.batch_id} (2 figures from a.csv)" in err
    assert shop.batches() == [b]
    assert sorted(p.name for p in shop.imports.iterdir()) == [b.batch_id]  # nothing left aside
    assert shop.count() == CURATED_FIGURES + 1
    ids = shop.figure_ids()
    assert f"{b.batch_id}_2" in ids
    assert not any(i.startswith(a.batch_id) for i in ids)
    closure = closure_of(shop.query("closures"), "tianjin_public_requests_closure")
    assert (closure["total"], closure["closed"], closure["as_of"]) == (870, 621, "2019")
    assert shop.count("SELECT value FROM figures WHERE figure_id = ?", [f"{b.batch_id}_2"]) == 1503
    assert shop.count("SELECT count(*) FROM sources") == 2  # the curated one and B's


def test_rollback_of_an_unknown_batch_exits_2(shop):
    shop.import_(TIANJIN_CSV.encode("utf-8"))
    before = shop.snapshot()
    code, _, err = run_cli("rollback", "b20190101T000000_deadbeef")
    assert code == 2
    assert "no batch 'b20190101T000000_deadbeef'" in err
    assert shop.snapshot() == before


def test_rollback_refused_while_a_later_batch_uses_its_source(shop):
    """B reuses the source A created: removing A alone would leave B's figures without a source,
    so the rollback is refused and both batches stay, the database untouched."""
    _, a = shop.import_(TIANJIN_CSV.encode("utf-8"), "a.csv")
    _, b = shop.import_(csv_bytes([{**TOTAL, "as_of": "2019-12"}]), "b.csv")
    assert b is not None
    before = shop.snapshot()
    code, _, err = run_cli("rollback", a.batch_id)
    assert code == 1
    assert f"imports/{b.batch_id}/figures.csv:2:source_id: unknown source_id" in err
    assert "nothing was written" in err
    assert shop.snapshot() == before
    assert set(shop.batches()) == {a, b}


def test_batches_are_listed_in_import_order_within_one_second(shop, monkeypatch):
    from datetime import UTC, datetime

    class SameSecond(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2019, 11, 1, 8, 0, 0, tzinfo=UTC)

    monkeypatch.setattr(ingest, "datetime", SameSecond)
    _, first = shop.import_(TIANJIN_CSV.encode("utf-8"), "first.csv")  # SHA-256 starts bbd63e8d
    _, second = shop.import_(csv_bytes([INNER_MONGOLIA]), "second.csv")  # starts 92d16601
    assert first.batch_id.split("_")[1] == second.batch_id.split("_")[1] == "20191101T080000"
    assert [b.file_name for b in shop.batches()] == ["first.csv", "second.csv"]


# --- 5. bad files -------------------------------------------------------------------------------


def _gbk_rows(encoding: str, note: str) -> bytes:
    return csv_bytes([{**TOTAL, "note": note}, {**CLOSED, "note": note}], encoding=encoding)


@pytest.mark.parametrize(
    ("data", "note"),
    [
        pytest.param(_gbk_rows("gbk", "十月通报"), "十月通报", id="gbk"),
        pytest.param(_gbk_rows("gb18030", "𠀀字只在GB18030"), "𠀀字只在GB18030", id="gb18030-only"),
        pytest.param(b"\xef\xbb\xbf" + _gbk_rows("utf-8", "带BOM"), "带BOM", id="utf-8-bom"),
    ],
)
def test_supported_encodings_import(shop, data, note):
    if not data.startswith(b"\xef\xbb\xbf"):
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")  # really not UTF-8
    if "𠀀" in note:
        with pytest.raises(UnicodeEncodeError):
            note.encode("gbk")  # really beyond GBK
    checked, batch = shop.import_(data, "encoded.csv")
    assert checked.problems == []
    assert batch.rows == 2
    assert shop.count("SELECT count(*) FROM figures WHERE note = ?", [note]) == 2
    assert shop.count("SELECT count(*) FROM measures") == 90  # header's first column read as 'body'


def row(**changes) -> dict[str, str]:
    return {**TOTAL, **changes}


def formula_xlsx() -> bytes:
    data = xlsx_bytes([[TOTAL[c] for c in COLUMNS], [CLOSED[c] for c in COLUMNS]])
    book = openpyxl.load_workbook(io.BytesIO(data))
    book.active["D3"] = "=780+0"  # a real formula cell in the value column
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


TIANJIN_COUNT = {
    **SOURCE,
    "body": "天津",
    "measure_id": "tianjin_inaction_cases",
    "role": "value",
    "counter": "起",
    "as_of": "2019-10",
}
BAD_FILES = {
    # id: (file bytes, file name, [(row, column, keyword of the reason)])
    "header only": (csv_bytes([], COLUMNS), "t.csv", [(1, "", "no rows below the header")]),
    "misspelled column": (
        csv_bytes([{("bodi" if k == "body" else k): v for k, v in TOTAL.items()}]),
        "t.csv",
        [
            (1, "bodi", "did you mean 'body'?"),
            (1, "body", "missing column"),
            (2, "body", "required value is empty"),
        ],
    ),
    "missing column": (
        csv_bytes([{k: v for k, v in TOTAL.items() if k != "evidence"}]),
        "t.csv",
        [
            (1, "evidence", "missing column"),
            (2, "as_written", "does not occur in the evidence"),
            (2, "evidence", "required value is empty"),
        ],
    ),
    "unknown column": (csv_bytes([{**TOTAL, "remarks": "x"}]), "t.csv", [(1, "remarks", "unknown column")]),
    "extra cells": (
        TIANJIN_CSV.replace("12号\n", "12号,多余\n", 1).encode(),
        "t.csv",
        [(2, "", "13 cells, but the header has 12")],
    ),
    "csv formulas": (
        csv_bytes(
            [row(value="=1+1"), {**CLOSED, "source_reference": '=HYPERLINK("http://x.example","点我")'}]
        ),
        "t.csv",
        [
            (2, "value", "looks like a spreadsheet formula"),
            (2, "value", "not a number"),
            (3, "source_reference", "looks like a spreadsheet formula"),
        ],
    ),
    "csv @ and + formulas": (
        csv_bytes([row(period="@SUM(A1:A2)"), {**CLOSED, "evidence": "+" + EVIDENCE}]),
        "t.csv",
        [
            (2, "period", "looks like a spreadsheet formula"),
            (3, "evidence", "looks like a spreadsheet formula"),
        ],
    ),
    "xlsx formula": (
        formula_xlsx(),
        "t.xlsx",
        [
            (3, "value", "a formula; type the value itself"),
            (3, "value", "looks like a spreadsheet formula"),
            (3, "value", "not a number"),
        ],
    ),
    "non-numeric value": (csv_bytes([row(value="八百七十")]), "t.csv", [(2, "value", "not a number")]),
    "empty required cell": (
        csv_bytes([row(counter="")]),
        "t.csv",
        [(2, "counter", "required value is empty")],
    ),
    "negative count": (
        csv_bytes([{**TIANJIN_COUNT, "value": "-5", "as_written": "5起", "evidence": "查处问题5起"}]),
        "t.csv",
        [(2, "value", "negative value -5")],
    ),
    "closed above total": (
        csv_bytes(
            [
                TOTAL,
                {**CLOSED, "value": "900", "as_written": "900件", "evidence": "870件具体问题，已办结900件"},
            ]
        ),
        "t.csv",
        [(3, "value", "900 exceeds the measure's total 870"), (3, "value", "parts add up to 900")],
    ),
    "part above the carried total": (
        csv_bytes([{**CLOSED, "value": "900", "as_written": "900件", "evidence": "已办结900件"}]),
        "t.csv",
        [(2, "value", "900 exceeds the measure's total 870"), (2, "value", "parts add up to 900")],
    ),
    "share above 100%": (
        csv_bytes(
            [
                {
                    **SOURCE,
                    "body": "上海",
                    "measure_id": "shanghai_one_visit_share",
                    "role": "value",
                    "value": "120",
                    "counter": "%",
                    "as_written": "120%",
                    "as_of": "2019-10",
                    "evidence": "最多跑一次事项占比120%",
                }
            ]
        ),
        "t.csv",
        [(2, "value", "percent out of range 0–100 (120)")],
    ),
    "change_pct below -100": (
        csv_bytes(
            [
                {
                    **SOURCE,
                    "body": "天津",
                    "measure_id": "tianjin_meetings_change",
                    "role": "change_pct",
                    "value": "-120",
                    "counter": "%",
                    "as_written": "120%",
                    "as_of": "2019-10",
                    "evidence": "会议减少120%",
                }
            ]
        ),
        "t.csv",
        [(2, "value", "a reduction cannot exceed 100% (-120)")],
    ),
    "as_of with slashes": (csv_bytes([row(as_of="2019/12")]), "t.csv", [(2, "as_of", "not a date")]),
    "as_written not in evidence": (
        csv_bytes([row(value="871", as_written="871件")]),
        "t.csv",
        [(2, "as_written", "does not occur in the evidence")],
    ),
    "value not as written": (
        csv_bytes([row(value="871")]),
        "t.csv",
        [(2, "value", "871 does not match '870件' as written (870)")],
    ),
    "qualifier not as written": (
        csv_bytes([row(value="870", as_written="870多件", evidence="群众反映的870多件具体问题")]),
        "t.csv",
        [(2, "qualifier", "'exact' does not match '870多件'")],
    ),
    "role that does not fit": (
        csv_bytes(
            [{**TIANJIN_COUNT, "role": "closed", "value": "5", "as_written": "5起", "evidence": "5起"}]
        ),
        "t.csv",
        [(2, "role", "role 'closed' does not fit a count measure")],
    ),
    "unknown body close to a known one": (
        csv_bytes([row(body="天津市")]),
        "t.csv",
        [(2, "body", "unknown body '天津市' (did you mean '天津市委'?)")],
    ),
    "unknown body close to none": (
        csv_bytes([row(body="杭州市委")]),
        "t.csv",
        [(2, "body", "unknown body '杭州市委': to add it, fill body_kind (and optionally body_name_zh")],
    ),
    "unknown measure_id": (
        csv_bytes([row(measure_id="tianjin_public_request_closure")]),
        "t.csv",
        [(2, "measure_id", "(did you mean 'tianjin_public_requests_closure'?)")],
    ),
    "measure of another body": (
        csv_bytes([row(body="上海")]),
        "t.csv",
        [(2, "measure_id", "belongs to 'tianjin', not 'shanghai'")],
    ),
    "unknown theme and indicator": (
        csv_bytes([{**HOTLINE[0], "theme": "为民服务解难", "indicator": "热线办结"}]),
        "t.csv",
        [
            (2, "indicator", "unknown indicator '热线办结': to add it, fill indicator_family"),
            (2, "theme", "did you mean '为民服务解难题'?"),
        ],
    ),
    "new measure without its kind": (
        csv_bytes([{**HOTLINE[0], "measure_kind": "closures"}]),
        "t.csv",
        [(2, "measure_kind", "(did you mean 'closure'?)")],
    ),
    "new measure without label": (
        csv_bytes([{**HOTLINE[0], "label_zh": ""}]),
        "t.csv",
        [(2, "label_zh", "required for a new measure")],
    ),
    "duplicate rows": (csv_bytes([TOTAL, CLOSED, TOTAL]), "t.csv", [(4, "", "duplicate of row 2")]),
    "new source without publisher": (
        csv_bytes([row(source_publisher=""), {**CLOSED, "source_publisher": ""}]),
        "t.csv",
        [(2, "source_publisher", "required value is empty")],
    ),
    "new source with a bad date": (
        csv_bytes([row(source_published="2019年10月"), {**CLOSED, "source_published": "2019年10月"}]),
        "t.csv",
        [(2, "source_published", "not a date")],
    ),
    "unknown source_id": (
        csv_bytes(
            [{**{k: v for k, v in TOTAL.items() if not k.startswith("source_")}, "source_id": "sympo"}]
        ),
        "t.csv",
        [(2, "source_id", "unknown source_id 'sympo'")],
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_is_refused_by_row_and_column(shop1, tmp_path, case):
    shop = shop1  # a store with one batch already
    data, name, expected = BAD_FILES[case]
    before, listed = shop.snapshot(), shop.batches()
    checked, batch = shop.import_(data, name)
    assert batch is None
    got = sorted((p.row, p.column) for p in checked.problems)
    assert got == sorted((r, c) for r, c, _ in expected), checked.problems
    for row_, column, keyword in expected:
        reasons = [p.reason for p in checked.problems if (p.file, p.row, p.column) == (name, row_, column)]
        assert any(keyword in reason for reason in reasons), (keyword, reasons)
    assert shop.snapshot() == before and shop.batches() == listed
    path = tmp_path / name
    path.write_bytes(data)
    code, _, err = run_cli("import", str(path))
    assert code == 1
    for problem in checked.problems:
        assert str(problem) in err
    assert f"{len(checked.problems)} problem(s); nothing was written." in err
    assert shop.snapshot() == before


UNREADABLE = {
    "empty file": (b"", "t.csv", "the file is empty"),
    "blank lines only": (b" \r\n\n\t\n", "t.csv", "the file is empty"),
    "random bytes": (random.Random(7).randbytes(4096), "t.csv", "UTF-8 .*GBK/GB18030 text"),
    "UTF-16 text": (TIANJIN_CSV.encode("utf-16"), "t.csv", "UTF-8 .*GBK/GB18030 text"),
    "CSV named .xlsx": (TIANJIN_CSV.encode(), "t.xlsx", "not a readable XLSX workbook"),
    "zip archive": (None, "t.csv", "not a readable XLSX workbook"),
    "truncated workbook": (None, "t.xlsx", "not a readable XLSX workbook"),
}


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return out.getvalue()


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_unreadable_file_exits_2(shop1, tmp_path, case):
    shop = shop1
    data, name, message = UNREADABLE[case]
    if case == "zip archive":
        data = _zip()
    elif case == "truncated workbook":
        whole = xlsx_bytes([[TOTAL[c] for c in COLUMNS]])
        data = whole[: len(whole) // 2]
    before, listed = shop.snapshot(), shop.batches()
    with pytest.raises(ingest.UnreadableFile, match=message):
        shop.import_(data, name)
    path = tmp_path / name
    path.write_bytes(data)
    code, _, err = run_cli("import", str(path))
    assert code == 2
    assert re.search(f"^{re.escape(str(path))}: cannot read: .*{message}", err, re.M), err
    assert shop.snapshot() == before and shop.batches() == listed


def test_nul_bytes_are_unreadable(shop, tmp_path):
    path = tmp_path / "zeros.csv"
    path.write_bytes(b"\x00" * 4096)
    before = shop.snapshot()
    code, _, err = run_cli("import", str(path))
    assert shop.snapshot() == before
    assert code == 2, err[:200]


def test_file_over_the_size_limit_exits_2(shop, tmp_path):
    path = tmp_path / "huge.csv"
    line = TIANJIN_CSV.split("\n")[1].encode() + b"\n"
    size = 50 * 2**20
    try:
        with path.open("wb") as f:
            f.write(TIANJIN_CSV.split("\n")[0].encode() + b"\n")
            f.write(line * (size // len(line)))
            f.write(b"x" * (size - f.tell()))
        assert path.stat().st_size == size
        before = shop.snapshot()
        done = run_module("import", str(path), env=subprocess_env(shop.db, shop.imports))
        assert done.returncode == 2
        err = done.stderr.decode()
        assert "the file is 50.0 MB; the limit is 20 MB" in err
        assert shop.snapshot() == before
        assert shop.batches() == []
    finally:
        path.unlink(missing_ok=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cells=st.lists(st.text(max_size=12), min_size=3, max_size=3),
    garbage=st.binary(max_size=200),
)
def test_any_cells_or_bytes_give_problems_or_unreadable_never_a_crash(shop, cells, garbage):
    """Whatever an editor types into value, as_of and body (or whatever bytes arrive), the check
    answers with problems or UnreadableFile and never with another exception."""
    value, as_of, body = cells
    data = csv_bytes([row(value=value, as_of=as_of, body=body)])
    for blob, name in ((data, "t.csv"), (garbage, "g.csv"), (garbage, "g.xlsx")):
        try:
            checked = Store(shop.db, imports_dir=shop.imports).check(blob, name)
        except ingest.UnreadableFile:
            continue
        assert checked.problems or blob is data


@pytest.mark.parametrize("value", ["８７０", "8_70"])
def test_value_decimal_accepts_but_the_database_cannot_read(shop, value):
    """Python's Decimal reads full-width digits and underscores, the database does not: the check
    refuses the cell (one problem, at the value), and nothing is stored."""
    before = shop.snapshot()
    checked, batch = shop.import_(csv_bytes([row(value=value)]), "t.csv")
    assert batch is None
    assert [(p.row, p.column) for p in checked.problems] == [(2, "value")]
    assert shop.snapshot() == before and not shop.batches()


# --- 6. a new measure -----------------------------------------------------------------------------


def test_new_measure_is_created_once_and_queried(shop):
    checked, batch = shop.import_(csv_bytes(HOTLINE), "hotline.csv")
    assert checked.problems == []
    measures = list(csv.DictReader((shop.imports / batch.batch_id / "measures.csv").open(encoding="utf-8")))
    assert len(measures) == 1
    measure = measures[0]
    assert measure["measure_id"].startswith("tianjin_")
    assert {k: measure[k] for k in ("body_id", "theme_id", "indicator_id", "kind", "direction")} == {
        "body_id": "tianjin",
        "theme_id": "serving_people",
        "indicator_id": "public_requests_closure",
        "kind": "closure",
        "direction": "up",
    }
    assert (measure["label_zh"], measure["label_en"]) == (
        "12345热线诉求办结",
        "12345 hotline requests resolved",
    )
    figures = list(csv.DictReader((shop.imports / batch.batch_id / "figures.csv").open(encoding="utf-8")))
    assert {f["measure_id"] for f in figures} == {measure["measure_id"]}
    assert shop.count("SELECT count(*) FROM measures") == 91
    closure = closure_of(shop.query("closures"), measure["measure_id"])
    assert (closure["total"], closure["closed"], closure["as_of"]) == (1200, 1100, "2019-11")
    assert round(closure["closure_rate"] * 100, 1) == 91.7
    assert closure["body_id"] == "tianjin"
    # reported again later by its description: the same measure, no second one
    later = [
        {
            **r,
            "as_of": "2019-12",
            "value": v,
            "as_written": f"{v}件",
            "evidence": "12345热线受理诉求1300件，办结1250件",
        }
        for r, v in zip(HOTLINE, ("1300", "1250"))
    ]
    checked, second = shop.import_(csv_bytes(later), "hotline-december.csv")
    assert checked.problems == []
    assert (shop.imports / second.batch_id / "measures.csv").read_text(encoding="utf-8").count("\n") == 1
    assert shop.count("SELECT count(*) FROM measures") == 91
    closure = closure_of(shop.query("closures"), measure["measure_id"])
    assert (closure["total"], closure["closed"], closure["as_of"]) == (1300, 1250, "2019-12")


# --- 8. an import while a reader is open ----------------------------------------------------------


def test_import_while_a_reader_holds_the_old_file(shop, tmp_path, monkeypatch):
    from metrics.ui import state

    stamp = state.db_stamp()
    assert stamp[0] == str(shop.db)
    reader = duckdb.connect(str(shop.db), read_only=True)
    try:
        assert reader.execute("SELECT count(*) FROM figures").fetchone()[0] == CURATED_FIGURES
        path = tmp_path / "tianjin.csv"
        path.write_text(TIANJIN_CSV, encoding="utf-8")
        done = run_module("import", str(path), env=subprocess_env(shop.db, shop.imports))
        assert done.returncode == 0, done.stderr.decode()
        # the open connection keeps reading the file it opened
        assert reader.execute("SELECT count(*) FROM figures").fetchone()[0] == CURATED_FIGURES
        assert reader.execute("SELECT count(*) FROM figures WHERE as_of = '2019-10'").fetchone()[0] == 0
        new_stamp = state.db_stamp()
        assert new_stamp != stamp
        assert new_stamp[0] == stamp[0] and new_stamp[1] != stamp[1]  # same path, another file
        # another process sees the new figures at once
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
                "print(con.execute('SELECT count(*) FROM figures').fetchone()[0])",
                str(shop.db),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert probe.stdout.strip() == str(CURATED_FIGURES + 2), probe.stderr
    finally:
        reader.close()
    assert shop.count() == CURATED_FIGURES + 2


def test_a_new_connection_in_the_same_process_sees_the_new_figures(shop, tmp_path):
    reader = Store(shop.db).connect()
    try:
        path = tmp_path / "tianjin.csv"
        path.write_text(TIANJIN_CSV, encoding="utf-8")
        done = run_module("import", str(path), env=subprocess_env(shop.db, shop.imports))
        assert done.returncode == 0, done.stderr.decode()
        with Store(shop.db).connect() as fresh:
            assert fresh.execute("SELECT count(*) FROM figures").fetchone()[0] == CURATED_FIGURES + 2
    finally:
        reader.close()


# --- 9. a store that cannot be written ----------------------------------------------------------


def really_read_only(folder: Path) -> bool:
    """chmod 0o500 on ``folder``; True if that actually prevents writing (it does not for root)."""
    folder.chmod(0o500)
    probe = folder / ".probe"
    try:
        probe.touch()
    except PermissionError:
        return True
    probe.unlink()
    folder.chmod(0o700)
    return False


@pytest.mark.parametrize("where", ["imports", "database"])
def test_unwritable_store_gives_a_clear_error_and_changes_nothing(shop1, tmp_path, monkeypatch, where):
    """A read-only folder; for root, where chmod does not stop writes, a folder under a regular file
    (which no one can create) stands in for it."""
    shop = shop1
    blocker = tmp_path / "blocker"
    blocker.write_text("a regular file where a folder should be")
    target = shop.imports if where == "imports" else shop.db.parent
    try:
        if really_read_only(target):
            blocked = target
        else:
            blocked = blocker / where
            variable = "METRICS_IMPORTS_DIR" if where == "imports" else "METRICS_DB"
            monkeypatch.setenv(variable, str(blocked if where == "imports" else blocked / "metrics.duckdb"))
        before, listed = shop.snapshot(), shop.batches()
        path = tmp_path / "tianjin.csv"
        path.write_text(TIANJIN_CSV, encoding="utf-8")
        code, _, err = run_cli("import", str(path))
        assert code == 2
        assert str(blocked) in err, err
        assert shop.snapshot() == before and shop.batches() == listed
        assert blocker.is_file(), "nothing was created under the regular file"
        assert visible(shop.db.parent) == ["metrics.duckdb"]  # no temporary file left in sight
        assert visible(shop.imports) == [b.batch_id for b in listed]
    finally:
        target.chmod(0o700)


def test_unwritable_store_message_does_not_blame_the_import_file(shop, tmp_path, monkeypatch):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    monkeypatch.setenv("METRICS_DB", str(blocker / "db" / "metrics.duckdb"))
    path = tmp_path / "tianjin.csv"
    path.write_text(TIANJIN_CSV, encoding="utf-8")
    code, _, err = run_cli("import", str(path))
    assert code != 0
    assert "cannot read" not in err, err
