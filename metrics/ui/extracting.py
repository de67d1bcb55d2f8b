"""报告提取: a report's figures proposed as import rows, reviewed by staff, checked and imported
with the report kept as the source's text. The workflow itself is metrics.proposals."""

from __future__ import annotations

import hashlib
import html

import pandas as pd
import streamlit as st

from metrics import ingest, labels, proposals, textio
from metrics.i18n import t
from metrics.store import Store
from metrics.ui import state
from metrics.ui.importing import check_upload, editor, import_done
from metrics.ui.views import header
from metrics.validate import ROLES_BY_KIND

# The label of each column of the review tables (an i18n key per import column).
LABELS = {
    "body": "col_body",
    "body_name_zh": "col_name_zh",
    "body_kind": "col_body_kind",
    "body_region": "col_region",
    "body_name_en": "col_name_en",
    "body_short_en": "col_short_en",
    "theme": "col_theme_new",
    "theme_name_en": "col_name_en",
    "indicator": "col_indicator_new",
    "indicator_name_en": "col_name_en",
    "indicator_family": "col_family",
    "indicator_direction": "col_indicator_direction",
    "indicator_definition_zh": "col_definition_zh",
    "indicator_definition_en": "col_definition_en",
    "comparable_group": "col_comparable_group",
    "comparability": "col_comparability",
    "caveat_zh": "col_caveat_zh",
    "caveat_en": "col_caveat_en",
    "measure_kind": "col_measure_kind",
    "label_zh": "col_label_zh",
    "role": "col_role",
    "value": "col_value",
    "counter": "col_counter",
    "qualifier": "col_qualifier",
    "as_written": "col_as_written",
    "evidence": "col_evidence",
}


def _labelled(columns, config: dict, lang: str) -> dict:
    """``config`` with every column of ``columns`` labelled in ``lang`` (a plain text column
    where ``config`` has none)."""
    out = {}
    for column in columns:
        given = config.get(column) or st.column_config.TextColumn()
        given["label"] = t(LABELS[column], lang)
        out[column] = given
    return out


# What the page asks once for the whole report (the source, its date, a body for a text
# without section headings), with the widget key of each.
ASKED = ("source_title", "source_publisher", "source_reference", "report_as_of", "report_body")


@st.cache_data(max_entries=8, show_spinner=False)
def _propose(text: str, asked: tuple[tuple[str, str], ...], stamp) -> proposals.Proposed:
    """The proposals of ``text`` against the published build ``stamp`` (cached per report)."""
    given = dict(asked)
    source = {k: given[k] for k in ("source_title", "source_publisher", "source_reference")}
    return proposals.propose(text, Store(), given["report_as_of"], source, given["report_body"])


@st.cache_data(max_entries=2, show_spinner=False)
def _catalogue(stamp) -> proposals.Catalogue:
    with Store().connect() as con:
        return proposals.Catalogue.of(con)


def _marked(text: str, kept, left) -> str:
    """The report as HTML: figures proposed for import highlighted, those left out struck through."""
    spans = sorted([(s, e, "mark") for s, e in kept] + [(s, e, "del") for s, e in left if s >= 0])
    out, last = [], 0
    for start, end, tag in spans:
        if start < last:
            continue
        out += [html.escape(text[last:start]), f"<{tag}>{html.escape(text[start:end])}</{tag}>"]
        last = end
    out.append(html.escape(text[last:]))
    return "<div style='white-space:pre-wrap;line-height:1.8'>" + "".join(out) + "</div>"


def _text(lang: str) -> str:
    upload = st.file_uploader(t("report_file", lang), type=["txt"], key="report_file")
    text = st.text_area(t("report_text", lang), key="report_text", height=200)
    if upload is not None:
        try:
            return textio.decode(upload.getvalue())
        except ValueError as error:
            st.error(t("unreadable", lang, reason=labels.plain(error)))
            return ""
    return text


def _asked(text: str, lang: str) -> dict[str, str]:
    """The source, as-of date and body, proposed from the text and editable."""
    defaults = {
        "source_title": proposals.title_of(text),
        "report_as_of": proposals.as_of_of(text),
        "report_body": proposals.single_body(text),
    }
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    if st.session_state.get("report_digest") != digest:  # a new report: its own defaults
        st.session_state["report_digest"] = digest
        for key in ASKED:
            st.session_state[key] = defaults.get(key, "")
    cols = st.columns([3, 2, 2, 1, 2])
    return {key: col.text_input(t(key, lang), key=key).strip() for key, col in zip(ASKED, cols, strict=True)}


def _new_tables(new: dict[str, pd.DataFrame], catalogue, lang: str) -> dict[str, pd.DataFrame]:
    """The bodies, themes and indicators the report adds: reviewed, added to, deleted from."""
    kinds = catalogue.body_kinds
    families = list(ingest.FAMILIES)
    config = {
        "body": {
            "body_kind": st.column_config.SelectboxColumn(options=kinds, required=True),
        },
        "theme": {},
        "indicator": {
            "indicator_family": st.column_config.SelectboxColumn(options=families),
            "indicator_direction": st.column_config.SelectboxColumn(options=["up", "down", "none"]),
            "comparability": st.column_config.SelectboxColumn(options=["", "same", "caveat"]),
        },
    }
    edited = {}
    for what in proposals.NEW:
        st.markdown(f"**{t(f'new_{what}_table', lang)}**")
        edited[what] = st.data_editor(
            new[what],
            key=f"new_{what}s",
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            column_config=_labelled(new[what].columns, config[what], lang),
        )
    return edited


def _review(review: pd.DataFrame, new: dict[str, pd.DataFrame], catalogue, lang: str) -> pd.DataFrame:
    """The figures: every body, theme and indicator of the store or added above to choose from."""

    def options(what: str, known) -> list[str]:
        added = [str(x) for x in new[what][what].dropna() if str(x)]
        return sorted(set(map(str, known)) | set(added))

    roles = sorted(set().union(*ROLES_BY_KIND.values()))
    return st.data_editor(
        review.drop(columns=proposals.SPANS),
        key="proposal_editor",
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config=_labelled(
            proposals.REVIEW,
            {
                "body": st.column_config.SelectboxColumn(
                    options=options("body", catalogue.bodies.short_zh), required=True
                ),
                "theme": st.column_config.SelectboxColumn(
                    options=options("theme", catalogue.themes.name_zh), required=True
                ),
                "indicator": st.column_config.SelectboxColumn(
                    options=options("indicator", catalogue.indicators.name_zh),
                    required=True,
                ),
                "measure_kind": st.column_config.SelectboxColumn(options=list(ROLES_BY_KIND), required=True),
                "role": st.column_config.SelectboxColumn(options=roles, required=True),
                "qualifier": st.column_config.SelectboxColumn(
                    options=["exact", "more_than", "at_least", "about", "less_than"]
                ),
            },
            lang,
        ),
    )


def page() -> None:
    """报告提取: paste a report, review what is proposed, check, import."""
    lang = header("page_extractor", "extract_intro")
    if not editor(lang):
        return
    import_done(lang)
    text = _text(lang)
    if not text.strip():
        return
    asked = _asked(text, lang)
    if not asked["report_as_of"]:
        st.warning(t("report_no_date", lang))
        return
    stamp = state.db_stamp()
    found = _propose(text, tuple(asked.items()), stamp)
    catalogue = _catalogue(stamp)
    if found.rows.empty and found.left.empty:
        st.info(t("no_proposals", lang))
        return
    st.caption(t("proposals_ready", lang, n=len(found.rows), left=len(found.left)))
    with st.container(height=260):
        st.html(_marked(text, zip(found.rows.start, found.rows.end), zip(found.left.start, found.left.end)))
    if not found.left.empty:
        with st.expander(t("left_out", lang, n=len(found.left))):
            columns = {"as_written": "col_as_written", "body": "col_body", "reason": "col_reason"}
            columns |= {"evidence": "col_evidence"}
            shown = found.left[list(columns)].rename(columns={c: t(k, lang) for c, k in columns.items()})
            st.dataframe(shown, hide_index=True, width="stretch")
    review, new = proposals.review_tables(found.rows)
    new = _new_tables(new, catalogue, lang)
    st.markdown(f"**{t('review_figures', lang)}**")
    reviewed = _review(review, new, catalogue, lang)
    source = {
        "source_title": asked["source_title"],
        "source_publisher": asked["source_publisher"] or proposals.UNSTATED,
        "source_published": asked["report_as_of"],
        "source_reference": asked["source_reference"] or proposals.UNSTATED,
    }
    rows = proposals.from_review(reviewed, new, catalogue, asked["report_as_of"], source)
    data = proposals.csv_bytes(rows)
    name = f"report_{hashlib.sha256(data).hexdigest()[:8]}.csv"
    if st.button(t("check", lang), key="extract_check"):
        st.session_state["extract_checked"] = name
    if st.session_state.get("extract_checked") == name:  # stays until the tables change
        check_upload(data, name, lang, report=text, clear=("report_text", "report_file", "extract_checked"))
