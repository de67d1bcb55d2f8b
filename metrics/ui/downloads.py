"""Download buttons under every view: CSV, XLSX, PNG, SVG and the PDF briefing, named for what
they hold."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import partial

import pandas as pd
import streamlit as st

from metrics import export, pack, queries, view
from metrics.i18n import t
from metrics.ui import state

FILTER_WIDGETS = (
    ("body_kinds", "kind"),
    ("bodies", "body"),
    ("themes", "theme"),
    ("indicators", "indicator"),
)


def filter_names(lang: str, full: bool = False) -> dict[str, list[str]]:
    """The names of the filters in force, as the sidebar shows them (``full``: bodies by their
    full names)."""
    f = state.filters()
    return {
        what: [
            state.names("profile" if full and key == "body" else key, lang).get(i, i)
            for i in getattr(f, what)
        ]
        for what, key in FILTER_WIDGETS
        if getattr(f, what)
    }


def file_stem(title: str, lang: str) -> str:
    """'整改完成率_天津市委_为民服务解难题' — the view's title and every filter in force
    (``view.file_stem``; bodies by their full names)."""
    return view.file_stem(title, filter_names(lang, full=True), lang)


def image_caption(
    page: str,
    title: str,
    rows: Callable[[], pd.DataFrame],
    lang: str,
    f: queries.Filters,
    names: dict,
    base: str,
) -> tuple[str, tuple[str, ...]]:
    """Heading and footer of the view's chart images: filters (``f``, named ``names``), sources
    (of ``rows()``), dates and link (on ``base``). Called when an image is downloaded, with what
    the page read while it ran."""
    sources = state.cited_sources(view.cited_ids(rows()))
    latest = state.query(queries.kpis, f).iloc[0].latest_as_of
    return view.image_caption(
        title,
        view.scope_text(names, lang, f.as_of),
        [view.citation(s, lang) for s in sources.itertuples()],
        str(latest or "–"),
        datetime.date.today().isoformat(),
        view.link(base, page, names, lang, f.as_of),
        lang,
    )


def _captioned(render, charts: list, caption) -> bytes:
    """``render`` (export.chart_png or chart_svg) of the charts under their ``caption()``."""
    heading, footer = caption()
    return render(charts, heading=heading, footer=footer)


def workbook(data: pd.DataFrame, columns: dict[str, str], lang: str) -> bytes:
    """XLSX: the view's data, the sources it cites and the definition of every column
    (``pack.workbook``: rates as percentages, counts with thousands separators)."""
    return pack.workbook(data, columns, lang, state.cited_sources(view.cited_ids(data)))


def downloads(
    frame: pd.DataFrame | Callable[[], pd.DataFrame],
    columns: dict[str, str],
    charts: list,
    title: str,
    lang: str,
    key: str,
) -> None:
    """The download buttons for one view. ``columns`` picks and names the data's columns of
    ``frame`` (or of what ``frame()`` returns: a page that shows only the first rows reads every
    row when a file is asked for). Each file is made when its button is clicked, not on every
    rerun: at thousands of bodies, the table and the images' captions cost more than the page."""
    rows = frame if callable(frame) else lambda: frame
    stem = file_stem(title, lang)
    st.caption(t("download", lang))
    cols = st.columns(6)
    if key in view.PAGES:  # the pages the briefing and the pack know (metrics.view.PAGES)
        brief(cols[4], key, stem, lang)
        if state.grouping_in_force(key) == "body":  # the pack is of the view by body (metrics.view)
            evidence_pack(cols[5], key, stem, lang)
    cols[0].download_button(
        t("download_csv", lang),
        lambda: export.csv_bytes(pack.download_table(rows(), columns, lang)),
        f"{stem}.csv",
        "text/csv",
        key=f"{key}_csv",
        on_click="ignore",
        icon=":material/table:",
    )
    cols[1].download_button(
        t("download_xlsx", lang),
        lambda: workbook(rows(), columns, lang),
        f"{stem}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        on_click="ignore",
        icon=":material/grid_on:",
    )
    if not charts:
        return
    font_ok = export.cjk_font_available()
    caption = partial(
        image_caption, key, title, rows, lang, state.filters(), filter_names(lang), state.base_url()
    )
    cols[2].download_button(
        t("download_png", lang),
        partial(_captioned, export.chart_png, charts, caption),
        f"{stem}.png",
        "image/png",
        key=f"{key}_png",
        on_click="ignore",
        disabled=not font_ok,
        icon=":material/image:",
    )
    cols[3].download_button(
        t("download_svg", lang),
        partial(_captioned, export.chart_svg, charts, caption),
        f"{stem}.svg",
        "image/svg+xml",
        key=f"{key}_svg",
        on_click="ignore",
        icon=":material/draw:",
    )
    if not font_ok:
        st.warning(t("no_cjk_font", lang))


def page_filters(page: str):
    """The filters of the page's view: the sidebar's, or on 单位画像 the body picked there (at
    the sidebar's as-of date either way)."""
    f = state.filters()
    if page == "profile" and (chosen := state.ids("profile")):
        f = type(f)(bodies=chosen, as_of=f.as_of)
    return f


def evidence_pack(where, page: str, stem: str, lang: str) -> None:
    """证据包: a zip of the view's CSV, XLSX, chart images, quotes and README (``metrics.pack``)."""
    where.download_button(
        t("download_pack", lang),
        partial(state.pack_zip, page, page_filters(page), lang, state.base_url()),
        f"{stem}.zip",
        "application/zip",
        key=f"{page}_zip",
        on_click="ignore",
        icon=":material/folder_zip:",
    )


def brief(where, page: str, stem: str, lang: str) -> None:
    """下载简报: the A4 PDF briefing of the page for the filters in force (``metrics.brief``)."""
    where.download_button(
        t("download_brief", lang),
        partial(state.brief_pdf, page, page_filters(page), lang, state.base_url()),
        f"{stem}.pdf",
        "application/pdf",
        key=f"{page}_pdf",
        on_click="ignore",
        icon=":material/picture_as_pdf:",
    )
