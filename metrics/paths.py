"""Every path the project uses, in one place.

Environment variables override the defaults:
``METRICS_DB`` (the DuckDB file), ``METRICS_SOURCES_DIR`` (the folder with
source texts, which are inputs and never part of the repository) and
``METRICS_IMPORTS_DIR`` (imported batches, kept beside the curated data).
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
DICTIONARY = DATA_DIR / "dictionary.csv"
# The page icon, served by the app itself (a Material icon would be fetched from fonts.gstatic.com).
ICON = ROOT / "metrics" / "ui" / "icon.png"


def default_db() -> Path:
    """The DuckDB file: ``$METRICS_DB`` or ``data/metrics.duckdb``."""
    return Path(os.environ.get("METRICS_DB") or DATA_DIR / "metrics.duckdb")


def sources_dir() -> Path:
    """Folder holding source texts: ``$METRICS_SOURCES_DIR`` or ``../shared/seeds``."""
    return Path(os.environ.get("METRICS_SOURCES_DIR") or ROOT.parent / "shared" / "seeds")


def imports_dir(data_dir: Path = DATA_DIR) -> Path:
    """Imported batches: ``$METRICS_IMPORTS_DIR`` or ``<data_dir>/imports`` (not in git)."""
    return Path(os.environ.get("METRICS_IMPORTS_DIR") or data_dir / "imports")
