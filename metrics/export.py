"""Bytes of every download: CSV that Excel opens safely, XLSX, chart PNG/SVG.

One export path for the whole product: the dashboard and the CLI both call
these functions.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import pandas as pd

from metrics.vocabulary import looks_like_formula


def escape_cell(value):
    """Neutralise a text cell Excel would read as a formula; numbers stay numbers.

    >>> escape_cell("=HYPERLINK(1)"), escape_cell("-77.6%"), escape_cell(-77.6)
    ("'=HYPERLINK(1)", '-77.6%', -77.6)
    """
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with text cells escaped against formula injection and whole numbers as integers
    (2018, not 2018.0, even in a column that also holds 3.5)."""
    out = df.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_float_dtype(series) and series.dropna().mod(1).eq(0).all():
            out[column] = series.astype("Int64")
        elif pd.api.types.is_float_dtype(series):
            whole = [None if pd.isna(v) else int(v) if float(v).is_integer() else float(v) for v in series]
            out[column] = pd.Series(whole, index=series.index, dtype=object)
        elif not pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            out[column] = series.map(escape_cell)
    return out


def csv_bytes(df: pd.DataFrame, bom: bool = True) -> bytes:
    """CSV in UTF-8 (with a BOM by default, so Excel reads Chinese correctly)."""
    text = safe_frame(df).to_csv(index=False, lineterminator="\r\n" if bom else "\n")
    return (("\ufeff" if bom else "") + text).encode("utf-8")


# Every text cell is written as text: by default xlsxwriter turns text that looks like a URL
# (http://, https://, ftp://, mailto:, external:, file:///…) into a hyperlink (and a URL longer
# than its limit into an empty cell), text that starts with "=" into a formula and, if asked,
# numeric-looking text into a number. Numbers are written as numbers by their dtype.
XLSX_OPTIONS = {"strings_to_urls": False, "strings_to_formulas": False, "strings_to_numbers": False}


# How numbers read in a workbook: rates as percentages with one decimal, counts with thousands
# separators (decimals only where a value has them). The values stay numbers.
PERCENT_FORMAT = "0.0%"
WHOLE_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.0##"


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not pd.isna(value)


def xlsx_bytes(sheets: dict[str, pd.DataFrame], percent: tuple[str, ...] | set[str] = ()) -> bytes:
    """An XLSX workbook with one sheet per frame: text cells escaped and written as text (never
    as links or formulas), numbers as numbers formatted for reading (the columns named in
    ``percent`` hold fractions shown as 71.4%; other numbers with thousands separators), columns
    sized to fit, the header row frozen."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, **XLSX_OPTIONS})
    header = book.add_format({"bold": True, "bottom": 1, "valign": "top"})
    formats = {
        "percent": book.add_format({"num_format": PERCENT_FORMAT}),
        "whole": book.add_format({"num_format": WHOLE_FORMAT}),
        "decimal": book.add_format({"num_format": DECIMAL_FORMAT}),
    }
    for name, frame in sheets.items():
        safe = safe_frame(frame)
        sheet = book.add_worksheet(name[:31])
        for col, column in enumerate(safe.columns):
            sheet.write_string(0, col, str(column), header)
            for row, value in enumerate(safe[column].tolist(), start=1):
                if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(row, col, value)
                elif _is_number(value):
                    kind = (
                        "percent"
                        if column in percent
                        else "whole"
                        if float(value).is_integer()
                        else "decimal"
                    )
                    sheet.write_number(row, col, value, formats[kind])
                else:
                    sheet.write_string(row, col, str(value))
            longest = max([len(str(column)), *(len(str(v)) for v in safe[column].head(200))])
            sheet.set_column(col, col, min(max(8, longest * 1.6), 60))
        sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


IMAGE_LABEL_LIMIT = 260


def static_spec(spec):
    """A chart spec for rendering to an image: no interactive selections, and fixed label
    widths where the screen version adapts them to its container."""
    if isinstance(spec, list):
        return [static_spec(item) for item in spec]
    if not isinstance(spec, dict):
        return spec
    if "condition" in spec and isinstance(spec["condition"], dict) and "param" in spec["condition"]:
        return {k: v for k, v in spec["condition"].items() if k not in ("param", "empty")}
    return {
        k: IMAGE_LABEL_LIMIT if k == "labelLimit" and isinstance(v, dict) else static_spec(v)
        for k, v in spec.items()
        if k != "params"
    }


FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")


@functools.cache
def cjk_font_available() -> bool:
    """Whether a Noto CJK font is installed, so images can draw Chinese (else: boxes)."""
    return any(d.is_dir() and next(d.rglob("NotoSansCJK*"), None) is not None for d in FONT_DIRS)


RESOLVE = {"scale": {"color": "independent", "x": "independent", "y": "independent"}}


def footer_title(lines: list[str]) -> dict:
    """A bottom title of text lines, from the image's left edge: what it says about itself."""
    return {
        "text": lines,
        "orient": "bottom",
        "anchor": "start",
        "frame": "bounds",
        "fontSize": 11,
        "fontWeight": "normal",
        "color": "#444",
        "offset": 24,
    }


def combined_spec(charts, width: int = 640, heading: str = "", footer: tuple[str, ...] = ()) -> dict:
    """One static Vega-Lite spec with the charts (specs of ``metrics.charts``) one above another,
    for image downloads; with ``heading`` (the view and its filters) above and ``footer`` lines
    (sources, dates, link) below, so that a pasted image says what it shows."""
    specs = [static_spec(chart) for chart in charts]
    datasets, parts, config = {}, [], {}
    for spec in specs:
        datasets.update(spec.get("datasets", {}))
        config = spec.get("config", config)
        parts.append(
            {**{k: v for k, v in spec.items() if k not in ("datasets", "$schema", "config")}, "width": width}
        )
    if footer:  # the footer is the bottom title of the charts (nested under the heading)
        parts = [{"vconcat": parts, "spacing": 28, "resolve": RESOLVE, "title": footer_title(list(footer))}]
    described = (
        {"title": {"text": heading, "fontSize": 17, "anchor": "start", "offset": 12}} if heading else {}
    )
    return {
        **described,
        "vconcat": parts,
        "resolve": RESOLVE,
        "datasets": datasets,
        "config": config,
        "spacing": 28,
        "padding": 16,
        "background": "white",
    }


def chart_png(charts, scale: float = 2, width: int = 640, heading: str = "", footer=()) -> bytes:
    """PNG of the charts (scale 2 for crisp text on projectors and in documents)."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(combined_spec(charts, width, heading, tuple(footer)), scale=scale)


def chart_svg(charts, width: int = 640, heading: str = "", footer=()) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(combined_spec(charts, width, heading, tuple(footer))).encode("utf-8")
