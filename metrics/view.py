"""What a dashboard page shows for some filters, in one language, without Streamlit.

The pages (``metrics.ui.views``) and the printable briefing (``metrics.brief``) both read their
content from here: the same queries, the same comparable groups, the same labels. ``build``
gathers one page's view: its scope (the filters in force, by name), headline numbers, charts
(one ``Panel`` per comparable group), the key facts with their quotes, its table and the
sources it cites.
"""

from __future__ import annotations

import datetime
import itertools
import os
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from metrics import charts, labels, queries
from metrics.i18n import role_name, t
from metrics.ingest import close_name
from metrics.numbers import format_number, format_percent
from metrics.progress import STALE_DAYS
from metrics.queries import Filters

# --- the columns each page's table and downloads hold ----------------------------------------------

FIGURE_COLUMNS = {
    "figure_id": "col_figure_id",
    "body_label": "col_body",
    "body_kind_label": "col_body_kind",
    "theme_label": "col_theme",
    "indicator_label": "col_indicator",
    "measure_label": "col_measure",
    "role_label": "col_role",
    "value": "col_value",
    "counter": "col_counter",
    "qualifier": "col_qualifier",
    "as_written": "col_as_written",
    "as_of": "col_as_of",
    "period": "col_period",
    "source_id": "col_source",
    "evidence": "col_evidence",
}
CLOSURE_COLUMNS = {
    "body_label": "col_body",
    "comparable_label": "col_group",
    "rank_label": "col_rank",
    "indicator_label": "col_indicator",
    "measure_label": "col_measure",
    "total": "col_total",
    "closed": "col_closed",
    "partly_closed": "col_partly_closed",
    "in_progress": "col_in_progress",
    "status_not_reported": "col_status_not_reported",
    "closure_rate": "col_closure_rate",
    "total_derived": "col_total_derived",
    "counter": "col_counter",
    "as_of": "col_as_of",
    "caveat_label": "col_caveat",
    "evidence": "col_evidence",
}
VALUE_COLUMNS = {
    "body_label": "col_body",
    "comparable_label": "col_group",
    "rank_label": "col_rank",
    "theme_label": "col_theme",
    "indicator_label": "col_indicator",
    "measure_label": "col_measure",
    "value": "col_value",
    "counter": "col_counter",
    "qualifier": "col_qualifier",
    "as_written": "col_as_written",
    "as_of": "col_as_of",
    "caveat_label": "col_caveat",
    "evidence": "col_evidence",
}
CHANGE_COLUMNS = {
    "body_label": "col_body",
    "comparable_label": "col_group",
    "rank_label": "col_rank",
    "theme_label": "col_theme",
    "measure_label": "col_measure",
    "before": "col_before",
    "after": "col_after",
    "change_pct": "col_change_pct",
    "change_pp": "col_change_pp",
    "change_abs": "col_change_abs",
    "counter": "col_counter",
    "direction_text": "col_direction",
    "is_good": "col_is_good",
    "as_of": "col_as_of",
    "caveat_label": "col_caveat",
    "evidence": "col_evidence",
}
# The overview lists every row its three kinds of chart draw from: closures (with their counts),
# counts and changes (with before and after).
OVERVIEW_COLUMNS = {
    "body_label": "col_body",
    "comparable_label": "col_group",
    "rank_label": "col_rank",
    "theme_label": "col_theme",
    "measure_label": "col_measure",
    "total": "col_total",
    "closed": "col_closed",
    "closure_rate": "col_closure_rate",
    "before": "col_before",
    "after": "col_after",
    "change_pct": "col_change_pct",
    "value": "col_value",
    "counter": "col_counter",
    "qualifier": "col_qualifier",
    "as_of": "col_as_of",
    "caveat_label": "col_caveat",
    "evidence": "col_evidence",
}
# 进度's ranked table (queries.progress, labelled by labels.progress).
PROGRESS_COLUMNS = {
    "light_label": "col_light",
    "comparable_label": "col_group",
    "body_label": "col_body",
    "measure_label": "col_measure",
    "value_label": "col_value",
    "as_of": "col_as_of",
    "previous_label": "col_previous",
    "previous_as_of": "col_previous_as_of",
    "change_label": "col_change",
    "rank_label": "col_rank",
    "rank_change_label": "col_rank_change",
    "target_label": "col_target",
    "days_since": "col_days_since",
}
SOURCE_COLUMNS = {
    "source_id": "col_source",
    "title": "col_title",
    "publisher": "col_publisher",
    "published": "col_published",
    "reference": "col_reference",
    "sha256": "col_sha256",
    "note": "col_note",
}
# The sources sheet of a download: how a reader cites and finds each source (the id is what the
# data's source column holds).
SOURCE_SHEET_COLUMNS = {
    "source_id": "col_source",
    "title": "col_title",
    "publisher": "col_publisher",
    "published": "col_published",
    "reference": "col_reference",
    "note": "col_note",
}
# Columns of percentages: how many of their units make a whole (a closure rate is a fraction; a
# change is in percent). Spreadsheets show them as percentages (71.4%, -77.6%).
PERCENT_UNITS = {
    "col_closure_rate": 1,
    "col_change_pct": 100,
    "col_change_median": 100,
    "col_change_min": 100,
    "col_change_max": 100,
    "col_change_of_sums": 100,
}
LEFT_OUT_COLUMNS = {
    "as_written": "col_as_written",
    "reason": "col_reason",
    "note": "col_note",
    "evidence": "col_evidence",
}

# --- comparable groups: one chart per group that two or more bodies report -------------------------

# What a page draws and how it reads each group's rows: the chart builder, the labelling, the
# column a chart ranks by and the column that shows a row's figure.
PANELS = {
    "closures": (charts.closure_chart, labels.closures, "closure_rate", "closure_label"),
    "cases": (charts.value_chart, labels.values, "value", "value_label"),
    "value_figures": (charts.value_chart, labels.values, "value", "value_label"),
    "changes": (charts.change_chart, labels.changes, "group_rank", "change_label"),
}
# The query of each kind of figure the pages draw.
QUERIES = {
    "closures": queries.closures,
    "cases": queries.cases,
    "value_figures": queries.value_figures,
    "changes": queries.changes,
}
MAX_BARS = 30
# The overview's charts are small: at most this many bars, for the groups most bodies report.
OVERVIEW_BARS, OVERVIEW_PANELS = 10, 4
HEADLINE_FAMILIES = ("cases", "people", "clues")


@dataclass
class Panel:
    """One chart of a view: ``builder(frame, lang, title, **options)`` (a chart of
    ``metrics.charts``). ``rows`` is how many rows its group holds (the chart draws at most
    MAX_BARS of them)."""

    builder: Callable
    frame: pd.DataFrame
    title: str
    key: str
    options: dict = field(default_factory=dict)
    rows: int = 0

    def chart(self, lang: str) -> dict:
        """The chart's Vega-Lite spec."""
        return self.builder(self.frame, lang, self.title, **self.options)


def top_and_bottom(group: pd.DataFrame, by: str, bars: int = MAX_BARS) -> pd.DataFrame:
    """At most ``bars`` rows: the highest and the lowest by ``by``, so that a chart of thousands
    of bodies stays readable."""
    if len(group) <= bars:
        return group
    ordered = group[by].reset_index(drop=True).sort_values(ascending=False).index  # positions
    half = bars // 2
    return group.iloc[np.concatenate([ordered[:half], ordered[len(ordered) - half :]])]


def by_group(df: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """``df``'s rows per ``group_key``, in key order, each group's rows in ``df``'s order (as
    ``groupby("group_key")``), as slices of one sorted copy: a frame of many text columns costs
    a take per column for every row selection."""
    ordered = df.sort_values("group_key", kind="stable")
    keys = ordered.group_key.to_numpy()
    starts = [0, *(np.flatnonzero(keys[1:] != keys[:-1]) + 1), len(keys)] if len(keys) else [0]
    return [(keys[a], ordered.iloc[a:b]) for a, b in itertools.pairwise(starts)]


def charted_groups(df: pd.DataFrame, panels: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of the comparable groups that get a chart (two or more bodies report them; with
    ``panels``, only that many: those counting cases, people or clues first, then those most
    bodies report) and one row per shared group left without a chart."""
    is_shared = df.group_bodies >= 2
    shared = df[is_shared]
    if panels is None:
        return shared, shared.iloc[:0]
    # A group's reach: whether it counts cases, people or clues, then how many bodies report it
    # (group_bodies, the same on each of its rows); ties in group_key order.
    keys = df.loc[is_shared, ["group_key", "family", "group_bodies"]]
    headline = set(keys.group_key[keys.family.isin(HEADLINE_FAMILIES)])
    bodies = dict(zip(keys.group_key, keys.group_bodies, strict=True))
    reach = sorted(sorted(bodies), key=lambda group: (group not in headline, -bodies[group]))
    if len(reach) <= panels:
        return shared, shared.iloc[:0]
    rest = shared[shared.group_key.isin(reach[panels:])].drop_duplicates("group_key")
    return shared[shared.group_key.isin(reach[:panels])], rest


def group_panels(df: pd.DataFrame, kind: str, lang: str, key: str, bars: int = MAX_BARS) -> list[Panel]:
    """One ranked chart per comparable group in ``df``, titled with the group and kind of figure,
    its definition and its members' caveats under the title. The rows drawn (at most ``bars`` a
    group) are labelled together: labelling costs the same for a few rows as for many."""
    builder, label, rank_by, _ = PANELS[kind]
    groups = by_group(df)
    if not groups:
        return []
    parts = [top_and_bottom(group, rank_by, bars) for _, group in groups]
    drawn = label(pd.concat(parts), lang)
    built, start = [], 0
    for (group_key, group), part in zip(groups, parts, strict=True):
        shown, start = drawn.iloc[start : start + len(part)], start + len(part)
        title, subtitle = labels.panel_title(shown, lang)
        options = {"subtitle": tuple(subtitle)}
        built.append(Panel(builder, shown, title, f"{key}_{group_key}", options, len(group)))
    return built


def single_groups(frames: dict[str, pd.DataFrame], lang: str) -> pd.DataFrame:
    """The rows of the comparable groups one body reports in ``frames`` (kind -> rows labelled by
    ``labels.names``), labelled as their kind's charts label them (``PANELS``), with ``shown``
    (the value as the chart shows it), by kind of body, body and group."""
    parts = []
    for kind, df in frames.items():
        _, label, _, shown = PANELS[kind]
        alone = df[df.group_bodies < 2]
        if len(alone):
            parts.append(label(alone, lang).assign(shown=lambda d, c=shown: d[c]))
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts).sort_values(["body_kind_order", "body_id", "group_key"], kind="stable")


def before_after_panels(df: pd.DataFrame, lang: str, key: str) -> list[Panel]:
    """Before → after of the shared change groups whose measures report both values."""
    pairs = df[df.group_bodies >= 2].dropna(subset=["before", "after"])
    built = []
    for group_key, group in pairs.groupby("group_key", sort=True):
        shown = labels.changes(top_and_bottom(group, "change_pct"), lang)
        title = f"{labels.panel_title(shown, lang)[0]} · {t('before_after', lang)}"
        built.append(Panel(charts.dumbbell_chart, shown, title, f"{key}_pairs_{group_key}", rows=len(group)))
    return built


# --- the filters by name ---------------------------------------------------------------------------

# Filter -> (catalogue query, id column, names looked up (any language), label key).
CATALOGUE = {
    "body_kinds": (queries.body_kinds, "body_kind", ("name_zh", "name_en"), "filter_kind"),
    "bodies": (queries.bodies, "body_id", ("short_zh", "name_zh", "short_en", "name_en"), "filter_body"),
    "themes": (queries.themes, "theme_id", ("name_zh", "name_en"), "filter_theme"),
    "indicators": (queries.indicators, "indicator_id", ("name_zh", "name_en"), "filter_indicator"),
}
# The URL parameter of each filter (metrics.ui.state.NAMED) and the name column it holds.
URL_KEYS = {"body_kinds": "kind", "bodies": "body", "themes": "theme", "indicators": "indicator"}
URL_NAMES = {"body_kinds": "name", "bodies": "short", "themes": "name", "indicators": "name"}


class UnknownName(ValueError):
    """A filter value that is neither an id nor a name of the catalogue."""


def resolve(con, wanted: dict[str, list[str]]) -> Filters:
    """Filters from ids or names in either language (``{"bodies": ["天津", "inner_mongolia"]}``);
    an unknown value raises UnknownName, with the closest name when one is close."""
    chosen = {}
    for what, values in wanted.items():
        query, id_column, name_columns, _ = CATALOGUE[what]
        frame = query(con)
        known = {str(n): i for c in name_columns for n, i in zip(frame[c], frame[id_column]) if n}
        known.update({i: i for i in frame[id_column]})
        for value in values:
            if value not in known:
                close = close_name(value, known)
                hint = f" (did you mean {close!r}?)" if close else ""
                raise UnknownName(f"unknown {URL_KEYS[what]} {value!r}{hint}")
        chosen[what] = tuple(dict.fromkeys(known[v] for v in values))
    return Filters(**chosen)


def filter_names(con, filters: Filters, lang: str, column: str = "short") -> dict[str, list[str]]:
    """The names of the chosen ids of each filter in force, in ``lang``: bodies by their short
    name (as in the sidebar and the URL), the others by their name."""
    out = {}
    for what, (query, id_column, _, _) in CATALOGUE.items():
        ids = getattr(filters, what)
        if not ids:
            continue
        frame = query(con).set_index(id_column)
        stem = URL_NAMES[what] if column == "short" else "name"
        suffix = "en" if lang == "en" else "zh"
        out[what] = [str(frame.at[i, f"{stem}_{suffix}"]) if i in frame.index else i for i in ids]
    return out


def scope_text(names: dict[str, list[str]], lang: str, as_of: str | None = None) -> str:
    """'单位：天津、内蒙古；主题：为民服务解难题' ('全部' when nothing is filtered), and with
    ``as_of`` the date the data is shown as it stood at ('…；截至：2020-06-01')."""
    sep, colon, join = ("; ", ": ", ", ") if lang == "en" else ("；", "：", "、")
    parts = [f"{t(CATALOGUE[w][3], lang)}{colon}{join.join(n)}" for w, n in names.items()]
    if not parts:
        parts = [t("filter_all", lang)]
    if as_of:
        parts.append(f"{t('as_of', lang)}{colon}{as_of}")
    return sep.join(parts)


UNSAFE_FILE_CHARS = re.compile(r'[\\/:*?"<>|\s]+')
NAMES_PER_FILTER = 3  # names a file name spells out per filter; the rest are counted


def file_stem(title: str, names: dict[str, list[str]], lang: str, limit: int = 120) -> str:
    """A download's file name without extension: the view's title and every filter in force,
    at most NAMES_PER_FILTER names each ('整改完成率_天津市委_内蒙古自治区党委_为民服务解难题';
    '数据明细_天津_上海_水利部_等5个单位'); '全部' (All) when nothing is filtered."""
    parts = [title]
    for what, values in names.items():
        parts += values[:NAMES_PER_FILTER]
        if len(values) > NAMES_PER_FILTER:
            rest, noun = len(values) - NAMES_PER_FILTER, t(CATALOGUE[what][3], lang)
            parts.append(f"and_{rest}_more" if lang == "en" else f"等{len(values)}个{noun}")
    if not names:
        parts.append(t("filter_all", lang))
    return UNSAFE_FILE_CHARS.sub("_", "_".join(parts)).strip("_")[:limit]


def public_url() -> str:
    """Where readers open the dashboard: ``$METRICS_PUBLIC_URL`` or http://localhost:8501."""
    return (os.environ.get("METRICS_PUBLIC_URL") or "http://localhost:8501").rstrip("/")


def link(base: str, page: str, names: dict[str, list[str]], lang: str, as_of: str | None = None) -> str:
    """The URL that reopens the view (names as the sidebar writes them into the URL; the as-of
    date as ``?as_of=YYYY-MM-DD``)."""
    params = [("lang", "English")] if lang == "en" else []
    params += [(URL_KEYS[w], n) for w, values in names.items() for n in values]
    params += [("as_of", as_of)] if as_of else []
    query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    return f"{base.rstrip('/')}/{page}" + (f"?{query}" if query else "")


# --- sources --------------------------------------------------------------------------------------


def cited_ids(frame: pd.DataFrame) -> tuple[str, ...]:
    """The source ids a view's rows cite (a row joins several with ', ')."""
    if "source_id" not in frame:
        return ()
    return tuple(sorted({i for cell in frame.source_id.dropna() for i in str(cell).split(", ") if i}))


def public_reference(reference, file_name) -> str:
    """A reference a reader can follow: empty where the catalogue records only where the text is
    kept on this machine (its file name or a path ending in it)."""
    if not isinstance(reference, str) or not reference:
        return ""
    if (
        isinstance(file_name, str)
        and file_name
        and (reference == file_name or reference.endswith("/" + file_name))
    ):
        return ""
    return reference


def readable_sources(sources: pd.DataFrame) -> pd.DataFrame:
    """Sources as a reader cites them: no internal paths among the references."""
    out = sources.copy()
    out["reference"] = [public_reference(r, f) for r, f in zip(out.reference, out.file_name, strict=True)]
    return out


def citation(source, lang: str) -> str:
    """'刀刃向内找问题 有的放矢抓整改，编者（摘编），2019' — title, publisher, date (and reference)."""
    parts = [
        source.title,
        source.publisher,
        source.published,
        public_reference(source.reference, source.file_name),
    ]
    text = [" ".join(str(p).split()) for p in parts if isinstance(p, str) and p.strip()]
    return (", " if lang == "en" else "，").join(text)


# --- a view ------------------------------------------------------------------------------------------

PAGES = ("overview", "closure", "cases", "reductions", "progress", "profile", "figures", "method")
# The query of each chart page and the table it lists.
PAGE_DATA = {
    "closure": ("closures", CLOSURE_COLUMNS),
    "cases": ("cases", VALUE_COLUMNS),
    "reductions": ("changes", CHANGE_COLUMNS),
}


@dataclass
class View:
    """Everything one page shows for ``filters`` in ``lang``, ready to print or pack."""

    page: str
    lang: str
    filters: Filters
    title: str
    scope: str
    link: str
    generated: str
    latest_as_of: str
    kpis: list[tuple[str, str]]
    panels: list[Panel]
    facts: pd.DataFrame  # body_label, measure_label, shown, as_of, period, evidence, source_id
    data: pd.DataFrame  # the page's rows (labelled)
    columns: dict[str, str]
    sources: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def source_lines(self) -> list[str]:
        return [citation(s, self.lang) for s in self.sources.itertuples()]

    @property
    def caption(self) -> tuple[str, tuple[str, ...]]:
        """Heading and footer of the view's chart images (``image_caption``)."""
        lines = self.source_lines
        return image_caption(
            self.title, self.scope, lines, self.latest_as_of, self.generated, self.link, self.lang
        )


def image_caption(
    title: str, scope: str, source_lines: list[str], latest: str, generated: str, link: str, lang: str
) -> tuple[str, tuple[str, ...]]:
    """The heading and the footer lines of an exported chart image: the view and its filters
    above; the sources (title, publisher, date), the latest as-of date, the generation date and
    the link that reopens the view below."""
    sep = "; " if lang == "en" else "；"
    shown = source_lines[:3] + ([f"… (+{len(source_lines) - 3})"] if len(source_lines) > 3 else [])
    footer = [t("image_source", lang, sources=sep.join(shown))] if source_lines else []
    footer.append(
        t("image_generated", lang, latest=latest, generated=generated, link=urllib.parse.unquote(link))
    )
    return f"{title} · {scope}", tuple(footer)


def kpi_tiles(kpi, lang: str) -> list[tuple[str, str]]:
    """The overview's headline numbers: (label, value) pairs."""
    return [
        (t("kpi_bodies", lang), format_number(kpi.bodies, lang)),
        (t("kpi_figures", lang), format_number(kpi.figures, lang)),
        (t("kpi_sources", lang), format_number(kpi.sources, lang)),
        (t("kpi_groups", lang), format_number(kpi.groups, lang)),
        (t("kpi_latest", lang), str(kpi.latest_as_of or "–")),
        (t("kpi_verified", lang), format_percent(kpi.verified_share, lang)),
    ]


def _facts(frame: pd.DataFrame, kind: str, lang: str) -> pd.DataFrame:
    """Every row of ``frame`` with ``shown``, its figure as the page shows it."""
    _, label, _, shown = PANELS[kind]
    if frame.empty:  # labelling an empty frame is not needed (and not supported)
        return frame.assign(shown="", period="", role_label="")
    out = label(frame, lang)
    out = out.assign(shown=out[shown])
    for column in ("period", "role_label"):
        if column not in out:
            out[column] = ""
    return out


def _page_rows(con, page: str, filters: Filters, lang: str):
    """(panels, facts, data, columns, notes) of one page."""
    if page in PAGE_DATA:
        kind, columns = PAGE_DATA[page]
        df = labels.names(QUERIES[kind](con, filters), lang)
        panels = group_panels(charted_groups(df)[0], kind, lang, page)
        if kind == "changes":
            panels += before_after_panels(df, lang, page)
        return panels, _facts(df, kind, lang), df, columns, []
    if page == "overview":
        panels, facts, frames, notes = [], [], [], []
        for kind in ("closures", "value_figures", "changes"):
            df = labels.names(QUERIES[kind](con, filters), lang)
            drawn, rest = charted_groups(df, OVERVIEW_PANELS)
            panels += group_panels(drawn, kind, lang, f"overview_{kind}", OVERVIEW_BARS)
            if len(rest):
                names = ", ".join(rest.comparable_label) if lang == "en" else "、".join(rest.comparable_label)
                notes.append(t("more_groups", lang, n=len(rest), names=names))
            facts.append(_facts(df, kind, lang))
            frames.append(df)
        return (
            panels,
            pd.concat(facts, ignore_index=True),
            pd.concat(frames, ignore_index=True),
            OVERVIEW_COLUMNS,
            notes,
        )
    if page == "figures":  # the rows the page lists: the first of them, never millions
        found, total = queries.search_figures(con, filters)
        df = labels.names(found, lang)
        df["role_label"] = [role_name(r, lang) for r in df.role]
        notes = [] if total == len(df) else [t("n_figures", lang, n=total) + t("first_rows", lang, n=len(df))]
        return [], _facts(df, "value_figures", lang), df, FIGURE_COLUMNS, notes
    if page == "profile":
        bodies = queries.bodies(con)
        chosen = [b for b in bodies.body_id if not filters.bodies or b in filters.bodies][:1]
        filters = Filters(bodies=tuple(chosen), as_of=filters.as_of)
        df = labels.names(queries.figures(con, filters), lang)
        df["role_label"] = [role_name(r, lang) for r in df.role]
        panels = []
        history = queries.closure_history(con, filters)
        if len(history) and history.groupby("measure_id").as_of.nunique().max() > 1:
            panels.append(
                Panel(charts.trend_chart, labels.closures(history, lang), t("trend", lang), "profile_trend")
            )
        return panels, _facts(df, "value_figures", lang), df, FIGURE_COLUMNS, []
    if page == "progress":
        return _progress_rows(con, filters, lang)
    if page == "method":
        df = queries.left_out(con)
        return [], df.iloc[:0].assign(shown=[]), df, LEFT_OUT_COLUMNS, []
    raise ValueError(f"unknown page {page!r}: use one of {', '.join(PAGES)}")


# --- 进度: progress between reports (metrics/progress.py) ----------------------------------------

TREND_PANELS = 12  # small multiples drawn at most
TALLIES = (("group", "progress_by_group"), ("kind", "progress_by_kind"))
TABLE_ROWS = 2000  # rows of a table sent to the browser (a download holds every row)


def progress_rows(con, filters: Filters, limit: int | None = None) -> pd.DataFrame:
    """The standing of the measures in view (``queries.progress``) with their places in 进度's
    lists; with ``limit``, only the rows those lists show (``limit`` each, the trends'
    TREND_PANELS)."""
    return queries.progress(con, filters, limit=limit, trends=TREND_PANELS)


def progress_shown(con, filters: Filters) -> pd.DataFrame:
    """The rows 进度 shows: ``progress_rows`` with at most TABLE_ROWS in each list."""
    return progress_rows(con, filters, TABLE_ROWS)


def progress_list(rows: pd.DataFrame, place: str, limit: int | None = None) -> pd.DataFrame:
    """The rows of one of 进度's lists in its order (``place``: a column of
    ``queries.PROGRESS_LISTS``), at most ``limit`` of them."""
    placed = rows[rows[place].notna()] if limit is None else rows[rows[place] <= limit]
    return placed.sort_values(place)


def light_tallies(tallies: pd.DataFrame, by: str, lang: str) -> pd.DataFrame:
    """One tally of ``queries.progress_tallies`` (per comparable group, only the groups with a
    light to show: a target, or a body not reporting; per kind of body; or of all), labelled."""
    tally = labels.light_tallies(queries.of_tally(tallies, by), by, lang)
    return tally[tally.measures > tally.no_target] if by == "group" else tally


def trend_measures(rows: pd.DataFrame) -> tuple[tuple[str, ...], str]:
    """The measures whose trends are drawn (``progress_list`` "trend_pos": the chosen bodies',
    else those that slipped most, else the top of each group; only those with two or more
    reports) and the text key saying which."""
    picked = progress_list(rows, "trend_pos")
    return tuple(picked.measure_id), (picked.trend_which.iloc[0] if len(picked) else "")


def trend_reports(con, ids: tuple[str, ...], filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reports of the measures ``ids`` up to the as-of date and the events that concern them
    (``queries.progress_trends``, ``queries.progress_events``)."""
    return queries.progress_trends(con, list(ids), filters), queries.progress_events(con, list(ids), filters)


def trend_history(reports: tuple[pd.DataFrame, pd.DataFrame], lang: str) -> pd.DataFrame:
    """The small multiples' data: ``trend_reports`` labelled (``labels.progress_history``)."""
    trends, events = reports
    return labels.progress_history(trends, lang, events)


def light_counts(tally: pd.Series, lang: str) -> list[tuple[str, str]]:
    """How many measures have each light, and how many slipped: (label, count) pairs, from the
    tally of every measure in view (``queries.progress_lights(..., "all")``)."""
    tiles = [
        (f"{labels.LIGHT_MARKS[light]} {t(f'light_{light}', lang)}", format_number(int(tally[light]), lang))
        for light in labels.LIGHT_MARKS
    ]
    return tiles + [(f"↓ {t('kpi_slipped', lang)}", format_number(int(tally.slipped), lang))]


def _no_facts(df: pd.DataFrame) -> pd.DataFrame:
    """No key facts, with the columns facts have (a page whose numbers are all derived)."""
    return df.iloc[:0].assign(
        body_label="",
        measure_label="",
        shown="",
        as_of="",
        period="",
        evidence="",
        source_id="",
        role_label="",
    )


def _progress_rows(con, filters: Filters, lang: str):
    """(panels, facts, data, columns, notes) of 进度: the light tallies and the trends as charts,
    the ranked table as data (its numbers are derived: no quotes to list as facts)."""
    rows = progress_rows(con, filters)
    if rows.empty:
        return [], _no_facts(rows), rows, PROGRESS_COLUMNS, []
    df = labels.progress(progress_list(rows, "rank_pos"), lang)
    tallies = queries.progress_tallies(con, filters)
    panels = []
    for by, title in TALLIES:
        tally = light_tallies(tallies, by, lang)
        if len(tally):
            panels.append(
                Panel(charts.lights_chart, tally, t(title, lang), f"progress_lights_{by}", rows=len(tally))
            )
    ids, which = trend_measures(rows)
    if ids:
        title = f"{t('progress_trends', lang)} · {t(which, lang)}"
        panels.append(
            Panel(
                charts.progress_trends_chart,
                trend_history(trend_reports(con, ids, filters), lang),
                title,
                "progress_trends",
            )
        )
    every = queries.of_tally(tallies, "all").iloc[0]
    notes = [t("progress_single_report", lang)] if every.reported_twice == 0 else []
    notes += [t("progress_no_targets", lang)] if every.targeted == 0 else []
    notes.append(t("progress_rules_brief", lang, stale=STALE_DAYS))
    return panels, _no_facts(df), df, PROGRESS_COLUMNS, notes


def build(con, page: str, filters: Filters, lang: str, base_url: str | None = None) -> View:
    """The view of ``page`` for ``filters`` in ``lang`` (zh or en)."""
    if lang not in ("zh", "en"):
        raise ValueError(f"unknown language {lang!r}: use zh or en")
    panels, facts, data, columns, notes = _page_rows(con, page, filters, lang)
    names = filter_names(con, filters, lang)
    kpi = queries.kpis(con, filters).iloc[0]
    tiles = kpi_tiles(kpi, lang) if kpi.figures else []
    if page == "progress" and len(data):
        tiles = light_counts(queries.progress_lights(con, filters, "all").iloc[0], lang)
    return View(
        page=page,
        lang=lang,
        filters=filters,
        title=t(f"page_{page}", lang),
        scope=scope_text(names, lang, filters.as_of),
        link=link(base_url or public_url(), page, names, lang, filters.as_of),
        generated=datetime.date.today().isoformat(),
        latest_as_of=str(kpi.latest_as_of) if kpi.figures else "–",
        kpis=tiles,
        panels=panels,
        facts=facts,
        data=data,
        columns=columns,
        sources=queries.cited_sources(con, list(cited_ids(data))),
        notes=notes,
    )
