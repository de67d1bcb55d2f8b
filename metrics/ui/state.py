"""Connection, cached queries, language and the sidebar filters (bound to the URL).

The database file may be swapped for a new build while the app runs: the
connection is cached per (path, inode, mtime), so a new file is picked up on
the next rerun and readers never see a half-written one.
"""

from __future__ import annotations

import functools
import os
import threading
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from types import FunctionType

import pandas as pd
import pyarrow as pa
import streamlit as st
from streamlit import dataframe_util
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from metrics import charts, labels, paths, queries, view
from metrics.i18n import LANG_NAMES, LANGS, t
from metrics.queries import Filters
from metrics.store import Store


def db_stamp() -> tuple[str, int, int]:
    """Identity of the current database file: path, inode and modification time."""
    path = paths.default_db()
    stat = path.stat()
    return str(path), stat.st_ino, stat.st_mtime_ns


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(stamp: tuple[str, int, int]):
    return Store(Path(stamp[0])).connect()


def _named(function: Callable) -> str:
    """How a cache keys a query or chart builder passed to it: its module and name."""
    return f"{function.__module__}.{function.__qualname__}"


# The cached functions take the query (chart builder) itself: a misspelt one fails where it is
# named, and every query is seen as used. Streamlit keys a function argument by ``_named``.
cache_data = partial(st.cache_data, show_spinner=False, hash_funcs={FunctionType: _named})
# Query results are shared by every session and rerun, not copied for each: a hit costs nothing,
# where unpickling a copy of a national table costs tens of milliseconds a rerun. What they return
# is never changed in place (pages derive new frames: labels.*, .assign, [...]); pandas'
# copy-on-write keeps a derived frame's changes off the shared one.
shared = partial(st.cache_resource, show_spinner=False, hash_funcs={FunctionType: _named})


@shared(max_entries=1024)
def _query(function: Callable, filters: Filters, stamp: tuple[str, int, int]) -> pd.DataFrame:
    return function(_connection(stamp).cursor(), filters)


@shared(max_entries=64)
def _table(function: Callable, stamp: tuple[str, int, int]) -> pd.DataFrame:
    return function(_connection(stamp).cursor())


# Workers that run a page's independent queries at once (``prefetch``).
_PREFETCH = ThreadPoolExecutor(max_workers=4, thread_name_prefix="prefetch")


def prefetch(filters: Filters, *functions: Callable) -> None:
    """Start ``query(function, filters)`` for each of ``functions`` on worker threads and return
    at once: a page that needs several independent queries has DuckDB run them together (it
    does not hold Python's lock while it works) while the page draws what it already has. The
    page's own ``query`` and ``labeled`` calls then take the results, or wait for the one
    computation running (the cache computes each key once)."""
    stamp, ctx = db_stamp(), get_script_run_ctx()
    for function in functions:
        _PREFETCH.submit(_in_context, ctx, _query, function, filters, stamp)


def _in_context(ctx, work: Callable, *args) -> None:
    """``work(*args)`` on a worker thread, as part of the script run ``ctx``."""
    add_script_run_ctx(threading.current_thread(), ctx)
    try:
        work(*args)
    finally:
        add_script_run_ctx(threading.current_thread(), None)


def query(function: Callable, filters: Filters = queries.NO_FILTERS) -> pd.DataFrame:
    """Result of ``function(con, filters)`` (a function of ``metrics.queries``), cached per
    filters and database file."""
    return _query(function, filters, db_stamp())


@shared(max_entries=256)
def _labeled(function: Callable, filters: Filters, lang_: str, stamp: tuple[str, int, int]) -> pd.DataFrame:
    return labels.names(_query(function, filters, stamp), lang_)


def labeled(function: Callable, filters: Filters) -> pd.DataFrame:
    """``query(function, filters)`` with its names in the current language (``labels.names``), cached.
    Numbers are formatted (``labels.closures`` …) only for the rows a chart shows: at thousands
    of bodies, formatting every row costs more than the query."""
    return _labeled(function, filters, lang(), db_stamp())


@dataclass(frozen=True)
class Chart:
    """A chart made once for every session: ``spec`` (Vega-Lite, its rows in ``datasets``: what
    the image downloads export) and ``wire``, the same with each dataset already as the Arrow
    IPC bytes Streamlit sends (it converts the rows of a spec on every rerun, and passes bytes on
    as they are): draw ``wire``, export ``spec``."""

    spec: dict
    wire: dict

    @classmethod
    def of(cls, spec: dict) -> Chart:
        datasets = spec.get("datasets", {})
        wire = {name: _arrow_bytes(rows) for name, rows in datasets.items()}
        return cls(spec, {**spec, "datasets": wire} if datasets else spec)


def _arrow_bytes(rows: list[dict]) -> bytes:
    """A dataset's rows as Streamlit's Arrow IPC bytes, made straight from the rows (a tenth of
    the time of Streamlit's way through a DataFrame, with the same values); rows Arrow cannot
    type by column go Streamlit's way."""
    try:
        table = pa.Table.from_pylist(rows)
    except dataframe_util.get_arrow_conversion_errors():
        return dataframe_util.convert_anything_to_arrow_bytes(rows)
    return dataframe_util.convert_arrow_table_to_arrow_bytes(table)


@shared(max_entries=256)
def _charted(
    kind: str,
    filters: Filters,
    lang_: str,
    key: str,
    bars: int,
    panels: int | None,
    stamp: tuple[str, int, int],
) -> tuple[list[tuple[view.Panel, Chart]], pd.DataFrame]:
    df = _labeled(view.QUERIES[kind], filters, lang_, stamp)
    drawn, rest = view.charted_groups(df, panels)
    return [(p, Chart.of(p.chart(lang_))) for p in view.group_panels(drawn, kind, lang_, key, bars)], rest


def charted(kind: str, filters: Filters, key: str, bars: int, panels: int | None):
    """The charts of the comparable groups of ``kind`` (a key of ``view.QUERIES``) that two or
    more bodies report, as ``view.charted_groups`` and ``view.group_panels`` make them, each with
    its ``Chart``, and the shared groups left without a chart. Made once per filters,
    language and database file for every session and rerun (keyed by what the data comes from,
    not by hashing it): shared, so never change what it returns."""
    return _charted(kind, filters, lang(), key, bars, panels, db_stamp())


@shared(max_entries=256)
def _single_groups(
    kinds: tuple[str, ...], filters: Filters, lang_: str, stamp: tuple[str, int, int]
) -> pd.DataFrame:
    return view.single_groups(
        {kind: _labeled(view.QUERIES[kind], filters, lang_, stamp) for kind in kinds}, lang_
    )


def single_groups(kinds: tuple[str, ...], filters: Filters) -> pd.DataFrame:
    """The groups of ``kinds`` one body reports, labelled (``view.single_groups``); shared like
    ``charted``."""
    return _single_groups(kinds, filters, lang(), db_stamp())


@shared(max_entries=64)
def _progress_rows(filters: Filters, lang_: str, stamp: tuple[str, int, int]) -> pd.DataFrame:
    return labels.progress(_query(view.progress_shown, filters, stamp), lang_)


def progress_rows(filters: Filters) -> pd.DataFrame:
    """The rows 进度's lists show for ``filters`` (``view.progress_shown``; queried once for
    every language), labelled in the current language (``labels.progress``); shared like
    ``charted``."""
    return _progress_rows(filters, lang(), db_stamp())


def progress_everything(filters: Filters, place: str, lang_: str) -> pd.DataFrame:
    """Every measure in view in the order of one of 进度's lists, labelled in ``lang_``: a
    download's rows (made when it is clicked, never cached)."""
    rows = view.progress_rows(_connection(db_stamp()).cursor(), filters)
    return labels.progress(view.progress_list(rows, place), lang_)


@shared(max_entries=256)
def _grouped(function: Callable, filters: Filters, by: str, stamp: tuple[str, int, int]) -> pd.DataFrame:
    return function(_connection(stamp).cursor(), filters, by)


def grouped(function: Callable, filters: Filters, by: str) -> pd.DataFrame:
    """Result of ``function(con, filters, by)`` (queries.closure_groups, case_groups,
    change_groups), cached per filters, grouping and database file."""
    return _grouped(function, filters, by, db_stamp())


@shared(max_entries=64)
def _cited(source_ids: tuple[str, ...], stamp: tuple[str, int, int]) -> pd.DataFrame:
    return queries.cited_sources(_connection(stamp).cursor(), list(source_ids))


def cited_sources(source_ids: tuple[str, ...]) -> pd.DataFrame:
    """The sources of ``source_ids`` (cached)."""
    return _cited(source_ids, db_stamp())


@shared(max_entries=256)
def _search(filters: Filters, text: str, stamp: tuple[str, int, int]) -> tuple[pd.DataFrame, int]:
    return queries.search_figures(_connection(stamp).cursor(), filters, text)


def search(filters: Filters, text: str) -> tuple[pd.DataFrame, int]:
    """The first figures matching ``filters`` and ``text``, and how many match in all (cached)."""
    return _search(filters, text, db_stamp())


@shared(max_entries=64)
def _trend_reports(
    measure_ids: tuple[str, ...], filters: Filters, stamp: tuple[str, int, int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    return view.trend_reports(_connection(stamp).cursor(), measure_ids, filters)


@shared(max_entries=64)
def _trends(
    measure_ids: tuple[str, ...], filters: Filters, lang_: str, stamp: tuple[str, int, int]
) -> tuple[pd.DataFrame, Chart]:
    history = view.trend_history(_trend_reports(measure_ids, filters, stamp), lang_)
    return history, Chart.of(charts.progress_trends_chart(history, lang_, ""))


def trends(measure_ids: tuple[str, ...], filters: Filters) -> tuple[pd.DataFrame, Chart]:
    """Every report of the given measures up to ``filters.as_of``, with the events that concern
    them, labelled in the current language (``view.trend_history``), and their small multiples
    (a ``Chart``); shared like ``charted``."""
    return _trends(measure_ids, filters, lang(), db_stamp())


@shared(max_entries=64)
def _light_tallies(filters: Filters, by: str, lang_: str, stamp: tuple[str, int, int]) -> pd.DataFrame:
    return view.light_tallies(_query(queries.progress_tallies, filters, stamp), by, lang_)


def light_tallies(filters: Filters, by: str, lang_: str) -> pd.DataFrame:
    """The lights per group, per kind of body or of all, labelled (``view.light_tallies``; every
    tally from one cached query)."""
    return _light_tallies(filters, by, lang_, db_stamp())


@shared(max_entries=256)
def _lights_chart(
    filters: Filters, by: str, lang_: str, title: str, stamp: tuple[str, int, int]
) -> tuple[int, Chart | None]:
    tallies = _light_tallies(filters, by, lang_, stamp)
    if tallies.empty:
        return 0, None
    shown = view.top_and_bottom(tallies.assign(order=tallies.red * 1000 + tallies.yellow), "order")
    return len(tallies), Chart.of(charts.lights_chart(shown, lang_, title))


def lights_chart(filters: Filters, by: str, title: str) -> tuple[int, Chart | None]:
    """How many rows the tally ``by`` has and its chart (a ``Chart`` of ``charts.lights_chart``,
    titled ``title``: the rows with the most red and yellow lights, at most ``view.MAX_BARS``),
    None without rows; shared like ``charted``."""
    return _lights_chart(filters, by, lang(), title, db_stamp())


def unfiltered(function: Callable) -> pd.DataFrame:
    """Result of the unfiltered ``function(con)`` (queries.bodies, themes, sources...), cached."""
    return _table(function, db_stamp())


@cache_data(max_entries=1024)
def chart_spec(builder: Callable, df: pd.DataFrame, lang_: str, title: str, **options) -> dict:
    """Vega-Lite spec of ``builder(df, lang, title, **options)`` (a function of ``metrics.charts``),
    cached per data, language, title and options. The chart tests validate every builder's spec."""
    return builder(df, lang_, title, **options)


@cache_data(max_entries=16)
def _brief(page: str, filters: Filters, lang_: str, base_url: str, stamp: tuple[str, int, int]) -> bytes:
    from metrics import brief

    return brief.brief_pdf(_connection(stamp).cursor(), page, filters, lang_, base_url)


@cache_data(max_entries=16)
def _pack(page: str, filters: Filters, lang_: str, base_url: str, stamp: tuple[str, int, int]) -> bytes:
    from metrics import pack

    return pack.pack(_connection(stamp).cursor(), page, filters, lang_, base_url)


def pack_zip(page: str, filters: Filters, lang_: str, base: str) -> bytes:
    """The evidence pack (zip) of ``page`` for ``filters`` (``metrics.pack``), its link on ``base``,
    cached per database file."""
    return _pack(page, filters, lang_, base, db_stamp())


def base_url() -> str:
    """Where this dashboard is served, as the reader's browser reached it (for links in exports)."""
    url = urllib.parse.urlsplit(st.context.url or "")
    return f"{url.scheme}://{url.netloc}" if url.scheme and url.netloc else view.public_url()


def brief_pdf(page: str, filters: Filters, lang_: str, base: str) -> bytes:
    """The PDF briefing of ``page`` for ``filters`` (``metrics.brief``), its link on ``base``
    (``base_url()``, read while the script runs), cached per database file."""
    return _brief(page, filters, lang_, base, db_stamp())


@st.fragment(run_every="5s")
def watch_database() -> None:
    """Rerun the app when a new database file has been swapped in (an import, a rebuild),
    so an open dashboard shows new figures without the reader doing anything."""
    stamp = db_stamp()
    if st.session_state.setdefault("db_stamp", stamp) != stamp:
        st.session_state["db_stamp"] = stamp
        st.rerun(scope="app")


def editing_enabled() -> bool:
    """Whether editors may sign in here: ``METRICS_EDITOR_PASSWORD`` is set (the editor pages are
    in the navigation only then)."""
    return bool(os.environ.get("METRICS_EDITOR_PASSWORD", ""))


def lang() -> str:
    return st.session_state.get("lang") or "zh"


# Widgets whose values are names: URL key -> (query, id column, name column stem, label key).
# Their values (and so the URL) are names in the current language, which makes links readable
# (?body=天津, ?lang=English&body=Tianjin); a language switch translates them.
NAMED = {
    "kind": (queries.body_kinds, "body_kind", "name", "filter_kind"),
    "body": (queries.bodies, "body_id", "short", "filter_body"),
    "theme": (queries.themes, "theme_id", "name", "filter_theme"),
    "indicator": (queries.indicators, "indicator_id", "name", "filter_indicator"),
    "profile": (queries.bodies, "body_id", "name", "profile_pick"),
}
FILTER_KEYS = ("kind", "body", "theme", "indicator")


def names(key: str, lang_: str | None = None) -> dict[str, str]:
    """Display name of every id the widget ``key`` offers, in ``lang_`` (default: current).
    Shared by every session and rerun (a page asks dozens of times): do not change it."""
    return _names(key, "en" if (lang_ or lang()) == "en" else "zh", db_stamp())


@functools.lru_cache(maxsize=32)  # a page asks dozens of times a rerun: a plain dict lookup
def _names(key: str, lang_: str, stamp: tuple[str, int, int]) -> dict[str, str]:
    function, id_column, stem, _ = NAMED[key]
    frame = _table(function, stamp)
    return dict(zip(frame[id_column], frame[f"{stem}_{lang_}"]))


def ids(key: str) -> tuple[str, ...]:
    """Ids chosen in the widget ``key`` (whose values are names in the current language)."""
    by_name = {name: id_ for id_, name in names(key).items()}
    value = st.session_state.get(key) or ()
    chosen = [value] if isinstance(value, str) else value
    return tuple(by_name[name] for name in chosen if name in by_name)


def as_of() -> str | None:
    """The date the pages show the data as it stood at (YYYY-MM-DD), or None for today: the
    sidebar's date control, bound to the URL (``?as_of=2020-06-01``)."""
    chosen = st.session_state.get("as_of")
    if not isinstance(chosen, date) or chosen >= date.today():
        return None
    return chosen.isoformat()


def filters() -> Filters:
    return Filters(
        body_kinds=ids("kind"),
        bodies=ids("body"),
        themes=ids("theme"),
        indicators=ids("indicator"),
        as_of=as_of(),
    )


def _switch_language() -> None:
    """Language callback: carry every chosen name over into the new language."""
    new = lang()
    old = next(code for code in LANGS if code != new)
    for key in NAMED:
        value = st.session_state.get(key)
        if not value:
            continue
        old_ids = {name: id_ for id_, name in names(key, old).items()}
        new_names = names(key, new)

        def translate(name: str, old_ids=old_ids, new_names=new_names) -> str:
            return new_names.get(old_ids.get(name), name)

        st.session_state[key] = translate(value) if isinstance(value, str) else [translate(v) for v in value]


def _clear() -> None:
    for key in FILTER_KEYS:
        st.session_state[key] = []
    st.session_state["as_of"] = date.today()


def pick_body(chart_key: str) -> None:
    """Chart click callback: filter the dashboard to the clicked body."""
    selection = st.session_state.get(chart_key, {}).get("selection", {}).get("pick") or []
    if selection:
        st.session_state["body"] = [names("body").get(selection[0]["body_id"], selection[0]["body_id"])]


def pick_kind(chart_key: str) -> None:
    """Click callback of a chart grouped by kind of body: filter the dashboard to that kind."""
    selection = st.session_state.get(chart_key, {}).get("selection", {}).get("pick") or []
    if selection:
        kind = selection[0]["group_id"]
        st.session_state["kind"] = [names("kind").get(kind, kind)]


# "Compare by" (对比单位) on the closure, cases and reductions pages: each body (today's charts),
# or groups of bodies by kind or by region. Unlike the named filters, the URL carries the
# language-neutral id (?by=kind), so a link means the same in both languages; the default
# (body) leaves the URL without ``by``.
GROUPINGS = tuple(queries.GROUPINGS)  # body, kind, region


def grouping(lang_: str) -> str:
    """The "compare by" control at the top of a page; returns the chosen grouping.

    The value is read from the URL on the session's first run, kept for the session across
    pages, and written back to the URL on every page that shows the control.
    """
    if "by" not in st.session_state:
        from_url = st.query_params.get("by")
        st.session_state["by"] = from_url if from_url in GROUPINGS else "body"
    by = st.radio(
        t("compare_by", lang_),
        GROUPINGS,
        format_func=lambda g: t(f"by_{g}", lang_),
        key="by",
        horizontal=True,
        persist_state="session",
    )
    if by == "body":
        if "by" in st.query_params:
            del st.query_params["by"]
    elif st.query_params.get("by") != by:
        st.query_params["by"] = by
    return by


EARLIEST = date(2000, 1, 1)  # the as-of control's first day


def grouping_in_force(page: str) -> str:
    """How ``page`` compares bodies now: body, kind or region (only the closure, cases and
    reductions pages group)."""
    by = st.session_state.get("by") or "body"
    return by if page in ("closure", "cases", "reductions") else "body"


def _filter(key: str, options: list[str], lang_: str) -> None:
    """A sidebar multiselect of names, bound to the URL parameter ``key``."""
    st.sidebar.multiselect(
        t(NAMED[key][3], lang_), options, key=key, bind="query-params", placeholder=t("filter_all", lang_)
    )


def sidebar() -> None:
    """Language switch and filters; every value lives in the URL."""
    side = st.sidebar
    lang_ = side.radio(
        "语言 / Language",
        LANGS,
        format_func=LANG_NAMES.get,
        key="lang",
        horizontal=True,
        bind="query-params",
        on_change=_switch_language,
    )
    side.subheader(t("filters", lang_))
    _filter("kind", list(names("kind").values()), lang_)
    bodies = unfiltered(queries.bodies)
    if kinds := ids("kind"):
        bodies = bodies[bodies.body_kind.isin(kinds)]
    body_names = names("body")
    _filter("body", [body_names[b] for b in bodies.body_id], lang_)
    _filter("theme", list(names("theme").values()), lang_)
    _filter("indicator", list(names("indicator").values()), lang_)
    side.date_input(
        t("as_of", lang_),
        value="today",
        min_value=EARLIEST,
        max_value="today",
        key="as_of",
        bind="query-params",
        format="YYYY-MM-DD",
        help=t("as_of_help", lang_),
    )
    side.button(t("clear_filters", lang_), on_click=_clear, key="clear")
    side.caption(t("link_hint", lang_))
