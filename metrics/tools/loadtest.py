"""Load test: several browser sessions change filters against one running dashboard.

``python -m metrics loadtest --sessions 10 --seconds 60`` starts the app on a free loopback port
(on the current database), opens one headless Chromium with one page per session, and has every
session click the language switch back and forth on the closure page for the given time. It
reports how many clicks were served, the errors, and the median and p95 time from a click to the
chart being drawn again. Traffic goes to 127.0.0.1 only; the loop is bounded in time.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from metrics import browser, paths
from metrics.tools.stats import summary
from metrics.ui.serve import streamlit_command

CHROMIUM = str(browser.binary())
FLAGS = browser.FLAGS
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHART = '[data-testid="stVegaLiteChart"] svg, [data-testid="stVegaLiteChart"] canvas'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(db: Path, port: int) -> subprocess.Popen:
    """The dashboard on 127.0.0.1:port, reading ``db``; waits until it answers (60 s at most)."""
    env = {**os.environ, "METRICS_DB": str(db)}
    app = subprocess.Popen(
        streamlit_command(port),
        cwd=paths.ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    return app
        except OSError:
            time.sleep(0.5)
    app.kill()
    raise RuntimeError("the dashboard did not start within 60 s")


async def _session(browser, url: str, seconds: float, timings: list, errors: list) -> None:
    """One reader: open the page, then click for ``seconds`` (counted from the page being ready)."""
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await page.goto(url)
    await page.wait_for_selector(IDLE, timeout=60_000)
    await page.wait_for_selector(CHART, timeout=60_000)
    until = time.monotonic() + seconds
    labels = ["English", "中文"]
    i = 0
    while time.monotonic() < until:
        target = labels[i % 2]
        title = "Closure rates" if target == "English" else "整改完成率"
        start = time.perf_counter()
        try:
            await page.get_by_text(target, exact=True).first.click()
            await page.get_by_role("heading", name=title).first.wait_for(timeout=30_000)
            await page.wait_for_selector(IDLE, timeout=30_000)
            await page.wait_for_selector(CHART, timeout=30_000)
            timings.append((time.perf_counter() - start) * 1000)
        except Exception as error:  # a timeout or a page error is a failed click, counted
            errors.append(f"{type(error).__name__}: {str(error)[:120]}")
        i += 1
    await page.close()


async def _run(url: str, sessions: int, seconds: float) -> tuple[list, list]:
    from playwright.async_api import async_playwright

    timings: list[float] = []
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        await asyncio.gather(*(_session(browser, url, seconds, timings, errors) for _ in range(sessions)))
        await browser.close()
    return timings, errors


def run(sessions: int = 10, seconds: float = 60, db: Path | None = None) -> dict:
    """Run the load test and print its report."""
    db = Path(db or paths.default_db())
    port = _free_port()
    app = start_app(db, port)
    try:
        timings, errors = asyncio.run(_run(f"http://127.0.0.1:{port}/closure", sessions, seconds))
    finally:
        app.terminate()
        app.wait(timeout=30)
    timed = summary(timings)
    report = {
        "sessions": sessions,
        "seconds": seconds,
        "clicks_served": timed["n"],
        "errors": len(errors),
        "median_ms": timed["median_ms"],
        "p95_ms": timed["p95_ms"],
    }
    print(
        f"{sessions} sessions for {seconds:.0f} s on {db}: {report['clicks_served']} clicks served, "
        f"{report['errors']} errors; click to chart redrawn: median {report['median_ms'] or 0:.0f} ms, "
        f"p95 {report['p95_ms'] or 0:.0f} ms"
    )
    for error in errors[:5]:
        print("  error:", error)
    return report
