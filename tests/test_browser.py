"""The running app in a real headless Chromium: pages, filters through the UI, chart clicks, the URL,
the language switch, a CSV download and screenshots (saved to test-artifacts/screenshots/).

Needs Debian's chromium and fonts-noto-cjk; without chromium the tests are skipped, or fail in CI.
Charts are read from the Vega marks' aria-labels ("...; row_label: 天津 · ...; ..."), which name
every bar drawn.
"""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from dashboard_helpers import CHART_PAGES, PAGE_TITLES, ROOT, build_db, png_size
from playwright.sync_api import Page, sync_playwright

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHART = '[data-testid="stVegaLiteChart"]'
MARKS = f"{CHART} svg.marks, {CHART} canvas"
BOM = b"\xef\xbb\xbf"

# Closure bars by their row label ("body · measure"), written by hand from the curated measures.
TIANJIN_ROW = "天津 · “民意直通车”群众反映的具体问题办结"
OPINIONS_ROW = "内蒙古 · 收集意见建议及立行立改"
IM_INSPECTION_ROW = "内蒙古 · 自治区党委第五轮巡视移交问题整改"
IM_ENVIRONMENT_ROW = "内蒙古 · 中央环保督察反馈问题整改"
MCA_ROW = "民政部 · 部党组确定的巡视整改任务完成情况"
ALL_CLOSURE_ROWS = {TIANJIN_ROW, OPINIONS_ROW, IM_INSPECTION_ROW, IM_ENVIRONMENT_ROW, MCA_ROW}
TIANJIN_ROW_EN = 'Tianjin · Specific problems raised by the public via the "public opinion express", resolved'
OPINIONS_ROW_EN = "Inner Mongolia · Opinions and suggestions collected and acted on at once"
ALL_CLOSURE_ROWS_EN = {
    TIANJIN_ROW_EN,
    OPINIONS_ROW_EN,
    "Inner Mongolia · Problems handed over by the region's 5th inspection round, rectified",
    "Inner Mongolia · Central environmental-inspection feedback problems rectified",
    "Civil Affairs · Inspection rectification tasks set by the ministry's leadership: completion",
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
    db = build_db(folder)
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
    env = {**os.environ, "METRICS_DB": str(db)}
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
        if name in CHART_PAGES:
            page.locator(MARKS).first.wait_for()
            assert drawn_rows(page), f"{name}: no chart marks drawn"
        screenshot(page, f"{name}_zh")


def test_closure_filters_clicks_language_and_csv(page, app_url):
    open_page(page, app_url, "/closure", "整改完成率")
    page.locator(MARKS).first.wait_for()
    assert wait_until(page, lambda: drawn_rows(page), ALL_CLOSURE_ROWS) == ALL_CLOSURE_ROWS
    assert page.get_by_text("71.4% · 621/870", exact=True).count() == 1

    # The body filter through the sidebar widget: the URL and the chart follow.
    choose(page, "单位", "天津")
    assert wait_until(page, lambda: drawn_rows(page), {TIANJIN_ROW}) == {TIANJIN_ROW}
    assert query(page) == {"body": ["天津"]}

    # A click on a bar filters to its body (from an unfiltered view).
    open_page(page, app_url, "/closure", "整改完成率")
    assert wait_until(page, lambda: drawn_rows(page), ALL_CLOSURE_ROWS) == ALL_CLOSURE_ROWS
    click_bar(page, OPINIONS_ROW)
    inner_mongolia = {OPINIONS_ROW, IM_INSPECTION_ROW, IM_ENVIRONMENT_ROW}
    assert wait_until(page, lambda: drawn_rows(page), inner_mongolia) == inner_mongolia
    assert wait_until(page, lambda: query(page), {"body": ["内蒙古"]}) == {"body": ["内蒙古"]}
    assert sidebar_multiselect(page, "单位").get_by_text("内蒙古", exact=True).count() == 1

    # A shared link, then the language switch.
    open_page(page, app_url, "/closure?body=%E5%A4%A9%E6%B4%A5", "整改完成率")
    assert wait_until(page, lambda: drawn_rows(page), {TIANJIN_ROW}) == {TIANJIN_ROW}
    switch_language(page, "English")
    page.locator("h1", has_text="Closure rates").wait_for()
    assert wait_until(page, lambda: drawn_rows(page), {TIANJIN_ROW_EN}) == {TIANJIN_ROW_EN}
    assert query(page)["lang"] == ["English"]
    assert page.get_by_text("71.4% · 621 of 870", exact=True).count() == 1
    screenshot(page, "closure_en")

    # The CSV download holds what is shown, readable by Excel (BOM) and by the csv module.
    with page.expect_download() as download:
        page.locator('[data-testid="stDownloadButton"] button', has_text="Data CSV").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(data[len(BOM) :].decode("utf-8"))))
    assert [(r["Body"], r["Total"], r["Closed"]) for r in rows] == [("Tianjin", "870", "621")]
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


def test_row_labels_shrink_when_the_window_narrows(page, app_url):
    open_page(page, app_url, "/closure?body=%E5%A4%A9%E6%B4%A5", "整改完成率")
    page.locator(MARKS).first.wait_for()
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
    found = {(r["单位"], r["总数"], r["已完成"]) for r in rows}
    assert {("天津", "870", "621"), ("内蒙古", "12156", "7461"), ("民政部", "79", "14")} <= found
    assert len(rows) == 5


def test_body_filter_survives_the_language_switch(page, app_url):
    open_page(page, app_url, "/closure?body=%E5%A4%A9%E6%B4%A5", "整改完成率")
    assert wait_until(page, lambda: drawn_rows(page), {TIANJIN_ROW}) == {TIANJIN_ROW}
    switch_language(page, "English")
    page.locator("h1", has_text="Closure rates").wait_for()
    choose(page, "Indicator", "Public requests resolved")
    page.wait_for_timeout(500)
    assert wait_until(page, lambda: drawn_rows(page), {TIANJIN_ROW_EN}, seconds=8) == {TIANJIN_ROW_EN}
    assert query(page).get("body") == ["Tianjin"]


def drawn_groups(page: Page) -> set[str]:
    """The group labels of every mark drawn in grouped charts (from the marks' aria-labels)."""
    labels = page.locator(f"{CHART} [aria-label*='group_label: ']").evaluate_all(
        "marks => marks.map(m => m.getAttribute('aria-label'))"
    )
    return {m.group(1) for label in labels if (m := re.search(r"group_label: (.*?)(?:; |$)", label))}


def test_compare_by_kind_survives_language_pages_and_clicks(page, app_url):
    """?by=kind is read from a shared link, kept in the URL through the language switch and a page
    change (the browser drops unbound parameters on navigation; the app writes it back), and a
    click on a kind's bar filters to that kind."""
    open_page(page, app_url, "/closure?by=kind", "整改完成率")
    page.locator(MARKS).first.wait_for()
    kinds = {"省区市", "中央部门"}
    assert wait_until(page, lambda: drawn_groups(page), kinds) == kinds
    assert page.get_by_text("62.0% · 8082/13026", exact=True).count() == 1
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

    page.locator('[data-testid="stSidebarNav"] a', has_text="Case counts").click()
    page.locator("h1", has_text="Case counts").wait_for()
    page.locator(MARKS).first.wait_for()
    assert wait_until(page, lambda: query(page).get("by"), ["kind"]) == ["kind"]
    assert "Province-level Party committee" in drawn_groups(page)

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
