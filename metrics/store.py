"""Build the DuckDB file from the curated CSVs, atomically, and open it.

``build`` validates everything first, writes a new database beside the target
and only then renames it over the target, so a failed build leaves the
previous file untouched and usable.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from metrics import curated, paths, schema
from metrics.validate import Problem, read_source_texts, validate


class DataError(Exception):
    """The curated data has problems; nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the data:\n" + "\n".join(map(str, problems)))


def require_source_texts() -> bool:
    """Missing source texts are an error in CI, a warning elsewhere."""
    return os.environ.get("CI", "").lower() == "true"


def load_checked(data_dir: Path, sources_dir: Path, require_texts: bool):
    """Curated tables (as text), columns and source texts; raises DataError on any problem."""
    columns = curated.dictionary(data_dir / "dictionary.csv")
    try:
        tables = curated.read_tables(data_dir)
    except curated.CsvShapeError as error:
        raise DataError([Problem(error.path.name, error.line, "", error.reason)]) from error
    except OSError as error:
        raise DataError(
            [Problem(str(error.filename or data_dir), 1, "", error.strerror or str(error))]
        ) from error
    texts = read_source_texts(tables["sources"], sources_dir)
    problems = validate(tables, columns, texts, require_texts)
    if problems:
        raise DataError(problems)
    return tables, columns, texts


def typed(df: pd.DataFrame, columns: list[curated.Column]) -> pd.DataFrame:
    """Text cells converted to their dictionary types; '' becomes NULL."""
    out = df.replace("", None)
    for col in columns:
        if col.type in ("number", "integer"):
            out[col.name] = pd.to_numeric(out[col.name])
    return out


def build(
    db_path: Path | None = None,
    data_dir: Path = paths.DATA_DIR,
    sources_dir: Path | None = None,
    require_texts: bool | None = None,
) -> dict[str, int]:
    """Validate ``data_dir`` and build ``db_path`` atomically. Returns row counts per table."""
    db_path = Path(db_path or paths.default_db())
    sources_dir = Path(sources_dir or paths.sources_dir())
    require_texts = require_source_texts() if require_texts is None else require_texts
    tables, columns, texts = load_checked(data_dir, sources_dir, require_texts)

    db_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=db_path.name + ".", suffix=".tmp", dir=db_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # DuckDB wants to create the file itself
    try:
        con = duckdb.connect(str(tmp))
        try:
            schema.create(con, columns)
            for table in curated.TABLES:
                frame = typed(tables[table], columns[table])  # noqa: F841 (read by DuckDB)
                con.execute(f"INSERT INTO {table} SELECT * FROM frame")
            con.execute(
                "CREATE TABLE build_info AS SELECT ?::TIMESTAMP AS built_at, ? AS data_dir, "
                "? AS source_texts_verified",
                [
                    datetime.now(UTC).replace(tzinfo=None),
                    str(data_dir),
                    all(t.text is not None for t in texts.values()),
                ],
            )
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, db_path)
    finally:
        for leftover in (tmp, Path(str(tmp) + ".wal")):
            leftover.unlink(missing_ok=True)
    return {table: len(tables[table]) for table in curated.TABLES}


def connect(db_path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a built database (build it first with ``build``)."""
    db_path = Path(db_path or paths.default_db())
    if not db_path.is_file():
        raise FileNotFoundError(f"no database at {db_path}: run `python -m metrics build`")
    return duckdb.connect(str(db_path), read_only=True)
