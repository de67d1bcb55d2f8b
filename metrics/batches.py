"""Imported batches, stored beside the curated data and added to it at every build.

A batch is a folder ``<imports>/<batch_id>/`` holding ``batch.json`` (file name, SHA-256 of
the imported file, time, row count) and the rows it adds to the curated tables ``TABLES``
(``sources.csv``, ``bodies.csv``, ``themes.csv``, ``comparable_groups.csv``, ``indicators.csv``,
``measures.csv``, ``figures.csv``, ``targets.csv``, ``events.csv``), with the curated tables' columns. Batches stored before
bodies, themes and indicators could be imported hold only sources, measures and figures: a
later table's file that a batch lacks is read as empty (``table_file``). A batch is written
aside first, in a hidden folder (``write_aside``), and appears by one ``rename`` (``commit``);
it disappears by one rename too (``remove``). Hidden folders are never listed, and ``clean`` removes them: only
``metrics.store.Store`` calls these, under its writer lock.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

# In load order (each references only tables before it, as in ``metrics.curated.TABLES``).
TABLES = (
    "sources",
    "bodies",
    "themes",
    "comparable_groups",
    "indicators",
    "measures",
    "figures",
    "targets",
    "events",
)
FIRST_TABLES = ("sources", "measures", "figures")  # what every batch holds, old or new
META = "batch.json"
PENDING = ".pending-"  # a batch written aside, not yet in the store
REMOVED = ".removed-"  # a batch taken out, being deleted


@dataclass(frozen=True)
class Batch:
    batch_id: str
    file_name: str
    sha256: str
    imported_at: str
    rows: int
    kind: str = "figures"  # what ``rows`` counts: figures, targets or events (older batches: figures)


def list_batches(folder: Path, without: tuple[str, ...] = ()) -> list[Batch]:
    """Every stored batch but those in ``without``, oldest first (ids sort by number)."""
    if not folder.is_dir():
        return []
    found = []
    for meta in sorted(folder.glob(f"*/{META}")):
        if meta.parent.name.startswith(".") or meta.parent.name in without:
            continue
        found.append(Batch(**json.loads(meta.read_text(encoding="utf-8"))))
    return found


def table_file(folder: Path, batch_id: str, table: str) -> Path | None:
    """The batch's file of ``table``, or None when the batch has none (a batch stored before the
        table could be imported adds no rows to it). A batch always has the tables it had from the
    start (``FIRST_TABLES``): a missing one of those is a damaged batch, and reading it says so."""
    path = folder / batch_id / f"{table}.csv"
    return path if table in FIRST_TABLES or path.exists() else None


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(frame.columns)
        # column by column: iterating rows of Arrow-backed columns costs a call per cell
        writer.writerows(zip(*(frame[column].tolist() for column in frame.columns)))
        f.flush()
        os.fsync(f.fileno())


def write_aside(
    folder: Path, batch: Batch, tables: dict[str, pd.DataFrame], texts: dict[str, bytes] | None = None
) -> Path:
    """Write a batch, complete and on disk, into a hidden folder that ``commit`` moves into place;
    ``texts`` (``<batch_id>/<name>`` -> bytes) are written into it as ``<name>``."""
    folder.mkdir(parents=True, exist_ok=True)
    aside = folder / f"{PENDING}{batch.batch_id}"
    shutil.rmtree(aside, ignore_errors=True)
    aside.mkdir()
    for table in TABLES:
        _write_csv(aside / f"{table}.csv", tables[table])
    for name, data in (texts or {}).items():
        with (aside / Path(name).name).open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    meta = aside / META
    meta.write_text(json.dumps(asdict(batch), ensure_ascii=False, indent=2), encoding="utf-8")
    with meta.open("rb") as f:
        os.fsync(f.fileno())
    fsync_dir(aside)
    fsync_dir(folder)
    return aside


def commit(folder: Path, batch_id: str) -> None:
    """Move the batch written aside into the store (one rename); nothing to do if it is there."""
    aside = folder / f"{PENDING}{batch_id}"
    if aside.is_dir():
        os.rename(aside, folder / batch_id)
        fsync_dir(folder)


def remove(folder: Path, batch_id: str) -> None:
    """Take a batch out of the store (one rename), then delete it; nothing to do if it is gone."""
    gone = folder / f"{REMOVED}{batch_id}"
    if (folder / batch_id).is_dir():
        shutil.rmtree(gone, ignore_errors=True)
        os.rename(folder / batch_id, gone)
        fsync_dir(folder)
    shutil.rmtree(gone, ignore_errors=True)


def clean(folder: Path) -> list[Path]:
    """Remove the hidden folders that interrupted writes left behind; returns what was removed."""
    removed = []
    if folder.is_dir():
        for leftover in folder.glob(".*"):
            shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink()
            removed.append(leftover)
    return removed


def fsync_dir(folder: Path) -> None:
    """Make the names in ``folder`` durable (a rename is on disk once its folder is synced)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
