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


def test_a_chart_s_wire_bytes_hold_exactly_its_dataset_rows():
    """What the browser receives (``Chart.wire``: Arrow IPC bytes) decodes to the spec's rows,
    missing values, numbers, flags and Chinese text included; rows Arrow cannot type by column
    still go (Streamlit's own way)."""
    import pyarrow as pa

    from metrics.ui.state import Chart

    rows = [
        {"body_id": "tianjin", "row_label": "天津 · 办结", "value": 621, "rate": 0.714, "label_row": True},
        {"body_id": "inner_mongolia", "row_label": None, "value": 7461, "rate": None, "label_row": False},
    ]
    mixed = [{"x": 1}, {"x": "一"}]
    spec = {"mark": "bar", "datasets": {"data-a": rows, "data-empty": [], "data-mixed": mixed}}

    chart = Chart.of(spec)

    assert chart.spec is spec and chart.wire["mark"] == "bar"
    decoded = {name: pa.ipc.open_stream(data).read_all() for name, data in chart.wire["datasets"].items()}
    assert decoded["data-a"].to_pylist() == rows
    assert decoded["data-empty"].num_rows == 0
    assert decoded["data-mixed"].num_rows == 2
