"""Build the DuckDB file from the curated CSVs, atomically, and open it.

``build`` stages and validates everything first (``checked``), writes a new
database beside the target from the staged text and only then renames it over
the target, so a failed build leaves the previous file untouched and usable.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from metrics import batches, curated, paths, schema, staging
from metrics.validate import Problem, SourceText, read_source_texts, source_files, validate


class DataError(Exception):
    """The curated data has problems; nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the data:\n" + "\n".join(map(str, problems)))


def require_source_texts() -> bool:
    """Missing source texts are an error in CI, a warning elsewhere."""
    return os.environ.get("CI", "").lower() == "true"


@contextmanager
def checked(
    data_dir: Path,
    sources_dir: Path,
    require_texts: bool,
    imports_dir: Path | None = None,
    pending: dict[str, pd.DataFrame] | None = None,
    folder: Path | None = None,
    base: staging.Cache | None = None,
) -> Iterator[tuple[staging.Staged, dict[str, SourceText]]]:
    """The curated tables and the stored batches (or the ``base`` staged from them before) and
    ``pending`` rows (text, keyed by table as ``curated.location`` indexes them) staged in
    DuckDB and checked, with the source texts; raises DataError listing every problem."""
    columns = curated.dictionary(data_dir / "dictionary.csv")
    imports_dir = imports_dir or paths.imports_dir(data_dir)
    with staging.stage(columns, data_dir, imports_dir, pending, folder, base=base) as staged:
        texts = {} if staged.problems else read_source_texts(source_files(staged), sources_dir)
        problems = validate(staged, texts, require_texts)
        if problems:
            raise DataError(problems)
        yield staged, texts


def build(
    db_path: Path | None = None,
    data_dir: Path = paths.DATA_DIR,
    sources_dir: Path | None = None,
    require_texts: bool | None = None,
    imports_dir: Path | None = None,
    pending: dict[str, pd.DataFrame] | None = None,
    before_swap: Callable[[], None] | None = None,
    stored: dict[str, str] | None = None,
) -> dict[str, int]:
    """Validate the curated data, the stored batches and ``pending`` rows, and build ``db_path``
    atomically: the new file replaces the old one only when complete. ``before_swap`` runs
    after the new file is complete and before it replaces the old one (an import stores its
    batch there, in the files ``stored`` names per table). Returns row counts per table.

    Every build keeps its staged text (``metrics.staging.Cache``). When ``pending`` rows are all
    that is new since the build ``db_path`` points to, only they are staged and checked, and
    the new file is that build plus them (``_append``); else everything is read and written.
    """
    db_path = Path(db_path or paths.default_db())
    sources_dir = Path(sources_dir or paths.sources_dir())
    imports_dir = imports_dir or paths.imports_dir(data_dir)
    require_texts = require_source_texts() if require_texts is None else require_texts
    builds = builds_dir(db_path)
    builds.mkdir(parents=True, exist_ok=True)
    previous = db_path.resolve() if db_path.is_symlink() and db_path.is_file() else None
    base = cache_for(db_path, data_dir, imports_dir) if pending else None
    fd, tmp_name = tempfile.mkstemp(prefix=db_path.stem + ".", suffix=".tmp", dir=builds)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # DuckDB wants to create the file itself
    try:
        with checked(data_dir, sources_dir, require_texts, imports_dir, pending, builds, base) as (
            staged,
            texts,
        ):
            if base:
                _append(staged, previous, tmp)
            else:
                _write(staged, tmp)
            counts = {table: staged.count(table) for table in curated.TABLES}
            version = builds / f"{db_path.stem}-{datetime.now(UTC):%Y%m%dT%H%M%S%f}.duckdb"
            os.rename(tmp, version)
            try:
                if before_swap:
                    before_swap()
                _facts(staged, texts, version, data_dir, batches.list_batches(imports_dir))
                _point(db_path, version)
            except BaseException:
                version.unlink(missing_ok=True)
                raise
            if not pending or stored:
                _keep(staged, builds, data_dir, imports_dir, texts, version, stored or {})
    finally:
        for leftover in (tmp, Path(str(tmp) + ".wal")):
            leftover.unlink(missing_ok=True)
    return counts


def _write(staged: staging.Staged, path: Path) -> None:
    """The database file ``path``: typed tables from the staged text, then the derived tables."""
    with _attached(staged, path) as con:
        schema.create(con, staged.columns)
        for table in curated.TABLES:
            con.execute(
                schema.insert_from_text(table, staged.columns[table], f"{staging.STAGE}.{table}__text")
            )
        schema.materialize(con)


def _append(staged: staging.Staged, previous: Path, path: Path) -> None:
    """The database file ``path``: a copy of the build ``previous`` with the staged new rows
    added and the derived tables brought up to date."""
    shutil.copyfile(previous, path)
    with _attached(staged, path) as con:
        for table in curated.TABLES:
            con.execute(
                schema.insert_from_text(table, staged.columns[table], f"{staging.STAGE}.{table}__text")
            )
        schema.refresh(con, f"{staging.STAGE}.measures__text", f"{staging.STAGE}.figures__text")


def _facts(staged: staging.Staged, texts, path: Path, data_dir: Path, stored: list[batches.Batch]) -> None:
    """The tables ``build_info`` and ``batches`` of the database file ``path``."""
    listing = pd.DataFrame(  # noqa: F841 (read by DuckDB)
        [asdict(b) for b in stored], columns=[f.name for f in fields(batches.Batch)]
    ).astype(str)
    with _attached(staged, path) as con:
        con.execute(
            "CREATE OR REPLACE TABLE build_info AS SELECT ?::TIMESTAMP AS built_at, ? AS data_dir, "
            "? AS source_texts_verified",
            [
                datetime.now(UTC).replace(tzinfo=None),
                str(data_dir),
                all(t.text is not None for t in texts.values() if t.data is not None),
            ],
        )
        con.execute("CREATE OR REPLACE TABLE batches AS SELECT * FROM listing")


@contextmanager
def _attached(staged: staging.Staged, path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The staging connection with the database file ``path`` attached and in use."""
    con = staged.con
    con.execute("ATTACH ? AS build", [str(path)])
    try:
        con.execute("USE build")
        yield con
    finally:
        con.execute(f"USE {staging.STAGE}")
        con.execute("DETACH build")


def _keep(staged, builds, data_dir, imports_dir, texts, version, stored) -> None:
    """Keep the staged text for the next import; a failure here costs only speed (the next
    import then reads everything), never the build just made."""
    try:
        staged.keep(
            builds, data_dir, imports_dir, sorted(str(t.path) for t in texts.values()), version, stored
        )
    except (OSError, duckdb.Error):
        shutil.rmtree(builds / staging.CACHE, ignore_errors=True)


def cache_for(db_path: Path, data_dir: Path, imports_dir: Path) -> staging.Cache | None:
    """The staged text of the build ``db_path`` points to, if every input is still as it was."""
    if not (db_path.is_symlink() and db_path.is_file()):
        return None
    return staging.load_cache(builds_dir(db_path), data_dir, imports_dir, db_path.resolve())


def builds_dir(db_path: Path) -> Path:
    """Hidden folder beside the database path holding the built files it points to."""
    return db_path.parent / f".{db_path.name}.builds"


def _point(db_path: Path, version: Path) -> None:
    """Make ``db_path`` a symlink to ``version`` in one atomic rename, then drop old builds.

    Every build is a new file with its own name, so a process can open the new one while it
    still reads the old (DuckDB shares one instance per path within a process, so reusing
    the path would hand back the old data). The previous build is kept for readers that
    resolved the link just before the swap; older ones are deleted (open readers keep
    theirs until they close it).
    """
    link = db_path.parent / f".{db_path.name}.link-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(version.relative_to(db_path.parent))
    previous = db_path.resolve() if db_path.is_symlink() else None
    os.replace(link, db_path)
    for old in version.parent.glob("*.duckdb"):
        if old not in (version, previous):
            old.unlink(missing_ok=True)


def connect(db_path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a built database (build it first with ``build``).

    Opens the build the path points to, by its own name, so a connection made after a
    rebuild reads the new build even while older connections in this process read the old.
    """
    db_path = Path(db_path or paths.default_db())
    if not db_path.is_file():
        raise FileNotFoundError(f"no database at {db_path}: run `python -m metrics build`")
    return duckdb.connect(str(db_path.resolve()), read_only=True)
