"""Load test that measures the server, not the browsers: sessions speak Streamlit's websocket protocol.

``python -m metrics wsload --sessions 50 --seconds 60 [--replicas 2]`` starts the dashboard (one
process, or ``--replicas`` processes behind nginx, ``metrics.ui.serve``) on loopback ports over the
current build, warms each process's caches with one reader, then runs N readers at once for the
given time, and stops everything. A reader does on the wire what a browser does, with no browser:

- it loads ``/`` (nginx gives it its affinity cookie there) and opens the websocket
  ``/_stcore/stream`` with that cookie;
- it asks for a page as the frontend does: a ``BackMsg.rerun_script`` (``ClientState``) with the
  page's URL path (``page_name``), the query string and the widget states, and waits for the
  server's ``ForwardMsg.script_finished``; the time from sending to that message is one rerun;
- it changes filters as a click does: the sidebar multiselects' ids are read from the deltas, and
  the next rerun carries the new value (``WidgetState.string_array_value``) with every other
  widget state it has set;
- it honours ``ForwardMsg.auto_rerun`` like the frontend: the database watcher
  (``state.watch_database``, every 5 s) reruns as a fragment while the reader is idle; those runs
  are counted apart (``fragment_reruns``).

Between actions a reader thinks ``--think`` seconds (uniform 0.5x-1.5x, seeded). The report: sessions,
reruns served, errors (an exception on the page, a page not found, a timeout, a closed socket),
median and p95 from request to script finished, which process served how many sessions, and the
dashboard processes' resident memory (RSS, summed) after the warm-up, at its peak under load,
and after every session closed and Streamlit's hold on disconnected sessions
(``--session-ttl``, Streamlit's default 120 s) ran out. Traffic goes to 127.0.0.1 only; the run
is bounded in time.

``metrics.tools.loadtest`` (headless Chromium) remains the end-to-end check of what a reader sees.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from metrics import paths
from metrics.tools.stats import percentile

TIMEOUT = 60.0  # seconds a rerun may take before it counts as an error
COOKIE = "metrics_route"  # metrics.ui.serve.COOKIE (not imported: keep this module light)
# What a reader does, in turn: (page URL path, filter to change or None, how). "" is the overview.
ACTIONS = (
    ("closure", None, None),
    ("closure", "body", "one"),
    ("cases", None, None),
    ("cases", "kind", "one"),
    ("", None, None),
    ("reductions", "body", "two"),
    ("reductions", "kind", "none"),
    ("profile", None, None),
    ("figures", "body", "none"),
)
PAGES = sorted({page for page, _, _ in ACTIONS})


@dataclass
class Run:
    """One rerun as the reader saw it."""

    ms: float
    error: str | None = None
    bytes: int = 0
    found: set[str] = field(default_factory=set)


class Session:
    """One reader's websocket session with the dashboard at ``base`` (http://host:port)."""

    def __init__(self, base: str, cookie: str | None = None):
        self.base, self.cookie = base.rstrip("/"), cookie
        self.ws = None
        self.replica: str | None = None
        self.widgets: dict[str, str] = {}  # URL key of a sidebar multiselect -> widget id
        self.options: dict[str, list[str]] = {}  # its options, as drawn
        self.states: dict[str, WidgetState] = {}  # widget id -> the value this reader set
        self.fragment: tuple[str, float] | None = None  # (fragment id, seconds) of an auto-rerun
        self.page = ""

    async def open(self) -> None:
        """Load the page (for nginx's affinity cookie, as a browser does) and open the websocket."""
        import websockets

        if self.cookie is None:
            self.cookie = await asyncio.to_thread(self._route_cookie)
        headers = {"Origin": self.base}
        if self.cookie:
            headers["Cookie"] = f"{COOKIE}={self.cookie}"
        url = self.base.replace("http", "ws", 1) + "/_stcore/stream"
        self.ws = await websockets.connect(
            url,
            subprotocols=["streamlit"],
            additional_headers=headers,
            max_size=None,
            open_timeout=TIMEOUT,
            ping_interval=None,
        )
        self.replica = self.ws.response.headers.get("X-Replica") or self.base

    def _route_cookie(self) -> str:
        with urllib.request.urlopen(self.base + "/", timeout=TIMEOUT) as response:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                if name.strip() == COOKIE:
                    return rest.split(";")[0]
        return ""

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def rerun(self, page: str | None = None, query: str = "", find: tuple[str, ...] = ()) -> Run:
        """Run ``page`` (its URL path; None: the current one) with this reader's widget states;
        wait for the script to finish. ``find``: strings to look for in what the server sends."""
        if page is not None:
            self.page = page
        msg = BackMsg()
        client = msg.rerun_script
        client.query_string = query
        client.page_name = self.page
        client.widget_states.widgets.extend(self.states.values())
        client.context_info.timezone = "Asia/Shanghai"
        client.context_info.locale = "zh-CN"
        client.context_info.url = f"{self.base}/{self.page}" + (f"?{query}" if query else "")
        return await self._send(msg, find)

    async def auto_rerun(self, find: tuple[str, ...] = ()) -> Run:
        """The fragment rerun the frontend sends every ``auto_rerun.interval`` seconds."""
        msg = BackMsg()
        client = msg.rerun_script
        client.page_name = self.page
        client.fragment_id = self.fragment[0] if self.fragment else ""
        client.is_auto_rerun = True
        client.widget_states.widgets.extend(self.states.values())
        return await self._send(msg, find)

    async def choose(self, key: str, names: list[str], find: tuple[str, ...] = ()) -> Run:
        """Set the sidebar multiselect ``key`` (kind, body, theme, indicator) to ``names``."""
        widget_id = self.widgets[key]
        state = WidgetState(id=widget_id)
        state.string_array_value.data.extend(names)
        self.states[widget_id] = state
        return await self.rerun(find=find)

    async def _send(self, msg: BackMsg, find: tuple[str, ...]) -> Run:
        start = time.perf_counter()
        run = Run(0.0)
        needles = [(text, text.encode("utf-8")) for text in find]
        try:
            await self.ws.send(msg.SerializeToString())
            async with asyncio.timeout(TIMEOUT):
                while True:
                    data = await self.ws.recv()
                    run.bytes += len(data)
                    run.found.update(text for text, raw in needles if raw in data)
                    forward = ForwardMsg()
                    forward.ParseFromString(data)
                    kind = forward.WhichOneof("type")
                    if kind == "delta":
                        self._read_delta(forward, run)
                    elif kind == "auto_rerun":
                        self.fragment = (forward.auto_rerun.fragment_id, forward.auto_rerun.interval)
                    elif kind == "page_not_found":
                        run.error = f"page not found: {forward.page_not_found.page_name!r}"
                    elif kind == "script_finished":
                        if forward.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                            run.error = run.error or "script compile error"
                        if forward.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                            break
        except TimeoutError:
            run.error = f"no script_finished within {TIMEOUT:.0f} s"
        except Exception as error:  # a closed socket, a refused connection: counted
            run.error = f"{type(error).__name__}: {str(error)[:120]}"
        run.ms = (time.perf_counter() - start) * 1000
        return run

    def _read_delta(self, forward: ForwardMsg, run: Run) -> None:
        element = forward.delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            run.error = run.error or f"exception on the page: {element.exception.message[:120]}"
        elif kind == "multiselect" and element.multiselect.query_param_key:
            key = element.multiselect.query_param_key
            self.widgets[key] = element.multiselect.id
            self.options[key] = list(element.multiselect.options)


# --- the load -------------------------------------------------------------------------------------


@dataclass
class Tally:
    reruns: list[float] = field(default_factory=list)
    fragments: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    replicas: dict[str, int] = field(default_factory=dict)
    opened: int = 0

    def add(self, run: Run, fragment: bool = False) -> None:
        if run.error:
            self.errors.append(run.error)
        else:
            (self.fragments if fragment else self.reruns).append(run.ms)


async def _act(session: Session, step: int, rng: random.Random) -> Run:
    page, key, how = ACTIONS[step % len(ACTIONS)]
    if page != session.page or key is None:
        run = await session.rerun(page)
        if key is None or run.error:
            return run
    options = session.options.get(key) or []
    if how == "none" or not options:
        names = []
    else:
        names = rng.sample(options, min(len(options), 1 if how == "one" else 2))
    return await session.choose(key, names)


async def reader(base: str, deadline: float, think: float, seed: int, tally: Tally) -> None:
    """One reader: open the overview, then act and think until ``deadline``; close."""
    rng = random.Random(seed)
    session = Session(base)
    try:
        await session.open()
    except Exception as error:
        tally.errors.append(f"connect: {type(error).__name__}: {str(error)[:120]}")
        return
    tally.opened += 1
    tally.replicas[session.replica] = tally.replicas.get(session.replica, 0) + 1
    try:
        tally.add(await session.rerun(""))
        step, due = rng.randrange(len(ACTIONS)), time.monotonic() + (session.fragment or ("", 5))[1]
        while time.monotonic() < deadline:
            await asyncio.sleep(min(think * rng.uniform(0.5, 1.5), max(0.0, deadline - time.monotonic())))
            if time.monotonic() >= deadline:
                break
            if session.fragment and time.monotonic() >= due:
                run = await session.auto_rerun()
                due = time.monotonic() + session.fragment[1]
                tally.add(run, fragment=True)
                continue
            run = await _act(session, step, rng)
            step += 1
            tally.add(run)
    finally:
        await session.close()


def rss_mb(pids: list[int]) -> float:
    """Resident memory of ``pids`` together, in MB (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


async def warm(base: str) -> None:
    """One reader through every action once, so caches are filled before memory is read."""
    session = Session(base)
    await session.open()
    try:
        await session.rerun("")
        for step in range(len(ACTIONS)):
            await _act(session, step, random.Random(step))
    finally:
        await session.close()


async def load(
    base: str, sessions: int, seconds: float, think: float = 2.0, pids: list[int] | None = None, seed: int = 1
) -> dict:
    """N readers against ``base`` for ``seconds``; the report (memory only when ``pids`` given)."""
    pids = pids or []
    tally, peak = Tally(), [rss_mb(pids)]
    before = peak[0]

    async def sample() -> None:
        while True:
            peak[0] = max(peak[0], rss_mb(pids))
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())
    ramp = min(5.0, 0.05 * sessions)  # readers arrive over a few seconds, not in one instant
    start = time.monotonic()
    deadline = start + ramp + seconds

    async def late(i: int) -> None:
        await asyncio.sleep(ramp * i / max(1, sessions))
        await reader(base, deadline, think, seed * 100_003 + i, tally)

    await asyncio.gather(*(late(i) for i in range(sessions)))
    sampler.cancel()
    elapsed = time.monotonic() - start
    return {
        "target": base,
        "sessions": sessions,
        "opened": tally.opened,
        "seconds": round(elapsed, 1),
        "think_s": think,
        "reruns": len(tally.reruns),
        "reruns_per_s": round(len(tally.reruns) / elapsed, 1) if elapsed else None,
        "fragment_reruns": len(tally.fragments),
        "errors": len(tally.errors),
        "error_samples": tally.errors[:5],
        "p50_ms": round(statistics.median(tally.reruns), 1) if tally.reruns else None,
        "p95_ms": round(percentile(tally.reruns, 0.95), 1) if tally.reruns else None,
        "max_ms": round(max(tally.reruns), 1) if tally.reruns else None,
        "fragment_p50_ms": round(statistics.median(tally.fragments), 1) if tally.fragments else None,
        "replicas": dict(sorted(tally.replicas.items())),
        # the machine's 1-minute load average at the end: other work on a shared machine shows here
        "loadavg_1m": round(os.getloadavg()[0], 1),
        "rss_before_mb": round(before, 1) if pids else None,
        "rss_peak_mb": round(peak[0], 1) if pids else None,
    }


async def _released(urls: list[str], pids: list[int], wait: float) -> float:
    """RSS once Streamlit has let go of the closed sessions: after ``wait`` seconds a short visit
    to each process stores one more disconnected session, which drops the expired ones."""
    await asyncio.sleep(wait)
    for url in urls:
        session = Session(url)
        await session.open()
        await session.rerun("method")
        await session.close()
    await asyncio.sleep(2)
    return rss_mb(pids)


def run(
    sessions: int = 10,
    seconds: float = 30,
    replicas: int = 1,
    db: Path | None = None,
    think: float = 2.0,
    session_ttl: int = 10,
    out: Path | None = None,
) -> dict:
    """Start the dashboard (``replicas`` > 1: behind nginx), load it, stop it; print the report."""
    from metrics.ui import serve

    db = Path(db or paths.default_db())
    behind = replicas > 1
    port = serve.free_ports(replicas + (1 if behind else 0))
    with tempfile.TemporaryDirectory(prefix="metrics-wsload-") as tmp:
        deployment = serve.Deployment(
            db, replicas, port, Path(tmp), "127.0.0.1", nginx=behind, session_ttl=session_ttl
        )
        with deployment:
            pids = deployment.pids()

            async def measure() -> dict:
                for url in deployment.replica_urls:
                    await warm(url)
                report = await load(deployment.url, sessions, seconds, think, pids)
                report["rss_after_mb"] = round(
                    await _released(deployment.replica_urls, pids, session_ttl + 3), 1
                )
                return report

            report = asyncio.run(measure())
    report.update(processes=replicas, nginx=behind, session_ttl_s=session_ttl)
    grown = report["rss_peak_mb"] - report["rss_before_mb"]
    report["rss_per_session_mb"] = round(grown / sessions, 2) if sessions else None
    print(describe(report))
    for error in report["error_samples"]:
        print("  error:", error)
    if out:
        import json

        out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return report


def describe(r: dict) -> str:
    where = f"nginx + {r['processes']} processes" if r.get("nginx") else f"{r.get('processes', 1)} process"
    memory = ""
    if r.get("rss_before_mb") is not None:
        memory = (
            f"; RSS {r['rss_before_mb']:.0f} MB before, {r['rss_peak_mb']:.0f} peak, "
            f"{r.get('rss_after_mb') or 0:.0f} after close"
        )
    return (
        f"{r['sessions']} sessions, {where}, {r['seconds']:.0f} s: {r['reruns']} reruns served "
        f"({r['reruns_per_s']}/s) + {r['fragment_reruns']} watcher reruns, {r['errors']} errors; "
        f"request to script finished: median {r['p50_ms'] or 0:.0f} ms, p95 {r['p95_ms'] or 0:.0f} ms"
        f"{memory}; sessions per process {r['replicas']}; load average {r.get('loadavg_1m')}"
    )
