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
# A theme's colour: its place among all themes (by id), so it is the same on every chart, page
# and language whatever the filters (Tableau 20).
THEME_COLOURS = [
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#a0cbe8",
    "#ffbe7d",
    "#ff9d9a",
    "#86bcb6",
    "#8cd17d",
    "#f1ce63",
    "#d4a6c8",
    "#fabfd2",
    "#d7b5a6",
    "#79706e",
]
BAR_STEP = 30
# Row labels take at most a third of a phone screen and 260 px elsewhere. Naming the `width`
# signal makes Vega re-evaluate the limit when the container is resized.
LABEL_LIMIT = alt.ExprRef("containerSize()[0] < 600 || width < 0 ? 120 : 260")
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


def _bar_labels(field: str, text: str) -> alt.LayerChart:
    """Labels at the outer end of each bar: white inside long bars, dark outside short ones."""
    sized = (
        alt.Chart()
        .transform_calculate(size=f"abs(datum['{field}'])")
        .transform_joinaggregate(longest="max(size)")
    )
    long_bar = alt.datum.size >= 0.35 * alt.datum.longest
    negative = alt.datum[field] < 0
    white, dark = {"color": "white", "fontWeight": "bold"}, {"color": "#111"}
    layers = [
        sized.transform_filter(long_bar & negative).mark_text(align="left", dx=4, **white),
        sized.transform_filter(long_bar & ~negative).mark_text(align="right", dx=-4, **white),
        sized.transform_filter(~long_bar & negative).mark_text(align="right", dx=-4, **dark),
        sized.transform_filter(~long_bar & ~negative).mark_text(align="left", dx=4, **dark),
    ]
    return alt.layer(*layers).encode(x=f"{field}:Q", text=f"{text}:N")


def _quote(lang: str) -> alt.Tooltip:
    return alt.Tooltip("evidence:N", title=t("col_evidence", lang))


def _rank(lang: str) -> alt.Tooltip:
    return alt.Tooltip("rank_label:N", title=t("col_rank", lang))


def titled(title: str, subtitle: list[str] | tuple = ()) -> str | alt.TitleParams:
    """A chart title with subtitle lines (a comparable group's definition and caveats), which
    every export of the chart carries."""
    return alt.TitleParams(text=title, subtitle=list(subtitle)) if subtitle else title


def theme_colour(df: pd.DataFrame) -> alt.Color:
    """Colour by theme, each theme its fixed colour; the legend lists only the themes shown."""
    used = df.drop_duplicates("theme_label").sort_values("theme_order")
    colours = [THEME_COLOURS[int(o) % len(THEME_COLOURS)] for o in used.theme_order]
    return alt.Color("theme_label:N", scale=alt.Scale(domain=used.theme_label.tolist(), range=colours))


def _rows(order: list[str], field: str = "row_label") -> alt.Y:
    """The y axis of every bar chart: one row per 'body · measure' (or per ``field``), in order."""
    return alt.Y(f"{field}:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT))


def _only(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Just the columns a chart uses, so the browser receives no more than it draws."""
    return df[columns].reset_index(drop=True)


def closure_chart(
    df: pd.DataFrame, lang: str, title: str = "", subtitle: tuple[str, ...] = ()
) -> alt.LayerChart:
    """Stacked share-of-total bars per closure measure, sorted by rate, labelled 'rate · closed/total'.

    ``df`` comes from ``labels.closures`` and holds one comparable group only.
    """
    keep = [
        "body_id",
        "row_label",
        "body_name",
        "measure_label",
        "closure_label",
        "closure_rate",
        "rank_label",
        "evidence",
    ]
    who = [
        alt.Tooltip("body_name:N", title=t("col_body", lang)),
        alt.Tooltip("measure_label:N", title=t("col_measure", lang)),
    ]
    return _closure_bars(
        df, lang, titled(title, subtitle), "row_label", keep, (who, [_rank(lang), _quote(lang)]), pick()
    )


def _closure_bars(
    df: pd.DataFrame,
    lang: str,
    title: str,
    row: str,
    keep: list[str],
    tooltips: tuple[list, list],
    selection: alt.Parameter | None,
) -> alt.LayerChart:
    """Stacked share-of-total bars, one per ``row`` value, sorted by rate and labelled
    'rate · closed/total'; ``tooltips`` go before and after the part's own."""
    parts = ["closed", "partly_closed", "in_progress", "status_not_reported"]
    # The legend lists only the parts some bar has, each in its fixed colour.
    used = [p for p in parts if (df[p].fillna(0) > 0).any()] or parts[:1]
    names = {p: t(f"part_{p}", lang) for p in used}
    colours = [PART_COLOURS[parts.index(p)] for p in used]
    long = df.melt(id_vars=keep, value_vars=used, var_name="part", value_name="count")
    long = long[long["count"] > 0].copy()
    long["part_label"] = long["part"].map(names)
    long["part_order"] = long["part"].map(parts.index)
    # The rate label is drawn once per row, on its first part.
    long["label_row"] = long["part_order"] == long.groupby(row)["part_order"].transform("min")
    y = _rows(df.sort_values(["closure_rate", "total"], ascending=False)[row].tolist(), row)
    before, after = tooltips
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            x=alt.X("count:Q", stack="normalize", title=t("closure_rate", lang), axis=alt.Axis(format="%")),
            y=y,
            color=alt.Color(
                "part_label:N", title=None, scale=alt.Scale(domain=list(names.values()), range=colours)
            ),
            order=alt.Order("part_order:Q"),
            tooltip=[
                *before,
                alt.Tooltip("part_label:N", title=t("col_role", lang)),
                alt.Tooltip("count:Q", title=t("count", lang), format=","),
                alt.Tooltip("closure_label:N", title=t("closure_rate", lang)),
                *after,
            ],
        )
    )
    bars = _selectable(bars, selection)
    # Rate label: white inside the closed part when it is wide, dark at the right end otherwise.
    wide = alt.datum.closure_rate >= 0.5
    label = alt.Chart().transform_filter(alt.datum.label_row).encode(y=y, text="closure_label:N")
    inside = label.transform_filter(wide).mark_text(align="left", dx=6, fontWeight="bold", color="white")
    outside = label.transform_filter(~wide).mark_text(align="right", dx=-6, fontWeight="bold", color="#111")
    return alt.layer(
        bars,
        inside.encode(x=alt.value(0)),
        outside.encode(x=alt.value("width")),
        data=_only(long, [*keep, "part", "count", "part_label", "part_order", "label_row"]),
    ).properties(title=title, height=alt.Step(BAR_STEP))


def value_chart(
    df: pd.DataFrame, lang: str, title: str = "", subtitle: tuple[str, ...] = ()
) -> alt.LayerChart:
    """Horizontal bars of single-valued figures of one comparable group (e.g. cases), sorted by
    value, coloured by theme."""
    y = _rows(df.sort_values("value", ascending=False)["row_label"].tolist())
    selection = pick()
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title=t("col_value", lang)),
            y=y,
            color=theme_colour(df).title(t("col_theme", lang)),
            opacity=alt.condition(selection, alt.value(1), alt.value(0.45)),
            tooltip=[
                alt.Tooltip("body_name:N", title=t("col_body", lang)),
                alt.Tooltip("theme_label:N", title=t("col_theme", lang)),
                alt.Tooltip("measure_label:N", title=t("col_measure", lang)),
                alt.Tooltip("value_label:N", title=t("col_value", lang)),
                _rank(lang),
                _quote(lang),
            ],
        )
        .add_params(selection)
    )
    columns = [
        "body_id",
        "row_label",
        "body_name",
        "theme_label",
        "measure_label",
        "value",
        "value_label",
        "rank_label",
        "evidence",
    ]
    return alt.layer(
        bars, _bar_labels("value", "value_label").encode(y=y), data=_only(df, columns)
    ).properties(title=titled(title, subtitle), height=alt.Step(BAR_STEP))


def change_chart(
    df: pd.DataFrame, lang: str, title: str = "", subtitle: tuple[str, ...] = ()
) -> alt.LayerChart:
    """Diverging bars of the change (percent, points or the counter's own amount: one kind per
    group) of one comparable group, green when the change goes the
    good way; the tooltip gives the percent and before → after together."""
    y = _rows(df.sort_values("change_value")["row_label"].tolist())
    selection = pick()
    domain = [t("good", lang), t("bad", lang), t("neutral", lang)]
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            x=alt.X("change_value:Q", title=t("change", lang)),
            y=y,
            color=alt.Color(
                "direction_label:N", title=None, scale=alt.Scale(domain=domain, range=[GOOD, BAD, NEUTRAL])
            ),
            opacity=alt.condition(selection, alt.value(1), alt.value(0.45)),
            tooltip=[
                alt.Tooltip("body_name:N", title=t("col_body", lang)),
                alt.Tooltip("measure_label:N", title=t("col_measure", lang)),
                alt.Tooltip("change_label:N", title=t("change", lang)),
                alt.Tooltip("before_label:N", title=t("before", lang)),
                alt.Tooltip("after_label:N", title=t("after", lang)),
                _rank(lang),
                _quote(lang),
            ],
        )
        .add_params(selection)
    )
    zero = alt.Chart().mark_rule(color="#555").encode(x=alt.datum(0))
    columns = [
        "body_id",
        "row_label",
        "body_name",
        "measure_label",
        "change_value",
        "change_label",
        "before_label",
        "after_label",
        "direction_label",
        "rank_label",
        "evidence",
    ]
    return alt.layer(
        bars, zero, _bar_labels("change_value", "change_label").encode(y=y), data=_only(df, columns)
    ).properties(title=titled(title, subtitle), height=alt.Step(BAR_STEP))


def dumbbell_chart(df: pd.DataFrame, lang: str, title: str = "") -> alt.LayerChart:
    """Before → after for change measures that report both values."""
    keep = ["body_id", "row_label", "body_name", "measure_label", "evidence", "change_label"]
    long = df.dropna(subset=["before", "after"]).melt(
        id_vars=keep, value_vars=["before", "after"], var_name="when", value_name="amount"
    )
    long["when_label"] = long["when"].map({"before": t("before", lang), "after": t("after", lang)})
    y = alt.Y("row_label:N", title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT))
    line = alt.Chart().mark_line(color="#999").encode(x="amount:Q", y=y, detail="row_label:N")
    points = (
        alt.Chart()
        .mark_point(filled=True, size=120)
        .encode(
            x=alt.X("amount:Q", title=t("col_value", lang)),
            y=y,
            color=alt.Color(
                "when_label:N",
                title=None,
                scale=alt.Scale(domain=[t("before", lang), t("after", lang)], range=["#bdbdbd", "#2166ac"]),
            ),
            tooltip=[
                alt.Tooltip("body_name:N", title=t("col_body", lang)),
                alt.Tooltip("measure_label:N", title=t("col_measure", lang)),
                alt.Tooltip("when_label:N", title=t("col_role", lang)),
                alt.Tooltip("amount:Q", title=t("col_value", lang), format=","),
                alt.Tooltip("change_label:N", title=t("change_pct", lang)),
                _quote(lang),
            ],
        )
    )
    return alt.layer(line, points, data=_only(long, [*keep, "amount", "when_label"])).properties(
        title=title, height=alt.Step(BAR_STEP)
    )


def trend_chart(df: pd.DataFrame, lang: str, title: str = "") -> alt.Chart:
    """Closure rate over as-of dates, one line per measure (progress over time)."""
    columns = ["measure_label", "as_of", "closure_rate", "closure_label", "evidence"]
    return (
        alt.Chart(_only(df, columns))
        .mark_line(point=True)
        .encode(
            x=alt.X("as_of:O", title=t("col_as_of", lang), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("closure_rate:Q", title=t("closure_rate", lang), axis=alt.Axis(format="%")),
            color=alt.Color(
                "measure_label:N", title=None, legend=alt.Legend(orient="top", columns=1, labelLimit=600)
            ),
            tooltip=[
                alt.Tooltip("measure_label:N", title=t("col_measure", lang)),
                alt.Tooltip("as_of:N", title=t("col_as_of", lang)),
                alt.Tooltip("closure_label:N", title=t("closure_rate", lang)),
                _quote(lang),
            ],
        )
        .properties(title=title, height=240)
    )


# --- groups of bodies (compare by kind of body or region) -------------------------------------------
#
# One bar per group, labelled with the group's name; tooltips say how many bodies and measures a
# bar holds. Only groups of kinds of body are clickable (a click sets the kind filter).


def _group_pick(by: str) -> alt.Parameter | None:
    """Click selection on a kind of body; None for groups the dashboard cannot filter to."""
    if by != "kind":
        return None
    return alt.selection_point(name=SELECTION, fields=["group_id"], on="click", clear="dblclick")


def _selectable(chart: alt.Chart, selection: alt.Parameter | None) -> alt.Chart:
    """``chart`` with a click selection that dims the other marks (none when ``selection`` is None)."""
    if selection is None:
        return chart
    return chart.encode(opacity=alt.condition(selection, alt.value(1), alt.value(0.45))).add_params(selection)


def _group_counts(lang: str, by: str) -> list[alt.Tooltip]:
    return [
        alt.Tooltip("group_label:N", title=t(f"by_{by}", lang)),
        alt.Tooltip("bodies:Q", title=t("col_bodies", lang), format=","),
        alt.Tooltip("measures:Q", title=t("col_measures", lang), format=","),
    ]


def closure_group_chart(
    df: pd.DataFrame, lang: str, title: str = "", by: str = "kind", subtitle: tuple[str, ...] = ()
) -> alt.LayerChart:
    """Stacked share-of-total bars per group of bodies (one indicator), sorted by the group's rate,
    labelled 'rate · closed/total'. ``df`` comes from ``labels.closure_groups``."""
    keep = ["group_id", "group_label", "closure_label", "closure_rate", "bodies", "measures"]
    return _closure_bars(
        df, lang, titled(title, subtitle), "group_label", keep, (_group_counts(lang, by), []), _group_pick(by)
    )


def value_group_chart(
    df: pd.DataFrame, lang: str, title: str = "", by: str = "kind", subtitle: tuple[str, ...] = ()
) -> alt.LayerChart:
    """Bars of the summed counts of one indicator and counter per group of bodies, sorted by value.
    ``df`` comes from ``labels.value_groups``."""
    y = _rows(df.sort_values("value", ascending=False)["group_label"].tolist(), "group_label")
    bars = (
        alt.Chart()
        .mark_bar(color=PART_COLOURS[0])
        .encode(
            x=alt.X("value:Q", title=t("col_value", lang)),
            y=y,
            tooltip=[
                *_group_counts(lang, by),
                alt.Tooltip("comparable_label:N", title=t("col_group", lang)),
                alt.Tooltip("value_label:N", title=t("col_value", lang)),
            ],
        )
    )
    columns = ["group_id", "group_label", "comparable_label", "value", "value_label", "bodies", "measures"]
    return alt.layer(
        _selectable(bars, _group_pick(by)),
        _bar_labels("value", "value_label").encode(y=y),
        data=_only(df, columns),
    ).properties(title=titled(title, subtitle), height=alt.Step(BAR_STEP))


def change_group_chart(
    df: pd.DataFrame, lang: str, title: str = "", by: str = "kind", subtitle: tuple[str, ...] = ()
) -> alt.LayerChart:
    """Median percent change per group of bodies (one indicator) as a diverging bar, green when it
    goes the good way, with a thin line from the group's lowest to its highest change.
    ``df`` comes from ``labels.change_groups``; groups without a percent change are left out."""
    df = df[df.change_pct_median.notna()]
    y = _rows(df.sort_values("change_pct_median")["group_label"].tolist(), "group_label")
    domain = [t("good", lang), t("bad", lang), t("neutral", lang)]
    tooltip = [
        *_group_counts(lang, by),
        alt.Tooltip("comparable_label:N", title=t("col_group", lang)),
        alt.Tooltip("median_label:N", title=t("median_change", lang)),
        alt.Tooltip("range_label:N", title=t("change_range", lang)),
        alt.Tooltip("before_label:N", title=t("col_before_sum", lang)),
        alt.Tooltip("after_label:N", title=t("col_after_sum", lang)),
    ]
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            x=alt.X("change_pct_median:Q", title=t("median_change", lang)),
            y=y,
            color=alt.Color(
                "direction_label:N", title=None, scale=alt.Scale(domain=domain, range=[GOOD, BAD, NEUTRAL])
            ),
            tooltip=tooltip,
        )
    )
    spread = (
        alt.Chart()
        .mark_rule(color="#333", strokeWidth=1.5)
        .encode(x="change_pct_min:Q", x2="change_pct_max:Q", y=y, tooltip=tooltip)
    )
    zero = alt.Chart().mark_rule(color="#555").encode(x=alt.datum(0))
    columns = [
        "group_id",
        "group_label",
        "comparable_label",
        "change_pct_median",
        "change_pct_min",
        "change_pct_max",
        "median_label",
        "range_label",
        "before_label",
        "after_label",
        "direction_label",
        "bodies",
        "measures",
    ]
    return alt.layer(
        _selectable(bars, _group_pick(by)),
        spread,
        zero,
        _bar_labels("change_pct_median", "median_label").encode(y=y),
        data=_only(df, columns),
    ).properties(title=titled(title, subtitle), height=alt.Step(BAR_STEP))


# --- progress between reports ---------------------------------------------------------------------

LIGHT_COLOURS = {
    "green": "#2e7d32",
    "yellow": "#f2b01e",
    "red": "#c62828",
    "stale": "#8d8d8d",
    "no_target": "#d9d9d9",
}


def lights_chart(df: pd.DataFrame, lang: str, title: str = "") -> alt.Chart:
    """Stacked bars: how many measures of each row (a comparable group or a kind of body) have
    each light (columns green … no_target of queries.progress_lights, ``tally_label``)."""
    lights = list(LIGHT_COLOURS)
    names = [t(f"light_{light}", lang) for light in lights]
    long = df.melt(id_vars="tally_label", value_vars=lights, var_name="light", value_name="n")
    long = long[long.n > 0].assign(
        light_name=lambda d: d.light.map(dict(zip(lights, names, strict=True))),
        light_order=lambda d: d.light.map({light: i for i, light in enumerate(lights)}),
    )
    order = df.sort_values(["red", "yellow"], ascending=False, kind="stable").tally_label.tolist()
    return (
        alt.Chart(long.reset_index(drop=True))
        .mark_bar()
        .encode(
            x=alt.X(
                "n:Q", stack="zero", title=t("col_measures", lang), axis=alt.Axis(tickMinStep=1, format="d")
            ),
            y=_rows(order, "tally_label"),
            color=alt.Color(
                "light_name:N",
                title=None,
                scale=alt.Scale(domain=names, range=list(LIGHT_COLOURS.values())),
                legend=alt.Legend(labelLimit=400),
            ),
            order=alt.Order("light_order:Q"),
            tooltip=[
                alt.Tooltip("tally_label:N", title=t("col_group", lang)),
                alt.Tooltip("light_name:N", title=t("col_light", lang)),
                alt.Tooltip("n:Q", title=t("col_measures", lang)),
            ],
        )
        .properties(title=title, height=alt.Step(BAR_STEP))
    )


def progress_trends_chart(df: pd.DataFrame, lang: str, title: str = "", columns: int = 2) -> alt.FacetChart:
    """Small multiples: one small line per measure (``row_label``) of its value over its reports,
    each with its own scale (measures of different groups are never drawn on one axis). Rows
    with an ``event_label`` (``labels.progress_history`` with events) are drawn as dashed
    vertical rules at their date, with the event in the tooltip."""
    fields = ["row_label", "as_of_date", "as_of", "value", "value_label", "event_label", "event_date"]
    x = alt.X(
        "as_of_date:T",
        title=None,
        axis=alt.Axis(format="%Y-%m", labelAngle=0, tickCount=3, labelOverlap=True, labelFontSize=10),
    )
    line = (
        alt.Chart()
        .transform_filter("!isValid(datum.event_label)")
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
            tooltip=[
                alt.Tooltip("row_label:N", title=t("col_measure", lang)),
                alt.Tooltip("as_of:N", title=t("col_as_of", lang)),
                alt.Tooltip("value_label:N", title=t("col_value", lang)),
            ],
        )
    )
    rule = (
        alt.Chart()
        .transform_filter("isValid(datum.event_label)")
        .mark_rule(color="#8c6d1f", strokeDash=[4, 3], strokeWidth=1.5)
        .encode(
            x=x,
            tooltip=[
                alt.Tooltip("event_label:N", title=t("col_event", lang)),
                alt.Tooltip("event_date:N", title=t("col_event_date", lang)),
            ],
        )
    )
    return (
        alt.layer(rule, line, data=_only(df, fields))
        .properties(width=130, height=90)  # two columns fit a 390 px phone
        .facet(
            facet=alt.Facet("row_label:N", title=None, header=alt.Header(labelLimit=150, labelFontSize=11)),
            columns=columns,
        )
        .resolve_scale(y="independent")
        .properties(title=title)
    )
