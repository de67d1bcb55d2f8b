"""The bench's framework floor (metrics.tools.floor): the same elements, sent again from
precomputed data, without the page's own code."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from metrics.tools import floor


def page():  # an AppTest script: imports inside
    import pandas as pd
    import streamlit as st

    st.title("标题")
    st.multiselect("单位", ["天津", "内蒙古"], key="body")
    frame = pd.DataFrame({"单位": ["天津", "内蒙古"], "完成率": [0.714, 0.614]})
    st.dataframe(frame)
    with st.expander("更多"):
        st.vega_lite_chart(
            frame,
            {"mark": "bar", "encoding": {"x": {"field": "完成率", "type": "quantitative"}}},
        )
    st.caption("来源")


def recorded():
    at = AppTest.from_function(page)
    with floor.record() as messages:
        at.run()
        return at, messages()


def test_the_floor_sends_the_same_elements_with_the_same_data():
    at, messages = recorded()
    replayed = AppTest.from_function(floor.replay, args=(floor.precomputed(messages),))
    replayed.run()
    assert not replayed.exception
    assert replayed.title[0].value == "标题" and replayed.caption[0].value == "来源"
    assert replayed.multiselect[0].proto.options == at.multiselect[0].proto.options
    assert replayed.dataframe[0].value.equals(at.dataframe[0].value)
    [chart], [original] = replayed.get("vega_lite_chart"), at.get("vega_lite_chart")
    assert json.loads(chart.proto.spec) == json.loads(original.proto.spec)
    assert [d.data.data for d in chart.proto.datasets] == [d.data.data for d in original.proto.datasets]
    assert len(replayed.expander) == 1  # blocks are sent too: the chart is inside the expander


def test_the_floor_serializes_the_data_again_on_every_run():
    _, messages = recorded()
    elements = floor.precomputed(messages)
    with_data = [data for _, data in elements if data is not None]
    assert len(with_data) == 2  # the table's frame, the chart's spec and datasets
    frame = next(d for d in with_data if not isinstance(d, tuple))
    assert list(frame.columns) == ["单位", "完成率"]


def test_measure_reports_each_rerun():
    _, messages = recorded()
    result = floor.measure(messages, 3)
    assert result["n"] == 3 and result["median_ms"] > 0
