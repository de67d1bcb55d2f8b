"""What the guarded write path costs: a small import and its rollback on the bundled data, timed
with the writer lock and recovery (``metrics.store.Store`` as it is) and without them (the lock
replaced by nothing, recovery skipped: the unguarded path before the lock existed), alternating
in one run so that both see the same machine. Part of ``python -m metrics bench``.
"""

from __future__ import annotations

import csv
import io
import statistics
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

from metrics import lock
from metrics.store import Store


def _small_import(store: Store, rows: int = 4) -> bytes:
    """``rows`` counts of one existing count measure, on days no report uses, from a new source."""
    with store.connect() as con:
        body, measure_id, counter = con.execute(
            "SELECT m.body_id, m.measure_id, f.counter FROM measures m JOIN figures f USING (measure_id) "
            "WHERE m.kind = 'count' AND f.role = 'value' ORDER BY m.measure_id LIMIT 1"
        ).fetchone()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["body", "measure_id", "role", "value", "counter", "as_written", "as_of", "evidence"]
        + ["source_title", "source_publisher", "source_published", "source_reference"]
    )
    for i in range(rows):
        value = 100 + i
        writer.writerow(
            [body, measure_id, "value", value, counter, f"{value}{counter}", f"2031-01-{i + 1:02d}"]
            + [f"累计{value}{counter}", "写入基准测试", "基准", "2031-01", "bench"]
        )
    return out.getvalue().encode("utf-8")


@contextmanager
def _unguarded():
    """The write path without its guard: no lock, no recovery."""
    exclusive, recover = lock.exclusive, Store._recover
    lock.exclusive = lambda *args, **kwargs: nullcontext()
    Store._recover = lambda self: None
    try:
        yield
    finally:
        lock.exclusive, Store._recover = exclusive, recover


def measure(workdir: Path, rounds: int = 7) -> dict:
    """Median import and rollback seconds, guarded and unguarded, and their ratios."""
    store = Store(workdir / "write" / "metrics.duckdb", imports_dir=workdir / "write-imports")
    store.build()
    data = _small_import(store)
    times: dict[str, list[float]] = {
        f"{mode}_{op}": [] for mode in ("guarded", "unguarded") for op in ("import", "rollback")
    }
    for _ in range(rounds):
        for mode in ("guarded", "unguarded"):
            with _unguarded() if mode == "unguarded" else nullcontext():
                start = time.perf_counter()
                checked, batch = store.import_file(data, "write-bench.csv")
                times[f"{mode}_import"].append(time.perf_counter() - start)
                if batch is None:
                    raise RuntimeError(f"the write benchmark's batch did not import: {checked.problems[:3]}")
                start = time.perf_counter()
                store.rollback(batch.batch_id)
                times[f"{mode}_rollback"].append(time.perf_counter() - start)
    report = {f"{key}_s": statistics.median(values) for key, values in times.items()}
    for op in ("import", "rollback"):
        report[f"{op}_ratio"] = report[f"guarded_{op}_s"] / report[f"unguarded_{op}_s"]
    report["rounds"] = rounds
    return report


def describe(report: dict) -> str:
    return (
        f"write path ({report['rounds']} rounds, bundled data, 4-figure batch): import "
        f"{report['guarded_import_s'] * 1000:.0f} ms guarded vs {report['unguarded_import_s'] * 1000:.0f} ms "
        f"unguarded (x{report['import_ratio']:.2f}); rollback {report['guarded_rollback_s'] * 1000:.0f} vs "
        f"{report['unguarded_rollback_s'] * 1000:.0f} ms (x{report['rollback_ratio']:.2f})"
    )
