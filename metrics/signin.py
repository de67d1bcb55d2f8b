"""Editor sign-in throttle: after a few wrong passwords, the next attempt must wait.

One Streamlit process serves every browser session, so one ``Throttle`` per process
(``THROTTLE``) counts failed attempts per session and across all sessions together: opening a
new session does not start afresh. After ``free`` failures a key waits ``base ** failures``
seconds (at most ``cap``) from its last failure; an attempt made before the wait is over is
refused without looking at the password. A success clears its session's count; the count of
all sessions is left to expire (``forget_after`` seconds after its last failure), so that one
editor signing in does not give someone guessing elsewhere a fresh start.

Pure Python (no Streamlit) with an injectable clock, so it is tested without sleeping.
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    """How long a key waits after its failures: nothing for the first ``free`` - 1, then
    ``base ** failures`` seconds from the last one, at most ``cap``."""

    free: int = 3
    base: float = 2.0
    cap: float = 300.0

    def delay(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th failure.

        >>> [Policy().delay(n) for n in (1, 2, 3, 4, 8, 9, 1000)]
        [0.0, 0.0, 8.0, 16.0, 256.0, 300.0, 300.0]
        """
        if failures < self.free:
            return 0.0
        return min(self.cap, self.base ** min(failures, 64))


@dataclass(frozen=True)
class Attempt:
    """What became of one attempt: ``accepted``; ``checked`` is False when it was refused
    unseen because a wait was not over; ``wait`` is the seconds before the next attempt counts."""

    accepted: bool
    checked: bool
    wait: float

    @property
    def wait_seconds(self) -> int:
        """``wait`` in whole seconds, rounded up (what a message tells the user)."""
        return math.ceil(self.wait)


@dataclass
class _Record:
    failures: int = 0
    last: float = 0.0


EVERYONE = ("everyone",)
# A session may try 3 times, then waits 8 s, 16 s, … 5 min; all sessions together may fail 10 times.
SESSION_POLICY = Policy()
EVERYONE_POLICY = Policy(free=10)


class Throttle:
    """Failed sign-in attempts per session and of all sessions together, and the waits they
    impose (thread-safe: Streamlit runs each session in its own thread)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        session: Policy = SESSION_POLICY,
        everyone: Policy = EVERYONE_POLICY,
        forget_after: float = 3600.0,
    ):
        if forget_after < max(session.cap, everyone.cap):
            raise ValueError("forget_after must be at least the longest wait")
        self.clock = clock
        self.policies = {"session": session, "everyone": everyone}
        self.forget_after = forget_after
        self._records: dict[tuple[str, ...], _Record] = {}
        self._lock = threading.Lock()

    def wait(self, session: str) -> float:
        """Seconds before an attempt from ``session`` is checked (0: now)."""
        with self._lock:
            return self._wait(session, self.clock())

    def attempt(self, session: str, entered: str, secret: str) -> Attempt:
        """Check ``entered`` against ``secret`` for ``session``, unless a wait is not over (then
        the attempt is refused unchecked and counts for nothing)."""
        with self._lock:
            now = self.clock()
            wait = self._wait(session, now)
            if wait > 0:
                return Attempt(accepted=False, checked=False, wait=wait)
            if secret and hmac.compare_digest(entered.encode(), secret.encode()):
                self._records.pop(("session", session), None)
                return Attempt(accepted=True, checked=True, wait=0.0)
            self._forget(now)
            for key in (("session", session), EVERYONE):
                record = self._records.setdefault(key, _Record())
                record.failures += 1
                record.last = now
            return Attempt(accepted=False, checked=True, wait=self._wait(session, now))

    def failures(self, session: str | None = None) -> int:
        """Failures still counted for ``session`` (None: of all sessions together)."""
        with self._lock:
            self._forget(self.clock())
            record = self._records.get(EVERYONE if session is None else ("session", session))
            return record.failures if record else 0

    def _wait(self, session: str, now: float) -> float:
        waits = [0.0]
        keys = {("session", session): self.policies["session"], EVERYONE: self.policies["everyone"]}
        for key, policy in keys.items():
            record = self._records.get(key)
            if record is not None and now - record.last < self.forget_after:
                waits.append(record.last + policy.delay(record.failures) - now)
        return max(waits)

    def _forget(self, now: float) -> None:
        """Drop the records whose last failure is ``forget_after`` seconds old."""
        for key in [k for k, r in self._records.items() if now - r.last >= self.forget_after]:
            del self._records[key]


# The one throttle of this process (every session of the dashboard).
THROTTLE = Throttle()
