"""How many of a report's figures ``extract --format import`` then ``import`` puts on the
dashboard under the right body (issue #12).

``evaluate(text, gold, store)`` proposes import rows for ``text`` (:func:`metrics.proposals.propose`),
imports them into ``store`` with the text kept as the report, and compares the figures the
batch added with the hand-made ``gold`` figures (``tests/import_reports/*/*.gold.csv``: at least
``as_written``, ``value`` and ``body_zh``). A stored figure matches a gold figure when one's
``as_written`` holds the other's (不低于95% and 95%), the values are the same and its body is the gold body: the body's full or short
Chinese name is the gold name (in Simplified characters), with or without 中共 (any body, when the gold names none). Each matches at most once. Recall is the
share of gold figures matched, precision the share of stored figures that match one.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from metrics import proposals
from metrics.textio import simplified


def _names(name: str) -> set[str]:
    name = simplified(name)
    return {name, proposals.without_party(name)} - {""}


def evaluate(
    text: str, gold: pd.DataFrame, store, as_of: str = "", name: str = "report", body: str = ""
) -> dict:
    """Recall and precision of the figures imported from ``text`` (see the module docstring);
    ``as_of`` and ``body`` as a clerk would give them for a text that names neither."""
    source = {"source_title": name}
    found = proposals.propose(text, store, as_of or proposals.as_of_of(text) or "2000", source, body)
    data = proposals.csv_bytes(found.rows)
    checked, batch = store.import_file(data, f"{name}.csv", report=text)
    if batch is None:
        raise ValueError("the proposed rows did not import: " + "; ".join(map(str, checked.problems[:5])))
    with store.connect() as con:
        stored = con.execute(
            """SELECT b.name_zh, b.short_zh, f.as_written, f.value::VARCHAR AS value, f.evidence
               FROM figures f JOIN measures m USING (measure_id) JOIN bodies b USING (body_id)
               WHERE f.figure_id LIKE ? ESCAPE '!'""",
            [batch.batch_id.replace("_", "!_") + "!_%"],
        ).df()
    unmatched = stored.to_dict("records")
    misses = []
    for g in gold.to_dict("records"):
        wanted = _names(str(g["body_zh"]))
        hit = next(
            (
                s
                for s in unmatched
                if (g["as_written"] in s["as_written"] or s["as_written"] in g["as_written"])
                and Decimal(s["value"]) == Decimal(str(g["value"]))
                and (not wanted or (_names(s["name_zh"]) | _names(s["short_zh"])) & wanted)
            ),
            None,
        )
        if hit is None:
            misses.append(g)
        else:
            unmatched.remove(hit)
    matched = len(gold) - len(misses)
    return {
        "gold": len(gold),
        "imported": len(stored),
        "matched": matched,
        "recall": matched / len(gold) if len(gold) else 1.0,
        "precision": matched / len(stored) if len(stored) else 1.0,
        "misses": misses,
        "wrong": unmatched,
        "left_out": found.lines(),
        "batch_id": batch.batch_id,
    }
