"""One function per dashboard page (each page script in pages/ calls one). Each reads top to bottom:
inputs -> query -> labels -> chart -> table -> downloads.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

import pandas as pd
import streamlit as st

from metrics import charts, labels, queries
from metrics import view as pageview
from metrics.i18n import DEFINITIONS, definition, role_name, t
from metrics.labels import LIGHT_MARK_COLOURS, LIGHT_MARKS
from metrics.numbers import format_number
from metrics.progress import STALE_DAYS
from metrics.ui import state
from metrics.ui.downloads import downloads
from metrics.view import (
    CHANGE_COLUMNS,
    CLOSURE_COLUMNS,
    FIGURE_COLUMNS,
    LEFT_OUT_COLUMNS,
    MAX_BARS,
    OVERVIEW_BARS,
    OVERVIEW_COLUMNS,
    OVERVIEW_PANELS,
    PROGRESS_COLUMNS,
    SOURCE_COLUMNS,
    TABLE_ROWS,
    VALUE_COLUMNS,
)


def show(
    builder: Callable, df: pd.DataFrame, title: str, key: str, clickable: bool = True, pick=None, **options
) -> dict:
    """Render ``builder(df, lang, title, **options)`` (a chart of ``metrics.charts``) full width and return its spec (for
    the image downloads). The spec is cached per data, language, title and options."""
    spec = state.chart_spec(builder, df, state.lang(), title, **options)
    return render(spec, key, clickable, pick)


def render(spec: dict | state.Chart, key: str, clickable: bool = True, pick=None) -> dict:
    """Draw a Vega-Lite ``spec`` (or a ``state.Chart``: its wire spec) full width and return the
    spec (for the image downloads); a click on a body's mark filters the dashboard to that body
    (``pick``, default ``state.pick_body``, turns the click into a filter)."""
    spec, drawn = (spec.spec, spec.wire) if isinstance(spec, state.Chart) else (spec, spec)
    if clickable:
        st.vega_lite_chart(
            spec=drawn,
            width="stretch",
            theme=None,
            key=key,
            on_select=partial(pick or state.pick_body, key),
            selection_mode=charts.SELECTION,
        )
    else:
        st.vega_lite_chart(spec=drawn, width="stretch", theme=None, key=key)
    return spec


# How some columns read in a table: rates as percentages, derived changes to one decimal.
COLUMN_FORMATS = {
    "col_closure_rate": "percent",
    "col_change_pct": "%.1f",
    "col_change_median": "%.1f",
    "col_change_min": "%.1f",
    "col_change_max": "%.1f",
    "col_change_of_sums": "%.1f",
}


def show_table(
    frame: pd.DataFrame, columns: dict[str, str], lang: str, total: int | None = None, **options
) -> None:
    """A data table with readable headers; yes/no columns as 是/否 (Yes/No), missing values
    blank (never "None"), rates as percentages. At most TABLE_ROWS rows are sent to the browser
    (the downloads hold every row); ``total`` is how many rows there are when ``frame`` holds
    only the first of them."""
    total = len(frame) if total is None else total
    if total > TABLE_ROWS:
        st.caption(t("table_rows_shown", lang, shown=TABLE_ROWS, total=total))
        frame = frame.head(TABLE_ROWS)
    data = labels.headed(frame, columns, lang)
    for c in [c for c in data.columns if _yes_no(data[c])]:
        data[c] = ["" if pd.isna(v) else t("yes" if v else "no", lang) for v in data[c]]
    for c in [c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])]:
        column = data[c]
        if isinstance(column.dtype, pd.StringDtype):  # stays Arrow text: no Python string per cell
            data[c] = column.fillna("")
        else:
            data[c] = column.astype(object).where(column.notna(), "")
    config = {t(k, lang): st.column_config.NumberColumn(format=f) for k, f in COLUMN_FORMATS.items()}
    st.dataframe(data, hide_index=True, width="stretch", column_config=config, placeholder="", **options)


def _yes_no(column: pd.Series) -> bool:
    """Whether a column holds flags: booleans, some perhaps missing."""
    if pd.api.types.is_bool_dtype(column):
        return True
    present = column.dropna()
    return column.dtype == object and len(present) > 0 and all(pd.api.types.is_bool(v) for v in present)


def header(page: str, intro: str | None = None) -> str:
    lang = state.lang()
    st.title(t(page, lang))
    if intro:
        st.caption(t(intro, lang))
    if day := state.as_of():
        st.info(t("as_of_notice", lang, date=day), icon=":material/history:")
    return lang


def header_by(page: str, intro: str) -> tuple[str, str]:
    """Title, the "compare by" control and the intro that fits it: ``intro`` when each body is
    shown, ``<page>_grouped_intro`` when groups of bodies are. Returns (language, grouping)."""
    lang = header(page)
    by = state.grouping(lang)
    if by == "body":
        st.caption(t(intro, lang))
    else:
        grouped_intro = intro.removesuffix("_intro") + "_grouped_intro"
        st.caption(t(grouped_intro, lang, by=t(f"by_{by}", lang).lower()))
    return lang, by


def empty(df: pd.DataFrame, lang: str) -> bool:
    if df.empty:
        st.info(t("no_data", lang), icon=":material/filter_alt_off:")
    return df.empty


def caption_rows(rows: int, lang: str, bars: int = MAX_BARS) -> None:
    """Under a chart of at most ``bars`` of ``rows`` rows (``view.top_and_bottom``), how many are
    shown (each bar's tooltip gives its rank in the whole group)."""
    if rows > bars:
        st.caption(t("top_and_bottom", lang, shown=bars, total=rows, half=bars // 2))


# --- comparable groups: one chart per group that two or more bodies report -----------------------

SINGLE_COLUMNS = {
    "body_label": "col_body",
    "comparable_label": "col_group",
    "measure_label": "col_measure",
    "shown": "col_value",
    "as_of": "col_as_of",
    "evidence": "col_evidence",
}


def draw(panel: pageview.Panel, lang: str, bars: int = MAX_BARS, **options) -> dict:
    """A view's chart (``metrics.view.Panel``), with a caption when it shows only part of its group."""
    caption_rows(panel.rows, lang, bars)
    return show(panel.builder, panel.frame, panel.title, panel.key, **options, **panel.options)


def comparable_panels(
    kind: str,
    f: queries.Filters,
    lang: str,
    key: str,
    bars: int = MAX_BARS,
    panels: int | None = None,
    alone: bool = True,
) -> list:
    """One ranked chart per comparable group of ``kind`` under the filters ``f`` that two or more
    bodies report (``view.group_panels``, made once per filters and language: ``state.charted``);
    with ``alone``, the groups one body reports are listed beneath with their quotes
    (``singles``), never drawn as one-bar rankings. At most ``bars`` bars per chart and, when
    ``panels`` is given, charts for that many groups (the caption names the rest). Returns the
    charts' specs (for the image downloads)."""
    drawn, rest = state.charted(kind, f, key, bars, panels)
    if len(rest):
        names = "、".join(rest.comparable_label) if lang != "en" else ", ".join(rest.comparable_label)
        st.caption(t("more_groups", lang, n=len(rest), names=names))
    built = []
    for panel, chart in drawn:
        caption_rows(panel.rows, lang, bars)
        built.append(render(chart, panel.key))
        if "total_derived" in panel.frame and panel.frame.total_derived.any():
            st.caption("\\* " + t("total_derived_note", lang))
    if alone:
        singles(state.single_groups((kind,), f), lang)
    return built


def singles(rows: pd.DataFrame, lang: str) -> None:
    """The groups one body reports (``view.single_groups``): body, group, measure, value and
    quote, one line each."""
    if rows.empty:
        return
    with st.expander(f"{t('single_groups', lang)} · {len(rows)}"):
        st.caption(t("single_groups_intro", lang))
        show_table(rows, SINGLE_COLUMNS, lang)


def overview() -> None:
    lang = header("page_overview", "app_caption")
    f = state.filters()
    kinds = ("closures", "value_figures", "changes")
    state.prefetch(f, queries.kpis, queries.progress_tallies, *(pageview.QUERIES[kind] for kind in kinds))
    kpi = state.query(queries.kpis, f).iloc[0]
    if kpi.figures == 0:
        empty(pd.DataFrame(), lang)
        return
    tiles = pageview.kpi_tiles(kpi, lang)
    helps = [None] * (len(tiles) - 1) + [t("kpi_verified_help", lang)]
    for col, (label, value), help_text in zip(st.columns(len(tiles)), tiles, helps, strict=True):
        col.metric(label, value, help=help_text)
    progress_block(f, lang)
    st.subheader(t("headline_groups", lang))
    frames = {kind: state.labeled(pageview.QUERIES[kind], f) for kind in kinds}
    built = []
    for kind in kinds:
        built += comparable_panels(
            kind, f, lang, f"overview_{kind}", OVERVIEW_BARS, OVERVIEW_PANELS, alone=False
        )
    singles(state.single_groups(kinds, f), lang)
    if built:
        st.caption(t("click_hint", lang))
    everything = partial(pd.concat, list(frames.values()), ignore_index=True)  # on click
    downloads(everything, OVERVIEW_COLUMNS, built, t("page_overview", lang), lang, "overview")


def closure() -> None:
    lang, by = header_by("page_closure", "closure_intro")
    if by != "body":
        closure_groups(by, lang)
        return
    f = state.filters()
    df = state.labeled(queries.closures, f)
    if empty(df, lang):
        return
    built = comparable_panels("closures", f, lang, "closure")
    if built:
        st.caption(t("click_hint", lang))
    show_table(df, CLOSURE_COLUMNS, lang)
    downloads(df, CLOSURE_COLUMNS, built, t("page_closure", lang), lang, "closure")


def cases() -> None:
    lang, by = header_by("page_cases", "cases_intro")
    if by != "body":
        case_groups(by, lang)
        return
    f = state.filters()
    df = state.labeled(queries.cases, f)
    if empty(df, lang):
        return
    built = comparable_panels("cases", f, lang, "cases")
    if built:
        st.caption(t("click_hint", lang))
    show_table(df, VALUE_COLUMNS, lang)
    downloads(df, VALUE_COLUMNS, built, t("page_cases", lang), lang, "cases")


def reductions() -> None:
    lang, by = header_by("page_reductions", "reductions_intro")
    if by != "body":
        change_groups(by, lang)
        return
    f = state.filters()
    df = state.labeled(queries.changes, f)
    if empty(df, lang):
        return
    built = comparable_panels("changes", f, lang, "reductions")
    for panel in pageview.before_after_panels(df, lang, "reductions"):  # before → after, one group each
        built.append(draw(panel, lang, clickable=False))
    if built:
        st.caption(t("click_hint", lang))
    show_table(df, CHANGE_COLUMNS, lang)
    downloads(df, CHANGE_COLUMNS, built, t("page_reductions", lang), lang, "reductions")


# --- groups of bodies: the closure, cases and reductions pages compared by kind or region -------

# The header of the group column, by grouping.
GROUP_COLUMN = {"kind": "col_body_kind", "region": "col_region"}
CLOSURE_GROUP_COLUMNS = {
    "bodies": "col_bodies",
    "measures": "col_measures",
    "rated_measures": "col_rated_measures",
    "total": "col_total",
    "closed": "col_closed",
    "partly_closed": "col_partly_closed",
    "in_progress": "col_in_progress",
    "status_not_reported": "col_status_not_reported",
    "closure_rate": "col_closure_rate",
    "total_derived": "col_total_derived",
    "approximate": "col_approximate",
    "counters": "col_counters",
}
CASE_GROUP_COLUMNS = {
    "value": "col_value",
    "counter": "col_counter",
    "approximate": "col_approximate",
    "bodies": "col_bodies",
    "measures": "col_measures",
}
CHANGE_GROUP_COLUMNS = {
    "bodies": "col_bodies",
    "measures": "col_measures",
    "pct_measures": "col_pct_measures",
    "change_pct_median": "col_change_median",
    "change_pct_min": "col_change_min",
    "change_pct_max": "col_change_max",
    "good": "col_good",
    "bad": "col_bad",
    "pairs": "col_pairs",
    "before": "col_before_sum",
    "after": "col_after_sum",
    "counter": "col_counter",
    "change_pct_of_sums": "col_change_of_sums",
    "approximate": "col_approximate",
}


def group_columns(by: str, columns: dict[str, str]) -> dict[str, str]:
    """Table columns of a grouped view: the comparable group, the group of bodies, then ``columns``."""
    return {"comparable_label": "col_group", "group_label": GROUP_COLUMN[by], **columns}


def show_group(
    builder: Callable, df: pd.DataFrame, title: str, key: str, by: str, subtitle: list[str]
) -> dict:
    """A grouped chart: clickable (to filter to a kind of body) only when grouped by kind."""
    return show(
        builder, df, title, key, clickable=by == "kind", pick=state.pick_kind, by=by, subtitle=tuple(subtitle)
    )


def group_footer(
    df: pd.DataFrame, columns: dict[str, str], built: list, page: str, by: str, lang: str, key: str
) -> None:
    """Under grouped charts: what a click does, the grouped table and its downloads."""
    st.caption(t("click_kind_hint" if by == "kind" else "region_not_clickable", lang))
    columns = group_columns(by, columns)
    show_table(df, columns, lang)
    title = f"{t(page, lang)}_{t('by_stem', lang, by=t(f'by_{by}', lang))}"
    downloads(df, columns, built, title, lang, key)


def closure_groups(by: str, lang: str) -> None:
    """Closure rates summed per group of bodies: one chart per comparable group and counter family
    (totals of different counters are never added)."""
    df = state.grouped(queries.closure_groups, state.filters(), by)
    if empty(df, lang):
        return
    df = labels.closure_groups(df, by, lang)
    built = []
    for (group_key, family), group in df.groupby(["group_key", "counter_family"], sort=True):
        rated = group[group.closure_rate.notna()]
        if rated.empty:
            continue
        title, subtitle = labels.group_panel_title(rated, lang)
        title += t("counted_in", lang, counters=rated.counters.iloc[0])
        key = f"closure_{by}_{group_key}_{family}"
        built.append(show_group(charts.closure_group_chart, rated, title, key, by, subtitle))
        if rated.total_derived.any():
            st.caption("\\* " + t("total_derived_note", lang))
    group_footer(df, CLOSURE_GROUP_COLUMNS, built, "page_closure", by, lang, "closure")


def case_groups(by: str, lang: str) -> None:
    """Counts summed per group of bodies, one chart per comparable group (with its counter family)."""
    df = state.grouped(queries.case_groups, state.filters(), by)
    if empty(df, lang):
        return
    df = labels.value_groups(df, by, lang)
    built = []
    for group_key, group in df.groupby("group_key", sort=False):
        title, subtitle = labels.group_panel_title(group, lang)
        built.append(
            show_group(charts.value_group_chart, group, title, f"cases_{by}_{group_key}", by, subtitle)
        )
    group_footer(df, CASE_GROUP_COLUMNS, built, "page_cases", by, lang, "cases")


def change_groups(by: str, lang: str) -> None:
    """Median percent change per group of bodies, one chart per comparable group."""
    df = state.grouped(queries.change_groups, state.filters(), by)
    if empty(df, lang):
        return
    df = labels.change_groups(df, by, lang)
    built = []
    for group_key, group in df.groupby("group_key", sort=True):
        if group.change_pct_median.isna().all():
            continue
        title, subtitle = labels.group_panel_title(group, lang)
        built.append(
            show_group(charts.change_group_chart, group, title, f"reductions_{by}_{group_key}", by, subtitle)
        )
    group_footer(df, CHANGE_GROUP_COLUMNS, built, "page_reductions", by, lang, "reductions")


def profile() -> None:
    lang = header("page_profile", "profile_intro")
    f = state.filters()
    bodies = state.unfiltered(queries.bodies)
    if f.bodies:
        bodies = bodies[bodies.body_id.isin(f.bodies)]
    if empty(bodies, lang):
        return
    names = state.names("profile")
    st.selectbox(
        t("profile_pick", lang), [names[b] for b in bodies.body_id], key="profile", bind="query-params"
    )
    body = (state.ids("profile") or tuple(bodies.body_id))[0]
    one = type(f)(bodies=(body,), as_of=f.as_of)
    figures = labels.values(state.query(queries.figures, one), lang).sort_values(
        ["measure_id", "as_of", "figure_id"]
    )
    figures["role_label"] = [role_name(r, lang) for r in figures.role]
    # Names, labels and quotes come from the data: shown as written (labels.plain), never as Markdown.
    st.subheader(labels.plain(names[body]))
    kind = figures.body_kind_label.iloc[0] if len(figures) else ""
    st.caption(f"{labels.plain(kind)} · {t('n_figures', lang, n=len(figures))}")
    history = state.query(queries.closure_history, one)
    chart = None
    if history.groupby("measure_id").as_of.nunique().max() > 1:
        chart = show(
            charts.trend_chart,
            labels.closures(history, lang),
            t("trend", lang),
            "profile_trend",
            clickable=False,
        )
    # The list shows each measure's latest report; earlier ones are in the trend and the download.
    latest = figures[figures.as_of == figures.groupby("measure_id").as_of.transform("max")]
    for theme, group in latest.groupby("theme_label", sort=False):
        theme = labels.plain(theme)
        with st.expander(
            f"{theme}（{len(group)}）" if lang == "zh" else f"{theme} ({len(group)})", expanded=True
        ):
            for r in group.itertuples():
                role = "" if r.role == "value" else f" · {labels.plain(r.role_label)}"
                period = f" · {labels.plain(r.period)}" if pd.notna(r.period) and r.period else ""
                st.markdown(
                    f"**{labels.plain(r.measure_label)}**{role}: **{labels.plain(r.value_label)}** · "
                    f"{labels.plain(r.as_of)}{period}\n\n> {labels.plain(r.evidence)}"
                )
    downloads(figures, FIGURE_COLUMNS, [chart] if chart else [], t("page_profile", lang), lang, "profile")


def figures() -> None:
    lang = header("page_figures")
    search = st.text_input(t("search", lang), key="q", bind="query-params").strip()
    df, total = state.search(state.filters(), search)
    df = labels.names(df, lang)
    df["role_label"] = [role_name(r, lang) for r in df.role]
    st.caption(t("n_figures", lang, n=total) + ("" if total == len(df) else t("first_rows", lang, n=len(df))))
    if empty(df, lang):
        return
    show_table(df, FIGURE_COLUMNS, lang, height=560)
    downloads(df, FIGURE_COLUMNS, [], t("page_figures", lang), lang, "figures")


def method() -> None:
    lang = header("page_method")
    st.markdown(t("method_text", lang))
    st.subheader(t("method_definitions", lang))
    definitions = pd.DataFrame(
        {
            t("col_column", lang): [t(k, lang) for k in DEFINITIONS],
            t("col_description", lang): [definition(k, lang) for k in DEFINITIONS],
        }
    )
    st.dataframe(definitions, hide_index=True, width="stretch")
    st.subheader(t("method_sources", lang))
    sources, total = (
        state.unfiltered(queries.sources),
        int(state.unfiltered(queries.source_count).sources.iloc[0]),
    )
    if total > len(sources):
        st.caption(t("sources_shown", lang, shown=len(sources), total=total))
    show_table(sources, SOURCE_COLUMNS, lang)
    st.subheader(t("method_caveats", lang))
    notes = labels.names(state.unfiltered(queries.notes), lang)
    show_table(
        notes,
        {
            "figure_id": "col_figure_id",
            "body_label": "col_body",
            "as_written": "col_as_written",
            "note": "col_note",
            "evidence": "col_evidence",
        },
        lang,
    )
    st.subheader(t("method_left_out", lang))
    left_out = state.unfiltered(queries.left_out)
    show_table(left_out, LEFT_OUT_COLUMNS, lang)
    downloads(left_out, LEFT_OUT_COLUMNS, [], t("page_method", lang), lang, "method")


# --- 进度: progress between reports (queries.progress, metrics/progress.py) ------------------------


def progress() -> None:
    """进度: lights per group and per kind of body, the ranked table with changes, who slipped,
    and small-multiple trends, all as of the sidebar's date."""
    lang = header("page_progress", "progress_intro")
    f = state.filters()
    state.prefetch(f, queries.progress_tallies, pageview.progress_shown)
    every = state.light_tallies(f, "all", lang)
    if empty(every, lang):
        return
    tally = every.iloc[0]
    day = f.as_of or date.today().isoformat()
    st.caption(t("progress_newest", lang, date=day, newest=str(tally.newest.date())))
    if tally.reported_twice == 0:
        st.info(t("progress_single_report", lang), icon=":material/info:")
    if tally.targeted == 0:
        st.caption(t("progress_no_targets", lang))
    with st.expander(t("progress_rules_title", lang)):
        st.markdown(t("progress_rules", lang, stale=STALE_DAYS))
    light_tiles(tally, lang)
    built = []
    for by, title in pageview.TALLIES:
        rows, chart = state.lights_chart(f, by, t(title, lang))
        if chart is None:
            continue
        caption_rows(rows, lang)
        built.append(render(chart, f"progress_lights_{by}", clickable=False))
    st.subheader(t("progress_table", lang))
    order = st.radio(
        t("progress_sort", lang),
        ("rank", "change"),
        format_func=lambda o: t(f"sort_{o}", lang),
        key="sort",
        horizontal=True,
        bind="query-params",
    )
    rows = state.progress_rows(f)
    place = f"{order}_pos"
    ranked = pageview.progress_list(rows, place, TABLE_ROWS)
    show_table(ranked, PROGRESS_COLUMNS, lang, total=int(tally.measures), height=420)
    st.subheader(t("progress_slipped", lang))
    if tally.slipped == 0:
        st.caption(t("progress_none_slipped", lang))
    else:
        slipped = pageview.progress_list(rows, "slipped_pos", TABLE_ROWS)
        show_table(slipped, PROGRESS_COLUMNS, lang, total=int(tally.slipped))
    if trend := progress_trends(rows, f, lang):
        built.append(trend)
    everything = partial(state.progress_everything, f, place, lang)
    downloads(everything, PROGRESS_COLUMNS, built, t("page_progress", lang), lang, "progress")


def progress_block(f, lang: str) -> None:
    """总览's progress block: the lights and the slipped count, with a link to 进度."""
    tally = state.light_tallies(f, "all", lang)
    if tally.empty:
        return
    st.subheader(t("progress_block", lang))
    light_tiles(tally.iloc[0], lang)
    st.page_link("metrics/ui/pages/progress.py", label=t("progress_link", lang), icon=":material/traffic:")


def light_tiles(tally: pd.Series, lang: str) -> None:
    """How many measures have each light, and how many slipped (counts of measures only), from
    the tally of every measure in view."""
    tiles = [
        (t(f"light_{light}", lang), f":{LIGHT_MARK_COLOURS[light]}[{LIGHT_MARKS[light]}]", int(tally[light]))
        for light in LIGHT_MARKS
    ]
    tiles.append((t("kpi_slipped", lang), ":red[↓]", int(tally.slipped)))
    for col, (name, mark, n) in zip(st.columns(len(tiles)), tiles, strict=True):
        col.metric(f"{mark} {name}", format_number(n, lang))


def progress_trends(rows: pd.DataFrame, f, lang: str) -> dict | None:
    """Small multiples of the measures in view (``view.trend_measures``), with the events that
    concern them as dashed rules."""
    ids, which = pageview.trend_measures(rows)
    if not ids:
        return None
    st.subheader(t("progress_trends", lang))
    st.caption(t("progress_trends_caption", lang, shown=len(ids), which=t(which, lang)))
    history, chart = state.trends(ids, f)
    marked = history.dropna(subset=["event_label"]).drop_duplicates(["event_label", "event_date"])
    if len(marked):
        st.caption(t("progress_events_caption", lang, n=len(marked)))
    return render(chart, "progress_trends", clickable=False)
