"""A printable briefing (简报) of a view: ``metrics.view.View`` -> HTML -> A4 PDF.

The HTML is self-contained (charts as inline SVG images, fonts from the system, a content
security policy that forbids every fetch) and every text from the data is HTML-escaped. Debian's
headless Chromium prints it (``--print-to-pdf``): it lays out Chinese text with the installed
Noto Sans CJK, embeds the glyphs it uses, repeats a table's header on every page it spans and
numbers the pages (CSS page margin boxes). Nothing is downloaded at run time.
"""

from __future__ import annotations

import base64
import subprocess
import tempfile
from html import escape
from pathlib import Path
from urllib.parse import unquote

import pandas as pd

from metrics import browser, export, view
from metrics.i18n import t
from metrics.numbers import format_number, format_percent

CHROMIUM_FLAGS = ["--headless", *browser.FLAGS, "--no-pdf-header-footer"]
PRINT_TIMEOUT = 120  # seconds
MAX_FACTS = 60  # key facts printed at most; the table lists every row
# The table of a briefing: the page's columns that fit an A4 page (the quotes are under the facts).
BRIEF_TABLE = (
    "col_light",
    "col_body",
    "col_group",
    "col_rank",
    "col_rank_change",
    "col_measure",
    "col_role",
    "col_total",
    "col_closed",
    "col_closure_rate",
    "col_before",
    "col_after",
    "col_change_pct",
    "col_change_pp",
    "col_value",
    "col_counter",
    "col_as_of",
    "col_change",
    "col_target",
    "col_as_written",
    "col_reason",
)
# The overview's downloads list every closure's counts and every change's before and after; its
# printed table leaves them to the facts above it (621/870, 277 → 76), so that it fits A4.
OVERVIEW_DOWNLOADS_ONLY = ("col_total", "col_closed", "col_before", "col_after")
PERCENT_COLUMNS = ("closure_rate",)
# Columns of short values that read badly when wrapped (内蒙/古).
NOWRAP = (
    "col_light",
    "col_body",
    "col_rank",
    "col_rank_change",
    "col_counter",
    "col_as_of",
    "col_closure_rate",
    "col_published",
)
CHART_WIDTH = 400  # px of plot: with its row labels the image prints at about its own size on A4

CSS = """
@page {
  size: A4;
  margin: 16mm 15mm 18mm;
  @bottom-left { content: "%(footer)s"; font: 7.5pt "Noto Sans CJK SC", sans-serif; color: #666; }
  @bottom-right { content: counter(page) " / " counter(pages); font: 8pt "Noto Sans CJK SC", sans-serif; }
}
html { font-family: "Noto Sans CJK SC", "Noto Sans CJK", sans-serif; font-size: 10pt; color: #111; }
body { margin: 0; line-height: 1.5; }
h1 { font-size: 20pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; margin: 7mm 0 2mm; border-bottom: 1px solid #999; break-after: avoid; }
.app { color: #555; margin: 0; font-size: 9pt; letter-spacing: .05em; }
.scope { font-size: 11pt; margin: 1mm 0; }
.meta { color: #444; font-size: 8.5pt; margin: 0; word-break: break-all; }
.kpis { display: grid; grid-template-columns: repeat(6, 1fr); gap: 2mm; margin: 5mm 0 2mm; }
.kpi { border: 1px solid #ccc; border-radius: 2mm; padding: 2mm; }
.kpi .v { font-size: 14pt; font-weight: bold; }
.kpi .l { font-size: 8pt; color: #555; }
figure { margin: 3mm 0 5mm; break-inside: avoid; }
figure img { width: 100%%; height: auto; }
.note { color: #444; font-size: 8.5pt; }
ol.facts { padding-left: 6mm; margin: 0; }
ol.facts li { break-inside: avoid; margin-bottom: 3mm; }
.fact { margin: 0; font-weight: bold; }
blockquote { margin: 1mm 0; padding: 1mm 3mm; border-left: 2px solid #2166ac; background: #f4f7fb; }
.src { margin: 0; color: #555; font-size: 8.5pt; }
table { border-collapse: collapse; width: 100%%; font-size: 8pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 1px solid #bbb; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #eef1f5; }
td.num { text-align: right; white-space: nowrap; }
.nowrap { white-space: nowrap; }
a { color: inherit; }
"""


class BriefError(RuntimeError):
    """The PDF could not be made (no browser, or the browser failed)."""


def chromium() -> Path:
    """The headless browser: ``$METRICS_CHROMIUM``, else Debian's chromium."""
    found = browser.binary()
    if not Path(found).is_file():
        raise BriefError(f"no browser at {found}: apt-get install chromium fonts-noto-cjk")
    return Path(found)


def _svg_image(panel: view.Panel, lang: str) -> str:
    svg = export.chart_svg([panel.chart(lang)], width=CHART_WIDTH)
    return (
        f'<img alt="{escape(panel.title)}" src="data:image/svg+xml;base64,{base64.b64encode(svg).decode()}">'
    )


def _cell(value, column: str, lang: str) -> tuple[str, str]:
    """(text, css class) of a table cell: numbers formatted and right-aligned, flags as 是/否."""
    if value is None or (not isinstance(value, (list, tuple, str)) and pd.isna(value)):
        return "", ""
    if isinstance(value, bool):
        return t("yes" if value else "no", lang), ""
    if column in PERCENT_COLUMNS:
        return format_percent(value, lang), "num"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_number(value, "en" if lang == "en" else "zh"), "num"
    return str(value), ""


def table_html(frame: pd.DataFrame, columns: dict[str, str], lang: str) -> str:
    """An HTML table of ``frame``'s ``columns`` under their headers; every cell escaped."""
    keep = {c: " nowrap" if k in NOWRAP else "" for c, k in columns.items()}
    heads = "".join(f'<th class="{keep[c].strip()}">{escape(t(k, lang))}</th>' for c, k in columns.items())
    rows = []
    for record in frame[list(columns)].itertuples(index=False):
        cells = []
        for column, value in zip(columns, record, strict=True):
            text, css = _cell(value, column, lang)
            cells.append(f'<td class="{(css + keep[column]).strip()}">{escape(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def fact_sentence(row, lang: str) -> str:
    """'天津 · “民意直通车”群众反映的具体问题办结：71.4% · 621/870（截至 2019）。'"""
    role = (
        f" · {row.role_label}"
        if isinstance(row.role_label, str)
        and row.role_label
        and row.role_label
        not in (
            "数值",
            "value",
        )
        else ""
    )
    when = str(row.as_of) if pd.notna(row.as_of) else ""
    if isinstance(row.period, str) and row.period:
        when = f"{when}, {row.period}" if lang == "en" else f"{when}，{row.period}"
    if lang == "en":
        return f"{row.body_label} — {row.measure_label}{role}: {row.shown} (as of {when})."
    return f"{row.body_label} · {row.measure_label}{role}：{row.shown}（截至 {when}）。"


def facts_html(v: view.View) -> str:
    citations = {s.source_id: view.citation(s, v.lang) for s in v.sources.itertuples()}
    items = []
    for row in v.facts.head(MAX_FACTS).itertuples():
        cited = [citations.get(i, i) for i in str(row.source_id or "").split(", ") if i]
        source = f"{t('col_source', v.lang)}{': ' if v.lang == 'en' else '：'}{'; '.join(cited)}"
        items.append(
            f'<li><p class="fact">{escape(fact_sentence(row, v.lang))}</p>'
            f"<blockquote>{escape(str(row.evidence or ''))}</blockquote>"
            f'<p class="src">{escape(source)}</p></li>'
        )
    more = ""
    if len(v.facts) > MAX_FACTS:
        more = f'<p class="note">{escape(t("brief_more_facts", v.lang, shown=MAX_FACTS, total=len(v.facts)))}</p>'
    return f'<ol class="facts">{"".join(items)}</ol>{more}'


def html(v: view.View) -> str:
    """The briefing of ``v`` as one self-contained HTML document."""
    lang = v.lang
    footer = f"{t('app_title', lang)} · {v.title} · {v.generated}".replace('"', "'").replace("\\", "")
    parts = [
        f'<p class="app">{escape(t("app_title", lang))} · {escape(t("brief", lang))}</p>',
        f"<h1>{escape(v.title)}</h1>",
        f'<p class="scope">{escape(t("brief_scope", lang))}{escape(v.scope)}</p>',
        '<p class="meta">'
        + escape(t("brief_meta", lang, generated=v.generated, latest=v.latest_as_of))
        + f'<br>{escape(t("brief_link", lang))}<a href="{escape(v.link)}">{escape(unquote(v.link))}</a></p>',
    ]
    if v.kpis:
        tiles = "".join(
            f'<div class="kpi"><div class="v">{escape(value)}</div><div class="l">{escape(label)}</div></div>'
            for label, value in v.kpis
        )
        parts.append(f'<div class="kpis">{tiles}</div>')
    if v.panels:
        parts.append(f"<h2>{escape(t('brief_charts', lang))}</h2>")
        parts += [f"<figure>{_svg_image(p, lang)}</figure>" for p in v.panels]
    parts += [f'<p class="note">{escape(note)}</p>' for note in v.notes]
    if len(v.facts):
        parts += [f"<h2>{escape(t('brief_facts', lang))}</h2>", facts_html(v)]
    columns = {
        c: k
        for c, k in v.columns.items()
        if k in BRIEF_TABLE and not (v.page == "overview" and k in OVERVIEW_DOWNLOADS_ONLY)
    }
    if len(v.data) and columns:
        parts += [f"<h2>{escape(t('brief_table', lang))}</h2>", table_html(v.data, columns, lang)]
    if len(v.sources):
        sources = view.readable_sources(v.sources)
        source_columns = {"title": "col_title", "publisher": "col_publisher", "published": "col_published"}
        source_columns["reference"] = "col_reference"
        parts += [f"<h2>{escape(t('method_sources', lang))}</h2>", table_html(sources, source_columns, lang)]
    return (
        f'<!doctype html><html lang="{"en" if lang == "en" else "zh-CN"}"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">"
        f"<title>{escape(v.title)}</title><style>{CSS % {'footer': escape(footer)}}</style></head>"
        f"<body>{''.join(parts)}</body></html>"
    )


def pdf(document: str) -> bytes:
    """Print an HTML document to an A4 PDF with headless Chromium."""
    browser = chromium()
    with tempfile.TemporaryDirectory(prefix="metrics-brief-") as folder:
        source, out = Path(folder) / "brief.html", Path(folder) / "brief.pdf"
        source.write_text(document, encoding="utf-8")
        command = [
            str(browser),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={Path(folder) / 'profile'}",
            f"--print-to-pdf={out}",
            source.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=PRINT_TIMEOUT, check=False)
        except subprocess.TimeoutExpired as error:
            raise BriefError(f"the browser did not finish printing in {PRINT_TIMEOUT} s") from error
        if not out.is_file() or out.stat().st_size == 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise BriefError(f"the browser printed nothing (exit {done.returncode}): {' '.join(tail)}")
        return out.read_bytes()


def brief_pdf(con, page: str, filters, lang: str, base_url: str | None = None) -> bytes:
    """The A4 PDF briefing of ``page`` for ``filters`` in ``lang``."""
    return pdf(html(view.build(con, page, filters, lang, base_url)))
