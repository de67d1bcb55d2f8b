"""报告提取 page (AppTest): editors only, proposals highlighted, checked, imported as a batch."""

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from metrics import batches
from metrics.store import Store

PASSWORD = "pw-提取"
REPORT = "关于整改进展的通报\n\n　　天津市委\n　　目前群众反映的900件具体问题，已办结700件。\n"


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    monkeypatch.setenv("METRICS_DB", str(tmp_path / "m.duckdb"))
    monkeypatch.setenv("METRICS_IMPORTS_DIR", str(tmp_path / "imports"))
    Store(tmp_path / "m.duckdb").build()
    st.cache_data.clear()
    st.cache_resource.clear()
    yield tmp_path
    st.cache_data.clear()
    st.cache_resource.clear()


def open_extractor() -> AppTest:
    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    at.run()
    return at.switch_page("metrics/ui/pages/extractor.py").run()


def signed_in() -> AppTest:
    at = open_extractor()
    at.text_input(key="editor_password").input(PASSWORD).run()
    assert at.session_state["editor"] is True
    return at


def test_without_a_password_nothing_that_writes_is_offered(app_env, monkeypatch):
    monkeypatch.delenv("METRICS_EDITOR_PASSWORD", raising=False)
    at = AppTest.from_file("../dashboard.py", default_timeout=60).run()
    assert not at.exception
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not in the navigation
        at.switch_page("metrics/ui/pages/extractor.py")


def test_a_known_body_s_figures_land_on_its_measure_with_the_report_kept(app_env, monkeypatch):
    monkeypatch.setenv("METRICS_EDITOR_PASSWORD", PASSWORD)
    at = signed_in()
    at.text_area(key="report_text").input(REPORT).run()
    assert not at.exception
    # The text states no date: nothing is proposed until one is given.
    assert any("报告截至日期" in w.value for w in at.warning)
    assert at.text_input(key="source_title").value == "关于整改进展的通报"  # from the first line
    at.text_input(key="report_as_of").input("2019-11").run()
    assert any("可导入的数字：2 个" in c.value for c in at.caption), [c.value for c in at.caption]
    html = at.get("html")[0].proto.body
    assert "<mark>900件</mark>" in html and "<mark>700件</mark>" in html
    at.button(key="extract_check").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any("2 个数字全部通过检查" in s.value for s in at.success)
    assert batches.list_batches(app_env / "imports") == []  # a check writes nothing
    at.button(key="confirm_import").click().run()
    assert not at.exception
    (batch,) = batches.list_batches(app_env / "imports")
    assert batch.rows == 2
    assert (app_env / "imports" / batch.batch_id / "report.txt").read_text(encoding="utf-8") == REPORT
    assert any("已导入 2 个数字" in s.value for s in at.success)  # the confirmation is shown
    assert at.text_area(key="report_text").value == ""  # ready for the next report
    with Store(app_env / "m.duckdb").connect() as con:
        closed = con.execute(
            "SELECT closed, total, as_of FROM closures WHERE measure_id = 'tianjin_public_requests_closure'"
        ).fetchall()
    assert (700, 900, "2019-11") in closed  # the existing measure, a later report


NEW_BODY_REPORT = (
    "青川市委整改情况通报\n\n截至2024年2月，青川市委排查问题120个，已整改100个；处理违纪干部15人。\n"
)


def test_a_new_body_is_proposed_reviewed_imported_and_linked(app_env, monkeypatch):
    monkeypatch.setenv("METRICS_EDITOR_PASSWORD", PASSWORD)
    at = signed_in()
    at.text_area(key="report_text").input(NEW_BODY_REPORT).run()
    assert not at.exception
    assert at.text_input(key="report_as_of").value == "2024-02"
    assert at.text_input(key="report_body").value == "青川市委"
    at.button(key="extract_check").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any("单位" in i.value for i in at.info)  # what the import adds is listed
    at.button(key="confirm_import").click().run()
    assert not at.exception
    (batch,) = batches.list_batches(app_env / "imports")
    assert batch.rows == 3
    links = [link.proto.label for link in at.get("page_link")]
    assert any("青川市委" in label for label in links), links
    with Store(app_env / "m.duckdb").connect() as con:
        kind = con.execute("SELECT body_kind FROM bodies WHERE name_zh = '青川市委'").fetchone()
    assert kind == ("local",)
