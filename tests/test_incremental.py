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


def test_an_import_dated_inside_the_history_and_its_rollback_equal_a_full_build(
    synthetic, tmp_path, monkeypatch
):
    """Figures dated between stored reports (and one after them): the stored derived rows from
    the earliest new date on are recomputed, those before kept; equal to a full build."""
    folder, _ = synthetic
    imports = tmp_path / "imports"
    db = tmp_path / "db" / "metrics.duckdb"
    db.parent.mkdir()
    Store(db, data_dir=folder, sources_dir=folder, imports_dir=imports).build()
    with duckdb.connect(str(db.resolve()), read_only=True) as con:
        picked = con.execute(
            "SELECT measure_id, body_id, counter, min(as_of) FROM value_history "
            "WHERE measure_kind = 'count' GROUP BY ALL ORDER BY measure_id LIMIT 2"
        ).fetchall()
    header = "body,measure_id,role,value,counter,as_written,as_of,evidence,source_title,source_publisher,source_published,source_reference\n"
    lines = []
    for n, (measure_id, body_id, counter, first) in enumerate(picked):
        for k, date in enumerate([_day_after(first), "2031-01-05"]):
            written = f"{7 + n + k}{counter}"
            lines.append(
                ",".join(
                    [body_id, measure_id, "value", str(7 + n + k), counter, written, date, f"共{written}"]
                )
                + ",补报通报,某办,2031-01,补〔2031〕1号\n"
            )
    appended = []
    append = database.append
    monkeypatch.setattr(database, "append", lambda *a: (appended.append(True), append(*a)))
    checked, batch = Store(db, folder, folder, imports).import_file(
        (header + "".join(lines)).encode(), "late.csv"
    )
    assert batch is not None, "\n".join(map(str, checked.problems))
    assert appended == [True]
    assert tables_of(db) == _full_build(folder, imports, tmp_path / "full" / "metrics.duckdb")
    # and rolled back: the rows from its earliest date on recomputed again
    written = _watch_full_builds(monkeypatch)
    Store(db, folder, folder, imports).rollback(batch.batch_id)
    assert written == []
    assert tables_of(db) == _full_build(folder, imports, tmp_path / "after" / "metrics.duckdb")


def _day_after(as_of: str) -> str:
    import datetime

    return (datetime.date.fromisoformat(as_of) + datetime.timedelta(days=1)).isoformat()


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


def _new_entities(with_theme: bool) -> bytes:
    """An import file adding a body (a city committee), an indicator in a group of its own and,
    ``with_theme``, a theme: a closure of the new body, and a count of it in an existing group."""
    theme = ("安全生产", "Work safety") if with_theme else ("为民服务解难题", "")
    header = [
        "body", "body_kind", "body_region", "theme", "theme_name_en", "indicator", "indicator_family",
        "indicator_direction", "indicator_definition_zh", "measure_kind", "label_zh", "label_en", "role",
        "value", "counter", "as_written", "as_of", "evidence", "source_title", "source_publisher",
        "source_published", "source_reference",
    ]  # fmt: skip
    source = ["杭州市委整改通报", "杭州市委", "2020-02", "杭教组办〔2020〕1号"]
    evidence = "排查安全生产隐患500项，已整改450项"
    new = [
        *theme,
        "安全隐患整改",
        "problems",
        "up",
        "排查发现的安全生产隐患（项）",
        "closure",
        "隐患整改",
        "Hazards",
    ]
    rows = [
        ["杭州市委", "local", "浙江", *new, "total", "500", "项", "500项", "2020-02", evidence, *source],
        ["杭州市委", "", "", theme[0], "", "安全隐患整改", *[""] * 3, "closure", "隐患整改", "Hazards", "closed",
         "450", "项", "450项", "2020-02", evidence, *source],
        ["杭州市委", "", "", "违反中央八项规定精神", "", "cases", *[""] * 3, "count", "查处问题", "Cases", "value",
         "35", "起", "35起", "2020-02", "查处问题35起", *source],
    ]  # fmt: skip
    return "\n".join(",".join(row) for row in [header, *rows]).encode() + b"\n"


@pytest.mark.parametrize(
    "with_theme", [True, False], ids=["new body, theme, indicator", "new body, indicator"]
)
def test_an_import_that_adds_a_body_appends_and_equals_a_full_build(
    synthetic, tmp_path, monkeypatch, with_theme
):
    """New bodies, themes, groups and indicators are appended too (a new theme reorders every
    theme's colour slot, so it re-derives every stored view); the result equals a full build."""
    folder, last_round = synthetic
    for table in ("themes", "measures"):  # a theme whose id sorts after the new one's (t_…)
        path = folder / f"{table}.csv"
        path.write_text(path.read_text(encoding="utf-8").replace("serving_people", "zz_serving_people"))
    imports = tmp_path / "imports"
    db = tmp_path / "db" / "metrics.duckdb"
    db.parent.mkdir()
    Store(db, data_dir=folder, sources_dir=folder, imports_dir=imports).build()
    _, first = Store(db, folder, folder, imports).import_file(last_round, "week.csv")
    assert first is not None
    appended = []
    append = database.append
    monkeypatch.setattr(database, "append", lambda *a: (appended.append(True), append(*a)))

    checked, batch = Store(db, folder, folder, imports).import_file(_new_entities(with_theme), "hangzhou.csv")

    assert batch is not None, "\n".join(map(str, checked.problems))
    assert appended == [True], "the import did not append to the last build"
    added = checked.added()
    assert list(added.what) == ["body", *(["theme"] if with_theme else []), "comparable_group", "indicator"]
    full = tmp_path / "full" / "metrics.duckdb"
    full.parent.mkdir()
    Store(full, data_dir=folder, sources_dir=folder, imports_dir=imports).build()
    incremental, rebuilt = tables_of(db), tables_of(full)
    assert set(incremental) == set(rebuilt)
    for name in rebuilt:
        assert incremental[name] == rebuilt[name], f"table {name} differs from a full build"
    with duckdb.connect(str(db.resolve()), read_only=True) as con:
        bodies = con.execute("SELECT count(*) FROM measure_facts WHERE body_zh = '杭州市委'").fetchone()[0]
    assert bodies == 2


# --- rollback without a full build -----------------------------------------------------------------


def _week(last_round: bytes, keep) -> bytes:
    """The lines of the held-out round whose index ``keep`` accepts (the header always)."""
    header, *lines = last_round.decode().splitlines(keepends=True)
    return (header + "".join(line for i, line in enumerate(lines) if keep(i))).encode()


def _watch_full_builds(monkeypatch) -> list[bool]:
    """A list that grows by one for every full build (``database.write``) from now on."""
    written = []
    write = database.write
    monkeypatch.setattr(database, "write", lambda *a: (written.append(True), write(*a)))
    return written


def _full_build(folder: Path, imports: Path, where: Path) -> dict[str, list[tuple]]:
    where.parent.mkdir(parents=True)
    Store(where, data_dir=folder, sources_dir=folder, imports_dir=imports).build()
    return tables_of(where)


@pytest.mark.parametrize("which", ["first", "second"])
@pytest.mark.parametrize("entities", ["figures only", "new body, theme, indicator"])
def test_a_rollback_removes_the_rows_and_equals_a_full_build(
    synthetic, tmp_path, monkeypatch, which, entities
):
    """Import A, import B, roll back one: without a full build, the database equals, table by
    table (every table, the stored derived ones too), a full build of what is left."""
    folder, last_round = synthetic
    for table in ("themes", "measures"):  # a theme whose id sorts after the new one's (t_…)
        path = folder / f"{table}.csv"
        path.write_text(path.read_text(encoding="utf-8").replace("serving_people", "zz_serving_people"))
    imports = tmp_path / "imports"
    db = tmp_path / "db" / "metrics.duckdb"
    db.parent.mkdir()
    Store(db, data_dir=folder, sources_dir=folder, imports_dir=imports).build()
    if entities == "figures only":
        files = [_week(last_round, lambda i: i % 2 == 0), _week(last_round, lambda i: i % 2 == 1)]
    else:
        files = [last_round, _new_entities(with_theme=True)]
    stored = []
    for i, data in enumerate(files):
        checked, batch = Store(db, folder, folder, imports).import_file(data, f"week-{i}.csv")
        assert batch is not None, "\n".join(map(str, checked.problems[:5]))
        stored.append(batch)
    before = tables_of(db)
    written = _watch_full_builds(monkeypatch)

    gone = stored[0 if which == "first" else 1]
    Store(db, folder, folder, imports).rollback(gone.batch_id)

    assert written == [], "the rollback made a full build"
    assert [b.batch_id for b in Store(db, folder, folder, imports).batches()] == [
        b.batch_id for b in stored if b != gone
    ]
    after = tables_of(db)
    rebuilt = _full_build(folder, imports, tmp_path / "full" / "metrics.duckdb")
    assert set(after) == set(rebuilt) >= set(schema.MATERIALIZED) | {"figures", "measures", "batches"}
    for name in rebuilt:
        assert after[name] == rebuilt[name], f"table {name} differs from a full build"
    assert len(after["figures"]) == len(before["figures"]) - gone.rows
    if entities != "figures only" and which == "second":
        assert len(after["bodies"]) < len(before["bodies"]) and len(after["themes"]) < len(before["themes"])


@pytest.mark.parametrize("which", ["first", "second"])
def test_after_a_rollback_the_next_import_appends_and_points_into_the_right_files(
    synthetic, tmp_path, monkeypatch, which
):
    """The rollback keeps the staged text without the batch's rows: the next import appends
    (no full build), equals a full build, and a conflict is located in the batch left."""
    folder, last_round = synthetic
    imports = tmp_path / "imports"
    db = tmp_path / "db" / "metrics.duckdb"
    db.parent.mkdir()
    Store(db, data_dir=folder, sources_dir=folder, imports_dir=imports).build()
    halves = [_week(last_round, lambda i: i % 2 == 0), _week(last_round, lambda i: i % 2 == 1)]
    _, first = Store(db, folder, folder, imports).import_file(halves[0], "a.csv")
    _, second = Store(db, folder, folder, imports).import_file(halves[1], "b.csv")
    written = _watch_full_builds(monkeypatch)
    if which == "second":  # the last import: the cache it appended to is taken back
        first, second = second, first
        halves.reverse()
        assert (Store(db).builds / staging.UNDO / "undo.json").is_file()
    undone = Store(db).builds / staging.UNDO / "staged.duckdb"
    inode = undone.stat().st_ino if undone.exists() else None
    Store(db, folder, folder, imports).rollback(first.batch_id)
    if which == "second":
        assert (Store(db).builds / staging.CACHE / "staged.duckdb").stat().st_ino == inode, "not taken back"
    cache = staging.load_cache(Store(db).builds, folder, imports, db.resolve())
    assert cache is not None and cache.rows["figures"] == tables_count(db, "figures")
    assert not (Store(db).builds / staging.UNDO).exists()

    _, again = Store(db, folder, folder, imports).import_file(halves[0], "a-again.csv")
    assert again is not None and written == []
    # the second half again, in a new file: each row conflicts with the stored second batch
    checked, third = Store(db, folder, folder, imports).import_file(
        halves[1].replace(b"\n", b"\r\n"), "b-again.csv"
    )
    assert third is None and written == []
    conflicts = [p for p in checked.problems if "conflicts with" in p.reason]
    assert conflicts and all(p.file == "b-again.csv" for p in conflicts)
    stored = f"{imports.name}/{second.batch_id}/figures.csv row 2:"
    assert any(stored in p.reason for p in conflicts if p.row == 2), conflicts[:3]
    assert tables_of(db) == _full_build(folder, imports, tmp_path / "full" / "metrics.duckdb")


def _closure_with_a_total(folder: Path, imports: Path, db: Path):
    """Build, then a closure measure with a reported total over 10 and a maker of one-figure
    import files for it: file(role, value, as_of, title) -> bytes."""
    Store(db, data_dir=folder, sources_dir=folder, imports_dir=imports).build()
    with duckdb.connect(str(db.resolve()), read_only=True) as con:
        measure_id, body_id, counter, total = con.execute(
            "SELECT measure_id, body_id, counter, total FROM closures WHERE total_reported IS NOT NULL "
            "AND total > 10 ORDER BY measure_id LIMIT 1"
        ).fetchone()
    header = "body,measure_id,role,value,counter,as_written,as_of,evidence,source_title,source_publisher,source_published,source_reference\n"

    def file(role: str, value: int, date: str, title: str) -> bytes:
        written = f"{value}{counter}"
        row = [body_id, measure_id, role, str(value), counter, written, date, f"共{written}"]
        row += [title, "某办", "2030-01", title]
        return (header + ",".join(row) + "\n").encode()

    return int(total), file


def test_an_import_s_parts_are_checked_against_totals_before_and_after_them(synthetic, tmp_path):
    """An import checks only dates at or after its earliest figure, yet a new part over the total
    in force from an older report is refused, and so is a new total dated before a stored part
    that it would leave over the total; nothing is written either time."""
    folder, _ = synthetic
    imports = tmp_path / "imports"
    db = tmp_path / "db" / "metrics.duckdb"
    db.parent.mkdir()
    total, file = _closure_with_a_total(folder, imports, db)
    store = Store(db, folder, folder, imports)
    checked, over = store.import_file(file("closed", total + 1, "2030-02-01", "甲"), "over.csv")
    assert over is None
    assert [(p.row, p.column, p.reason) for p in checked.problems] == [
        (2, "value", f"{total + 1} exceeds the measure's total {total}"),
        (2, "value", f"parts add up to {total + 1}, more than the total {total}"),
    ]
    checked, fits = store.import_file(file("closed", total, "2030-02-01", "乙"), "fits.csv")
    assert fits is not None, "\n".join(map(str, checked.problems))
    before = tables_of(db)
    checked, earlier = store.import_file(file("total", total - 1, "2030-01-15", "丙"), "earlier.csv")
    assert earlier is None
    stored = [p for p in checked.problems if p.file == f"{imports.name}/{fits.batch_id}/figures.csv"]
    assert [(p.row, p.reason) for p in stored] == [
        (2, f"{total} exceeds the measure's total {total - 1}"),
        (2, f"parts add up to {total}, more than the total {total - 1}"),
    ], checked.problems
    assert tables_of(db) == before


def test_a_rollback_that_would_leave_parts_over_the_total_is_refused(synthetic, tmp_path):
    """A later batch's parts fit only the total the first batch reported: removing that total
    would leave them over the total before it, so the rollback is refused as a full build
    would refuse it, and nothing changes."""
    from metrics.store import RollbackRefused

    folder, _ = synthetic
    imports = tmp_path / "imports"
    db = tmp_path / "db" / "metrics.duckdb"
    db.parent.mkdir()
    total, file = _closure_with_a_total(folder, imports, db)
    checked, a = Store(db, folder, folder, imports).import_file(
        file("total", total * 3, "2030-01-01", "甲"), "a.csv"
    )
    assert a is not None, "\n".join(map(str, checked.problems))
    checked, b = Store(db, folder, folder, imports).import_file(
        file("closed", total * 2, "2030-02-01", "乙"), "b.csv"
    )
    assert b is not None, "\n".join(map(str, checked.problems))
    before = tables_of(db)
    with pytest.raises(RollbackRefused, match="later data relies on it") as refused:
        Store(db, folder, folder, imports).rollback(a.batch_id)
    assert any("exceeds the measure's total" in p.reason for p in refused.value.problems), (
        refused.value.problems
    )
    assert tables_of(db) == before


def _standings_agree(db: Path) -> int:
    """The stored standing (from each measure's four latest reports) equals the standing computed
    from the whole history; returns how many measures have more than four reports."""
    with duckdb.connect(str(db.resolve()), read_only=True) as con:
        stored, computed = (
            con.execute(f"SELECT * FROM {macro}(DATE '2999-12-31', 30) ORDER BY measure_id").df()
            for macro in ("progress_now", "progress_at")
        )
        import pandas as pd

        pd.testing.assert_frame_equal(stored, computed)
        assert stored.rank_before.notna().any()
        return con.execute(
            "SELECT count(*) FROM (SELECT measure_id FROM progress_history GROUP BY 1 HAVING count(*) > 4)"
        ).fetchone()[0]


def test_a_long_history_keeps_four_reports_a_measure_and_its_standing_exact(tmp_path):
    """Seven rounds: the stored four latest reports per measure give the standing computed from
    the whole history, after a full build, after a weekly import, and after an import of three
    as-of forms of one date (2031, 2031-01, 2031-01-01: the most reports one date can have);
    the incremental tables equal a full build's each time."""
    folder = tmp_path / "data"
    synth.generate(folder, 12, 7, 11)
    (week,) = synth.hold_out_last_round(folder)
    imports = tmp_path / "imports"
    db = tmp_path / "db" / "metrics.duckdb"
    db.parent.mkdir()
    total, file = _closure_with_a_total(folder, imports, db)
    assert _standings_agree(db) > 0
    checked, batch = Store(db, folder, folder, imports).import_file(week, "week.csv")
    assert batch is not None, "\n".join(map(str, checked.problems))
    assert _standings_agree(db) > 0
    assert tables_of(db) == _full_build(folder, imports, tmp_path / "full-1" / "metrics.duckdb")
    header, *rows = (
        file("closed", total - i, as_of, f"form {i}").split(b"\n", 1)
        for i, as_of in enumerate(("2031", "2031-01", "2031-01-01"))
    )
    forms = header[0] + b"\n" + header[1] + b"".join(row for _, row in rows)
    checked, batch = Store(db, folder, folder, imports).import_file(forms, "forms.csv")
    assert batch is not None, "\n".join(map(str, checked.problems))
    _standings_agree(db)
    with duckdb.connect(str(db.resolve()), read_only=True) as con:
        assert (
            con.execute(
                "SELECT count(*) FROM progress_recent WHERE as_of_date = DATE '2031-01-01'"
            ).fetchone()[0]
            == 3
        )
    assert tables_of(db) == _full_build(folder, imports, tmp_path / "full-2" / "metrics.duckdb")
    # a part added to the newest of those reports: its stored row is recomputed, not kept twice
    checked, batch = Store(db, folder, folder, imports).import_file(
        file("in_progress", 1, "2031-01-01", "added"), "added.csv"
    )
    assert batch is not None, "\n".join(map(str, checked.problems))
    _standings_agree(db)
    assert tables_of(db) == _full_build(folder, imports, tmp_path / "full-3" / "metrics.duckdb")


def test_a_build_stores_the_tables_of_stored_order_in_that_order(synthetic, tmp_path):
    """A lookup of a few measures' reports (进度's trends) skips the blocks of other measures only
    when the stored rows are in measure order: a full build writes them so."""
    folder, _ = synthetic
    db = tmp_path / "db" / "metrics.duckdb"
    db.parent.mkdir()
    Store(db, data_dir=folder, sources_dir=folder).build()
    with duckdb.connect(str(db), read_only=True) as con:
        for table, order in schema.STORED_ORDER.items():
            stored = con.execute(f"SELECT {order} FROM {table} ORDER BY rowid").fetchall()
            assert len(stored) > 100
            assert stored == sorted(stored), f"{table} is not stored in the order {order}"
