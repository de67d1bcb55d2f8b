"""``python -m metrics`` as a user runs it: a subprocess with METRICS_DB pointing to a temp file."""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from metrics import cli, paths
from metrics.cli import EXPORTS
from metrics.store import Store

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ["build", "check", "figures", "closures", "reductions", "cases"]


def parser_commands() -> list[str]:
    """Commands the parser knows (so help is also tested for commands added later)."""
    (sub,) = [a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return list(sub.choices)


ALL_COMMANDS = sorted(set(COMMANDS) | set(parser_commands()))


def run(*args: str, db: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("METRICS_DB", None)
    if db is not None:
        env["METRICS_DB"] = str(db)
    return subprocess.run(
        [sys.executable, "-m", "metrics", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def read_figures_csv() -> dict[str, dict[str, str]]:
    with (ROOT / "data" / "figures.csv").open(encoding="utf-8-sig", newline="") as f:
        return {r["figure_id"]: r for r in csv.DictReader(f)}


def parse(stdout: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(stdout))
    return list(reader.fieldnames or []), list(reader)


USAGES = {
    "help": ["--help"],
    **{f"{command} --help": [command, "--help"] for command in ALL_COMMANDS},
    "unknown": ["frobnicate"],
    "none": [],
}


@pytest.fixture(scope="module")
def usage() -> dict[str, subprocess.CompletedProcess]:
    """Every help and wrong-usage invocation, run side by side to keep the suite fast."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = pool.map(lambda args: run(*args), USAGES.values())
        return dict(zip(USAGES, results))


@pytest.fixture(scope="module")
def cli_build(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    db = tmp_path_factory.mktemp("cli") / "sub" / "metrics.duckdb"
    return db, run("build", db=db)


@pytest.fixture(scope="module")
def export(cli_build):
    db, build = cli_build
    assert build.returncode == 0, build.stderr
    outputs = {}

    def export_(command: str) -> tuple[list[str], list[dict[str, str]]]:
        if command not in outputs:
            outputs[command] = run(command, db=db)
        result = outputs[command]
        assert result.returncode == 0, result.stderr
        return parse(result.stdout)

    return export_


def test_help(usage):
    result = usage["help"]
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m metrics")
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("command", ALL_COMMANDS)
def test_command_help(usage, command):
    result = usage[f"{command} --help"]
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: python -m metrics {command}")


@pytest.mark.parametrize("name", ["unknown", "none"])
def test_wrong_usage_exits_2(usage, name):
    result = usage[name]
    assert result.returncode == 2
    assert "usage:" in result.stderr
    assert result.stdout == ""


def test_build_creates_the_database(cli_build):
    db, result = cli_build
    assert result.returncode == 0, result.stderr
    assert db.is_file()
    assert f"{len(read_figures_csv())} figures" in result.stderr


def test_export_builds_a_missing_database_first(tmp_path):
    db = tmp_path / "lazy.duckdb"
    result = run("cases", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert db.is_file()
    assert parse(result.stdout)[1]


def test_figures_export(export):
    columns, rows = export("figures")
    wanted = [
        "figure_id",
        "body_zh",
        "body_kind",
        "theme_zh",
        "role",
        "value",
        "counter",
        "qualifier",
        "as_of",
        "source_id",
        "evidence",
    ]
    assert set(wanted) <= set(columns)
    curated = read_figures_csv()
    assert sorted(r["figure_id"] for r in rows) == sorted(curated)
    for row in rows:
        original = curated[row["figure_id"]]
        assert row["evidence"] == original["evidence"]
        assert Decimal(row["value"]) == Decimal(original["value"])
        assert (row["role"], row["counter"], row["qualifier"]) == (
            original["role"],
            original["counter"],
            original["qualifier"],
        )


def test_closures_export(export):
    columns, rows = export("closures")
    assert {
        "body_zh",
        "measure_zh",
        "total",
        "closed",
        "closure_rate",
        "partly_closed",
        "in_progress",
    } <= set(columns)
    (tianjin,) = [r for r in rows if r["body_zh"] == "天津市委"]
    assert (Decimal(tianjin["total"]), Decimal(tianjin["closed"])) == (870, 621)
    assert f"{float(tianjin['closure_rate']):.1%}" == "71.4%"
    mca = next(r for r in rows if r["body_zh"] == "民政部党组")
    assert [Decimal(mca[c]) for c in ("total", "closed", "partly_closed", "in_progress")] == [79, 14, 26, 39]


def test_reductions_export(export):
    columns, rows = export("reductions")
    assert {"body_zh", "measure_zh", "before", "after", "change_pct"} <= set(columns)
    (shanghai,) = [r for r in rows if r["body_zh"] == "上海市委"]
    assert (Decimal(shanghai["before"]), Decimal(shanghai["after"])) == (277, 76)
    assert round(float(shanghai["change_pct"]), 1) == -72.6
    tianjin = sorted(float(r["change_pct"]) for r in rows if r["body_zh"] == "天津市委")
    assert tianjin == [-77.6, -31.8]


def test_cases_export(export):
    _, rows = export("cases")
    tianjin = {Decimal(r["value"]) for r in rows if r["body_zh"] == "天津市委"}
    assert {166, 216, 91, 108, 80, 101, 120} <= tianjin


def test_check_passes_on_the_real_data(data_copy):
    result = run("check", "--data", str(data_copy))
    assert result.returncode == 0, result.stderr


def test_check_reports_broken_data_with_locations(csv_edit, data_copy):
    value_line = csv_edit.set_cell("figures", "f003", "value", "abc")
    body_line = csv_edit.set_cell("measures", "tianjin_inaction_cases", "body_id", "tianjn")
    result = run("check", "--data", str(data_copy))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert f"figures.csv:{value_line}:value: not a number: 'abc'" in lines
    assert any(
        line.startswith(f"measures.csv:{body_line}:body_id: unknown body_id 'tianjn'") for line in lines
    )
    located = [line for line in lines if re.match(r"^[a-z_]+\.csv:\d+:[a-z_]*: ", line)]
    assert len(located) == len(lines) - 1  # plus the closing count line
    assert lines[-1].startswith(f"{len(located)} problem(s)")


def test_build_with_broken_data_exits_1_and_keeps_the_previous_database(tmp_path, data_copy, csv_edit):
    db = tmp_path / "kept.duckdb"
    assert run("build", db=db).returncode == 0
    before = db.read_bytes()
    csv_edit.set_cell("figures", "f003", "value", "abc")
    result = run("build", "--data", str(data_copy), db=db)
    assert result.returncode == 1
    assert "figures.csv:" in result.stderr and ":value: not a number" in result.stderr
    assert db.read_bytes() == before


# --- every command: success, wrong usage, data errors, unreadable files, unwritable stores ---------
#
# README, "Command line": exit status 0 on success, 1 on data errors (listed on stderr as
# file:row:column: reason), 2 on wrong usage, an unreadable file or a store that cannot be written.
# CASES run as subprocesses (side by side), each in a folder of its own with its own store
# (METRICS_DB / METRICS_IMPORTS_DIR); wrong usage (argparse only) runs in this process.

LOCATED = re.compile(r"^\S+:\d+:[^:\s]*: \S")  # file:row:column: reason
# minutes of work, or serving until stopped: only --help and wrong usage are run here
# (tests/test_serve.py runs `serve` and wsload's sessions against real processes)
HELP_ONLY = {"bench", "loadtest", "wsload", "serve"}
TIANJIN = {
    "body": "天津",
    "measure_id": "tianjin_public_requests_closure",
    "role": "total",
    "value": "870",
    "counter": "件",
    "as_written": "870件",
    "as_of": "2019-10",
    "evidence": "群众反映的870件具体问题，已办结780件",
    "source_title": "天津市委主题教育办工作通报（第12期）",
    "source_publisher": "天津市委主题教育办",
    "source_published": "2019-10",
    "source_reference": "津教办通报〔2019〕12号",
}
TIANJIN_CLOSED = {**TIANJIN, "role": "closed", "value": "780", "as_written": "780件"}
REPORT = "天津市委：群众反映的870件具体问题，已办结780件。\n"
# Runs ``python -m metrics`` with an address-space limit (first argument), for files that never end.
LIMITED = (
    "import resource, runpy, sys; limit = int(sys.argv.pop(1)); "
    "resource.setrlimit(resource.RLIMIT_AS, (limit, limit)); "
    "runpy.run_module('metrics', run_name='__main__', alter_sys=True)"
)
HANGS = "reads the path with Path.read_bytes: a FIFO blocks in open(), /dev/zero is read without end"


def import_csv(*rows: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(TIANJIN), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


@dataclass(frozen=True)
class Case:
    """``python -m metrics COMMAND ARGS`` and what the README promises for it.

    ``args`` may name files prepared in the case's folder: {good} and {bad} (import files),
    {text} (a report), {fifo}, {folder}, {missing}, {regular} (a regular file, so
    {regular}/x cannot be created), {out} (not there yet), {broken_data} (data/ with a
    non-numeric value), {batch_a} and {batch_b} (the batches of the "two batches" store)."""

    command: str
    kind: str
    args: tuple[str, ...]
    code: int
    store: str = "empty"  # empty (nothing built) | built | two batches (B relies on A) | blocked
    stdout: str | None = None  # regex searched in stdout (error cases: stdout must be empty)
    stderr: str | None = None  # regex searched in stderr
    located: bool = False  # stderr: file:row:column: reason lines, then "… nothing was written."
    unchanged: bool = False  # the store's database and visible files are the same afterwards
    batches_after: int | None = None
    timeout: float = 60
    memory: int | None = None  # address-space limit of the process, in bytes
    needs_source: bool = False  # needs the source text (skipped without it, as in conftest)
    discrepancy: str | None = None  # the README is not met yet: a strict xfail with this reason

    @property
    def id(self) -> str:
        return f"{self.command} | {self.kind}"


CANNOT_WRITE = r"cannot write the store"
CASES = [
    # build
    Case("build", "success", (), 0, stderr=r"^built .*: .*\b98 figures\b"),
    Case("build", "data error", ("--data", "{broken_data}"), 1, "built", located=True, unchanged=True),
    Case("build", "unreadable data folder", ("--data", "{missing}"), 2, "built", unchanged=True),
    Case("build", "store cannot be written", (), 2, "blocked", stderr=CANNOT_WRITE),
    # check
    Case("check", "success", (), 0, stdout="^$", stderr="data OK"),
    Case("check", "data error", ("--data", "{broken_data}"), 1, located=True),
    Case(
        "check",
        "unreadable data folder",
        ("--data", "{missing}"),
        2,
    ),
    # import
    Case("import", "success", ("{good}",), 0, "built", stderr=r"imported 2 figures", batches_after=1),
    Case(
        "import",
        "success (report kept)",
        ("{good}", "--text", "{text}"),
        0,
        "built",
        stderr=r"imported 2 figures",
        batches_after=1,
    ),
    Case(
        "import",
        "report text missing",
        ("{good}", "--text", "{missing}"),
        2,
        "built",
        stderr="cannot read the report text",
        unchanged=True,
        batches_after=0,
    ),
    Case(
        "import", "success (dry run)", ("{good}", "--dry-run"), 0, "built", stderr="dry run", unchanged=True
    ),
    Case("import", "data error", ("{bad}",), 1, "built", located=True, unchanged=True),
    Case("import", "data error (dry run)", ("{bad}", "--dry-run"), 1, "built", located=True, unchanged=True),
    Case(
        "import", "unreadable: missing file", ("{missing}",), 2, "built", stderr="cannot read", unchanged=True
    ),
    Case("import", "unreadable: a folder", ("{folder}",), 2, "built", stderr="folder", unchanged=True),
    Case(
        "import",
        "unreadable: /dev/zero",
        ("/dev/zero",),
        2,
        "built",
        stderr="character device",
        unchanged=True,
        timeout=20,
        memory=3 << 30,
    ),
    Case("import", "unreadable: a FIFO", ("{fifo}",), 2, "built", stderr="FIFO", unchanged=True, timeout=20),
    Case("import", "store cannot be written", ("{good}",), 2, "blocked", stderr=CANNOT_WRITE),
    # batches
    Case(
        "batches",
        "success",
        (),
        0,
        "two batches",
        stdout=r"^batch_id,file_name,sha256,imported_at,rows,kind\n.*,a\.csv,.*,figures\n.*,b\.csv,.*,figures\n$",
    ),
    # rollback
    Case("rollback", "success", ("{batch_b}",), 0, "two batches", stderr="rolled back", batches_after=1),
    Case("rollback", "unknown batch", ("b9999_nope",), 2, "built", stderr="no batch", unchanged=True),
    Case(
        "rollback",
        "refused: a later batch relies on it",
        ("{batch_a}",),
        1,
        "two batches",
        stderr=r"later data relies on it.*\n^imports/b\S+/figures\.csv:\d+:source_id: .*\n^1 problem\(s\); nothing was written",
        unchanged=True,
        batches_after=2,
    ),
    Case("rollback", "store cannot be written", ("b9999_nope",), 2, "blocked", stderr=CANNOT_WRITE),
    # template
    Case("template", "success", (), 0, stdout="^\ufeffbody,measure_id,"),
    Case("template", "success (xlsx file)", ("--format", "xlsx", "--out", "{out}"), 0, stdout="^$"),
    Case(
        "template",
        "output cannot be written",
        ("--out", "{regular}/template.csv"),
        2,
    ),
    # synth
    Case("synth", "success", ("--bodies", "3", "--rounds", "2", "--out", "{out}"), 0, stderr="^wrote "),
    Case("synth", "wrong value", ("--bodies", "0", "--out", "{out}"), 2, stderr="at least 1"),
    Case("synth", "output cannot be written", ("--out", "{regular}/synth"), 2, stderr="cannot write"),
    # exports (each builds a missing database first)
    *(
        case
        for command in EXPORTS
        for case in (
            Case(command, "success", (), 0, "built", stdout=rf"^{EXPORTS[command][2][0]},"),
            Case(command, "store cannot be written", (), 2, "blocked", stderr=CANNOT_WRITE),
        )
    ),
    # progress (builds a missing database first, like the exports)
    Case("progress", "success", ("--as-of", "2020-01-01"), 0, "built", stdout=r"^group,group_zh,body_zh,"),
    Case(
        "progress", "success (filtered by name)", ("--body", "天津"), 0, "built", stdout=r"\n[^\n]*天津市委"
    ),
    Case("progress", "unknown body", ("--body", "天津市"), 2, "built", stderr="unknown body: 天津市"),
    Case("progress", "wrong date", ("--as-of", "2020-13-01"), 2, stderr="not a date"),
    Case("progress", "store cannot be written", (), 2, "blocked", stderr=CANNOT_WRITE),
    # brief (builds a missing database first): the PDF of a view
    Case(
        "brief", "success", ("--body", "天津", "--out", "{out}"), 0, "built", stderr=r"^wrote .*\(\d+ bytes\)"
    ),
    Case("brief", "unknown body", ("--body", "天津市", "--out", "{out}"), 2, "built", stderr="天津市"),
    Case(
        "brief", "output cannot be written", ("--out", "{regular}/x.pdf"), 2, "built", stderr="cannot write"
    ),
    Case(
        "brief",
        "success (progress as of a date)",
        ("--page", "progress", "--as-of", "2020-06-01", "--out", "{out}"),
        0,
        "built",
        stderr=r"^wrote .*\(\d+ bytes\)",
    ),
    Case("brief", "wrong date", ("--as-of", "2020-13-01", "--out", "{out}"), 2, stderr="not a date"),
    # pack (builds a missing database first): the evidence pack of a view
    Case(
        "pack",
        "success",
        ("--page", "progress", "--as-of", "2020-06-01", "--out", "{out}"),
        0,
        "built",
        stderr=r"^wrote .*\(\d+ bytes\)",
    ),
    Case("pack", "unknown body", ("--body", "天津市", "--out", "{out}"), 2, "built", stderr="天津市"),
    Case(
        "pack",
        "success (a body)",
        ("--body", "天津", "--out", "{out}"),
        0,
        "built",
        stderr=r"^wrote .*\(\d+ bytes\)",
    ),
    Case("pack", "output cannot be written", ("--out", "{regular}/x.zip"), 2, "built", stderr="cannot write"),
    # extract, evaluate-extract, extract-bench: a text file
    Case("extract", "success", ("{text}",), 0, stdout=r"^id,body_zh,as_written,.*\n.*870件"),
    Case(
        "extract",
        "success (import rows)",
        ("{text}", "--format", "import", "--as-of", "2019-10"),
        0,
        stdout=r"^body,measure_id,.*\n天津,.*870件",
        stderr=r"Import with: python -m metrics import FILE.csv --text",
    ),
    Case("extract", "no date for import rows", ("{text}", "--format", "import"), 2, stderr="--as-of"),
    Case(
        "extract", "success (json)", ("{text}", "--format", "json"), 0, stdout=r'^\[\n.*"as_written": "870件"'
    ),
    Case("evaluate-extract", "success", (), 0, stdout="^precision ", needs_source=True),
    Case(
        "extract-bench", "success", ("--text", "{text}", "--bytes", "20000", "--runs", "1"), 0, stdout="MB/s"
    ),
    *(
        Case(command, f"unreadable: {what}", (*option, path), 2, stderr="cannot read the text", timeout=20)
        for command, option in [
            ("extract", ()),
            ("evaluate-extract", ("--text",)),
            ("extract-bench", ("--text",)),
        ]
        for what, path in [("missing file", "{missing}"), ("a folder", "{folder}")]
    ),
    Case(
        "extract",
        "unreadable: /dev/zero",
        ("/dev/zero",),
        2,
        timeout=20,
        memory=3 << 30,
    ),
    *(
        Case(
            command,
            "unreadable: a FIFO",
            (*option, "{fifo}"),
            2,
            timeout=30,  # a hang is minutes; a loaded machine starts Python in seconds
        )
        for command, option in [
            ("extract", ()),
            ("evaluate-extract", ("--text",)),
            ("extract-bench", ("--text",)),
        ]
    ),
]


def satisfied(command: str) -> tuple[str, ...]:
    """``command`` with every required argument given (as 'x'), so that only a flag can be wrong."""
    (sub,) = [a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction)]
    args = [command]
    for action in sub.choices[command]._actions:
        if not action.option_strings:
            args.append("x")
        elif action.required:
            args += [action.option_strings[0], "x"]
    return tuple(args)


# Wrong usage, found by argparse before anything runs: (command line, what stderr says).
USAGE_CASES = [
    *(
        ((*satisfied(command), "--no-such-flag"), "unrecognized arguments: --no-such-flag")
        for command in parser_commands()
    ),
    (("import",), "the following arguments are required: file"),
    (("rollback",), "the following arguments are required: batch"),
    (("extract",), "the following arguments are required: FILE"),
    (("synth", "--bodies", "3"), "the following arguments are required: --out"),
    (("synth", "--bodies", "three", "--out", "x"), "invalid int value: 'three'"),
    (("template", "--format", "pdf"), "invalid choice: 'pdf'"),
    (("extract", "x.txt", "--format", "xml"), "invalid choice: 'xml'"),
    (("extract-bench", "--bytes"), "expected one argument"),
    (("bench", "--rounds"), "expected one argument"),
    (("bench", "--figures"), "expected one argument"),
    (("wsload", "--sessions"), "expected one argument"),
    (("serve", "--replicas", "two"), "invalid int value"),
    (("loadtest", "--sessions"), "expected one argument"),
    (("loadtest", "--seconds"), "expected one argument"),
    (("figures", "--data", "data"), "unrecognized arguments: --data data"),
    (("check", "--db", "x.duckdb"), "unrecognized arguments: --db x.duckdb"),
]


@dataclass
class Outcome:
    code: int | None  # None: still running at the timeout (then killed)
    stdout: str
    stderr: str
    before: dict[str, str]
    after: dict[str, str]
    folder: Path


def store_snapshot(store: Path) -> dict[str, str]:
    """SHA-256 of the database the store's path leads to and of every visible file of the store."""
    db = store / "db" / "metrics.duckdb"
    found = {"(database)": hashlib.sha256(db.read_bytes()).hexdigest() if db.exists() else ""}
    for path in sorted(store.rglob("*")):
        relative = path.relative_to(store)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            found[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def broken_data(folder: Path) -> Path:
    """A copy of data/ whose figure f003 has the value 'abc'."""
    folder.mkdir()
    for path in (ROOT / "data").glob("*.csv"):
        shutil.copyfile(path, folder / path.name)
    rows = list(csv.reader((folder / "figures.csv").open(encoding="utf-8", newline="")))
    next(r for r in rows if r[0] == "f003")[rows[0].index("value")] = "abc"
    with (folder / "figures.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return folder


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> dict[str, Path | str]:
    """The curated data built once, and a copy holding batch A and batch B (B reuses A's source)."""
    built = tmp_path_factory.mktemp("built-store")
    (built / "imports").mkdir()
    Store(built / "db" / "metrics.duckdb", ROOT / "data", paths.sources_dir(), built / "imports").build()
    two = tmp_path_factory.mktemp("two-batches") / "store"
    shutil.copytree(built, two, symlinks=True)
    store = Store(two / "db" / "metrics.duckdb", ROOT / "data", paths.sources_dir(), two / "imports")
    _, a = store.import_file(import_csv(TIANJIN, TIANJIN_CLOSED), "a.csv")
    _, b = store.import_file(import_csv({**TIANJIN, "as_of": "2019-12"}), "b.csv")
    assert a is not None and b is not None
    return {"built": built, "two batches": two, "batch_a": a.batch_id, "batch_b": b.batch_id}


def execute(case: Case, folder: Path, stores: dict) -> Outcome:
    folder.mkdir(parents=True)
    (folder / "good.csv").write_bytes(import_csv(TIANJIN, TIANJIN_CLOSED))
    (folder / "bad.csv").write_bytes(import_csv({**TIANJIN, "value": "abc"}, TIANJIN_CLOSED))
    (folder / "report.txt").write_text(REPORT, encoding="utf-8")
    (folder / "folder").mkdir()
    (folder / "regular").write_text("a regular file\n")
    os.mkfifo(folder / "fifo")
    names = {
        "good": folder / "good.csv",
        "bad": folder / "bad.csv",
        "text": folder / "report.txt",
        "fifo": folder / "fifo",
        "folder": folder / "folder",
        "missing": folder / "missing.csv",
        "regular": folder / "regular",
        "out": folder / ("out.xlsx" if case.command == "template" else "out"),
        "batch_a": stores["batch_a"],
        "batch_b": stores["batch_b"],
    }
    if any("{broken_data}" in arg for arg in case.args):
        names["broken_data"] = broken_data(folder / "data")
    store = folder / "store"
    if case.store in ("built", "two batches"):
        shutil.copytree(stores[case.store], store, symlinks=True)
    else:
        (store / "db").mkdir(parents=True)
        (store / "imports").mkdir()
    db = folder / "regular" / "metrics.duckdb" if case.store == "blocked" else store / "db" / "metrics.duckdb"
    env = dict(os.environ, METRICS_DB=str(db), METRICS_IMPORTS_DIR=str(store / "imports"))
    env.pop("METRICS_MAX_IMPORT_MB", None)
    args = [case.command, *(arg.format(**names) for arg in case.args)]
    if case.memory:
        command = [sys.executable, "-c", LIMITED, str(case.memory), *args]
    else:
        command = [sys.executable, "-m", "metrics", *args]
    before = store_snapshot(store)
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=case.timeout)
        code, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as expired:
        code, out = None, expired.stdout or b""
        err = (expired.stderr or b"") + f"\n(still running after {case.timeout} s; killed)".encode()
    decoded = [text.decode("utf-8", "replace") for text in (out, err)]
    return Outcome(code, *decoded, before, store_snapshot(store), folder)


@pytest.fixture(scope="module")
def outcomes(stores, tmp_path_factory) -> dict[str, Outcome]:
    """Every case of CASES, run side by side."""
    root = tmp_path_factory.mktemp("cases")
    slow_first = sorted(enumerate(CASES), key=lambda nc: -nc[1].timeout)  # those that may hang
    with ThreadPoolExecutor(max_workers=4 + (os.cpu_count() or 2)) as pool:
        runs = {c.id: pool.submit(execute, c, root / f"case{n}", stores) for n, c in slow_first}
        return {name: run.result() for name, run in runs.items()}


def test_cases_are_unique():
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("command", parser_commands())
def test_every_command_has_its_cases(command):
    """A command added to the parser fails here until CASES say how it succeeds (and, if it
    reads a file, how it refuses an unreadable one)."""
    kinds = {c.kind for c in CASES if c.command == command}
    if command in HELP_ONLY:
        assert not kinds, f"{command} is only run with --help (see test_help_only_commands)"
        return
    assert "success" in kinds, f"add a success case for {command!r} to CASES"
    (sub,) = [a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction)]
    dests = {action.dest for action in sub.choices[command]._actions}
    if dests & {"file", "text"}:
        wanted = {"unreadable: missing file", "unreadable: a folder", "unreadable: a FIFO"}
        assert wanted <= kinds, f"add cases {sorted(wanted - kinds)} for {command!r} to CASES"
    if command in ("import", "rollback", "build", *EXPORTS):
        assert "store cannot be written" in kinds


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            c,
            id=c.id,
            marks=[pytest.mark.xfail(reason=c.discrepancy, strict=True)] if c.discrepancy else [],
        )
        for c in CASES
    ],
)
def test_command_case(case: Case, outcomes, request):
    if case.needs_source:
        request.getfixturevalue("source_text")  # skipped (failed in CI) without the source text
    result = outcomes[case.id]
    assert result.code == case.code, f"exit status {result.code}, stderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    if case.code:
        assert result.stdout == "", "an error writes nothing to stdout"
        assert result.stderr.strip(), "an error says why on stderr"
    if case.stdout is not None:
        assert re.search(case.stdout, result.stdout, re.DOTALL), result.stdout[:2000]
    if case.stderr is not None:
        assert re.search(case.stderr, result.stderr, re.MULTILINE), result.stderr
    if case.located:
        *problems, last = result.stderr.splitlines()
        assert problems, result.stderr
        assert all(LOCATED.match(line) for line in problems), result.stderr
        assert last.endswith("problem(s); nothing was written."), result.stderr
    if case.unchanged:
        assert result.after == result.before
    if case.batches_after is not None:
        imports = result.folder / "store" / "imports"
        stored = [p for p in imports.iterdir() if p.is_dir() and not p.name.startswith(".")]
        assert len(stored) == case.batches_after
    assert (result.folder / "regular").read_text() == "a regular file\n"
    if case.id == "template | success (xlsx file)":
        assert (result.folder / "out.xlsx").read_bytes().startswith(b"PK\x03\x04")
    if case.id == "synth | success":
        assert (result.folder / "out").is_dir() and any((result.folder / "out").iterdir())


def in_process(*argv: str) -> tuple[int | str | None, str, str]:
    """``cli.main(argv)`` when argparse ends it: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err), pytest.raises(SystemExit) as exit_:
        cli.main(list(argv))
    return exit_.value.code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("argv", "says"), USAGE_CASES, ids=[" ".join(a) for a, _ in USAGE_CASES])
def test_wrong_usage(argv, says):
    code, out, err = in_process(*argv)
    assert code == 2
    assert out == ""
    assert err.startswith("usage: python -m metrics")
    assert says in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", sorted(HELP_ONLY))
def test_help_only_commands(command):
    code, out, err = in_process(command, "--help")
    assert (code, err) == (0, "")
    assert out.startswith(f"usage: python -m metrics {command}")
