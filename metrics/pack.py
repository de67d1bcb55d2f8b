"""An evidence pack (证据包) of a view: one zip that a reader can file with a briefing.

It holds the page's table as CSV and XLSX (the XLSX with one sheet per chart, the sources and
the definition of every column), each chart as a self-describing PNG and SVG, the quotes behind
the figures with their sources (CSV) and a README.txt with the view, its filters, its link, the
dates and a line to cite it by. Everything comes from ``metrics.view`` (what the page shows) and
``metrics.export`` (the one export path); nothing here imports Streamlit.

Member names are ASCII (``data.csv``, ``charts/chart_01.png``…) so that every unzip tool keeps
them; README.txt says which chart each file holds.
"""

from __future__ import annotations

import io
import re
import urllib.parse
import zipfile

import numpy as np
import pandas as pd

from metrics import export, labels, view
from metrics.i18n import definition, t

QUOTE_COLUMNS = {
    "body_label": "col_body",
    "measure_label": "col_measure",
    "role_label": "col_role",
    "shown": "col_value",
    "as_of": "col_as_of",
    "period": "col_period",
    "evidence": "col_evidence",
    "source_id": "col_source",
    "title": "col_title",
    "publisher": "col_publisher",
    "published": "col_published",
    "reference": "col_reference",
}
SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\']+")


def download_table(frame: pd.DataFrame, columns: dict[str, str], lang: str) -> pd.DataFrame:
    """The listed columns of ``frame`` under their headers (``labels.headed``) as the page's table
    shows them: flags as 是/否 (Yes/No), numbers as numbers. What CSV and XLSX downloads hold."""
    out = labels.headed(frame, columns, lang)
    for header in out.columns:
        present = out[header].dropna()
        if len(present) and all(isinstance(v, (bool, np.bool_)) for v in present):
            out[header] = [None if pd.isna(v) else t("yes" if v else "no", lang) for v in out[header]]
    return out


def spreadsheet(frame: pd.DataFrame, columns: dict[str, str], lang: str) -> tuple[pd.DataFrame, set[str]]:
    """``download_table`` with the headers of its percentage columns: their values as fractions (71.4% is
    0.714), for a spreadsheet to show as percentages."""
    table_ = download_table(frame, columns, lang)
    percent = set()
    for column, key in columns.items():
        if key in view.PERCENT_UNITS:
            header = t(key, lang)
            table_[header] = (
                pd.to_numeric(frame[column], errors="coerce").to_numpy() / view.PERCENT_UNITS[key]
            )
            percent.add(header)
    return table_, percent


def definitions(columns: dict[str, str], lang: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("col_column", lang): [t(k, lang) for k in columns.values()],
            t("col_description", lang): [definition(k, lang) for k in columns.values()],
        }
    )


def sheet_name(text: str, taken: set[str]) -> str:
    """A unique worksheet name of at most 31 characters without the ones Excel refuses."""
    name = SHEET_UNSAFE.sub("_", text).strip() or "sheet"
    base, n = name[:31], 2
    while base in taken:
        suffix = f" ({n})"
        base, n = name[: 31 - len(suffix)] + suffix, n + 1
    taken.add(base)
    return base


def workbook(
    data: pd.DataFrame,
    columns: dict[str, str],
    lang: str,
    sources: pd.DataFrame,
    charts: list[tuple[str, pd.DataFrame]] = (),
) -> bytes:
    """XLSX of a view: its data, one sheet per chart (``charts``: (title, rows)), the sources
    it cites (title, publisher, date, reference) and the definition of every column. Rates are
    formatted as percentages, counts with thousands separators; text is never a formula or link."""
    taken: set[str] = set()
    sheets, percent = {}, set()
    table, shown_percent = spreadsheet(data, columns, lang)
    sheets[sheet_name(t("sheet_data", lang), taken)] = table
    percent |= shown_percent
    for i, (title, rows) in enumerate(charts, start=1):
        chart_columns = {c: k for c, k in columns.items() if c in rows}
        table, shown_percent = spreadsheet(rows, chart_columns, lang)
        sheets[sheet_name(f"{t('sheet_chart', lang, n=i)} {title}", taken)] = table
        percent |= shown_percent
    readable = view.readable_sources(sources)
    sheets[sheet_name(t("sheet_sources", lang), taken)] = labels.headed(
        readable, view.SOURCE_SHEET_COLUMNS, lang
    )
    sheets[sheet_name(t("sheet_definitions", lang), taken)] = definitions(columns, lang)
    return export.xlsx_bytes(sheets, percent=percent)


def chart_rows(v: view.View) -> list[tuple[str, pd.DataFrame]]:
    """(title, rows drawn) of each chart of the view."""
    return [(panel.title, panel.frame) for panel in v.panels]


def quotes(v: view.View) -> pd.DataFrame:
    """Every key fact of the view with its verbatim quote and its sources (title, publisher,
    date, reference), one row per fact and source."""
    facts = v.facts.copy()
    for column in QUOTE_COLUMNS:
        if column not in facts and column not in view.SOURCE_SHEET_COLUMNS:
            facts[column] = ""
    facts["source_id"] = facts["source_id"].fillna("").astype(str).str.split(", ")
    facts = facts.explode("source_id")
    sources = view.readable_sources(v.sources)[["source_id", "title", "publisher", "published", "reference"]]
    joined = facts.drop(columns=[c for c in sources.columns if c != "source_id" and c in facts]).merge(
        sources, on="source_id", how="left"
    )
    return labels.headed(joined, QUOTE_COLUMNS, v.lang)


def citation_line(v: view.View) -> str:
    """'整改看板：整改完成率（单位：天津、内蒙古），2026-11-20 生成，数据截至 2019。来源：…。链接'"""
    sources = "; ".join(v.source_lines) if v.lang == "en" else "；".join(v.source_lines)
    return t(
        "pack_citation",
        v.lang,
        app=t("app_title", v.lang),
        title=v.title,
        scope=v.scope,
        generated=v.generated,
        latest=v.latest_as_of,
        sources=sources or "–",
        link=urllib.parse.unquote(v.link),
    )


def readme(v: view.View, files: list[tuple[str, str]]) -> str:
    """README.txt of the pack: the view, its filters, link and dates, what each file holds and
    how to cite it."""
    lang = v.lang
    lines = [
        f"{t('app_title', lang)} · {t('pack', lang)}",
        "",
        f"{t('pack_view', lang)}{v.title}",
        f"{t('brief_scope', lang)}{v.scope}",
        f"{t('brief_link', lang)}{urllib.parse.unquote(v.link)}",
        t("brief_meta", lang, generated=v.generated, latest=v.latest_as_of),
        "",
        t("pack_files", lang),
        *(f"  {name} — {about}" for name, about in files),
        "",
        t("pack_cite", lang),
        f"  {citation_line(v)}",
        "",
        t("pack_note", lang),
    ]
    if v.notes:
        lines += ["", *v.notes]
    return "\r\n".join(lines) + "\r\n"


def pack_zip(v: view.View) -> bytes:
    """The evidence pack of ``v`` as zip bytes."""
    lang = v.lang
    files: list[tuple[str, bytes, str]] = []
    files.append(("data.csv", export.csv_bytes(download_table(v.data, v.columns, lang)), t("pack_csv", lang)))
    charts = chart_rows(v)
    workbook_bytes = workbook(v.data, v.columns, lang, v.sources, charts)
    files.append(("data.xlsx", workbook_bytes, t("pack_xlsx", lang, n=len(charts))))
    files.append(("quotes.csv", export.csv_bytes(quotes(v)), t("pack_quotes", lang)))
    heading, footer = v.caption
    for i, panel in enumerate(v.panels, start=1):
        chart, stem = panel.chart(lang), f"charts/chart_{i:02d}"
        if export.cjk_font_available():  # without a CJK font a PNG would show boxes for Chinese
            files.append(
                (f"{stem}.png", export.chart_png([chart], heading=heading, footer=footer), panel.title)
            )
        files.append((f"{stem}.svg", export.chart_svg([chart], heading=heading, footer=footer), panel.title))
    listing = [(name, about) for name, _, about in files]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", "\ufeff" + readme(v, listing))
        for name, data, _ in files:
            archive.writestr(name, data)
    return buffer.getvalue()


def pack(con, page: str, filters, lang: str, base_url: str | None = None) -> bytes:
    """The evidence pack of ``page`` for ``filters`` in ``lang`` (``view.build``)."""
    return pack_zip(view.build(con, page, filters, lang, base_url))
