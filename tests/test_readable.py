"""Charts of thousands of bodies stay readable: the highest and lowest rows, with a caption."""

from streamlit.testing.v1 import AppTest


def app():
    import pandas as pd
    import streamlit as st

    from metrics import view
    from metrics.ui import views

    def readable(group, by):  # how a page draws a long group: its highest and lowest rows, captioned
        views.caption_rows(len(group), "zh")
        return view.top_and_bottom(group, by)

    frame = pd.DataFrame(
        {"row_label": [f"b{i}" for i in range(100)], "closure_rate": [i / 100 for i in range(100)]}
    )
    shown = readable(frame, "closure_rate")
    st.write(",".join(shown.row_label))
    small = readable(frame.head(5), "closure_rate")
    st.write(f"{len(small)} rows")


def test_a_long_group_shows_its_15_highest_and_15_lowest():
    at = AppTest.from_function(app).run()
    assert not at.exception
    labels = at.markdown[0].value.split(",")
    assert labels == [f"b{i}" for i in range(99, 84, -1)] + [f"b{i}" for i in range(14, -1, -1)]
    assert at.markdown[1].value == "5 rows"
    assert at.caption[0].value.startswith("共 100 项，图中显示最高和最低各 15 项")
    assert len(at.caption) == 1  # no caption when nothing is left out
