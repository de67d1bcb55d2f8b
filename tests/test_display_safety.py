"""What viewers see: text from the data is shown as written, never as Markdown or HTML
(metrics.labels.plain and the profile page), and an error shows no traceback.

The data is the curated data plus one body whose names, theme, measure label and quote are
Markdown and HTML, as an imported report could bring them. Expected texts are written by hand.
"""

from __future__ import annotations

import csv
import re
import shutil
import tomllib
from pathlib import Path

import pytest
import streamlit as st
from hypothesis import given
from hypothesis import strategies as hs
from streamlit import config
from streamlit.testing.v1 import AppTest

from metrics import paths
from metrics.labels import plain
from metrics.store import Store

ROOT = Path(__file__).resolve().parent.parent
WJ = "\u2060"  # WORD JOINER: invisible, keeps GFM from making a link of a bare URL

BODY_ZH, BODY_EN = "**粗体委**<b>x</b>", "**Bold** committee <b>x</b>"
THEME_ZH = "# 标题 [链接](http://example.invalid/t)"
LABEL_ZH = "[点我](http://example.invalid/m) _斜_"
QUOTE = "引文 ![](http://example.invalid/x.png) **粗体** <img src=x onerror=alert(1)> 5件"
ROWS = {
    "sources": {
        "source_id": "md_source",
        "title": "![](http://example.invalid/title.png) 通报",
        "publisher": "**编者**",
        "published": "2020",
        "reference": "<a href=x>r</a>",
    },
    "bodies": {
        "body_id": "md_body",
        "name_zh": BODY_ZH,
        "short_zh": "**粗体**",
        "name_en": BODY_EN,
        "short_en": "**Bold**",
        "body_kind": "province",
    },
    "themes": {
        "theme_id": "md_theme",
        "name_zh": THEME_ZH,
        "name_en": "# Heading [link](http://example.invalid/t)",
    },
    "measures": {
        "measure_id": "md_measure",
        "body_id": "md_body",
        "theme_id": "md_theme",
        "indicator_id": "cases",
        "kind": "count",
        "label_zh": LABEL_ZH,
        "label_en": "[click](http://example.invalid/m) _it_",
        "direction": "none",
    },
    "figures": {
        "figure_id": "f901",
        "measure_id": "md_measure",
        "role": "value",
        "value": "5",
        "counter": "件",
        "qualifier": "exact",
        "as_written": "5件",
        "as_of": "2020",
        "period": "$x^2$",
        "source_id": "md_source",
        "evidence": QUOTE,
    },
}

# What the page writes, escaped by hand: every ASCII punctuation mark behind a backslash.
BODY_ZH_SHOWN = r"\*\*粗体委\*\*\<b\>x\<\/b\>"
THEME_ZH_SHOWN = r"\# 标题 \[链接\]\(http\:" + WJ + r"\/\/example\.invalid\/t\)"
LABEL_ZH_SHOWN = r"\[点我\]\(http\:" + WJ + r"\/\/example\.invalid\/m\) \_斜\_"
QUOTE_SHOWN = (
    r"引文 \!\[\]\(http\:" + WJ + r"\/\/example\.invalid\/x\.png\) \*\*粗体\*\* "
    r"\<img src\=x onerror\=alert\(1\)\> 5件"
)
# Markdown or HTML from the data, unescaped.
RAW = re.compile(r"(?<!\\)(?:!\[|\]\(|<img|<b>|<a |\*\*粗体|\*\*Bold|_斜_|\$x)|https?://|www\.")


@pytest.fixture(scope="module")
def markdown_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("markdown_data")
    data = folder / "data"
    data.mkdir()
    for path in (ROOT / "data").glob("*.csv"):
        shutil.copyfile(path, data / path.name)
    for table, record in ROWS.items():
        with (data / f"{table}.csv").open(encoding="utf-8", newline="") as f:
            header = next(csv.reader(f))
        with (data / f"{table}.csv").open("a", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerow([record.get(name, "") for name in header])
    db = folder / "db" / "metrics.duckdb"
    db.parent.mkdir()
    Store(db, data_dir=data, sources_dir=paths.sources_dir(), imports_dir=folder / "no_imports").build()
    return db


@pytest.fixture
def app_env(markdown_db, monkeypatch):
    monkeypatch.setenv("METRICS_DB", str(markdown_db))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def open_profile(**query) -> AppTest:
    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("metrics/ui/pages/profile.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def rendered(at: AppTest) -> list[str]:
    """Every text of the page that Streamlit renders as Markdown."""
    texts = [e.value for kind in ("title", "subheader", "caption", "markdown") for e in at.get(kind)]
    texts += [e.value for kind in ("error", "warning", "info", "success") for e in at.get(kind)]
    return texts + [e.label for e in at.expander]


# --- the profile page ------------------------------------------------------------------------------


def test_profile_shows_markdown_from_the_data_as_text(app_env):
    at = open_profile(profile=BODY_ZH)
    assert [s.value for s in at.subheader][0] == BODY_ZH_SHOWN
    assert [e.label for e in at.expander] == [THEME_ZH_SHOWN + "（1）"]
    [item] = [m.value for m in at.markdown if "引文" in m.value]
    assert item == f"**{LABEL_ZH_SHOWN}**: **5件** · 2020 · \\$x\\^2\\$\n\n> {QUOTE_SHOWN}"
    assert not [text for text in rendered(at) if RAW.search(text)]


def test_profile_in_english_shows_markdown_from_the_data_as_text(app_env):
    at = open_profile(lang="English", profile=BODY_EN)
    assert [s.value for s in at.subheader][0] == r"\*\*Bold\*\* committee \<b\>x\<\/b\>"
    [item] = [m.value for m in at.markdown if "引文" in m.value]
    assert item.startswith(r"**\[click\]\(http\:" + WJ + r"\/\/example\.invalid\/m\) \_it\_**: ")
    assert item.endswith(f"\n\n> {QUOTE_SHOWN}")
    assert not [text for text in rendered(at) if RAW.search(text)]


# --- labels.plain ------------------------------------------------------------------------------------

# CommonMark: a backslash before ASCII punctuation stands for that character.
ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
ASCII_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")


def shown(markdown: str) -> str:
    """The text a Markdown renderer shows for ``plain``'s output (escapes and joiners removed)."""
    return ESCAPE.sub(r"\1", markdown).replace(WJ, "")


def test_plain_by_hand():
    assert plain("天津市委") == "天津市委"
    assert plain("**粗体**") == r"\*\*粗体\*\*"
    assert plain("<script>alert(1)</script>") == r"\<script\>alert\(1\)\<\/script\>"
    assert (
        plain(":red[红] :material/home: $x$ `c` &lt;") == r"\:red\[红\] \:material\/home\: \$x\$ \`c\` \&lt\;"
    )
    assert (
        plain("见 www.example.invalid 或 a@b.invalid")
        == "见 www" + WJ + r"\.example\.invalid 或 a\@" + WJ + r"b\.invalid"
    )
    assert plain("HTTPS://x") == "HTTPS\\:" + WJ + r"\/\/x"
    assert plain("# 标题\n\n- 一\r\n1. 二  ") == r"\# 标题 \- 一 1\. 二"
    assert plain(None) == "" and plain(float("nan")) == ""
    assert plain(-23.5) == r"\-23\.5"


@given(hs.text())
def test_plain_shows_the_text_as_written_and_escapes_all_punctuation(text):
    out = plain(text)
    assert shown(out) == re.sub(r"\s*[\n\r\v\f\x85\u2028\u2029]\s*", " ", text).strip().replace(WJ, "")
    assert not re.search(r"[\n\r]", out)
    # Every ASCII punctuation mark in the output is either escaped or an escaping backslash.
    assert not ASCII_PUNCTUATION.search(ESCAPE.sub("", out))


# --- errors --------------------------------------------------------------------------------------------


def failing_app():
    import streamlit as st

    st.write("before")
    raise ValueError("secret detail: /srv/data/metrics.duckdb")


def test_viewers_see_no_error_details_but_tests_see_the_error():
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["client"]["showErrorDetails"] == "none"
    assert settings["client"]["toolbarMode"] == "viewer"
    assert config.ShowErrorDetailsConfigOptions("none")  # a value this Streamlit knows
    before = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", settings["client"]["showErrorDetails"])
    try:
        at = AppTest.from_function(failing_app).run()
    finally:
        config.set_option("client.showErrorDetails", before)
    [error] = at.exception  # AppTest still reports the exception
    assert "secret detail" not in error.value and "metrics.duckdb" not in error.value
    assert error.stack_trace == [] and error.proto.type == ""
    assert "redacted" in error.value
