"""Benchmark: every page's queries against the raw engine, and every page rerun in AppTest.

``python -m metrics bench`` measures the bundled data; ``--figures N`` first writes a synthetic
national-scale data folder of about N figures (``metrics.synth``) and builds it. For every page,
over reruns with the filters varied, it reports median and p95 of

- the page's queries through ``metrics.queries`` (SQL to DataFrame, as the page runs them),
- the same SQL statements run directly on the DuckDB connection to Arrow (the engine's floor),
  and the ratio of the two,
- the whole page rerun in AppTest (cache cleared before each page: cold, then warm reruns),
- the framework's floor: the same elements sent again from precomputed data
  (``metrics.tools.floor``), and the warm rerun's cost over it,
- the bytes of chart data the page sends to the browser,

plus build time, each import's time, the rollback of each import, newest first (``rollbacks``;
``rollback_s`` the slowest), the same files imported again (``reimport_s``), database size and
peak memory (``build_peak_rss_mb``, ``import_peak_rss_mb``, ``rollback_peak_rss_mb``: the
process's largest resident memory during that step, sampled every 5 ms; the synthetic data is
written by a child process, so none of it is the generator's), and a ``load`` section: websocket sessions against one real app process over the same
build (``metrics.tools.wsload``: sessions, errors, request-to-script-finished p50/p95, server
memory). The report is printed and written as JSON.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import resource
import statistics
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from metrics import paths, queries, view
from metrics.queries import Filters
from metrics.store import Store
from metrics.tools import floor, writebench
from metrics.tools.stats import summary

# synth --bodies 3500 --rounds 52 writes 4,969,685 figures: about 27.3 per body and week.
FIGURES_PER_BODY_WEEK = 27.3
# The browsing pages, as the app defines them (the pages, the briefing and the pack share
# metrics.view): their queries are the SQL ``view.build`` runs for the page.
PAGES = view.PAGES


def filter_sets(con) -> list[tuple[Filters, str]]:
    """Filter combinations (and a language) cycled through on every page, taken from the data."""
    bodies, themes, kinds = queries.bodies(con), queries.themes(con), queries.body_kinds(con)
    return [
        (Filters(), "zh"),
        (Filters(bodies=tuple(bodies.body_id[:2])), "zh"),
        (Filters(themes=(themes.theme_id.iloc[0],)), "zh"),
        (Filters(body_kinds=(kinds.body_kind.iloc[0],)), "zh"),
        (Filters(bodies=(bodies.body_id.iloc[-1],), themes=(themes.theme_id.iloc[-1],)), "zh"),
        (Filters(body_kinds=tuple(kinds.body_kind[1:3])), "zh"),
        (Filters(), "en"),
    ]


class Recorder:
    """A connection that remembers every statement run through it and how its rows were read
    (``execute``: ``.df()``; ``sql``: ``queries.wide_frame``), to replay them as the app reads
    them and raw."""

    def __init__(self, con):
        self.con, self.calls = con, []

    def execute(self, sql, params=None):
        self.calls.append((sql, params, _as_frame))
        return self.con.execute(sql, params)

    def sql(self, sql, params=None):
        self.calls.append((sql, params, queries.wide_frame))
        return self.con.sql(sql, params=params)

    def cursor(self):
        return self


def _as_frame(con, sql: str, params) -> pd.DataFrame:
    """A statement's rows read as most queries read them: ``.df()``."""
    return con.execute(sql, params).df()


def page_statements(con, page: str, filters: Filters, lang: str) -> list[tuple]:
    """The SQL statements (with their parameters) the app runs to show ``page``: recorded while
    ``view.build`` makes the page's view."""
    recorder = Recorder(con)
    view.build(recorder, page, filters, lang)
    return recorder.calls


def measure_queries(con, page: str, sets, rounds: int) -> dict:
    """Median/p95 of the page's queries as the app runs them (SQL to DataFrame) and of the same
    SQL straight to Arrow."""
    statements = [page_statements(con, page, filters, lang) for filters, lang in sets]
    ours, raw = [], []
    for _ in range(rounds):
        for calls in statements:
            start = time.perf_counter()
            for sql, params, read in calls:
                read(con, sql, params)
            ours.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            for sql, params, _ in calls:
                con.sql(sql, params=params).to_arrow_table()
            raw.append((time.perf_counter() - start) * 1000)
    result = {"queries": summary(ours), "raw_engine": summary(raw)}
    result["ratio"] = result["queries"]["median_ms"] / max(result["raw_engine"]["median_ms"], 1e-6)
    return result


def _widget_values(con, filters: Filters, lang: str) -> dict:
    """The sidebar values (names in ``lang``) that select ``filters``."""
    column = "en" if lang == "en" else "zh"
    bodies = queries.bodies(con).set_index("body_id")[f"short_{column}"]
    themes = queries.themes(con).set_index("theme_id")[f"name_{column}"]
    kinds = queries.body_kinds(con).set_index("body_kind")[f"name_{column}"]
    return {
        "kind": [kinds[k] for k in filters.body_kinds],
        "body": [bodies[b] for b in filters.bodies],
        "theme": [themes[t] for t in filters.themes],
        "indicator": [],
    }


def measure_page(page: str, con, sets, rounds: int) -> dict:
    """Page reruns in AppTest: cold (first time each filter set is seen) and warm; chart bytes;
    the framework's floor (``metrics.tools.floor``: the same elements sent from precomputed
    data, ``rounds`` reruns per filter set) and the warm rerun's cost over it."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(paths.ROOT / "dashboard.py"), default_timeout=300)
    at.run()
    at.switch_page(f"metrics/ui/pages/{page}.py").run()
    cold, warm, chart_bytes, shown = [], [], 0, []
    with floor.record() as messages:
        for i in range((rounds + 1) * len(sets)):  # one cold pass, then ``rounds`` warm ones
            filters, lang = sets[i % len(sets)]
            at.radio(key="lang").set_value(lang)
            at.run()
            for key, value in _widget_values(con, filters, lang).items():
                at.multiselect(key=key).set_value(value)
            start = time.perf_counter()
            at.run()
            elapsed = (time.perf_counter() - start) * 1000
            if at.exception:
                raise RuntimeError(f"{page} with {filters}: {at.exception[0].value}")
            (cold if i < len(sets) else warm).append(elapsed)
            if i < len(sets):
                shown.append(messages())
            charts = at.get("vega_lite_chart")
            sent = sum(len(c.proto.spec) + sum(len(d.data.data) for d in c.proto.datasets) for c in charts)
            chart_bytes = max(chart_bytes, sent)
    floors = [floor.measure(sent, rounds) for sent in shown]
    result = {"rerun_cold": summary(cold), "rerun_warm": summary(warm)}
    result["floor"] = {k: statistics.median(f[k] for f in floors) for k in ("median_ms", "p95_ms")}
    result["over_floor_warm_ms"] = result["rerun_warm"]["median_ms"] - result["floor"]["median_ms"]
    return {**result, "max_chart_bytes": chart_bytes}


@contextmanager
def _environment(db: Path):
    import os

    saved = os.environ.get("METRICS_DB")
    os.environ["METRICS_DB"] = str(db)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("METRICS_DB", None)
        else:
            os.environ["METRICS_DB"] = saved


def _synthesize(data_dir: Path, bodies: int) -> tuple[dict, list[bytes]]:
    """The synthetic folder and its held-out last round (run in a child process)."""
    from metrics import synth

    counts = synth.generate(data_dir, bodies, 52, 1)
    return counts, synth.hold_out_last_round(data_dir)


def prepare(figures: int | None, workdir: Path) -> tuple[Path, dict]:
    """The database to measure: the bundled data, or a synthetic folder of about ``figures``,
    built without its last round, which is then imported as one weekly batch."""
    info: dict = {}
    db = workdir / "bench.duckdb"
    data_dir, imports = paths.DATA_DIR, workdir / "imports"
    held_out: list[bytes] = []
    if figures:
        bodies = max(10, math.ceil(figures / (FIGURES_PER_BODY_WEEK * 52)))
        data_dir = workdir / "synth"
        start = time.perf_counter()
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as child:
            info["synth_counts"], held_out = child.submit(_synthesize, data_dir, bodies).result()
        info["synth_s"] = time.perf_counter() - start
    sources = data_dir if figures else None
    the_store = Store(db, data_dir, sources, imports)
    start = time.perf_counter()
    with _peak_rss(info, "build_peak_rss_mb"):
        the_store.build()
    info["build_s"] = time.perf_counter() - start
    info["imports"] = []
    with _peak_rss(info, "import_peak_rss_mb"):
        for i, data in enumerate(held_out, start=1):
            start = time.perf_counter()
            checked, stored = the_store.import_file(data, f"last-round-{i}.csv")
            if stored is None:
                problems = "; ".join(map(str, checked.problems[:3]))
                raise RuntimeError(f"the synthetic batch did not import: {problems}")
            seconds = time.perf_counter() - start
            info["imports"].append({"seconds": seconds, "rows": stored.rows, "bytes": len(data)})
    if held_out:  # undo the imports, newest first, and do them again: what a wrong file costs
        info["rollbacks"] = []
        with _peak_rss(info, "rollback_peak_rss_mb"):
            for batch in reversed(the_store.batches()[-len(held_out) :]):
                start = time.perf_counter()
                the_store.rollback(batch.batch_id)
                info["rollbacks"].append({"seconds": time.perf_counter() - start, "rows": batch.rows})
        info["rollback_s"] = max(r["seconds"] for r in info["rollbacks"])
        start = time.perf_counter()
        for i, data in enumerate(held_out, start=1):
            _, stored = the_store.import_file(data, f"last-round-{i}.csv")
            if stored is None:
                raise RuntimeError("the synthetic batch did not import again after its rollback")
        info["reimport_s"] = time.perf_counter() - start
    info["db_bytes"] = db.resolve().stat().st_size
    return db, info


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


@contextmanager
def _peak_rss(into: dict, key: str):
    """``into[key]``: the process's largest resident memory (MB) while the block runs."""
    peak, done = [_rss_mb()], threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            peak[0] = max(peak[0], _rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield
    finally:
        done.set()
        sampler.join()
        into[key] = max(peak[0], _rss_mb())


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


LOAD_KEYS = ("sessions", "errors", "p50_ms", "p95_ms", "reruns", "fragment_reruns", "processes")
LOAD_KEYS += ("rss_before_mb", "rss_peak_mb", "rss_after_mb", "rss_per_session_mb")


def run(
    rounds: int = 3,
    out: Path | None = None,
    figures: int | None = None,
    load_sessions: int = 10,
    load_seconds: float = 20,
) -> dict:
    """Measure every page; print a report and write it as JSON to ``out``. With
    ``load_sessions``, also ``load_sessions`` websocket readers against one real app process
    over the same build for ``load_seconds`` (``metrics.tools.wsload``): the report's ``load``."""
    with tempfile.TemporaryDirectory(prefix="metrics-bench-") as tmp:
        db, report = prepare(figures, Path(tmp))
        report["pages"] = {}
        with _environment(db), Store(db).connect() as con:
            sets = filter_sets(con)
            for page in PAGES:
                report["pages"][page] = {
                    **measure_queries(con, page, sets, rounds),
                    **measure_page(page, con, sets, rounds),
                }
        if load_sessions:
            from metrics.tools import wsload

            load = wsload.run(load_sessions, load_seconds, 1, db)
            report["load"] = {key: load[key] for key in LOAD_KEYS}
        report["write_path"] = writebench.measure(Path(tmp))
        report["peak_rss_mb"] = _peak_rss_mb()
    _print(report, rounds, len(sets))
    if out:
        out.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
        print(f"written to {out}")
    return report


def _print(report: dict, rounds: int, n_sets: int) -> None:
    counts = report.get("synth_counts", {})
    scale = f"{counts.get('figures', 'bundled')} figures"
    print(
        f"Benchmark: {scale}; full build {report['build_s']:.1f} s (peak memory "
        f"{report['build_peak_rss_mb']:.0f} MB); db {report['db_bytes'] / 2**20:.1f} MB; "
        f"peak memory {report['peak_rss_mb']:.0f} MB; {rounds} rounds x {n_sets} filter sets per page"
    )
    print(writebench.describe(report["write_path"]))
    for i, done in enumerate(report["imports"], start=1):
        print(
            f"import {i} (the last round, on top of the build): {done['rows']} figures, "
            f"{done['bytes'] / 2**20:.1f} MB in {done['seconds']:.1f} s"
        )
    for done in report.get("rollbacks", []):
        print(f"rollback (newest first): {done['rows']} figures in {done['seconds']:.1f} s")
    if "rollback_s" in report:
        print(
            f"rollback_s (the slowest) {report['rollback_s']:.1f} s; the same files imported again: "
            f"{report['reimport_s']:.1f} s (peak memory: during the imports "
            f"{report['import_peak_rss_mb']:.0f} MB, during the rollbacks {report['rollback_peak_rss_mb']:.0f} MB)"
        )
    print(
        f"{'page':<11}{'queries':>16}{'raw engine':>16}{'ratio':>7}{'rerun cold':>16}{'rerun warm':>16}"
        f"{'floor':>16}{'warm-floor':>11}{'chart KB':>10}"
    )
    print(
        f"{'':<11}{'median/p95 ms':>16}{'median/p95 ms':>16}{'':>7}"
        + f"{'median/p95 ms':>16}" * 3
        + f"{'ms':>11}"
    )
    for page, r in report["pages"].items():

        def pair(s):
            return f"{s['median_ms']:.1f}/{s['p95_ms']:.1f}"

        print(
            f"{page:<11}{pair(r['queries']):>16}{pair(r['raw_engine']):>16}{r['ratio']:>7.2f}"
            f"{pair(r['rerun_cold']):>16}{pair(r['rerun_warm']):>16}{pair(r['floor']):>16}"
            f"{r['over_floor_warm_ms']:>11.1f}{r['max_chart_bytes'] / 1024:>10.1f}"
        )
    if load := report.get("load"):
        print(
            f"load (websocket sessions, one process): {load['sessions']} sessions, {load['reruns']} reruns, "
            f"{load['errors']} errors, p50 {load['p50_ms'] or 0:.0f} ms, p95 {load['p95_ms'] or 0:.0f} ms; "
            f"server memory {load['rss_before_mb']:.0f} MB before, {load['rss_peak_mb']:.0f} peak, "
            f"{load['rss_after_mb']:.0f} after close"
        )
