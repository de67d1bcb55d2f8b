"""Every SQL statement the dashboard and the CLI run, with bound parameters.

Each function takes a connection (or cursor) and a ``Filters`` and returns a
DataFrame. Filter values are always bound, never pasted into SQL text. ``Filters.as_of`` shows
the data as it stood at a date: figures reported after it are left out, and the "latest" views
(closures, changes, cases, value figures) become each measure's last report at or before it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from metrics import schema
from metrics.progress import LIGHTS, STALE_DAYS

FILTER_SQL = """
    (len($body_kinds::VARCHAR[]) = 0 OR list_contains($body_kinds::VARCHAR[], body_kind))
    AND (len($bodies::VARCHAR[]) = 0 OR list_contains($bodies::VARCHAR[], body_id))
    AND (len($themes::VARCHAR[]) = 0 OR list_contains($themes::VARCHAR[], theme_id))
    AND (len($indicators::VARCHAR[]) = 0 OR list_contains($indicators::VARCHAR[], indicator_id))
    AND ($as_of::DATE IS NULL OR as_of_date(as_of) <= $as_of::DATE)
"""


@dataclass(frozen=True)
class Filters:
    """Selected ids; an empty tuple means no restriction. ``as_of`` (YYYY-MM-DD, or None for
    everything reported) is the date the data is shown as it stood at."""

    body_kinds: tuple[str, ...] = field(default=())
    bodies: tuple[str, ...] = field(default=())
    themes: tuple[str, ...] = field(default=())
    indicators: tuple[str, ...] = field(default=())
    as_of: str | None = None

    def params(self) -> dict[str, list[str] | str | None]:
        return {
            "body_kinds": list(self.body_kinds),
            "bodies": list(self.bodies),
            "themes": list(self.themes),
            "indicators": list(self.indicators),
            "as_of": self.as_of,
        }


NO_FILTERS = Filters()


def _source(view: str, filters: Filters) -> str:
    """``view``, or with ``filters.as_of`` and a latest view: each measure's last report at or
    before that date, from the view's history (bound as ``$as_of``)."""
    if filters.as_of is None or view not in schema.LATEST:
        return view
    return f"""(SELECT * FROM {schema.LATEST[view]} WHERE as_of_date(as_of) <= $as_of::DATE
               {schema.LATEST_ROWS}) AS {view}"""


def _select(con, view: str, filters: Filters, order: str) -> pd.DataFrame:
    sql = f"SELECT * FROM {_source(view, filters)} WHERE {FILTER_SQL} ORDER BY {order}"
    return con.execute(sql, filters.params()).df()


def figures(con, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Every figure with its measure, body, theme, indicator, source and quote."""
    return _select(con, "figure_facts", filters, "figure_id")


SEARCHED = (
    "body_zh",
    "body_en",
    "body_short_zh",
    "body_short_en",
    "measure_zh",
    "measure_en",
    "theme_zh",
    "theme_en",
    "evidence",
    "as_written",
)


def search_figures(con, filters: Filters, text: str = "", limit: int = 5000) -> tuple[pd.DataFrame, int]:
    """Figures matching the filters and containing ``text`` in a name or the quote: the first
    ``limit`` of them and how many there are in all."""
    match = " OR ".join(f"contains(lower({c}), lower($text))" for c in SEARCHED)
    where = f"{FILTER_SQL} AND ($text = '' OR {match})"
    params = {**filters.params(), "text": text}
    total = con.execute(f"SELECT count(*) FROM figure_facts WHERE {where}", params).fetchone()[0]
    rows = con.execute(
        f"SELECT * FROM figure_facts WHERE {where} ORDER BY figure_id LIMIT $limit",
        {**params, "limit": limit},
    ).df()
    return rows, total


def measures(con) -> pd.DataFrame:
    """Every measure with its body, theme and indicator names."""
    return con.execute("SELECT * FROM measure_facts ORDER BY body_id, measure_id").df()


def notes(con) -> pd.DataFrame:
    """Figures that carry a note (recorded ambiguities and caveats)."""
    return con.execute("SELECT * FROM figure_facts WHERE coalesce(note, '') <> '' ORDER BY figure_id").df()


# The one rule of comparison: rows are ranked, summed or averaged only within their ``group_key``
# (comparable group + kind of figure + counter family, see metrics/schema.py). Each ranked view
# says, per row, how many bodies and measures its group holds under the filters in force, and
# the row's rank within it ("第 n / N"), best first: the good direction where the catalogue
# names one, else the largest first.
def _ranked(con, view: str, filters: Filters, value: str, order: str) -> pd.DataFrame:
    best = f"CASE WHEN direction = 'down' THEN {value} ELSE -{value} END"
    sql = f"""
        SELECT *,
               count(DISTINCT body_id) OVER (PARTITION BY group_key) AS group_bodies,
               count(*) OVER (PARTITION BY group_key) AS group_size,
               CASE WHEN {value} IS NOT NULL THEN
                   rank() OVER (PARTITION BY group_key, {value} IS NULL ORDER BY {best})
               END AS group_rank
        FROM {_source(view, filters)} WHERE {FILTER_SQL}
        ORDER BY {order}
    """
    return wide_frame(con, sql, filters.params())


def wide_frame(con, sql: str, params) -> pd.DataFrame:
    """The rows of ``sql`` as a DataFrame through Arrow, for wide text rows (a ranked view's ~50
    columns): pandas keeps the text as Arrow strings without a Python string made for each cell
    (``.df()``), a third less time at thousands of rows. The same frame as ``.df()`` but that a
    text column with no value at all holds NaN, as partly empty ones do, and not None."""
    table = con.sql(sql, params=params).to_arrow_table()
    frame = table.to_pandas()
    for name, column in zip(table.column_names, table.columns, strict=True):
        if column.null_count and column.type in NULLABLE:  # as .df(): Int64, boolean
            frame[name] = column.to_pandas(types_mapper=NULLABLE.get)
    return frame


# The pandas types DuckDB's ``.df()`` gives integer and boolean columns that have missing values.
NULLABLE = {
    pa.int8(): pd.Int8Dtype(),
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
}


def closures(con, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Latest closure per measure: total, every graded part and the closure rate, ranked within
    its comparable group."""
    return _ranked(
        con, "closures", filters, "closure_rate", "group_key, closure_rate DESC NULLS LAST, measure_id"
    )


def closure_history(con, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Every as-of date of every closure measure (progress over time)."""
    return _select(con, "closure_history", filters, "measure_id, as_of")


def changes(con, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Latest before/after and change per change measure, ranked within its comparable group
    (percent changes with percent changes, points with points, after-only levels apart)."""
    value = "coalesce(change_pct, change_pp, change_abs, after)"
    return _ranked(con, "changes", filters, value, "group_key, change_pct NULLS LAST, change_pp, measure_id")


def cases(con, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Case, people and clue counts (latest as-of), ranked within their comparable group."""
    return _ranked(con, "cases", filters, "value", "family, group_key, value DESC, measure_id")


def value_figures(con, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Every single-valued figure (counts, shares, amounts, durations), latest as-of, ranked
    within its comparable group."""
    return _ranked(con, "value_figures", filters, "value", "group_key, value DESC, figure_id")


def kpis(con, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """One row of headline numbers that need no caveat, because none adds figures of different
    things: bodies reporting, figures, sources cited, comparable groups, the latest as-of date and
    the share of figures whose quote is checked against a held source text."""
    sql = f"""
        SELECT count(DISTINCT body_id) AS bodies,
               count(*) AS figures,
               count(DISTINCT source_id) AS sources,
               count(DISTINCT comparable_group) AS groups,
               max(as_of) AS latest_as_of,
               avg(quote_verified::INTEGER) AS verified_share
        FROM figure_keys WHERE {FILTER_SQL}
    """
    return con.execute(sql, filters.params()).df()


def body_kinds(con) -> pd.DataFrame:
    """Kinds of body that have at least one body, in display order."""
    return con.execute(
        "SELECT * FROM body_kinds WHERE body_kind IN (SELECT body_kind FROM bodies) ORDER BY sort_order"
    ).df()


# The catalogue tables as pages show them: an English name left empty (staff added the body,
# theme or indicator without one) is the Chinese name, as in the views (metrics/schema.py).
def bodies(con) -> pd.DataFrame:
    """Bodies that reported at least one figure, grouped by kind."""
    return con.execute(
        """SELECT b.* REPLACE (coalesce(b.name_en, b.name_zh) AS name_en,
                               coalesce(b.short_en, b.short_zh) AS short_en)
           FROM bodies b JOIN body_kinds k USING (body_kind)
           WHERE body_id IN (SELECT body_id FROM measures)
           ORDER BY k.sort_order, b.rowid"""
    ).df()


def themes(con) -> pd.DataFrame:
    """Themes that have at least one measure."""
    return con.execute(
        "SELECT * REPLACE (coalesce(name_en, name_zh) AS name_en) FROM themes "
        "WHERE theme_id IN (SELECT theme_id FROM measures) ORDER BY theme_id"
    ).df()


def indicators(con) -> pd.DataFrame:
    """Indicators that have at least one measure."""
    return con.execute(
        "SELECT * REPLACE (coalesce(name_en, name_zh) AS name_en) FROM indicators "
        "WHERE indicator_id IN (SELECT indicator_id FROM measures) ORDER BY family, indicator_id"
    ).df()


SOURCES_SHOWN = 1000


def sources(con) -> pd.DataFrame:
    """Sources with a text file first (the documents behind the curated figures), then the rest
    by id: at most SOURCES_SHOWN (a national campaign adds a report per body and week; see
    ``source_count`` and ``cited_sources``)."""
    sql = "SELECT * FROM sources ORDER BY file_name IS NULL, source_id LIMIT $limit"
    return con.execute(sql, {"limit": SOURCES_SHOWN}).df()


def source_count(con) -> pd.DataFrame:
    return con.execute("SELECT count(*) AS sources FROM sources").df()


def cited_sources(con, source_ids: list[str]) -> pd.DataFrame:
    """The sources of the given ids (a view's figures cite them)."""
    sql = "SELECT * FROM sources WHERE list_contains($ids::VARCHAR[], source_id) ORDER BY source_id"
    return con.execute(sql, {"ids": list(source_ids)}).df()


def left_out(con) -> pd.DataFrame:
    return con.execute("SELECT * FROM left_out ORDER BY source_id, reason, as_written").df()


# --- groups of bodies: "compare by" kind of body or region -----------------------------------------
#
# The grouping column is never taken from the caller: ``by`` picks one entry of this fixed table
# of SQL expressions over ``c`` (a row of closures, cases or changes) and ``r`` (its body's region).
# Each entry: the group's id, its Chinese and English names (NULL where labels.py names it) and a
# sort key. National bodies have no region: their group id is '' (labels.py names it).
GROUPINGS: dict[str, tuple[str, str, str, str]] = {
    "body": ("c.body_id", "c.body_short_zh", "c.body_short_en", "NULL::BIGINT"),
    "kind": ("c.body_kind", "c.body_kind_zh", "c.body_kind_en", "c.body_kind_order"),
    "region": ("coalesce(r.body_region, '')", "NULL::VARCHAR", "NULL::VARCHAR", "NULL::BIGINT"),
}


def _grouped_rows(table: str, by: str, filters: Filters) -> tuple[str, str]:
    """The FROM clause (the filtered rows of ``table`` with their body's region) and the group
    columns for ``by``; an unknown ``by`` is a ValueError, so nothing from outside reaches SQL."""
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}: use one of {', '.join(GROUPINGS)}")
    group_id, group_zh, group_en, group_order = GROUPINGS[by]
    rows = f"""(SELECT * FROM {_source(table, filters)} WHERE {FILTER_SQL}) AS c
        LEFT JOIN (SELECT body_id AS region_body_id, nullif(region, '') AS body_region FROM bodies) AS r
            ON r.region_body_id = c.body_id"""
    columns = f"""{group_id} AS group_id, any_value({group_zh}) AS group_zh,
        any_value({group_en}) AS group_en, min({group_order}) AS group_order"""
    return rows, columns


def closure_groups(con, filters: Filters = NO_FILTERS, by: str = "kind") -> pd.DataFrame:
    """Latest closures summed per comparable group, counter family and group of bodies (``by``:
    body, kind or region).

    The rate of a group is the sum of closed over the sum of totals of the measures that have a
    rate (a total above zero and a closed part); the parts are summed over the same measures, so
    they add up to the total. ``measures`` counts every measure of the group, ``rated_measures``
    those with a rate. Totals are summed only within one counter family (项 and 个 are both items;
    件 and 件次 are not): ``counters`` lists the counters summed.
    """
    rows, group = _grouped_rows("closures", by, filters)
    rated = "FILTER (WHERE c.closure_rate IS NOT NULL)"
    sql = f"""
        WITH sums AS (
            SELECT c.group_key, c.counter_family, any_value(c.comparable_group_zh) AS comparable_group_zh,
                   any_value(c.comparable_group_en) AS comparable_group_en,
                   any_value(c.definition_zh) AS definition_zh, any_value(c.definition_en) AS definition_en,
                   bool_or(c.comparability = 'caveat') AS with_caveat, {group},
                   count(DISTINCT c.measure_id) AS measures,
                   count(DISTINCT c.measure_id) {rated} AS rated_measures,
                   count(DISTINCT c.body_id) AS bodies,
                   sum(c.total) {rated} AS total,
                   sum(c.closed) {rated} AS closed,
                   sum(c.partly_closed) {rated} AS partly_closed,
                   sum(c.in_progress) {rated} AS in_progress,
                   sum(c.status_not_reported) {rated} AS status_not_reported,
                   coalesce(bool_or(c.approximate) {rated}, false) AS approximate,
                   coalesce(bool_or(c.total_derived) {rated}, false) AS total_derived,
                   string_agg(DISTINCT c.counter, '、' ORDER BY c.counter) AS counters
            FROM {rows}
            GROUP BY c.group_key, c.counter_family, group_id
        )
        SELECT *, closed / nullif(total, 0) AS closure_rate FROM sums
        ORDER BY group_key, counter_family, closure_rate DESC NULLS LAST, total DESC, group_id
    """
    return con.execute(sql, filters.params()).df()


def case_groups(con, filters: Filters = NO_FILTERS, by: str = "kind") -> pd.DataFrame:
    """Latest case, people and clue counts summed per comparable group (with its counter family)
    and group of bodies.

    Only counts of one ``group_key`` are summed (人 and 名 together, 人 and 件 never), over every
    theme. ``approximate`` says that a summed figure was written as 多/余/近…
    """
    rows, group = _grouped_rows("cases", by, filters)
    sql = f"""
        SELECT c.family, c.group_key, any_value(c.comparable_group_zh) AS comparable_group_zh,
               any_value(c.comparable_group_en) AS comparable_group_en,
                   any_value(c.definition_zh) AS definition_zh, any_value(c.definition_en) AS definition_en,
               bool_or(c.comparability = 'caveat') AS with_caveat,
               string_agg(DISTINCT c.counter, '、' ORDER BY c.counter) AS counter, {group},
               sum(c.value) AS value,
               count(DISTINCT c.measure_id) AS measures,
               count(DISTINCT c.body_id) AS bodies,
               bool_or(c.qualifier <> 'exact') AS approximate
        FROM {rows}
        GROUP BY c.family, c.group_key, group_id
        ORDER BY c.family, c.group_key, value DESC, group_id
    """
    return con.execute(sql, filters.params()).df()


def change_groups(con, filters: Filters = NO_FILTERS, by: str = "kind") -> pd.DataFrame:
    """Latest changes per comparable group (``group_key``) and group of bodies: the median, lowest and highest percent
    change (percentages are never summed), and the sums of before and after where every measure
    of the group that reports both uses one counter (NULL otherwise).

    ``is_good`` says whether the median moved the good way, where all measures of the group share
    one direction; ``good`` and ``bad`` count the measures that moved each way.
    """
    rows, group = _grouped_rows("changes", by, filters)
    pair = "FILTER (WHERE c.before IS NOT NULL AND c.after IS NOT NULL)"
    sql = f"""
        WITH stats AS (
            SELECT c.group_key, any_value(c.comparable_group_zh) AS comparable_group_zh,
                   any_value(c.comparable_group_en) AS comparable_group_en,
                   any_value(c.definition_zh) AS definition_zh, any_value(c.definition_en) AS definition_en,
                   bool_or(c.comparability = 'caveat') AS with_caveat, {group},
                   count(DISTINCT c.measure_id) AS measures,
                   count(DISTINCT c.measure_id) FILTER (WHERE c.change_pct IS NOT NULL) AS pct_measures,
                   count(DISTINCT c.body_id) AS bodies,
                   median(c.change_pct) AS change_pct_median,
                   min(c.change_pct) AS change_pct_min,
                   max(c.change_pct) AS change_pct_max,
                   count(*) FILTER (WHERE c.is_good) AS good,
                   count(*) FILTER (WHERE NOT c.is_good) AS bad,
                   CASE WHEN count(DISTINCT c.direction) = 1 THEN any_value(c.direction) END AS direction,
                   count(DISTINCT c.measure_id) {pair} AS pairs,
                   count(DISTINCT c.counter) {pair} AS pair_counters,
                   sum(c.before) {pair} AS before_sum,
                   sum(c.after) {pair} AS after_sum,
                   any_value(c.counter) {pair} AS pair_counter,
                   coalesce(bool_or(c.approximate), false) AS approximate
            FROM {rows}
            GROUP BY c.group_key, group_id
        ), same_counter AS (
            SELECT * EXCLUDE (before_sum, after_sum, pair_counter, pair_counters),
                   CASE WHEN pair_counters = 1 THEN before_sum END AS before,
                   CASE WHEN pair_counters = 1 THEN after_sum END AS after,
                   CASE WHEN pair_counters = 1 THEN pair_counter END AS counter
            FROM stats
        )
        SELECT *,
               CASE WHEN before <> 0 THEN (after - before) / before * 100 END AS change_pct_of_sums,
               CASE
                   WHEN direction = 'down' THEN change_pct_median < 0
                   WHEN direction = 'up' THEN change_pct_median > 0
               END AS is_good
        FROM same_counter
        ORDER BY group_key, change_pct_median NULLS LAST, group_id
    """
    return con.execute(sql, filters.params()).df()


# --- progress between reports (metrics/progress.py) ---------------------------------------------


def progress_relation(con, filters: Filters) -> str:
    """The standing at ``filters.as_of`` (default: today) as a relation to select from: the stored
    standing after the last report (``progress_now``) when the date is at or after the last
    report, else the standing computed from the history up to that date (``progress_at``)."""
    (current,) = con.execute(
        "SELECT coalesce($as_of::DATE, current_date) >= coalesce(max(as_of_date), DATE '0001-01-01') "
        "FROM progress_history",
        {"as_of": filters.as_of},
    ).fetchone()
    at = "progress_now" if current else "progress_at"
    return f"{at}(coalesce($as_of::DATE, current_date), $stale_days)"


# 进度's lists, each an order over the measures in view (ranked, filtered: never across groups).
# The ranked table lists the groups that need attention first (the order of ``ATTENTION``: a red
# light, then yellow, stale, green, no target), within a group by rank or by change, largest
# first (changes are compared only within their comparable group); who slipped lists the measures
# that lost places, most places first; the trends are those of measures with two or more reports:
# the chosen bodies', else those that slipped most, else the top of each group.
ATTENTION = ("red", "yellow", "stale", "green", "no_target")
STANDING_ORDER = "group_key, rank, body_id, measure_id"
PROGRESS_LISTS = {
    "rank_pos": f"attention, {STANDING_ORDER}",
    "change_pos": f"attention, group_key, change DESC NULLS LAST, {STANDING_ORDER}",
    "slipped_pos": f"rank_change, {STANDING_ORDER}",
    "trend_pos": "CASE WHEN trend_which = 'trends_which_slipped' THEN rank_change END, "
    f"CASE WHEN trend_which = 'trends_which_top' THEN rank END, {STANDING_ORDER}",
}
# Which rows each list holds.
PROGRESS_IN_LIST = {
    "rank_pos": "true",
    "change_pos": "true",
    "slipped_pos": "coalesce(rank_change < 0, false)",
    "trend_pos": "trend_pick",
}


def progress(
    con,
    filters: Filters = NO_FILTERS,
    stale_days: int = STALE_DAYS,
    limit: int | None = None,
    trends: int = 12,
) -> pd.DataFrame:
    """Every measure's standing at ``filters.as_of`` (default: today): latest value and date,
    previous report, change, rank and rank change in its comparable group (ranked over the
    whole group, then filtered) and light; best first within each group. Each row's place in
    each of 进度's lists (``PROGRESS_LISTS``), counted from 1 over the rows in view, NULL when
    the row is not in the list: ``rank_pos`` and ``change_pos`` (the ranked table, by rank or by
    change), ``slipped_pos`` (who slipped) and ``trend_pos`` (the first ``trends`` measures whose
    trends are drawn; ``trend_which`` says which those are). With ``limit``, only the rows
    placed within ``limit`` in some list (or within ``trends`` for the trends)."""
    lights = " ".join(f"WHEN '{light}' THEN {i}" for i, light in enumerate(ATTENTION))
    places = ", ".join(
        f"CASE WHEN {PROGRESS_IN_LIST[name]} THEN row_number() OVER "
        f"(ORDER BY {PROGRESS_IN_LIST[name]} DESC, {order}) END AS {name}"
        for name, order in PROGRESS_LISTS.items()
    )
    # The places are counted over the few columns they need; the wide rows are read once.
    sql = f"""
        WITH in_view AS MATERIALIZED (
            SELECT * FROM {progress_relation(con, filters)} WHERE {FILTER_SQL}
        ), attention AS (  -- aggregates joined back: a window over every row costs far more here
            SELECT group_key, min(CASE light {lights} END) AS attention FROM in_view GROUP BY group_key
        ), trends AS (
            SELECT CASE WHEN len($bodies::VARCHAR[]) > 0 THEN 'trends_which_bodies'
                        WHEN bool_or(previous IS NOT NULL AND rank_change < 0) THEN 'trends_which_slipped'
                        ELSE 'trends_which_top' END AS trend_which
            FROM in_view
        ), keys AS (
            SELECT v.measure_id, v.group_key, v.rank, v.body_id, v.change, v.rank_change,
                   v.previous IS NOT NULL AS several, a.attention, w.trend_which
            FROM in_view v JOIN attention a USING (group_key) CROSS JOIN trends w
        ), placed AS (
            SELECT measure_id, trend_which, {places}
            FROM (SELECT *, several AND (trend_which <> 'trends_which_slipped' OR coalesce(rank_change < 0, false))
                            AS trend_pick
                  FROM keys)
        )
        SELECT v.*, p.rank_pos, p.change_pos, p.slipped_pos,
               CASE WHEN p.trend_pos <= $trends THEN p.trend_pos END AS trend_pos, p.trend_which
        FROM in_view v JOIN placed p USING (measure_id)
        WHERE $limit::BIGINT IS NULL OR least(p.rank_pos, p.change_pos, p.slipped_pos) <= $limit
           OR p.trend_pos <= $trends
        ORDER BY {STANDING_ORDER}
    """
    params = {**filters.params(), "stale_days": stale_days, "limit": limit, "trends": trends}
    return con.execute(sql, params).df()


# The tallies of lights: per comparable group, per kind of body, and of every measure in view
# (never taken from the caller): the column grouped by, its names and its sort key.
LIGHT_TALLIES = {
    "group": ("group_key", "comparable_group_zh", "comparable_group_en", "group_key"),
    "kind": ("body_kind", "body_kind_zh", "body_kind_en", "body_kind_order"),
    "all": ("'all'", "'全部'", "'All'", "1"),  # one row: every measure in view
}
GROUPED_TALLIES = ("group", "kind")  # "all" is the grand total


def progress_tallies(con, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Every tally of ``LIGHT_TALLIES`` at ``filters.as_of``, in one pass over the standing:
    ``tally`` (group, kind or all), then the columns of ``progress_lights``, and, of the measures
    tallied, the newest report date (``newest``) and how many have a previous report
    (``reported_twice``) and a target (``targeted``)."""

    def per_tally(sql: Callable[[str], str]) -> str:  # ``sql(by)`` over each tally's rows
        cases = " ".join(
            f"WHEN grouping({LIGHT_TALLIES[by][0]}) = 0 THEN {sql(by)}" for by in GROUPED_TALLIES
        )
        return f"CASE {cases} ELSE {sql('all')} END"

    counts = ", ".join(f"count(*) FILTER (WHERE light = '{light}') AS {light}" for light in LIGHTS)
    orders = ", ".join(
        f"CASE WHEN grouping({LIGHT_TALLIES[by][0]}) = 0 THEN min({LIGHT_TALLIES[by][3]}) END"
        for by in GROUPED_TALLIES
    )
    sets = ", ".join(f"({LIGHT_TALLIES[by][0]})" for by in GROUPED_TALLIES)
    sql = f"""
        SELECT {per_tally(lambda by: f"'{by}'")} AS tally,
               {per_tally(lambda by: f"any_value({LIGHT_TALLIES[by][0]})")} AS tally_id,
               {per_tally(lambda by: f"any_value({LIGHT_TALLIES[by][1]})")} AS tally_zh,
               {per_tally(lambda by: f"any_value({LIGHT_TALLIES[by][2]})")} AS tally_en,
               {counts}, count(*) FILTER (WHERE rank_change < 0) AS slipped, count(*) AS measures,
               max(as_of_date) AS newest, count(previous) AS reported_twice, count(target_id) AS targeted
        FROM {progress_relation(con, filters)}
        WHERE {FILTER_SQL}
        GROUP BY GROUPING SETS ({sets}, ())
        HAVING count(*) > 0
        ORDER BY tally, red DESC, yellow DESC, {orders}
    """
    return con.execute(sql, {**filters.params(), "stale_days": STALE_DAYS}).df()


def progress_lights(con, filters: Filters = NO_FILTERS, by: str = "group") -> pd.DataFrame:
    """How many measures have each light, per comparable group (``by="group"``), kind of body
    (``by="kind"``) or in all (``by="all"``: one row, none when no measure is in view), at
    ``filters.as_of``: columns green, yellow, red, stale, no_target, slipped (moved down in its
    group's ranking), measures (``progress_tallies``)."""
    if by not in LIGHT_TALLIES:
        raise ValueError(f"unknown tally {by!r}: use one of {', '.join(LIGHT_TALLIES)}")
    return of_tally(progress_tallies(con, filters), by)


def of_tally(tallies: pd.DataFrame, by: str) -> pd.DataFrame:
    """The rows of one tally (``by``) of ``progress_tallies``."""
    return tallies[tallies.tally == by].drop(columns="tally").reset_index(drop=True)


def progress_trends(con, measure_ids: list[str], filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Every report of the given measures up to ``filters.as_of``: the small-multiple trends."""
    # ``= ANY`` on each table, not a join: the scan skips the blocks of other measures
    # (progress_history is stored in measure order, schema.STORED_ORDER).
    sql = """
        SELECT h.*, mf.* EXCLUDE (measure_id)
        FROM (SELECT * FROM progress_history WHERE measure_id = ANY($ids::VARCHAR[])) h
        JOIN (SELECT * FROM measure_facts WHERE measure_id = ANY($ids::VARCHAR[])) mf USING (measure_id)
        WHERE $as_of::DATE IS NULL OR h.as_of_date <= $as_of::DATE
        ORDER BY h.measure_id, h.as_of_date
    """
    return con.execute(sql, {"ids": list(measure_ids), "as_of": filters.as_of}).df()


def progress_events(con, measure_ids: list[str], filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """The events (``metrics.events``) up to ``filters.as_of`` that concern each of the given
    measures: set for every body, for the measure's kind of body or for its body; one row per
    measure and event, earliest first."""
    sql = """
        SELECT mf.measure_id, e.event_id, e.event_date, as_of_date(e.event_date) AS event_day,
               e.title_zh, coalesce(e.title_en, e.title_zh) AS title_en, e.body_id AS event_body_id,
               e.body_kind AS event_body_kind, e.note AS event_note
        FROM events e
        JOIN measure_facts mf
          ON coalesce(e.body_id, mf.body_id) = mf.body_id AND coalesce(e.body_kind, mf.body_kind) = mf.body_kind
        WHERE list_contains($ids::VARCHAR[], mf.measure_id)
          AND ($as_of::DATE IS NULL OR as_of_date(e.event_date) <= $as_of::DATE)
        ORDER BY mf.measure_id, event_day, e.event_id
    """
    return con.execute(sql, {"ids": list(measure_ids), "as_of": filters.as_of}).df()


# Names a caller may use for ids (the CLI's --kind, --body, --indicator): table, id, name columns.
NAMED_IDS = {
    "kind": ("body_kinds", "body_kind", ("name_zh", "name_en")),
    "body": ("bodies", "body_id", ("name_zh", "short_zh", "name_en", "short_en")),
    "indicator": ("indicators", "indicator_id", ("name_zh", "name_en")),
}


def ids_named(con, what: str, names: list[str]) -> dict[str, str | None]:
    """Each of ``names`` (an id, or a Chinese or English name) -> its id of ``what`` (kind, body,
    indicator), or None when nothing has that name."""
    table, id_column, columns = NAMED_IDS[what]
    found = {}
    for name in names:
        match = " OR ".join(f"{c} = $name" for c in (id_column, *columns))
        row = con.execute(f"SELECT {id_column} FROM {table} WHERE {match} LIMIT 1", {"name": name}).fetchone()
        found[name] = row[0] if row else None
    return found
