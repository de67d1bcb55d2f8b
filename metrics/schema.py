"""The DuckDB schema: tables generated from the data dictionary, and the views.

Tables get their types, NOT NULL, primary keys, foreign keys and CHECKs from
``data/dictionary.csv`` so that the dictionary, the validation and the database
cannot drift apart. Every derived number (closure rate, change in percent) is
computed here, in the views, from its parts, and nowhere else (progress between reports:
``metrics.progress``, created with them).
"""

from __future__ import annotations

from metrics import progress
from metrics.curated import TABLES, Column

SQL_TYPES = {"text": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE"}
# Tables whose first column is the key: all but the plain lists left_out and number_words.
KEYED = set(TABLES) - {"left_out", "number_words"}
# Tables that grow to millions of rows get no index: their keys and references are checked
# set-wise before loading (metrics.validate), and an index (a PRIMARY KEY, or the lookups of a
# REFERENCES) costs a third of the build at 5 million figures. NOT NULL and CHECKs stay.
UNINDEXED = {"figures"}


def table_ddl(table: str, columns: list[Column]) -> str:
    """``CREATE TABLE`` for one dictionary table."""
    lines = []
    for i, col in enumerate(columns):
        line = f"{col.name} {SQL_TYPES[col.type]}"
        if col.required:
            line += " NOT NULL"
        if i == 0 and table in KEYED - UNINDEXED:
            line += " PRIMARY KEY"
        if col.choices:
            quoted = ", ".join("'" + c.replace("'", "''") + "'" for c in col.choices)
            line += f" CHECK ({col.name} IN ({quoted}))"
        if col.reference and table not in UNINDEXED:
            ref_table, ref_column = col.reference
            line += f" REFERENCES {ref_table} ({ref_column})"
        lines.append(line)
    return f"CREATE TABLE {table} (\n  " + ",\n  ".join(lines) + "\n)"


VIEWS = """
-- Every measure with its body, theme and its entry in the indicator catalogue: the direction
-- that is good, the comparable group (with its definition) and the caveat, if the indicator
-- joins its group only with one. An English name left empty (a body, theme or indicator staff
-- added by an import without one) is the Chinese name, so English pages never show a blank.
CREATE VIEW measure_facts AS
SELECT m.measure_id, m.kind AS measure_kind, m.label_zh AS measure_zh, coalesce(m.label_en, m.label_zh) AS measure_en,
       i.direction, m.note AS measure_note,
       m.body_id, b.name_zh AS body_zh, b.short_zh AS body_short_zh,
       coalesce(b.name_en, b.name_zh) AS body_en, coalesce(b.short_en, b.short_zh) AS body_short_en,
       b.body_kind, k.name_zh AS body_kind_zh, k.name_en AS body_kind_en, k.sort_order AS body_kind_order,
       m.theme_id, t.name_zh AS theme_zh, coalesce(t.name_en, t.name_zh) AS theme_en, t.theme_order,
       m.indicator_id, i.name_zh AS indicator_zh, coalesce(i.name_en, i.name_zh) AS indicator_en, i.family,
       i.comparable_group, g.name_zh AS comparable_group_zh,
       coalesce(g.name_en, g.name_zh) AS comparable_group_en,
       g.definition_zh AS definition_zh, coalesce(g.definition_en, g.definition_zh) AS definition_en,
       i.comparability, i.caveat_zh, i.caveat_en
FROM measures m
JOIN bodies b ON b.body_id = m.body_id
JOIN body_kinds k ON k.body_kind = b.body_kind
JOIN (SELECT *, row_number() OVER (ORDER BY theme_id) - 1 AS theme_order FROM themes) t
    ON t.theme_id = m.theme_id
JOIN indicators i ON i.indicator_id = m.indicator_id
JOIN comparable_groups g ON g.group_id = i.comparable_group;

CREATE VIEW figure_facts AS
SELECT f.figure_id, f.role, f.value, f.counter, coalesce(cf.counter_family, f.counter) AS counter_family,
       f.qualifier, f.as_written, f.as_of, f.period,
       f.source_id, s.title AS source_title, s.file_name IS NOT NULL AS quote_verified, f.evidence, f.note, mf.*
FROM figures f
JOIN measure_facts mf ON mf.measure_id = f.measure_id
JOIN sources s ON s.source_id = f.source_id
LEFT JOIN counters cf ON cf.counter = f.counter;

-- The columns the headline numbers count and filter by, one row per figure: stored narrow and
-- in body order (STORED_ORDER), the KPIs of a body or a kind of body read a few blocks instead
-- of scanning every figure's ~40 columns.
CREATE VIEW figure_keys AS
SELECT figure_id, body_kind, body_id, theme_id, indicator_id, as_of, source_id, comparable_group,
       quote_verified
FROM figure_facts;
"""

# One row per measure of kind ``measure_kind`` and as-of date: its figures' distinct quotes joined
# in text order (the order of their first figures), sources and periods. Nearly every date quotes
# one passage from one source: those are read with min/max alone, which DuckDB aggregates (and
# spills) cheaply at millions of figures; only dates with several are joined string by string.
# Two macros from this one text: ``measure_evidence(kind)`` for every date (the views) and
# ``measure_evidence_since(kind, since)`` for the dates from ``since`` on (an import's refresh).
# (Given a date that is '' in the views, DuckDB plans the views' builds differently and runs out
# of its memory cap at 5 million figures.)
EVIDENCE = """
CREATE MACRO {name}(measure_kind{since}) AS TABLE
WITH dated AS (
    SELECT measure_id, as_of,
           min(evidence) AS evidence, min(source_id) AS source_id, min(period) AS period,
           min(evidence) <> max(evidence) OR min(source_id) <> max(source_id) OR min(period) <> max(period)
               AS several
    FROM figures SEMI JOIN measures m ON m.measure_id = figures.measure_id AND m.kind = measure_kind
    {dates}
    GROUP BY measure_id, as_of
), joined AS (
    SELECT measure_id, as_of,
           string_agg(evidence, ' … ' ORDER BY first_figure) AS evidence,
           string_agg(DISTINCT source_id, ', ' ORDER BY source_id) AS source_id,
           string_agg(DISTINCT period, '; ' ORDER BY period) AS period
    FROM (SELECT measure_id, as_of, evidence, source_id, period, min(figure_id) AS first_figure
          FROM figures SEMI JOIN (SELECT measure_id, as_of FROM dated WHERE several) USING (measure_id, as_of)
          GROUP BY ALL)
    GROUP BY ALL
)
SELECT d.measure_id, d.as_of,
       coalesce(j.evidence, d.evidence) AS evidence,
       coalesce(j.source_id, d.source_id) AS source_id,
       CASE WHEN d.several THEN j.period ELSE d.period END AS period
FROM dated d LEFT JOIN joined j USING (measure_id, as_of);
"""
VIEWS += EVIDENCE.format(name="measure_evidence", since="", dates="")
VIEWS += EVIDENCE.format(name="measure_evidence_since", since=", since", dates="WHERE as_of >= since")

# group_key, on closure_history, change_history and value_figures, is the one rule of comparison:
# the comparable group (indicators.comparable_group), the kind of figure and, for counts and
# levels, the counter family (counters.csv; 人 = 名). Rows are ranked, summed or averaged only
# within one key. Rates and percent changes have no counter: their key is group + kind alone.
# (Closure totals are summed only within one counter family too: metrics.queries.closure_groups.)

# The histories of measures whose figures play several roles, each a SELECT joining the quotes
# of ``{evidence}('kind'{since})``: in the views measure_evidence of every date; when an
# import's rows are recomputed (``_recompute``) measure_evidence_since its earliest date, so an
# import joins its own dates' quotes and not those of millions of figures before them.
EVIDENCED = {
    "closure_history": """
-- Closure measures: every reported part kept. The total is the one reported at that date,
-- else the latest reported before it (total_carried), else the sum of the parts (total_derived).
WITH parts AS (
    SELECT measure_id, as_of,
           max(value) FILTER (WHERE role = 'total') AS total_reported,
           max(value) FILTER (WHERE role = 'closed') AS closed,
           max(value) FILTER (WHERE role = 'partly_closed') AS partly_closed,
           max(value) FILTER (WHERE role = 'in_progress') AS in_progress,
           max(counter) FILTER (WHERE role = 'total') AS total_counter,
           max(counter) FILTER (WHERE role = 'closed') AS closed_counter,
           bool_or(qualifier <> 'exact') AS approximate
    FROM figures JOIN measures USING (measure_id)
    WHERE kind = 'closure'
    GROUP BY ALL
), known AS (
    SELECT *,
           coalesce(closed, 0) + coalesce(partly_closed, 0) + coalesce(in_progress, 0) AS parts_sum,
           last_value(total_reported IGNORE NULLS) OVER (
               PARTITION BY measure_id ORDER BY as_of ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS total_known,
           last_value(total_counter IGNORE NULLS) OVER (
               PARTITION BY measure_id ORDER BY as_of ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS counter_known
    FROM parts
), totals AS (
    SELECT *, coalesce(total_known, parts_sum) AS total FROM known
)
SELECT mf.*, mf.comparable_group || '/closure_rate' AS group_key, t.as_of, t.total, t.total_reported,
       t.total_known IS NULL AS total_derived,
       t.total_reported IS NULL AND t.total_known IS NOT NULL AS total_carried,
       t.closed, t.partly_closed, t.in_progress,
       t.total - t.parts_sum AS status_not_reported,
       t.closed / nullif(t.total, 0) AS closure_rate,
       coalesce(t.counter_known, t.closed_counter) AS counter,
       coalesce(cf.counter_family, t.counter_known, t.closed_counter) AS counter_family, t.approximate,
       e.evidence, e.source_id, e.period
FROM totals t
JOIN measure_facts mf USING (measure_id)
JOIN {evidence}('closure'{since}) e USING (measure_id, as_of)
LEFT JOIN counters cf ON cf.counter = coalesce(t.counter_known, t.closed_counter)
""",
    "change_history": """
-- Change measures: the percent as reported, or derived from before and after.
WITH parts AS (
    SELECT measure_id, as_of,
           max(value) FILTER (WHERE role = 'before') AS before,
           max(value) FILTER (WHERE role = 'after') AS after,
           max(value) FILTER (WHERE role = 'change_pct') AS change_pct_reported,
           max(value) FILTER (WHERE role = 'change_pp') AS change_pp,
           max(value) FILTER (WHERE role = 'change_abs') AS change_abs,
           coalesce(max(counter) FILTER (WHERE role IN ('before', 'after')),
                    max(counter) FILTER (WHERE role = 'change_abs')) AS counter,
           bool_or(qualifier <> 'exact') AS approximate
    FROM figures JOIN measures USING (measure_id)
    WHERE kind = 'change'
    GROUP BY ALL
), changes AS (
    SELECT *,
           CASE WHEN before <> 0 THEN (after - before) / before * 100 END AS change_pct_derived
    FROM parts
)
SELECT mf.*,
       mf.comparable_group || CASE
           WHEN coalesce(c.change_pct_reported, c.change_pct_derived) IS NOT NULL THEN '/change_pct'
           WHEN c.change_pp IS NOT NULL THEN '/change_pp'
           WHEN c.change_abs IS NOT NULL THEN '/change_abs/' || coalesce(cf.counter_family, c.counter)
           ELSE '/level/' || coalesce(cf.counter_family, c.counter)
       END AS group_key,
       c.as_of, c.before, c.after,
       coalesce(c.change_pct_reported, c.change_pct_derived) AS change_pct,
       c.change_pct_reported IS NULL AND c.change_pct_derived IS NOT NULL AS change_pct_derived,
       c.change_pp, c.change_abs, c.counter, c.approximate,
       CASE
           WHEN mf.direction = 'none' THEN NULL
           WHEN coalesce(c.change_pct_reported, c.change_pct_derived, c.change_pp, c.change_abs) IS NULL THEN NULL
           WHEN mf.direction = 'down' THEN coalesce(c.change_pct_reported, c.change_pct_derived, c.change_pp, c.change_abs) < 0
           ELSE coalesce(c.change_pct_reported, c.change_pct_derived, c.change_pp, c.change_abs) > 0
       END AS is_good,
       e.evidence, e.source_id, e.period
FROM changes c
JOIN measure_facts mf USING (measure_id)
JOIN {evidence}('change'{since}) e USING (measure_id, as_of)
LEFT JOIN counters cf ON cf.counter = c.counter
""",
}
VIEWS += "".join(
    f"CREATE VIEW {view} AS{sql.format(evidence='measure_evidence', since='')};\n"
    for view, sql in EVIDENCED.items()
)
VIEWS += """
-- Single-valued measures (counts, shares, amounts, durations): every as-of.
CREATE VIEW value_history AS
SELECT ff.*, ff.comparable_group || '/' || ff.measure_kind || '/' || ff.counter_family AS group_key
FROM figure_facts ff
WHERE ff.role = 'value';

CREATE VIEW case_history AS
SELECT * FROM value_history
WHERE measure_kind = 'count' AND family IN ('cases', 'people', 'clues');
"""

# Each measure's latest report: all its rows at its newest as-of date (as-of dates ordered as
# text), kept from a history by this clause; ``LATEST`` maps each view to its history.
LATEST_ROWS = "QUALIFY as_of = max(as_of) OVER (PARTITION BY measure_id)"
LATEST = {
    "closures": "closure_history",
    "changes": "change_history",
    "value_figures": "value_history",
    "cases": "case_history",
}
VIEWS += "".join(
    f"CREATE VIEW {latest} AS\nSELECT * FROM {history} {LATEST_ROWS};\n" for latest, history in LATEST.items()
)

# Derived views stored as tables once the data is loaded, in dependency order: the numbers are
# still defined only by the views above (kept as <name>__definition), but a page reads a
# stored result instead of recomputing window functions over millions of figures.
MATERIALIZED = (
    "measure_facts",
    "figure_facts",
    "figure_keys",
    "closure_history",
    "closures",
    "change_history",
    "changes",
    "value_figures",
    "cases",
    "progress_history",
    "progress_recent",
    "progress_standing",
)
# Stored tables written in an order that lets a lookup of a few measures skip the rest: DuckDB
# keeps each column's min and max per block of rows, so 进度's trends read a dozen measures'
# reports in a few blocks instead of scanning 3.7 million rows (rows added later by imports go
# at the end, in their own blocks, each write in this order).
STORED_ORDER = {"progress_history": "measure_id, as_of_date", "figure_keys": "body_kind, body_id"}
# Stored tables with one row per figure, which depends on that figure alone.
PER_FIGURE = ("figure_facts", "figure_keys")


def _order(view: str) -> str:
    """The ``ORDER BY`` a stored table's rows are written in (``STORED_ORDER``), or nothing."""
    return f" ORDER BY {STORED_ORDER[view]}" if view in STORED_ORDER else ""


def materialize(con) -> None:
    """Store every derived view as a table of the same name (see MATERIALIZED), in
    ``STORED_ORDER`` where one is given."""
    for view in MATERIALIZED:
        con.execute(f"ALTER VIEW {view} RENAME TO {view}__definition")
        con.execute(f"CREATE TABLE {view} AS SELECT * FROM {view}__definition")
        _sort(con, view)


def _sort(con, view: str) -> None:
    """Rewrite the stored ``view`` in its ``STORED_ORDER``, if it has one. Sorted once stored:
    sorting millions of rows as the definition makes them runs out of DuckDB's memory cap."""
    if view in STORED_ORDER:
        con.execute(f"CREATE OR REPLACE TABLE {view} AS SELECT * FROM {view}{_order(view)}")


def create(con, columns: dict[str, list[Column]]) -> None:
    """Create every table (in reference order) and every view on ``con``."""
    for table in TABLES:
        con.execute(table_ddl(table, columns[table]))
    con.execute(VIEWS)
    con.execute(progress.SQL)


def insert_from_text(table: str, columns: list[Column], source: str) -> str:
    """``INSERT`` of ``table`` from the text table ``source`` (validated): '' becomes NULL and
    numbers are cast to their column's type."""
    cells = []
    for col in columns:
        cell = f"NULLIF(\"{col.name}\", '')"
        cells.append(cell if col.type == "text" else f"CAST({cell} AS {SQL_TYPES[col.type]})")
    return f"INSERT INTO {table} SELECT {', '.join(cells)} FROM {source}"


# Stored derived tables with one row per measure and as-of date, each computed from the figures
# at or before its date only: after figures are added, a row dated before the earliest new one
# is as it was (as-of dates compare as text, as the views order them).
DATED = ("closure_history", "change_history", "progress_history")
# Stored derived tables whose every row can change with any measure's figures (a rank in a
# comparable group, the group's previous report date): recomputed whole after a change.
WHOLE = ("progress_standing",)


def _recompute(con, view: str, where: str = "true", params=(), since=None) -> None:
    """Replace the rows of the stored ``view`` that ``where`` selects by their definition's;
    ``since``: those rows are all dated then or later (only those dates' quotes are joined)."""
    con.execute(f"DELETE FROM {view} WHERE {where}", list(params))
    if where == "true":  # every row
        con.execute(f"INSERT INTO {view} SELECT * FROM {view}__definition")
        _sort(con, view)
        return
    definition, first = f"{view}__definition", []
    if view in EVIDENCED and since is not None:
        sql = EVIDENCED[view].format(evidence="measure_evidence_since", since=", ?")
        definition, first = f"({sql})", [since]
    order = _order(view)  # a few measures' rows, added in their order
    con.execute(f"INSERT INTO {view} SELECT * FROM {definition} WHERE {where}{order}", [*first, *params])


def refresh(con, new_measures: str, new_figures: str, new_themes: str) -> None:
    """Bring the stored derived tables up to date after rows were only added (the tables
    ``new_measures``, ``new_figures`` and ``new_themes`` hold the rows added to those; rows
    added to bodies, indicators or comparable groups are only used by the added measures).
    A row of measure_facts or of a table of ``PER_FIGURE`` depends on its own measure or figure alone, so only
    the new ones are added; the other tables' rows of every measure with new figures are
    recomputed from the definitions, exactly as a full build would compute them: in the tables
    of ``DATED`` only the rows dated at or after the earliest new figure (a weekly import
    recomputes one week, not the whole history); a latest table (``LATEST``) and
    ``progress_recent`` keep the measure's latest or four latest from the rows they had and the
    history from that date on (``_add_latest``, ``_add_recent``). A new theme can move
    every theme's ``theme_order`` (themes are ordered by id), so then every row is recomputed."""
    if con.execute(f"SELECT count(*) FROM {new_themes}").fetchone()[0]:
        for view in MATERIALIZED:
            _recompute(con, view)
        return
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE touched AS "
        f"SELECT measure_id FROM {new_figures} UNION SELECT measure_id FROM {new_measures}"
    )
    (since,) = con.execute(f"SELECT min(as_of) FROM {new_figures}").fetchone()
    for view in MATERIALIZED:
        if view == "measure_facts":
            where = f"measure_id IN (SELECT measure_id FROM {new_measures})"
            con.execute(f"INSERT INTO {view} SELECT * FROM {view}__definition WHERE {where}")
        elif view in PER_FIGURE:
            where = f"figure_id IN (SELECT figure_id FROM {new_figures})"
            con.execute(f"INSERT INTO {view} SELECT * FROM {view}__definition WHERE {where}{_order(view)}")
        elif view in LATEST and since is not None:
            _add_latest(con, view, "touched", since)
        elif view == "progress_recent" and since is not None:
            _add_recent(con, "touched", since)
        else:
            _recompute(con, view, *_touched_rows(view, "touched", since))


def _add_latest(con, view: str, touched: str, since) -> None:
    """A ``LATEST`` table after figures dated ``since`` or later were added to the measures in
    ``touched``: each one's latest is among its stored latest rows dated before ``since`` and
    its history from ``since`` on (an import removes no row of a history, and each row from
    ``since`` on is later than any before it)."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE latest_kept AS SELECT * FROM {view} "
        f"WHERE measure_id IN (SELECT measure_id FROM {touched}) AND as_of < ?",
        [since],
    )
    con.execute(f"DELETE FROM {view} WHERE measure_id IN (SELECT measure_id FROM {touched})")
    con.execute(
        f"""INSERT INTO {view} SELECT * FROM (
                SELECT * FROM latest_kept
                UNION ALL
                SELECT * FROM {LATEST[view]}
                WHERE measure_id IN (SELECT measure_id FROM {touched}) AND as_of >= ?
            ) {LATEST_ROWS}""",
        [since],
    )


def _add_recent(con, touched: str, since) -> None:
    """progress_recent after figures dated ``since`` or later were added to the measures in
    ``touched``: a measure whose stored four latest reports are all dated before ``since`` keeps
    its four latest of those and its reports from ``since`` on (each later than any before it:
    as-of dates order as text as they do as dates, then as text); any other measure's (an import
    dated inside its history) are recomputed from its whole history."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE recent_kept AS SELECT * FROM progress_recent "
        f"WHERE measure_id IN (SELECT measure_id FROM {touched})"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE recent_inside AS "
        "SELECT DISTINCT measure_id FROM recent_kept WHERE as_of >= ?",
        [since],
    )
    con.execute(f"DELETE FROM progress_recent WHERE measure_id IN (SELECT measure_id FROM {touched})")
    con.execute(
        f"""INSERT INTO progress_recent SELECT * FROM (
                SELECT * FROM recent_kept
                UNION ALL
                SELECT * FROM progress_history
                WHERE measure_id IN (SELECT measure_id FROM {touched}) AND as_of >= ?
            ) ANTI JOIN recent_inside USING (measure_id)
            {progress.RECENT_ROWS}""",
        [since],
    )
    if con.execute("SELECT count(*) FROM recent_inside").fetchone()[0]:  # else a scan for nothing
        con.execute(
            "INSERT INTO progress_recent SELECT * FROM progress_recent__definition "
            "WHERE measure_id IN (SELECT measure_id FROM recent_inside)"
        )


def forget(con, gone_measures: str, gone_figures: str, gone_themes: str, touched: str, since) -> None:
    """Bring the stored derived tables up to date after rows were only removed (the tables
    ``gone_*`` hold the removed keys in column ``key``; ``touched`` the measure_id of every
    measure that lost figures or was removed; ``since`` the earliest as-of of the removed
    figures). As in ``refresh``: measure_facts and the tables of ``PER_FIGURE`` lose the rows of removed
    measures and figures; every other table's rows of the touched measures are recomputed from
    the definitions, in the tables of ``DATED`` only those dated at or after ``since``; a removed
    theme can move every theme's ``theme_order``, so then every row is recomputed."""
    if con.execute(f"SELECT count(*) FROM {gone_themes}").fetchone()[0]:
        for view in MATERIALIZED:
            _recompute(con, view)
        return
    con.execute(f"DELETE FROM measure_facts WHERE measure_id IN (SELECT key FROM {gone_measures})")
    for view in PER_FIGURE:
        con.execute(f"DELETE FROM {view} WHERE figure_id IN (SELECT key FROM {gone_figures})")
    for view in MATERIALIZED:
        if view not in ("measure_facts", *PER_FIGURE):
            _recompute(con, view, *_touched_rows(view, touched, since))


def _touched_rows(view: str, touched: str, since) -> tuple[str, list, object]:
    """Which rows of the stored ``view`` may change when the measures in ``touched`` gain or
    lose figures dated ``since`` or later: a ``WHERE`` clause, its parameters and the date the
    rows it selects start at (None: any)."""
    if view in WHOLE:
        return "true", [], None
    where = f"measure_id IN (SELECT measure_id FROM {touched})"
    if view in DATED and since is not None:
        return f"{where} AND as_of >= ?", [since], since
    return where, [], None
