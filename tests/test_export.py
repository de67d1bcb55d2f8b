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


def test_chart_images_describe_themselves(con):
    """An exported chart says what it shows: the view and its filters above; the source, the
    latest as-of date, the generation date and the link below; only the legend entries it uses."""
    import datetime

    from metrics import view
    from metrics.queries import Filters

    filters = Filters(bodies=("tianjin", "inner_mongolia"), themes=("serving_people",))
    for lang, expected in {
        "zh": [
            "整改完成率 · 单位：天津、内蒙古；专项整治 / 主题：为民服务解难题",
            "来源：刀刃向内找问题 有的放矢抓整改，编者（摘编），2019",
            "数据截至 2019",
            "http://localhost:8501/closure?body=天津&amp;body=内蒙古&amp;theme=为民服务解难题",
            "群众诉求办结 · 完成率",
        ],
        "en": [
            "Closure rates · Body: Tianjin, Inner Mongolia; Theme: Serving the people",
            "Source: 刀刃向内找问题 有的放矢抓整改, 编者（摘编）, 2019",
            "Data as of 2019",
            "lang=English&amp;body=Tianjin",
        ],
    }.items():
        v = view.build(con, "closure", filters, lang)
        heading, footer = v.caption
        svg = export.chart_svg([p.chart(lang) for p in v.panels], heading=heading, footer=footer).decode()
        for text in [*expected, datetime.date.today().isoformat()]:
            assert text in svg, text
        # The closures drawn have closed and unreported parts only: the legend names no others.
        assert ("基本完成" if lang == "zh" else "Mostly closed") not in svg
        assert ("已完成" if lang == "zh" else "Closed") in svg


def test_numbers_are_formatted_for_reading():
    """Rates read as percentages with one decimal, counts with thousands separators (decimals
    only where a value has them); the cells stay numbers."""
    frame = pd.DataFrame(
        {"完成率": [0.7137931, None], "总数": [12156, 870], "数值": [1e11, 3.5], "是否": [True, False]}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(export.xlsx_bytes({"数据": frame}, percent={"完成率"}))).active
    rate, total, value, flag = sheet["A2"], sheet["B2"], sheet["C2"], sheet["D2"]
    assert (rate.value, rate.number_format, rate.data_type) == (0.7137931, "0.0%", "n")
    assert sheet["A3"].value is None
    assert (total.value, total.number_format) == (12156, "#,##0")
    assert (value.value, value.number_format) == (100_000_000_000, "#,##0")
    assert (sheet["C3"].value, sheet["C3"].number_format) == (3.5, "#,##0.0##")
    assert flag.value is True


def test_csv_writes_whole_numbers_without_decimals():
    frame = pd.DataFrame({"单位": ["a", "b", "c"], "数值": [2018.0, 3.5, None]})
    lines = export.csv_bytes(frame, bom=False).decode().splitlines()
    assert lines == ["单位,数值", "a,2018", "b,3.5", "c,"]
