"""Page rerun benchmark: every page rerun in AppTest with the filters varied.

Prints a table of median and p95 server-side rerun times per page, for reruns
whose filters are new to the cache (cold) and repeated ones (warm), and writes
the same numbers as JSON. Run it with ``python -m metrics bench``.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from metrics import paths

PAGES = ("overview", "closure", "cases", "reductions", "profile", "figures", "method")
# Filter sets (sidebar keys -> ids) cycled through on every page.
FILTER_SETS = (
    {},
    {"body": ["tianjin", "inner_mongolia"]},
    {"theme": ["serving_people"]},
    {"kind": ["province"]},
    {"body": ["mwr"], "theme": ["flood_control"]},
    {"kind": ["central_department", "guidance_group"]},
    {"lang": "en"},
)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _set(at, key: str, value) -> None:
    widget = at.radio(key=key) if key == "lang" else at.multiselect(key=key)
    widget.set_value(value)


def measure_page(page: str, rounds: int) -> dict[str, float]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(paths.ROOT / "dashboard.py"), default_timeout=120)
    at.run()
    at.switch_page(f"metrics/ui/pages/{page}.py").run()
    cold, warm = [], []
    for i in range(rounds * len(FILTER_SETS)):
        filters = FILTER_SETS[i % len(FILTER_SETS)]
        for key in ("kind", "body", "theme", "indicator"):
            _set(at, key, filters.get(key, []))
        _set(at, "lang", filters.get("lang", "zh"))
        start = time.perf_counter()
        at.run()
        elapsed = (time.perf_counter() - start) * 1000
        if at.exception:
            raise RuntimeError(f"{page} with {filters}: {at.exception[0].value}")
        (cold if i < len(FILTER_SETS) else warm).append(elapsed)
    return {
        "cold_median_ms": statistics.median(cold),
        "cold_p95_ms": _percentile(cold, 0.95),
        "warm_median_ms": statistics.median(warm),
        "warm_p95_ms": _percentile(warm, 0.95),
        "reruns": len(cold) + len(warm),
    }


def run(rounds: int = 3, out: Path | None = None) -> dict:
    """Measure every page; print a report and write it as JSON to ``out``."""
    results = {page: measure_page(page, rounds) for page in PAGES}
    print(
        f"Page rerun times (AppTest, server side), {rounds} rounds x {len(FILTER_SETS)} filter sets, db {paths.default_db()}"
    )
    print(f"{'page':<12}{'cold median':>12}{'cold p95':>10}{'warm median':>13}{'warm p95':>10}  reruns")
    for page, r in results.items():
        print(
            f"{page:<12}{r['cold_median_ms']:>10.1f}ms{r['cold_p95_ms']:>8.1f}ms"
            f"{r['warm_median_ms']:>11.1f}ms{r['warm_p95_ms']:>8.1f}ms  {r['reruns']}"
        )
    if out:
        out.write_text(json.dumps(results, indent=2), encoding="utf-8")
        print(f"written to {out}")
    return results
