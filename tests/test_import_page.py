"""The 数据导入 page (metrics.ui.importing.importer) through Streamlit's AppTest.

Each test has its own database (built once, copied) and imports folder in tmp, given to the app
through METRICS_DB / METRICS_IMPORTS_DIR. Expected texts are written by hand.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from metrics import batches, paths, tablefile
from metrics.store import Store

ROOT = Path(__file__).resolve().parent.parent
PAGE = "metrics/ui/pages/importer.py"
PASSWORD = "津门-2019"
CURATED_FIGURES = 98
TIANJIN_CSV = (
    "body,measure_id,role,value,counter,as_written,as_of,evidence,source_title,source_publisher,"
    "source_published,source_reference\n"
    "天津,tianjin_public_requests_closure,total,870,件,870件,2019-10,群众反映的870件具体问题，已办结780件,"
    "天津市委主题教育办工作通报（第12期）,天津市委主题教育办,2019-10,津教办通报〔2019〕12号\n"
    "天津,tianjin_public_requests_closure,closed,780,件,780件,2019-10,群众反映的870件具体问题，已办结780件,"
    "天津市委主题教育办工作通报（第12期）,天津市委主题教育办,2019-10,津教办通报〔2019〕12号\n"
).encode()
# 天津市 for 天津 in row 2, 871 for 870件 in row 3
BAD_CSV = (
    TIANJIN_CSV.decode()
    .replace("天津,tianjin", "天津市,tianjin", 1)
    .replace("closed,780,件", "closed,781,件", 1)
    .encode("utf-8")
)


@pytest.fixture(scope="module")
def pristine_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("page-db") / "metrics.duckdb"
    Store(db, data_dir=ROOT / "data", sources_dir=paths.sources_dir(), imports_dir=db.parent / "none").build()
    return db


class Shop:
    def __init__(self, db: Path, imports: Path):
        self.db, self.imports = db, imports

    def count(self) -> int:
        """Figures in the file now at ``db``, read through a hard link: DuckDB hands out its cached
        instance of an earlier file for the same path while the app still holds a connection."""
        link = self.db.parent.parent / "probe.duckdb"
        os.link(self.db.resolve(), link)
        try:
            with duckdb.connect(str(link), read_only=True) as con:
                return con.execute("SELECT count(*) FROM figures").fetchone()[0]
        finally:
            link.unlink()

    def batches(self) -> list[batches.Batch]:
        return batches.list_batches(self.imports)

    def snapshot(self) -> dict[str, str]:
        """SHA-256 of the database the path leads to and of every visible file of the store.

        Hidden entries (DuckDB builds in progress, batches being written) are not part of it."""
        found = {"(database)": hashlib.sha256(self.db.read_bytes()).hexdigest() if self.db.exists() else ""}
        for folder in (self.db.parent, self.imports):
            for path in sorted(folder.rglob("*")):
                relative = path.relative_to(folder.parent)
                if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                    found[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
        return found


@pytest.fixture(autouse=True)
def shop(tmp_path, pristine_db, monkeypatch) -> Shop:
    """A private store for the app; no editor password unless a test sets one; empty caches."""
    db = tmp_path / "db" / "metrics.duckdb"
    db.parent.mkdir()
    shutil.copyfile(pristine_db, db)
    imports = tmp_path / "imports"
    imports.mkdir()
    monkeypatch.setenv("METRICS_DB", str(db))
    monkeypatch.setenv("METRICS_IMPORTS_DIR", str(imports))
    monkeypatch.delenv("METRICS_EDITOR_PASSWORD", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield Shop(db, imports)
    st.cache_data.clear()
    st.cache_resource.clear()


def open_importer(english: bool = False) -> AppTest:
    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    if english:
        at.query_params["lang"] = "English"
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def editor(monkeypatch) -> AppTest:
    """The page with the password set and entered."""
    monkeypatch.setenv("METRICS_EDITOR_PASSWORD", PASSWORD)
    at = open_importer()
    at.text_input(key="editor_password").input(PASSWORD).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def upload(at: AppTest, data: bytes, name: str = "tianjin.csv") -> AppTest:
    at.get("file_uploader")[0].set_value((name, data, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def submit_button(at: AppTest, label: str):
    [button] = [b for b in at.button if b.label == label]
    return button


# --- who may import -------------------------------------------------------------------------------


def test_not_in_the_navigation_without_password():
    """Viewers see a viewer's app: without METRICS_EDITOR_PASSWORD there is no 数据导入 page (and
    so no page telling how the dashboard is started)."""
    at = AppTest.from_file("../dashboard.py", default_timeout=60).run()
    assert not at.exception
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)


def test_wrong_password_then_right_password(monkeypatch):
    monkeypatch.setenv("METRICS_EDITOR_PASSWORD", PASSWORD)
    at = open_importer()
    assert not at.info
    assert [w.label for w in at.text_input] == ["编辑口令"]
    assert not at.get("file_uploader")
    at.text_input(key="editor_password").input("天津").run()
    assert texts(at.error) == ["口令不正确。"]
    assert not at.get("file_uploader")
    at.text_input(key="editor_password").input(PASSWORD).run()
    assert not at.error
    assert [u.label for u in at.get("file_uploader")] == ["选择要导入的文件"]
    assert "已导入的批次" in texts(at.subheader)
    assert "尚无导入的批次。" in texts(at.caption)


# --- checking and importing -----------------------------------------------------------------------


def test_bad_file_lists_problems_and_writes_nothing(monkeypatch, shop):
    at = editor(monkeypatch)
    before = shop.snapshot()
    upload(at, BAD_CSV, "bad.csv")
    assert texts(at.error) == ["发现 2 个问题，未写入任何内容。请按下表修改后重新上传："]
    problems = at.dataframe[0].value
    assert list(problems.columns) == ["文件", "行", "字段", "原因"]
    assert [tuple(r) for r in problems.itertuples(index=False)] == [
        (
            "bad.csv",
            2,
            "body",
            "unknown body '天津市' (did you mean '天津市委'?); if it is a new body, fill body_kind "
            "(and optionally body_name_zh, body_name_en, body_short_en, body_region) in this row",
        ),
        ("bad.csv", 3, "value", "781 does not match '780件' as written (780)"),
    ]
    assert not [b for b in at.button if b.label == "确认导入"]
    assert shop.snapshot() == before
    assert shop.batches() == []


def test_unreadable_file_says_why(monkeypatch, shop):
    at = editor(monkeypatch)
    before = shop.snapshot()
    upload(at, TIANJIN_CSV.decode().encode("utf-16"), "utf16.csv")
    [error] = texts(at.error)
    shown = re.sub(r"\\(.)", r"\1", error)  # as the reader sees it: Markdown escapes resolved
    assert shown.startswith("无法读取该文件：")
    assert "UTF-8" in shown and "GBK/GB18030" in shown and "UTF-16" in shown
    assert shop.snapshot() == before


def test_good_file_confirm_import_duplicate_and_rollback(monkeypatch, shop):
    at = editor(monkeypatch)
    before = shop.snapshot()
    upload(at, TIANJIN_CSV)
    assert texts(at.success) == ["2 个数字全部通过检查。确认后导入："]
    preview = at.dataframe[0].value
    assert list(preview.value) == ["870", "780"]
    assert shop.snapshot() == before  # nothing written before the confirmation

    at.button(key="confirm_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    [batch] = shop.batches()
    assert batch.file_name == "tianjin.csv"
    assert batch.sha256 == hashlib.sha256(TIANJIN_CSV).hexdigest()
    assert texts(at.success) == [f"已导入 2 个数字，批次 {batch.batch_id}。看板已更新。"]
    listing = at.dataframe[-1].value
    assert list(listing.columns) == ["批次", "文件", "SHA-256", "导入时间", "条数", "内容"]
    assert [(r[0], r[1], r[4], r[5]) for r in listing.itertuples(index=False)] == [
        (batch.batch_id, "tianjin.csv", 2, "个数字")
    ]
    assert shop.count() == CURATED_FIGURES + 2

    # the same file again
    imported = shop.snapshot()
    upload(at, TIANJIN_CSV, "tianjin-again.csv")
    assert texts(at.info) == [f"该文件已于批次 {batch.batch_id} 导入，无需重复导入。"]
    assert not [b for b in at.button if b.label == "确认导入"]
    assert shop.snapshot() == imported

    # the rollback form does nothing until the box is ticked
    at.selectbox(key="rollback_batch").set_value(batch.batch_id)
    submit_button(at, "撤销批次").click().run()
    assert shop.batches() == [batch]
    assert shop.snapshot() == imported

    at.selectbox(key="rollback_batch").set_value(batch.batch_id)
    at.checkbox(key="rollback_sure").check()
    submit_button(at, "撤销批次").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert f"已撤销批次 {batch.batch_id}（2 个数字）。" in texts(at.success)
    assert shop.batches() == []
    assert shop.count() == CURATED_FIGURES
    assert "尚无导入的批次。" in texts(at.caption)


def test_file_over_the_limit_shows_the_size(monkeypatch, shop):
    monkeypatch.setattr(tablefile, "MAX_BYTES", 2**20)
    at = editor(monkeypatch)
    before = shop.snapshot()
    big = TIANJIN_CSV + b"#" * (3 * 2**19 - len(TIANJIN_CSV))  # 1.5 MB
    upload(at, big, "big.csv")
    assert texts(at.error) == ["文件为 1.5 MB，超过上限 1 MB。请拆分后分批导入。"]
    assert shop.snapshot() == before


# --- after an import, and when things go wrong ------------------------------------------------------


def test_other_pages_show_the_imported_figures(monkeypatch, shop):
    """The app still holds a connection to the old database when the import swaps in the new one;
    the next rerun must read the new one (DuckDB shares one instance per path in a process)."""
    at = editor(monkeypatch)
    at.switch_page("metrics/ui/pages/figures.py").run()
    assert "共 98 个数字" in texts(at.caption)
    at.switch_page(PAGE).run()
    upload(at, TIANJIN_CSV)
    at.button(key="confirm_import").click().run()
    assert shop.count() == CURATED_FIGURES + 2
    at.switch_page("metrics/ui/pages/figures.py").run()
    assert "共 100 个数字" in texts(at.caption)


def test_refused_rollback_is_shown_as_an_error(monkeypatch, shop):
    at = editor(monkeypatch)
    upload(at, TIANJIN_CSV, "a.csv")
    at.button(key="confirm_import").click().run()
    later = TIANJIN_CSV.decode().replace("2019-10,群众", "2019-12,群众").encode()
    upload(at, later, "b.csv")
    at.button(key="confirm_import").click().run()
    a, b = sorted(shop.batches(), key=lambda x: x.file_name)
    before = shop.snapshot()
    at.selectbox(key="rollback_batch").set_value(a.batch_id)
    at.checkbox(key="rollback_sure").check()
    submit_button(at, "撤销批次").click().run()
    assert shop.snapshot() == before
    assert not at.exception, [e.value[:300] for e in at.exception]
    assert at.error


def test_preview_of_a_good_file_serialises_cleanly(monkeypatch, caplog):
    """The preview table goes to the browser as Arrow without Streamlit's fallback (and its logged
    ArrowTypeError traceback)."""
    at = editor(monkeypatch)
    caplog.clear()
    upload(at, TIANJIN_CSV)
    assert texts(at.success) == ["2 个数字全部通过检查。确认后导入："]
    assert not [r for r in caplog.records if "Arrow table was unsuccessful" in r.getMessage()]


def test_unwritable_store_is_shown_as_an_error(monkeypatch, shop, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a regular file where the imports folder should be")
    monkeypatch.setenv("METRICS_IMPORTS_DIR", str(blocker / "imports"))
    at = editor(monkeypatch)
    before = shop.snapshot()
    upload(at, TIANJIN_CSV)
    at.button(key="confirm_import").click().run()
    assert shop.snapshot() == before
    assert not at.exception, [e.value for e in at.exception]
    assert at.error


# A file adding a city committee, a theme and an indicator in a comparable group of its own.
NEW_CSV = (
    "body,body_kind,body_name_zh,theme,theme_name_en,indicator,indicator_family,indicator_direction,"
    "indicator_definition_zh,measure_kind,label_zh,label_en,role,value,counter,as_written,as_of,evidence,"
    "source_title,source_publisher,source_published,source_reference\n"
    "杭州,local,中共杭州市委,安全生产,Work safety,安全隐患整改,problems,up,排查发现的安全生产隐患（项）,"
    "closure,安全生产隐患整改,Work-safety hazards fixed,total,500,项,500项,2019-11,排查安全生产隐患500项，已整改450项,"
    "杭州市委整改通报,杭州市委,2019-11,杭教组办〔2019〕3号\n"
).encode()


def test_new_bodies_themes_and_indicators_are_shown_before_and_named_after_the_import(monkeypatch, shop):
    at = editor(monkeypatch)
    before = shop.snapshot()
    upload(at, NEW_CSV, "hangzhou.csv")
    assert texts(at.success) == ["1 个数字全部通过检查。确认后导入："]
    assert "此文件将新增以下单位、主题、可比组和指标（导入后即可使用；撤销该批次时一并删除）：" in texts(
        at.info
    )
    added = at.dataframe[1].value
    assert list(added.columns) == [
        "新增项",
        "中文名称",
        "英文名称",
        "编号",
        "单位类别 / 指标大类、可比组",
        "行",
    ]
    assert [tuple(r) for r in added[["新增项", "中文名称", "英文名称", "行"]].itertuples(index=False)] == [
        ("单位", "中共杭州市委", "", 2),
        ("主题", "安全生产", "Work safety", 2),
        ("可比组", "安全隐患整改", "", 2),
        ("指标", "安全隐患整改", "", 2),
    ]
    assert added["单位类别 / 指标大类、可比组"][0] == "local"
    assert shop.snapshot() == before  # nothing written before the confirmation

    at.button(key="confirm_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    [batch] = shop.batches()
    assert texts(at.success) == [
        f"已导入 1 个数字，批次 {batch.batch_id}。看板已更新。"
        "已新增单位 中共杭州市委、主题 安全生产、可比组 安全隐患整改、指标 安全隐患整改。"
    ]
    assert {p.name for p in (shop.imports / batch.batch_id).iterdir()} >= {"bodies.csv", "themes.csv"}


TARGETS_CSV = (
    "indicator,body,comparison,target,counter,deadline,note\n"
    "inspection_feedback_closure,,≥,90,%,2020-12,\n"
    "inspection_feedback_closure,民政部,at_least,100,%,,部党组要求\n"
).encode()


def test_a_targets_file_says_targets_and_shows_them(monkeypatch, shop):
    at = editor(monkeypatch)
    upload(at, TARGETS_CSV, "targets.csv")
    assert texts(at.success) == ["2 个目标全部通过检查。确认后导入："]
    preview = at.dataframe[0].value
    assert list(preview.columns[:4]) == ["indicator_id", "body_id", "comparison", "value"]
    assert list(preview.body_id) == ["", "mca"] and list(preview.comparison) == ["at_least", "at_least"]
    at.button(key="confirm_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    [batch] = shop.batches()
    assert (batch.rows, batch.kind) == (2, "targets")
    assert texts(at.success) == [f"已导入 2 个目标，批次 {batch.batch_id}。看板已更新。"]
    listing = at.dataframe[-1].value
    assert list(listing.iloc[0, 4:]) == [2, "个目标"]
    assert shop.count() == CURATED_FIGURES  # no figure added
