"""Every dashboard page through Streamlit's AppTest: titles, chart data, filters, the URL, downloads.

Expected numbers and labels are written by hand from the source text; nothing here is computed
by the code under test. Chart data is read from the Arrow datasets Streamlit sends to the browser.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import openpyxl
import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from dashboard_helpers import CHART_PAGES, PAGE_TITLES, ROOT, build_db, png_size
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest, app_test

from metrics import charts, export, labels, queries
from metrics.i18n import t
from metrics.store import Store

BOM = b"\xef\xbb\xbf"
CJK = re.compile(r"[\u3400-\u9fff]")
NO_DATA_ZH = "当前筛选条件下没有数据"
# Closure bars by their row label ("body · measure"), written by hand from the curated measures.
TIANJIN_ROW = "天津 · “民意直通车”群众反映的具体问题办结"
OPINIONS_ROW = "内蒙古 · 收集意见建议及立行立改 ※"  # joins 群众诉求办结 with a caveat
IM_INSPECTION_ROW = "内蒙古 · 自治区党委第五轮巡视移交问题整改"
IM_ENVIRONMENT_ROW = "内蒙古 · 中央环保督察反馈问题整改"
MCA_ROW = "民政部 · 部党组确定的巡视整改任务完成情况"
TIANJIN_ROW_EN = 'Tianjin · Specific problems raised by the public via the "public opinion express", resolved'
OPINIONS_ROW_EN = "Inner Mongolia · Opinions and suggestions collected and acted on at once ※"
PUBLIC_KEY = "public_requests_closure/closure_rate"
INSPECTION_KEY = "inspection_feedback_closure/closure_rate"
PEOPLE_KEY = "people_held_accountable/count/person"
# The pages that draw ranking charts at seed scale: every change of 前后对比 is a comparable group of
# its own (one body each), so that page lists them and draws no ranking.
RANKED_PAGES = ("overview", "closure", "cases")
SINGLES = ("仅一个单位报告的指标（不作排名）", "Reported by one body only (not ranked)")


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dashboard_db(tmp_path_factory):
    return build_db(tmp_path_factory.mktemp("dashboard_db"))


@pytest.fixture(autouse=True)
def app_env(dashboard_db, monkeypatch):
    """The app reads the module's database; Streamlit caches start empty in every test."""
    monkeypatch.setenv("METRICS_DB", str(dashboard_db))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


class MediaRecorder:
    """Keeps the media manager and storage AppTest creates for each run, to read download files."""

    def __init__(self):
        self.managers: list[MediaFileManager] = []
        self.storages: list[MemoryMediaFileStorage] = []

    def file(self, button) -> tuple[str, bytes]:
        """(file name, bytes) the browser would receive for a download button of the last run."""
        proto = button.proto
        url = proto.url or self.managers[-1].execute_deferred(proto.deferred_file_id)
        stored = self.storages[-1].get_file(url.rsplit("/", 1)[1])
        return stored.filename, stored.content


@pytest.fixture
def media(monkeypatch) -> MediaRecorder:
    recorder = MediaRecorder()

    class Manager(MediaFileManager):
        def __init__(self, storage):
            super().__init__(storage)
            recorder.managers.append(self)

    class Storage(MemoryMediaFileStorage):
        def __init__(self, endpoint):
            super().__init__(endpoint)
            recorder.storages.append(self)

    monkeypatch.setattr(app_test, "MediaFileManager", Manager)
    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", Storage)
    return recorder


# --- helpers ------------------------------------------------------------------------------------


def open_page(page: str, **query) -> AppTest:
    """Run the app with ``query`` as the URL's query parameters and go to ``page``."""
    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page != "overview":
        at.switch_page(f"metrics/ui/pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart_frames(chart) -> list[pd.DataFrame]:
    """Every data set of one Vega-Lite element: Arrow datasets of the proto and inline values."""
    frames = [pa.ipc.open_stream(ds.data.data).read_all().to_pandas() for ds in chart.proto.datasets]
    if chart.proto.HasField("data") and chart.proto.data.data:
        frames.append(pa.ipc.open_stream(chart.proto.data.data).read_all().to_pandas())
    spec = json.loads(chart.proto.spec)
    frames += [pd.DataFrame(values) for values in spec.get("datasets", {}).values()]
    return frames


def all_frames(at: AppTest) -> list[pd.DataFrame]:
    return [frame for chart in at.get("vega_lite_chart") for frame in chart_frames(chart)]


def closure_bars(at: AppTest) -> pd.DataFrame:
    """The stacked-bar segments of every closure chart: one row per measure and part."""
    frames = [f for f in all_frames(at) if {"row_label", "closure_label", "part", "count"} <= set(f.columns)]
    assert frames, "no closure bar data in any chart"
    return pd.concat(frames, ignore_index=True)


def closure_rows(at: AppTest) -> pd.DataFrame:
    """One row per closure bar drawn, by its row label: body, rate label, closed part, sum of parts."""
    bars = closure_bars(at)
    return bars.groupby("row_label", sort=False).agg(
        body_id=("body_id", "first"),
        closure_label=("closure_label", "first"),
        closed=("count", lambda c: c[bars.loc[c.index, "part"] == "closed"].sum()),
        total=("count", "sum"),
    )


def chart_bodies_of(one_chart) -> set[str]:
    """Every body_id in the data of one chart."""
    return {b for f in chart_frames(one_chart) if "body_id" in f.columns for b in f.body_id}


def chart_bodies(at: AppTest) -> set[str]:
    """Every body_id in the data of every chart of the page."""
    return set().union(*(chart_bodies_of(c) for c in at.get("vega_lite_chart")))


def chart_title(one_chart) -> tuple[str, list[str]]:
    """The title of one chart and its subtitle lines."""
    title = json.loads(one_chart.proto.spec).get("title", "")
    return (title, []) if isinstance(title, str) else (title["text"], list(title.get("subtitle", [])))


def chart(at: AppTest, key: str):
    found = [c for c in at.get("vega_lite_chart") if c.proto.id.endswith("-" + key)]
    assert len(found) == 1, f"{len(found)} charts with key {key!r}"
    return found[0]


def singles_table(at: AppTest) -> pd.DataFrame:
    """The table of groups only one body reports, in its expander (labelled with how many rows)."""
    boxes = [e for e in at.expander if e.label.rsplit(" · ", 1)[0] in SINGLES]
    assert len(boxes) == 1, [e.label for e in at.expander]
    (table,) = boxes[0].dataframe
    assert boxes[0].label.endswith(f" · {len(table.value)}")
    return table.value


def page_table(at: AppTest) -> pd.DataFrame:
    """The page's own table: the last one, under the charts and the list of single-body groups."""
    return at.dataframe[-1].value


def download_buttons(at: AppTest) -> dict[str, object]:
    """Download buttons by their key (the part of the element id after the last '-')."""
    return {b.proto.id.rsplit("-", 1)[1]: b for b in at.get("download_button")}


def click_chart(at: AppTest, key: str, selected: list[dict]) -> AppTest:
    """Rerun as the browser does after a click on a chart: the chart's selection in the widget states."""
    states = at._tree.get_widget_states()
    value = json.dumps({"selection": {charts.SELECTION: selected}})
    states.widgets.append(WidgetState(id=chart(at, key).proto.id, string_value=value))
    at._run(states)
    assert not at.exception, [e.value for e in at.exception]
    return at


# --- every page, both languages ------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", list(PAGE_TITLES))
def test_page_runs_with_title_and_charts(page, lang):
    at = open_page(page, **({"lang": "English"} if lang == "en" else {}))
    zh, en = PAGE_TITLES[page]
    assert [t.value for t in at.title] == [en if lang == "en" else zh]
    assert at.multiselect(key="body").label == ("Body" if lang == "en" else "单位")
    if page in RANKED_PAGES:
        assert len(at.get("vega_lite_chart")) >= 1
        assert all(
            chart_frames(c) and any(len(f) for f in chart_frames(c)) for c in at.get("vega_lite_chart")
        )
    if page == "reductions":  # seven changes, no two comparable: listed, never ranked
        assert not at.get("vega_lite_chart")
        assert len(singles_table(at)) == 7


# --- closure numbers ------------------------------------------------------------------------------


def test_closure_chart_data_holds_the_reported_numbers():
    at = open_page("closure")
    rows = closure_rows(at)
    assert set(rows.index) == {TIANJIN_ROW, OPINIONS_ROW, IM_INSPECTION_ROW, IM_ENVIRONMENT_ROW, MCA_ROW}
    # one chart per comparable group, each holding only its own group's bars
    assert len(at.get("vega_lite_chart")) == 2
    assert chart_bodies_of(chart(at, f"closure_{PUBLIC_KEY}")) == {"tianjin", "inner_mongolia"}
    assert chart_bodies_of(chart(at, f"closure_{INSPECTION_KEY}")) == {"inner_mongolia", "mca"}
    assert rows.loc[TIANJIN_ROW].tolist() == ["tianjin", "71.4% · 621/870", 621, 870]
    assert rows.loc[OPINIONS_ROW].tolist() == ["inner_mongolia", "61.4% · 7461/12156", 7461, 12156]
    assert rows.loc[MCA_ROW].tolist() == ["mca", "17.7% · 14/79", 14, 79]

    bars = closure_bars(at)
    assert bars.loc[(bars.row_label == TIANJIN_ROW) & (bars.part == "closed"), "part_label"].tolist() == [
        "已完成"
    ]
    # 14 closed, 26 mostly closed and 39 in progress make up the ministry's 79 tasks.
    mca = bars[bars.row_label == MCA_ROW].set_index("part")["count"].to_dict()
    assert {k: v for k, v in mca.items() if v} == {"closed": 14, "partly_closed": 26, "in_progress": 39}

    table = page_table(at)
    row = table[table["事项"] == "“民意直通车”群众反映的具体问题办结"]
    assert row[["单位", "可比指标组", "组内排名", "总数", "已完成"]].values.tolist() == [
        ["天津", "群众诉求办结", "第 1 / 2", 870, 621]
    ]
    # 民政部 17.7%, below 内蒙古's 82.5% and 34.6%
    row = table[table["事项"] == "部党组确定的巡视整改任务完成情况"]
    assert row[["单位", "可比指标组", "组内排名"]].values.tolist() == [
        ["民政部", "巡视督察反馈问题整改", "第 3 / 3"]
    ]


def test_closure_page_from_url_with_two_bodies_and_a_theme():
    at = open_page("closure", body=["天津", "内蒙古"], theme="为民服务解难题")
    rows = closure_rows(at)
    assert set(rows.index) == {TIANJIN_ROW, OPINIONS_ROW}
    assert rows.closure_label.to_dict() == {
        TIANJIN_ROW: "71.4% · 621/870",
        OPINIONS_ROW: "61.4% · 7461/12156",
    }
    assert len(at.get("vega_lite_chart")) == 1
    assert at.session_state["body"] == ["天津", "内蒙古"]
    assert at.session_state["theme"] == ["为民服务解难题"]
    assert sorted(at.dataframe[0].value["单位"]) == ["内蒙古", "天津"]


# --- filters ----------------------------------------------------------------------------------------


BODY_IDS = {"天津": "tianjin", "内蒙古": "inner_mongolia", "农发行": "adbc"}


def table_bodies(at: AppTest) -> set[str]:
    """Every body named in any table of the page."""
    return {b for frame in at.dataframe for b in frame.value.get("单位", [])}


# Two bodies that share a comparable group on the page: 天津's public requests and 内蒙古's
# suggestions (closures), their eight special rectification areas each (overview), 天津's people
# held accountable and 农发行's staff punished (cases).
@pytest.mark.parametrize(
    ("page", "pair", "before"),
    [
        ("overview", ("天津", "内蒙古"), {"天津", "内蒙古", "民政部", "上海", "农发行", "水利部"}),
        ("closure", ("天津", "内蒙古"), {"天津", "内蒙古", "民政部"}),
        ("cases", ("天津", "农发行"), {"天津", "农发行", "水利部"}),
    ],
)
def test_body_multiselect_narrows_the_charts_to_those_bodies(page, pair, before):
    at = open_page(page)
    charted = chart_bodies(at)
    assert {BODY_IDS[b] for b in pair} <= charted
    assert table_bodies(at) >= before  # bodies listed before the filter
    at.multiselect(key="body").set_value(list(pair)).run()
    assert not at.exception
    assert chart_bodies(at) == {BODY_IDS[b] for b in pair}
    assert table_bodies(at) == set(pair)
    if page == "overview":  # 天津 and 内蒙古 share 群众诉求办结 and 专项整治任务 only
        assert charted > chart_bodies(at)
        assert len(at.get("vega_lite_chart")) == 2
        chart(at, f"overview_closures_{PUBLIC_KEY}")
        chart(at, "overview_value_figures_special_rectification_areas/count/item")


# 天津's rows per page, counted by hand: 17 measures (one closure, 14 single values, two changes);
# on the cases page 4 cases, 3 counts of people held accountable, 225 implicated, 120 clues, 56
# units and people criticised.
TIANJIN_ROWS = {"overview": 17, "closure": 1, "cases": 10, "reductions": 2}


@pytest.mark.parametrize("page", list(TIANJIN_ROWS))
def test_one_body_filter_draws_no_ranking_and_lists_its_rows(page):
    """A body alone has nothing to be ranked against: no chart, every row in the single-body list."""
    at = open_page(page)
    at.multiselect(key="body").set_value(["天津"]).run()
    assert not at.exception
    assert not at.get("vega_lite_chart")
    singles = singles_table(at)
    assert set(singles["单位"]) == {"天津"} and len(singles) == TIANJIN_ROWS[page]
    if page != "overview":
        assert set(page_table(at)["单位"]) == {"天津"} and len(page_table(at)) == TIANJIN_ROWS[page]
    if page == "closure":
        assert singles[["事项", "数值"]].values.tolist() == [
            ["“民意直通车”群众反映的具体问题办结", "71.4% · 621/870"]
        ]


def test_body_filter_keeps_only_the_groups_two_bodies_share():
    at = open_page("closure")
    assert len(closure_rows(at)) == 5
    at.multiselect(key="body").set_value(["天津", "内蒙古"]).run()
    # 内蒙古's two inspection closures have no partner among the chosen bodies: listed, not ranked
    assert set(closure_rows(at).index) == {TIANJIN_ROW, OPINIONS_ROW}
    assert len(at.get("vega_lite_chart")) == 1
    assert sorted(singles_table(at)["事项"]) == sorted(
        ["自治区党委第五轮巡视移交问题整改", "中央环保督察反馈问题整改"]
    )
    assert len(page_table(at)) == 4
    at.multiselect(key="body").set_value(["天津"]).run()
    assert not at.get("vega_lite_chart")
    assert singles_table(at)["事项"].tolist() == ["“民意直通车”群众反映的具体问题办结"]
    assert len(page_table(at)) == 1


@pytest.mark.parametrize("page", ["overview", "closure", "cases", "reductions", "figures"])
def test_impossible_filter_combination_shows_the_empty_message(page):
    at = open_page(page)
    at.multiselect(key="body").set_value(["华能"])
    at.multiselect(key="theme").set_value(["为民服务解难题"]).run()
    assert not at.exception
    assert any(NO_DATA_ZH in info.value for info in at.info), [i.value for i in at.info]
    assert not at.get("vega_lite_chart")
    assert not at.get("download_button")


def test_impossible_combination_from_the_url():
    at = open_page("closure", body="华能", theme="为民服务解难题")
    assert at.session_state["body"] == ["华能"]
    assert any(NO_DATA_ZH in info.value for info in at.info)


# --- the URL ----------------------------------------------------------------------------------------


def test_url_round_trip_restores_the_same_view():
    """Filters set through the widgets, then the URL the browser writes for them, show the same view.

    AppTest has no browser: the query string is written by the frontend (checked in test_browser.py).
    Here the URL is the one the browser writes (display labels), and it must survive the server's
    check of bound parameters (invalid values are removed from at.query_params).
    """
    at = open_page("closure")
    at.multiselect(key="body").set_value(["天津", "内蒙古"])
    at.multiselect(key="theme").set_value(["为民服务解难题"]).run()
    shown = closure_rows(at)
    assert set(shown.index) == {TIANJIN_ROW, OPINIONS_ROW}

    url = {"body": ["天津", "内蒙古"], "theme": "为民服务解难题"}
    fresh = open_page("closure", **url)
    assert fresh.query_params == url
    assert fresh.multiselect(key="body").value == ["天津", "内蒙古"]
    assert fresh.multiselect(key="theme").value == ["为民服务解难题"]
    pd.testing.assert_frame_equal(closure_rows(fresh), shown)


def test_english_url_round_trip():
    url = {
        "lang": "English",
        "body": ["Tianjin", "Inner Mongolia"],
        "indicator": ["Public requests resolved", "Suggestions acted on at once"],
    }
    at = open_page("closure", **url)
    assert at.query_params == url
    assert at.session_state["lang"] == "en"
    assert at.session_state["body"] == ["Tianjin", "Inner Mongolia"]
    assert at.session_state["indicator"] == ["Public requests resolved", "Suggestions acted on at once"]
    assert closure_rows(at).closure_label.to_dict() == {
        TIANJIN_ROW_EN: "71.4% · 621 of 870",
        OPINIONS_ROW_EN: "61.4% · 7,461 of 12,156",
    }


# --- English ------------------------------------------------------------------------------------------


def test_english_closure_page():
    at = open_page("closure", lang="English")
    assert [t.value for t in at.title] == ["Closure rates"]
    rows = closure_rows(at)
    assert rows.loc[TIANJIN_ROW_EN].tolist() == ["tianjin", "71.4% · 621 of 870", 621, 870]
    assert rows.loc[OPINIONS_ROW_EN].tolist() == ["inner_mongolia", "61.4% · 7,461 of 12,156", 7461, 12156]
    assert "Closed" in set(closure_bars(at).part_label)
    assert "Tianjin" in at.multiselect(key="body").options
    assert "天津" not in at.multiselect(key="body").options
    assert {"Body", "Comparable group", "Rank in group", "Total", "Closed"} <= set(page_table(at).columns)


@pytest.mark.parametrize("page", RANKED_PAGES)
def test_english_chart_labels_have_no_chinese(page):
    at = open_page(page, lang="English")
    checked = 0
    for frame in all_frames(at):
        for column in frame.columns:
            if column.endswith("_label") or column == "body_name":
                chinese = [v for v in frame[column] if isinstance(v, str) and CJK.search(v)]
                assert not chinese, f"{column}: {chinese[:3]}"
                checked += 1
    assert checked > 0


@pytest.mark.parametrize(
    ("page", "query"), [("overview", {}), ("closure", {"body": "Tianjin"}), ("cases", {}), ("reductions", {})]
)
def test_english_single_body_list_has_no_chinese_but_the_quotes(page, query):
    at = open_page(page, lang="English", **query)
    singles = singles_table(at)
    assert len(singles) and {"Body", "Comparable group", "Measure", "Value", "Source quote"} <= set(
        singles.columns
    )
    for column in singles.columns.drop("Source quote"):
        chinese = [v for v in singles[column] if isinstance(v, str) and CJK.search(v)]
        assert not chinese, f"{column}: {chinese[:3]}"
    assert singles["Source quote"].map(lambda q: bool(CJK.search(q))).all()  # quoted as written


# --- click to filter --------------------------------------------------------------------------------


IM_MEASURES = ["收集意见建议及立行立改", "自治区党委第五轮巡视移交问题整改", "中央环保督察反馈问题整改"]


def test_click_on_a_closure_bar_filters_to_that_body():
    at = open_page("closure")
    click_chart(at, f"closure_{PUBLIC_KEY}", [{"body_id": "inner_mongolia"}])
    assert at.session_state["body"] == ["内蒙古"]
    assert at.multiselect(key="body").value == ["内蒙古"]
    # one body alone: nothing to rank, its three closures listed
    assert not at.get("vega_lite_chart")
    assert sorted(page_table(at)["事项"]) == sorted(IM_MEASURES)
    assert set(singles_table(at)["单位"]) == {"内蒙古"} and len(singles_table(at)) == 3


def test_click_on_a_cases_bar_filters_to_that_body():
    at = open_page("cases")
    assert chart_bodies_of(chart(at, f"cases_{PEOPLE_KEY}")) == {"tianjin", "adbc"}
    click_chart(at, f"cases_{PEOPLE_KEY}", [{"body_id": "tianjin"}])
    assert at.session_state["body"] == ["天津"]
    assert not at.get("vega_lite_chart")
    assert set(page_table(at)["单位"]) == {"天津"} and len(page_table(at)) == 10


def test_empty_chart_selection_keeps_the_filter():
    at = open_page("closure", body=["天津", "内蒙古"])
    click_chart(at, f"closure_{PUBLIC_KEY}", [])
    assert at.session_state["body"] == ["天津", "内蒙古"]
    assert chart_bodies(at) == {"tianjin", "inner_mongolia"}


def test_pick_body_reads_the_selection_dict():
    def app():
        import streamlit as st

        from metrics.ui import state

        st.session_state["chart"] = {"selection": {"pick": [{"body_id": "mca"}, {"body_id": "tianjin"}]}}
        state.pick_body("chart")
        st.session_state["unselected"] = {"selection": {"pick": []}}
        st.session_state["body"] = ["上海"]
        state.pick_body("unselected")
        state.pick_body("missing_chart")
        st.write(",".join(st.session_state["body"]))

    at = AppTest.from_function(app).run()
    assert not at.exception
    assert at.markdown[0].value == "上海"

    def first_pick():
        import streamlit as st

        from metrics.ui import state

        st.session_state["chart"] = {"selection": {"pick": [{"body_id": "mca"}, {"body_id": "tianjin"}]}}
        state.pick_body("chart")
        st.write(",".join(st.session_state["body"]))

    at = AppTest.from_function(first_pick).run()
    assert not at.exception
    assert at.markdown[0].value == "民政部"


# --- downloads --------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", list(PAGE_TITLES))
def test_download_buttons_per_page(page):
    at = open_page(page)
    buttons = download_buttons(at)
    # Profile draws a trend only for a measure with several dates; the data has one date per measure.
    # 前后对比 draws no ranking at seed scale (no two changes comparable): no image to download.
    # 进度 draws its lights per kind of body at any scale.
    charted = page in RANKED_PAGES or page == "progress"
    formats = ["csv", "xlsx", "pdf", "zip"] + (["png", "svg"] if charted else [])
    assert sorted(buttons) == sorted(f"{page}_{f}" for f in formats)
    labels_zh = {
        "csv": "表格 CSV",
        "xlsx": "Excel 表格",
        "pdf": "简报 PDF",
        "png": "图片 PNG",
        "svg": "矢量图 SVG",
        "zip": "证据包 ZIP",
    }
    for f in formats:
        assert buttons[f"{page}_{f}"].proto.label == labels_zh[f]
        assert not buttons[f"{page}_{f}"].proto.disabled


def test_closure_downloads_filtered_to_tianjin(media):
    at = open_page("closure")
    at.multiselect(key="body").set_value(["天津"]).run()
    files = {key: media.file(button) for key, button in download_buttons(at).items()}
    names = {key: name for key, (name, _) in files.items()}
    # 天津 alone has no closure to be ranked against: a table to download, no chart image
    assert names == {
        "closure_csv": "整改完成率_天津市委.csv",
        "closure_xlsx": "整改完成率_天津市委.xlsx",
        "closure_pdf": "整改完成率_天津市委.pdf",
        "closure_zip": "整改完成率_天津市委.zip",
    }

    data = files["closure_csv"][1]
    assert data.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(data[len(BOM) :].decode("utf-8"))))
    assert [(r["单位"], r["总数"], r["已完成"]) for r in rows] == [("天津", "870", "621")]

    book = openpyxl.load_workbook(io.BytesIO(files["closure_xlsx"][1]))
    assert book.sheetnames == ["数据", "来源", "字段说明"]
    sheet = book["数据"]
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]]))
    assert (row["单位"], row["总数"], row["已完成"]) == ("天津", 870, 621)
    assert sheet.max_row == 2
    cited = [[c.value for c in r] for r in book["来源"].iter_rows(min_row=2)]
    assert len(cited) == 1 and cited[0][0] == "symposium_2019"  # only the sources the rows cite


def test_closure_image_downloads_carry_the_group_and_its_caveat(media):
    at = open_page("closure", body=["天津", "内蒙古"], theme="为民服务解难题")
    files = {key: media.file(button) for key, button in download_buttons(at).items()}
    assert {key: name for key, (name, _) in files.items()} == {
        f"closure_{f}": f"整改完成率_天津市委_内蒙古自治区党委_为民服务解难题.{f}"
        for f in ("csv", "xlsx", "pdf", "png", "svg", "zip")
    }
    data = files["closure_csv"][1]
    rows = list(csv.DictReader(io.StringIO(data[len(BOM) :].decode("utf-8"))))
    assert [(r["单位"], r["可比指标组"], r["总数"], r["已完成"]) for r in rows] == [
        ("天津", "群众诉求办结", "870", "621"),
        ("内蒙古", "群众诉求办结", "12156", "7461"),
    ]
    width, height = png_size(files["closure_png"][1])
    assert width > 400 and height > 100
    svg = files["closure_svg"][1].decode("utf-8")
    assert svg.startswith("<svg")
    for text in ("群众诉求办结 · 完成率", "天津", "621", "内蒙古", "7461", "※ 内蒙古", "统计收集的意见建议"):
        assert text in svg, text


def test_evidence_pack_button_holds_the_view_the_other_buttons_give(media):
    """证据包: the zip holds the same table as the CSV button, the same chart, and says its link."""
    at = open_page("closure", body=["天津", "内蒙古"], theme="为民服务解难题")
    buttons = download_buttons(at)
    assert buttons["closure_zip"].proto.label == "证据包 ZIP"
    name, data = media.file(buttons["closure_zip"])
    assert name == "整改完成率_天津市委_内蒙古自治区党委_为民服务解难题.zip"
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(archive.namelist()) == sorted(
        ["README.txt", "data.csv", "data.xlsx", "quotes.csv", "charts/chart_01.png", "charts/chart_01.svg"]
    )
    assert archive.read("data.csv") == media.file(buttons["closure_csv"])[1]
    readme = archive.read("README.txt").decode("utf-8")
    assert "筛选条件：单位：天津、内蒙古；专项整治 / 主题：为民服务解难题" in readme
    assert "/closure?body=天津&body=内蒙古&theme=为民服务解难题" in readme
    assert "群众诉求办结 · 完成率" in archive.read("charts/chart_01.svg").decode("utf-8")


def test_unfiltered_and_english_file_names(media):
    at = open_page("closure")
    assert media.file(download_buttons(at)["closure_csv"])[0] == "整改完成率_全部.csv"
    at = open_page("closure", lang="English", body="Tianjin")
    name, data = media.file(download_buttons(at)["closure_csv"])
    assert name == "Closure_rates_CPC_Tianjin_Municipal_Committee.csv"
    assert data.startswith(BOM) and "Tianjin,Public requests resolved" in data.decode("utf-8")


# --- export functions (the bytes behind the buttons) ------------------------------------------------


def test_csv_bytes_escapes_formulas_and_keeps_numbers():
    frame = pd.DataFrame(
        {
            "单位": ["=1+1", "@x", "-abc", "天津", "-77.6%"],
            "变化": [-77.6, 1.5, 2.25, 0.5, 3.0],
        }
    )
    data = export.csv_bytes(frame)
    assert data.startswith(BOM)
    text = data[len(BOM) :].decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["单位", "变化"]
    assert [r[0] for r in rows[1:]] == ["'=1+1", "'@x", "'-abc", "天津", "-77.6%"]
    assert rows[1][1] == "-77.6"
    assert text.splitlines()[1] == "'=1+1,-77.6"  # the number is written bare, not quoted or escaped


def test_xlsx_bytes_sheets_and_headers():
    data = export.xlsx_bytes(
        {
            "数据": pd.DataFrame({"单位": ["天津", "=1+1"], "总数": [870, 12156]}),
            "来源": pd.DataFrame({"标题": ["座谈会"], "日期": ["2019-12"]}),
        }
    )
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["数据", "来源"]
    sheet = book["数据"]
    assert [c.value for c in sheet[1]] == ["单位", "总数"]
    assert [c.value for c in sheet[2]] == ["天津", 870]
    assert sheet["A3"].value == "'=1+1" and sheet["A3"].data_type == "s"
    assert sheet["B3"].value == 12156
    assert [c.value for c in book["来源"][1]] == ["标题", "日期"]


@pytest.fixture
def closure_charts(dashboard_db):
    con = Store(dashboard_db).connect()
    try:
        frame = labels.closures(queries.closures(con), "zh")
    finally:
        con.close()
    return [
        charts.closure_chart(
            group, "zh", group.comparable_label.iloc[0], subtitle=(group.definition_label.iloc[0],)
        )
        for _, group in frame.groupby("group_key", sort=True)
    ]


def test_chart_png_of_the_closure_charts(closure_charts):
    data = export.chart_png(closure_charts)
    width, height = png_size(data)
    assert width > 400 and height > 400, (width, height)


def test_chart_svg_draws_chinese_text(closure_charts):
    svg = export.chart_svg(closure_charts).decode("utf-8")
    assert svg.startswith("<svg")
    for text in (
        "天津",
        "内蒙古",
        "71.4% · 621/870",
        "61.4% · 7461/12156",
        "群众诉求办结",
        "巡视督察反馈问题整改",
    ):
        assert text in svg, text


# --- compare by kind of body or region (?by=kind, ?by=region) -------------------------------------------


def group_bars(at: AppTest) -> pd.DataFrame:
    """The stacked segments of every grouped closure chart: one row per group and part."""
    frames = [
        f for f in all_frames(at) if {"group_label", "closure_label", "part", "count"} <= set(f.columns)
    ]
    assert frames, "no grouped closure data in any chart"
    return pd.concat(frames, ignore_index=True)


def group_labels(at: AppTest) -> dict[str, str]:
    """Rate label of every group bar drawn, by group label (closure charts)."""
    bars = group_bars(at)
    return dict(zip(bars.group_label, bars.closure_label))


def closure_group_data(at: AppTest, key: str) -> pd.DataFrame:
    """The stacked segments of one grouped closure chart."""
    (data,) = [f for f in chart_frames(chart(at, key)) if "closure_label" in f.columns]
    return data


def test_closure_by_kind_from_the_url_shows_one_bar_per_kind():
    at = open_page("closure", by="kind")
    assert at.radio(key="by").value == "kind"
    assert at.query_params["by"] == "kind"
    # One chart per comparable group and counter family: 天津's 621 of 870 problems (件) and
    # 内蒙古's 7461 of 12156 suggestions (件次) are never summed into one 8082 of 13026.
    charts_ = at.get("vega_lite_chart")
    assert len(charts_) == 3
    data = closure_group_data(at, f"closure_kind_{INSPECTION_KEY}_item")
    # 内蒙古 141 of 171 and 9 of 26 (total derived from its parts); 民政部 14 of 79.
    assert dict(zip(data.group_label, data.closure_label)) == {
        "省区市": "76.1% · 150/197 *",
        "中央部门": "17.7% · 14/79",
    }
    for family, label, closed, not_reported in [
        ("item", "71.4% · 621/870", 621, 249),
        ("件次", "61.4% · 7461/12156", 7461, 4695),
    ]:
        data = closure_group_data(at, f"closure_kind_{PUBLIC_KEY}_{family}")
        assert set(data.group_label) == {"省区市"}
        assert data.closure_label.iloc[0] == label
        assert data.groupby("part")["count"].sum().to_dict() == {
            "closed": closed,
            "status_not_reported": not_reported,
        }
        assert {"bodies", "measures"} <= set(data.columns) and data.bodies.iloc[0] == 1
    # the 件次 chart says that its group holds a member with a caveat
    title, subtitle = chart_title(chart(at, f"closure_kind_{PUBLIC_KEY}_件次"))
    assert title == "群众诉求办结 · 完成率（以件次计）" and any(line.startswith("※") for line in subtitle)
    assert not any("body_id" in f.columns for f in all_frames(at))  # groups, not bodies
    table = page_table(at)
    row = table[(table["可比指标组"] == "群众诉求办结") & (table["单位类别"] == "省区市")]
    assert row[["总数", "已完成", "单位数", "事项数", "量词（合计）"]].values.tolist() == [
        [870, 621, 1, 1, "件"],
        [12156, 7461, 1, 1, "件次"],
    ]
    assert any("按单位类别" in c.value for c in at.caption)


def test_the_default_comparison_leaves_the_url_alone():
    at = open_page("closure", body=["天津", "内蒙古"])
    assert at.radio(key="by").value == "body"
    assert at.query_params == {"body": ["天津", "内蒙古"]}
    assert set(closure_rows(at).index) == {TIANJIN_ROW, OPINIONS_ROW}


def test_choosing_a_grouping_writes_it_to_the_url_and_back():
    at = open_page("closure")
    at.radio(key="by").set_value("region").run()
    assert not at.exception
    assert at.query_params["by"] == "region"
    assert group_labels(at)["天津"] == "71.4% · 621/870"
    assert "全国/中央" in group_labels(at)  # 民政部 has no region
    at.radio(key="by").set_value("body").run()
    assert "by" not in at.query_params
    assert len(closure_rows(at)) == 5


def test_switching_language_keeps_the_grouping():
    at = open_page("closure", by="kind")
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert at.radio(key="by").value == "kind"
    assert at.query_params["by"] == "kind"  # (lang is written to the URL by the browser: test_browser.py)
    data = closure_group_data(at, f"closure_kind_{PUBLIC_KEY}_item")
    assert dict(zip(data.group_label, data.closure_label)) == {
        "Province-level Party committee": "71.4% · 621 of 870"
    }
    at.radio(key="lang").set_value("zh").run()
    assert at.radio(key="by").value == "kind" and at.query_params["by"] == "kind"
    assert "省区市" in group_labels(at)


def test_the_grouping_survives_a_page_switch():
    at = open_page("closure", by="region")
    at.switch_page("metrics/ui/pages/overview.py").run()
    at.switch_page("metrics/ui/pages/cases.py").run()
    assert not at.exception
    assert at.radio(key="by").value == "region" and at.query_params["by"] == "region"
    values = {
        pair
        for f in all_frames(at)
        if "value_label" in f.columns
        for pair in zip(f.group_label, f.value_label)
    }
    # 天津 166起 + 80起 + 91件 + 125件 discipline cases (起 and 件 are one family); 水利部's 2018件
    # law-enforcement cases are a group of their own, in a chart of their own
    assert ("天津", "462件、起") in values and ("全国/中央", "2018件") in values
    shown = {
        chart_title(one)[0]: {
            v for f in chart_frames(one) if "value_label" in f.columns for v in f.value_label
        }
        for one in at.get("vega_lite_chart")
    }
    assert shown["查处问题（起/件） · 数量"] == {"462件、起"}
    assert shown["行政执法立案查处（件） · 数量"] == {"2018件"}


def test_unknown_grouping_in_the_url_falls_back_to_bodies():
    at = open_page("closure", by="c.body_id; DROP TABLE figures")
    assert at.radio(key="by").value == "body"
    assert "by" not in at.query_params
    assert len(closure_rows(at)) == 5


@pytest.mark.parametrize("by", ["kind", "region"])
@pytest.mark.parametrize("page", ["closure", "cases", "reductions"])
def test_grouped_pages_draw_groups_in_both_languages(page, by):
    for lang in ("zh", "en"):
        at = open_page(page, by=by, **({"lang": "English"} if lang == "en" else {}))
        charts_ = at.get("vega_lite_chart")
        assert charts_, (page, by, lang)
        for one in charts_:
            frames = [f for f in chart_frames(one) if "group_label" in f.columns]
            assert frames and all(len(f) for f in frames)
            assert all(f.bodies.min() >= 1 and f.measures.min() >= 1 for f in frames)
            # only groups of kinds of body can be clicked (to filter to that kind)
            assert list(one.proto.selection_mode) == ([charts.SELECTION] if by == "kind" else [])
        if lang == "en":
            for frame in all_frames(at):
                for column in [c for c in frame.columns if c.endswith("_label")]:
                    chinese = [v for v in frame[column] if isinstance(v, str) and CJK.search(v)]
                    assert not chinese, f"{page} {column}: {chinese[:3]}"
        hint = "region_not_clickable" if by == "region" else "click_kind_hint"
        assert any(c.value == t(hint, lang) for c in at.caption), [c.value for c in at.caption]


def test_click_on_a_kind_bar_filters_to_that_kind():
    at = open_page("closure", by="kind")
    click_chart(at, f"closure_kind_{INSPECTION_KEY}_item", [{"group_id": "central_department"}])
    assert at.session_state["kind"] == ["中央部门"]
    assert at.multiselect(key="kind").value == ["中央部门"]
    assert at.radio(key="by").value == "kind"
    assert set(group_bars(at).group_label) == {"中央部门"}


def test_grouped_downloads_hold_the_grouped_rows(media):
    at = open_page("cases", by="kind")
    files = {key: media.file(button) for key, button in download_buttons(at).items()}
    assert {key: name for key, (name, _) in files.items()} == {
        "cases_csv": "查处案件_按单位类别_全部.csv",
        "cases_xlsx": "查处案件_按单位类别_全部.xlsx",
        "cases_pdf": "查处案件_按单位类别_全部.pdf",
        "cases_png": "查处案件_按单位类别_全部.png",
        "cases_svg": "查处案件_按单位类别_全部.svg",
    }
    data = files["cases_csv"][1]
    rows = list(csv.DictReader(io.StringIO(data[len(BOM) :].decode("utf-8"))))

    def summed(group: str) -> dict:
        return {(r["单位类别"], r["量词"]): r["数值"] for r in rows if r["可比指标组"] == group}

    # 天津 166起 + 80起 + 91件 + 125件 (one counter family); 水利部's 2018件 are not among them
    assert summed("查处问题（起/件）") == {("省区市", "件、起"): "462"}
    assert summed("行政执法立案查处（件）") == {("中央部门", "件"): "2018"}
    # 天津 216 + 108 + 101 people; 农发行's 92 staff punished beside them (人 = 名), never added
    assert summed("问责/处理人数") == {("省区市", "人"): "425", ("金融机构", "名"): "92"}
    assert {"单位数", "事项数", "含约数"} <= set(rows[0])
    book = openpyxl.load_workbook(io.BytesIO(files["cases_xlsx"][1]))
    sheet = book["数据"]
    assert sheet.max_row == len(rows) + 1
    definitions = {r[0].value: r[1].value for r in book["字段说明"].iter_rows(min_row=2)}
    assert definitions["单位数"] and definitions["事项数"]
    svg = files["cases_svg"][1].decode("utf-8")
    assert "省区市" in svg and "2018" in svg


# --- seed traps: what may be compared (data/README.md, "The indicator catalogue") ----------------


def catalogue(table: str) -> dict[str, dict[str, str]]:
    """A table of data/ by its first column, read as written."""
    with (ROOT / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as f:
        return {row[next(iter(row))]: row for row in csv.DictReader(f)}


# The kind of figure in a chart title, by hand ("群众诉求办结 · 完成率").
METRIC_WORDS = {
    "closure_rate": ("完成率", "closure rate"),
    "count": ("数量", "count"),
    "change_pct": ("变化（%）", "change (%)"),
}


def group_title(group_key: str, lang: str) -> str:
    """The title a group's chart must carry: its name in data/comparable_groups.csv and the kind."""
    group, kind = group_key.split("/")[:2]
    name = catalogue("comparable_groups")[group]["name_en" if lang == "en" else "name_zh"]
    return f"{name} · {METRIC_WORDS[kind][lang == 'en']}"


@pytest.fixture(scope="module")
def row_groups(dashboard_db) -> dict[str, dict[str, set[str]]]:
    """Per language, every row label of every ranked view and the group keys of the rows it labels."""
    con = Store(dashboard_db).connect()
    try:
        views = [
            (queries.closures, labels.closures),
            (queries.cases, labels.values),
            (queries.value_figures, labels.values),
            (queries.changes, labels.changes),
        ]
        found: dict[str, dict[str, set[str]]] = {"zh": {}, "en": {}}
        for lang, rows in found.items():
            for query, label in views:
                frame = label(query(con), lang)
                for row_label, key in zip(frame.row_label, frame.group_key, strict=True):
                    rows.setdefault(row_label, set()).add(key)
    finally:
        con.close()
    return found


@pytest.mark.parametrize("by", ["body", "kind"])
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", CHART_PAGES)
def test_every_chart_holds_one_comparable_group(page, lang, by, row_groups):
    """No chart ranks, sums or colours figures of two comparable groups against each other: the rows
    of each chart map back to one group key, named by the chart's key and title."""
    query = {"lang": "English"} if lang == "en" else {}
    at = open_page(page, **query, **({} if by == "body" else {"by": by}))
    drawn = at.get("vega_lite_chart")
    assert drawn or (page == "reductions" and by == "body")
    known = set().union(*row_groups[lang].values())
    for one in drawn:
        title, _ = chart_title(one)
        key = one.proto.id.rsplit("-", 1)[1]
        rows = {r for f in chart_frames(one) if "row_label" in f.columns for r in f.row_label}
        if rows:  # bars of bodies
            keys = set().union(*(row_groups[lang][r] for r in rows))
            assert len(keys) == 1, (title, keys)
            (group_key,) = keys
            assert key.endswith("_" + group_key), (key, group_key)
            assert len(chart_bodies_of(one)) >= 2, title  # never a one-body "ranking"
        else:  # bars of groups of bodies (by kind): the key names the group (and counter family)
            rest = key.removeprefix(f"{page}_{by}_")
            group_key = rest.rsplit("_", 1)[0] if page == "closure" else rest
            assert rest != key and group_key in known, key
            names = {
                n for f in chart_frames(one) if "comparable_label" in f.columns for n in f.comparable_label
            }
            assert len(names) <= 1, names
        expected = group_title(group_key, lang)
        assert title == expected or (title.startswith(expected) and by == "kind" and page == "closure"), key


@pytest.mark.parametrize(
    ("lang", "query", "rows", "caveat"),
    [
        (
            "zh",
            {"body": ["天津", "内蒙古"], "theme": "为民服务解难题"},
            {TIANJIN_ROW: "71.4% · 621/870", OPINIONS_ROW: "61.4% · 7461/12156"},
            "caveat_zh",
        ),
        (
            "en",
            {
                "lang": "English",
                "body": ["Tianjin", "Inner Mongolia"],
                "theme": "Serving the people and solving their problems",
            },
            {TIANJIN_ROW_EN: "71.4% · 621 of 870", OPINIONS_ROW_EN: "61.4% · 7,461 of 12,156"},
            "caveat_en",
        ),
    ],
)
def test_public_requests_and_suggestions_side_by_side_only_with_the_caveat(lang, query, rows, caveat):
    """天津 resolved 621 of 870 problems; 内蒙古 acted on 7461 of 12156 suggestions (件次): one chart,
    内蒙古's bar marked ※ and the catalogue's caveat under the title."""
    at = open_page("closure", **query)
    (one,) = at.get("vega_lite_chart")
    assert one.proto.id.endswith(f"-closure_{PUBLIC_KEY}")
    assert closure_rows(at).closure_label.to_dict() == rows
    assert list(rows)[1].endswith(" ※")
    spec = json.loads(one.proto.spec)
    assert spec["layer"][0]["encoding"]["y"]["sort"] == list(rows)  # 71.4% ranked above 61.4%
    title, subtitle = chart_title(one)
    assert title == group_title(PUBLIC_KEY, lang)
    joined = (" " if lang == "en" else "").join(subtitle)
    definition = catalogue("comparable_groups")["public_requests_closure"][
        caveat.replace("caveat", "definition")
    ]
    assert definition in joined
    assert catalogue("indicators")["suggestions_acted_on"][caveat] in joined
    assert joined.count("※") == 1  # 天津's own measure carries no caveat


def shown_cells(element) -> list[str]:
    """Every cell of a table as the browser writes it: a missing value as the table's placeholder,
    which Streamlit shows as "None" unless set."""
    placeholder = element.proto.placeholder if element.proto.HasField("placeholder") else "None"
    frame = element.value
    return [
        placeholder if not isinstance(v, (list, tuple)) and pd.isna(v) else str(v)
        for column in frame.columns
        for v in frame[column].tolist()
    ]


@pytest.mark.parametrize("by", ["body", "kind"])
@pytest.mark.parametrize("page", CHART_PAGES)
def test_chinese_tables_show_no_none_true_false_or_nan(page, by):
    at = open_page(page, **({} if by == "body" else {"by": by}))
    assert at.dataframe
    for element in at.dataframe:
        shown = shown_cells(element)
        leaked = sorted({c for c in shown if c in {"None", "True", "False", "nan", "NaN", "<NA>"}})
        assert not leaked, (page, by, list(element.value.columns), leaked)


def test_reductions_list_every_change_with_the_sign_of_the_download(media):
    """Seven changes of seven groups, none ranked: each listed with its body and quote, its sign as
    in the CSV download (天津's meetings -77.6 there, -77.6% here)."""
    at = open_page("reductions")
    assert not at.get("vega_lite_chart")
    singles = singles_table(at)
    shown = {(b, m): v for b, m, v in zip(singles["单位"], singles["事项"], singles["数值"], strict=True)}
    assert shown == {
        ("天津", "市级层面召开的会议较一季度减少"): "-77.6%",
        ("天津", "市级层面印发的文件较一季度减少"): "-31.8%",
        ("上海", "市级部门督查检查考核归并"): "-72.6%",  # 277 → 76
        ("水利部", "因灾死亡失踪人数较近5年同期均值变化"): "-24%",
        ("农发行", "产业扶贫贷款上半年增长"): "+64%",
        ("华能", "低碳清洁能源装机比重同比变化"): "+2个百分点",
        ("国家卫健委", "贫困人口大病救治病种增加到"): "→25种",
    }
    assert all(CJK.search(q) for q in singles["原文依据"])

    _, data = media.file(download_buttons(at)["reductions_csv"])
    rows = list(csv.DictReader(io.StringIO(data[len(BOM) :].decode("utf-8"))))
    assert len(rows) == 7
    reported = {(r["单位"], r["事项"]): r["变化（%）"] or r["变化（个百分点）"] for r in rows}
    assert reported[("天津", "市级层面召开的会议较一季度减少")] == "-77.6"
    assert reported[("华能", "低碳清洁能源装机比重同比变化")] == "2"
    assert reported[("国家卫健委", "贫困人口大病救治病种增加到")] == ""  # a level, not a change
    for row, value in reported.items():
        if value:
            assert shown[row].startswith("-") == value.startswith("-"), (row, value, shown[row])
    table = page_table(at)
    meetings = table[table["事项"] == "市级层面召开的会议较一季度减少"]
    assert meetings["变化（%）"].tolist() == [-77.6]
