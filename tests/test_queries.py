"""metrics.queries on the database built from data/: each query's columns, values computed by hand
from the curated CSVs (not by the code under test), filters that narrow, and bound parameters."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from metrics import queries
from metrics.queries import NO_FILTERS, Filters

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def rows(table: str) -> list[dict[str, str]]:
    with (DATA_DIR / f"{table}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


FIGURES = rows("figures")
MEASURE_OF = {m["measure_id"]: m for m in rows("measures")}
KIND_OF = {b["body_id"]: b["body_kind"] for b in rows("bodies")}


def figure_ids(where) -> set[str]:
    """Ids of the figures of data/figures.csv whose measure passes ``where``."""
    return {f["figure_id"] for f in FIGURES if where(MEASURE_OF[f["measure_id"]])}


COLUMNS = {
    "figures": {"figure_id", "measure_id", "role", "value", "as_of", "body_id", "theme_id", "evidence"},
    "closures": {"measure_id", "body_id", "total", "closed", "closure_rate", "group_key"},
    "closure_history": {"measure_id", "as_of", "total", "closed", "closure_rate"},
    "changes": {"measure_id", "before", "after", "change_pct", "change_pp", "group_key"},
    "cases": {"figure_id", "measure_id", "value", "counter", "family"},
    "value_figures": {"figure_id", "measure_id", "value", "counter"},
    "kpis": {"bodies", "figures", "sources", "groups", "latest_as_of", "verified_share"},
}


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_each_query_has_its_columns(con, name):
    df = getattr(queries, name)(con, NO_FILTERS)
    assert COLUMNS[name] <= set(df.columns), COLUMNS[name] - set(df.columns)
    assert len(df) > 0


def test_reference_queries_have_the_curated_tables_columns_and_rows(con):
    with_measures = {m["body_id"] for m in MEASURE_OF.values()}
    expected = {
        "themes": {t["theme_id"] for t in rows("themes")},
        "bodies": {b["body_id"] for b in rows("bodies") if b["body_id"] in with_measures},  # reported
        "body_kinds": {KIND_OF[b] for b in with_measures},  # kinds that have a body
    }
    for name, ids in expected.items():
        df = getattr(queries, name)(con)
        assert list(df.columns) == list(rows(name)[0]), name
        assert set(df.iloc[:, 0]) == ids, name
    assert len(expected["body_kinds"]) < len(rows("body_kinds"))  # a kind without bodies is left out


def test_figures_are_every_curated_figure(con):
    df = queries.figures(con)
    assert set(df.figure_id) == {f["figure_id"] for f in FIGURES}
    assert len(df) == len(FIGURES)
    assert queries.kpis(con).figures.iloc[0] == len(FIGURES)


def test_tianjin_closure_rate_is_621_of_870(con):
    # data/figures.csv f015/f016: 群众反映的870件具体问题，已办结621件 -> 621/870 = 71.4%
    df = queries.closures(con, Filters(bodies=("tianjin",)))
    row = df.set_index("measure_id").loc["tianjin_public_requests_closure"]
    assert (row.total, row.closed) == (870, 621)
    assert row.closure_rate == pytest.approx(621 / 870)
    assert round(row.closure_rate * 100, 1) == 71.4


def test_tianjin_change_keeps_its_sign(con):
    # f009: 会议较一季度减少77.6% -> -77.6
    df = queries.changes(con, Filters(bodies=("tianjin",))).set_index("measure_id")
    assert df.loc["tianjin_meetings_change"].change_pct == pytest.approx(-77.6)


@pytest.mark.parametrize(
    ("filters", "where"),
    [
        (Filters(bodies=("tianjin",)), lambda m: m["body_id"] == "tianjin"),
        (Filters(themes=("inaction",)), lambda m: m["theme_id"] == "inaction"),
        (Filters(body_kinds=("province",)), lambda m: KIND_OF[m["body_id"]] == "province"),
        (
            Filters(bodies=("tianjin",), themes=("inaction",)),
            lambda m: m["body_id"] == "tianjin" and m["theme_id"] == "inaction",
        ),
    ],
    ids=["body", "theme", "kind", "body-and-theme"],
)
def test_filters_narrow_to_the_hand_selected_figures(con, filters, where):
    expected = figure_ids(where)
    assert 0 < len(expected) < len(FIGURES)
    assert set(queries.figures(con, filters).figure_id) == expected


def test_filters_narrow_the_latest_views(con):
    everything = queries.cases(con)
    tianjin = queries.cases(con, Filters(bodies=("tianjin",)))
    assert 0 < len(tianjin) < len(everything)
    assert set(tianjin.body_id) == {"tianjin"}


def test_search_finds_a_quote(con):
    expected = {f["figure_id"] for f in FIGURES if "已办结621件" in f["evidence"]}
    found, total = queries.search_figures(con, NO_FILTERS, "已办结621件")
    assert expected and set(found.figure_id) == expected and total == len(expected)


QUOTED = ["O'Brien", "天津'", "' OR '1'='1", 'x"; DROP TABLE figures; --']


@pytest.mark.parametrize("text", QUOTED)
def test_a_quote_character_in_a_value_is_bound_not_pasted(con, text):
    assert queries.figures(con, Filters(bodies=(text,))).empty
    assert queries.closures(con, Filters(themes=(text,))).empty
    found, total = queries.search_figures(con, NO_FILTERS, text)
    assert found.empty and total == 0
    assert queries.ids_named(con, "body", [text, "天津"]) == {text: None, "天津": "tianjin"}
    assert len(queries.figures(con)) == len(FIGURES)  # nothing dropped


def test_ids_named_takes_ids_and_names_in_both_languages(con):
    tianjin = next(b for b in rows("bodies") if b["body_id"] == "tianjin")
    names = [tianjin[c] for c in ("body_id", "name_zh", "short_zh", "name_en", "short_en")]
    assert set(queries.ids_named(con, "body", names).values()) == {"tianjin"}
    province = next(k for k in rows("body_kinds") if k["body_kind"] == "province")
    assert queries.ids_named(con, "kind", [province["name_en"]]) == {province["name_en"]: "province"}


def test_as_of_before_every_report_leaves_nothing(con):
    earliest = min(f["as_of"] for f in FIGURES)
    year = int(earliest[:4])
    assert queries.figures(con, Filters(as_of=f"{year - 1}-12-31")).empty
    assert queries.closures(con, Filters(as_of=f"{year - 1}-12-31")).empty


@pytest.mark.parametrize("query", [queries.closures, queries.changes, queries.cases, queries.value_figures])
def test_a_ranked_view_read_through_arrow_is_the_frame_df_reads(con, query):
    """``queries.wide_frame`` reads the ranked views through Arrow: the same frame, dtypes
    included, as DuckDB's ``.df()`` of the same statement, but that a text column with no value
    holds NaN rather than None."""

    class Recorded:
        statements: list = []

        def sql(self, sql, params=None):
            self.statements.append((sql, params))
            return con.sql(sql, params=params)

    through_arrow = query(Recorded(), queries.NO_FILTERS)
    ((sql, params),) = Recorded.statements
    read = con.execute(sql, params).df()
    blank = [c for c in read.columns if read[c].isna().all()]
    assert len(read) > 3 and len(blank) < len(read.columns) // 2
    pd.testing.assert_frame_equal(through_arrow.drop(columns=blank), read.drop(columns=blank))
    assert through_arrow[blank].isna().all().all()
