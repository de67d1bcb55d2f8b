"""``python -m metrics``: build, check and export the curated figures.

Exit status: 0 on success, 1 on data errors (listed on stderr), 2 on wrong usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from metrics import export, paths, queries, store

EXPORTS = {
    "figures": (
        queries.figures,
        "every figure with its quote",
        [
            "figure_id",
            "body_zh",
            "body_kind",
            "theme_zh",
            "indicator_zh",
            "measure_zh",
            "role",
            "value",
            "counter",
            "qualifier",
            "as_written",
            "as_of",
            "period",
            "source_id",
            "evidence",
        ],
    ),
    "closures": (
        queries.closures,
        "closure rates with every graded part",
        [
            "body_zh",
            "measure_zh",
            "indicator_zh",
            "total",
            "closed",
            "closure_rate",
            "partly_closed",
            "in_progress",
            "status_not_reported",
            "total_derived",
            "counter",
            "as_of",
            "evidence",
        ],
    ),
    "reductions": (
        queries.changes,
        "before/after and percent changes",
        [
            "body_zh",
            "measure_zh",
            "before",
            "after",
            "change_pct",
            "change_pct_derived",
            "change_pp",
            "counter",
            "direction",
            "is_good",
            "as_of",
            "evidence",
        ],
    ),
    "cases": (
        queries.cases,
        "case, people and clue counts",
        [
            "body_zh",
            "theme_zh",
            "indicator_zh",
            "measure_zh",
            "value",
            "counter",
            "qualifier",
            "as_of",
            "evidence",
        ],
    ),
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m metrics", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.add_argument("--db", type=Path, help="DuckDB file (default: $METRICS_DB or data/metrics.duckdb)")
        return cmd

    build = add("build", "validate data/ and build the DuckDB file atomically")
    build.add_argument("--data", type=Path, default=paths.DATA_DIR, help="folder of curated CSVs")
    check = sub.add_parser(
        "check",
        help="validate data/ and report every problem as file:row:column: reason",
        description="validate data/ and report every problem as file:row:column: reason",
    )
    check.add_argument("--data", type=Path, default=paths.DATA_DIR, help="folder of curated CSVs")
    bench = add("bench", "measure every dashboard page's rerun time (AppTest) and print a report")
    bench.add_argument(
        "--rounds", type=int, default=3, help="passes over the filter sets per page (default 3)"
    )
    bench.add_argument("--out", type=Path, default=Path("bench-report.json"), help="JSON report file")
    for name, (_, what, _) in EXPORTS.items():
        add(name, f"write {what} as CSV to stdout (builds the database first if missing)")
    return p


def _report(error: store.DataError) -> int:
    for problem in error.problems:
        print(problem, file=sys.stderr)
    print(f"{len(error.problems)} problem(s); nothing was written.", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "check":
            store.load_checked(args.data, paths.sources_dir(), store.require_source_texts())
            print("data OK", file=sys.stderr)
            return 0
        db = args.db or paths.default_db()
        if args.command == "build":
            counts = store.build(db, data_dir=args.data)
            print(f"built {db}: " + ", ".join(f"{n} {t}" for t, n in counts.items()), file=sys.stderr)
            return 0
        if not Path(db).is_file():
            store.build(db)
        if args.command == "bench":
            from metrics.ui import bench

            os.environ["METRICS_DB"] = str(db)
            bench.run(args.rounds, args.out)
            return 0
        query, _, columns = EXPORTS[args.command]
        with store.connect(db) as con:
            frame = query(con)[columns]
        sys.stdout.buffer.write(export.csv_bytes(frame, bom=False))
        return 0
    except store.DataError as error:
        return _report(error)
