"""Download buttons under every view: CSV, XLSX, PNG and SVG, named for what they hold."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from metrics import export, labels
from metrics.i18n import definition, t
from metrics.ui import state

UNSAFE_FILE_CHARS = re.compile(r'[\\/:*?"<>|\s]+')
SOURCE_COLUMNS = {
    "source_id": "col_source",
    "title": "col_title",
    "publisher": "col_publisher",
    "published": "col_published",
    "reference": "col_reference",
    "sha256": "col_sha256",
    "note": "col_note",
}


def file_stem(title: str, lang: str) -> str:
    """'整改完成率_天津市委' — the view's title and what it is filtered to."""
    f = state.filters()
    if f.bodies:
        bodies = state.table("bodies").set_index("body_id")
        scope = [
            bodies.at[b, "name_en" if lang == "en" else "name_zh"] for b in f.bodies if b in bodies.index
        ]
    elif f.themes:
        themes = state.table("themes").set_index("theme_id")
        scope = [
            themes.at[x, "name_en" if lang == "en" else "name_zh"] for x in f.themes if x in themes.index
        ]
    else:
        scope = [t("filter_all", lang)]
    return UNSAFE_FILE_CHARS.sub("_", "_".join([title, *scope]))[:120]


def cited(frame: pd.DataFrame) -> tuple[str, ...]:
    """The source ids a view's rows cite (a row joins several with ', ')."""
    if "source_id" not in frame:
        return ()
    return tuple(sorted({i for cell in frame.source_id.dropna() for i in str(cell).split(", ") if i}))


def workbook(data: pd.DataFrame, columns: dict[str, str], lang: str, source_ids: tuple[str, ...]) -> bytes:
    """XLSX: the view's data, the sources it cites and the definition of every column."""
    sources = labels.table(state.cited_sources(source_ids), SOURCE_COLUMNS, lang)
    definitions = pd.DataFrame(
        {
            t("col_column", lang): [t(k, lang) for k in columns.values()],
            t("col_description", lang): [definition(k, lang) for k in columns.values()],
        }
    )
    return export.xlsx_bytes(
        {
            t("sheet_data", lang): data,
            t("sheet_sources", lang): sources,
            t("sheet_definitions", lang): definitions,
        }
    )


def downloads(
    frame: pd.DataFrame, columns: dict[str, str], charts: list, title: str, lang: str, key: str
) -> None:
    """The four download buttons for one view. ``columns`` picks and names the data's columns."""
    data = labels.table(frame, columns, lang)
    stem = file_stem(title, lang)
    st.caption(t("download", lang))
    cols = st.columns(4)
    cols[0].download_button(
        t("download_csv", lang),
        lambda: export.csv_bytes(data),
        f"{stem}.csv",
        "text/csv",
        key=f"{key}_csv",
        on_click="ignore",
        icon=":material/table:",
    )
    cols[1].download_button(
        t("download_xlsx", lang),
        lambda: workbook(data, columns, lang, cited(frame)),
        f"{stem}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        on_click="ignore",
        icon=":material/grid_on:",
    )
    if not charts:
        return
    font_ok = export.cjk_font_available()
    cols[2].download_button(
        t("download_png", lang),
        lambda: export.chart_png(charts),
        f"{stem}.png",
        "image/png",
        key=f"{key}_png",
        on_click="ignore",
        disabled=not font_ok,
        icon=":material/image:",
    )
    cols[3].download_button(
        t("download_svg", lang),
        lambda: export.chart_svg(charts),
        f"{stem}.svg",
        "image/svg+xml",
        key=f"{key}_svg",
        on_click="ignore",
        icon=":material/draw:",
    )
    if not font_ok:
        st.warning(t("no_cjk_font", lang))
