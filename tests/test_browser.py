"""The running app in a real headless Chromium: pages, filters through the UI, chart clicks, the URL,
the language switch, a CSV download and screenshots (saved to test-artifacts/screenshots/).

Needs Debian's chromium and fonts-noto-cjk; without chromium the tests are skipped, or fail in CI.
Charts are read from the Vega marks' aria-labels ("...; row_label: 天津 · ...; ..."), which name
every bar drawn, and from their titles. A page draws one chart per comparable group that two or
more bodies report; the groups one body reports are listed in an expander (read from the data
grid's accessible table), never drawn.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from dashboard_helpers import CHART_PAGES, PAGE_TITLES, ROOT, build_db, png_size
from playwright.sync_api import Page, sync_playwright

from metrics import browser

pytestmark = pytest.mark.browser

CHROMIUM = browser.binary()
CHROMIUM_FLAGS = browser.FLAGS
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHART = '[data-testid="stVegaLiteChart"]'
MARKS = f"{CHART} svg.marks, {CHART} canvas"
BOM = b"\xef\xbb\xbf"

EXPANDER = '[data-testid="stExpander"]'
SUMMARY_TEXT = '[data-testid="stMarkdownContainer"]'  # an expander's label, without its icon
CJK = re.compile(r"[\u3400-\u9fff]")
# The pages that draw rankings at seed scale: every change of 前后对比 is a comparable group of its
# own (one body each), so that page lists them and draws no chart.
RANKED_PAGES = ("overview", "closure", "cases")
SINGLES_ZH = "仅一个单位报告的指标（不作排名）"
SINGLES_EN = "Reported by one body only (not ranked)"
TIANJIN_AND_INNER_MONGOLIA = "body=%E5%A4%A9%E6%B4%A5&body=%E5%86%85%E8%92%99%E5%8F%A4"  # 天津, 内蒙古

# Closure bars by their row label ("body · measure"), written by hand from the curated measures.
TIANJIN_ROW = "天津 · “民意直通车”群众反映的具体问题办结"
OPINIONS_ROW = "内蒙古 · 收集意见建议及立行立改 ※"  # joins 群众诉求办结 with a caveat
IM_INSPECTION_ROW = "内蒙古 · 自治区党委第五轮巡视移交问题整改"
IM_ENVIRONMENT_ROW = "内蒙古 · 中央环保督察反馈问题整改"
MCA_ROW = "民政部 · 部党组确定的巡视整改任务完成情况"
ALL_CLOSURE_ROWS = {TIANJIN_ROW, OPINIONS_ROW, IM_INSPECTION_ROW, IM_ENVIRONMENT_ROW, MCA_ROW}
PUBLIC_ROWS = {TIANJIN_ROW, OPINIONS_ROW}
TIANJIN_ROW_EN = 'Tianjin · Specific problems raised by the public via the "public opinion express", resolved'
OPINIONS_ROW_EN = "Inner Mongolia · Opinions and suggestions collected and acted on at once ※"
PUBLIC_ROWS_EN = {TIANJIN_ROW_EN, OPINIONS_ROW_EN}
ALL_CLOSURE_ROWS_EN = {
    TIANJIN_ROW_EN,
    OPINIONS_ROW_EN,
    "Inner Mongolia · Problems handed over by the region's 5th inspection round, rectified",
    "Inner Mongolia · Central environmental-inspection feedback problems rectified",
    "Civil Affairs · Inspection rectification tasks set by the ministry's leadership: completion",
}
# The two closure charts, by their titles: comparable group · kind of figure.
PUBLIC_TITLE = "群众诉求办结 · 完成率"
INSPECTION_TITLE = "巡视督察反馈问题整改 · 完成率"
# 内蒙古's caveat, written under the public-requests chart's title (data/indicators.csv).
OPINIONS_CAVEAT = "※ 内蒙古: 统计收集的意见建议（常以件次计）及立行立改的个数"
# The seven changes of 前后对比 (body, measure, value as shown), none comparable with another.
CHANGES = {
    ("天津", "市级层面召开的会议较一季度减少", "-77.6%"),
    ("天津", "市级层面印发的文件较一季度减少", "-31.8%"),
    ("上海", "市级部门督查检查考核归并", "-72.6%"),
    ("水利部", "因灾死亡失踪人数较近5年同期均值变化", "-24%"),
    ("农发行", "产业扶贫贷款上半年增长", "+64%"),
    ("华能", "低碳清洁能源装机比重同比变化", "+2个百分点"),
    ("国家卫健委", "贫困人口大病救治病种增加到", "→25种"),
}
CHANGE_BODIES_EN = {
    "Tianjin",
    "Shanghai",
    "Water Resources",
    "ADBC",
    "Huaneng",
    "Health Commission",
}


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.is_file():
        message = f"no browser at {CHROMIUM}: apt-get install chromium fonts-noto-cjk"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(chromium, tmp_path_factory):
    """The dashboard served by `streamlit run` on a free port, over a freshly built database."""
    folder = tmp_path_factory.mktemp("browser")
    with served(folder, {"METRICS_DB": str(build_db(folder))}) as base:
        yield base


@contextmanager
def served(folder: Path, env: dict[str, str]) -> Iterator[str]:
    """`streamlit run dashboard.py` on a free port with ``env`` added; yields its base URL."""
    port = free_port()
    log = (folder / "streamlit.log").open("w")
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "dashboard.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    env = {**os.environ, **env}
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(
                    f"streamlit exited with {server.returncode}: {(folder / 'streamlit.log').read_text()}"
                )
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit not healthy after 60 s: {(folder / 'streamlit.log').read_text()}")
            time.sleep(0.25)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def browser(chromium):
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, app_url) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


# --- helpers ------------------------------------------------------------------------------------


def open_page(page: Page, app_url: str, path: str, title: str) -> None:
    """Go to ``path`` and wait until the page is drawn: its title, the sidebar, its download buttons.

    (The app reports itself idle before the first run starts, so idle alone is not enough.)
    """
    page.goto(app_url + path)
    page.locator("h1", has_text=title).wait_for()
    page.locator('[data-testid="stSidebar"] [data-testid="stRadio"]').wait_for()
    page.locator('[data-testid="stDownloadButton"]').first.wait_for()
    page.locator(IDLE).wait_for()


def drawn_rows(page: Page) -> set[str]:
    """The row labels of every mark drawn in the page's charts (from the marks' aria-labels)."""
    labels = page.locator(f"{CHART} [aria-label*='row_label: ']").evaluate_all(
        "marks => marks.map(m => m.getAttribute('aria-label'))"
    )
    return {m.group(1) for label in labels if (m := re.search(r"row_label: (.*?)(?:; |$)", label))}


def wait_until(page: Page, read, expected, seconds: float = 20):
    """Poll ``read()`` until it equals ``expected`` with the app idle; returns the last value seen."""
    deadline = time.monotonic() + seconds
    while True:
        page.locator(IDLE).wait_for()
        value = read()
        if value == expected or time.monotonic() > deadline:
            return value
        page.wait_for_timeout(200)


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def sidebar_multiselect(page: Page, label: str):
    return page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]').get_by_text(label, exact=True)
    )


def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the sidebar multiselect ``label`` the way a user does: click, type, click."""
    sidebar_multiselect(page, label).locator("input").click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def switch_language(page: Page, name: str) -> None:
    page.locator('[data-testid="stSidebar"] [data-testid="stRadio"] label', has_text=name).click()


def click_bar(page: Page, row: str) -> None:
    """Click inside the first (closed) segment of the bar drawn for ``row``."""
    bar = page.locator(f"{CHART} .mark-rect [aria-label*='row_label: {row};']").first
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    assert box and box["width"] > 4 and box["height"] > 4, box
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2)


def chart_titles(page: Page) -> list[str]:
    """The title of every chart on the page, top to bottom."""
    return page.locator(f"{CHART} .role-title-text text").all_text_contents()


def chart_subtitles(page: Page) -> list[str]:
    """The subtitle of every chart that has one (its lines joined)."""
    return page.locator(f"{CHART} .role-title-subtitle text").all_text_contents()


def chart_count(page: Page) -> int:
    return page.locator(CHART).count()


def chart_labels(page: Page) -> dict[str, list[str]]:
    """Every chart's marks' aria-labels, by the chart's title."""
    found = {}
    for one in page.locator(CHART).all():
        title = one.locator(".role-title-text text").all_text_contents()
        found[" ".join(title)] = one.locator(".mark-rect [aria-label], .mark-text [aria-label]").evaluate_all(
            "marks => marks.map(m => m.getAttribute('aria-label'))"
        )
    return found


def singles_label(page: Page) -> list[str]:
    """The labels of the page's expanders ("仅一个单位报告的指标（不作排名） · 7")."""
    return [s.strip() for s in page.locator(f"{EXPANDER} summary {SUMMARY_TEXT}").all_text_contents()]


def singles_rows(page: Page, title: str) -> list[list[str]]:
    """Open the list of groups one body reports (the expander ``title`` · n) and read its rows
    (body, group, measure, value, date, quote) from the data grid's accessible table."""
    box = page.locator(EXPANDER).filter(has=page.locator("summary", has_text=title))
    assert box.count() == 1, singles_label(page)
    label = box.locator(f"summary {SUMMARY_TEXT}").inner_text().strip()
    assert label.startswith(f"{title} · "), label
    if box.locator("details").get_attribute("open") is None:
        box.locator("summary").click()
    box.locator('[role="gridcell"]').first.wait_for(state="attached")  # visually hidden
    rows = box.locator('[role="rowgroup"] [role="row"]:has([role="gridcell"])').evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('[role=gridcell]')].map(c => c.textContent))"
    )
    assert len(rows) == int(label.rsplit(" · ", 1)[1]), (label, rows)
    assert not any(c in {"None", "nan", "NaN", "<NA>", "True", "False"} for row in rows for c in row), rows
    return rows


def label_widths(page: Page) -> list[float]:
    """Drawn widths (px) of the row labels ('body · measure') on the charts' y axes."""
    return page.locator(f"{CHART} .role-axis-label text").evaluate_all(
        "texts => texts.filter(t => t.textContent.includes('·')).map(t => t.getBBox().width)"
    )


def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG in test-artifacts/screenshots/, checked to be a real image of the page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # The app scrolls inside its main section, so make the window as tall as the content (same width).
    viewport = page.viewport_size
    content = page.locator('[data-testid="stMain"]').evaluate("main => main.scrollHeight")
    page.set_viewport_size(
        {"width": viewport["width"], "height": min(max(content, viewport["height"]), 5000)}
    )
    page.wait_for_timeout(300)
    page.locator(IDLE).wait_for()
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(viewport)
    data = path.read_bytes()
    width, height = png_size(data)
    assert width == viewport["width"] and height >= viewport["height"]
    assert len(data) > 20_000, f"{path} is only {len(data)} bytes: a blank page?"
    return path


# --- tests --------------------------------------------------------------------------------------


def test_every_page_renders_in_chinese(page, app_url):
    for name, (title, _) in PAGE_TITLES.items():
        open_page(page, app_url, "/" if name == "overview" else f"/{name}", title)
        assert page.locator('[data-testid="stException"]').count() == 0, name
        if name in RANKED_PAGES:
            page.locator(MARKS).first.wait_for()
            assert drawn_rows(page), f"{name}: no chart marks drawn"
            assert all(" · " in t for t in chart_titles(page)), chart_titles(page)  # "group · kind"
        if name == "reductions":  # seven changes, no two comparable: listed, never ranked
            assert chart_count(page) == 0
            rows = singles_rows(page, SINGLES_ZH)
            assert {(r[0], r[2], r[3]) for r in rows} == CHANGES
            assert all(CJK.search(r[-1]) for r in rows)  # each with its quote
        screenshot(page, f"{name}_zh")


def test_chart_pages_render_in_english(page, app_url):
    for name in CHART_PAGES:
        _, title = PAGE_TITLES[name]
        open_page(page, app_url, f"{'/' if name == 'overview' else f'/{name}'}?lang=English", title)
        assert page.locator('[data-testid="stException"]').count() == 0, name
        if name in RANKED_PAGES:
            page.locator(MARKS).first.wait_for()
            rows = drawn_rows(page)
            assert rows and not [r for r in rows if CJK.search(r)], rows
            assert chart_titles(page) and not [t for t in chart_titles(page) if CJK.search(t)]
        else:
            assert chart_count(page) == 0
            rows = singles_rows(page, SINGLES_EN)
            assert len(rows) == 7 and {r[0] for r in rows} == CHANGE_BODIES_EN
        screenshot(page, f"{name}_en")


def test_closure_filters_clicks_language_and_csv(page, app_url):
    open_page(page, app_url, "/closure", "整改完成率")
    page.locator(MARKS).first.wait_for()
    assert wait_until(page, lambda: drawn_rows(page), ALL_CLOSURE_ROWS) == ALL_CLOSURE_ROWS
    # one chart per comparable group, 内蒙古's suggestions with the public requests under a caveat
    assert sorted(chart_titles(page)) == sorted([PUBLIC_TITLE, INSPECTION_TITLE])
    assert [s for s in chart_subtitles(page) if OPINIONS_CAVEAT in s]
    assert page.get_by_text("71.4% · 621/870", exact=True).count() == 1
    assert page.get_by_text("61.4% · 7461/12156", exact=True).count() == 1
    assert singles_label(page) == []  # every closure has a partner

    # The body filter through the sidebar widget: the URL and the charts follow. 天津 alone has
    # nothing to be ranked against: no chart, its closure listed; with 内蒙古 one chart of two bars.
    choose(page, "单位", "天津")
    assert wait_until(page, lambda: chart_count(page), 0) == 0
    assert query(page) == {"body": ["天津"]}
    assert [(r[0], r[2], r[3]) for r in singles_rows(page, SINGLES_ZH)] == [
        ("天津", "“民意直通车”群众反映的具体问题办结", "71.4% · 621/870")
    ]
    choose(page, "单位", "内蒙古")
    assert wait_until(page, lambda: drawn_rows(page), PUBLIC_ROWS) == PUBLIC_ROWS
    assert chart_titles(page) == [PUBLIC_TITLE]
    assert query(page) == {"body": ["天津", "内蒙古"]}
    # 内蒙古's two inspection closures have no partner among the chosen bodies: listed
    assert sorted(r[2] for r in singles_rows(page, SINGLES_ZH)) == sorted(
        ["自治区党委第五轮巡视移交问题整改", "中央环保督察反馈问题整改"]
    )

    # A click on a bar filters to its body (from an unfiltered view): 内蒙古 alone, its three
    # closures listed and none drawn.
    open_page(page, app_url, "/closure", "整改完成率")
    assert wait_until(page, lambda: drawn_rows(page), ALL_CLOSURE_ROWS) == ALL_CLOSURE_ROWS
    click_bar(page, OPINIONS_ROW)
    assert wait_until(page, lambda: query(page), {"body": ["内蒙古"]}) == {"body": ["内蒙古"]}
    assert wait_until(page, lambda: chart_count(page), 0) == 0
    assert sidebar_multiselect(page, "单位").get_by_text("内蒙古", exact=True).count() == 1
    rows = singles_rows(page, SINGLES_ZH)
    assert {r[0] for r in rows} == {"内蒙古"} and len(rows) == 3

    # A shared link, then the language switch.
    open_page(page, app_url, f"/closure?{TIANJIN_AND_INNER_MONGOLIA}", "整改完成率")
    assert wait_until(page, lambda: drawn_rows(page), PUBLIC_ROWS) == PUBLIC_ROWS
    switch_language(page, "English")
    page.locator("h1", has_text="Closure rates").wait_for()
    assert wait_until(page, lambda: drawn_rows(page), PUBLIC_ROWS_EN) == PUBLIC_ROWS_EN
    assert query(page)["lang"] == ["English"]
    assert query(page)["body"] == ["Tianjin", "Inner Mongolia"]
    assert chart_titles(page) == ["Public requests resolved · closure rate"]
    assert page.get_by_text("71.4% · 621 of 870", exact=True).count() == 1
    assert page.get_by_text("61.4% · 7,461 of 12,156", exact=True).count() == 1
    screenshot(page, "closure_en_tianjin_inner_mongolia")

    # The CSV download holds what is shown (the two ranked closures and 内蒙古's two listed ones),
    # readable by Excel (BOM) and by the csv module.
    with page.expect_download() as download:
        page.locator('[data-testid="stDownloadButton"] button', has_text="Data CSV").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(data[len(BOM) :].decode("utf-8"))))
    public = [
        (r["Body"], r["Rank in group"], r["Total"], r["Closed"])
        for r in rows
        if r["Comparable group"] == "Public requests resolved"
    ]
    assert public == [("Tianjin", "1 of 2", "870", "621"), ("Inner Mongolia", "2 of 2", "12156", "7461")]
    assert len(rows) == 4 and {r["Body"] for r in rows} == {"Tianjin", "Inner Mongolia"}
    assert download.value.suggested_filename.endswith(".csv")


def test_closure_on_a_phone(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        open_page(phone, app_url, "/closure?lang=English", "Closure rates")
        phone.locator(MARKS).first.wait_for()
        assert wait_until(phone, lambda: drawn_rows(phone), ALL_CLOSURE_ROWS_EN) == ALL_CLOSURE_ROWS_EN
        # Row labels give way to the bars on a narrow screen (at most ~120 px of 358).
        assert max(label_widths(phone)) <= 130
        screenshot(phone, "closure_en_390px")
    finally:
        context.close()


def test_chart_pages_on_a_phone(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        for name in CHART_PAGES:
            title, _ = PAGE_TITLES[name]
            open_page(phone, app_url, "/" if name == "overview" else f"/{name}", title)
            assert phone.locator('[data-testid="stException"]').count() == 0, name
            if name in RANKED_PAGES:
                phone.locator(MARKS).first.wait_for()
                assert drawn_rows(phone), name
                assert max(label_widths(phone)) <= 130, name
            else:
                assert chart_count(phone) == 0
                assert singles_label(phone) == [f"{SINGLES_ZH} · 7"]
            screenshot(phone, f"{name}_zh_390px")
    finally:
        context.close()


def test_row_labels_shrink_when_the_window_narrows(page, app_url):
    open_page(page, app_url, f"/closure?{TIANJIN_AND_INNER_MONGOLIA}", "整改完成率")
    page.locator(MARKS).first.wait_for()
    assert wait_until(page, lambda: drawn_rows(page), PUBLIC_ROWS) == PUBLIC_ROWS
    assert max(label_widths(page)) > 200
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(1500)
    assert max(label_widths(page)) <= 130


def test_chinese_csv_download_of_the_unfiltered_view(page, app_url):
    open_page(page, app_url, "/closure", "整改完成率")
    with page.expect_download() as download:
        page.locator('[data-testid="stDownloadButton"] button', has_text="表格 CSV").click()
    assert download.value.suggested_filename == "整改完成率_全部.csv"
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(data[len(BOM) :].decode("utf-8"))))
    found = {(r["单位"], r["可比指标组"], r["组内排名"], r["总数"], r["已完成"]) for r in rows}
    assert {
        ("天津", "群众诉求办结", "第 1 / 2", "870", "621"),
        ("内蒙古", "群众诉求办结", "第 2 / 2", "12156", "7461"),
        ("民政部", "巡视督察反馈问题整改", "第 3 / 3", "79", "14"),
    } <= found
    assert len(rows) == 5
    caveats = {r["单位"]: r["可比性说明"] for r in rows if r["可比性说明"]}
    assert list(caveats) == ["内蒙古"] and caveats["内蒙古"].startswith("统计收集的意见建议")


def test_body_filter_survives_the_language_switch(page, app_url):
    open_page(page, app_url, f"/closure?{TIANJIN_AND_INNER_MONGOLIA}", "整改完成率")
    assert wait_until(page, lambda: drawn_rows(page), PUBLIC_ROWS) == PUBLIC_ROWS
    assert singles_label(page) == [f"{SINGLES_ZH} · 2"]  # 内蒙古's inspection closures
    switch_language(page, "English")
    page.locator("h1", has_text="Closure rates").wait_for()
    assert wait_until(page, lambda: singles_label(page), [f"{SINGLES_EN} · 2"]) == [f"{SINGLES_EN} · 2"]
    choose(page, "Indicator", "Public requests resolved")
    assert wait_until(page, lambda: chart_count(page), 0) == 0  # 天津's alone: nothing to rank
    assert singles_label(page) == [f"{SINGLES_EN} · 1"]
    choose(page, "Indicator", "Suggestions acted on at once")
    assert wait_until(page, lambda: drawn_rows(page), PUBLIC_ROWS_EN, seconds=8) == PUBLIC_ROWS_EN
    assert singles_label(page) == []  # the inspection closures are filtered out
    assert query(page).get("body") == ["Tianjin", "Inner Mongolia"]
    assert query(page).get("indicator") == ["Public requests resolved", "Suggestions acted on at once"]


def drawn_groups(page: Page) -> set[str]:
    """The group labels of every mark drawn in grouped charts (from the marks' aria-labels)."""
    labels = page.locator(f"{CHART} [aria-label*='group_label: ']").evaluate_all(
        "marks => marks.map(m => m.getAttribute('aria-label'))"
    )
    return {m.group(1) for label in labels if (m := re.search(r"group_label: (.*?)(?:; |$)", label))}


def group_values(page: Page) -> dict[str, set[tuple[str, str]]]:
    """(group, value label) of every bar, by chart title (cases grouped by kind)."""
    return {
        title: {
            (m.group(1), m.group(2))
            for label in labels
            if (m := re.search(r"group_label: (.*?); value_label: (.*?)(?:; |$)", label))
        }
        for title, labels in chart_labels(page).items()
    }


def test_compare_by_kind_survives_language_pages_and_clicks(page, app_url):
    """?by=kind is read from a shared link, kept in the URL through the language switch and a page
    change (the browser drops unbound parameters on navigation; the app writes it back), and a
    click on a kind's bar filters to that kind. Closures of one group in different counter families
    (天津's 件, 内蒙古's 件次) are drawn apart, never summed."""
    open_page(page, app_url, "/closure?by=kind", "整改完成率")
    page.locator(MARKS).first.wait_for()
    kinds = {"省区市", "中央部门"}
    assert wait_until(page, lambda: drawn_groups(page), kinds) == kinds
    assert sorted(chart_titles(page)) == sorted(
        [
            "巡视督察反馈问题整改 · 完成率（以个、项计）",
            "群众诉求办结 · 完成率（以件计）",
            "群众诉求办结 · 完成率（以件次计）",
        ]
    )
    assert page.get_by_text("62.0% · 8082/13026", exact=True).count() == 0  # no longer summed
    assert page.get_by_text("71.4% · 621/870", exact=True).count() == 1
    assert page.get_by_text("61.4% · 7461/12156", exact=True).count() == 1
    assert page.get_by_text("76.1% · 150/197 *", exact=True).count() == 1
    assert query(page) == {"by": ["kind"]}
    screenshot(page, "closure_by_kind_zh")

    switch_language(page, "English")
    page.locator("h1", has_text="Closure rates").wait_for()
    kinds_en = {"Province-level Party committee", "Central department"}
    assert wait_until(page, lambda: drawn_groups(page), kinds_en) == kinds_en
    assert wait_until(page, lambda: query(page), {"by": ["kind"], "lang": ["English"]}) == {
        "by": ["kind"],
        "lang": ["English"],
    }
    titles = chart_titles(page)
    assert "Public requests resolved · closure rate (counted in 件)" in titles
    assert "Public requests resolved · closure rate (counted in 件次)" in titles

    page.locator('[data-testid="stSidebarNav"] a', has_text="Case counts").click()
    page.locator("h1", has_text="Case counts").wait_for()
    page.locator(MARKS).first.wait_for()
    assert wait_until(page, lambda: query(page).get("by"), ["kind"]) == ["kind"]
    assert "Province-level Party committee" in drawn_groups(page)
    # 天津's cases in 起 and 件 are one family (462); 水利部's 2018 law-enforcement cases stand apart
    values = group_values(page)
    assert values["Cases investigated · count"] == {("Province-level Party committee", "462")}
    assert values["Law-enforcement cases filed · count"] == {("Central department", "2,018")}
    screenshot(page, "cases_by_kind_en")

    page.locator('[data-testid="stSidebarNav"] a', has_text="Closure rates").click()
    page.locator("h1", has_text="Closure rates").wait_for()
    assert wait_until(page, lambda: drawn_groups(page), kinds_en) == kinds_en
    bar = page.locator(f"{CHART} .mark-rect [aria-label*='group_label: Central department;']").first
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2)
    expected = {"by": ["kind"], "lang": ["English"], "kind": ["Central department"]}
    assert wait_until(page, lambda: query(page), expected) == expected
    assert wait_until(page, lambda: drawn_groups(page), {"Central department"}) == {"Central department"}
    # 民政部's tasks alone, in 项 (内蒙古's 个 are filtered out)
    assert chart_titles(page) == ["Inspection feedback rectified · closure rate (counted in 项)"]


def test_brief_pdf_download_holds_the_filtered_view(page, app_url):
    """下载简报 gives the A4 PDF of the page for the filters in force (read back with poppler)."""
    if shutil.which("pdftotext") is None:
        message = "no pdftotext: apt-get install poppler-utils"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    theme = "%E4%B8%BA%E6%B0%91%E6%9C%8D%E5%8A%A1%E8%A7%A3%E9%9A%BE%E9%A2%98"  # 为民服务解难题
    open_page(page, app_url, f"/closure?{TIANJIN_AND_INNER_MONGOLIA}&theme={theme}", "整改完成率")
    with page.expect_download(timeout=120_000) as download:
        page.locator('[data-testid="stDownloadButton"] button', has_text="简报 PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode(
        "utf-8"
    )
    flat = re.sub(r"\s+", "", text)
    assert "整改完成率" in flat
    assert "单位：天津、内蒙古；专项整治/主题：为民服务解难题" in flat
    assert "621/870" in flat and "71.4%" in flat
    assert "目前群众反映的870件具体问题，已办结621件" in flat
    assert "刀刃向内找问题有的放矢抓整改" in flat
    assert f"{app_url}/closure?body=天津&body=内蒙古&theme=为民服务解难题" in flat  # the link reopens it


# --- 报告提取: a new report from paste to the dashboard -------------------------------------------

EDITOR_PASSWORD = "pw-浏览器"
REPORT = ROOT / "tests" / "import_reports" / "dev" / "yanhu_symposium.txt"


@pytest.fixture(scope="module")
def editor_url(chromium, tmp_path_factory):
    """The dashboard with editing enabled, over a store of its own."""
    folder = tmp_path_factory.mktemp("editor")
    env = {
        "METRICS_DB": str(build_db(folder)),
        "METRICS_IMPORTS_DIR": str(folder / "imports"),
        "METRICS_EDITOR_PASSWORD": EDITOR_PASSWORD,
    }
    with served(folder, env) as base:
        yield base, folder


def test_a_new_report_from_paste_to_its_body_s_page(browser, editor_url):
    """Paste a report of five bodies the store has never seen, check, import, follow the link."""
    base, folder = editor_url
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(base + "/extractor")
    page.locator("h1", has_text="报告提取").wait_for()
    page.get_by_label("编辑口令").fill(EDITOR_PASSWORD)
    page.get_by_label("编辑口令").press("Enter")
    area = page.get_by_label("报告全文")
    area.wait_for()
    area.fill(REPORT.read_text(encoding="utf-8"))
    area.press("Control+Enter")
    # 截至11月底 names no year: the one field the clerk types.
    page.get_by_text("文中没有写明日期").wait_for(timeout=60_000)
    page.get_by_role("textbox", name="报告截至日期").fill("2019-11")
    page.get_by_role("textbox", name="报告截至日期").press("Enter")
    ready = page.get_by_text(re.compile(r"可导入的数字：\d+ 个"))
    ready.wait_for(timeout=120_000)
    n = int(re.search(r"可导入的数字：(\d+) 个", ready.inner_text()).group(1))
    assert n >= 70  # of the 79 figures a curator recorded
    page.locator("mark").first.wait_for()
    page.locator(IDLE).wait_for()
    assert page.locator("mark").count() >= n
    screenshot(page, "extractor_review_zh")
    page.get_by_role("button", name="检查").click()
    page.get_by_text(re.compile(r"\d+ 个数字全部通过检查")).wait_for(timeout=120_000)
    page.get_by_role("button", name="确认导入").click()
    page.get_by_text(re.compile(r"已导入 \d+ 个数字")).wait_for(timeout=120_000)
    (batch,) = [p for p in (folder / "imports").iterdir() if not p.name.startswith(".")]
    assert (batch / "report.txt").read_text(encoding="utf-8") == REPORT.read_text(encoding="utf-8")
    link = page.get_by_role("link", name=re.compile("雁湖"))
    link.first.click()
    page.locator("h1", has_text="单位画像").wait_for()
    page.locator(IDLE).wait_for()
    assert "profile=" in page.url and "%E9%9B%81%E6%B9%96" in page.url  # 雁湖
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "extractor_imported_profile_zh")
    context.close()


def test_viewers_see_a_viewers_app_that_needs_no_internet(browser, app_url):
    """No Deploy button or developer menu, no editor pages (METRICS_EDITOR_PASSWORD is not set),
    and every page, its icon and its fonts load from the app alone: requests to any other host are
    blocked and recorded, and there must be none."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    outside, local = [], []

    def route(request_route):
        host = urlparse(request_route.request.url).hostname
        if request_route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            local.append(request_route.request.url)
            request_route.continue_()
        else:
            outside.append(request_route.request.url)
            request_route.abort()

    context.route("**/*", route)
    page = context.new_page()
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    try:
        for name, (title, _) in PAGE_TITLES.items():
            open_page(page, app_url, "/" if name == "overview" else f"/{name}", title)
        assert page.locator('[data-testid="stAppDeployButton"]').count() == 0
        nav = page.locator('[data-testid="stSidebarNav"] a').all_text_contents()
        titles = [zh for zh, _ in PAGE_TITLES.values()]  # after each link's icon name
        assert len(nav) == len(titles) and all(n.strip().endswith(z) for n, z in zip(nav, titles)), nav
        assert not [n for n in nav if "数据导入" in n or "报告提取" in n], nav
        menu = page.locator('[data-testid="stMainMenu"]')
        if menu.count():  # the viewer's menu, if any, holds no developer option
            menu.click()
            items = page.locator('[data-testid="stMainMenuList"]').inner_text()
            for developer in ("Rerun", "Clear cache", "Deploy", "Developer", "Record a screencast"):
                assert developer not in items, items
            page.keyboard.press("Escape")
        icon = page.locator("link[rel~='icon']").first.get_attribute("href")
        assert icon and urlparse(icon).hostname in (None, "127.0.0.1", "localhost"), icon
        fonts = (
            page.evaluate("document.fonts.status"),
            page.evaluate("[...document.fonts].filter(f => f.status === 'error').map(f => f.family)"),
        )
        assert fonts[1] == [], fonts
    finally:
        context.close()
    assert outside == [], outside
    assert not [u for u in failed if urlparse(u).hostname in ("127.0.0.1", "localhost")], failed
    assert any("/static/" in u for u in local)  # the check saw the app's own files load


def test_evidence_pack_download_holds_the_filtered_view(page, app_url):
    """证据包 ZIP gives the zip of the page for the filters in force, its link on this address."""
    import zipfile

    theme = "%E4%B8%BA%E6%B0%91%E6%9C%8D%E5%8A%A1%E8%A7%A3%E9%9A%BE%E9%A2%98"  # 为民服务解难题
    open_page(page, app_url, f"/closure?{TIANJIN_AND_INNER_MONGOLIA}&theme={theme}", "整改完成率")
    with page.expect_download(timeout=120_000) as download:
        page.locator('[data-testid="stDownloadButton"] button', has_text="证据包 ZIP").click()
    assert download.value.suggested_filename == "整改完成率_天津市委_内蒙古自治区党委_为民服务解难题.zip"
    archive = zipfile.ZipFile(download.value.path())
    assert {"README.txt", "data.csv", "data.xlsx", "quotes.csv", "charts/chart_01.png"} <= set(
        archive.namelist()
    )
    readme = archive.read("README.txt").decode("utf-8")
    assert f"{app_url}/closure?body=天津&body=内蒙古&theme=为民服务解难题" in readme
    rows = list(csv.DictReader(io.StringIO(archive.read("data.csv").decode("utf-8-sig"))))
    assert [(r["单位"], r["总数"], r["已完成"]) for r in rows] == [
        ("天津", "870", "621"),
        ("内蒙古", "12156", "7461"),
    ]
