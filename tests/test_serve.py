"""Serving many readers: the websocket load client against one real process, and
`python -m metrics serve` (nginx + 2 processes) with affinity, an import seen by both, a clean stop.

nginx is Debian's package (`.ci/run` installs it): without it the nginx test is skipped locally
and fails in CI.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from metrics.tools import wsload
from metrics.ui import serve
from tests.dashboard_helpers import build_db

ROOT = Path(__file__).resolve().parent.parent
NEW_BODY = "杭州市委"
# An import file as `extract --format import` writes it: two figures of a body the store lacks.
IMPORT_CSV = (
    "body,measure_id,theme,indicator,measure_kind,label_zh,label_en,direction,role,value,counter,qualifier,"
    "as_written,as_of,period,evidence,source_id,source_title,source_publisher,source_published,"
    "source_reference,note,body_kind,body_name_zh,body_name_en,body_short_en,body_region,theme_name_en,"
    "indicator_name_en,indicator_family,indicator_direction,indicator_definition_zh,indicator_definition_en,"
    "comparable_group,comparability,caveat_zh,caveat_en\n"
    "杭州市委,,执纪问责（综合）,查处违纪违法案件,count,查处违纪违法案件,,none,value,12,件,exact,12件,2019-11,,"
    "中共杭州市委共查处违纪违法案件12件,,中共杭州市委关于主题教育整改落实情况的通报,（原文未注明）,2019-11,hz.txt,,"
    "local,中共杭州市委,,,,,,problems,none,报告中“查处违纪违法案件”的数字；由报告提取提出，口径待核定。,,,,,\n"
    "杭州市委,,群众身边腐败和作风问题,问责/处理人数,count,处理,,none,value,18,人,exact,18人,2019-11,,处理18人,,"
    "中共杭州市委关于主题教育整改落实情况的通报,（原文未注明）,2019-11,hz.txt,,local,中共杭州市委,,,,,,,,,,,,,\n"
)
PASSWORD = "pw-负载"


def run(coroutine):
    return asyncio.run(coroutine)


# --- the protocol client against one process ---------------------------------------------------


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wsload")
    db = build_db(folder)
    port = serve.free_ports(1)
    with serve.Deployment(db, 1, port, folder / "run", "127.0.0.1", nginx=False) as deployment:
        yield deployment


def test_a_session_opens_pages_and_filters_like_a_browser(one_process):
    async def scenario():
        session = wsload.Session(one_process.url)
        await session.open()
        try:
            first = await session.rerun("closure", find=("整改完成率",))
            assert first.error is None and first.found == {"整改完成率"}
            assert set(session.widgets) == {"kind", "body", "theme", "indicator"}
            assert session.fragment and session.fragment[1] == 5  # the database watcher
            every_body = session.options["body"]
            kinds = session.options["kind"]
            # choosing a kind narrows the body filter's options: the widget state reached the script
            narrowed = await session.choose("kind", [kinds[0]])
            assert narrowed.error is None
            assert 0 < len(session.options["body"]) < len(every_body)
            cases = await session.rerun("cases", find=("查处案件",))
            assert cases.error is None and cases.found == {"查处案件"}
            assert len(session.options["body"]) < len(every_body)  # the filter stays across pages
            watcher = await session.auto_rerun()
            assert watcher.error is None and watcher.bytes > 0
            missing = await session.rerun("no-such-page")
            assert missing.error and "not found" in missing.error
        finally:
            await session.close()

    run(scenario())


def test_a_short_load_is_served_without_errors(one_process):
    report = run(wsload.load(one_process.url, sessions=3, seconds=4, think=0.3, pids=one_process.pids()))
    assert report["errors"] == 0, report["error_samples"]
    assert report["opened"] == 3 and report["reruns"] >= 6
    assert 0 < report["p50_ms"] <= report["p95_ms"] <= report["max_ms"] < 30_000
    assert report["rss_before_mb"] > 50 and report["rss_peak_mb"] >= report["rss_before_mb"]


def test_a_dead_server_is_an_error_not_a_hang(tmp_path):
    port = serve.free_ports(1)
    report = run(wsload.load(f"http://127.0.0.1:{port}", sessions=2, seconds=1))
    assert report["opened"] == 0 and report["errors"] == 2 and report["p50_ms"] is None


# --- nginx + 2 processes ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nginx() -> str:
    try:
        return serve.nginx_binary()
    except RuntimeError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(str(error))
        pytest.skip(str(error))


def test_nginx_conf_routes_by_a_cookie_and_proxies_websockets(tmp_path):
    conf = serve.nginx_conf(tmp_path, 9000, [9001, 9002], "127.0.0.1")
    assert "{{" not in conf
    assert "listen 127.0.0.1:9000;" in conf
    assert re.findall(r"server 127\.0\.0\.1:(\d+)", conf) == ["9001", "9002"]
    assert "hash $route_key consistent;" in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_read_timeout 1d;" in conf
    assert str(tmp_path) in conf and "/var/" not in conf


def _replica(url: str, cookie: str) -> str:
    request = urllib.request.Request(url + "/_stcore/health", headers={"Cookie": f"{serve.COOKIE}={cookie}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["X-Replica"]


def _import_in_chromium(url: str, csv_path: Path) -> str:
    """An editor imports ``csv_path`` on the 数据导入 page through nginx; returns their cookie."""
    from playwright.sync_api import sync_playwright

    from tests.test_browser import CHROMIUM, CHROMIUM_FLAGS

    if not CHROMIUM.is_file():
        message = f"no browser at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(60_000)
        page = context.new_page()
        page.goto(url + "/importer")
        page.get_by_label("编辑口令").fill(PASSWORD)
        page.get_by_label("编辑口令").press("Enter")
        page.locator('input[type="file"]').set_input_files(str(csv_path))
        page.get_by_text("2 个数字全部通过检查").wait_for()
        page.get_by_role("button", name="确认导入").click()
        page.get_by_text(re.compile(r"已导入 2 个数字")).wait_for()
        (cookie,) = [c["value"] for c in context.cookies() if c["name"] == serve.COOKIE]
        browser.close()
    return cookie


def test_two_processes_behind_nginx(nginx, tmp_path):
    """`serve --replicas 2`: sessions land on both, stay on theirs, an import through one is
    seen by an open session of the other without it doing anything; SIGTERM stops everything."""
    db = build_db(tmp_path)
    (tmp_path / "hz.csv").write_text(IMPORT_CSV, encoding="utf-8")
    port = serve.free_ports(3)
    url, run_dir = f"http://127.0.0.1:{port}", tmp_path / "run"
    env = {
        **os.environ,
        "METRICS_EDITOR_PASSWORD": PASSWORD,
        "METRICS_IMPORTS_DIR": str(tmp_path / "imports"),
    }
    command = [sys.executable, "-m", "metrics", "serve", "--db", str(db), "--replicas", "2"]
    command += ["--port", str(port), "--address", "127.0.0.1", "--run-dir", str(run_dir)]
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    loop = asyncio.new_event_loop()  # one loop: the readers' websockets live across the steps
    try:
        ready = server.stdout.readline()
        assert f"serving {url} through nginx: 2 dashboard processes" in ready, ready + server.stdout.read()
        replicas = {f"127.0.0.1:{port + 1}", f"127.0.0.1:{port + 2}"}

        async def readers():
            sessions: dict[str, wsload.Session] = {}
            for _ in range(40):  # random cookies: both processes get sessions
                session = wsload.Session(url)
                await session.open()
                if session.replica in sessions:
                    await session.close()
                    continue
                sessions[session.replica] = session
                if len(sessions) == 2:
                    break
            assert set(sessions) == replicas
            for session in sessions.values():
                opened = await session.rerun("", find=(NEW_BODY,))
                assert opened.error is None and NEW_BODY not in opened.found
                assert NEW_BODY not in session.options["body"]
                # affinity: this reader's page loads and uploads go where its websocket is
                assert {_replica(url, session.cookie) for _ in range(5)} == {session.replica}
            return sessions

        sessions = loop.run_until_complete(readers())
        # in a thread, so that the open websockets go on answering the server's pings
        cookie = loop.run_until_complete(asyncio.to_thread(_import_in_chromium, url, tmp_path / "hz.csv"))
        importer = _replica(url, cookie)
        (other,) = [s for r, s in sessions.items() if r != importer]

        async def seen_by_the_other() -> bool:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                # the open page of the other process, left alone: only its database watcher runs
                watcher = await other.auto_rerun(find=(NEW_BODY,))
                assert watcher.error is None
                if NEW_BODY in watcher.found:
                    return True
                await asyncio.sleep(other.fragment[1])
            return False

        assert loop.run_until_complete(seen_by_the_other()), (
            "the other process's open page never showed the imported body"
        )
        assert NEW_BODY in other.options["body"]

        async def fresh() -> wsload.Run:
            session = wsload.Session(url, cookie=other.cookie)
            await session.open()
            assert session.replica == other.replica
            try:
                return await session.rerun("", find=(NEW_BODY,))
            finally:
                await session.close()

        assert NEW_BODY in loop.run_until_complete(fresh()).found
        for session in sessions.values():
            loop.run_until_complete(session.close())
    finally:
        loop.close()
        server.send_signal(signal.SIGTERM)
        try:
            status = server.wait(timeout=60)
        finally:
            if server.poll() is None:
                server.kill()
    assert status == 0, server.stdout.read()
    # everything it started is gone: nginx and both processes released their ports
    assert all(serve._free(p) for p in (port, port + 1, port + 2))
    assert not (run_dir / "nginx.pid").exists()
