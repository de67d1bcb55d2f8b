"""Check the data and write one database file from it. Nothing here publishes a file or knows
where the store lives: ``metrics.store.Store`` does that, under its writer lock.

``checked`` stages every table as text (``metrics.staging``) and validates it; ``write`` turns
the staged text into a new database file, ``append`` adds the staged new rows to a copy of
the last build, ``facts`` records the build's own facts (``build_info``, ``batches``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from metrics import batches, curated, schema, staging
from metrics.validate import Problem, SourceText, read_source_texts, source_files, validate


class DataError(Exception):
    """The data has problems; nothing was written."""

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
    imports_dir: Path,
    pending: dict[str, pd.DataFrame] | None = None,
    folder: Path | None = None,
    base: staging.Cache | None = None,
    without: tuple[str, ...] = (),
    pending_texts: dict[str, bytes] | None = None,
) -> Iterator[tuple[staging.Staged, dict[str, SourceText]]]:
    """The curated tables and the stored batches but those in ``without`` (or the ``base``
    staged from them before) and ``pending`` rows (text, keyed by table as
    ``curated.location`` indexes them) staged in DuckDB and checked, with the source texts;
    raises DataError listing every problem. ``pending_texts`` are the report texts kept with
    the pending rows' batch (see ``metrics.validate.read_source_texts``)."""
    columns = curated.dictionary(data_dir / "dictionary.csv")
    with staging.stage(columns, data_dir, imports_dir, pending, folder, base=base, without=without) as staged:
        texts = (
            {}
            if staged.problems
            else read_source_texts(source_files(staged), sources_dir, imports_dir, pending_texts)
        )
        problems = validate(staged, texts, require_texts)
        if problems:
            raise DataError(problems)
        yield staged, texts


def write(staged: staging.Staged, path: Path) -> None:
    """The database file ``path``: typed tables from the staged text, then the derived tables."""
    with _attached(staged, path) as con:
        schema.create(con, staged.columns)
        for table in curated.TABLES:
            con.execute(
                schema.insert_from_text(table, staged.columns[table], f"{staging.STAGE}.{table}__text")
            )
        schema.materialize(con)


def append(staged: staging.Staged, previous: Path, path: Path) -> None:
    """The database file ``path``: a copy of the build ``previous`` with the staged new rows
    added and the derived tables brought up to date."""
    shutil.copyfile(previous, path)
    with _attached(staged, path) as con:
        for table in curated.TABLES:
            con.execute(
                schema.insert_from_text(table, staged.columns[table], f"{staging.STAGE}.{table}__text")
            )
        schema.refresh(
            con,
            f"{staging.STAGE}.measures__text",
            f"{staging.STAGE}.figures__text",
            f"{staging.STAGE}.themes__text",
        )


def facts(
    staged: staging.Staged, texts: dict[str, SourceText], path: Path, data_dir: Path, listed: list
) -> None:
    """The tables ``build_info`` and ``batches`` (the batches ``listed``) of the file ``path``."""
    listing = pd.DataFrame(  # noqa: F841 (read by DuckDB)
        [asdict(b) for b in listed], columns=[f.name for f in fields(batches.Batch)]
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
