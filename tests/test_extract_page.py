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


def test_proposals_are_highlighted_checked_and_imported(app_env, monkeypatch):
    monkeypatch.setenv("METRICS_EDITOR_PASSWORD", PASSWORD)
    at = signed_in()
    at.text_area(key="report_text").input(REPORT).run()
    assert not at.exception
    assert any("2 个" in c.value for c in at.caption), [c.value for c in at.caption]
    html = at.get("html")[0].proto.body
    assert "<mark>900件</mark>" in html and "<mark>700件</mark>" in html
    assert at.get("arrow_data_frame") or at.dataframe  # the review table
    # Without source details the check lists what to fix and writes nothing.
    at.button(key="extract_check").click().run()
    assert any("问题" in e.value for e in at.error)
    assert batches.list_batches(app_env / "imports") == []
    for key, value in [
        ("source_publisher", "天津市委"),
        ("source_published", "2019-11"),
        ("source_reference", "通报"),
    ]:
        at.text_input(key=key).input(value).run()
    at.button(key="extract_check").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any("2 个数字全部通过检查" in s.value for s in at.success)
    at.button(key="confirm_import").click().run()
    assert not at.exception
    (batch,) = batches.list_batches(app_env / "imports")
    assert batch.rows == 2
    with Store(app_env / "m.duckdb").connect() as con:
        closed = con.execute(
            "SELECT closed, total FROM closures WHERE measure_id = 'tianjin_public_requests_closure'"
        ).fetchone()
    assert closed == (700, 900)
