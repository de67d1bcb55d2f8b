"""Pure chart builders: a labelled DataFrame in, an Altair chart out.

No Streamlit here. One registered theme carries the CJK font and colours.
Every mark has a tooltip with the numbers and the source quote, and bars carry
a point selection on ``body_id`` so a click can filter the dashboard.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from metrics.i18n import t

FONT = "Noto Sans CJK SC"
FONT_STACK = f"{FONT}, Noto Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
GOOD, BAD, NEUTRAL = "#1a9850", "#d73027", "#9e9e9e"
PART_COLOURS = ["#2166ac", "#67a9cf", "#fdb863", "#e0e0e0"]
BAR_STEP = 30
# Row labels take at most a third of a phone screen and 260 px elsewhere.
LABEL_LIMIT = alt.ExprRef("containerSize()[0] < 600 ? 120 : 260")
SELECTION = "pick"


@alt.theme.register("zhenggai", enable=True)
def theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "font": FONT_STACK,
            "title": {"font": FONT_STACK, "fontSize": 15, "anchor": "start"},
            "axis": {
                "labelFont": FONT_STACK,
                "titleFont": FONT_STACK,
                "labelFontSize": 12,
                "labelLimit": 260,
            },
            "legend": {"labelFont": FONT_STACK, "titleFont": FONT_STACK, "orient": "bottom", "columns": 2},
            "header": {"labelFont": FONT_STACK, "titleFont": FONT_STACK},
            "text": {"font": FONT_STACK},
            "view": {"stroke": None},
        }
    }


def pick() -> alt.Parameter:
    """Click selection on a body; the dashboard turns it into a body filter."""
    return alt.selection_point(name=SELECTION, fields=["body_id"], on="click", clear="dblclick")


def _bar_labels(base: alt.Chart, field: str, text: str) -> alt.LayerChart:
    """Labels at the outer end of each bar: white inside long bars, dark outside short ones."""
    sized = base.transform_calculate(size=f"abs(datum['{field}'])").transform_joinaggregate(
        longest="max(size)"
    )
    long_bar = alt.datum.size >= 0.35 * alt.datum.longest
    negative = alt.datum[field] < 0
    layers = [
        sized.transform_filter(long_bar & negative).mark_text(
            align="left", dx=4, color="white", fontWeight="bold"
        ),
        sized.transform_filter(long_bar & ~negative).mark_text(
            align="right", dx=-4, color="white", fontWeight="bold"
        ),
        sized.transform_filter(~long_bar & negative).mark_text(align="right", dx=-4, color="#111"),
        sized.transform_filter(~long_bar & ~negative).mark_text(align="left", dx=4, color="#111"),
    ]
    return alt.layer(*layers).encode(x=f"{field}:Q", text=f"{text}:N")


def _quote(lang: str) -> alt.Tooltip:
    return alt.Tooltip("evidence:N", title=t("col_evidence", lang))


def closure_chart(df: pd.DataFrame, lang: str, title: str = "") -> alt.Chart:
    """Stacked share-of-total bars per closure measure, sorted by rate, labelled 'rate · closed/total'.

    ``df`` comes from ``labels.closures`` and holds comparable measures only.
    """
    parts = ["closed", "partly_closed", "in_progress", "status_not_reported"]
    names = {p: t(f"part_{p}", lang) for p in parts}
    order = df.sort_values(["closure_rate", "total"], ascending=False)["row_label"].tolist()
    keep = ["body_id", "row_label", "body_name", "measure_label", "closure_label", "total", "evidence"]
    long = df.melt(id_vars=keep, value_vars=parts, var_name="part", value_name="count").dropna(
        subset=["count"]
    )
    long = long[long["count"] > 0]
    long["part_label"] = long["part"].map(names)
    long["part_order"] = long["part"].map(parts.index)
    y = alt.Y("row_label:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT))
    selection = pick()
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("count:Q", stack="normalize", title=t("closure_rate", lang), axis=alt.Axis(format="%")),
            y=y,
            color=alt.Color(
                "part_label:N",
                title=None,
                scale=alt.Scale(domain=[names[p] for p in parts], range=PART_COLOURS),
            ),
            order=alt.Order("part_order:Q"),
            opacity=alt.condition(selection, alt.value(1), alt.value(0.45)),
            tooltip=[
                alt.Tooltip("body_name:N", title=t("col_body", lang)),
                alt.Tooltip("measure_label:N", title=t("col_measure", lang)),
                alt.Tooltip("part_label:N", title=t("col_role", lang)),
                alt.Tooltip("count:Q", title=t("count", lang), format=","),
                alt.Tooltip("closure_label:N", title=t("closure_rate", lang)),
                _quote(lang),
            ],
        )
        .add_params(selection)
    )
    # Rate label: white inside the closed part when it is wide, dark at the right end otherwise.
    wide = alt.datum.closure_rate >= 0.5
    inside = (
        alt.Chart(df)
        .transform_filter(wide)
        .mark_text(align="left", dx=6, fontSize=12, fontWeight="bold", color="white")
        .encode(x=alt.value(0), y=y, text="closure_label:N")
    )
    outside = (
        alt.Chart(df)
        .transform_filter(~wide)
        .mark_text(align="right", dx=-6, fontSize=12, fontWeight="bold", color="#111")
        .encode(x=alt.value("width"), y=y, text="closure_label:N")
    )
    return (bars + inside + outside).properties(title=title, height=alt.Step(BAR_STEP))


def value_chart(df: pd.DataFrame, lang: str, title: str = "") -> alt.Chart:
    """Horizontal bars of single-valued figures of one family (e.g. cases), sorted by value."""
    order = df.sort_values("value", ascending=False)["row_label"].tolist()
    y = alt.Y("row_label:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT))
    selection = pick()
    base = alt.Chart(df).encode(y=y)
    bars = (
        base.mark_bar(color="#2166ac")
        .encode(
            x=alt.X("value:Q", title=t("col_value", lang)),
            color=alt.Color("theme_label:N", title=t("col_theme", lang)),
            opacity=alt.condition(selection, alt.value(1), alt.value(0.45)),
            tooltip=[
                alt.Tooltip("body_name:N", title=t("col_body", lang)),
                alt.Tooltip("theme_label:N", title=t("col_theme", lang)),
                alt.Tooltip("measure_label:N", title=t("col_measure", lang)),
                alt.Tooltip("value_label:N", title=t("col_value", lang)),
                _quote(lang),
            ],
        )
        .add_params(selection)
    )
    text = _bar_labels(base, "value", "value_label")
    return (bars + text).properties(title=title, height=alt.Step(BAR_STEP))


def change_chart(df: pd.DataFrame, lang: str, title: str = "") -> alt.Chart:
    """Diverging bars of percent change, green when the change goes the good way."""
    order = df.sort_values("change_pct")["row_label"].tolist()
    y = alt.Y("row_label:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT))
    selection = pick()
    base = alt.Chart(df).encode(y=y)
    domain = [t("good", lang), t("bad", lang), t("neutral", lang)]
    bars = (
        base.mark_bar()
        .encode(
            x=alt.X("change_pct:Q", title=t("change_pct", lang)),
            color=alt.Color(
                "direction_label:N", title=None, scale=alt.Scale(domain=domain, range=[GOOD, BAD, NEUTRAL])
            ),
            opacity=alt.condition(selection, alt.value(1), alt.value(0.45)),
            tooltip=[
                alt.Tooltip("body_name:N", title=t("col_body", lang)),
                alt.Tooltip("measure_label:N", title=t("col_measure", lang)),
                alt.Tooltip("change_label:N", title=t("change_pct", lang)),
                alt.Tooltip("before_label:N", title=t("before", lang)),
                alt.Tooltip("after_label:N", title=t("after", lang)),
                _quote(lang),
            ],
        )
        .add_params(selection)
    )
    text = _bar_labels(base, "change_pct", "change_label")
    rule = alt.Chart(pd.DataFrame({"zero": [0]})).mark_rule(color="#555").encode(x="zero:Q")
    return (bars + rule + text).properties(title=title, height=alt.Step(BAR_STEP))


def dumbbell_chart(df: pd.DataFrame, lang: str, title: str = "") -> alt.Chart:
    """Before → after for change measures that report both values."""
    both = df.dropna(subset=["before", "after"])
    long = both.melt(
        id_vars=["body_id", "row_label", "body_name", "measure_label", "evidence", "change_label"],
        value_vars=["before", "after"],
        var_name="when",
        value_name="amount",
    )
    long["when_label"] = long["when"].map({"before": t("before", lang), "after": t("after", lang)})
    y = alt.Y("row_label:N", title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT))
    tooltip = [
        alt.Tooltip("body_name:N", title=t("col_body", lang)),
        alt.Tooltip("measure_label:N", title=t("col_measure", lang)),
        alt.Tooltip("when_label:N", title=t("col_role", lang)),
        alt.Tooltip("amount:Q", title=t("col_value", lang), format=","),
        alt.Tooltip("change_label:N", title=t("change_pct", lang)),
        _quote(lang),
    ]
    line = alt.Chart(long).mark_line(color="#999").encode(x="amount:Q", y=y, detail="row_label:N")
    points = (
        alt.Chart(long)
        .mark_point(filled=True, size=120)
        .encode(
            x=alt.X("amount:Q", title=t("col_value", lang)),
            y=y,
            color=alt.Color(
                "when_label:N",
                title=None,
                scale=alt.Scale(domain=[t("before", lang), t("after", lang)], range=["#bdbdbd", "#2166ac"]),
            ),
            tooltip=tooltip,
        )
    )
    return (line + points).properties(title=title, height=alt.Step(BAR_STEP))


def trend_chart(df: pd.DataFrame, lang: str, title: str = "") -> alt.Chart:
    """Closure rate over as-of dates, one line per measure (progress over time)."""
    return (
        alt.Chart(df)
        .mark_line(point=True)
        .encode(
            x=alt.X("as_of:O", title=t("col_as_of", lang)),
            y=alt.Y("closure_rate:Q", title=t("closure_rate", lang), axis=alt.Axis(format="%")),
            color=alt.Color("measure_label:N", title=None),
            tooltip=[
                alt.Tooltip("measure_label:N", title=t("col_measure", lang)),
                alt.Tooltip("as_of:N", title=t("col_as_of", lang)),
                alt.Tooltip("closure_label:N", title=t("closure_rate", lang)),
                _quote(lang),
            ],
        )
        .properties(title=title, height=240)
    )
