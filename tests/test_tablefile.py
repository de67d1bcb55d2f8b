"""Odd and hostile import files (metrics.tablefile, metrics.textio, ingest.read_rows).

Every file is built here, small; each gets one clear answer naming where (row, column) and why:
a problem ``file:row:column: reason`` or ``UnreadableFile``, never a crash, a hang or a
problem per column. The last tests import some through a real store and check that nothing
was written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import subprocess
import sys
import threading
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from openpyxl.styles import Font

from metrics import ingest, paths, tablefile, textio
from metrics.store import Store
from metrics.tablefile import UnreadableFile
from metrics.validate import Problem

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
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
    "source_title": "天津市委主题教育办工作通报（第12期）",
    "source_publisher": "天津市委主题教育办",
    "source_published": "2019-10",
    "source_reference": "津教办通报〔2019〕12号",
}
CLOSED = {**TOTAL, "role": "closed", "value": "780", "as_written": "780件"}
COLUMNS = list(TOTAL)
SAVE = "save it as CSV UTF-8"


def csv_bytes(rows: list[dict[str, str]], columns: list[str] = COLUMNS, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([row.get(c, "") for c in columns] for row in rows)
    return out.getvalue().encode(encoding)


def openpyxl_bytes(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def workbook(*rows: list | None) -> openpyxl.Workbook:
    """A workbook whose first sheet holds the header and ``rows`` (None: leave the row out)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for values in rows:
        sheet.append(values or [])
    return book


def xlsx_bytes(*rows: list) -> bytes:
    """A workbook as Excel writes one: text in sharedStrings.xml, numbers as numbers."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, values in enumerate([COLUMNS, *rows]):
        for c, value in enumerate(values):
            if value is not None:
                sheet.write(r, c, value)
    book.close()
    return out.getvalue()


def repacked(data: bytes, **changes) -> bytes:
    """The workbook ``data`` with parts replaced: ``changes`` maps a part's name (``/`` as
    ``__``) to a function of its bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for name in source.namelist():
            body = source.read(name)
            change = changes.get(name.replace("/", "__").replace(".", "_"))
            target.writestr(name, change(body) if change else body)
    return out.getvalue()


def values(row: dict[str, str]) -> list[str]:
    return [row[c] for c in COLUMNS]


def problems(data: bytes, name: str) -> list[Problem]:
    return ingest.read_rows(data, name)[1]


def refusal(data: bytes, name: str) -> str:
    with pytest.raises(UnreadableFile) as error:
        ingest.read_rows(data, name)
    return str(error.value)


# --- 1. files that are not files -----------------------------------------------------------------


def test_read_file_gives_the_bytes_of_a_regular_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(csv_bytes([TOTAL]))
    assert tablefile.read_file(path) == csv_bytes([TOTAL])


@pytest.mark.skipif(
    not Path("/dev/zero").exists() and os.environ.get("CI") != "true",
    reason="no /dev/zero (never skipped in CI)",
)
def test_read_file_refuses_an_endless_device():
    with pytest.raises(
        UnreadableFile, match=r"^it is a character device; give the path of a CSV or XLSX file$"
    ):
        tablefile.read_file(Path("/dev/zero"))


@pytest.mark.skipif(
    not hasattr(os, "mkfifo") and os.environ.get("CI") != "true", reason="no FIFOs here (never skipped in CI)"
)
def test_read_file_refuses_a_fifo_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    outcome = []

    def read() -> None:
        try:
            tablefile.read_file(fifo)
        except UnreadableFile as error:
            outcome.append(str(error))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(60)  # not a timing: without O_NONBLOCK the open never returns
    if reader.is_alive():
        with open(fifo, "wb"):  # let the reader go
            pass
        pytest.fail("read_file waited for a writer on a FIFO")
    assert outcome == ["it is a named pipe (FIFO); give the path of a CSV or XLSX file"]


def test_read_file_refuses_a_folder_and_a_missing_file(tmp_path):
    with pytest.raises(UnreadableFile, match=r"^it is a folder; give the path"):
        tablefile.read_file(tmp_path)
    with pytest.raises(UnreadableFile, match=r"^No such file or directory$"):
        tablefile.read_file(tmp_path / "missing.csv")


def test_read_file_refuses_a_file_over_the_limit_by_its_size(tmp_path, monkeypatch):
    monkeypatch.setattr(tablefile, "MAX_BYTES", 2**20)
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * (3 * 2**19))
    with pytest.raises(UnreadableFile, match=r"^the file is 1\.5 MB; the limit is 1 MB$"):
        tablefile.read_file(path)


# --- 2. empty, binary and absurdly shaped CSV ----------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b" \r\n\n\t\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n  \n"],
    ids=["empty", "blank", "bom", "bom+blank"],
)
def test_empty_file(data):
    assert refusal(data, "t.csv") == "the file is empty"


def test_nul_bytes_give_one_message_with_the_line():
    assert refusal(b"\x00" * 4096, "t.csv") == "line 1 holds NUL bytes: a binary file, not a text table"
    data = csv_bytes([TOTAL]) + b"\xe5\xa4\xa9\x00\n"
    assert refusal(data, "t.csv") == "line 3 holds NUL bytes: a binary file, not a text table"


def test_utf16_without_bom_is_named():
    data = "body,role\nx,y\n".encode("utf-16-le")  # ASCII only: it even decodes as UTF-8
    assert (
        refusal(data, "t.csv")
        == f"neither UTF-8 nor GBK/GB18030 text: it looks like UTF-16 (“Unicode text”); {SAVE}"
    )


def test_a_hundred_thousand_columns_give_one_message():
    header = ",".join(f"c{i}" for i in range(100_000))
    data = f"{header}\n{','.join('x' * 100_000)}\n".encode()
    assert refusal(data, "t.csv") == "row 1 has 100,000 columns; an import file has at most 200"


def test_a_data_row_with_too_many_cells_gives_one_message():
    data = csv_bytes([TOTAL]) + ("x," * 300).encode() + b"\n"
    assert refusal(data, "t.csv") == "row 3 has 300 columns; an import file has at most 200"


def test_trailing_empty_cells_are_no_columns():
    data = csv_bytes([TOTAL]).replace(b"\n", b"," * 500 + b"\n")
    rows, found = ingest.read_rows(data, "t.csv")
    assert found == []
    assert rows.loc[2, "evidence"] == EVIDENCE


def test_too_many_rows_are_refused_at_the_first_one_too_many(monkeypatch):
    monkeypatch.setattr(tablefile, "MAX_ROWS", 3)
    data = csv_bytes([TOTAL, CLOSED, {}, TOTAL, CLOSED])  # line 4 is blank: not a row
    assert refusal(data, "t.csv") == (
        "more than 3 rows of figures (row 6 is one too many); split the file into parts of at most 3 rows"
    )


def test_rows_at_the_limit_are_read(monkeypatch):
    monkeypatch.setattr(tablefile, "MAX_ROWS", 2)
    rows, _ = ingest.read_rows(csv_bytes([TOTAL, CLOSED]), "t.csv")
    assert list(rows.index) == [2, 3]


def test_a_10_mb_cell_is_a_problem_at_its_row_and_column():
    huge = "问" * (10 * 2**20 // 3)
    rows, found = ingest.read_rows(csv_bytes([TOTAL, {**CLOSED, "evidence": huge}]), "t.csv")
    assert found == [
        Problem("t.csv", 3, "evidence", f"{len(huge):,} characters in one cell; the limit is 10,000")
    ]
    assert rows.loc[3, "evidence"] == "问" * 20 + "…"  # what later messages quote stays short


def test_a_long_header_name_is_a_problem_of_row_1():
    data = csv_bytes([TOTAL], [*COLUMNS, "n" * 20_000])
    found = problems(data, "t.csv")
    assert Problem("t.csv", 1, "column 13 (M)", "20,000 characters in one cell; the limit is 10,000") in found
    assert Problem("t.csv", 1, "n" * 20 + "…", "unknown column") in found


# --- 3. the header --------------------------------------------------------------------------------


def test_duplicate_column_names_name_both_positions():
    data = csv_bytes([TOTAL], [*COLUMNS, "body"])
    assert problems(data, "t.csv") == [
        Problem("t.csv", 1, "body", "2 columns are named 'body': column 1 (A) and column 13 (M); keep one")
    ]


def test_three_columns_of_one_name():
    data = csv_bytes([TOTAL], ["value", *COLUMNS, "value"])
    assert problems(data, "t.csv") == [
        Problem(
            "t.csv",
            1,
            "value",
            "3 columns are named 'value': column 1 (A), column 5 (E) and column 14 (N); keep one",
        )
    ]


def test_an_unnamed_column_with_values_is_reported():
    data = csv_bytes([TOTAL, {**CLOSED, "": "备注"}], ["body", "", *COLUMNS[1:]])
    assert problems(data, "t.csv") == [
        Problem(
            "t.csv",
            1,
            "column 2 (B)",
            "the column has no name, but row 3 has a value in it; name it or delete it",
        )
    ]


def test_an_unnamed_empty_column_is_ignored():
    data = csv_bytes([TOTAL], ["body", "", *COLUMNS[1:]])
    assert problems(data, "t.csv") == []


def test_an_empty_first_row_is_one_problem():
    data = b"\n" + csv_bytes([TOTAL])
    assert problems(data, "t.csv") == [
        Problem(
            "t.csv",
            1,
            "",
            "row 1 is empty; it must name the columns "
            "(body, role, value, counter, as_written, as_of, evidence, …: see the template)",
        )
    ]


# --- 4. encodings ----------------------------------------------------------------------------------


def chinese_cells() -> list[str]:
    """Every cell of the curated data that holds Chinese."""
    cells = []
    for path in sorted(DATA_DIR.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            cells += [cell for row in csv.reader(f) for cell in row if any(ord(c) > 0x7F for c in cell)]
    return cells


def test_every_chinese_cell_of_the_data_as_a_short_gbk_file_decodes():
    """The short files where detectors fail: a header and one cell."""
    cells = chinese_cells()
    assert len(cells) > 500
    for cell in cells:
        text = f"note\n{cell}\n"
        data = text.encode("gbk", errors="replace")
        assert textio.decode(data) == data.decode("gb18030"), cell


@pytest.mark.parametrize(
    "note",
    [
        "亳州",
        "二〇一九年",
        "——编者",
        "刘、邓、镕",
        "𠀀字只在GB18030",
        "①②③",
        "ＡＢＣ１２３",
        "（一）【二】《三》",
    ],
)
def test_short_gbk_and_gb18030_files_with_rarer_characters_decode(note):
    data = csv_bytes([{**TOTAL, "evidence": note}], ["body", "evidence"], encoding="gb18030")
    rows, found = ingest.read_rows(data, "t.csv")
    assert found == [] or all(p.reason == "missing column" for p in found)
    assert rows.loc[2, "evidence"] == note


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            "天津".encode("big5"),
            f"read as GBK, line 1 gives 'ぱ瑉', not Chinese; it looks like Big5 (traditional Chinese) text; {SAVE}",
            id="big5-name",
        ),
        pytest.param(
            "body,value\n臺灣,12\n".encode("big5"),
            f"read as GBK, line 2 gives '籓芖,12', not Chinese; it looks like Big5 (traditional Chinese) text; {SAVE}",
            id="big5-row",
        ),
        pytest.param(
            "body,note\nx,Straße Größe\n".encode("cp1252"),
            "read as GBK, line 2 gives 'x,Stra遝 Gr鲞e', not Chinese; "
            f"it looks like Windows-1252 / Latin-1 (Western European) text; {SAVE}",
            id="latin-1-as-gbk",
        ),
        pytest.param(
            "body,note\nx,café\n".encode("latin-1"),
            "byte 0xE9 (line 2, byte 16 of the file) is not UTF-8; "
            f"it looks like Windows-1252 / Latin-1 (Western European) text; {SAVE}",
            id="latin-1",
        ),
        pytest.param(
            "body,note\n大阪府,テスト\n".encode("shift_jis"),
            f"read as GBK, line 2 gives '戝嶃晎,僥僗僩', not Chinese; it looks like Shift-JIS (Japanese) text; {SAVE}",
            id="shift-jis",
        ),
        pytest.param(
            ("body,note\n" + "天津,群众反映的问题\n" * 5).encode() + b"\xff\n",
            "UTF-8 except for byte 0xFF (line 7, byte 156 of the file); "
            "correct that line or save the file again as CSV UTF-8",
            id="utf-8-with-a-stray-byte",
        ),
        pytest.param(
            ("body,note\n" + "天津,群众反映的问题\n" * 5).encode("gbk") + b"\x81",
            "GBK except for byte 0x81 (line 7, byte 111 of the file); "
            "correct that line or save the file again as CSV UTF-8",
            id="gbk-cut-mid-character",
        ),
        pytest.param(
            "天津市委,870".encode("utf-16"), f"it looks like UTF-16 (“Unicode text”); {SAVE}", id="utf-16-bom"
        ),
        pytest.param(bytes(range(256)) * 16, "it looks like a binary file, not text", id="binary"),
    ],
)
def test_other_encodings_are_refused_naming_where_and_what(data, message):
    assert refusal(data, "t.csv") == f"neither UTF-8 nor GBK/GB18030 text: {message}"


def test_short_gbk_that_is_valid_utf8_by_chance_is_read_as_gbk():
    data = "note\n目前\n".encode("gbk")
    assert data.decode("utf-8") == "note\nĿǰ\n"
    assert textio.decode(data) == "note\n目前\n"


@pytest.mark.parametrize("text", ["note\nMüller, Zürich, café\n", "note\nПривет\n", "\ufeffnote\nĿǰ\n"])
def test_utf8_without_chinese_stays_utf8(text):
    assert textio.decode(text.encode("utf-8")) == text.lstrip("\ufeff")


def test_chinese_share_of_misread_text():
    assert textio.chinese_share("天津市委群众反映的870件具体问题") == 1.0
    assert textio.chinese_share("ぱ瑉カ") == 0.0


# --- 5. XLSX ----------------------------------------------------------------------------------------


def test_blank_rows_and_empty_first_cells_keep_their_lines():
    book = workbook(values(TOTAL), None, [None, *values(CLOSED)[1:]])
    book.active["A5"].font = Font(bold=True)  # a styled empty cell: a row in the file, no value
    book.active.append(values(TOTAL))
    table = tablefile.read(openpyxl_bytes(book), "t.xlsx")
    assert [line for line, _ in table.records] == [2, 4, 6]
    assert table.records[1][1][:2] == ["", "tianjin_public_requests_closure"]


def test_an_empty_first_cell_is_reported_at_its_row():
    book = workbook(values(TOTAL), [None, *values(CLOSED)[1:]])
    rows, found = ingest.read_rows(openpyxl_bytes(book), "t.xlsx")
    assert found == [] and rows.loc[3, "body"] == "" and rows.loc[3, "role"] == "closed"


def test_a_huge_declared_dimension_is_not_padded():
    data = xlsx_bytes(values(TOTAL), values(CLOSED))
    bloated = repacked(
        data,
        xl__worksheets__sheet1_xml=lambda xml: xml.replace(
            b'<dimension ref="A1:L3"/>', b'<dimension ref="A1:XFD1048576"/>'
        ),
    )
    assert bloated != data
    table = tablefile.read(bloated, "t.xlsx")
    assert [(line, len(cells)) for line, cells in table.records] == [(2, 12), (3, 12)]


def test_a_row_far_down_is_read_at_its_line():
    book = workbook(values(TOTAL))
    book.active["A1000000"] = "天津"
    table = tablefile.read(openpyxl_bytes(book), "t.xlsx")
    assert [line for line, _ in table.records] == [2, 1_000_000]


def test_a_value_beyond_column_200_is_refused():
    book = workbook(values(TOTAL))
    book.active["XFD2"] = "x"
    assert (
        refusal(openpyxl_bytes(book), "t.xlsx")
        == "row 2 has a value in column 16384 (XFD); an import file has at most 200 columns"
    )


def test_merged_cells_are_a_problem_at_their_first_cell():
    book = workbook(values(TOTAL), values(CLOSED))
    book.active.merge_cells("A2:A3")
    assert problems(openpyxl_bytes(book), "t.xlsx") == [
        Problem("t.xlsx", 2, "body", "merged cells A2:A3; unmerge them and type the value in every cell")
    ]


def test_many_merged_ranges_give_at_most_20_problems():
    book = workbook(*[values(TOTAL)] * 30)
    for line in range(2, 32):
        book.active.merge_cells(f"L{line}:M{line}")
    found = problems(openpyxl_bytes(book), "t.xlsx")
    assert len(found) == 20 and {p.column for p in found} == {"source_reference"}
    assert sum("(and 10 more merged ranges); unmerge them" in p.reason for p in found) == 1


def test_a_long_xlsx_cell_is_a_problem_at_its_row_and_column():
    data = xlsx_bytes(values({**TOTAL, "source_title": "题" * 20_000}))
    assert problems(data, "t.xlsx") == [
        Problem("t.xlsx", 2, "source_title", "20,000 characters in one cell; the limit is 10,000")
    ]


def test_dates_and_numbers_of_xlsx_cells_read_as_text():
    data = xlsx_bytes([*values(TOTAL)[:3], 870.0, *values(TOTAL)[4:]])
    assert ingest.read_rows(data, "t.xlsx")[0].loc[2, "value"] == "870"
    book = workbook([*values(TOTAL)[:6], datetime(2019, 10, 31, 8, 30), *values(TOTAL)[7:]])
    assert ingest.read_rows(openpyxl_bytes(book), "t.xlsx")[0].loc[2, "as_of"] == "2019-10-31"


def shared_strings_bomb(size: int):
    """A sharedStrings.xml that stays valid XML and unpacks to about ``size`` bytes."""
    return lambda xml: xml.replace(b"</sst>", b"<si><t>x</t></si>" * (size // 17) + b"</sst>")


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    data = repacked(xlsx_bytes(values(TOTAL)), xl__sharedStrings_xml=shared_strings_bomb(8 * 2**20))
    assert len(data) < 100_000
    message = refusal(data, "t.xlsx")
    assert message.startswith("not a readable XLSX workbook: its part 'xl/sharedStrings.xml' unpacks from ")
    assert message.endswith(" times; real worksheets pack at most about 25 times): a zip bomb")


def test_a_workbook_unpacking_beyond_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(tablefile, "MAX_UNPACKED", 2**20)
    data = repacked(xlsx_bytes(values(TOTAL)), xl__sharedStrings_xml=shared_strings_bomb(2**20))
    monkeypatch.setattr(tablefile, "MAX_RATIO", 10**6)  # only the total is judged here
    assert refusal(data, "t.xlsx") == (
        "the workbook unpacks to 1.0 MB (its part 'xl/sharedStrings.xml' alone to 1.0 MB); "
        "the limit is 1 MB (METRICS_MAX_XLSX_UNPACKED_MB)"
    )


def test_the_unpacked_limit_comes_from_the_environment():
    code = "from metrics import tablefile; print(tablefile.MAX_UNPACKED)"
    env = dict(os.environ, METRICS_MAX_XLSX_UNPACKED_MB="3")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.stdout.strip() == str(3 * 2**20), done.stderr


def test_an_old_or_encrypted_workbook_is_named():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096)
    for name in ("t.xls", "t.xlsx", "t.csv"):
        assert refusal(data, name) == (
            "an Excel 97-2003 (.xls) or password-protected workbook; save it as .xlsx without a password"
        )


def test_too_many_xlsx_rows_are_refused_at_the_first_one_too_many(monkeypatch):
    monkeypatch.setattr(tablefile, "MAX_ROWS", 2)
    book = workbook(values(TOTAL), None, values(CLOSED))
    book.active["C9"] = "total"
    assert refusal(openpyxl_bytes(book), "t.xlsx") == (
        "more than 2 rows of figures (row 9 is one too many); split the file into parts of at most 2 rows"
    )


def test_a_workbook_of_too_many_parts_is_refused(monkeypatch):
    monkeypatch.setattr(tablefile, "MAX_PARTS", 5)
    assert refusal(xlsx_bytes(values(TOTAL)), "t.xlsx") == (
        "not a readable XLSX workbook: it holds 10 parts; a workbook has a few dozen"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            lambda xml: xml.replace(b"<v>870</v>", b"<v>" + b"9" * 5000 + b"</v>"),
            "not a readable XLSX workbook: row 2: a number of more than 4,300 digits",
            id="5000-digit-number",
        ),
        pytest.param(
            lambda xml: xml.replace(b'<row r="3"', b'<row r="2"').replace(b'r="A3"', b'r="A2"'),
            "not a readable XLSX workbook: row 2 appears twice",
            id="row-twice",
        ),
        pytest.param(
            lambda xml: xml.replace(b'<row r="3"', b'<row r="99999999999"'),
            "not a readable XLSX workbook: row 99,999,999,999 is beyond a sheet's last row",
            id="row-beyond-the-last",
        ),
        pytest.param(
            lambda xml: xml.replace(b'r="A2"', b'r="!!"'),
            "not a readable XLSX workbook: row 2: ValueError",
            id="bad-cell-reference",
        ),
    ],
)
def test_broken_worksheets_are_refused_with_their_row(change, message):
    data = xlsx_bytes([*values(TOTAL)[:3], 870, *values(TOTAL)[4:]], values(CLOSED))
    assert refusal(repacked(data, xl__worksheets__sheet1_xml=change), "t.xlsx").startswith(message)


def test_an_entity_expansion_bomb_is_refused():
    laugh = b"".join(
        b'<!ENTITY l%d "%s">' % (i, b"".join(b"&l%d;" % (i - 1) for _ in range(10))) for i in range(1, 10)
    )
    xml = (
        b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY l0 "lol">' + laugh + b"]><sst><si><t>&l9;</t></si></sst>"
    )
    data = repacked(xlsx_bytes(values(TOTAL)), xl__sharedStrings_xml=lambda _: xml)
    assert refusal(data, "t.xlsx") == "not a readable XLSX workbook (ParseError)"


# --- 6. through a store: the problem where it is, and nothing written -----------------------------


@pytest.fixture(scope="module")
def the_store(tmp_path_factory) -> Store:
    folder = tmp_path_factory.mktemp("store")
    (folder / "db").mkdir()
    built = Store(folder / "db" / "metrics.duckdb", DATA_DIR, paths.sources_dir(), folder / "imports")
    built.build()
    return built


def snapshot(store: Store) -> dict[str, str]:
    """The published build and every file of the imports folder, by SHA-256."""
    found = {"(database)": f"{store.db.resolve()} {hashlib.sha256(store.db.read_bytes()).hexdigest()}"}
    for path in sorted(store.imports.rglob("*")) if store.imports.exists() else []:
        if path.is_file():
            found[str(path.relative_to(store.imports))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


HOSTILE_ROWS = [
    pytest.param(
        {"value": "99999999999999999999999999", "as_written": "99999999999999999999999999件"},
        "value",
        "99999999999999999999999999 is too large: the store keeps numbers below 10^15 (1,000,000,000,000,000) exactly",
        id="value-beyond-a-double",
    ),
    pytest.param(
        {"value": "870.0000000000000001", "as_written": "870件"},
        "value",
        "870.0000000000000001 has 19 significant digits; the store keeps 15 exactly",
        id="value-beyond-15-digits",
    ),
    pytest.param(
        {"as_of": "2019-02-30"}, "as_of", "'2019-02-30' is not a date: 2019-02 has 28 days", id="as-of-feb-30"
    ),
    pytest.param(
        {"source_published": "2019-04-31", "source_title": "另一份通报"},
        "source_published",
        "'2019-04-31' is not a date: 2019-04 has 30 days",
        id="published-april-31",
    ),
]


@pytest.mark.parametrize(("changes", "column", "reason"), HOSTILE_ROWS)
def test_values_the_store_cannot_hold_are_refused_by_row_and_column(the_store, changes, column, reason):
    before = snapshot(the_store)
    checked, batch = the_store.import_file(csv_bytes([{**TOTAL, **changes}]), "t.csv")
    assert batch is None
    assert Problem("t.csv", 2, column, reason) in checked.problems, checked.problems
    assert snapshot(the_store) == before and the_store.batches() == []


HOSTILE_FILES = [
    pytest.param(lambda: "天津".encode("big5"), "t.csv", "it looks like Big5", id="big5"),
    pytest.param(
        lambda: repacked(xlsx_bytes(values(TOTAL)), xl__sharedStrings_xml=shared_strings_bomb(8 * 2**20)),
        "t.xlsx",
        "a zip bomb",
        id="zip-bomb",
    ),
    pytest.param(lambda: b"\x00" * 4096, "t.csv", "NUL bytes", id="nul"),
    pytest.param(
        lambda: (",".join(f"c{i}" for i in range(100_000)) + "\n").encode(),
        "t.csv",
        "100,000 columns",
        id="columns",
    ),
]


@pytest.mark.parametrize(("make", "name", "keyword"), HOSTILE_FILES)
def test_unreadable_files_change_nothing(the_store, make, name, keyword):
    before = snapshot(the_store)
    with pytest.raises(UnreadableFile, match=keyword):
        the_store.import_file(make(), name)
    with pytest.raises(UnreadableFile, match=keyword):
        the_store.check(make(), name)
    assert snapshot(the_store) == before and the_store.batches() == []


def test_a_blank_row_and_a_duplicate_column_through_the_store(the_store):
    book = workbook(values(TOTAL), None, values(CLOSED))
    book.active["M1"] = "value"
    before = snapshot(the_store)
    checked, batch = the_store.import_file(openpyxl_bytes(book), "t.xlsx")
    assert batch is None
    assert checked.problems == [
        Problem("t.xlsx", 1, "value", "2 columns are named 'value': column 4 (D) and column 13 (M); keep one")
    ]
    assert snapshot(the_store) == before and the_store.batches() == []
