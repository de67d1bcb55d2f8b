"""Check the data and write one database file from it. Nothing here publishes a file or knows
where the store lives: ``metrics.store.Store`` does that, under its writer lock.

``checked`` stages every table as text (``metrics.staging``) and validates it; ``write`` turns
the staged text into a new database file, ``append`` adds the staged new rows to a copy of
the last build, ``remove`` takes one batch's rows out of a copy of the last build, ``facts``
records the build's own facts (``build_info``, ``batches``).
"""

from __future__ import annotations

import csv
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

# A closure's parts that this close to its total (relatively) are judged by a full build: the
# stored values are doubles, the checks read the exact numbers as written.
CLOSE_CALL = 1e-9


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


def remove(
    previous: Path,
    path: Path,
    batch: Path,
    columns: dict[str, list[curated.Column]],
    work: Path,
    listed: list,
    texts_verified,
) -> bool:
    """The database file ``path``: a copy of the build ``previous`` without the rows that the
    stored batch in the folder ``batch`` added (every table of ``batches.TABLES``), the derived
    tables of the measures it touched recomputed (``schema.forget``) and the facts updated
    (``listed``: the batches left; ``texts_verified()``: build_info's source_texts_verified,
    asked only when the previous build's was false). Returns False, writing no file, when the
    rows cannot simply be removed: a row left refers to one of them, or a closure's parts may
    exceed the total that would be left in force; a full build without the batch then says
    exactly why (or finds that it can)."""
    shutil.copyfile(previous, path)
    con = duckdb.connect(
        str(path), config={"memory_limit": staging.MEMORY_LIMIT, "temp_directory": str(work)}
    )
    try:
        con.execute("SET enable_progress_bar = false")
        for table in batches.TABLES:
            keys = pd.DataFrame({"key": _keys(batches.table_file(batch.parent, batch.name, table))})  # noqa: F841
            con.execute(
                f"CREATE TEMP TABLE gone_{table} AS SELECT DISTINCT CAST(key AS VARCHAR) AS key FROM keys"
            )
        if _relied_on(con, columns):
            con.close()
            path.unlink(missing_ok=True)
            return False
        (since,) = con.execute(
            "SELECT min(as_of) FROM figures WHERE figure_id IN (SELECT key FROM gone_figures)"
        ).fetchone()
        con.execute(
            "CREATE TEMP TABLE touched AS SELECT DISTINCT measure_id FROM figures "
            "WHERE figure_id IN (SELECT key FROM gone_figures) UNION SELECT key FROM gone_measures"
        )
        for table in reversed(batches.TABLES):  # referring rows first
            key = columns[table][0].name
            con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT key FROM gone_{table})")
        schema.forget(con, "gone_measures", "gone_figures", "gone_themes", "touched", since)
        (verified,) = con.execute("SELECT source_texts_verified FROM build_info").fetchone()
        listing = pd.DataFrame(  # noqa: F841 (read by DuckDB)
            [asdict(b) for b in listed], columns=[f.name for f in fields(batches.Batch)]
        ).astype(str)
        con.execute(
            "CREATE OR REPLACE TABLE build_info AS SELECT ?::TIMESTAMP AS built_at, data_dir, "
            "? AS source_texts_verified FROM build_info",
            [datetime.now(UTC).replace(tzinfo=None), bool(verified) or texts_verified(con)],
        )
        con.execute("CREATE OR REPLACE TABLE batches AS SELECT * FROM listing")
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        path.unlink(missing_ok=True)
        raise
    con.close()
    return True


def _keys(path: Path | None) -> list[str]:
    """The first cell (the key) of every record of a stored batch's table file."""
    if path is None:
        return []
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        next(reader, None)
        return [record[0] for record in reader if record]


def _relied_on(con, columns: dict[str, list[curated.Column]]) -> bool:
    """Whether removing the rows keyed in ``gone_<table>`` could leave a problem that a full
    build would report: a row left that refers to a row removed, or a closure whose total in
    force changes (a total of it removed) with parts that may exceed the total then in force."""
    for table in curated.TABLES:
        for col in columns[table]:
            if col.reference is None or col.reference[0] not in batches.TABLES:
                continue
            left = f" AND {columns[table][0].name} NOT IN (SELECT key FROM gone_{table})"
            sql = (
                f"SELECT count(*) FROM {table} WHERE {col.name} IN "
                f"(SELECT key FROM gone_{col.reference[0]}){left if table in batches.TABLES else ''}"
            )
            if con.execute(sql).fetchone()[0]:
                return True
    return con.execute(CLOSURES_LEFT, [CLOSE_CALL]).fetchone()[0] > 0


# Dates of closures that lose a total where the parts left may exceed the total then in force
# (the check of metrics.validate, on the stored doubles: integers exactly, others with a margin).
CLOSURES_LEFT = """
WITH hit AS (
    SELECT DISTINCT f.measure_id FROM figures f JOIN measures m USING (measure_id)
    WHERE m.kind = 'closure' AND f.role = 'total' AND f.figure_id IN (SELECT key FROM gone_figures)
), dated AS (
    SELECT measure_id, as_of,
           max(value) FILTER (WHERE role = 'total') AS total,
           max(value) FILTER (WHERE role <> 'total') AS largest,
           sum(value) FILTER (WHERE role <> 'total') AS parts_sum,
           bool_and(value = round(value) AND abs(value) < 2 ** 52) AS whole
    FROM figures
    WHERE measure_id IN (SELECT measure_id FROM hit) AND figure_id NOT IN (SELECT key FROM gone_figures)
      AND role IN ('total', 'closed', 'partly_closed', 'in_progress')
    GROUP BY ALL
), in_force AS (
    SELECT *, last_value(total IGNORE NULLS) OVER (
        PARTITION BY measure_id ORDER BY as_of ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS force, bool_and(whole) OVER (
        PARTITION BY measure_id ORDER BY as_of ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS exact
    FROM dated
)
SELECT count(*) FROM in_force
WHERE force IS NOT NULL AND parts_sum IS NOT NULL
  AND (largest > force OR parts_sum > force OR NOT exact AND parts_sum > force * (1 - ?))
"""


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
