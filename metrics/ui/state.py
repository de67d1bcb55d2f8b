"""Connection, cached queries, language and the sidebar filters (bound to the URL).

The database file may be swapped for a new build while the app runs: the
connection is cached per (path, inode, mtime), so a new file is picked up on
the next rerun and readers never see a half-written one.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from metrics import paths, queries, store
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


def _labels(frame: pd.DataFrame, key: str, lang_: str) -> dict[str, str]:
    return dict(zip(frame[key], frame["name_en" if lang_ == "en" else "name_zh"]))


def sidebar() -> None:
    """Language switch and filters; every value lives in the URL."""
    side = st.sidebar
    lang_ = side.radio(
        "语言 / Language", LANGS, format_func=LANG_NAMES.get, key="lang", horizontal=True, bind="query-params"
    )
    side.subheader(t("filters", lang_))
    kinds = table("body_kinds")
    kind_names = _labels(kinds, "body_kind", lang_)
    chosen_kinds = side.multiselect(
        t("filter_kind", lang_),
        list(kind_names),
        format_func=kind_names.get,
        key="kind",
        bind="query-params",
        placeholder=t("filter_all", lang_),
    )
    bodies = table("bodies")
    if chosen_kinds:
        bodies = bodies[bodies.body_kind.isin(chosen_kinds)]
    body_names = dict(zip(bodies.body_id, bodies["short_en" if lang_ == "en" else "short_zh"]))
    side.multiselect(
        t("filter_body", lang_),
        list(body_names),
        format_func=body_names.get,
        key="body",
        bind="query-params",
        placeholder=t("filter_all", lang_),
    )
    theme_names = _labels(table("themes"), "theme_id", lang_)
    side.multiselect(
        t("filter_theme", lang_),
        list(theme_names),
        format_func=theme_names.get,
        key="theme",
        bind="query-params",
        placeholder=t("filter_all", lang_),
    )
    indicator_names = _labels(table("indicators"), "indicator_id", lang_)
    side.multiselect(
        t("filter_indicator", lang_),
        list(indicator_names),
        format_func=indicator_names.get,
        key="indicator",
        bind="query-params",
        placeholder=t("filter_all", lang_),
    )
    side.button(t("clear_filters", lang_), on_click=_clear, key="clear")
    side.caption(t("link_hint", lang_))
