"""An import on top of a build stages and checks only its own rows and appends them to a copy of
that build; the result must equal, table by table, a full build of the same inputs."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from metrics import database, schema, staging, synth
from metrics.store import Store

ROUNDS = 3


@pytest.fixture
def synthetic(tmp_path) -> tuple[Path, bytes]:
    folder = tmp_path / "data"
    synth.generate(folder, 40, ROUNDS, 7)
    (batch,) = synth.hold_out_last_round(folder)
    return folder, batch


def tables_of(db: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db.resolve()), read_only=True) as con:
        names = [
            n
            for (n,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE table_name NOT IN ('build_info') ORDER BY 1"
            ).fetchall()
        ]
        return {n: sorted(con.execute(f"SELECT * FROM {n}").fetchall(), key=repr) for n in names}


def test_an_import_appends_to_the_last_build_and_equals_a_full_build(synthetic, tmp_path, monkeypatch):
    folder, last_round = synthetic
    imports = tmp_path / "imports"
    db = tmp_path / "db" / "metrics.duckdb"
    db.parent.mkdir()
    Store(db, data_dir=folder, sources_dir=folder, imports_dir=imports).build()
    appended = []
    append = database.append
    monkeypatch.setattr(database, "append", lambda *a: (appended.append(True), append(*a)))

    checked, batch = Store(db, folder, folder, imports).import_file(last_round, "week.csv")

    assert batch is not None, "\n".join(map(str, checked.problems))
    assert appended == [True], "the import did not append to the last build"
    full = tmp_path / "full" / "metrics.duckdb"
    full.parent.mkdir()
    Store(full, data_dir=folder, sources_dir=folder, imports_dir=imports).build()
    incremental, rebuilt = tables_of(db), tables_of(full)
    assert set(incremental) == set(rebuilt) >= set(schema.MATERIALIZED) | {"figures", "measures"}
    for name in rebuilt:
        assert incremental[name] == rebuilt[name], f"table {name} differs from a full build"
    assert len(incremental["figures"]) == len(rebuilt["figures"]) > batch.rows > 0


def test_a_second_import_appends_again_and_problems_point_into_earlier_files(synthetic, tmp_path):
    folder, last_round = synthetic
    imports = tmp_path / "imports"
    db = tmp_path / "metrics.duckdb"
    Store(db, data_dir=folder, sources_dir=folder, imports_dir=imports).build()
    _, batch = Store(db, folder, folder, imports).import_file(last_round, "week.csv")
    assert batch is not None
    cache = staging.load_cache(Store(db).builds, folder, imports, db.resolve())
    assert cache is not None and cache.rows["figures"] == tables_count(db, "figures")

    # The same figures again, in a new file: each conflicts with the first import's row.
    again = last_round.replace(b"\n", b"\r\n")
    checked, second = Store(db, folder, folder, imports).import_file(again, "again.csv")
    assert second is None
    conflicts = [p for p in checked.problems if "conflicts with" in p.reason]
    assert conflicts and all(p.file == "again.csv" for p in conflicts)
    stored = f"{imports.name}/{batch.batch_id}/figures.csv row 2:"
    assert any(stored in p.reason for p in conflicts if p.row == 2), conflicts[:3]


def test_a_changed_curated_file_means_a_full_build(synthetic, tmp_path, monkeypatch):
    folder, last_round = synthetic
    imports = tmp_path / "imports"
    db = tmp_path / "metrics.duckdb"
    Store(db, data_dir=folder, sources_dir=folder, imports_dir=imports).build()
    builds = Store(db).builds
    assert staging.load_cache(builds, folder, imports, db.resolve()) is not None
    (folder / "themes.csv").touch()  # same bytes, a new time: it may have been edited
    assert staging.load_cache(builds, folder, imports, db.resolve()) is None
    appended = []
    append = database.append
    monkeypatch.setattr(database, "append", lambda *a: (appended.append(True), append(*a)))
    _, batch = Store(db, folder, folder, imports).import_file(last_round, "week.csv")
    assert batch is not None and appended == []
    assert staging.load_cache(builds, folder, imports, db.resolve()) is not None  # kept again


def tables_count(db: Path, table: str) -> int:
    with duckdb.connect(str(db.resolve()), read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.mark.parametrize("meta", ["not json", "{}", '{"build": 1, "texts": 2}', "[]"])
def test_an_unreadable_cache_means_a_full_build(synthetic, tmp_path, monkeypatch, meta):
    folder, last_round = synthetic
    imports = tmp_path / "imports"
    db = tmp_path / "metrics.duckdb"
    Store(db, data_dir=folder, sources_dir=folder, imports_dir=imports).build()
    (Store(db).builds / staging.CACHE / "cache.json").write_text(meta, encoding="utf-8")
    assert staging.load_cache(Store(db).builds, folder, imports, db.resolve()) is None
    appended = []
    append = database.append
    monkeypatch.setattr(database, "append", lambda *a: (appended.append(True), append(*a)))
    _, batch = Store(db, folder, folder, imports).import_file(last_round, "week.csv")
    assert batch is not None and appended == []
