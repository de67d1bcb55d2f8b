"""``python -m metrics``: build, check and export the curated figures.

Exit status: 0 on success, 1 on data errors (listed on stderr), 2 on wrong usage, an
unreadable file or a store that cannot be written.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, fields, replace
from datetime import date
from pathlib import Path

import pandas as pd

from metrics import batches, database, export, ingest, paths, queries, tablefile
from metrics.database import DataError
from metrics.progress import STALE_DAYS
from metrics.store import RollbackRefused, Store, StoreError

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
            "change_abs",
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
    importing = add(
        "import", "check a CSV/XLSX file of new figures and, if every row passes, add it as a batch"
    )
    importing.add_argument("file", type=Path, help="CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX file")
    importing.add_argument("--dry-run", action="store_true", help="only check; write nothing")
    importing.add_argument(
        "--text",
        type=Path,
        metavar="REPORT",
        help="the report the rows quote (UTF-8 or GBK/GB18030): kept with the batch as the new "
        "source's text, and every quote checked against it",
    )
    add("batches", "list imported batches (id, file name, sha256, time, rows) as CSV")
    rollback = add("rollback", "remove exactly one imported batch and rebuild")
    rollback.add_argument("batch", help="batch id (see the batches command)")
    template = sub.add_parser(
        "template",
        help="write an empty import file to fill in",
        description="write an empty import file to fill in",
    )
    template.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    template.add_argument("--out", type=Path, help="file to write (default: stdout)")
    what = "write a deterministic synthetic data folder (and import files) for national-scale tests"
    synth = sub.add_parser("synth", help=what, description=what)
    synth.add_argument("--bodies", type=int, default=3500, help="reporting bodies (default 3500)")
    synth.add_argument("--rounds", type=int, default=52, help="weekly reports per body (default 52)")
    synth.add_argument("--seed", type=int, default=1, help="random seed; same seed, same files (default 1)")
    synth.add_argument("--out", type=Path, required=True, help="folder to write (see metrics/synth.py)")
    bench = add("bench", "measure every dashboard page's rerun time (AppTest) and print a report")
    bench.add_argument(
        "--rounds", type=int, default=3, help="passes over the filter sets per page (default 3)"
    )
    bench.add_argument("--out", type=Path, default=Path("bench-report.json"), help="JSON report file")
    bench.add_argument(
        "--figures", type=int, help="measure a synthetic national-scale dataset of about N figures"
    )
    bench.add_argument(
        "--load-sessions",
        type=int,
        default=10,
        help="websocket sessions against one app process for the report's load section (default 10; 0: none)",
    )
    bench.add_argument("--load-seconds", type=float, default=20, help="how long the load runs (default 20)")
    load = add(
        "loadtest", "several headless-browser sessions change filters on one app; click-to-chart times"
    )
    load.add_argument("--sessions", type=int, default=10, help="browser pages at once (default 10)")
    load.add_argument("--seconds", type=float, default=60, help="how long (default 60)")
    ws = add(
        "wsload",
        "N sessions speak Streamlit's websocket protocol to one process or to nginx + N processes: "
        "reruns, errors, request-to-finished p50/p95, server memory",
    )
    ws.add_argument("--sessions", type=int, default=10, help="sessions at once (default 10)")
    ws.add_argument("--seconds", type=float, default=30, help="how long under load (default 30)")
    ws.add_argument(
        "--replicas", type=int, default=1, help="dashboard processes; 2+ behind nginx (default 1)"
    )
    ws.add_argument(
        "--think", type=float, default=2.0, help="mean seconds between a reader's actions (default 2)"
    )
    ws.add_argument("--out", type=Path, help="also write the report as JSON")
    serve = add("serve", "several dashboard processes behind nginx, until Ctrl-C (also make serve)")
    serve.add_argument("--replicas", type=int, default=2, help="dashboard processes (default 2)")
    serve.add_argument("--port", type=int, default=8501, help="nginx's port; processes on the next ones")
    serve.add_argument("--address", default="0.0.0.0", help="nginx's address (default 0.0.0.0)")
    serve.add_argument("--run-dir", type=Path, help="nginx.conf and logs (default data/.serve)")
    for name, (_, what, _) in EXPORTS.items():
        add(name, f"write {what} as CSV to stdout (builds the database first if missing)")
    _add_progress_command(add)
    _add_brief_command(add)
    _add_extract_commands(sub)
    return p


# --- a view printed (metrics.brief) ---

FILTER_OPTIONS = {"body": "bodies", "kind": "body_kinds", "theme": "themes", "indicator": "indicators"}


def _add_view_options(cmd, pages) -> None:
    cmd.add_argument("--page", choices=pages, default="overview", help="dashboard page (default overview)")
    for option in FILTER_OPTIONS:
        cmd.add_argument(
            f"--{option}",
            action="append",
            default=[],
            metavar="NAME",
            help=f"{option} id or name; repeat for more",
        )
    cmd.add_argument("--lang", choices=["zh", "en"], default="zh", help="language (default zh)")
    cmd.add_argument(
        "--as-of", type=_iso_date, help="show the data as it stood at this date YYYY-MM-DD (default: today)"
    )


def _add_brief_command(add) -> None:
    from metrics.view import PAGES

    cmd = add("brief", "write the A4 PDF briefing of a dashboard view (filters by id or name)")
    _add_view_options(cmd, PAGES)
    cmd.add_argument("--out", type=Path, required=True, help="PDF file to write")
    cmd = add(
        "pack",
        "write the evidence pack of a dashboard view: a zip of CSV, XLSX, chart PNG/SVG, quotes and README",
    )
    _add_view_options(cmd, PAGES)
    cmd.add_argument("--out", type=Path, required=True, help="zip file to write")


def _view(args, con):
    """The view the options name, or None (the unknown name is said on stderr)."""
    from metrics import view

    wanted = {what: getattr(args, option) for option, what in FILTER_OPTIONS.items()}
    try:
        filters = replace(view.resolve(con, wanted), as_of=args.as_of)
    except view.UnknownName as error:
        print(error, file=sys.stderr)
        return None
    return view.build(con, args.page, filters, args.lang)


def _write(out: Path, make) -> int:
    """Write ``make()`` to ``out``; a folder that cannot hold it is said before the work."""
    if not out.parent.is_dir():
        print(f"{out}: cannot write: {out.parent} is not a folder", file=sys.stderr)
        return 2
    try:
        data = make()
        out.write_bytes(data)
    except OSError as error:
        print(f"{out}: cannot write: {error.strerror or error}", file=sys.stderr)
        return 2
    print(f"wrote {out} ({len(data)} bytes)", file=sys.stderr)
    return 0


def _view_file(args, the_store: Store, render) -> int:
    """``brief`` and ``pack``: the view the options choose, rendered to ``--out``."""
    from metrics import brief

    with the_store.connect() as con:
        shown = _view(args, con)
    if shown is None:
        return 2
    try:
        return _write(args.out, lambda: render(shown))
    except brief.BriefError as error:
        print(error, file=sys.stderr)
        return 2


def _brief(args, the_store: Store) -> int:
    from metrics import brief

    return _view_file(args, the_store, lambda shown: brief.pdf(brief.html(shown)))


def _pack(args, the_store: Store) -> int:
    from metrics import pack

    return _view_file(args, the_store, pack.pack_zip)


# --- figure proposals from a text (metrics.extract; --format import reads the store) ---


def _add_extract_commands(sub) -> None:
    text_help = "UTF-8 or GBK/GB18030 text file"
    cmd = sub.add_parser(
        "extract",
        help="propose figures from a report text (one row per proposal)",
        description="propose figures from a report text (one row per proposal)",
    )
    cmd.add_argument("file", type=Path, metavar="FILE", help=text_help)
    cmd.add_argument(
        "--format",
        choices=["csv", "json", "import"],
        default="csv",
        help="csv or json: every proposal; import: a file `metrics import` accepts as it is (rows it "
        "would refuse are left out and listed on stderr with the reason). Default csv",
    )
    cmd.add_argument("--as-of", default="", help="as-of date of the figures (default: from the text)")
    cmd.add_argument(
        "--body", default="", help="the body of a report without section headings (default: from its title)"
    )
    defaults = {
        "title": "the text's first line if it is a heading, else the file name",
        "publisher": "（原文未注明）, not stated",
        "reference": "the file name",
    }
    for field, default in defaults.items():
        cmd.add_argument(
            f"--source-{field}",
            default="",
            help=f"the source's {field} (--format import; default: {default})",
        )
    what = "compare the proposals for the first source with its curated figures"
    cmd = sub.add_parser("evaluate-extract", help=what, description=what)
    cmd.add_argument("--text", type=Path, help=f"{text_help} (default: the first source)")
    what = "measure the throughput of extract in MB/s on the first source repeated"
    cmd = sub.add_parser("extract-bench", help=what, description=what)
    cmd.add_argument("--text", type=Path, help=f"{text_help} (default: the first source)")
    cmd.add_argument("--bytes", type=int, default=2_000_000, help="bytes of repeated text (default 2000000)")
    cmd.add_argument("--runs", type=int, default=5, help="runs; the median is reported (default 5)")


def _report_text(args) -> str | None:
    """The text the extract commands read (FILE, --text or the first source); None after saying
    why it cannot be read."""
    from metrics import evaluate_extract, extract

    try:
        path = getattr(args, "file", None) or args.text or evaluate_extract.first_source_path()
        return extract.read_text(path)
    except (OSError, ValueError) as error:
        print(f"cannot read the text: {error}", file=sys.stderr)
        return None


def _extract(args) -> int:
    import json

    from metrics import extract

    text = _report_text(args)
    if text is None:
        return 2
    if args.format == "import":
        return _extract_import_rows(args, text)
    proposals = extract.extract(text)
    if args.format == "json":
        out = json.dumps(extract.to_records(proposals), ensure_ascii=False, indent=1) + "\n"
        sys.stdout.buffer.write(out.encode("utf-8"))
    else:
        sys.stdout.buffer.write(export.csv_bytes(extract.to_frame(proposals), bom=False))
    return 0


def _extract_bench(args) -> int:
    from metrics import evaluate_extract

    text = _report_text(args)
    if text is None:
        return 2
    result = evaluate_extract.bench(args.bytes, text=text, runs=args.runs)
    print(
        f"{result['mb_per_s']:.2f} MB/s ({result['bytes'] / 1e6:.2f} MB, "
        f"median of {result['runs']} runs, {result['proposals']} proposals)"
    )
    return 0


def _evaluate_extract(args) -> int:
    from metrics import evaluate_extract

    text = _report_text(args)
    if text is None:
        return 2
    result = evaluate_extract.evaluate(text, evaluate_extract.gold_figures())
    print(
        f"precision {result['precision']:.3f}  recall {result['recall']:.3f}  F1 {result['f1']:.3f}  "
        f"({result['matched']} matched of {result['gold']} curated, {result['proposed']} proposed)"
    )
    print(f"misses ({len(result['misses'])}):")
    for g in result["misses"]:
        print(f"  {g['body_zh'] or '-'}  {g['as_written']}  {g['value']}  at {g['start']}")
    print(f"false positives ({len(result['false_positives'])}):")
    for p in result["false_positives"]:
        print(f"  {p['body_zh'] or '-'}  {p['as_written']}  {p['value']}  at {p['start']}  {p['evidence']}")
    return 0


# --- progress between reports (metrics.progress) ---

PROGRESS_COLUMNS = {
    "group_key": "group",
    "comparable_group_zh": "group_zh",
    "body_zh": "body_zh",
    "measure_id": "measure_id",
    "measure_zh": "measure_zh",
    "value": "value",
    "counter": "counter",
    "as_of": "as_of",
    "previous": "previous",
    "previous_as_of": "previous_as_of",
    "change": "change",
    "change_unit": "change_unit",
    "rank": "rank",
    "group_size": "group_size",
    "rank_change": "rank_change",
    "comparison": "target_comparison",
    "target": "target",
    "deadline": "deadline",
    "days_since": "days_since",
    "light": "light",
}


def _add_progress_command(add) -> None:
    what = (
        "write every measure's standing at a date as CSV: latest and previous report, change, "
        "rank and rank change in its comparable group, light (see metrics/progress.py)"
    )
    cmd = add("progress", what)
    cmd.add_argument("--as-of", type=_iso_date, help="date YYYY-MM-DD (default: today)")
    for name, noun in (("kind", "kind of body"), ("body", "body"), ("indicator", "indicator")):
        cmd.add_argument(
            f"--{name}",
            action="append",
            default=[],
            metavar=name.upper()[0],
            help=f"{noun}: id or name (repeatable)",
        )
    cmd.add_argument(
        "--stale-days",
        type=int,
        default=STALE_DAYS,
        help=f"a report this many days older than its group's newest is stale (default {STALE_DAYS})",
    )


def _iso_date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _progress(args, the_store: Store) -> int:
    with the_store.connect() as con:
        return _progress_csv(con, args)


def _progress_csv(con, args) -> int:
    chosen = {}
    for what in ("kind", "body", "indicator"):
        found = queries.ids_named(con, what, getattr(args, what))
        unknown = [name for name, id_ in found.items() if id_ is None]
        if unknown:
            print(f"unknown {what}: {', '.join(unknown)}", file=sys.stderr)
            return 2
        chosen[what] = tuple(found.values())
    filters = queries.Filters(
        body_kinds=chosen["kind"], bodies=chosen["body"], indicators=chosen["indicator"], as_of=args.as_of
    )
    frame = queries.progress(con, filters, args.stale_days)[list(PROGRESS_COLUMNS)]
    sys.stdout.buffer.write(export.csv_bytes(frame.rename(columns=PROGRESS_COLUMNS), bom=False))
    return 0


def _extract_import_rows(args, text: str) -> int:
    """``extract --format import``: the proposals as an import file that passes the checks."""
    from metrics import proposals

    as_of = args.as_of or proposals.as_of_of(text)
    if not as_of:
        print(f"{args.file}: the text states no date: give --as-of YYYY-MM-DD", file=sys.stderr)
        return 2
    the_store = Store()
    if the_store.published() is None:
        the_store.build(on_wait=_waiting)
    source = {
        "source_title": args.source_title or proposals.title_of(text) or args.file.stem,
        "source_publisher": args.source_publisher,
        "source_reference": args.source_reference or args.file.name,
    }
    found = proposals.propose(text, the_store, as_of, source, args.body)
    for line in found.lines():
        print(f"left out: {line}", file=sys.stderr)
    sys.stdout.buffer.write(proposals.csv_bytes(found.rows))
    print(
        f"{len(found.rows)} rows, {len(found.left)} proposals left out. "
        f"Import with: python -m metrics import FILE.csv --text {args.file}",
        file=sys.stderr,
    )
    return 0


MAX_MESSAGES = 200  # problems printed at most; then one line says how many more


def _problems(problems: list) -> int:
    """Print the problems (at most MAX_MESSAGES) and the closing line; exit status 1."""
    for problem in problems[:MAX_MESSAGES]:
        print(problem, file=sys.stderr)
    if len(problems) > MAX_MESSAGES:
        print(f"… and {len(problems) - MAX_MESSAGES} more", file=sys.stderr)
    print(f"{len(problems)} problem(s); nothing was written.", file=sys.stderr)
    return 1


def _waiting(message: str) -> None:
    print(message, file=sys.stderr)


def _import(file: Path, the_store: Store, dry_run: bool, text: Path | None = None) -> int:
    from metrics.extract import read_text

    try:
        report = None if text is None else read_text(text)
    except (OSError, ValueError) as error:
        print(f"cannot read the report text: {error}", file=sys.stderr)
        return 2
    try:
        data = tablefile.read_file(file)
        if dry_run:
            checked, batch = the_store.check(data, file.name, report), None
        else:
            checked, batch = the_store.import_file(data, file.name, on_wait=_waiting, report=report)
    except tablefile.UnreadableFile as error:
        print(f"{file}: cannot read: {error}", file=sys.stderr)
        return 2
    except StoreError as error:
        print(f"{file}: {error}", file=sys.stderr)
        return 2
    if checked.duplicate_of:
        print(f"{file}: already imported as batch {checked.duplicate_of}; nothing added", file=sys.stderr)
        return 0
    if checked.problems:
        return _problems(checked.problems)
    rows = f"{len(checked.added_rows)} {checked.kind}"  # figures, or a side file's targets or events
    if batch is None:
        print(f"{file}: {rows} OK (dry run; nothing written)", file=sys.stderr)
    else:
        print(f"imported {rows} from {file} as batch {batch.batch_id}", file=sys.stderr)
    adds = "would add" if batch is None else "added"
    for new in checked.added().itertuples():
        detail = f", {new.detail}" if new.detail else ""
        named = f" ({new.name_en})" if new.name_en else ""
        print(f"{adds} {new.what} {new.name_zh}{named} as {new.id}{detail} (row {new.row})", file=sys.stderr)
    return 0


def _rollback(the_store: Store, batch_id: str) -> int:
    try:
        batch = the_store.rollback(batch_id, on_wait=_waiting)
    except KeyError as error:
        print(error.args[0], file=sys.stderr)
        return 2
    except RollbackRefused as error:
        print(error, file=sys.stderr)
        return _problems(error.problems)
    print(f"rolled back {batch.batch_id} ({batch.rows} {batch.kind} from {batch.file_name})", file=sys.stderr)
    return 0


def _template(fmt: str, out: Path | None) -> int:
    data = ingest.template(fmt)
    if out is None:
        sys.stdout.buffer.write(data)
        return 0
    try:
        out.write_bytes(data)
    except OSError as error:
        print(f"{out}: cannot write: {error.strerror or error}", file=sys.stderr)
        return 2
    return 0


def _synth(out: Path, bodies: int, rounds: int, seed: int) -> int:
    from metrics import synth

    try:
        counts = synth.generate(out, bodies, rounds, seed)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    except OSError as error:
        print(f"{out}: cannot write: {error.strerror or error}", file=sys.stderr)
        return 2
    print(f"wrote {out}: " + ", ".join(f"{n} {t}" for t, n in counts.items()), file=sys.stderr)
    return 0


def _store(args) -> Store:
    return Store(args.db, getattr(args, "data", None))


def _built(args) -> Store:
    """The store, built first when nothing is published yet (the exports, progress, views)."""
    the_store = _store(args)
    if the_store.published() is None:
        the_store.build(on_wait=_waiting)
    return the_store


def _check(args) -> int:
    with database.checked(
        args.data, paths.sources_dir(), database.require_source_texts(), paths.imports_dir(args.data)
    ):
        print("data OK", file=sys.stderr)
    return 0


def _batches(args) -> int:
    columns = [f.name for f in fields(batches.Batch)]
    listing = pd.DataFrame([asdict(b) for b in _store(args).batches()], columns=columns)
    sys.stdout.buffer.write(export.csv_bytes(listing, bom=False))
    return 0


def _build(args) -> int:
    the_store = _store(args)
    counts = the_store.build(on_wait=_waiting)
    print(f"built {the_store.db}: " + ", ".join(f"{n} {t}" for t, n in counts.items()), file=sys.stderr)
    return 0


def _bench(args) -> int:
    from metrics.tools import bench

    bench.run(args.rounds, args.out, args.figures, args.load_sessions, args.load_seconds)
    return 0


def _loadtest(args) -> int:
    from metrics.tools import loadtest

    report = loadtest.run(args.sessions, args.seconds, _built(args).db)
    return 0 if report["clicks_served"] and not report["errors"] else 1


def _wsload(args) -> int:
    from metrics.tools import wsload

    report = wsload.run(args.sessions, args.seconds, args.replicas, _built(args).db, args.think, out=args.out)
    return 0 if report["reruns"] and not report["errors"] else 1


def _serve(args) -> int:
    from metrics.ui import serve

    return serve.main(_built(args).db, args.replicas, args.port, args.address, args.run_dir)


def _export(args) -> int:
    query, _, columns = EXPORTS[args.command]
    with _built(args).connect() as con:
        frame = query(con)[columns]
    sys.stdout.buffer.write(export.csv_bytes(frame, bom=False))
    return 0


#: One function per command; each takes the parsed arguments and returns the exit status.
COMMANDS = {
    "check": _check,
    "template": lambda args: _template(args.format, args.out),
    "synth": lambda args: _synth(args.out, args.bodies, args.rounds, args.seed),
    "import": lambda args: _import(args.file, _store(args), args.dry_run, args.text),
    "batches": _batches,
    "rollback": lambda args: _rollback(_store(args), args.batch),
    "build": _build,
    "bench": _bench,
    "loadtest": _loadtest,
    "wsload": _wsload,
    "serve": _serve,
    "progress": lambda args: _progress(args, _built(args)),
    "brief": lambda args: _brief(args, _built(args)),
    "pack": lambda args: _pack(args, _built(args)),
    "extract": _extract,
    "evaluate-extract": _evaluate_extract,
    "extract-bench": _extract_bench,
    **dict.fromkeys(EXPORTS, _export),
}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "data", None) and not (args.data / "dictionary.csv").is_file():
        print(f"{args.data}: cannot read: not a data folder (no dictionary.csv)", file=sys.stderr)
        return 2
    try:
        return COMMANDS[args.command](args)
    except DataError as error:
        return _problems(error.problems)
    except StoreError as error:
        print(error, file=sys.stderr)
        return 2
