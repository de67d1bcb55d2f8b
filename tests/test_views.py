"""Derived numbers (closure rates, changes), filters and progress over time, from a built database.

Every expected number is written by hand from the source text.
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd
import pytest

from metrics import paths, queries, store
from metrics.queries import Filters


def only(frame: pd.DataFrame, **where) -> pd.Series:
    rows = frame
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, f"{len(rows)} rows where {where}"
    return rows.iloc[0]


def missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def same(value, expected) -> bool:
    """Equal, where expected None means NULL (None, NaN or NA from pandas)."""
    return missing(value) if expected is None else value == expected


CLOSURES = [
    # measure_id, short body, total, closed, partly_closed, in_progress, total_derived, rate as shown
    ("tianjin_public_requests_closure", "天津", 870, 621, None, None, False, "71.4%"),
    ("inner_mongolia_opinions_closure", "内蒙古", 12156, 7461, None, None, False, "61.4%"),
    ("inner_mongolia_inspection_closure", "内蒙古", 171, 141, None, None, False, "82.5%"),
    ("mca_inspection_tasks_closure", "民政部", 79, 14, 26, 39, False, "17.7%"),
    ("inner_mongolia_env_inspection_closure", "内蒙古", 26, 9, None, 17, True, "34.6%"),
]
CLOSURE_FIELDS = ("measure_id", "body", "total", "closed", "partly", "in_progress", "derived", "shown")


@pytest.mark.parametrize(CLOSURE_FIELDS, CLOSURES)
def test_closure_from_queries(con, measure_id, body, total, closed, partly, in_progress, derived, shown):
    row = only(queries.closures(con), measure_id=measure_id)
    assert row.body_short_zh == body
    assert (row.total, row.closed) == (total, closed)
    assert abs(row.closure_rate - closed / total) < 1e-12
    assert f"{row.closure_rate:.1%}" == shown
    assert bool(row.total_derived) is derived
    assert same(row.partly_closed, partly)
    assert same(row.in_progress, in_progress)


@pytest.mark.parametrize(CLOSURE_FIELDS, CLOSURES)
def test_closure_from_sql(con, measure_id, body, total, closed, partly, in_progress, derived, shown):
    got = con.execute(
        "SELECT body_short_zh, total, closed, partly_closed, in_progress, total_derived, closure_rate "
        "FROM closures WHERE measure_id = ?",
        [measure_id],
    ).fetchall()
    assert len(got) == 1
    *values, rate = got[0]
    assert values == [body, total, closed, partly, in_progress, derived]
    assert abs(rate - closed / total) < 1e-12


def test_mca_parts_add_up_to_the_total(con):
    total, closed, partly, in_progress, not_reported = con.execute(
        "SELECT total, closed, partly_closed, in_progress, status_not_reported FROM closures "
        "WHERE measure_id = 'mca_inspection_tasks_closure'"
    ).fetchone()
    assert (total, closed, partly, in_progress) == (79, 14, 26, 39)
    assert total == 14 + 26 + 39
    assert not_reported == 0


def test_inner_mongolia_environment_total_is_derived_from_its_parts(con):
    row = only(queries.closures(con), measure_id="inner_mongolia_env_inspection_closure")
    assert missing(row.total_reported)
    assert bool(row.total_derived) is True
    assert row.total == 9 + 17 == 26


def test_tianjin_closure_reports_the_unreported_remainder(con):
    row = only(queries.closures(con), measure_id="tianjin_public_requests_closure")
    assert row.status_not_reported == 870 - 621


CHANGES = [
    # measure_id, before, after, change_pct, derived, change_pp, direction, is_good
    ("shanghai_inspections_reduction", 277, 76, (76 - 277) / 277 * 100, True, None, "down", True),
    ("tianjin_meetings_change", None, None, -77.6, False, None, "down", True),
    ("tianjin_documents_change", None, None, -31.8, False, None, "down", True),
    ("mwr_disaster_deaths_missing_change", None, None, -24, False, None, "down", True),
    ("adbc_poverty_loan_growth", None, None, 64, False, None, "up", True),
    ("huaneng_low_carbon_share_change", None, None, None, False, 2, "up", True),
    ("nhc_serious_illness_types", None, 25, None, False, None, "up", None),
]


@pytest.mark.parametrize(
    ("measure_id", "before", "after", "change_pct", "derived", "change_pp", "direction", "is_good"), CHANGES
)
def test_change(con, measure_id, before, after, change_pct, derived, change_pp, direction, is_good):
    row = only(queries.changes(con), measure_id=measure_id)
    for column, expected in [("before", before), ("after", after), ("change_pp", change_pp)]:
        assert same(row[column], expected), column
    if change_pct is None:
        assert missing(row.change_pct)
    else:
        assert abs(row.change_pct - change_pct) < 1e-9
    assert bool(row.change_pct_derived) is derived
    assert row.direction == direction
    assert same(row.is_good, is_good)


def test_shanghai_reduction_rounds_to_minus_72_6(con):
    change_pct, derived, is_good = con.execute(
        "SELECT change_pct, change_pct_derived, is_good FROM changes WHERE measure_id = 'shanghai_inspections_reduction'"
    ).fetchone()
    assert round(change_pct, 1) == -72.6
    assert (derived, is_good) == (True, True)


def test_tianjin_meetings_change_is_reported_not_derived(con):
    got = con.execute(
        "SELECT before, after, change_pct, change_pct_derived FROM changes WHERE measure_id = 'tianjin_meetings_change'"
    ).fetchall()
    assert got == [(None, None, -77.6, False)]


def test_tianjin_case_counts_in_the_cases_view(con):
    values = set(queries.cases(con, Filters(bodies=("tianjin",))).value)
    assert {166, 216, 91, 108, 80, 101, 120} <= values


def test_figure_facts_has_one_row_per_figure(con):
    assert (
        con.execute("SELECT count(*) FROM figure_facts").fetchone()
        == con.execute("SELECT count(*) FROM figures").fetchone()
    )


QUERIES = [
    queries.figures,
    queries.closures,
    queries.closure_history,
    queries.changes,
    queries.cases,
    queries.value_figures,
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.__name__)
def test_body_filter_returns_only_that_body(con, query):
    frame = query(con, Filters(bodies=("tianjin",)))
    assert len(frame) > 0
    assert set(frame.body_id) == {"tianjin"}
    assert set(frame.body_short_zh) == {"天津"}


def test_theme_filter_on_closures(con):
    frame = queries.closures(con, Filters(themes=("serving_people",)))
    assert sorted(frame.body_short_zh) == ["内蒙古", "天津"]


def test_filters_combine(con):
    frame = queries.closures(con, Filters(bodies=("tianjin", "mca"), themes=("inspection_feedback",)))
    assert list(frame.measure_id) == ["mca_inspection_tasks_closure"]


def test_body_kind_filter(con):
    frame = queries.figures(con, Filters(body_kinds=("guidance_group",)))
    assert len(frame) > 0
    assert set(frame.body_kind) == {"guidance_group"}


INJECTIONS = ["x' OR '1'='1", "tianjin'); DROP TABLE figures; --", "%"]


@pytest.mark.parametrize("field", ["body_kinds", "bodies", "themes", "indicators"])
@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.__name__)
def test_hostile_filter_values_are_bound_not_pasted(con, query, field):
    for value in INJECTIONS:
        assert len(query(con, Filters(**{field: (value,)}))) == 0, value
    assert len(queries.figures(con)) == con.execute("SELECT count(*) FROM figures").fetchone()[0]


@pytest.fixture
def progress_db(csv_edit, data_copy, tmp_path):
    """The real data plus a later figure: 内蒙古 inspection problems all rectified as of 2019-11."""
    later = csv_edit.record("figures", "f036") | {
        "figure_id": "f999",
        "value": "171",
        "as_written": "171个",
        "as_of": "2019-11",
    }
    assert later["as_written"] in later["evidence"]
    csv_edit.append("figures", later)
    db = tmp_path / "progress.duckdb"
    store.build(db, data_dir=data_copy, sources_dir=paths.sources_dir())
    connection = duckdb.connect(str(db), read_only=True)
    yield connection
    connection.close()


def test_closures_show_the_latest_as_of(progress_db):
    row = only(queries.closures(progress_db), measure_id="inner_mongolia_inspection_closure")
    assert (row.as_of, row.total, row.closed, row.closure_rate) == ("2019-11", 171, 171, 1.0)


def test_closure_history_keeps_every_as_of(progress_db):
    frame = queries.closure_history(progress_db, Filters(bodies=("inner_mongolia",)))
    history = frame[frame.measure_id == "inner_mongolia_inspection_closure"]
    assert list(history.as_of) == ["2019", "2019-11"]
    assert list(history.closed) == [141, 171]
    assert list(history.total) == [171, 171]


def test_a_later_report_of_only_the_closed_part_keeps_the_earlier_total(data_copy, csv_edit, tmp_path):
    """141 closed reported again as of 2019-11 without a total: the rate is 141/171, not 141/141."""
    csv_edit.append("figures", csv_edit.record("figures", "f036") | {"figure_id": "f999", "as_of": "2019-11"})
    db = tmp_path / "carried.duckdb"
    store.build(db, data_dir=data_copy, sources_dir=paths.sources_dir())
    with duckdb.connect(str(db), read_only=True) as con:
        row = only(queries.closures(con), measure_id="inner_mongolia_inspection_closure")
    assert (row.as_of, row.total, row.closed) == ("2019-11", 171, 141)
    assert row.total_carried and not row.total_derived
    assert f"{row.closure_rate:.1%}" == "82.5%"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        # 天津 166+91+80+125 cases, 216+108+101 people; 水利部 2018件; 农发行 92名; 98 curated figures
        (Filters(), (11, 98, 2480, 517, 14 / 79, 141 / 171)),
        (Filters(bodies=("tianjin",)), (1, 18, 462, 425, 621 / 870, 621 / 870)),
    ],
)
def test_kpis_sum_only_like_indicators(con, filters, expected):
    row = queries.kpis(con, filters).iloc[0]
    bodies, figures, cases, people, low, high = expected
    assert (row.bodies, row.figures, row.cases, row.people) == (bodies, figures, cases, people)
    assert row.closure_rate_min == pytest.approx(low) and row.closure_rate_max == pytest.approx(high)


def test_search_figures_matches_names_and_quotes_and_limits_rows(con):
    rows, total = queries.search_figures(con, Filters(), "民意直通车")
    assert total == 2 and sorted(rows.value) == [621, 870]
    rows, total = queries.search_figures(con, Filters(), "")
    assert total == 98 and len(rows) == 98
    rows, total = queries.search_figures(con, Filters(), "", limit=10)
    assert total == 98 and list(rows.figure_id) == [f"f{i:03d}" for i in range(1, 11)]
    rows, total = queries.search_figures(con, Filters(bodies=("mwr",)), "tianjin")
    assert total == 0 and rows.empty
    rows, total = queries.search_figures(con, Filters(), "x' OR '1'='1")
    assert total == 0
    rows, total = queries.search_figures(con, Filters(), "water resources")  # English names, any case
    assert total == 15
