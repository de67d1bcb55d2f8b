"""Pure chart builders: a labelled DataFrame in, a Vega-Lite spec (a plain dict) out.

No Streamlit and no Altair here: the specs are written out as Altair's ``to_dict()`` would
write them, at a small part of the cost. One theme carries the CJK font and colours.
Every mark has a tooltip with the numbers and the source quote, and bars carry
a point selection on ``body_id`` so a click can filter the dashboard.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
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
SELECTION = "pick"


def theme() -> dict:
    """The theme every spec carries (a new dict each time: specs share nothing)."""
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


# --- Vega-Lite written out --------------------------------------------------------------------------
#
# The specs are plain dicts, written as Altair's ``to_dict()`` writes them: the data as one named
# dataset at the top, the theme's ``config``, a selection as a top-level parameter naming its
# view. Building them as Altair charts cost 40-60 ms each (copies, parameter merging, validation);
# tests/test_charts.py validates every builder's spec against the Vega-Lite schema.

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.4.1.json"
TYPES = {"N": "nominal", "Q": "quantitative", "O": "ordinal", "T": "temporal"}
# Row labels take at most a third of a phone screen and 260 px elsewhere. Naming the `width`
# signal makes Vega re-evaluate the limit when the container is resized.
ROW_LABEL_LIMIT = "containerSize()[0] < 600 || width < 0 ? 120 : 260"


def _field(shorthand: str, **options) -> dict:
    """An encoding of a field, written ``name:T`` as in Altair (N, Q, O or T)."""
    name, kind = shorthand.split(":")
    return {"field": name, "type": TYPES[kind], **options}


def _not(test: str) -> str:
    return f"(!{test})"


def _and(left: str, right: str) -> str:
    return f"({left} && {right})"


def _column(series: pd.Series) -> list:
    """A column's values as JSON takes them (as Altair's ``sanitize_dataframe`` writes them):
    missing and infinite numbers as None, datetimes in ISO format."""
    if series.dtype.kind == "M":
        return ["" if pd.isna(x) else x.isoformat() for x in series]
    values = series.tolist()
    missing = series.isna().to_numpy()
    if isinstance(series.dtype, np.dtype) and series.dtype.kind == "f":
        missing = missing | np.isinf(series.to_numpy())
    if not missing.any():
        return values
    return [None if gone else value for value, gone in zip(values, missing, strict=True)]


def _dataset(df: pd.DataFrame, columns: list[str] | None = None) -> tuple[str, list[dict]]:
    """The rows a chart ships (just ``columns``, so the browser receives no more than it draws) and
    their dataset name, a hash of the rows as Altair names it."""
    frame = df if columns is None else df[columns]
    names = [str(c) for c in frame.columns]
    values = [dict(zip(names, row, strict=True)) for row in zip(*(_column(frame[c]) for c in frame.columns))]
    digest = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()
    return f"data-{digest[:32]}", values


def _spec(data: tuple[str, list[dict]], **body) -> dict:
    """A top-level spec drawing ``data`` (from ``_dataset``), with the theme."""
    name, values = data
    return {"$schema": SCHEMA, **theme(), "data": {"name": name}, **body, "datasets": {name: values}}


def _bars(data: tuple[str, list[dict]], layers: list[dict], title, select: str | None = None) -> dict:
    """Layers drawn BAR_STEP pixels a row. With ``select``, a click on a mark of the
    first layer selects its ``select`` field and dims the other marks."""
    if select is None:
        return _spec(data, layer=layers, title=title, height={"step": BAR_STEP})
    view = f"view_{data[0][5:21]}"  # the selection names its view: named after the data, as unique
    first, *rest = layers
    dimmed = {"condition": {"param": SELECTION, "value": 1}, "value": 0.45}
    first = {**first, "name": view, "encoding": {**first["encoding"], "opacity": dimmed}}
    params = [
        {
            "name": SELECTION,
            "select": {"type": "point", "fields": [select], "on": "click", "clear": "dblclick"},
            "views": [view],
        }
    ]
    return _spec(data, layer=[first, *rest], params=params, title=title, height={"step": BAR_STEP})


def _bar_labels(field: str, text: str, y: dict) -> dict:
    """Labels at the outer end of each bar (rows ``y``): white inside long bars, dark outside short ones."""
    long_bar = "(datum.size >= (0.35 * datum.longest))"
    negative = f"(datum['{field}'] < 0)"
    sized = [
        {"calculate": f"abs(datum['{field}'])", "as": "size"},
        {"joinaggregate": [{"op": "max", "field": "size", "as": "longest"}]},
    ]
    white, dark = {"color": "white", "fontWeight": "bold"}, {"color": "#111"}
    ends = [
        (_and(long_bar, negative), "left", 4, white),
        (_and(long_bar, _not(negative)), "right", -4, white),
        (_and(_not(long_bar), negative), "right", -4, dark),
        (_and(_not(long_bar), _not(negative)), "left", 4, dark),
    ]
    return {
        "encoding": {"x": _field(f"{field}:Q"), "y": y, "text": _field(f"{text}:N")},
        "layer": [
            {
                "mark": {"type": "text", "align": align, "dx": dx, **style},
                "transform": [*sized, {"filter": test}],
            }
            for test, align, dx, style in ends
        ],
    }


def _zero() -> dict:
    """A vertical rule at zero (diverging bars)."""
    return {"mark": {"type": "rule", "color": "#555"}, "encoding": {"x": {"datum": 0}}}


def _direction(lang: str) -> dict:
    """Colour by the way a change goes: good, bad or neither."""
    domain = [t("good", lang), t("bad", lang), t("neutral", lang)]
    return _field("direction_label:N", title=None, scale={"domain": domain, "range": [GOOD, BAD, NEUTRAL]})


def _quote(lang: str) -> dict:
    return _field("evidence:N", title=t("col_evidence", lang))


def _rank(lang: str) -> dict:
    return _field("rank_label:N", title=t("col_rank", lang))


def titled(title: str, subtitle: list[str] | tuple = ()) -> str | dict:
    """A chart title with subtitle lines (a comparable group's definition and caveats), which
    every export of the chart carries."""
    return {"text": title, "subtitle": list(subtitle)} if subtitle else title


def theme_colour(df: pd.DataFrame, title: str) -> dict:
    """Colour by theme, each theme its fixed colour; the legend lists only the themes shown."""
    used = df[["theme_label", "theme_order"]].drop_duplicates("theme_label").sort_values("theme_order")
    colours = [THEME_COLOURS[int(o) % len(THEME_COLOURS)] for o in used.theme_order]
    return _field("theme_label:N", title=title, scale={"domain": used.theme_label.tolist(), "range": colours})


def _sorted(df: pd.DataFrame, by: str | list[str], field: str = "row_label", **options) -> list:
    """``field`` of every row in the order of ``by`` (``DataFrame.sort_values`` options): only
    those columns are sorted, as a chart's frame is wide."""
    keys = [by] if isinstance(by, str) else by
    return df[list(dict.fromkeys([*keys, field]))].sort_values(by, **options)[field].tolist()


def _long(df: pd.DataFrame, keep: list[str], columns: list[str], name: str, value: str) -> pd.DataFrame:
    """``df.melt(id_vars=keep, value_vars=columns, var_name=name, value_name=value)``: one row per
    row of ``df`` and column of ``columns``, column by column, made with one take (melting a few
    rows costs milliseconds)."""
    long = df[keep].take(np.tile(np.arange(len(df)), len(columns))).reset_index(drop=True)
    long[name] = pd.Series(np.repeat(columns, len(df)), dtype=object).astype(pd.Series(columns).dtype)
    long[value] = pd.concat([df[c] for c in columns], ignore_index=True) if columns else []
    return long


def _rows(order: list[str] | None, field: str = "row_label") -> dict:
    """The y axis of every bar chart: one row per 'body · measure' (or per ``field``), in ``order``."""
    sort = {} if order is None else {"sort": order}
    return _field(f"{field}:N", **sort, title=None, axis={"labelLimit": {"expr": ROW_LABEL_LIMIT}})


def closure_chart(df: pd.DataFrame, lang: str, title: str = "", subtitle: tuple[str, ...] = ()) -> dict:
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
        _field("body_name:N", title=t("col_body", lang)),
        _field("measure_label:N", title=t("col_measure", lang)),
    ]
    return _closure_bars(
        df, lang, titled(title, subtitle), "row_label", keep, (who, [_rank(lang), _quote(lang)]), "body_id"
    )


def _closure_bars(
    df: pd.DataFrame,
    lang: str,
    title,
    row: str,
    keep: list[str],
    tooltips: tuple[list, list],
    select: str | None,
) -> dict:
    """Stacked share-of-total bars, one per ``row`` value, sorted by rate and labelled
    'rate · closed/total'; ``tooltips`` go before and after the part's own; a click selects
    ``select`` (nothing when None)."""
    parts = ["closed", "partly_closed", "in_progress", "status_not_reported"]
    # The legend lists only the parts some bar has, each in its fixed colour.
    used = [p for p in parts if (df[p].fillna(0) > 0).any()] or parts[:1]
    names = {p: t(f"part_{p}", lang) for p in used}
    colours = [PART_COLOURS[parts.index(p)] for p in used]
    long = _long(df, keep, used, "part", "count")
    long = long[long["count"] > 0].copy()
    long["part_label"] = long["part"].map(names)
    long["part_order"] = long["part"].map(parts.index)
    # The rate label is drawn once per row, on its first part.
    long["label_row"] = long["part_order"] == long.groupby(row)["part_order"].transform("min")
    y = _rows(_sorted(df, ["closure_rate", "total"], row, ascending=False), row)
    before, after = tooltips
    bars = {
        "mark": {"type": "bar"},
        "encoding": {
            "x": _field("count:Q", stack="normalize", title=t("closure_rate", lang), axis={"format": "%"}),
            "y": y,
            "color": _field(
                "part_label:N", title=None, scale={"domain": list(names.values()), "range": colours}
            ),
            "order": _field("part_order:Q"),
            "tooltip": [
                *before,
                _field("part_label:N", title=t("col_role", lang)),
                _field("count:Q", title=t("count", lang), format=","),
                _field("closure_label:N", title=t("closure_rate", lang)),
                *after,
            ],
        },
    }
    # Rate label: white inside the closed part when it is wide, dark at the right end otherwise.
    wide = "(datum.closure_rate >= 0.5)"
    labels = [
        {
            "mark": {"type": "text", "align": align, "dx": dx, "fontWeight": "bold", "color": colour},
            "encoding": {"y": y, "text": _field("closure_label:N"), "x": {"value": x}},
            "transform": [{"filter": "datum.label_row"}, {"filter": test}],
        }
        for test, align, dx, colour, x in (
            (wide, "left", 6, "white", 0),
            (_not(wide), "right", -6, "#111", "width"),
        )
    ]
    data = _dataset(long, [*keep, "part", "count", "part_label", "part_order", "label_row"])
    return _bars(data, [bars, *labels], title, select)


def value_chart(df: pd.DataFrame, lang: str, title: str = "", subtitle: tuple[str, ...] = ()) -> dict:
    """Horizontal bars of single-valued figures of one comparable group (e.g. cases), sorted by
    value, coloured by theme."""
    y = _rows(_sorted(df, "value", ascending=False))
    bars = {
        "mark": {"type": "bar"},
        "encoding": {
            "x": _field("value:Q", title=t("col_value", lang)),
            "y": y,
            "color": theme_colour(df, t("col_theme", lang)),
            "tooltip": [
                _field("body_name:N", title=t("col_body", lang)),
                _field("theme_label:N", title=t("col_theme", lang)),
                _field("measure_label:N", title=t("col_measure", lang)),
                _field("value_label:N", title=t("col_value", lang)),
                _rank(lang),
                _quote(lang),
            ],
        },
    }
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
    layers = [bars, _bar_labels("value", "value_label", y)]
    return _bars(_dataset(df, columns), layers, titled(title, subtitle), "body_id")


def change_chart(df: pd.DataFrame, lang: str, title: str = "", subtitle: tuple[str, ...] = ()) -> dict:
    """Diverging bars of the change (percent, points or the counter's own amount: one kind per
    group) of one comparable group, green when the change goes the
    good way; the tooltip gives the percent and before → after together."""
    y = _rows(_sorted(df, "change_value"))
    bars = {
        "mark": {"type": "bar"},
        "encoding": {
            "x": _field("change_value:Q", title=t("change", lang)),
            "y": y,
            "color": _direction(lang),
            "tooltip": [
                _field("body_name:N", title=t("col_body", lang)),
                _field("measure_label:N", title=t("col_measure", lang)),
                _field("change_label:N", title=t("change", lang)),
                _field("before_label:N", title=t("before", lang)),
                _field("after_label:N", title=t("after", lang)),
                _rank(lang),
                _quote(lang),
            ],
        },
    }
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
    layers = [bars, _zero(), _bar_labels("change_value", "change_label", y)]
    return _bars(_dataset(df, columns), layers, titled(title, subtitle), "body_id")


def dumbbell_chart(df: pd.DataFrame, lang: str, title: str = "") -> dict:
    """Before → after for change measures that report both values."""
    keep = ["body_id", "row_label", "body_name", "measure_label", "evidence", "change_label"]
    long = _long(df.dropna(subset=["before", "after"]), keep, ["before", "after"], "when", "amount")
    when = [t("before", lang), t("after", lang)]
    long["when_label"] = long["when"].map(dict(zip(["before", "after"], when, strict=True)))
    y = _rows(None)
    line = {
        "mark": {"type": "line", "color": "#999"},
        "encoding": {"x": _field("amount:Q"), "y": y, "detail": _field("row_label:N")},
    }
    points = {
        "mark": {"type": "point", "filled": True, "size": 120},
        "encoding": {
            "x": _field("amount:Q", title=t("col_value", lang)),
            "y": y,
            "color": _field(
                "when_label:N", title=None, scale={"domain": when, "range": ["#bdbdbd", "#2166ac"]}
            ),
            "tooltip": [
                _field("body_name:N", title=t("col_body", lang)),
                _field("measure_label:N", title=t("col_measure", lang)),
                _field("when_label:N", title=t("col_role", lang)),
                _field("amount:Q", title=t("col_value", lang), format=","),
                _field("change_label:N", title=t("change_pct", lang)),
                _quote(lang),
            ],
        },
    }
    return _bars(_dataset(long, [*keep, "amount", "when_label"]), [line, points], title)


def trend_chart(df: pd.DataFrame, lang: str, title: str = "") -> dict:
    """Closure rate over as-of dates, one line per measure (progress over time)."""
    columns = ["measure_label", "as_of", "closure_rate", "closure_label", "evidence"]
    encoding = {
        "x": _field("as_of:O", title=t("col_as_of", lang), axis={"labelAngle": 0}),
        "y": _field("closure_rate:Q", title=t("closure_rate", lang), axis={"format": "%"}),
        "color": _field(
            "measure_label:N", title=None, legend={"orient": "top", "columns": 1, "labelLimit": 600}
        ),
        "tooltip": [
            _field("measure_label:N", title=t("col_measure", lang)),
            _field("as_of:N", title=t("col_as_of", lang)),
            _field("closure_label:N", title=t("closure_rate", lang)),
            _quote(lang),
        ],
    }
    mark = {"type": "line", "point": True}
    return _spec(_dataset(df, columns), mark=mark, encoding=encoding, title=title, height=240)


# --- groups of bodies (compare by kind of body or region) -------------------------------------------
#
# One bar per group, labelled with the group's name; tooltips say how many bodies and measures a
# bar holds. Only groups of kinds of body are clickable (a click sets the kind filter).


def _group_pick(by: str) -> str | None:
    """The field a click on a group selects: its kind of body; None for groups the dashboard
    cannot filter to."""
    return "group_id" if by == "kind" else None


def _group_counts(lang: str, by: str) -> list[dict]:
    return [
        _field("group_label:N", title=t(f"by_{by}", lang)),
        _field("bodies:Q", title=t("col_bodies", lang), format=","),
        _field("measures:Q", title=t("col_measures", lang), format=","),
    ]


def closure_group_chart(
    df: pd.DataFrame, lang: str, title: str = "", by: str = "kind", subtitle: tuple[str, ...] = ()
) -> dict:
    """Stacked share-of-total bars per group of bodies (one indicator), sorted by the group's rate,
    labelled 'rate · closed/total'. ``df`` comes from ``labels.closure_groups``."""
    keep = ["group_id", "group_label", "closure_label", "closure_rate", "bodies", "measures"]
    return _closure_bars(
        df, lang, titled(title, subtitle), "group_label", keep, (_group_counts(lang, by), []), _group_pick(by)
    )


def value_group_chart(
    df: pd.DataFrame, lang: str, title: str = "", by: str = "kind", subtitle: tuple[str, ...] = ()
) -> dict:
    """Bars of the summed counts of one indicator and counter per group of bodies, sorted by value.
    ``df`` comes from ``labels.value_groups``."""
    y = _rows(_sorted(df, "value", "group_label", ascending=False), "group_label")
    bars = {
        "mark": {"type": "bar", "color": PART_COLOURS[0]},
        "encoding": {
            "x": _field("value:Q", title=t("col_value", lang)),
            "y": y,
            "tooltip": [
                *_group_counts(lang, by),
                _field("comparable_label:N", title=t("col_group", lang)),
                _field("value_label:N", title=t("col_value", lang)),
            ],
        },
    }
    columns = ["group_id", "group_label", "comparable_label", "value", "value_label", "bodies", "measures"]
    layers = [bars, _bar_labels("value", "value_label", y)]
    return _bars(_dataset(df, columns), layers, titled(title, subtitle), _group_pick(by))


def change_group_chart(
    df: pd.DataFrame, lang: str, title: str = "", by: str = "kind", subtitle: tuple[str, ...] = ()
) -> dict:
    """Median percent change per group of bodies (one indicator) as a diverging bar, green when it
    goes the good way, with a thin line from the group's lowest to its highest change.
    ``df`` comes from ``labels.change_groups``; groups without a percent change are left out."""
    df = df[df.change_pct_median.notna()]
    y = _rows(_sorted(df, "change_pct_median", "group_label"), "group_label")
    tooltip = [
        *_group_counts(lang, by),
        _field("comparable_label:N", title=t("col_group", lang)),
        _field("median_label:N", title=t("median_change", lang)),
        _field("range_label:N", title=t("change_range", lang)),
        _field("before_label:N", title=t("col_before_sum", lang)),
        _field("after_label:N", title=t("col_after_sum", lang)),
    ]
    bars = {
        "mark": {"type": "bar"},
        "encoding": {
            "x": _field("change_pct_median:Q", title=t("median_change", lang)),
            "y": y,
            "color": _direction(lang),
            "tooltip": tooltip,
        },
    }
    spread = {
        "mark": {"type": "rule", "color": "#333", "strokeWidth": 1.5},
        "encoding": {
            "x": _field("change_pct_min:Q"),
            "x2": {"field": "change_pct_max"},
            "y": y,
            "tooltip": tooltip,
        },
    }
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
    layers = [bars, spread, _zero(), _bar_labels("change_pct_median", "median_label", y)]
    return _bars(_dataset(df, columns), layers, titled(title, subtitle), _group_pick(by))


# --- progress between reports ---------------------------------------------------------------------

LIGHT_COLOURS = {
    "green": "#2e7d32",
    "yellow": "#f2b01e",
    "red": "#c62828",
    "stale": "#8d8d8d",
    "no_target": "#d9d9d9",
}


def lights_chart(df: pd.DataFrame, lang: str, title: str = "") -> dict:
    """Stacked bars: how many measures of each row (a comparable group or a kind of body) have
    each light (columns green … no_target of queries.progress_lights, ``tally_label``)."""
    lights = list(LIGHT_COLOURS)
    names = [t(f"light_{light}", lang) for light in lights]
    long = _long(df, ["tally_label"], lights, "light", "n")
    long = long[long.n > 0].assign(
        light_name=lambda d: d.light.map(dict(zip(lights, names, strict=True))),
        light_order=lambda d: d.light.map({light: i for i, light in enumerate(lights)}),
    )
    order = df.sort_values(["red", "yellow"], ascending=False, kind="stable").tally_label.tolist()
    encoding = {
        "x": _field(
            "n:Q", stack="zero", title=t("col_measures", lang), axis={"tickMinStep": 1, "format": "d"}
        ),
        "y": _rows(order, "tally_label"),
        "color": _field(
            "light_name:N",
            title=None,
            scale={"domain": names, "range": list(LIGHT_COLOURS.values())},
            legend={"labelLimit": 400},
        ),
        "order": _field("light_order:Q"),
        "tooltip": [
            _field("tally_label:N", title=t("col_group", lang)),
            _field("light_name:N", title=t("col_light", lang)),
            _field("n:Q", title=t("col_measures", lang)),
        ],
    }
    return _spec(
        _dataset(long), mark={"type": "bar"}, encoding=encoding, title=title, height={"step": BAR_STEP}
    )


def progress_trends_chart(df: pd.DataFrame, lang: str, title: str = "", columns: int = 2) -> dict:
    """Small multiples: one small line per measure (``row_label``) of its value over its reports,
    each with its own scale (measures of different groups are never drawn on one axis). Rows
    with an ``event_label`` (``labels.progress_history`` with events) are drawn as dashed
    vertical rules at their date, with the event in the tooltip."""
    fields = ["row_label", "as_of_date", "as_of", "value", "value_label", "event_label", "event_date"]
    x = _field(
        "as_of_date:T",
        title=None,
        axis={"format": "%Y-%m", "labelAngle": 0, "tickCount": 3, "labelOverlap": True, "labelFontSize": 10},
    )
    line = {
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": x,
            "y": _field("value:Q", title=None, scale={"zero": False}),
            "tooltip": [
                _field("row_label:N", title=t("col_measure", lang)),
                _field("as_of:N", title=t("col_as_of", lang)),
                _field("value_label:N", title=t("col_value", lang)),
            ],
        },
        "transform": [{"filter": "!isValid(datum.event_label)"}],
    }
    rule = {
        "mark": {"type": "rule", "color": "#8c6d1f", "strokeDash": [4, 3], "strokeWidth": 1.5},
        "encoding": {
            "x": x,
            "tooltip": [
                _field("event_label:N", title=t("col_event", lang)),
                _field("event_date:N", title=t("col_event_date", lang)),
            ],
        },
        "transform": [{"filter": "isValid(datum.event_label)"}],
    }
    return _spec(
        _dataset(df, fields),
        facet=_field("row_label:N", title=None, header={"labelLimit": 150, "labelFontSize": 11}),
        columns=columns,
        spec={"layer": [rule, line], "width": 130, "height": 90},  # two columns fit a 390 px phone
        resolve={"scale": {"y": "independent"}},
        title=title,
    )
