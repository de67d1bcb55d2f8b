"""How well :func:`metrics.extract.extract` proposes the curated figures, and how fast.

``evaluate(text, gold)`` compares the proposals for ``text`` with hand-curated
figures. A proposal matches a gold figure when

- the values are equal as signed numbers (``Decimal`` comparison; a change_pct
  of -77.6 only matches -77.6, so a proposal with the wrong direction counts as
  both a miss and a false positive), and
- the character spans of ``as_written`` overlap, and
- the bodies are equal when both have one (an empty body on either side is no
  objection).

The gold span is the ``start`` column when the gold table has one (the test
texts' ``*.gold.csv``), else the first occurrence of ``evidence`` in the text
plus the first occurrence of ``as_written`` inside it (how ``data/figures.csv``
locates a figure). Each gold figure matches at most one proposal and each
proposal at most one gold figure (greedy, gold in text order, the proposal with
the nearest start first). Role, counter and qualifier do not decide a match;
their agreement over the matches is reported separately.

``bench()`` measures throughput in MB/s (10^6 bytes of UTF-8 per second) of
``extract`` on a text made by repeating the first source; median of 5 runs.
"""

from __future__ import annotations

import statistics
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from metrics import paths
from metrics.extract import Proposal, extract, read_text

__all__ = ["bench", "evaluate", "first_source_path", "gold_figures"]


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def first_source_path(data_dir: Path = paths.DATA_DIR) -> Path:
    """Where the text of the first source of ``data/sources.csv`` is expected."""
    sources = _read(Path(data_dir) / "sources.csv")
    return paths.sources_dir() / sources.iloc[0]["file_name"]


def gold_figures(data_dir: Path = paths.DATA_DIR, source_id: str | None = None) -> pd.DataFrame:
    """Curated figures of one source (default: the first) with the body's ``name_zh`` as ``body_zh``."""
    data_dir = Path(data_dir)
    sources = _read(data_dir / "sources.csv")
    source_id = source_id or sources.iloc[0]["source_id"]
    figures = _read(data_dir / "figures.csv")
    measures = _read(data_dir / "measures.csv")[["measure_id", "body_id"]]
    bodies = _read(data_dir / "bodies.csv")[["body_id", "name_zh"]].rename(columns={"name_zh": "body_zh"})
    gold = figures[figures.source_id == source_id].merge(measures, on="measure_id", how="left")
    return gold.merge(bodies, on="body_id", how="left").fillna({"body_zh": ""}).reset_index(drop=True)


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def _gold_rows(text: str, gold: pd.DataFrame) -> list[dict]:
    rows = []
    for record in gold.to_dict("records"):
        written = str(record["as_written"])
        start = record.get("start")
        if start is not None and str(start).strip() not in ("", "nan", "<NA>"):
            begin = int(float(start))
        else:
            evidence = str(record.get("evidence", ""))
            at = text.find(evidence)
            begin = at + evidence.find(written) if at >= 0 and written in evidence else text.find(written)
        rows.append(
            {
                "as_written": written,
                "value": _decimal(record["value"]),
                "counter": str(record.get("counter", "")),
                "qualifier": str(record.get("qualifier", "")),
                "role": str(record.get("role", "")),
                "body_zh": str(record.get("body_zh", "") or ""),
                "start": begin,
                "end": begin + len(written),
            }
        )
    return rows


def _describe(p: Proposal) -> dict:
    return {
        "id": p.id,
        "body_zh": p.body_zh,
        "as_written": p.as_written,
        "value": p.value,
        "counter": p.counter,
        "qualifier": p.qualifier,
        "role": p.role,
        "start": p.start,
        "evidence": p.evidence,
    }


def evaluate(
    text: str,
    gold_figures_df: pd.DataFrame,
    proposals: list[Proposal] | None = None,
    bodies: list[str] | None = None,
) -> dict:
    """Precision, recall and F1 of the proposals for ``text`` against ``gold_figures_df``.

    ``gold_figures_df`` needs ``as_written`` and ``value``, and either ``start`` or
    ``evidence``; ``body_zh``, ``role``, ``counter`` and ``qualifier`` are used when
    present. Returns counts, the three scores, the agreement of role, counter and
    qualifier over the matches, and the lists ``misses`` (gold rows),
    ``false_positives`` (proposals) and ``disagreements`` (matched pairs whose
    role, counter or qualifier differ).
    """
    if proposals is None:
        proposals = extract(text, bodies)
    gold = _gold_rows(text, gold_figures_df)
    used: set[int] = set()
    pairs: list[tuple[dict, Proposal]] = []
    misses: list[dict] = []
    for g in sorted(gold, key=lambda row: row["start"]):
        options = [
            p
            for p in proposals
            if p.id not in used
            and g["value"] is not None
            and p.value == g["value"]
            and p.start < g["end"]
            and g["start"] < p.end
            and (not p.body_zh or not g["body_zh"] or p.body_zh == g["body_zh"])
        ]
        if not options:
            misses.append(g)
            continue
        best = min(options, key=lambda p: abs(p.start - g["start"]))
        used.add(best.id)
        pairs.append((g, best))
    false_positives = [_describe(p) for p in proposals if p.id not in used]
    matched = len(pairs)
    precision = matched / len(proposals) if proposals else 1.0
    recall = matched / len(gold) if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    def agreement(field: str) -> float:
        return sum(g[field] == getattr(p, field) for g, p in pairs) / matched if matched else 1.0

    disagreements = [
        {"gold": g, "proposal": _describe(p)}
        for g, p in pairs
        if (g["role"], g["counter"], g["qualifier"]) != (p.role, p.counter, p.qualifier)
    ]
    return {
        "gold": len(gold),
        "proposed": len(proposals),
        "matched": matched,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "role_agreement": agreement("role"),
        "counter_agreement": agreement("counter"),
        "qualifier_agreement": agreement("qualifier"),
        "misses": misses,
        "false_positives": false_positives,
        "disagreements": disagreements,
    }


def bench(text_bytes_target: int = 2_000_000, text: str | None = None, runs: int = 5) -> dict:
    """Throughput of :func:`extract` on ``text`` (default: the first source) repeated to the target size."""
    if text is None:
        text = read_text(first_source_path())
    size = len(text.encode("utf-8"))
    if size == 0:
        raise ValueError("cannot benchmark an empty text")
    big = text * max(1, -(-text_bytes_target // size))
    nbytes = len(big.encode("utf-8"))
    timings = []
    found = 0
    for _ in range(max(1, runs)):
        started = time.perf_counter()
        found = len(extract(big))
        timings.append(time.perf_counter() - started)
    median = statistics.median(timings)
    return {
        "bytes": nbytes,
        "runs": len(timings),
        "seconds_median": median,
        "mb_per_s": nbytes / 1e6 / median,
        "proposals": found,
    }
