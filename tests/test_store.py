"""Building the database: atomic replacement, row counts, read-only connections."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import duckdb
import pytest

from metrics import paths, schema, store
from metrics.store import Store

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def csv_record_count(table: str) -> int:
    with (DATA_DIR / f"{table}.csv").open(encoding="utf-8-sig", newline="") as f:
        return len(list(csv.reader(f))) - 1


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_beside(db: Path) -> tuple[list[str], list[str]]:
    """Names in the database's folder and in its builds folder (suffixes of files, names of
    folders): no temp or WAL file may remain, only builds and the staging cache."""
    builds = Store(db).builds
    inside = sorted(p.name if p.is_dir() else p.suffix for p in builds.iterdir())
    return sorted(p.name for p in db.parent.iterdir()), inside


def figure_count(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute("SELECT count(*) FROM figures").fetchone()[0]


@pytest.fixture
def previous_db(tmp_path) -> Path:
    db = tmp_path / "out" / "metrics.duckdb"
    Store(db, data_dir=DATA_DIR, sources_dir=paths.sources_dir()).build()
    return db


BREAKAGES = [
    pytest.param("figures", "f003", "value", "abc", id="figure-value-abc"),
    pytest.param("measures", "tianjin_inaction_cases", "body_id", "no_such_body", id="measure-unknown-body"),
]


@pytest.mark.parametrize(("table", "key", "column", "value"), BREAKAGES)
def test_failed_build_leaves_the_previous_database_untouched(
    previous_db, csv_edit, data_copy, table, key, column, value
):
    before = digest(previous_db)
    count = figure_count(previous_db)
    assert count == csv_record_count("figures")
    line = csv_edit.set_cell(table, key, column, value)

    with pytest.raises(store.DataError) as info:
        Store(previous_db, data_dir=data_copy, sources_dir=paths.sources_dir()).build()

    located = [str(p) for p in info.value.problems if str(p).startswith(f"{table}.csv:{line}:{column}: ")]
    assert located, "\n".join(map(str, info.value.problems))
    assert f"{table}.csv:{line}:{column}: " in str(info.value)
    assert digest(previous_db) == before
    assert figure_count(previous_db) == count
    assert files_beside(previous_db) == (
        [".metrics.duckdb.builds", "metrics.duckdb"],
        [".duckdb", ".lock", "staging-cache"],
    )


def test_crash_while_writing_leaves_the_previous_database_and_no_temp_files(previous_db, monkeypatch):
    before = digest(previous_db)

    def broken_create(con, columns):
        con.execute("CREATE TABLE half_written (x INTEGER)")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(schema, "create", broken_create)
    with pytest.raises(RuntimeError, match="disk on fire"):
        Store(previous_db, data_dir=DATA_DIR, sources_dir=paths.sources_dir()).build()
    assert digest(previous_db) == before
    assert files_beside(previous_db) == (
        [".metrics.duckdb.builds", "metrics.duckdb"],
        [".duckdb", ".lock", "staging-cache"],
    )


def test_rebuild_replaces_the_database(previous_db, csv_edit, data_copy):
    csv_edit.append("figures", csv_edit.record("figures", "f036") | {"figure_id": "f999", "as_of": "2019-11"})
    Store(previous_db, data_dir=data_copy, sources_dir=paths.sources_dir()).build()
    assert figure_count(previous_db) == csv_record_count("figures") + 1
    # the new build and the previous one (kept for readers that resolved the link just before)
    assert files_beside(previous_db) == (
        [".metrics.duckdb.builds", "metrics.duckdb"],
        [".duckdb", ".duckdb", ".lock", "staging-cache"],
    )
    Store(previous_db, data_dir=data_copy, sources_dir=paths.sources_dir()).build()
    assert files_beside(previous_db)[1] == [
        ".duckdb",
        ".duckdb",
        ".lock",
        "staging-cache",
    ]  # older builds deleted


def test_build_into_a_new_folder(tmp_path):
    db = tmp_path / "new" / "deeper" / "fresh.duckdb"
    counts = Store(db, data_dir=DATA_DIR, sources_dir=paths.sources_dir()).build()
    assert db.is_file()
    tables = ["sources", "body_kinds", "bodies", "themes", "indicators", "measures", "figures", "left_out"]
    assert {t: counts[t] for t in tables} == {t: csv_record_count(t) for t in tables}
    with duckdb.connect(str(db), read_only=True) as connection:
        for table in tables:
            assert connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == csv_record_count(
                table
            )


def test_build_uses_metrics_db_when_no_path_is_given(tmp_path, monkeypatch):
    db = tmp_path / "from_env.duckdb"
    monkeypatch.setenv("METRICS_DB", str(db))
    Store(data_dir=DATA_DIR, sources_dir=paths.sources_dir()).build()
    assert figure_count(db) == csv_record_count("figures")


def test_read_only_connection_cannot_write(built_db):
    with Store(built_db).connect() as connection:
        with pytest.raises(duckdb.Error):
            connection.execute("DELETE FROM figures")
        with pytest.raises(duckdb.Error):
            connection.execute("CREATE TABLE scratch (x INTEGER)")
        assert connection.execute("SELECT count(*) FROM figures").fetchone()[0] == csv_record_count("figures")


def test_connect_to_a_missing_database_says_how_to_build(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m metrics build"):
        Store(tmp_path / "nothing.duckdb").connect()


def test_schema_rejects_what_validation_rejects(built_db, tmp_path):
    """The database's own constraints catch a bad enum value even past the Python checks."""
    db = tmp_path / "copy.duckdb"
    db.write_bytes(built_db.read_bytes())
    with duckdb.connect(str(db)) as connection:
        with pytest.raises(duckdb.ConstraintException):
            connection.execute("UPDATE figures SET role = 'valeu' WHERE figure_id = 'f003'")
        with pytest.raises(duckdb.ConstraintException):
            connection.execute(
                "INSERT INTO measures SELECT * REPLACE ('atlantis' AS body_id, 'm_x' AS measure_id) FROM measures LIMIT 1"
            )
