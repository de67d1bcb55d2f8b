"""The curated CSVs, the stored batches and pending rows, loaded as text into DuckDB for checking.

Every table of the dictionary becomes ``<table>__text`` in the attached database ``staged``: its
columns as VARCHAR ('' for an empty cell), rows in the order they were added (curated file
first, then batches oldest first, then pending rows). The view ``<table>`` adds ``_pos``, the
row's position in that order. Where each position came from (file and line) is kept beside, so
a problem that SQL finds is reported at its line.

CSV files are read by DuckDB's own reader, which loads millions of rows in seconds into a
database file whose memory is capped (it spills to disk). A file whose records do not each
fill one line (a quoted cell spanning lines, a blank line), or that DuckDB's reader refuses,
is read by Python's csv module instead, which knows each record's line and says precisely why
a file cannot be read.

Every build keeps what it staged (``Cache``). An import on top of it stages only its own rows:
``<table>`` then shows the cached rows followed by the new ones, ``<table>__new`` the new ones,
and the checks look only at what is new (``metrics.validate``).
"""

from __future__ import annotations

import bisect
import csv
import itertools
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pandas as pd

from metrics import batches, curated
from metrics.validate import Problem, did_you_mean

STAGE = "staged"
# DuckDB's memory for staging, checking and building; beyond it, it spills to the staging folder.
# With it a build, import or rollback of 5M figures peaks under 1 GB in all (docs/scaling.md).
MEMORY_LIMIT = os.environ.get("METRICS_MEMORY_LIMIT", "500MB")


@dataclass(frozen=True)
class Origin:
    """Rows ``first`` .. ``first + rows - 1`` of a table came from ``file``: from ``first_line``
    on, one line each, or from the lines listed in ``lines``."""

    first: int
    rows: int
    file: str
    first_line: int = 0
    lines: tuple[int, ...] | list[int] = ()

    def line(self, pos: int) -> int:
        return self.lines[pos - self.first] if self.lines else self.first_line + pos - self.first


CACHE = "staging-cache"  # folder, in the builds folder, of the staged text of the last build
# The cache an import appended to, kept beside with ``undo.json`` (the batch imported, the build
# made): a rollback of that batch while that build is still the last one takes it back as is.
UNDO = "undo-cache"


@dataclass(frozen=True)
class Cache:
    """The staged text of the last build, kept so that an import stages and checks only its own
    rows: ``staged.duckdb`` and ``cache.json`` (``inputs``: every input file with its size and
    time, so any change outside an import is seen; rows and origins per table; the database
    file built from it) in the folder ``CACHE``."""

    folder: Path
    inputs: list[list]
    texts: list[str]
    rows: dict[str, int]
    origins: dict[str, list[Origin]]
    build: str

    @property
    def database(self) -> Path:
        return self.folder / "staged.duckdb"


def input_files(data_dir: Path, imports_dir: Path, texts: list[str]) -> list[Path]:
    """Every file a build reads: the dictionary, the curated tables, the stored batches, ``texts``."""
    files = [data_dir / "dictionary.csv", *(data_dir / f"{table}.csv" for table in curated.TABLES)]
    for batch in batches.list_batches(imports_dir):
        folder = imports_dir / batch.batch_id
        # Every table's file, those a batch lacks too (fingerprinted as missing, so that a file
        # appearing later is a change).
        files += [folder / batches.META, *(folder / f"{table}.csv" for table in batches.TABLES)]
    return files + [Path(text) for text in texts]


def fingerprint(files: list[Path]) -> list[list]:
    """[path, size, modification time in ns] of every file (None, None for a missing one)."""
    found = []
    for path in files:
        try:
            stat = path.stat()
            found.append([str(path), stat.st_size, stat.st_mtime_ns])
        except OSError:
            found.append([str(path), None, None])
    return found


def load_cache(builds: Path, data_dir: Path, imports_dir: Path, build: Path) -> Cache | None:
    """The cache, if it was made with the database ``build`` and no input has changed since
    (a cache that cannot be read, e.g. from another version, is no cache)."""
    folder = builds / CACHE
    try:
        meta = json.loads((folder / "cache.json").read_text(encoding="utf-8"))
        if meta["build"] != build.name or not (folder / "staged.duckdb").is_file():
            return None
        if fingerprint(input_files(data_dir, imports_dir, meta["texts"])) != meta["inputs"]:
            return None
        origins = {table: [Origin(**o) for o in meta["origins"][table]] for table in curated.TABLES}
        return Cache(folder, meta["inputs"], meta["texts"], meta["rows"], origins, meta["build"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def keep_without(
    base: Cache, builds: Path, data_dir: Path, imports_dir: Path, batch_id: str, build: Path
) -> None:
    """Keep the cache ``base`` without the rows of the batch ``batch_id`` (now removed from
    ``imports_dir``) as the cache of the database ``build``: what a full build without the batch
    would have staged, rows in the same order. Written aside, then swapped in by two renames."""
    if _take_back(base, builds, data_dir, imports_dir, batch_id, build):
        return
    prefix = f"{imports_dir.name}/{batch_id}/"
    fresh = builds / f".{CACHE}-{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    try:
        rows, origins = {}, {}
        with duckdb.connect(
            str(fresh / "staged.duckdb"), config={"memory_limit": MEMORY_LIMIT, "temp_directory": str(fresh)}
        ) as con:
            con.execute("SET enable_progress_bar = false")
            con.execute("ATTACH ? AS base (READ_ONLY)", [str(base.database)])
            for table in curated.TABLES:
                gone = [o for o in base.origins[table] if o.file.startswith(prefix)]
                ranges = [value for o in gone for value in (o.first, o.first + o.rows)]
                where = " AND ".join(["NOT (rowid >= ? AND rowid < ?)"] * len(gone)) or "true"
                # rows keep their order (DuckDB preserves insertion order), so positions stay dense
                con.execute(
                    f"CREATE TABLE {table}__text AS SELECT * FROM base.{table}__text WHERE {where}", ranges
                )
                shift, kept = 0, []
                for o in base.origins[table]:
                    if o.file.startswith(prefix):
                        shift += o.rows
                    else:
                        kept.append(Origin(o.first - shift, o.rows, o.file, o.first_line, tuple(o.lines)))
                rows[table] = base.rows[table] - shift
                origins[table] = kept
        texts = [t for t in base.texts if not Path(t).is_relative_to(imports_dir / batch_id)]
        meta = {
            "inputs": fingerprint(input_files(data_dir, imports_dir, texts)),
            "texts": texts,
            "rows": rows,
            "origins": {table: [asdict(o) for o in listed] for table, listed in origins.items()},
            "build": build.name,
        }
        (fresh / "cache.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        old, trash = builds / CACHE, builds / f".{CACHE}-old-{os.getpid()}"
        if old.exists():
            os.rename(old, trash)
        os.rename(fresh, old)
        shutil.rmtree(trash, ignore_errors=True)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.rmtree(builds / UNDO, ignore_errors=True)


def _take_back(
    base: Cache, builds: Path, data_dir: Path, imports_dir: Path, batch_id: str, build: Path
) -> bool:
    """Make the ``UNDO`` cache the cache of ``build`` when it is the one the import of
    ``batch_id`` appended to and that import's build is still the last (``base`` is its cache):
    then it holds exactly the rows staged without the batch. False (nothing done) otherwise."""
    undo = builds / UNDO
    try:
        marker = json.loads((undo / "undo.json").read_text(encoding="utf-8"))
        meta = json.loads((undo / "cache.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if marker != {"batch_id": batch_id, "build": base.build} or not (undo / "staged.duckdb").is_file():
        return False
    (undo / "undo.json").unlink()
    meta["inputs"] = fingerprint(input_files(data_dir, imports_dir, meta["texts"]))
    meta["build"] = build.name
    (undo / "cache.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    old, trash = builds / CACHE, builds / f".{CACHE}-old-{os.getpid()}"
    if old.exists():
        os.rename(old, trash)
    os.rename(undo, old)
    shutil.rmtree(trash, ignore_errors=True)
    return True


def shape_problems(file: str, got: list[str], expected: list[str]) -> list:
    """A header must name exactly the dictionary's columns, in order."""
    problems = [Problem(file, 1, name, "missing column") for name in expected if name not in got]
    problems += [
        Problem(file, 1, name, f"unknown column{did_you_mean(name, expected)}")
        for name in got
        if name not in expected
    ]
    if not problems and got != expected:
        problems.append(Problem(file, 1, got[0], f"columns out of order; expected {','.join(expected)}"))
    return problems


class Staged:
    """Text tables in DuckDB, with the file and line of every row (see the module docstring).

    Rows are added to ``<table>__text``; the view ``<table>__new`` shows them with their
    positions. Given a ``base`` (the staged rows of the last build, already checked), the view
    ``<table>`` shows the base's rows first, then the new ones; without, all rows are new.
    Use as a context manager: the staging database lives in a temporary folder (in ``folder``
    when given, so that it spills beside the database being built) and is removed on exit.
    """

    def __init__(
        self, columns: dict[str, list[curated.Column]], folder: Path | None = None, base: Cache | None = None
    ):
        self.columns = columns
        self.base = base
        self.first_new = {table: base.rows[table] if base else 0 for table in curated.TABLES}
        self.origins: dict[str, list[Origin]] = {
            table: list(base.origins[table]) if base else [] for table in curated.TABLES
        }
        self.problems: list[Problem] = []  # files that could not be read as their table
        self.framed: dict[str, int] = {}  # position of the first row added from a frame, by table
        self._dir = tempfile.TemporaryDirectory(prefix="staging-", dir=folder)
        self.path = Path(self._dir.name) / "staged.duckdb"
        self.con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": self._dir.name})
        self.con.execute("SET enable_progress_bar = false")
        if base:
            self.con.execute("ATTACH ? AS base (READ_ONLY)", [str(base.database)])
        self.con.execute(f"ATTACH ? AS {STAGE}", [str(self.path)])
        self.con.execute(f"USE {STAGE}")
        for table in curated.TABLES:
            cells = ", ".join(f'"{c.name}" VARCHAR NOT NULL' for c in columns[table])
            self.con.execute(f"CREATE TABLE {table}__text ({cells})")
            first = self.first_new[table]
            self.con.execute(
                f"CREATE VIEW {table}__new AS SELECT *, rowid + {first} AS _pos FROM {table}__text"
            )
            every = f"SELECT *, rowid AS _pos FROM base.{table}__text UNION ALL " if base else ""
            self.con.execute(f"CREATE VIEW {table} AS {every}SELECT * FROM {table}__new")

    def __enter__(self) -> Staged:
        return self

    def __exit__(self, *exc) -> None:
        self.con.close()
        self._dir.cleanup()

    # --- adding rows ------------------------------------------------------------------------------

    def names(self, table: str) -> list[str]:
        return [c.name for c in self.columns[table]]

    def count(self, table: str) -> int:
        """Rows of ``table``, the base's and the new."""
        own = self.con.execute(f"SELECT count(*) FROM {STAGE}.{table}__text").fetchone()[0]
        return self.first_new[table] + own

    def add_csv(self, table: str, path: Path, file: str | None = None) -> None:
        """Add the rows of the CSV ``path``, reported as ``file`` (default: its name)."""
        file = file or path.name
        try:
            header = _header(path)
        except curated.CsvShapeError as error:
            self.problems.append(_problem(file, error.line, error.reason))
            return
        except OSError as error:
            self.problems.append(_problem(file, 1, error.strerror or str(error)))
            return
        wrong = shape_problems(file, header, self.names(table))
        if wrong:
            self.problems += wrong
            return
        first = self.count(table)
        if self._add_one_line_each(table, path, first):
            self.origins[table].append(Origin(first, self.count(table) - first, file, first_line=2))
            return
        try:
            frame = curated.read_csv_text(path)
        except curated.CsvShapeError as error:
            self.problems.append(_problem(file, error.line, error.reason))
            return
        self._insert(table, frame)
        self.origins[table].append(Origin(first, len(frame), file, lines=tuple(frame.index)))

    def _add_one_line_each(self, table: str, path: Path, first: int) -> bool:
        """Read ``path`` with DuckDB; keep the rows only if there is one per line after the header."""
        lines = _physical_lines(path)
        if lines is None:
            return False
        names = self.names(table)
        columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
        cells = ", ".join(f"coalesce(\"{n}\", '')" for n in names)
        self.con.execute("BEGIN")
        try:
            self.con.execute(
                f"INSERT INTO {table}__text SELECT {cells} FROM read_csv(?, columns = {columns}, "
                "header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
                "strict_mode = true)",
                [str(path)],
            )
        except duckdb.Error:
            self.con.execute("ROLLBACK")
            return False
        if self.count(table) - first != max(lines - 1, 0):
            self.con.execute("ROLLBACK")
            return False
        self.con.execute("COMMIT")
        return True

    def add_frame(self, table: str, frame: pd.DataFrame) -> None:
        """Add text rows indexed as ``curated.location`` reads them (a curated line or (file, line))."""
        wrong = shape_problems(f"{table}.csv", list(frame.columns), self.names(table))
        if wrong:
            self.problems += wrong
            return
        first = self.count(table)
        self.framed.setdefault(table, first)
        self._insert(table, frame)
        located = (curated.location(table, index) for index in frame.index)
        for file, run in itertools.groupby(located, key=lambda at: at[0]):
            lines = tuple(line for _, line in run)
            self.origins[table].append(Origin(first, len(lines), file, lines=lines))
            first += len(lines)

    def _insert(self, table: str, frame: pd.DataFrame) -> None:
        rows = frame.astype(str).reset_index(drop=True)  # noqa: F841 (read by DuckDB)
        self.con.execute(f"INSERT INTO {table}__text SELECT * FROM rows")

    # --- keeping for the next build ---------------------------------------------------------------

    def keep(
        self,
        builds: Path,
        data_dir: Path,
        imports_dir: Path,
        texts: list[str],
        build: Path,
        stored: dict[str, str],
        undo: str | None = None,
    ) -> None:
        """Keep every staged row (the base's and the new) as the cache for the next import, made
        with the database ``build``; rows added from frames are now stored in the file
        ``stored[table]``, from line 2 on. Replaces the cache folder in two renames; the
        connection is no longer usable afterwards. ``undo``: the batch these rows were imported
        as; the base cache is then kept as ``UNDO`` for its rollback (else ``UNDO`` goes)."""
        rows = {table: self.count(table) for table in curated.TABLES}
        origins = {table: self._stored_origins(table, stored) for table in curated.TABLES}
        fresh = builds / f".{CACHE}-{os.getpid()}"
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir()
        try:
            self._keep_in(fresh, builds, data_dir, imports_dir, texts, build, rows, origins, undo)
        finally:
            shutil.rmtree(fresh, ignore_errors=True)

    def _keep_in(self, fresh, builds, data_dir, imports_dir, texts, build, rows, origins, undo) -> None:
        self.con.execute("USE memory")
        if self.base:
            shutil.copyfile(self.base.database, fresh / "staged.duckdb")
            self.con.execute("ATTACH ? AS kept", [str(fresh / "staged.duckdb")])
            for table in curated.TABLES:
                self.con.execute(f"INSERT INTO kept.{table}__text SELECT * FROM {STAGE}.{table}__text")
            self.con.execute("DETACH kept")
        self.con.execute(f"DETACH {STAGE}")
        if not self.base:
            os.replace(self.path, fresh / "staged.duckdb")
        meta = {
            "inputs": fingerprint(input_files(data_dir, imports_dir, texts)),
            "texts": texts,
            "rows": rows,
            "origins": {table: [asdict(o) for o in listed] for table, listed in origins.items()},
            "build": build.name,
        }
        (fresh / "cache.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        old, trash = builds / CACHE, builds / f".{CACHE}-old-{os.getpid()}"
        shutil.rmtree(builds / UNDO, ignore_errors=True)
        if old.exists():
            os.rename(old, trash)
        os.rename(fresh, old)
        if undo and self.base and self.base.folder == old and trash.is_dir():
            marker = {"batch_id": undo, "build": build.name}
            (trash / "undo.json").write_text(json.dumps(marker), encoding="utf-8")
            os.rename(trash, builds / UNDO)
        shutil.rmtree(trash, ignore_errors=True)

    def _stored_origins(self, table: str, stored: dict[str, str]) -> list[Origin]:
        if table not in self.framed:
            return self.origins[table]
        first = self.framed[table]
        kept = [o for o in self.origins[table] if o.first < first]
        return [*kept, Origin(first, self.count(table) - first, stored[table], first_line=2)]

    # --- reading back -----------------------------------------------------------------------------

    def locate(self, table: str, pos: int) -> tuple[str, int]:
        """(file, line) of the row at position ``pos`` of ``table``."""
        origins = self.origins[table]
        origin = origins[bisect.bisect_right([o.first for o in origins], pos) - 1]
        return origin.file, origin.line(pos)

    def frame(self, table: str, columns: tuple[str, ...] = ()) -> pd.DataFrame:
        """A table's text cells (of ``columns``; all when empty), in order."""
        cells = ", ".join(f'"{c}"' for c in columns) or "* EXCLUDE (_pos)"
        return self.con.execute(f"SELECT {cells} FROM {table} ORDER BY _pos").df()


def stage(
    columns: dict[str, list[curated.Column]],
    data_dir: Path,
    imports_dir: Path,
    pending: dict[str, pd.DataFrame] | None = None,
    folder: Path | None = None,
    tables: tuple[str, ...] = curated.TABLES,
    base: Cache | None = None,
    without: tuple[str, ...] = (),
) -> Staged:
    """``tables`` of the curated data, then of every stored batch but those in ``without`` (or
    instead of both, the cached ``base``), then ``pending`` rows."""
    staged = Staged(columns, folder, base)
    try:
        for table in tables if base is None else ():
            staged.add_csv(table, data_dir / f"{table}.csv")
        for batch in batches.list_batches(imports_dir, without) if base is None else ():
            for table in batches.TABLES:
                path = batches.table_file(imports_dir, batch.batch_id, table)
                if table in tables and path is not None:  # a batch stored before it had none
                    staged.add_csv(table, path, f"{imports_dir.name}/{batch.batch_id}/{table}.csv")
        for table, frame in (pending or {}).items():
            if table in tables:
                staged.add_frame(table, frame)
    except BaseException:
        staged.__exit__()
        raise
    return staged


def read_frames(
    columns: dict[str, list[curated.Column]],
    data_dir: Path,
    imports_dir: Path,
    tables: dict[str, tuple[str, ...]],
    base: Cache | None = None,
) -> dict[str, pd.DataFrame]:
    """Some tables of the curated data and the stored batches (or of the cached ``base``
    staged from them), as text frames (unchecked): ``tables`` maps each to the columns to read
    (all when empty)."""
    with stage(columns, data_dir, imports_dir, tables=tuple(tables), base=base) as staged:
        return {table: staged.frame(table, wanted) for table, wanted in tables.items()}


def _problem(file: str, line: int, reason: str) -> Problem:
    return Problem(file, line, "", reason)


def _header(path: Path) -> list[str]:
    """The first record of a CSV, as Python's csv module reads it."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            return next(csv.reader(f), [])
    except UnicodeDecodeError as error:
        raise curated.CsvShapeError(
            path, 1, f"not UTF-8 text ({error.reason} at byte {error.start})"
        ) from error


def _physical_lines(path: Path) -> int | None:
    """Lines in the file (a last line without a newline counts), or None when a bare carriage
    return could end a line for one reader and not another."""
    newlines = returns = crlf = 0
    last = b""
    with path.open("rb") as f:
        while chunk := f.read(1 << 24):
            newlines += chunk.count(b"\n")
            returns += chunk.count(b"\r")
            crlf += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
            last = chunk[-1:]
    if returns != crlf:
        return None
    return newlines + (last not in (b"", b"\n"))
