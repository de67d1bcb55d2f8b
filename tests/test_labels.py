"""metrics/labels.py: display text in both languages, written out by hand here."""

from __future__ import annotations

import pandas as pd
import pytest

from metrics import labels


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("![](x.png) **粗体** <b>", r"\!\[\]\(x\.png\) \*\*粗体\*\* \<b\>"),
        ("第一行\n# 第二行", r"第一行 \# 第二行"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_plain_text_is_never_markup(text, shown):
    assert labels.plain(text) == shown


def test_plain_breaks_autolinks():
    shown = labels.plain("见 https://example.org")
    assert "https" in shown and "https://" not in shown  # a WORD JOINER after the scheme


def test_chinese_titles_wrap_at_24_characters_english_at_spaces():
    assert labels.wrap("一" * 50, "zh") == ["一" * 24, "一" * 24, "一" * 2]
    assert labels.wrap("alpha beta gamma", "en", width=11) == ["alpha beta", "gamma"]
    assert labels.wrap("", "zh") == []


@pytest.mark.parametrize(
    ("args", "zh", "en"),
    [
        ((3000, "个", "more_than", "3000多个"), "3000多个", "more than 3,000"),
        ((621, "件", "exact", "621件"), "621件", "621"),
        ((12156, "件", "about", "约12156件"), "约12156件", "about 12,156"),
    ],
)
def test_a_quantity_is_verbatim_in_chinese_and_formatted_in_english(args, zh, en):
    assert labels.quantity_text(*args, "zh") == zh
    assert labels.quantity_text(*args, "en") == en


def test_a_change_always_carries_its_sign():
    assert labels.signed(-31.8, "zh", "%") == "-31.8%"
    assert labels.signed(64, "zh", "%") == "+64%"
    assert labels.signed(0, "zh", "%") == "0%"


def closure_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "body_zh": ["天津市委"],
            "body_en": ["CPC Tianjin"],
            "body_short_zh": ["天津"],
            "body_short_en": ["Tianjin"],
            "measure_zh": ["群众反映的具体问题办结"],
            "measure_en": ["Problems raised by the public, resolved"],
            "closure_rate": [621 / 870],
            "closed": [621],
            "total": [870],
            "approximate": [False],
            "total_derived": [False],
        }
    )


def test_closure_labels_in_both_languages():
    zh = labels.closures(closure_rows(), "zh").iloc[0]
    en = labels.closures(closure_rows(), "en").iloc[0]
    assert (zh.rate_label, zh.closure_label) == ("71.4%", "71.4% · 621/870")
    assert en.closure_label == "71.4% · 621 of 870"


def test_an_approximate_closure_and_a_derived_total_are_marked():
    rows = closure_rows().assign(approximate=[True], total_derived=[True])
    assert labels.closures(rows, "zh").iloc[0].closure_label == "≈71.4% · 621/870 *"


def test_headed_keeps_the_listed_columns_under_their_headers():
    df = pd.DataFrame({"body_label": ["天津"], "value": [1], "extra": [2]})
    shown = labels.headed(df, {"body_label": "col_body", "value": "col_value"}, "zh")
    assert list(shown.columns) == ["单位", "数值"]
    assert labels.headed(df, {"body_label": "col_body"}, "en").columns.tolist() == ["Body"]
