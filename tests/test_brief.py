"""The printed briefing (python -m metrics brief): a real A4 PDF from headless Chromium, read back
with poppler's pdfinfo, pdffonts and pdftotext. Expected text is written by hand from the source.

Needs Debian's chromium, fonts-noto-cjk and poppler-utils; without them the tests are skipped,
or fail in CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from metrics import brief, cli, view
from metrics.queries import Filters

CJK = re.compile(r"[\u3400-\u9fff]")
TIANJIN_QUOTE = "目前群众反映的870件具体问题，已办结621件"
SOURCE_TITLE = "刀刃向内找问题 有的放矢抓整改"
FILTERS = ["--body", "天津", "--body", "内蒙古", "--theme", "为民服务解难题"]


@pytest.fixture(scope="module")
def tools():
    missing = [tool for tool in ("pdftotext", "pdffonts", "pdfinfo") if shutil.which(tool) is None]
    if not Path("/usr/bin/chromium").is_file():
        missing.append("chromium")
    if missing:
        message = f"missing {', '.join(missing)}: apt-get install chromium fonts-noto-cjk poppler-utils"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, check=True, text=True).stdout


def text_of(pdf: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return run("pdftotext", "-layout", *pages, str(pdf), "-")


def flat(text: str) -> str:
    """The text without white space (pdftotext breaks lines where the page does)."""
    return re.sub(r"\s+", "", text)


def make_brief(built_db: Path, out: Path, *options: str) -> Path:
    status = cli.main(["brief", "--db", str(built_db), *options, "--out", str(out)])
    assert status == 0
    return out


@pytest.fixture(scope="module")
def chinese_pdf(tools, built_db, tmp_path_factory) -> Path:
    return make_brief(built_db, tmp_path_factory.mktemp("brief") / "x.pdf", *FILTERS)


def test_chinese_brief_is_a4_with_embedded_fonts(chinese_pdf):
    info = run("pdfinfo", str(chinese_pdf))
    assert re.search(r"Page size:\s+594\.\d+ x 841\.\d+ pts \(A4\)", info), info
    fonts = run("pdffonts", str(chinese_pdf)).splitlines()[2:]
    assert fonts, "no fonts in the PDF"
    # Every font is embedded (emb = yes) with a Unicode map (uni = yes): nothing is left to the
    # reader's machine. Chromium embeds Noto Sans CJK (CFF outlines) as Type 3 glyph procedures.
    for line in fonts:
        emb, sub, uni = line.split()[-5:-2]
        assert emb == "yes" and uni == "yes", line
    assert len(CJK.findall(text_of(chinese_pdf))) > 200


def test_chinese_brief_holds_filters_numbers_quote_and_source(chinese_pdf):
    text = flat(text_of(chinese_pdf))
    assert "筛选条件：单位：天津、内蒙古；专项整治/主题：为民服务解难题" in text
    assert "621/870" in text and "71.4%" in text
    assert "7461/12156" in text and "61.4%" in text  # 内蒙古, beside 天津 with its caveat
    assert flat(TIANJIN_QUOTE) in text
    assert flat(SOURCE_TITLE) in text
    assert "http://localhost:8501/overview?body=天津&body=内蒙古&theme=为民服务解难题" in text
    assert "1/2" in text and "2/2" in text  # page numbers


def test_english_brief(tools, built_db, tmp_path):
    pdf = make_brief(built_db, tmp_path / "en.pdf", *FILTERS, "--lang", "en")
    text = text_of(pdf)
    one_line = " ".join(text.split())
    assert "Filters: Body: Tianjin, Inner Mongolia; Theme: Serving the people" in one_line
    assert "621 of 870" in one_line and "71.4%" in one_line
    assert flat(TIANJIN_QUOTE) in flat(text)  # quotes stay verbatim
    assert flat(SOURCE_TITLE) in flat(text)
    assert "lang=English" in one_line


def test_long_table_repeats_its_header_on_every_page(tools, built_db, tmp_path):
    pdf = make_brief(built_db, tmp_path / "figures.pdf", "--page", "figures")
    pages = int(re.search(r"Pages:\s+(\d+)", run("pdfinfo", str(pdf))).group(1))
    with_table = [p for p in range(1, pages + 1) if "原文写法" in text_of(pdf, p)]  # a header only
    assert len(with_table) >= 2, with_table
    assert with_table == list(range(with_table[0], with_table[-1] + 1))


def test_unknown_name_is_refused_with_a_hint(built_db, tmp_path, capsys):
    status = cli.main(["brief", "--db", str(built_db), "--body", "天津市", "--out", str(tmp_path / "x.pdf")])
    assert status == 2
    assert "unknown body '天津市' (did you mean" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_names_and_ids_resolve_alike(con):
    by_name = view.resolve(con, {"bodies": ["天津", "Inner Mongolia"], "themes": ["为民服务解难题"]})
    by_id = view.resolve(con, {"bodies": ["tianjin", "inner_mongolia"], "themes": ["serving_people"]})
    assert by_name == by_id == Filters(bodies=("tianjin", "inner_mongolia"), themes=("serving_people",))


def test_text_from_data_is_escaped(con):
    """A quote or a name that looks like markup is printed as text, never run or fetched."""
    v = view.build(con, "closure", Filters(bodies=("tianjin",)), "zh")
    v.facts = v.facts.assign(evidence='<img src="http://example.invalid/x"><script>alert(1)</script>')
    v.scope = "<b>天津</b>"
    document = brief.html(v)
    assert "<script>" not in document and "<b>天津" not in document
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document and "&lt;b&gt;天津&lt;/b&gt;" in document
    assert "default-src 'none'" in document  # and the page may fetch nothing at all


def test_internal_paths_are_not_references():
    assert view.public_reference("shared/seeds/000.txt", "000.txt") == ""
    assert view.public_reference("中办发〔2019〕1号", "000.txt") == "中办发〔2019〕1号"
