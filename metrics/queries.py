"""Every SQL statement the dashboard and the CLI run, with bound parameters.

Each function takes a connection (or cursor) and a ``Filters`` and returns a
DataFrame. Filter values are always bound, never pasted into SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

FILTER_SQL = """
    (len($body_kinds::VARCHAR[]) = 0 OR list_contains($body_kinds::VARCHAR[], body_kind))
    AND (len($bodies::VARCHAR[]) = 0 OR list_contains($bodies::VARCHAR[], body_id))
    AND (len($themes::VARCHAR[]) = 0 OR list_contains($themes::VARCHAR[], theme_id))
    AND (len($indicators::VARCHAR[]) = 0 OR list_contains($indicators::VARCHAR[], indicator_id))
"""


@dataclass(frozen=True)
class Filters:
    """Selected ids; an empty tuple means no restriction."""

    body_kinds: tuple[str, ...] = field(default=())
    bodies: tuple[str, ...] = field(default=())
    themes: tuple[str, ...] = field(default=())
    indicators: tuple[str, ...] = field(default=())

    def params(self) -> dict[str, list[str]]:
        return {
            "body_kinds": list(self.body_kinds),
            "bodies": list(self.bodies),
            "themes": list(self.themes),
            "indicators": list(self.indicators),
        }


NO_FILTERS = Filters()


def _select(con, view: str, filters: Filters, order: str) -> pd.DataFrame:
    sql = f"SELECT * FROM {view} WHERE {FILTER_SQL} ORDER BY {order}"
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


def closures(con, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Latest closure per measure: total, every graded part and the closure rate."""
    return _select(con, "closures", filters, "indicator_id, closure_rate DESC, measure_id")


def closure_history(con, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Every as-of date of every closure measure (progress over time)."""
    return _select(con, "closure_history", filters, "measure_id, as_of")


def changes(con, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Latest before/after and change per change measure."""
    return _select(con, "changes", filters, "change_pct NULLS LAST, change_pp, measure_id")


def cases(con, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Case, people and clue counts (latest as-of)."""
    return _select(con, "cases", filters, "family, indicator_id, value DESC, measure_id")


def value_figures(con, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Every single-valued figure (counts, shares, amounts, durations), latest as-of."""
    return _select(con, "value_figures", filters, "figure_id")


def kpis(con, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """One row of headline numbers: bodies and figures covered, cases and people held
    accountable (sums of the latest counts of exactly those indicators), closure-rate range."""
    sql = f"""
        SELECT
            (SELECT count(DISTINCT body_id) FROM figure_facts WHERE {FILTER_SQL}) AS bodies,
            (SELECT count(*) FROM figure_facts WHERE {FILTER_SQL}) AS figures,
            (SELECT sum(value) FROM cases WHERE indicator_id = 'cases' AND {FILTER_SQL}) AS cases,
            (SELECT sum(value) FROM cases WHERE indicator_id = 'people_held_accountable' AND {FILTER_SQL})
                AS people,
            (SELECT min(closure_rate) FROM closures WHERE {FILTER_SQL}) AS closure_rate_min,
            (SELECT max(closure_rate) FROM closures WHERE {FILTER_SQL}) AS closure_rate_max
    """
    return con.execute(sql, filters.params()).df()


def body_kinds(con) -> pd.DataFrame:
    """Kinds of body that have at least one body, in display order."""
    return con.execute(
        "SELECT * FROM body_kinds WHERE body_kind IN (SELECT body_kind FROM bodies) ORDER BY sort_order"
    ).df()


def bodies(con) -> pd.DataFrame:
    """Bodies that reported at least one figure, grouped by kind."""
    return con.execute(
        """SELECT b.* FROM bodies b JOIN body_kinds k USING (body_kind)
           WHERE body_id IN (SELECT body_id FROM measures)
           ORDER BY k.sort_order, b.rowid"""
    ).df()


def themes(con) -> pd.DataFrame:
    """Themes that have at least one measure."""
    return con.execute(
        "SELECT * FROM themes WHERE theme_id IN (SELECT theme_id FROM measures) ORDER BY theme_id"
    ).df()


def indicators(con) -> pd.DataFrame:
    """Indicators that have at least one measure."""
    return con.execute(
        "SELECT * FROM indicators WHERE indicator_id IN (SELECT indicator_id FROM measures) "
        "ORDER BY family, indicator_id"
    ).df()


def sources(con) -> pd.DataFrame:
    return con.execute("SELECT * FROM sources ORDER BY source_id").df()


def left_out(con) -> pd.DataFrame:
    return con.execute("SELECT * FROM left_out ORDER BY source_id, reason, as_written").df()
