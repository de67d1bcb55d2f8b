"""XLSX downloads (metrics.export.xlsx_bytes) write every text cell as the text it is: never a
hyperlink, a formula or a number, however it begins. Read back with openpyxl and as a zip."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pandas as pd

from metrics import export

LONG_URL = "https://example.invalid/" + "a" * 276  # 300 characters: past Excel's 255 for a link
TEXTS = [
    "external:Sheet2!A1",
    "mailto:someone@example.invalid",
    "http://example.invalid/x",
    "https://example.invalid/x?y=1",
    "ftp://example.invalid/file",
    "file:///etc/passwd",
    LONG_URL,
    "天津 https://example.invalid",
]
# Text a spreadsheet would run as a formula: written escaped with a leading ' (as in the CSV).
FORMULAS = {"=1+1": "'=1+1", "+cmd": "'+cmd", "@SUM(A1)": "'@SUM(A1)", "-2+3": "'-2+3"}


def read_back(data: bytes) -> list[openpyxl.cell.Cell]:
    """The cells of the first column of the first sheet, under the header."""
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    return [row[0] for row in sheet.iter_rows(min_row=2)]


def test_url_like_text_stays_text_without_links():
    assert len(LONG_URL) == 300
    data = export.xlsx_bytes({"数据": pd.DataFrame({"单位": TEXTS})})
    cells = read_back(data)
    assert [c.value for c in cells] == TEXTS
    assert [c.data_type for c in cells] == ["s"] * len(TEXTS)
    assert [c.hyperlink for c in cells] == [None] * len(TEXTS)
    parts = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert not [p for p in parts if "hyperlink" in p.lower() or "externallink" in p.lower()], parts
    for part in parts:  # and no sheet or relationship names a link or an external target
        text = zipfile.ZipFile(io.BytesIO(data)).read(part).decode("utf-8", "replace")
        assert "<hyperlink" not in text and 'TargetMode="External"' not in text, part


def test_formula_like_text_is_escaped_text():
    data = export.xlsx_bytes({"数据": pd.DataFrame({"单位": list(FORMULAS)})})
    cells = read_back(data)
    assert [c.value for c in cells] == list(FORMULAS.values())
    assert [c.data_type for c in cells] == ["s"] * len(FORMULAS)


def test_numbers_stay_numbers_and_numeric_text_stays_text():
    frame = pd.DataFrame({"变化": [-23.5, -77.6, 12156.0], "文字": ["-23.5", "-77.6%", "12156"]})
    sheet = openpyxl.load_workbook(io.BytesIO(export.xlsx_bytes({"数据": frame}))).worksheets[0]
    numbers = [sheet.cell(row, 1) for row in (2, 3, 4)]
    assert [c.value for c in numbers] == [-23.5, -77.6, 12156]
    assert [c.data_type for c in numbers] == ["n"] * 3
    texts = [sheet.cell(row, 2) for row in (2, 3, 4)]
    assert [c.value for c in texts] == ["-23.5", "-77.6%", "12156"]  # not escaped, not converted
    assert [c.data_type for c in texts] == ["s"] * 3


def test_template_workbook_has_no_links():
    """The import template is written by the same function: no links in it either."""
    from metrics import ingest

    data = ingest.template("xlsx")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert all(c.hyperlink is None for sheet in book.worksheets for row in sheet.iter_rows() for c in row)
