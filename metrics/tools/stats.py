"""The one way the tools summarise timings: median and nearest-rank percentiles."""

from __future__ import annotations

import math
import statistics


def percentile(values: list[float], q: float) -> float | None:
    """The nearest-rank ``q`` quantile (0 < q <= 1) of ``values``; None when there are none."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else None


def summary(values: list[float]) -> dict[str, float | None]:
    """``median_ms``, ``p95_ms`` and ``n`` of timings in milliseconds."""
    return {
        "median_ms": statistics.median(values) if values else None,
        "p95_ms": percentile(values, 0.95),
        "n": len(values),
    }
