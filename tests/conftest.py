"""Shared fixtures: the source text, a database built once per session, and copies of data/.

The source text is an input kept outside the repository (see ``metrics.paths.sources_dir``):
tests that need it are skipped with a hint when it is missing, except in CI where that fails.
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from metrics import paths
from metrics.store import Store

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
SOURCE_FILE = "000_51c61d9e97b41153.txt"


@pytest.fixture(scope="session", autouse=True)
def no_local_state(tmp_path_factory):
    """Tests never see a developer's own imported batches or database: both point into tmp."""
    saved = {key: os.environ.get(key) for key in ("METRICS_IMPORTS_DIR", "METRICS_DB")}
    os.environ["METRICS_IMPORTS_DIR"] = str(tmp_path_factory.mktemp("imports"))
    os.environ["METRICS_DB"] = str(tmp_path_factory.mktemp("default-db") / "metrics.duckdb")
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def source_path() -> Path:
    """Where the source text must be (``$METRICS_SOURCES_DIR`` or ``../shared/seeds``)."""
    return paths.sources_dir() / SOURCE_FILE


@pytest.fixture(scope="session")
def source_text(source_path: Path) -> str:
    """The seed text exactly as stored (bytes decoded as UTF-8, newlines untouched)."""
    if not source_path.is_file():
        message = (
            f"source text not found at {source_path}: put the text at that path "
            "or set METRICS_SOURCES_DIR to the folder that holds it"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return source_path.read_bytes().decode("utf-8")


@pytest.fixture(scope="session")
def built_db(tmp_path_factory) -> Path:
    """A database built once from the real data/ folder."""
    db = tmp_path_factory.mktemp("db") / "metrics.duckdb"
    Store(db, data_dir=DATA_DIR, sources_dir=paths.sources_dir()).build()
    return db


@pytest.fixture
def con(built_db: Path):
    """A read-only connection to the session database."""
    connection = duckdb.connect(str(built_db), read_only=True)
    yield connection
    connection.close()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A private copy of data/*.csv that a test may break."""
    folder = tmp_path / "data"
    folder.mkdir()
    for path in DATA_DIR.glob("*.csv"):
        shutil.copyfile(path, folder / path.name)
    return folder


class CsvEditor:
    """Edits the tables of one data folder with the csv module; line numbers count the raw file."""

    def __init__(self, folder: Path):
        self.folder = folder

    def path(self, table: str) -> Path:
        return self.folder / f"{table}.csv"

    def rows(self, table: str) -> list[list[str]]:
        with self.path(table).open(encoding="utf-8", newline="") as f:
            return list(csv.reader(f))

    def write(self, table: str, rows: list[list[str]]) -> None:
        with self.path(table).open("w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)

    def line_of(self, table: str, key: str) -> int:
        """File line (header = 1) of the record whose first cell is ``key``."""
        lines = self.path(table).read_text(encoding="utf-8").split("\n")
        found = [n for n, line in enumerate(lines, start=1) if line.startswith(key + ",")]
        assert len(found) == 1, f"{key!r} starts {len(found)} lines of {table}.csv"
        return found[0]

    def record(self, table: str, key: str) -> dict[str, str]:
        header, *records = self.rows(table)
        return next(dict(zip(header, r)) for r in records if r[0] == key)

    def set_cell(self, table: str, key: str, column: str, value: str) -> int:
        """Set one cell of the record keyed ``key``; returns that record's file line."""
        line = self.line_of(table, key)
        rows = self.rows(table)
        record = next(r for r in rows[1:] if r[0] == key)
        record[rows[0].index(column)] = value
        self.write(table, rows)
        return line

    def append(self, table: str, record: dict[str, str]) -> int:
        """Append a record (missing columns left empty); returns its file line."""
        rows = self.rows(table)
        rows.append([record.get(name, "") for name in rows[0]])
        self.write(table, rows)
        return self.line_of(table, rows[-1][0])


@pytest.fixture
def csv_edit(data_copy: Path) -> CsvEditor:
    """Editor bound to ``data_copy``."""
    return CsvEditor(data_copy)
