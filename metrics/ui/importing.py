"""The editor pages' shared parts: the sign-in, and the checked import of a file (数据导入, and
the last step of 报告提取) with the batches and their rollback. Writing goes through
metrics.store.Store only, and only after the editor confirms."""

from __future__ import annotations

import math
import os
from dataclasses import asdict
from functools import partial

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from metrics import events, ingest, labels, sidefiles, signin, tablefile, targets
from metrics.i18n import t
from metrics.store import Store, StoreError
from metrics.ui import state
from metrics.ui.views import header, show_table


def editor(lang: str) -> bool:
    """Whether this session may write: the editor password (``METRICS_EDITOR_PASSWORD``) was given.

    Without the variable the page says how to enable editing and offers nothing that writes.
    Wrong passwords make the next attempt wait (``metrics.signin``); each submitted password is
    one attempt, checked once, and the box is emptied after it.
    """
    if not os.environ.get("METRICS_EDITOR_PASSWORD", ""):
        st.info(t("import_disabled", lang), icon=":material/lock:")
        return False
    if st.session_state.get("editor"):
        return True
    st.text_input(t("password", lang), type="password", key="editor_password", on_change=_sign_in)
    attempt = st.session_state.get("signin_attempt")
    if attempt is not None:
        st.error(t("wrong_password" if attempt.checked else "signin_not_checked", lang))
        wait = signin.THROTTLE.wait(_session_id())
        if wait > 0:
            st.warning(t("signin_wait", lang, seconds=math.ceil(wait)), icon=":material/timer:")
    return False


def _session_id() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


def _sign_in() -> None:
    """Password box callback: one throttled attempt per submitted password; the box is emptied,
    so that the password does not stay in the session and the same one can be tried again."""
    entered = st.session_state.get("editor_password", "")
    st.session_state["editor_password"] = ""
    if not entered:
        return
    password = os.environ.get("METRICS_EDITOR_PASSWORD", "")
    attempt = signin.THROTTLE.attempt(_session_id(), entered, password)
    st.session_state["editor"] = attempt.accepted
    st.session_state["signin_attempt"] = None if attempt.accepted else attempt


def importer() -> None:
    """数据导入: editors upload a file, see every problem by row, confirm, list and roll back batches."""
    lang = header("page_importer", "import_intro")
    template = st.columns(2)
    template[0].download_button(
        t("template_csv", lang),
        ingest.template("csv"),
        "import_template.csv",
        "text/csv",
        key="template_csv",
        on_click="ignore",
    )
    template[1].download_button(
        t("template_xlsx", lang),
        lambda: ingest.template("xlsx"),
        "import_template.xlsx",
        key="template_xlsx",
        on_click="ignore",
    )
    sides = st.columns(2)
    for where, kind in zip(sides, (targets.KIND, events.KIND), strict=True):
        where.download_button(
            t(f"template_{kind.table}", lang),
            partial(sidefiles.template, kind, "xlsx"),
            f"{kind.table}_template.xlsx",
            key=f"template_{kind.table}",
            on_click="ignore",
        )
    if not editor(lang):
        return
    upload = st.file_uploader(t("upload", lang), type=["csv", "xlsx"], key="upload")
    if upload is not None:
        check_upload(upload.getvalue(), upload.name, lang)
    _batches(lang)


def check_upload(
    data: bytes, name: str, lang: str, report: str | None = None, clear: tuple[str, ...] = ("upload",)
) -> None:
    """Every problem an import of ``data`` (quoting ``report``, kept with the batch) would meet,
    or what it would add and a button that imports it (then the widgets ``clear`` are emptied)."""
    if len(data) > tablefile.MAX_BYTES:
        st.error(t("too_big", lang, size=len(data) / 2**20, limit=tablefile.MAX_BYTES / 2**20))
        return
    try:
        checked = Store().check(data, name, report)
    except tablefile.UnreadableFile as error:
        st.error(t("unreadable", lang, reason=labels.plain(error)))
        return
    if checked.duplicate_of:
        st.info(t("already_imported", lang, batch=checked.duplicate_of))
        return
    if checked.problems:
        st.error(t("problems_found", lang, n=len(checked.problems)))
        problems = pd.DataFrame(
            [(p.file, p.row, p.column, p.reason) for p in checked.problems],
            columns=[t("col_file", lang), t("col_line", lang), t("col_column", lang), t("col_reason", lang)],
        )
        st.dataframe(problems, hide_index=True, width="stretch")
        return
    rows = checked.added_rows  # figures, or the targets or events of a side file
    st.success(t("rows_ok", lang, n=len(rows), what=t(f"rows_{checked.kind}", lang)))
    preview = rows.drop(columns=[rows.columns[0]]).reset_index(drop=True)  # not its generated id
    st.dataframe(preview, hide_index=True, width="stretch")
    added = checked.added()
    if not added.empty:
        st.info(t("new_entities", lang))
        shown = added.assign(what=[t(f"what_{w}", lang) for w in added.what])
        columns = {"what": "col_what", "name_zh": "col_name_zh", "name_en": "col_name_en"}
        columns |= {"id": "col_id", "detail": "col_detail", "row": "col_line"}
        st.dataframe(
            shown[list(columns)].rename(columns={c: t(k, lang) for c, k in columns.items()}),
            hide_index=True,
            width="stretch",
        )
    if st.button(t("confirm_import", lang), type="primary", key="confirm_import"):
        bar = st.progress(0.0)
        try:
            checked, batch = Store().import_file(
                data,
                name,
                progress=bar.progress,
                on_wait=lambda message: st.info(labels.plain(message)),
                report=report,
            )
        except StoreError as error:
            st.error(labels.plain(error))
            return
        if batch is None:  # the store changed since the check
            st.error(t("problems_found", lang, n=len(checked.problems)))
            return
        imported = t("imported", lang, n=batch.rows, what=t(f"rows_{batch.kind}", lang), batch=batch.batch_id)
        message, added = imported, checked.added()
        if not added.empty:
            separator = "、" if lang == "zh" else ", "
            names = separator.join(
                f"{t(f'what_{w}', lang)} {labels.plain(n)}"
                for w, n in zip(added.what, added.name_zh, strict=True)
            )
            message += ("" if lang == "zh" else " ") + t("added_entities", lang, names=names)
        st.session_state["import_message"] = message
        st.session_state["import_bodies"] = list(added[added.what == "body"].id)
        for key in clear:
            st.session_state.pop(key, None)
        st.rerun()


def import_done(lang: str) -> None:
    """The confirmation of the last import (shown once), with a link to each body it added."""
    if message := st.session_state.pop("import_message", None):
        st.success(message)
    bodies = st.session_state.pop("import_bodies", [])
    names = state.names("profile")
    for body in bodies:
        if body in names:
            st.page_link(
                "metrics/ui/pages/profile.py",
                label=t("open_profile", lang, name=names[body]),
                icon=":material/account_balance:",
                query_params={"profile": names[body]},
            )


def _batches(lang: str) -> None:
    import_done(lang)
    st.subheader(t("batches", lang))
    stored = Store().batches()
    if not stored:
        st.caption(t("no_batches", lang))
        return
    listing = pd.DataFrame([asdict(b) for b in reversed(stored)])
    columns = {
        "batch_id": "col_batch",
        "file_name": "col_file",
        "sha256": "col_sha256",
        "imported_at": "col_imported_at",
        "rows": "col_rows",
        "kind_label": "col_rows_of",
    }
    listing["kind_label"] = [t(f"rows_{kind}", lang) for kind in listing.kind]
    show_table(listing, columns, lang)
    with st.form("rollback"):
        choice = st.selectbox(t("rollback", lang), listing.batch_id, key="rollback_batch")
        sure = st.checkbox(t("rollback_confirm", lang), key="rollback_sure")
        if st.form_submit_button(t("rollback", lang)) and sure:
            try:
                batch = Store().rollback(choice, on_wait=lambda message: st.info(labels.plain(message)))
            except StoreError as error:
                why = "; ".join(map(str, getattr(error, "problems", [])[:5]))
                st.error(labels.plain(f"{error} {why}"))
                return
            st.session_state["import_message"] = t(
                "rolled_back", lang, batch=batch.batch_id, n=batch.rows, what=t(f"rows_{batch.kind}", lang)
            )
            st.rerun()
