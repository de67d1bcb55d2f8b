"""The app's shared caches (metrics.ui.state): queries started ahead of a page's need."""

from __future__ import annotations

import threading

import pandas as pd
import streamlit as st

from metrics import queries


def test_a_prefetched_query_runs_once_on_a_worker_and_is_what_the_page_then_reads(built_db, monkeypatch):
    monkeypatch.setenv("METRICS_DB", str(built_db))
    from metrics.ui import state

    st.cache_resource.clear()
    ran_on, release = [], threading.Event()

    def tianjin_kpis(con, filters):
        ran_on.append(threading.current_thread().name)
        assert release.wait(10), "the page never let the worker finish"
        return queries.kpis(con, filters)

    f = queries.Filters(bodies=("tianjin",))
    state.prefetch(f, tianjin_kpis)
    threading.Timer(0.2, release.set).start()  # the page asks while the worker still runs
    read = state.query(tianjin_kpis, f)

    assert len(ran_on) == 1 and ran_on[0].startswith("prefetch"), ran_on
    assert state.query(tianjin_kpis, f) is read  # one shared result
    with state.Store(built_db).connect() as con:
        pd.testing.assert_frame_equal(read, queries.kpis(con, f))
    assert read.figures.iloc[0] > 0
