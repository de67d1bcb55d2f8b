"""Imported batches, stored beside the curated data and added to it at every build.

A batch is a folder ``<imports>/<batch_id>/`` holding ``batch.json`` (file name, SHA-256 of
the imported file, time, row count) and the rows it adds to ``sources.csv``, ``measures.csv``
and ``figures.csv``, with the curated tables' columns. A batch appears and disappears by one
``rename``, so a process killed at any moment leaves every batch either whole or absent.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

TABLES = ("sources", "measures", "figures")
META = "batch.json"


@dataclass(frozen=True)
class Batch:
    batch_id: str
    file_name: str
    sha256: str
    imported_at: str
    rows: int


def list_batches(folder: Path) -> list[Batch]:
    """Every stored batch, oldest first (ids sort by time)."""
    if not folder.is_dir():
        return []
    found = []
    for meta in sorted(folder.glob(f"*/{META}")):
        if meta.parent.name.startswith("."):
            continue
        found.append(Batch(**json.loads(meta.read_text(encoding="utf-8"))))
    return found


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(frame.columns)
        writer.writerows(frame.itertuples(index=False))
        f.flush()
        os.fsync(f.fileno())


def write(folder: Path, batch: Batch, tables: dict[str, pd.DataFrame]) -> Path:
    """Store a batch: write it in a hidden folder, then rename it into place (the commit point)."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / batch.batch_id
    temp = folder / f".tmp-{batch.batch_id}-{os.getpid()}"
    shutil.rmtree(temp, ignore_errors=True)
    temp.mkdir()
    try:
        for table in TABLES:
            _write_csv(temp / f"{table}.csv", tables[table])
        (temp / META).write_text(json.dumps(asdict(batch), ensure_ascii=False, indent=2), encoding="utf-8")
        os.rename(temp, final)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    _fsync_dir(folder)
    return final


def set_aside(folder: Path, batch_id: str) -> Path:
    """Take a batch out of the store by one rename; returns where it went (see ``restore``)."""
    aside = folder / f".rolled-back-{batch_id}"
    shutil.rmtree(aside, ignore_errors=True)
    os.rename(folder / batch_id, aside)
    _fsync_dir(folder)
    return aside


def restore(folder: Path, aside: Path) -> None:
    os.rename(aside, folder / aside.name.removeprefix(".rolled-back-"))


def clean(folder: Path) -> None:
    """Remove what interrupted imports and finished rollbacks left behind."""
    if folder.is_dir():
        for leftover in folder.glob(".*"):
            shutil.rmtree(leftover, ignore_errors=True)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
