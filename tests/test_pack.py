"""The evidence pack (python -m metrics pack, the 证据包 button): a zip opened and read back member
by member. Expected values are written by hand from the source (天津 621/870, 内蒙古 7461/12156)."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from dashboard_helpers import png_size

from metrics import cli, pack, view
from metrics.queries import Filters

FILTERS = ["--body", "天津", "--body", "内蒙古", "--theme", "为民服务解难题"]
TIANJIN_QUOTE = "目前群众反映的870件具体问题，已办结621件"
SOURCE_TITLE = "刀刃向内找问题"
LINK = "http://localhost:8501/closure?body=天津&body=内蒙古&theme=为民服务解难题"
BOM = "\ufeff"


def make_pack(built_db: Path, out: Path, *options: str) -> zipfile.ZipFile:
    assert cli.main(["pack", "--db", str(built_db), *options, "--out", str(out)]) == 0
    return zipfile.ZipFile(out)


def read_csv(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    text = archive.read(name).decode("utf-8")
    assert text.startswith(BOM), name  # Excel reads Chinese correctly
    return list(csv.DictReader(io.StringIO(text[1:])))


@pytest.fixture(scope="module")
def closure_zip(built_db, tmp_path_factory) -> zipfile.ZipFile:
    return make_pack(built_db, tmp_path_factory.mktemp("pack") / "x.zip", "--page", "closure", *FILTERS)


def test_members(closure_zip):
    assert sorted(closure_zip.namelist()) == [
        "README.txt",
        "charts/chart_01.png",
        "charts/chart_01.svg",
        "data.csv",
        "data.xlsx",
        "quotes.csv",
    ]
    assert closure_zip.testzip() is None


def test_readme_has_view_filters_link_date_and_citation(closure_zip):
    text = closure_zip.read("README.txt").decode("utf-8")
    assert text.startswith(BOM) and "\r\n" in text  # Notepad-friendly
    lines = text[1:].splitlines()
    today = datetime.date.today().isoformat()
    assert "视图：整改完成率" in lines
    assert "筛选条件：单位：天津、内蒙古；专项整治 / 主题：为民服务解难题" in lines
    assert f"在线查看：{LINK}" in lines
    assert f"生成日期 {today} · 数据最新截至 2019" in lines
    citation = lines[lines.index("引用方式：") + 1].strip()
    assert citation.startswith("整改看板：整改完成率（单位：天津、内蒙古；")
    assert f"{today} 生成" in citation and SOURCE_TITLE in citation and citation.endswith(LINK)
    assert "  charts/chart_01.png — 群众诉求办结 · 完成率" in lines  # which chart each file holds


def test_csv_holds_the_view(closure_zip):
    rows = read_csv(closure_zip, "data.csv")
    assert [(r["单位"], r["总数"], r["已完成"], r["总数由部分相加"]) for r in rows] == [
        ("天津", "870", "621", "否"),
        ("内蒙古", "12156", "7461", "否"),
    ]


def test_quotes_with_their_sources(closure_zip):
    rows = read_csv(closure_zip, "quotes.csv")
    tianjin = next(r for r in rows if r["单位"] == "天津")
    assert tianjin["原文依据"] == TIANJIN_QUOTE
    assert tianjin["数值"] == "71.4% · 621/870"
    assert tianjin["标题"].startswith(SOURCE_TITLE) and tianjin["发布者"] == "编者（摘编）"
    assert tianjin["日期"] == "2019" and tianjin["出处"] == ""  # no internal path as a reference
    assert len(rows) == 2


def test_workbook_sheets_typed_and_formatted(closure_zip):
    book = openpyxl.load_workbook(io.BytesIO(closure_zip.read("data.xlsx")))
    assert book.sheetnames == ["数据", "图1 群众诉求办结 · 完成率", "来源", "字段说明"]
    for name in ("数据", "图1 群众诉求办结 · 完成率"):
        sheet = book[name]
        header = [c.value for c in sheet[1]]
        row = dict(zip(header, sheet[2]))
        assert row["单位"].value == "天津"
        assert row["完成率"].value == pytest.approx(621 / 870) and row["完成率"].number_format == "0.0%"
        assert row["总数"].value == 870 and row["总数"].number_format == "#,##0"
        im = dict(zip(header, sheet[3]))
        assert im["总数"].value == 12156 and im["总数"].data_type == "n"
    sources = [[c.value for c in r] for r in book["来源"].iter_rows()]
    assert sources[0][:5] == ["来源", "标题", "发布者", "日期", "出处"]
    assert sources[1][1].startswith(SOURCE_TITLE) and sources[1][2:4] == ["编者（摘编）", "2019"]
    assert "seeds" not in str(sources[1][4] or "")
    definitions = {r[0].value: r[1].value for r in book["字段说明"].iter_rows(min_row=2)}
    assert set(definitions) == set(c.value for c in book["数据"][1])
    assert all(definitions.values()), [k for k, v in definitions.items() if not v]
    assert all(c.hyperlink is None for s in book.worksheets for r in s.iter_rows() for c in r)


def test_chart_images_describe_themselves(closure_zip):
    width, height = png_size(closure_zip.read("charts/chart_01.png"))
    assert width > 800 and height > 300
    svg = closure_zip.read("charts/chart_01.svg").decode("utf-8")
    for text in (
        "整改完成率 · 单位：天津、内蒙古；专项整治 / 主题：为民服务解难题",
        "群众诉求办结 · 完成率",
        "621/870",
        "来源：刀刃向内找问题",
        "closure?body=天津&amp;body=内蒙古",
    ):
        assert text in svg, text


def test_english_overview_pack_holds_every_kind_of_row(built_db, tmp_path):
    archive = make_pack(built_db, tmp_path / "en.zip", "--lang", "en")
    readme = archive.read("README.txt").decode("utf-8")
    assert "View: Overview" in readme and "Filters: All" in readme
    assert "http://localhost:8501/overview?lang=English" in readme and "Cite as:" in readme
    rows = read_csv(archive, "data.csv")
    by_measure = {(r["Body"], r["Measure"]): r for r in rows}
    tianjin = by_measure[
        ("Tianjin", 'Specific problems raised by the public via the "public opinion express", resolved')
    ]
    assert (tianjin["Total"], tianjin["Closed"]) == ("870", "621")  # a closure, with its counts
    assert {r["Value"] for r in rows if r["Body"] == "Water Resources"} >= {"2018"}  # a count
    assert {r["Change (%)"] for r in rows if r["Body"] == "Tianjin"} >= {"-77.6"}  # a change
    book = openpyxl.load_workbook(io.BytesIO(archive.read("data.xlsx")))
    charts = [n for n in book.sheetnames if n.startswith("chart ")]
    images = [n for n in archive.namelist() if n.endswith(".png")]
    assert len(charts) == len(images) >= 4  # one sheet per chart
    sheet = book["data"]
    header = [c.value for c in sheet[1]]
    change = next(
        dict(zip(header, r))
        for r in sheet.iter_rows(min_row=2)
        if r[header.index("Change (%)")].value is not None
    )
    assert change["Change (%)"].number_format == "0.0%" and -1 < change["Change (%)"].value < 1


def test_text_from_data_is_never_a_formula_or_link(con):
    v = view.build(con, "closure", Filters(bodies=("tianjin",)), "zh")
    evil = '=HYPERLINK("http://example.invalid","x")'
    v.facts = v.facts.assign(evidence=evil)
    v.data = v.data.assign(evidence=evil, measure_label="http://example.invalid/a")
    archive = zipfile.ZipFile(io.BytesIO(pack.pack_zip(v)))
    assert read_csv(archive, "quotes.csv")[0]["原文依据"] == "'" + evil
    assert read_csv(archive, "data.csv")[0]["原文依据"] == "'" + evil
    book = openpyxl.load_workbook(io.BytesIO(archive.read("data.xlsx")))
    cells = [c for r in book["数据"].iter_rows() for c in r]
    assert "'" + evil in [c.value for c in cells]
    assert all(c.data_type != "f" and c.hyperlink is None for c in cells)


def test_unknown_name_writes_nothing(built_db, tmp_path, capsys):
    out = tmp_path / "x.zip"
    assert cli.main(["pack", "--db", str(built_db), "--body", "天津市", "--out", str(out)]) == 2
    assert "did you mean" in capsys.readouterr().err
    assert not out.exists()
