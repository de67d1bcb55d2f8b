"""``python -m metrics`` as a user runs it: a subprocess with METRICS_DB pointing to a temp file."""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest

from metrics import cli

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
