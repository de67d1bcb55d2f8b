"""Display columns for a language: names, formatted numbers, tooltips.

Pure pandas: takes a frame from ``queries`` and returns a copy with ``*_label``
columns in Chinese or English. Numbers are only formatted here, never derived.
"""

from __future__ import annotations

import re

import pandas as pd

from metrics.i18n import region_name, t
from metrics.numbers import QUALIFIER_LABELS, format_number, format_percent

NAME_COLUMNS = {
    # label column: (Chinese source column, English source column)
    "body_label": ("body_short_zh", "body_short_en"),
    "body_name": ("body_zh", "body_en"),
    "body_kind_label": ("body_kind_zh", "body_kind_en"),
    "theme_label": ("theme_zh", "theme_en"),
    "indicator_label": ("indicator_zh", "indicator_en"),
    "measure_label": ("measure_zh", "measure_en"),
    "comparable_label": ("comparable_group_zh", "comparable_group_en"),
    "definition_label": ("definition_zh", "definition_en"),
    "caveat_label": ("caveat_zh", "caveat_en"),
}
CAVEAT_MARK = "※"  # after the row label of a measure that joins its group with a caveat


# Every ASCII punctuation character: CommonMark lets each be escaped with a backslash, and
# between them they start all Markdown and HTML syntax (links, images, emphasis, code, tags,
# entities, autolinks, and Streamlit's :color[…], :material/…: and $math$).
MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
LINE_BREAKS = re.compile(r"\s*[\n\r\v\f\x85\u2028\u2029]\s*")
# GFM makes links of bare http://…, https://…, www.… and e-mail addresses in text even when their
# punctuation is escaped; an invisible WORD JOINER after "http:", "www" or "@" stops it.
AUTOLINK_STARTS = re.compile(r"(?i)(?:https?:(?=//)|www(?=\.)|@(?=[-a-z0-9_]))")
WORD_JOINER = "\u2060"


def plain(text) -> str:
    r"""Text from the data made safe to put inside Markdown (``st.markdown``, ``st.caption``,
    ``st.subheader``, widget and expander labels, ``st.error``…): every Markdown and HTML special
    character is backslash-escaped, so it shows exactly as written and never becomes a link, an
    image the browser fetches, emphasis or a tag; bare URLs and e-mail addresses get an invisible
    WORD JOINER so that they do not become links either. Line breaks become spaces (Markdown
    would start a heading, a list or a code block at a line start) and the ends are trimmed; a
    missing value is empty.

    >>> print(plain("![](x.png) **粗体** <b>"))
    \!\[\]\(x\.png\) \*\*粗体\*\* \<b\>
    """
    if text is None or text is pd.NA or (isinstance(text, float) and pd.isna(text)):
        return ""
    text = AUTOLINK_STARTS.sub(lambda m: m.group() + WORD_JOINER, LINE_BREAKS.sub(" ", str(text)).strip())
    return MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def names(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Copy of ``df`` with the name columns of ``lang`` and a ``row_label`` 'body · measure'
    (a shallow copy: with copy-on-write, changing it never changes ``df``)."""
    out = df.copy(deep=False)
    for label, (zh, en) in NAME_COLUMNS.items():
        if zh in out.columns:
            out[label] = out[en if lang == "en" else zh]
    if "measure_label" in out.columns:
        out["row_label"] = out["body_label"] + " · " + out["measure_label"]
        if "comparability" in out.columns:
            marked = out["comparability"].eq("caveat")
            out.loc[marked, "row_label"] = out.loc[marked, "row_label"] + " " + CAVEAT_MARK
    if "direction" in out.columns:
        out["direction_text"] = [
            t(f"direction_{d}", lang) if isinstance(d, str) else "" for d in out.direction
        ]
    if "group_rank" in out.columns:  # only groups two or more bodies report are ranked
        out["rank_label"] = [
            t("rank_of", lang, rank=int(r), size=int(n)) if pd.notna(r) and b > 1 else ""
            for r, n, b in zip(out["group_rank"], out["group_size"], out["group_bodies"], strict=True)
        ]
    return out


def panel_title(group: pd.DataFrame, lang: str) -> tuple[str, list[str]]:
    """The title of a comparable group's chart ('群众诉求办结 · 完成率') and its subtitle lines: the
    group's definition, then every caveat of its members, marked as their bars are."""
    metric = group["group_key"].iloc[0].split("/")[1]
    title = f"{group['comparable_label'].iloc[0]} · {t(f'metric_{metric}', lang)}"
    lines = wrap(group["definition_label"].iloc[0], lang)
    caveats = group.loc[group["comparability"].eq("caveat"), ["caveat_label", "body_label"]]
    for caveat, rows in caveats.groupby("caveat_label", sort=True):
        who = (
            "、".join(dict.fromkeys(rows["body_label"]))
            if lang != "en"
            else ", ".join(dict.fromkeys(rows["body_label"]))
        )
        lines += wrap(f"{CAVEAT_MARK} {who}: {caveat}", lang)
    return title, lines


def group_panel_title(group: pd.DataFrame, lang: str) -> tuple[str, list[str]]:
    """``panel_title`` for rows summed per group of bodies: the caveat is named, not each member's."""
    metric = group["group_key"].iloc[0].split("/")[1]
    title = f"{group['comparable_label'].iloc[0]} · {t(f'metric_{metric}', lang)}"
    lines = wrap(group["definition_label"].iloc[0], lang)
    if group["with_caveat"].any():
        lines += wrap(f"{CAVEAT_MARK} {t('group_with_caveat', lang)}", lang)
    return title, lines


def wrap(text: str, lang: str, width: int | None = None) -> list[str]:
    """``text`` cut into lines a chart can show on a phone too (charts do not wrap titles): 24
    characters in Chinese, 50 in English, breaking English at spaces."""
    if not text:
        return []
    if lang == "en":
        import textwrap

        return textwrap.wrap(text, width or 50)
    width = width or 24  # a chart on a phone is ~360 px wide: longer lines would be cut off
    return [text[i : i + width] for i in range(0, len(text), width)]


def quantity_text(value, counter: str, qualifier: str, as_written: str, lang: str) -> str:
    """A figure for display: verbatim in Chinese, formatted with its qualifier in English.

    >>> quantity_text(3000, "个", "more_than", "3000多个", "en")
    'more than 3,000'
    """
    if lang != "en" and as_written:
        return as_written
    text = format_number(value, lang, counter)
    prefix = QUALIFIER_LABELS[lang].get(qualifier, "")
    return f"{prefix} {text}".strip() if prefix else text


def signed(value, lang: str, counter: str) -> str:
    """A change with its sign, the same in every place and language: -31.8%, +64%, +2个百分点."""
    text = format_number(value, lang, counter)
    return f"+{text}" if pd.notna(value) and value > 0 else text


def values(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Figures with ``value_label``: as written in Chinese, formatted in English; a change
    (``change_pct``, ``change_pp``) always signed, so a reduction reads −31.8% everywhere."""
    out = names(df, lang)
    cells = _columns(out, "value", "counter", "qualifier", "as_written")
    out["value_label"] = [quantity_text(*r, lang) for r in zip(*cells, strict=True)]
    if "role" in out.columns:
        change = out["role"].isin(["change_pct", "change_pp", "change_abs"])
        out.loc[change, "value_label"] = [
            signed(v, lang, c)
            for v, c in zip(out.loc[change, "value"], out.loc[change, "counter"], strict=True)
        ]
    return out


def _columns(df: pd.DataFrame, *names: str) -> list[list]:
    """Columns as plain lists: row by row access to a wide frame costs more than the formatting."""
    return [df[name].tolist() for name in names]


def closures(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Closure rows with ``rate_label`` ('71.4%') and ``closure_label`` ('71.4% · 621/870')."""
    out = names(df, lang)
    out["rate_label"] = [format_percent(r, lang) for r in out.closure_rate]
    cells = _columns(out, "closure_rate", "closed", "total", "approximate", "total_derived")
    out["closure_label"] = [_closure_text(*r, lang) for r in zip(*cells, strict=True)]
    return out


def _closure_text(rate, closed, total, approximate, total_derived, lang: str) -> str:
    """'71.4% · 621/870' ('621 of 870' in English), ≈ when approximate, * when the total is derived."""
    of = " of " if lang == "en" else "/"
    return (
        ("≈" if approximate else "")
        + f"{format_percent(rate, lang)} · {format_number(closed, lang)}{of}{format_number(total, lang)}"
        + (" *" if total_derived else "")
    )


def _change_text(change_pct, derived, change_pp, lang: str) -> str:
    """-77.6% as reported; a percent derived from before/after is shown to one decimal."""
    if pd.notna(change_pct):
        return signed(round(change_pct, 1) if derived else change_pct, lang, "%")
    if pd.notna(change_pp):
        return signed(change_pp, lang, "个百分点")
    return format_number(None)


def changes(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Change rows with ``change_label`` and ``direction_label`` (good / bad / none)."""
    out = names(df, lang)
    cells = _columns(out, "change_pct", "change_pct_derived", "change_pp")
    out["change_label"] = [_change_text(*r, lang) for r in zip(*cells, strict=True)]
    out["change_value"] = out.change_pct.fillna(out.change_pp).fillna(out.change_abs)
    absolute = out.change_pct.isna() & out.change_pp.isna() & out.change_abs.notna()
    out.loc[absolute, "change_label"] = [  # 同比减少9个: −9个
        signed(v, lang, c or "") for v, c in zip(out.change_abs[absolute], out.counter[absolute], strict=True)
    ]
    out["before_label"] = [format_number(v, lang, c or "") for v, c in zip(out.before, out.counter)]
    out["after_label"] = [format_number(v, lang, c or "") for v, c in zip(out.after, out.counter)]
    only_after = out.change_pct.isna() & out.change_pp.isna() & out.after.notna()
    out.loc[only_after, "change_label"] = "→" + out.loc[only_after, "after_label"]  # 增加到25种
    out["direction_label"] = [
        t("neutral", lang) if pd.isna(g) else t("good", lang) if g else t("bad", lang) for g in out.is_good
    ]
    return out


# --- groups of bodies (queries.closure_groups, case_groups, change_groups) ------------------------


def groups(df: pd.DataFrame, by: str, lang: str) -> pd.DataFrame:
    """Copy of a grouped frame with ``indicator_label`` and ``group_label`` (the kind of body, or
    the region, with national bodies as 全国/中央) in ``lang``."""
    out = names(df, lang)
    if by == "region":
        out["group_label"] = [region_name(g, lang) for g in out.group_id]
    else:
        out["group_label"] = out["group_en" if lang == "en" else "group_zh"]
    return out


def closure_groups(df: pd.DataFrame, by: str, lang: str) -> pd.DataFrame:
    """Grouped closures with ``rate_label`` and ``closure_label`` ('62.0% · 8082/13026')."""
    out = groups(df, by, lang)
    out["rate_label"] = [format_percent(r, lang) for r in out.closure_rate]
    cells = _columns(out, "closure_rate", "closed", "total", "approximate", "total_derived")
    out["closure_label"] = [_closure_text(*r, lang) for r in zip(*cells, strict=True)]
    return out


def value_groups(df: pd.DataFrame, by: str, lang: str) -> pd.DataFrame:
    """Grouped counts with ``value_label`` ('≈1.33万件' when a summed figure is approximate)."""
    out = groups(df, by, lang)
    out["value_label"] = [
        ("≈" if r.approximate else "") + format_number(r.value, lang, r.counter) for r in out.itertuples()
    ]
    return out


def change_groups(df: pd.DataFrame, by: str, lang: str) -> pd.DataFrame:
    """Grouped changes with ``median_label``, ``range_label`` ('-80% ~ -12.5%'), before and after
    sums with their counter, and ``direction_label`` of the median."""
    out = groups(df, by, lang)

    def pct(value) -> str:
        return format_number(None if pd.isna(value) else round(value, 1), lang, "%")

    out["median_label"] = [pct(v) for v in out.change_pct_median]
    out["range_label"] = [f"{pct(lo)} ~ {pct(hi)}" for lo, hi in zip(out.change_pct_min, out.change_pct_max)]
    out["before_label"] = [format_number(v, lang, c or "") for v, c in zip(out.before, out.counter)]
    out["after_label"] = [format_number(v, lang, c or "") for v, c in zip(out.after, out.counter)]
    out["direction_label"] = [
        t("neutral", lang) if pd.isna(g) else t("good", lang) if g else t("bad", lang) for g in out.is_good
    ]
    return out


def headed(df: pd.DataFrame, columns: dict[str, str], lang: str) -> pd.DataFrame:
    """The listed columns of ``df``, renamed to their UI headers.

    ``columns`` maps a frame column to an i18n key: ``{"body_label": "col_body"}``.
    """
    return df[list(columns)].rename(columns={c: t(key, lang) for c, key in columns.items()})


# --- progress between reports (queries.progress) ------------------------------------------------------

# Marks every CJK system font draws (colour emoji are missing on many servers and in exports).
LIGHT_MARKS = {"green": "✔", "yellow": "▲", "red": "✖", "stale": "○", "no_target": "–"}
LIGHT_MARK_COLOURS = {
    "green": "green",
    "yellow": "orange",
    "red": "red",
    "stale": "gray",
    "no_target": "gray",
}
COMPARISON_SIGNS = {"at_least": "≥", "at_most": "≤"}


def light_text(light: str, days_since, lang: str) -> str:
    """'▲ 落后但在改善'; a stale measure says how long ago it reported ('○ 61 天未报送')."""
    if light == "stale":
        return f"{LIGHT_MARKS[light]} {t('light_stale_days', lang, days=int(days_since))}"
    return f"{LIGHT_MARKS[light]} {t(f'light_{light}', lang)}"


def _progress_change(unit: str, change, amount, counter: str, lang: str) -> str:
    """A change in its terms: points for rates ('+12.7个百分点'), the difference and the percent
    for counts ('+34起 (+20.5%)'), the difference for absolute changes; '' without a previous."""
    if pd.isna(amount):
        return ""
    if unit == "points":
        return signed(round(amount, 1), lang, "个百分点")
    difference = signed(round(amount, 1), lang, counter or "")
    if unit == "percent" and pd.notna(change):
        return f"{difference} ({signed(round(change, 1), lang, '%')})"
    return difference


def _rank_move(move) -> str:
    """↑2 (moved up two places), ↓1, = (same place); '' when there was no previous standing."""
    if pd.isna(move):
        return ""
    return "=" if move == 0 else f"↑{int(move)}" if move > 0 else f"↓{int(-move)}"


def progress(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Progress rows with ``light_label``, ``value_label``, ``previous_label``, ``change_label``,
    ``rank_label`` ('第 1 / 3'), ``rank_change_label`` ('↑2') and ``target_label`` ('≥ 90% · 2020-12')."""
    out = names(df, lang)
    value, previous, counter = _columns(out, "value", "previous", "counter")

    def number(v, c) -> str:
        return "" if pd.isna(v) else format_number(round(v, 1), lang, c or "")

    out["value_label"] = [number(v, c) for v, c in zip(value, counter, strict=True)]
    out["previous_label"] = [number(v, c) for v, c in zip(previous, counter, strict=True)]
    cells = _columns(out, "change_unit", "change", "change_amount", "counter")
    out["change_label"] = [_progress_change(*r, lang) for r in zip(*cells, strict=True)]
    out["rank_label"] = [
        t("rank_of", lang, rank=int(r), size=int(n))
        for r, n in zip(out["rank"], out["group_size"], strict=True)
    ]
    out["rank_change_label"] = [_rank_move(m) for m in out.rank_change]
    out["light_label"] = [light_text(g, d, lang) for g, d in zip(out.light, out.days_since, strict=True)]
    cells = _columns(out, "comparison", "target", "target_counter", "deadline")
    out["target_label"] = [
        ""
        if pd.isna(c) or c is None
        else f"{COMPARISON_SIGNS[c]} {number(v, k)}" + (f" · {d}" if isinstance(d, str) and d else "")
        for c, v, k, d in zip(*cells, strict=True)
    ]
    return out


def light_tallies(df: pd.DataFrame, by: str, lang: str) -> pd.DataFrame:
    """Tallies of lights (queries.progress_lights) with ``tally_label`` in ``lang``: the kind of
    body, or the comparable group with its kind of figure ('巡视督察反馈问题整改 · 完成率')."""
    out = df.copy()
    out["tally_label"] = out["tally_en" if lang == "en" else "tally_zh"]
    if by == "group":
        metrics = [t(f"metric_{key.split('/')[1]}", lang) for key in out.tally_id]
        out["tally_label"] = [
            f"{name} · {metric}" for name, metric in zip(out.tally_label, metrics, strict=True)
        ]
    return out


def progress_history(df: pd.DataFrame, lang: str, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Reports of measures (queries.progress_trends) with ``row_label`` and ``value_label``; with
    ``events`` (queries.progress_events), one more row per measure and event on or after the
    measure's first drawn report: ``event_label`` (its title in ``lang``), ``event_date`` and
    ``as_of_date`` (its day), no value. Report rows have no ``event_label``."""
    out = names(df, lang)
    out["value_label"] = [
        format_number(round(v, 1), lang, c or "") for v, c in zip(out.value, out.counter, strict=True)
    ]
    out["event_label"] = None
    out["event_date"] = None
    if events is None or events.empty or out.empty:
        return out
    rows = out.drop_duplicates("measure_id")[["measure_id", "row_label"]]
    first = pd.to_datetime(out.as_of_date).min()
    marked = events.merge(rows, on="measure_id")
    marked = marked[pd.to_datetime(marked.event_day) >= first]
    if marked.empty:
        return out
    marked = marked.assign(
        event_label=marked["title_en" if lang == "en" else "title_zh"],
        as_of_date=pd.to_datetime(marked.event_day),
    )[["measure_id", "row_label", "event_label", "event_date", "as_of_date"]]
    return pd.concat([out, marked], ignore_index=True)
