"""The headless Chromium the project drives (the briefing's PDF, the browser load test, the
browser tests): where it is, and the flags that keep it quiet and offline."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

#: Flags for every launch: no sandbox (root in CI), no GPU, no update, sync or other calls home.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def binary() -> Path:
    """``$METRICS_CHROMIUM``, else the chromium on the PATH, else Debian's."""
    return Path(os.environ.get("METRICS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium")
