"""Helpers shared by the dashboard tests (test_pages.py, test_browser.py)."""

from __future__ import annotations

import struct
from pathlib import Path

from metrics import paths
from metrics.store import Store

ROOT = Path(__file__).resolve().parent.parent
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Every page: its script name, then its title in Chinese and in English (written by hand).
PAGE_TITLES = {
    "overview": ("总览", "Overview"),
    "closure": ("整改完成率", "Closure rates"),
    "cases": ("查处案件", "Case counts"),
    "reductions": ("前后对比", "Reductions"),
    "progress": ("进度", "Progress"),
    "profile": ("单位画像", "Body profile"),
    "figures": ("数据明细", "Figures"),
    "method": ("说明", "Method"),
}
CHART_PAGES = ("overview", "closure", "cases", "reductions")


def build_db(folder: Path) -> Path:
    """A fresh database built from the real data/ folder into ``folder``."""
    db = folder / "metrics.duckdb"
    Store(db, data_dir=ROOT / "data", sources_dir=paths.sources_dir()).build()
    return db


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (asserts the signature and chunk type)."""
    assert data[:8] == PNG_SIGNATURE, f"not a PNG: {data[:8]!r}"
    assert data[12:16] == b"IHDR", f"first chunk is {data[12:16]!r}, not IHDR"
    return struct.unpack(">II", data[16:24])
