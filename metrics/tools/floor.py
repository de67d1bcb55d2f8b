"""The framework's floor of a page: what Streamlit itself costs to send what the page shows.

``record`` keeps the messages of a page's last AppTest run; ``measure`` reruns a script that
sends the same elements again, fed from precomputed data: every table's frame is serialized to
Arrow again and every chart's spec to JSON (its datasets to Arrow), the way ``st.dataframe`` and
``st.vega_lite_chart`` do, and every other element is sent as it was. No query, no label, no
chart builder runs, so a page's rerun minus its floor is what the page's own code costs.
Widgets are sent but not registered, so the floor leaves out Streamlit's widget bookkeeping.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from metrics.tools.stats import summary


@contextmanager
def record():
    """Within the block, ``messages()`` returns the messages of the last AppTest run."""
    from streamlit.testing.v1 import local_script_runner

    parse = local_script_runner.parse_tree_from_messages
    last: list[list[ForwardMsg]] = [[]]

    def recording(messages):
        last[0] = list(messages)
        return parse(messages)

    local_script_runner.parse_tree_from_messages = recording
    try:
        yield lambda: last[0]
    finally:
        local_script_runner.parse_tree_from_messages = parse


def precomputed(messages: list[ForwardMsg]) -> list[tuple[ForwardMsg, object]]:
    """The page's element messages, each with the data it is made from: a table's frame, a
    chart's spec and dataset frames, or None for an element sent as it is."""
    from streamlit import dataframe_util

    out = []
    for msg in messages:
        if not msg.HasField("delta") or msg.delta.WhichOneof("type") != "new_element":
            if msg.HasField("delta"):
                out.append((msg, None))
            continue
        element = msg.delta.new_element
        kind = element.WhichOneof("type")
        if kind == "dataframe" and element.dataframe.arrow_data.data:
            out.append(
                (msg, dataframe_util.convert_arrow_bytes_to_pandas_df(element.dataframe.arrow_data.data))
            )
        elif kind == "vega_lite_chart":
            chart = element.vega_lite_chart
            datasets = {
                d.name: dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data) for d in chart.datasets
            }
            out.append((msg, (json.loads(chart.spec), datasets)))
        else:
            out.append((msg, None))
    return out


def replay(elements):  # no annotations: the script runs without this module's imports
    """The floor script: send ``elements`` (``precomputed``) again, serializing their data. Run
    as a script of its own (``AppTest.from_function``), so it imports what it uses."""
    import json

    from streamlit import dataframe_util
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    for msg, data in elements:
        if data is not None:
            copy = ForwardMsg()
            copy.CopyFrom(msg)
            msg = copy
            element = msg.delta.new_element
            if element.WhichOneof("type") == "dataframe":
                element.dataframe.arrow_data.data = dataframe_util.convert_pandas_df_to_arrow_bytes(data)
            else:
                spec, datasets = data
                element.vega_lite_chart.spec = json.dumps(spec)
                for dataset in element.vega_lite_chart.datasets:
                    dataset.data.data = dataframe_util.convert_anything_to_arrow_bytes(datasets[dataset.name])
        ctx.enqueue(msg)


def measure(messages: list[ForwardMsg], reruns: int) -> dict:
    """Median and p95 of ``reruns`` runs of the floor script over ``messages``."""
    from streamlit.testing.v1 import AppTest
    from streamlit.testing.v1.element_tree import parse_tree_from_messages

    at = AppTest.from_function(replay, args=(precomputed(messages),), default_timeout=300)
    times = []
    for _ in range(reruns + 1):  # the first run starts the script thread: not counted
        at._tree = parse_tree_from_messages([])  # the widgets sent are not registered: no states
        at._tree._runner = at
        start = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - start) * 1000)
        if at.exception:
            raise RuntimeError(f"the floor script failed: {at.exception[0].value}")
    return summary(times[1:])
