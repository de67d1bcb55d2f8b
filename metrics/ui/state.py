"""Connection, cached queries, language and the sidebar filters (bound to the URL).

The database file may be swapped for a new build while the app runs: the
connection is cached per (path, inode, mtime), so a new file is picked up on
the next rerun and readers never see a half-written one.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from metrics import charts, paths, queries, store
from metrics.i18n import LANG_NAMES, LANGS, t
from metrics.queries import Filters

FILTER_KEYS = ("kind", "body", "theme", "indicator")


def db_stamp() -> tuple[str, int, int]:
    """Identity of the current database file: path, inode and modification time."""
    path = paths.default_db()
    stat = path.stat()
    return str(path), stat.st_ino, stat.st_mtime_ns


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(stamp: tuple[str, int, int]):
    return store.connect(Path(stamp[0]))


@st.cache_data(max_entries=1024, show_spinner=False)
def _query(name: str, filters: Filters, stamp: tuple[str, int, int]) -> pd.DataFrame:
    return getattr(queries, name)(_connection(stamp).cursor(), filters)


@st.cache_data(max_entries=64, show_spinner=False)
def _table(name: str, stamp: tuple[str, int, int]) -> pd.DataFrame:
    return getattr(queries, name)(_connection(stamp).cursor())


def query(name: str, filters: Filters = queries.NO_FILTERS) -> pd.DataFrame:
    """Result of ``queries.<name>(con, filters)``, cached per filters and database file."""
    return _query(name, filters, db_stamp())


def table(name: str) -> pd.DataFrame:
    """Result of the unfiltered ``queries.<name>(con)`` (bodies, themes, sources...), cached."""
    return _table(name, db_stamp())


@st.cache_data(max_entries=1024, show_spinner=False)
def chart_spec(builder: str, df: pd.DataFrame, lang_: str, title: str) -> dict:
    """Vega-Lite spec of ``charts.<builder>(df, lang, title)``, cached: building and
    validating an Altair chart costs tens of milliseconds, a cache hit almost nothing.
    Validation is skipped here; the chart tests validate every builder."""
    return getattr(charts, builder)(df, lang_, title).to_dict(validate=False)


def lang() -> str:
    return st.session_state.get("lang") or "zh"


def filters() -> Filters:
    get = st.session_state.get
    return Filters(
        body_kinds=tuple(get("kind") or ()),
        bodies=tuple(get("body") or ()),
        themes=tuple(get("theme") or ()),
        indicators=tuple(get("indicator") or ()),
    )


def _clear() -> None:
    for key in FILTER_KEYS:
        st.session_state[key] = []


def pick_body(chart_key: str) -> None:
    """Chart click callback: filter the dashboard to the clicked body."""
    selection = st.session_state.get(chart_key, {}).get("selection", {}).get("pick") or []
    if selection:
        st.session_state["body"] = [selection[0]["body_id"]]


def _names(frame: pd.DataFrame, key: str, column: str, lang_: str) -> dict[str, str]:
    """Display name of each id: ``column`` + '_zh' or '_en'."""
    return dict(zip(frame[key], frame[f"{column}_{'en' if lang_ == 'en' else 'zh'}"]))


def _filter(label: str, key: str, names: dict[str, str], lang_: str) -> list[str]:
    """A sidebar multiselect of ids shown by name, bound to the URL parameter ``key``."""
    return st.sidebar.multiselect(
        t(label, lang_),
        list(names),
        format_func=lambda value: names.get(value, value),
        key=key,
        bind="query-params",
        placeholder=t("filter_all", lang_),
    )


def sidebar() -> None:
    """Language switch and filters; every value lives in the URL."""
    side = st.sidebar
    lang_ = side.radio(
        "语言 / Language", LANGS, format_func=LANG_NAMES.get, key="lang", horizontal=True, bind="query-params"
    )
    side.subheader(t("filters", lang_))
    kinds = _filter("filter_kind", "kind", _names(table("body_kinds"), "body_kind", "name", lang_), lang_)
    bodies = table("bodies")
    if kinds:
        bodies = bodies[bodies.body_kind.isin(kinds)]
    _filter("filter_body", "body", _names(bodies, "body_id", "short", lang_), lang_)
    _filter("filter_theme", "theme", _names(table("themes"), "theme_id", "name", lang_), lang_)
    _filter(
        "filter_indicator", "indicator", _names(table("indicators"), "indicator_id", "name", lang_), lang_
    )
    side.button(t("clear_filters", lang_), on_click=_clear, key="clear")
    side.caption(t("link_hint", lang_))
