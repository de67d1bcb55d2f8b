"""Progress between reports, in SQL: each measure's standing at a date, with its previous report,
its change, its rank and rank change in its comparable group, and its light.

``SQL`` is created with the other views (``metrics.schema``); ``metrics.queries.progress`` reads
``progress_at(date, stale_days)``. Every number is derived here, from the views' parts:

- **Value** of a measure at a report: a closure rate in percent (closed ÷ total × 100), a
  percent change, points change or absolute change as reported or derived (``change_history``),
  or the single value of a count, share, amount or duration.
- **Latest** at a date: the measure's last report whose as-of date is at or before it. An as-of
  date written as a year or a month (2019, 2019-06) counts from its first day.
- **Previous**: the measure's report before its latest. **Change**: in points (latest −
  previous) for rates, shares and percent or point changes; in percent ((latest − previous) ÷
  previous × 100; none when previous is 0) for counts, amounts, durations and levels; as a
  difference in its counter for absolute changes (同比减少9个). ``change_amount`` is always the
  difference (latest − previous), so a count's change reads in both terms (+34起, +20.5%).
- **Rank**: within the comparable group (``group_key``: like with like only), over every body
  of the group whatever filters are applied, best first (the good direction where the
  catalogue names one, else the largest first). Ties share the best rank and the next rank
  skips (standard competition ranking: 1, 2, 2, 4).
- **Rank change**: the rank in the group's previous standing minus the rank now (positive:
  moved up). The previous standing is the group as it stood at its last report date before its
  newest one (last week's bulletin, ranked the same way). None for a measure that had no
  report by then.
- **Light**, in this order (the first rule that holds):

  1. ``stale`` — not reported since N days: the measure's latest report is more than
     ``stale_days`` days older than the newest report of its group at that date (so a whole
     campaign that ended long ago is not all stale; ``days_since`` still says how old it is);
  2. ``no_target`` — no target applies (targets are never invented);
  3. ``green`` — on target: value ≥ target (``at_least``) or ≤ target (``at_most``);
  4. ``red`` — behind and past the deadline (the date is after the target's deadline);
  5. ``yellow`` — behind but improving: a previous report exists and the value moved toward
     the target since it (strictly);
  6. ``red`` — behind and not improving (no better than the previous report, or no previous
     report to show improvement).

  A target applies to a measure when it is set for the measure's indicator, for its body or
  for every body (``body_id`` empty), in the counter family of the measure's value (% for rates
  and shares), and was set on or before the date (``set_on`` ≤ date: the targets file's
  ``set_on``, else the day it was imported; time travel to the day before shows no such target,
  and the light of that day is what it was then). A body's own target beats one for every body;
  of equals, the greatest ``target_id`` (the latest import).
"""

from __future__ import annotations

STALE_DAYS = 30  # default of "not reported since N days", relative to the group's newest report
LIGHTS = ("green", "yellow", "red", "stale", "no_target")

# A measure's four latest reports, kept from its history by this clause (see progress_recent).
RECENT_ROWS = "QUALIFY row_number() OVER (PARTITION BY measure_id ORDER BY as_of_date DESC, as_of DESC) <= 4"

SQL = """
-- A figure's as-of date as a DATE: YYYY and YYYY-MM count from their first day.
CREATE MACRO as_of_date(t) AS
    CAST(CASE length(t) WHEN 4 THEN t || '-01-01' WHEN 7 THEN t || '-01' ELSE t END AS DATE);

-- A deadline as a DATE: YYYY and YYYY-MM mean the last day of that year or month.
CREATE MACRO deadline_date(t) AS CASE length(t)
    WHEN 4 THEN make_date(CAST(t AS BIGINT), 12, 31)
    WHEN 7 THEN last_day(CAST(t || '-01' AS DATE))
    ELSE CAST(t AS DATE) END;

-- Best first within a comparable group: the good direction, else the largest first.
CREATE MACRO rank_key(direction, value) AS CASE WHEN direction = 'down' THEN value ELSE -value END;

-- One value per measure and report: what is ranked and compared over time. ``unit`` is the
-- counter family a target must be set in; ``change_unit`` how a change is measured.
CREATE VIEW progress_history AS
WITH observed AS (
    SELECT measure_id, group_key, as_of, closure_rate * 100 AS value, '%' AS counter, '%' AS unit,
           'points' AS change_unit
    FROM closure_history WHERE closure_rate IS NOT NULL
    UNION ALL
    SELECT c.measure_id, c.group_key, c.as_of, coalesce(c.change_pct, c.change_pp, c.change_abs, c.after),
           CASE WHEN c.change_pct IS NOT NULL THEN '%' WHEN c.change_pp IS NOT NULL THEN '个百分点'
                ELSE c.counter END,
           CASE WHEN c.change_pct IS NOT NULL THEN '%' WHEN c.change_pp IS NOT NULL THEN '个百分点'
                ELSE coalesce(cf.counter_family, c.counter) END,
           CASE WHEN c.change_pct IS NOT NULL OR c.change_pp IS NOT NULL THEN 'points'
                WHEN c.change_abs IS NOT NULL THEN 'difference' ELSE 'percent' END
    FROM change_history c LEFT JOIN counters cf ON cf.counter = c.counter
    WHERE coalesce(c.change_pct, c.change_pp, c.change_abs, c.after) IS NOT NULL
    UNION ALL
    SELECT measure_id, group_key, as_of, value, counter, counter_family,
           CASE WHEN counter_family = '%' THEN 'points' ELSE 'percent' END
    FROM value_history
)
SELECT *, as_of_date(as_of) AS as_of_date FROM observed;

-- Each measure's four latest reports: all a standing after the last report needs (its latest two;
-- the group's date before its newest and each measure's value then, which is within a measure's
-- four latest reports, as at most three as-of forms (2019, 2019-01, 2019-01-01) share a date).
-- Stored, the standing ranks four rows a measure instead of every report (at 5M figures: 330,000
-- rows instead of 3.7 million).
CREATE VIEW progress_recent AS
SELECT * FROM progress_history
"""
SQL += RECENT_ROWS + ";\n"

# Every measure's latest and previous report at ``at_date``, its rank and rank change in its
# comparable group: the part of a standing that needs the history (``{history}``).
STANDING = """
CREATE MACRO {name}(at_date) AS TABLE
WITH seen AS (
    SELECT h.*, mf.direction, mf.indicator_id, mf.body_id
    FROM {history} h JOIN measure_facts mf USING (measure_id)
    WHERE h.as_of_date <= at_date
), last_two AS (
    SELECT max_by(s, (s.as_of_date, s.as_of), 2) AS two FROM seen s GROUP BY s.measure_id
), latest AS (
    SELECT unnest(two[1]), two[2].value AS previous, two[2].as_of AS previous_as_of FROM last_two
), newest AS (
    SELECT group_key, max(as_of_date) AS group_newest FROM latest GROUP BY group_key
), prior AS (
    SELECT s.group_key, max(s.as_of_date) AS group_prior
    FROM seen s JOIN newest n USING (group_key)
    WHERE s.as_of_date < n.group_newest
    GROUP BY s.group_key
), latest_before AS (
    SELECT s.measure_id, any_value(s.group_key) AS group_key, any_value(s.direction) AS direction,
           max_by(s.value, (s.as_of_date, s.as_of)) AS value
    FROM seen s JOIN prior p USING (group_key)
    WHERE s.as_of_date <= p.group_prior
    GROUP BY s.measure_id
), ranked_before AS (
    SELECT measure_id, rank() OVER (PARTITION BY group_key ORDER BY rank_key(direction, value)) AS rank_before
    FROM latest_before
)
SELECT c.*, n.group_newest,
       rank() OVER (PARTITION BY c.group_key ORDER BY rank_key(c.direction, c.value)) AS rank,
       count(*) OVER (PARTITION BY c.group_key) AS group_size,
       count(DISTINCT c.body_id) OVER (PARTITION BY c.group_key) AS group_bodies,
       b.rank_before
FROM latest c
JOIN newest n USING (group_key)
LEFT JOIN ranked_before b USING (measure_id);
"""
SQL += STANDING.format(name="standing_at", history="progress_history")
SQL += STANDING.format(name="recent_standing_at", history="progress_recent")
# The standing after the last report (stored as a table: the default view of 进度).
SQL += "CREATE VIEW progress_standing AS SELECT * FROM recent_standing_at(DATE '9999-12-31');\n"

# Every measure's standing at ``at_date``: its standing (``{standing}``) with the targets in
# force that day and its light. ``progress_at`` reads the standing from the history;
# ``progress_now`` from the stored ``progress_standing``, the same for any ``at_date`` at or
# after the last report (``queries.progress_relation`` picks).
JUDGED = """
CREATE MACRO {name}(at_date, stale_days) AS TABLE
WITH now AS (
    SELECT * FROM {standing}
), targeted AS (
    SELECT c.measure_id, t.target_id, t.comparison, t.value AS target, t.counter AS target_counter,
           t.deadline, deadline_date(t.deadline) AS deadline_date
    FROM now c
    JOIN targets t ON t.indicator_id = c.indicator_id AND coalesce(t.body_id, c.body_id) = c.body_id
    LEFT JOIN counters tc ON tc.counter = t.counter
    WHERE coalesce(tc.counter_family, t.counter) = c.unit AND as_of_date(t.set_on) <= CAST(at_date AS DATE)
    QUALIFY row_number() OVER (PARTITION BY c.measure_id ORDER BY t.body_id IS NULL, t.target_id DESC) = 1
), judged AS (
    SELECT c.*, t.* EXCLUDE (measure_id),
           CASE c.change_unit
               WHEN 'percent' THEN (c.value - c.previous) / nullif(c.previous, 0) * 100
               ELSE c.value - c.previous
           END AS change,
           c.value - c.previous AS change_amount,
           c.rank_before - c.rank AS rank_change,
           date_diff('day', c.as_of_date, CAST(at_date AS DATE)) AS days_since,
           date_diff('day', c.as_of_date, c.group_newest) AS days_behind,
           CASE t.comparison WHEN 'at_least' THEN c.value >= t.target ELSE c.value <= t.target END AS on_target,
           c.previous IS NOT NULL AND CASE t.comparison
               WHEN 'at_least' THEN c.value > c.previous ELSE c.value < c.previous
           END AS improving
    FROM now c
    LEFT JOIN targeted t USING (measure_id)
)
SELECT mf.*, j.* EXCLUDE (measure_id, direction, indicator_id, body_id),
       CASE
           WHEN j.days_behind > stale_days THEN 'stale'
           WHEN j.target_id IS NULL THEN 'no_target'
           WHEN j.on_target THEN 'green'
           WHEN j.deadline_date < CAST(at_date AS DATE) THEN 'red'
           WHEN j.improving THEN 'yellow'
           ELSE 'red'
       END AS light
FROM judged j JOIN measure_facts mf USING (measure_id);
"""
SQL += JUDGED.format(name="progress_at", standing="standing_at(at_date)")
SQL += JUDGED.format(name="progress_now", standing="progress_standing")
