"""The one write path under fire (metrics.store.Store, metrics.lock): real processes importing,
rolling back and building at once, killed with SIGKILL at every step of their sequence and at
random moments, on a full or read-only disk. After each, the store must be exactly "before" or
exactly "after", every accepted batch present with every row once, and equal table by table to
a full rebuild from the kept files (curated data + stored batches).

Every store here is a copy of one built in tmp; the real data/ folder is only read.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from metrics import batches, lock, paths, staging
from metrics.store import REMOVED, STEPS, Store

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
CURATED_FIGURES = 98
MEASURES = [  # existing count measures: (body, measure_id, counter)
    ("天津", "tianjin_inaction_cases", "起"),
    ("内蒙古", "inner_mongolia_problems_found", "个"),
    ("上海", "shanghai_problem_list", "项"),
    ("民政部", "mca_problems_collected", "个"),
]
IMPORT_STEPS = STEPS  # checked, built, aside, journaled, published, finished
ROLLBACK_STEPS = tuple(s for s in STEPS if s != "aside")
BUILD_STEPS = ("checked", "built", "published", "finished")
COMMITTED = {"journaled", "published", "finished"}  # an import/rollback killed here is "after"


def import_file(folder: Path, k: int, rows: int = 8, source: str | None = None) -> Path:
    """Import file number ``k``: ``rows`` count figures of existing measures, on dates of its
    own (so no two files conflict), citing a new source of its own (or ``source``)."""
    start = datetime.date(2020, 1, 1) + datetime.timedelta(days=400 * k)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["body", "measure_id", "role", "value", "counter", "as_written", "as_of", "evidence"]
        + ["source_title", "source_publisher", "source_published", "source_reference"]
    )
    for i in range(rows):
        body, measure_id, counter = MEASURES[i % len(MEASURES)]
        value = 1000 * k + i
        day = start + datetime.timedelta(days=i // len(MEASURES))
        title, reference = (source, "同一号") if source else (f"第{k}期整改通报", f"通报〔2020〕{k}号")
        writer.writerow(
            [body, measure_id, "value", value, counter, f"{value}{counter}", day.isoformat()]
            + [f"累计{value}{counter}", title, "某办公室", "2020-01", reference]
        )
    path = folder / f"file-{k}.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """A store (db folder + empty imports folder) built once; tests copy it."""
    folder = tmp_path_factory.mktemp("pristine")
    Store(folder / "db" / "metrics.duckdb", DATA_DIR, paths.sources_dir(), folder / "imports").build()
    (folder / "imports").mkdir()
    return folder


@pytest.fixture
def home(pristine: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    shutil.copytree(pristine, folder, symlinks=True)
    return folder


def store_of(home: Path) -> Store:
    return Store(home / "db" / "metrics.duckdb", DATA_DIR, paths.sources_dir(), home / "imports")


def env_of(home: Path, **extra: str) -> dict[str, str]:
    env = dict(
        os.environ, METRICS_DB=str(home / "db" / "metrics.duckdb"), METRICS_IMPORTS_DIR=str(home / "imports")
    )
    for key in ("METRICS_KILL_AT", "METRICS_LOCK_TIMEOUT", "METRICS_MAX_IMPORT_MB"):
        env.pop(key, None)
    return env | extra


def start(home: Path, *args: str, preexec=None, **extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "metrics", *args],
        cwd=ROOT,
        env=env_of(home, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=preexec,
    )


def run(home: Path, *args: str, preexec=None, **extra: str) -> tuple[int, str]:
    process = start(home, *args, preexec=preexec, **extra)
    _, err = process.communicate(timeout=300)
    return process.returncode, err.decode()


def tables_of(db: Path) -> dict[str, list[tuple]]:
    """Every table of the build ``db`` points to, rows sorted (build_info aside: it has a time)."""
    with duckdb.connect(str(db.resolve()), read_only=True) as con:
        names = [
            n
            for (n,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE table_name <> 'build_info' ORDER BY 1"
            ).fetchall()
        ]
        return {n: sorted(con.execute(f"SELECT * FROM {n}").fetchall(), key=repr) for n in names}


def figure_count(db: Path) -> int:
    with duckdb.connect(str(db.resolve()), read_only=True) as con:
        return con.execute("SELECT count(*) FROM figures").fetchone()[0]


def assert_consistent(home: Path, tmp_path: Path) -> list[batches.Batch]:
    """Recover as the next write would; then: the published build holds exactly the stored
    batches, every row once, no leftovers, and equals a full rebuild from the kept files."""
    store = store_of(home)
    store.recover()
    stored = store.batches()
    with store.connect() as con:
        listed = [b for (b,) in con.execute("SELECT batch_id FROM batches ORDER BY 1").fetchall()]
        ids = con.execute("SELECT count(*), count(DISTINCT figure_id) FROM figures").fetchone()
    assert listed == [b.batch_id for b in stored]
    assert ids[0] == ids[1] == CURATED_FIGURES + sum(b.rows for b in stored)
    assert len({b.batch_id[:5] for b in stored}) == len(stored), "a batch number handed out twice"
    assert [p.name for p in store.imports.iterdir() if p.name.startswith(".")] == []
    leftovers = [p.name for p in store.builds.iterdir() if p.suffix not in (".duckdb", ".lock")]
    assert set(leftovers) <= {staging.CACHE, staging.UNDO}, leftovers
    assert len(list(store.builds.glob("*.duckdb"))) <= 2
    full = tmp_path / f"full-{time.monotonic_ns()}" / "metrics.duckdb"
    Store(full, DATA_DIR, paths.sources_dir(), store.imports).build()
    assert tables_of(store.db) == tables_of(full), "the store differs from a full rebuild of its files"
    return stored


# --- kill -9 at every step ------------------------------------------------------------------------


@pytest.mark.parametrize("step", IMPORT_STEPS)
def test_import_killed_at_each_step_is_before_or_after(home, tmp_path, step):
    path = import_file(tmp_path, 1)
    code, err = run(home, "import", str(path), METRICS_KILL_AT=step)
    assert code == -signal.SIGKILL, err
    # readers at once, before any recovery: a whole build, before or after
    assert figure_count(home / "db" / "metrics.duckdb") in (CURATED_FIGURES, CURATED_FIGURES + 8)
    stored = assert_consistent(home, tmp_path)
    assert len(stored) == (1 if step in COMMITTED else 0), step
    # the next import of the same file: added if the killed one was "before", else a no-op
    code, err = run(home, "import", str(path))
    assert code == 0, err
    assert ("already imported" in err) == (step in COMMITTED), err
    assert len(assert_consistent(home, tmp_path)) == 1


@pytest.mark.parametrize("step", ROLLBACK_STEPS)
def test_rollback_killed_at_each_step_is_before_or_after(home, tmp_path, step):
    for k in (1, 2):
        assert run(home, "import", str(import_file(tmp_path, k)))[0] == 0
    first = store_of(home).batches()[0]
    code, err = run(home, "rollback", first.batch_id, METRICS_KILL_AT=step)
    assert code == -signal.SIGKILL, err
    assert figure_count(home / "db" / "metrics.duckdb") in (CURATED_FIGURES + 8, CURATED_FIGURES + 16)
    stored = assert_consistent(home, tmp_path)
    assert (first.batch_id in [b.batch_id for b in stored]) == (step not in COMMITTED), step
    assert len(stored) == (1 if step in COMMITTED else 2)


@pytest.mark.parametrize("step", [REMOVED, *ROLLBACK_STEPS])
def test_rollback_without_a_full_build_killed_at_each_step_then_continued(home, tmp_path, step):
    """The rollback that deletes the batch's rows from a copy of the build (it reaches REMOVED:
    a full build never does), killed at each of its steps: before or after; then the other
    batch rolled back and a third imported, each equal to a full rebuild."""
    for k in (1, 2):
        assert run(home, "import", str(import_file(tmp_path, k)))[0] == 0
    first, second = store_of(home).batches()
    code, err = run(home, "rollback", second.batch_id, METRICS_KILL_AT=step)
    assert code == -signal.SIGKILL, f"{step}: not killed (did the rollback build fully?) {err}"
    stored = assert_consistent(home, tmp_path)
    assert [b.batch_id for b in stored] == (
        [first.batch_id] if step in COMMITTED else [first.batch_id, second.batch_id]
    )
    for batch in stored:
        assert run(home, "rollback", batch.batch_id)[0] == 0
    assert assert_consistent(home, tmp_path) == []
    assert run(home, "import", str(import_file(tmp_path, 3)))[0] == 0
    assert len(assert_consistent(home, tmp_path)) == 1


@pytest.mark.parametrize("step", BUILD_STEPS)
def test_build_killed_at_each_step_is_before_or_after(home, tmp_path, step):
    assert run(home, "import", str(import_file(tmp_path, 1)))[0] == 0
    before = tables_of(home / "db" / "metrics.duckdb")
    code, err = run(home, "build", METRICS_KILL_AT=step)
    assert code == -signal.SIGKILL, err
    assert tables_of(home / "db" / "metrics.duckdb") == before  # a rebuild of the same files
    assert len(assert_consistent(home, tmp_path)) == 1


def test_import_killed_at_random_moments_is_before_or_after(home, tmp_path):
    """Kills at moments no step names: fixed delays over the whole length of a larger import."""
    path = import_file(tmp_path, 1, rows=4000)
    began = time.monotonic()
    code, err = run(home, "import", str(path))
    duration = time.monotonic() - began
    assert code == 0, err
    store_of(home).rollback(store_of(home).batches()[0].batch_id)
    outcomes = []
    for fraction in (0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0):
        process = start(home, "import", str(path))
        time.sleep(duration * fraction)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        stored = assert_consistent(home, tmp_path)
        outcomes.append((fraction, process.returncode, len(stored)))
        for batch in stored:
            store_of(home).rollback(batch.batch_id)
    print(f"\nimport of 4000 rows: {duration:.2f} s; (delay fraction, exit, batches after): {outcomes}")
    assert any(n == 0 for _, _, n in outcomes), "no kill landed before the commit point"


# --- several writers at once ----------------------------------------------------------------------


def reader_script(db: Path, stop: Path) -> list[str]:
    """A process that opens the store again and again until ``stop`` exists; it prints one line
    per read (figures, rows the build's batches declare) or the error it met."""
    code = f"""
import sys, time, pathlib
from metrics.store import Store
store, stop, n = Store(pathlib.Path({str(db)!r})), pathlib.Path({str(stop)!r}), 0
while not stop.exists() or n < 3:
    try:
        with store.connect() as con:
            figures = con.execute("SELECT count(*) FROM figures").fetchone()[0]
            declared = con.execute("SELECT coalesce(sum(rows::INTEGER), 0) FROM batches").fetchone()[0]
            print(figures, declared, flush=True)
    except Exception as error:
        print("ERROR", type(error).__name__, error, flush=True)
    n += 1
    time.sleep(0.02)
"""
    return [sys.executable, "-c", code]


def test_concurrent_imports_and_rollbacks_all_land_while_a_reader_reads(home, tmp_path):
    # two batches to roll back, stored before the storm
    for k in (1, 2):
        assert run(home, "import", str(import_file(tmp_path, k)))[0] == 0
    old = [b.batch_id for b in store_of(home).batches()]
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        reader_script(home / "db" / "metrics.duckdb", stop), cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    files = [import_file(tmp_path, k) for k in range(3, 9)]
    writers = [start(home, "import", str(f)) for f in files]
    writers += [start(home, "rollback", batch_id) for batch_id in old]
    results = [(w.wait(timeout=600), w.stderr.read().decode()) for w in writers]
    stop.touch()
    reads, _ = reader.communicate(timeout=60)
    for code, err in results:
        assert code == 0, err
    stored = assert_consistent(home, tmp_path)
    assert sorted(b.file_name for b in stored) == sorted(f.name for f in files)
    assert not set(old) & {b.batch_id for b in stored}
    lines = reads.splitlines()
    assert lines and not [line for line in lines if line.startswith("ERROR")], lines[:5]
    for line in lines:  # every read saw a whole build: its figures are the curated ones + its batches'
        figures, declared = map(int, line.split())
        assert figures == CURATED_FIGURES + declared, line
    waited = sum("waiting up to" in err for _, err in results)
    print(f"\n{len(writers)} writers, {waited} waited for the lock; the reader read {len(lines)} times")


def test_the_same_file_twice_at_once_lands_once(home, tmp_path):
    path = import_file(tmp_path, 1)
    writers = [start(home, "import", str(path)) for _ in range(3)]
    errs = [(w.wait(timeout=300), w.stderr.read().decode()) for w in writers]
    assert [code for code, _ in errs] == [0, 0, 0], errs
    assert sum("already imported" in err for _, err in errs) == 2, errs
    assert len(assert_consistent(home, tmp_path)) == 1


def test_two_files_adding_the_same_new_source_at_once_both_land(home, tmp_path):
    files = [import_file(tmp_path, k, source="同一份新通报") for k in (1, 2)]
    writers = [start(home, "import", str(f)) for f in files]
    errs = [(w.wait(timeout=300), w.stderr.read().decode()) for w in writers]
    assert [code for code, _ in errs] == [0, 0], errs
    assert len(assert_consistent(home, tmp_path)) == 2
    with store_of(home).connect() as con:
        assert con.execute("SELECT count(*) FROM sources WHERE title = '同一份新通报'").fetchone()[0] == 1


def test_a_second_writer_waits_with_a_message_then_gives_up(home, tmp_path):
    path = import_file(tmp_path, 1)
    store = store_of(home)
    with lock.exclusive(store.builds / "write.lock", "test holding the lock", timeout=5):
        code, err = run(home, "import", str(path), METRICS_LOCK_TIMEOUT="1")
        assert code == 2, err
        assert f"pid {os.getpid()}, test holding the lock" in err
        assert "waiting up to 1 s" in err and "nothing was changed" in err
        waiting = start(home, "import", str(path), METRICS_LOCK_TIMEOUT="60")
        time.sleep(1.5)
        assert waiting.poll() is None, "the second writer did not wait"
    code = waiting.wait(timeout=120)
    assert code == 0, waiting.stderr.read().decode()
    assert len(assert_consistent(home, tmp_path)) == 1


# --- leftovers, damaged cache, disks that refuse writes ---------------------------------------------


def test_leftovers_of_killed_writes_are_removed_by_the_next_write(home, tmp_path):
    store = store_of(home)
    (store.builds / "metrics.123.tmp").write_bytes(b"half a database")
    (store.builds / "metrics.123.tmp.wal").write_bytes(b"wal")
    (store.builds / "staging-abc").mkdir()
    (store.builds / "staging-abc" / "staged.duckdb").write_bytes(b"x" * 1000)
    (store.builds / f".{staging.CACHE}-99").mkdir()
    (store.imports / ".pending-b0009_x").mkdir()
    (store.imports / ".tmp-b0001_old-7").mkdir()
    (store.db.parent / f".{store.db.name}.link-4242").symlink_to("nowhere")
    for k in range(3):  # old builds beyond the two kept
        (store.builds / f"metrics-2019010{k}T000000000000.duckdb").write_bytes(b"old")
    assert run(home, "import", str(import_file(tmp_path, 1)))[0] == 0
    assert [p.name for p in store.db.parent.iterdir() if p.name.startswith(f".{store.db.name}.link")] == []
    assert len(assert_consistent(home, tmp_path)) == 1


def test_a_damaged_cache_means_a_full_build_not_a_failure(home, tmp_path):
    store = store_of(home)
    (store.builds / staging.CACHE / "staged.duckdb").write_bytes(b"garbage" * 1000)
    code, err = run(home, "import", str(import_file(tmp_path, 1)))
    assert code == 0, err
    assert len(assert_consistent(home, tmp_path)) == 1


def test_a_batch_folder_deleted_by_hand_is_dropped_by_the_next_write(home, tmp_path):
    for k in (1, 2):
        assert run(home, "import", str(import_file(tmp_path, k)))[0] == 0
    first = store_of(home).batches()[0]
    shutil.rmtree(home / "imports" / first.batch_id)
    assert [b.batch_id for b in assert_consistent(home, tmp_path)] != [first.batch_id]


def _full_disk(limit: int):
    """In the child: files may grow to ``limit`` bytes; a write past it fails (EFBIG), as on a full disk."""

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limited


@pytest.mark.parametrize("command", ["import", "rollback", "build"])
def test_a_full_disk_gives_a_clear_error_and_changes_nothing(home, tmp_path, command):
    for k in (1, 2):
        assert run(home, "import", str(import_file(tmp_path, k)))[0] == 0
    before = tables_of(home / "db" / "metrics.duckdb")
    stored = store_of(home).batches()
    args = {
        "import": ["import", str(import_file(tmp_path, 3))],
        "rollback": ["rollback", stored[0].batch_id],
        "build": ["build"],
    }[command]
    code, err = run(home, *args, preexec=_full_disk(256 * 1024))
    assert code == 2, err
    assert "cannot write the store" in err and "Traceback" not in err, err
    assert tables_of(home / "db" / "metrics.duckdb") == before
    assert store_of(home).batches() == stored
    assert assert_consistent(home, tmp_path) == stored  # and the leftovers go with the next write


@contextmanager
def read_only(folder: Path):
    """``folder`` read-only for the block: a read-only bind mount for root (whom no permission
    bit stops), else permission bits."""
    if os.geteuid() != 0:
        for path in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
            path.chmod(0o555)
        try:
            yield
        finally:
            for path in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
                path.chmod(0o755)
        return
    subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@contextmanager
def full_disk(folder: Path, spare: int):
    """``folder`` on a file system with ``spare`` bytes free (root: a tmpfs holding a copy)."""
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    kept = folder.with_name(folder.name + "-kept")
    folder.rename(kept)
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size + spare}", "tmpfs", str(folder)], check=True)
    try:
        shutil.copytree(kept, folder, symlinks=True, dirs_exist_ok=True)
        yield
    finally:
        shutil.rmtree(kept)
        shutil.copytree(folder, kept, symlinks=True)
        subprocess.run(["umount", str(folder)], check=True)
        folder.rmdir()
        kept.rename(folder)


def test_a_read_only_store_gives_a_clear_error_and_changes_nothing(home, tmp_path):
    assert run(home, "import", str(import_file(tmp_path, 1)))[0] == 0
    before = tables_of(home / "db" / "metrics.duckdb")
    path = import_file(tmp_path, 2)
    with read_only(home):
        for args in (["import", str(path)], ["rollback", store_of(home).batches()[0].batch_id], ["build"]):
            code, err = run(home, *args)
            assert code == 2, err
            assert "cannot write the store" in err and "Read-only file system" in err or "ermission" in err, (
                err
            )
            assert "Traceback" not in err, err
    assert tables_of(home / "db" / "metrics.duckdb") == before
    assert len(assert_consistent(home, tmp_path)) == 1


@pytest.mark.skipif(
    os.geteuid() != 0 and os.environ.get("CI") != "true",
    reason="mounting a small file system takes root (CI runs as root, and there it always runs)",
)
def test_no_space_left_on_a_real_small_file_system(home, tmp_path):
    assert run(home, "import", str(import_file(tmp_path, 1)))[0] == 0
    before = tables_of(home / "db" / "metrics.duckdb")
    with full_disk(home, spare=512 * 1024):
        code, err = run(home, "import", str(import_file(tmp_path, 2, rows=50)))
        assert code == 2, err
        assert "No space left on device" in err and "Traceback" not in err, err
        assert tables_of(home / "db" / "metrics.duckdb") == before
    assert len(assert_consistent(home, tmp_path)) == 1


# --- the property: any sequence of writes and kills ends as a full rebuild of the kept files -------


@pytest.mark.parametrize("seed", [1, 2])
def test_any_sequence_of_imports_rollbacks_and_kills_equals_a_full_rebuild(home, tmp_path, seed):
    chance = random.Random(seed)
    log = []
    for k in range(1, 13):
        stored = store_of(home).batches()
        kill = chance.choice([None, None, *STEPS])
        if stored and chance.random() < 0.35:
            args = ["rollback", chance.choice(stored).batch_id]
            kill = None if kill == "aside" else kill
        else:
            args = ["import", str(import_file(tmp_path, k, rows=chance.randint(1, 12)))]
        extra = {"METRICS_KILL_AT": kill} if kill else {}
        code, err = run(home, *args, **extra)
        assert code == (-signal.SIGKILL if kill else 0), err
        log.append((args[0], kill, code))
        if chance.random() < 0.3:
            assert_consistent(home, tmp_path)
    stored = assert_consistent(home, tmp_path)
    print(f"\nseed {seed}: {log}; {len(stored)} batches stored")
