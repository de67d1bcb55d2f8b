"""One writer at a time across processes: an exclusive ``flock`` on a file.

The operating system releases the lock when its holder exits, however it exits (kill -9
included), so a crashed writer never blocks the next one. The file itself stays; it holds the
current holder's process id, operation and start time, for the waiting message.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

POLL_SECONDS = 0.05


class Busy(Exception):
    """Another writer held the lock for longer than we were willing to wait."""


def holder(path: Path) -> str:
    """Who holds (or last held) the lock, as its holder wrote it: 'pid 123, import, since …'."""
    try:
        return path.read_text(encoding="utf-8").strip() or "another process"
    except OSError:
        return "another process"


@contextmanager
def exclusive(
    path: Path, what: str, timeout: float, on_wait: Callable[[str], None] = lambda message: None
) -> Iterator[None]:
    """Hold the lock ``path`` for the block. If another process holds it, call ``on_wait`` once
    with a message saying who, then wait up to ``timeout`` seconds; raise Busy after that."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    on_wait(f"the store is being written by {holder(path)}; waiting up to {timeout:.0f} s")
                    told = True
                if time.monotonic() >= deadline:
                    raise Busy(
                        f"the store is still being written by {holder(path)} after {timeout:.0f} s; "
                        "nothing was changed, try again later"
                    ) from None
                time.sleep(POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(
            fd, f"pid {os.getpid()}, {what}, since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC".encode(), 0
        )
        yield
    finally:
        os.close(fd)  # releases the lock
