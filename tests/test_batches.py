"""metrics.batches on a tmp folder: a batch written aside is hidden until commit, remove takes it
out, clean removes what interrupted writes left behind."""

from __future__ import annotations

import json

import pandas as pd

from metrics import batches
from metrics.batches import Batch


def tables(rows: int = 1) -> dict[str, pd.DataFrame]:
    return {
        t: pd.DataFrame({"id": [f"{t}{i}" for i in range(rows)], "note": ["a,b"] * rows})
        for t in batches.TABLES
    }


BATCH = Batch("b0001", "import.csv", "ab" * 32, "2024-01-01T00:00:00", 3)


def test_written_aside_is_hidden_until_commit(tmp_path):
    aside = batches.write_aside(tmp_path, BATCH, tables(2), {"b0001/report.txt": b"text"})
    assert aside.name.startswith(".") and aside.is_dir()
    assert batches.list_batches(tmp_path) == []
    batches.commit(tmp_path, "b0001")
    assert not aside.exists()
    assert batches.list_batches(tmp_path) == [BATCH]
    stored = tmp_path / "b0001"
    assert sorted(p.name for p in stored.iterdir()) == sorted(
        [f"{t}.csv" for t in batches.TABLES] + [batches.META, "report.txt"]
    )
    assert (stored / "report.txt").read_bytes() == b"text"
    assert json.loads((stored / batches.META).read_text(encoding="utf-8"))["rows"] == 3
    assert (stored / "figures.csv").read_text(encoding="utf-8") == 'id,note\nfigures0,"a,b"\nfigures1,"a,b"\n'
    batches.commit(tmp_path, "b0001")  # nothing left aside: nothing to do
    assert batches.list_batches(tmp_path) == [BATCH]


def test_list_is_oldest_first_and_leaves_out_without(tmp_path):
    for n in (2, 1, 3):
        batch = Batch(f"b{n:04d}", "f.csv", "", "", n)
        batches.write_aside(tmp_path, batch, tables())
        batches.commit(tmp_path, batch.batch_id)
    assert [b.batch_id for b in batches.list_batches(tmp_path)] == ["b0001", "b0002", "b0003"]
    assert [b.batch_id for b in batches.list_batches(tmp_path, without=("b0002",))] == ["b0001", "b0003"]
    assert batches.list_batches(tmp_path / "missing") == []


def test_remove_takes_the_batch_out(tmp_path):
    batches.write_aside(tmp_path, BATCH, tables())
    batches.commit(tmp_path, "b0001")
    batches.remove(tmp_path, "b0001")
    assert batches.list_batches(tmp_path) == []
    assert list(tmp_path.iterdir()) == []
    batches.remove(tmp_path, "b0001")  # already gone: nothing to do


def test_clean_removes_only_hidden_leftovers(tmp_path):
    batches.write_aside(tmp_path, BATCH, tables())  # never committed
    other = Batch("b0002", "f.csv", "", "", 1)
    batches.write_aside(tmp_path, other, tables())
    batches.commit(tmp_path, "b0002")
    (tmp_path / ".removed-b0009").mkdir()
    (tmp_path / ".stray").write_text("x")
    removed = batches.clean(tmp_path)
    assert sorted(p.name for p in removed) == [".pending-b0001", ".removed-b0009", ".stray"]
    assert [p.name for p in tmp_path.iterdir()] == ["b0002"]
    assert batches.list_batches(tmp_path) == [other]
    assert batches.clean(tmp_path / "missing") == []


def test_table_file_of_a_later_table_a_batch_lacks_is_none(tmp_path):
    batches.write_aside(tmp_path, BATCH, tables())
    batches.commit(tmp_path, "b0001")
    (tmp_path / "b0001" / "targets.csv").unlink()
    (tmp_path / "b0001" / "figures.csv").unlink()
    assert batches.table_file(tmp_path, "b0001", "targets") is None
    assert batches.table_file(tmp_path, "b0001", "bodies") == tmp_path / "b0001" / "bodies.csv"
    # a first table is always named: reading the missing file then says the batch is damaged
    assert batches.table_file(tmp_path, "b0001", "figures") == tmp_path / "b0001" / "figures.csv"
