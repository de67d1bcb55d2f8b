"""The store: the published database, its builds and the imported batches, and the one way to
write them (``Store``). The CLI and the pages write only through it.

Layout, for the database path ``D`` (``data/metrics.duckdb`` or ``$METRICS_DB``)::

    D                      symlink to the published build: readers open what it points to
    .D.builds/             the builds (the published one and the one before it, for readers
                           that resolved the link just before a swap), staging-cache/ (the
                           staged text of the last build), write.lock, journal.json
    <imports>/<batch_id>/  the stored batches (metrics.batches)

Every write holds the writer lock (``metrics.lock``) from start to end: a second writer waits,
with a message, up to ``$METRICS_LOCK_TIMEOUT`` seconds (default 600), and batch ids are handed
out under it. A write is a sequence whose every prefix is either "before" or "after":

1. recover: finish a write that reached its commit point, remove what killed writes left;
2. check everything and write the new build aside (a file nobody reads yet);
3. an import writes its batch aside (a hidden folder nobody lists);
4. an import or a rollback writes the journal (batch, build): its commit point;
5. point ``D`` at the new build by one rename: readers see "after" from here (a plain build's
   commit point);
6. move the batch into place, or delete the rolled-back one; delete the journal;
7. keep the staged text for the next import (losing it costs only speed).

A rollback of a batch nothing left relies on, on top of an unchanged build, makes its new build
at step 2 as a copy of the published one with the batch's rows deleted (``database.remove``),
and at step 7 keeps the staged text without them; its steps and kill points are the others'.

A kill before 4 leaves "before" (its leftovers go at the next write); after 4, the next write
(or listing the batches) rolls forward from the journal to "after". Readers never wait: they
open the build the link points to, which is always complete.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from metrics import batches, curated, database, ingest, lock, paths, staging
from metrics.database import DataError
from metrics.validate import read_source_texts

__all__ = ["DataError", "Store", "StoreBusy", "StoreError", "RollbackRefused"]

# Test hook: a process whose environment names a step here kills itself (SIGKILL) on reaching
# it, so that the fault tests can stop a real write at every point of its sequence.
KILL_AT = "METRICS_KILL_AT"
STEPS = ("checked", "built", "aside", "journaled", "published", "finished")
REMOVED = "removed"  # a rollback's rows deleted from a copy of the build (``Store._remove``)


class StoreError(Exception):
    """The store cannot be written (a full or read-only disk, …); nothing was changed."""


class StoreBusy(StoreError):
    """Another writer held the store longer than this one would wait; nothing was changed."""


class RollbackRefused(StoreError):
    """A batch cannot be rolled back alone: later data relies on it (``problems`` say where);
    nothing was changed."""

    def __init__(self, message: str, problems: list):
        super().__init__(message)
        self.problems = problems


def _reached(step: str) -> None:
    if os.environ.get(KILL_AT) == step:
        os.kill(os.getpid(), signal.SIGKILL)


class Store:
    """The database ``db_path`` built from ``data_dir`` and the batches in ``imports_dir``, with
    quotes checked against the texts in ``sources_dir`` (defaults: ``metrics.paths``); missing
    texts are an error when ``require_texts`` (default: in CI)."""

    def __init__(
        self,
        db_path: Path | None = None,
        data_dir: Path | None = None,
        sources_dir: Path | None = None,
        imports_dir: Path | None = None,
        require_texts: bool | None = None,
    ):
        self.db = Path(db_path or paths.default_db())
        self.data_dir = Path(data_dir or paths.DATA_DIR)
        self.sources_dir = Path(sources_dir or paths.sources_dir())
        self.imports = Path(imports_dir or paths.imports_dir(self.data_dir))
        self.builds = self.db.parent / f".{self.db.name}.builds"
        self.timeout = float(os.environ.get("METRICS_LOCK_TIMEOUT", "600"))
        self.require_texts = database.require_source_texts() if require_texts is None else require_texts

    @property
    def journal(self) -> Path:
        return self.builds / "journal.json"

    # --- reading (never waits) -------------------------------------------------------------------

    def published(self) -> Path | None:
        """The build readers open now, or None before the first build."""
        target = self.db.resolve()
        return target if target.is_file() else None

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection to the published build, by its own name: a connection made
        after a new build reads it, while older connections in this process read theirs."""
        for attempt in range(3):
            target = self.published()
            if target is None:
                raise FileNotFoundError(f"no database at {self.db}: run `python -m metrics build`")
            try:
                return duckdb.connect(str(target), read_only=True)
            except duckdb.IOException:
                if attempt == 2 or target.is_file():
                    raise  # else: replaced and deleted between resolving and opening; again
        raise AssertionError("unreachable")

    def batches(self) -> list[batches.Batch]:
        """The stored batches, oldest first (finishing first a write killed after its commit
        point, when no writer is at work)."""
        if self.journal.exists():
            try:
                with self._writing("recovery", timeout=0):
                    pass
            except StoreBusy:
                pass
        return batches.list_batches(self.imports)

    def cache(self) -> staging.Cache | None:
        """The staged text of the published build, if every input is still as it was."""
        published = self.published()
        if published is None or not self.db.is_symlink():
            return None
        return staging.load_cache(self.builds, self.data_dir, self.imports, published)

    def check(self, data: bytes, file_name: str, report: str | None = None) -> ingest.Checked:
        """Every problem an import of ``data`` (quoting ``report``) would meet; writes nothing,
        takes no lock. Raises ``tablefile.UnreadableFile`` when the file is not a table at all."""

        def checked(base: staging.Cache | None) -> ingest.Checked:
            result = ingest.read(data, file_name, self, base, report)
            return result if result.duplicate_of else ingest.against_data(result, self, base)

        return self._with_cache(checked)

    def _with_cache(self, work: Callable[[staging.Cache | None], object]):
        """``work(cache)``, or ``work(None)`` (read everything) when the cache turns out damaged
        or was replaced under a reader: a cache only ever costs speed, never a failure."""
        base = self.cache()
        if base is None:
            return work(None)
        try:
            return work(base)
        except duckdb.Error:
            return work(None)

    # --- writing (one writer at a time) ------------------------------------------------------------

    def build(self, on_wait: Callable[[str], None] | None = None) -> dict[str, int]:
        """Check all the data and publish a new build of it; returns row counts per table.
        Raises DataError (nothing written) or StoreError."""
        with self._writing("build", on_wait):
            return self._publish()

    def import_file(
        self,
        data: bytes,
        file_name: str,
        progress: Callable[[float], None] = lambda done: None,
        on_wait: Callable[[str], None] | None = None,
        report: str | None = None,
    ) -> tuple[ingest.Checked, batches.Batch | None]:
        """Check ``data`` and, if every row passes, store it as a batch and publish a build
        with it. Returns the check and the stored batch (None when nothing was written:
        problems, or the same bytes were imported before). ``report``: the text the rows quote,
        kept with the batch as its new source's text (every quote must be in it)."""
        with self._writing(f"import of {Path(file_name).name}", on_wait):
            progress(0.05)
            return self._with_cache(lambda base: self._import(data, file_name, base, progress, report))

    def rollback(self, batch_id: str, on_wait: Callable[[str], None] | None = None) -> batches.Batch:
        """Remove exactly one batch (and every row it added) and publish a build without it: its
        rows deleted from a copy of the published build when it can (``_remove``), else a full
        build. KeyError for an unknown batch; RollbackRefused when later data relies on it."""
        with self._writing(f"rollback of {batch_id}", on_wait):
            stored = {b.batch_id: b for b in batches.list_batches(self.imports)}
            if batch_id not in stored:
                raise KeyError(f"no batch {batch_id!r}; see `python -m metrics batches`")
            try:
                if not self._remove(batch_id):
                    self._publish(drop=batch_id)
            except DataError as error:
                raise RollbackRefused(
                    f"batch {batch_id} cannot be rolled back alone: later data relies on it "
                    "(roll those batches back first):",
                    error.problems,
                ) from error
            return stored[batch_id]

    def recover(self) -> None:
        """Finish or undo what a killed write left (every write does this first)."""
        with self._writing("recovery"):
            pass

    @contextmanager
    def _writing(
        self, what: str, on_wait: Callable[[str], None] | None = None, timeout: float | None = None
    ) -> Iterator[None]:
        """Hold the writer lock, recover, then run the block; OS errors become StoreError."""
        try:
            with lock.exclusive(
                self.builds / "write.lock",
                what,
                self.timeout if timeout is None else timeout,
                on_wait or (lambda message: None),
            ):
                self._recover()
                yield
        except lock.Busy as error:
            raise StoreBusy(str(error)) from None
        except (OSError, duckdb.IOException) as error:
            after = " (it will be finished by the next write)" if self.journal.exists() else ""
            raise StoreError(f"cannot write the store: {error}; nothing was changed{after}") from error

    def _import(
        self, data: bytes, file_name: str, base, progress, report: str | None
    ) -> tuple[ingest.Checked, batches.Batch | None]:
        checked = ingest.read(data, file_name, self, base, report)
        if checked.duplicate_of:
            return checked, None
        if not checked.ok:  # report every problem, as a dry run would
            return ingest.against_data(checked, self, base), None
        progress(0.2)
        batch = batches.Batch(
            batch_id=checked.batch_id,
            file_name=Path(file_name).name,
            sha256=checked.sha256,
            imported_at=datetime.now(UTC).isoformat(timespec="seconds"),
            rows=len(checked.added_rows),
            kind=checked.kind,
        )
        try:
            self._publish(checked.tables, batch, base, texts=checked.texts)
        except DataError as error:
            return ingest.with_data_problems(checked, error), None
        progress(1.0)
        return checked, batch

    def _publish(
        self,
        pending: dict[str, pd.DataFrame] | None = None,
        batch: batches.Batch | None = None,
        base: staging.Cache | None = None,
        drop: str | None = None,
        texts: dict[str, bytes] | None = None,
    ) -> dict[str, int]:
        """Steps 2 to 7 of the module docstring: a full build, or with ``base`` the published
        build plus ``pending`` rows; storing ``batch`` (those rows) or removing ``drop``."""
        self.builds.mkdir(parents=True, exist_ok=True)
        previous = self.published()
        tmp = self.builds / f"{self.db.stem}.{os.getpid()}.tmp"
        without = (drop,) if drop else ()
        try:
            with database.checked(
                self.data_dir,
                self.sources_dir,
                self.require_texts,
                self.imports,
                pending,
                self.builds,
                base if previous else None,
                without,
                texts,
            ) as (staged, source_texts):
                _reached("checked")
                if base and previous:
                    database.append(staged, previous, tmp)
                else:
                    database.write(staged, tmp)
                listed = batches.list_batches(self.imports, without) + ([batch] if batch else [])
                database.facts(staged, source_texts, tmp, self.data_dir, listed)
                counts = {table: staged.count(table) for table in curated.TABLES}
                version = self._version()
                os.rename(tmp, version)
                _fsync(version)
                _reached("built")
                plain = {t: frame.reset_index(drop=True) for t, frame in (pending or {}).items()}
                if batch:
                    batches.write_aside(self.imports, batch, plain, texts or {})
                    _reached("aside")
                entry = {
                    "op": "import" if batch else "rollback",
                    "batch_id": batch.batch_id if batch else drop,
                }
                if batch or drop:
                    self._write_journal({**entry, "build": version.name})
                    _reached("journaled")
                self._point(version)
                _reached("published")
                if batch or drop:
                    self._finish(entry)
                _reached("finished")
                self._keep(staged, source_texts, version, batch, plain)
        finally:
            for leftover in (tmp, Path(f"{tmp}.wal")):
                leftover.unlink(missing_ok=True)
        self._prune()
        return counts

    def _remove(self, batch_id: str) -> bool:
        """A rollback without a full build: steps 2 to 7 with the new build a copy of the
        published one without the batch's rows (``database.remove``), when the published build
        is of every input as it is now (its staging cache is valid) and nothing left relies on
        the batch. False, having changed nothing, when it cannot: then a full build decides."""
        previous, base = self.published(), self.cache()
        if previous is None or base is None:
            return False
        self.builds.mkdir(parents=True, exist_ok=True)
        tmp = self.builds / f"{self.db.stem}.{os.getpid()}.tmp"
        columns = curated.dictionary(self.data_dir / "dictionary.csv")
        listed = batches.list_batches(self.imports, (batch_id,))
        work = Path(tempfile.mkdtemp(prefix="staging-", dir=self.builds))  # DuckDB's spill folder
        try:
            if not database.remove(
                previous, tmp, self.imports / batch_id, columns, work, listed, self._texts_verified
            ):
                return False
            _reached(REMOVED)  # only here: the fault tests see that a rollback took this path
            _reached("checked")
            version = self._version()
            os.rename(tmp, version)
            _fsync(version)
            _reached("built")
            entry = {"op": "rollback", "batch_id": batch_id}
            self._write_journal({**entry, "build": version.name})
            _reached("journaled")
            self._point(version)
            _reached("published")
            self._finish(entry)
            _reached("finished")
            try:
                staging.keep_without(base, self.builds, self.data_dir, self.imports, batch_id, version)
            except (OSError, duckdb.Error):  # losing the cache costs only speed
                shutil.rmtree(self.builds / staging.CACHE, ignore_errors=True)
                shutil.rmtree(self.builds / staging.UNDO, ignore_errors=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
            for leftover in (tmp, Path(f"{tmp}.wal")):
                leftover.unlink(missing_ok=True)
        self._prune()
        return True

    def _texts_verified(self, con) -> bool:
        """build_info's source_texts_verified for the sources in the database ``con``."""
        named = con.execute("SELECT source_id, file_name FROM sources WHERE file_name IS NOT NULL").df()
        texts = read_source_texts(named, self.sources_dir, self.imports)
        return all(t.text is not None for t in texts.values() if t.data is not None)

    def _version(self) -> Path:
        """A new, unused build file name (names sort by time)."""
        stamp = datetime.now(UTC)
        while (version := self.builds / f"{self.db.stem}-{stamp:%Y%m%dT%H%M%S%f}.duckdb").exists():
            stamp = datetime.now(UTC)
        return version

    def _write_journal(self, entry: dict[str, str]) -> None:
        fresh = self.builds / ".journal.tmp"
        with fresh.open("w", encoding="utf-8") as f:
            json.dump(entry, f)
            f.flush()
            os.fsync(f.fileno())
        os.rename(fresh, self.journal)
        batches.fsync_dir(self.builds)

    def _finish(self, entry: dict[str, str]) -> None:
        """Step 6: the batch moved into place (import) or deleted (rollback); journal deleted."""
        if entry["op"] == "import":
            batches.commit(self.imports, entry["batch_id"])
        else:
            batches.remove(self.imports, entry["batch_id"])
        self.journal.unlink(missing_ok=True)
        batches.fsync_dir(self.builds)

    def _point(self, version: Path) -> None:
        """Make the database path a symlink to ``version`` in one atomic rename."""
        link = self.db.parent / f".{self.db.name}.link-{os.getpid()}"
        link.unlink(missing_ok=True)
        link.symlink_to(version.relative_to(self.db.parent))
        os.replace(link, self.db)
        batches.fsync_dir(self.db.parent)

    def _keep(self, staged: staging.Staged, texts, version: Path, batch, plain) -> None:
        """Step 7: keep the staged text for the next import, when the rows just added will be
        read back at their stored lines (one line each); a failure costs only speed."""
        stored = {}
        if batch:
            if any(frame[c].str.contains("[\r\n]").any() for frame in plain.values() for c in frame):
                shutil.rmtree(self.builds / staging.UNDO, ignore_errors=True)
                return
            stored = {t: f"{self.imports.name}/{batch.batch_id}/{t}.csv" for t in batches.TABLES}
        try:
            staged.keep(
                self.builds,
                self.data_dir,
                self.imports,
                sorted(str(t.path) for t in texts.values()),
                version,
                stored,
                batch.batch_id if batch else None,
            )
        except (OSError, duckdb.Error):
            shutil.rmtree(self.builds / staging.CACHE, ignore_errors=True)
            shutil.rmtree(self.builds / staging.UNDO, ignore_errors=True)

    def _prune(self) -> None:
        """Delete every build but the published one and the newest other (open readers keep
        the file they have open until they close it)."""
        published = self.published()
        others = sorted(p for p in self.builds.glob("*.duckdb") if p != published)
        for old in others[:-1]:
            old.unlink(missing_ok=True)

    def _recover(self) -> None:
        """Step 1: roll a write that reached its commit point forward; remove leftovers of
        killed writes; rebuild if the published build does not hold exactly the stored batches."""
        if not self.builds.is_dir():
            return
        entry = self._read_journal()
        if entry:
            version = self.builds / entry.get("build", "")
            if version.is_file():
                self._point(version)
            self._finish(entry)
        for pattern in ("*.tmp", "*.tmp.wal", "staging-*", f".{staging.CACHE}-*", ".journal.tmp"):
            for leftover in set(self.builds.glob(pattern)) - {self.builds / staging.CACHE}:
                shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink()
        for leftover in self.db.parent.glob(f".{self.db.name}.link-*"):
            leftover.unlink(missing_ok=True)
        batches.clean(self.imports)
        published = self._published_batches() if self.published() else []
        if published != [b.batch_id for b in batches.list_batches(self.imports)]:
            if published and not self.imports.is_dir():
                raise StoreError(
                    f"the published build holds {len(published)} batches but the imports folder "
                    f"{self.imports} does not exist (is METRICS_IMPORTS_DIR right?); nothing was changed"
                )
            self._publish()  # a batch folder added or deleted by hand: the kept files are the truth
        self._prune()

    def _read_journal(self) -> dict[str, str] | None:
        try:
            entry = json.loads(self.journal.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError:  # cannot happen (written aside, then renamed); treat as no commit
            self.journal.unlink()
            return None
        return entry if entry.get("op") in ("import", "rollback") and entry.get("batch_id") else None

    def _published_batches(self) -> list[str] | None:
        """The batch ids the published build was made with (None when it cannot say)."""
        try:
            with self.connect() as con:
                return [
                    b for (b,) in con.execute("SELECT batch_id FROM batches ORDER BY batch_id").fetchall()
                ]
        except duckdb.Error:
            return None


def _fsync(path: Path) -> None:
    with path.open("rb") as f:
        os.fsync(f.fileno())
