"""整改看板 — Streamlit entry: page setup, sidebar filters, navigation. Nothing heavy."""

import streamlit as st

from metrics import paths
from metrics.i18n import t
from metrics.ui import state

# (page script name, icon); the script is metrics/ui/pages/<name>.py and its title is t("page_<name>").
PAGES = [
    ("overview", ":material/dashboard:"),
    ("closure", ":material/task_alt:"),
    ("cases", ":material/gavel:"),
    ("reductions", ":material/trending_down:"),
    ("progress", ":material/traffic:"),
    ("profile", ":material/account_balance:"),
    ("figures", ":material/table_view:"),
    ("method", ":material/menu_book:"),
    ("importer", ":material/upload_file:"),
    ("extractor", ":material/document_scanner:"),
]
# Pages for editors: in the navigation only when editing is enabled (METRICS_EDITOR_PASSWORD);
# viewers see a viewer's app, with no page about how it is run.
EDITOR_PAGES = ("importer", "extractor")

st.set_page_config(page_title="整改看板 · Rectification dashboard", page_icon=str(paths.ICON), layout="wide")
state.sidebar()
state.watch_database()
lang = state.lang()
st.navigation(
    [
        st.Page(
            f"metrics/ui/pages/{name}.py",
            title=t(f"page_{name}", lang),
            url_path=name,
            icon=icon,
            default=i == 0,
        )
        for i, (name, icon) in enumerate(PAGES)
        if name not in EDITOR_PAGES or state.editing_enabled()
    ]
).run()
