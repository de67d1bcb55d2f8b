"""Derived numbers (closure rates, changes), filters and progress over time, from a built database.

Every expected number is written by hand from the source text.
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd
import pytest

from metrics import labels, paths, queries
from metrics.queries import Filters
from metrics.store import Store


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
    Store(db, data_dir=data_copy, sources_dir=paths.sources_dir()).build()
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
    Store(db, data_dir=data_copy, sources_dir=paths.sources_dir()).build()
    with duckdb.connect(str(db), read_only=True) as con:
        row = only(queries.closures(con), measure_id="inner_mongolia_inspection_closure")
    assert (row.as_of, row.total, row.closed) == ("2019-11", 171, 141)
    assert row.total_carried and not row.total_derived
    assert f"{row.closure_rate:.1%}" == "82.5%"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        # 98 curated figures of 11 bodies from one source, 60 comparable groups, all quotes checked
        (Filters(), (11, 98, 1, 60, "2019", 1.0)),
        # 天津's 17 measures fall into 11 groups (cases ×4, people ×3, rectification areas ×2 …)
        (Filters(bodies=("tianjin",)), (1, 18, 1, 11, "2019", 1.0)),
    ],
)
def test_kpis_add_nothing_across_groups(con, filters, expected):
    """The headline tiles count bodies, figures, sources and groups: no tile sums figures, so none
    can add 水利部's law-enforcement cases to 天津's discipline cases (the old 查处问题 2480)."""
    row = queries.kpis(con, filters).iloc[0]
    got = (row.bodies, row.figures, row.sources, row.groups, row.latest_as_of, row.verified_share)
    assert got == expected
    assert not {"cases", "people", "closure_rate_min", "closure_rate_max"} & set(row.index)


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


# --- groups of bodies: compare by kind of body or region ------------------------------------------------

GROUP_QUERIES = [queries.closure_groups, queries.case_groups, queries.change_groups]


def grouped(frame: pd.DataFrame, *keys: str) -> pd.DataFrame:
    """A grouped result indexed by its keys, for lookups like ``.loc[(indicator, group)]``."""
    return frame.set_index(list(keys)).sort_index()


PUBLIC = "public_requests_closure/closure_rate"
INSPECTION = "inspection_feedback_closure/closure_rate"


def test_closure_groups_by_kind_never_pool_different_counters(con):
    """The trap: 天津 closed 621 of 870 problems (件, items) and 内蒙古 acted on 7461 of 12156
    suggestions (件次, occurrences). They share a comparable group (with 内蒙古's caveat), but their
    totals count different things, so provinces are not summed into one 8082 of 13026."""
    got = grouped(queries.closure_groups(con, Filters(), "kind"), "group_key", "counter_family", "group_id")
    row = got.loc[(PUBLIC, "item", "province")]
    assert (row.total, row.closed, row.measures, row.bodies, bool(row.with_caveat)) == (870, 621, 1, 1, False)
    row = got.loc[(PUBLIC, "件次", "province")]
    assert (row.total, row.closed, row.measures, row.bodies, bool(row.with_caveat)) == (
        12156,
        7461,
        1,
        1,
        True,
    )
    assert (row.group_zh, row.group_en) == ("省区市", "Province-level Party committee")
    # 民政部 alone among central departments: 14 closed, 26 mostly closed, 39 in progress of 79.
    row = got.loc[(INSPECTION, "item", "central_department")]
    assert (row.total, row.closed, row.partly_closed, row.in_progress) == (79, 14, 26, 39)
    assert row.closure_rate == pytest.approx(14 / 79)
    assert set(got.index) == {
        (PUBLIC, "item", "province"),
        (PUBLIC, "件次", "province"),
        (INSPECTION, "item", "province"),
        (INSPECTION, "item", "central_department"),
    }


def test_closure_groups_by_region_match_the_closure_rows(con):
    """Each region's row is the sum of that region's closure rows of one group and counter family;
    national bodies are one group ''."""
    got = grouped(queries.closure_groups(con, Filters(), "region"), "group_key", "counter_family", "group_id")
    # 内蒙古's inspection problems (141 of 171, 项) and environment problems (9 closed, 17 in progress
    # of 26 个, total derived from its parts): 项 and 个 are both items, so 150 of 197.
    row = got.loc[(INSPECTION, "item", "内蒙古")]
    assert (row.total, row.closed, row.in_progress, row.status_not_reported) == (171 + 26, 141 + 9, 17, 30)
    assert bool(row.total_derived) is True
    assert set(row.counters.split("、")) == {"项", "个"}
    assert got.loc[(INSPECTION, "item", ""), "closed"] == 14  # 民政部, a national body
    rows = con.execute("SELECT * FROM closures").df()
    regions = dict(con.execute("SELECT body_id, coalesce(region, '') FROM bodies").fetchall())
    rows["region"] = rows.body_id.map(regions)
    keys = ["group_key", "counter_family", "region"]
    for key, part in rows.groupby(keys):
        row = got.loc[key]
        assert (row.total, row.closed, row.measures) == (part.total.sum(), part.closed.sum(), len(part))
        assert row.closure_rate == pytest.approx(part.closed.sum() / part.total.sum())
    assert len(got) == rows.groupby(keys).ngroups


CASES = "cases/count/item"
PEOPLE = "people_held_accountable/count/person"


def test_case_groups_sum_only_within_one_group_and_counter_family(con):
    got = grouped(queries.case_groups(con, Filters(), "kind"), "group_key", "group_id")
    # 天津: 166起, 80起, 91件 and 125件 discipline cases (起 and 件 are both items in counters.csv).
    assert got.loc[(CASES, "province"), "value"] == 166 + 80 + 91 + 125
    # The trap: 水利部's 2018件 are administrative law-enforcement cases, never added to them.
    assert (CASES, "central_department") not in got.index
    assert got.loc[("law_enforcement_cases/count/item", "central_department"), "value"] == 2018
    # 天津 216, 108 and 101 people held accountable (人) and 农发行's 92 staff punished (名): 人 = 名,
    # one group, shown side by side with 农发行's caveat.
    assert got.loc[(PEOPLE, "province"), "value"] == 216 + 108 + 101
    row = got.loc[(PEOPLE, "financial_institution")]
    assert (row.value, row.counter, bool(row.with_caveat)) == (92, "名", True)
    row = got.loc[(CASES, "province")]
    assert (row.measures, row.bodies, bool(row.approximate)) == (4, 1, False)
    rows = con.execute("SELECT * FROM cases").df()
    for key, part in rows.groupby(["group_key", "body_kind"]):
        assert got.loc[key, "value"] == part.value.sum()
    assert len(got) == rows.groupby(["group_key", "body_kind"]).ngroups


def test_change_groups_keep_percentages_apart(con):
    got = grouped(queries.change_groups(con, Filters(), "region"), "group_key", "group_id")
    # 上海: 277 inspections before, 76 after.
    row = got.loc[("inspections_reduction/change_pct", "上海")]
    assert (row.before, row.after, row.counter, row.pairs) == (277, 76, "项", 1)
    assert row.change_pct_median == pytest.approx((76 - 277) / 277 * 100)
    assert row.change_pct_of_sums == pytest.approx((76 - 277) / 277 * 100)
    assert bool(row.is_good) is True
    row = got.loc[("meetings/change_pct", "天津")]
    assert (row.change_pct_median, row.change_pct_min, row.change_pct_max) == (-77.6, -77.6, -77.6)
    assert missing(row.before) and row.pairs == 0
    row = got.loc[("loan_growth/change_pct", "")]  # 农发行, national: loans grew 64%, up is good
    assert (row.change_pct_median, bool(row.is_good)) == (64, True)
    # percentage points and after-only levels are keys of their own, never medians of percents
    assert missing(got.loc[("low_carbon_capacity_share/change_pp", ""), "change_pct_median"])
    assert missing(got.loc[("disease_types/level/种", ""), "change_pct_median"])


def test_every_change_is_its_own_group_at_seed_scale(con):
    """Meetings −77.6%, documents −31.8%, inspections merged −72.6%, disaster deaths −24% and loans
    +64% measure different things: no two share a key, so nothing ranks them on one axis."""
    rows = queries.changes(con)
    assert rows.group_key.is_unique and (rows.group_bodies == 1).all() and (rows.group_rank == 1).all()
    assert len(rows) == 7


def test_group_queries_follow_the_filters(con):
    frame = queries.closure_groups(con, Filters(body_kinds=("province",)), "region")
    assert set(frame.group_id) == {"天津", "内蒙古"}
    # 天津 under the eight-point rules: 91件 cases and 108 people.
    frame = queries.case_groups(con, Filters(bodies=("tianjin",), themes=("eight_point_rules",)), "kind")
    assert sorted(zip(frame.group_key, frame.counter, frame.value)) == [
        (CASES, "件", 91),
        (PEOPLE, "人", 108),
    ]
    assert queries.change_groups(con, Filters(bodies=("no_such_body",)), "kind").empty


@pytest.mark.parametrize("query", GROUP_QUERIES, ids=lambda q: q.__name__)
@pytest.mark.parametrize(
    "by", ["", "Kind", "body_kind", "c.body_id", "kind; DROP TABLE figures; --", "region OR 1=1", None]
)
def test_unknown_grouping_is_refused_before_any_sql(con, query, by):
    with pytest.raises(ValueError, match="unknown grouping"):
        query(con, Filters(), by)
    assert con.execute("SELECT count(*) FROM figures").fetchone()[0] == 98


@pytest.mark.parametrize("by", list(queries.GROUPINGS))
@pytest.mark.parametrize("query", GROUP_QUERIES, ids=lambda q: q.__name__)
def test_hostile_filter_values_are_bound_in_group_queries(con, query, by):
    assert len(query(con, Filters(), by)) > 0
    for field in ("body_kinds", "bodies", "themes", "indicators"):
        for value in INJECTIONS:
            assert len(query(con, Filters(**{field: (value,)}), by)) == 0, (field, value)


# Groups of many bodies: a small synthetic national data set, every grouped number recomputed here
# in pandas from the rows of closures, cases and changes.


@pytest.fixture(scope="module")
def synth_con(tmp_path_factory):
    from metrics import synth

    folder = tmp_path_factory.mktemp("synth_groups")
    synth.generate(folder / "data", 150, 2, 3)
    db = folder / "synth.duckdb"
    Store(db, data_dir=folder / "data", sources_dir=folder / "data", require_texts=False).build()
    connection = duckdb.connect(str(db), read_only=True)
    yield connection
    connection.close()


def rows_by(con, table: str, by: str) -> pd.DataFrame:
    """Every row of ``table`` with its group key ``key``: body, kind or region ('' for national)."""
    rows = con.execute(f"SELECT * FROM {table}").df()
    regions = dict(con.execute("SELECT body_id, coalesce(region, '') FROM bodies").fetchall())
    rows["key"] = {"body": rows.body_id, "kind": rows.body_kind, "region": rows.body_id.map(regions)}[by]
    return rows


def close(a, b) -> bool:
    return (missing(a) and missing(b)) or (not missing(a) and not missing(b) and a == pytest.approx(b))


@pytest.mark.parametrize("by", ["kind", "region", "body"])
def test_synthetic_closure_groups_recomputed(synth_con, by):
    rows = rows_by(synth_con, "closures", by)
    keys = ["group_key", "counter_family", "key"]
    got = grouped(queries.closure_groups(synth_con, Filters(), by), "group_key", "counter_family", "group_id")
    assert len(got) == rows.groupby(keys).ngroups
    assert got.bodies.max() > 1 or by == "body"
    for key, part in rows.groupby(keys):
        row = got.loc[key]
        rated = part[part.closure_rate.notna()]
        assert (row.measures, row.rated_measures, row.bodies) == (
            len(part),
            len(rated),
            part.body_id.nunique(),
        )
        for column in ("total", "closed", "partly_closed", "in_progress", "status_not_reported"):
            assert close(row[column], rated[column].sum(min_count=1)), column
        assert close(row.closure_rate, rated.closed.sum() / rated.total.sum() if len(rated) else None)
        assert bool(row.approximate) is bool(rated.approximate.any())


@pytest.mark.parametrize("by", ["kind", "region"])
def test_synthetic_case_groups_recomputed(synth_con, by):
    rows = rows_by(synth_con, "cases", by)
    got = grouped(queries.case_groups(synth_con, Filters(), by), "group_key", "group_id")
    keys = ["group_key", "key"]
    assert len(got) == rows.groupby(keys).ngroups
    for key, part in rows.groupby(keys):
        row = got.loc[key]
        assert row.value == pytest.approx(part.value.sum())
        assert (row.measures, row.bodies) == (part.measure_id.nunique(), part.body_id.nunique())
        assert bool(row.approximate) is bool((part.qualifier != "exact").any())


@pytest.mark.parametrize("by", ["kind", "region"])
def test_synthetic_change_groups_recomputed(synth_con, by):
    rows = rows_by(synth_con, "changes", by)
    got = grouped(queries.change_groups(synth_con, Filters(), by), "group_key", "group_id")
    assert len(got) == rows.groupby(["group_key", "key"]).ngroups
    assert (got.pairs > 1).any()
    for key, part in rows.groupby(["group_key", "key"]):
        row = got.loc[key]
        pct = part.change_pct.dropna()
        assert row.measures == len(part) and row.pct_measures == len(pct)
        for column, expected in [
            ("change_pct_median", pct.median()),
            ("change_pct_min", pct.min()),
            ("change_pct_max", pct.max()),
        ]:
            assert close(row[column], expected if len(pct) else None), column
        pairs = part.dropna(subset=["before", "after"])
        one_counter = pairs.counter.nunique() == 1
        assert row.pairs == len(pairs)
        assert close(row.before, pairs.before.sum() if one_counter else None)
        assert close(row.after, pairs.after.sum() if one_counter else None)
        if one_counter:
            before, after = pairs.before.sum(), pairs.after.sum()
            assert close(row.change_pct_of_sums, (after - before) / before * 100)
        good = part.is_good.astype("boolean")
        assert (row.good, row.bad) == (int((good == True).sum()), int((good == False).sum()))  # noqa: E712
        if part.direction.nunique() == 1 and len(pct):
            expected = pct.median() < 0 if part.direction.iloc[0] == "down" else pct.median() > 0
            assert bool(row.is_good) is bool(expected)


def test_cited_sources_are_exactly_the_ids_asked_for(con):
    assert list(queries.cited_sources(con, ["symposium_2019", "nope"]).source_id) == ["symposium_2019"]
    assert queries.cited_sources(con, []).empty
    assert int(queries.source_count(con).sources.iloc[0]) == len(queries.sources(con)) >= 1


def test_an_absolute_change_is_a_group_of_its_own_signed_and_ranked(tmp_path):
    """同比减少9个 and 同比减少4个 (role change_abs) from two bodies: one key of their own (never
    beside percent changes), signed −9个 / −4个, the larger cut ranked first (less is better)."""
    header = (
        "body,theme,indicator,measure_kind,label_zh,label_en,role,value,counter,as_written,as_of,evidence,"
    )
    header += "source_title,source_publisher,source_published,source_reference\n"
    rows = [
        f"{body},形式主义官僚主义·基层减负,会议数量,change,市级会议同比变化,Meetings y/y,change_abs,-{n},个,减少{n}个,"
        f"2019-12,市级会议同比减少{n}个,测试通报,测试办,2019-12,测1号\n"
        for body, n in (("天津", 9), ("上海", 4))
    ]
    store = Store(tmp_path / "db" / "m.duckdb", imports_dir=tmp_path / "imports")
    checked, batch = store.import_file((header + "".join(rows)).encode(), "abs.csv")
    assert batch is not None, checked.problems
    with store.connect() as con:
        rows = queries.changes(con)
    cut = rows[rows.group_key == "meetings/change_abs/item"].set_index("body_id")
    assert sorted(cut.change_abs) == [-9, -4] and (cut.group_bodies == 2).all()
    assert cut.loc["tianjin", "group_rank"] == 1 and cut.loc["shanghai", "group_rank"] == 2
    assert bool(cut.loc["tianjin", "is_good"]) is True
    shown = labels.changes(labels.names(cut.reset_index(), "zh"), "zh")
    assert sorted(shown.change_label) == ["-4个", "-9个"]
    assert "meetings/change_pct" in set(rows.group_key)  # 天津's −77.6% stays in its own key
