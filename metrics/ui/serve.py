"""Several dashboard processes behind nginx: ``python -m metrics serve --replicas 4`` (``make serve``).

One Streamlit process runs every session's script in one Python interpreter: on a busy day it is
the bottleneck (docs/scaling.md). ``serve`` starts N processes on consecutive loopback ports
(``--port`` + 1 … + N), each reading the same published build read-only (the Store's symlink,
``METRICS_DB``; each notices a new build by itself, ``metrics.ui.state.db_stamp``), and nginx on
``--port`` in front of them, from ``nginx.conf.template`` written into a run folder. nginx keeps
each browser on one process (a cookie it sets, hashed consistently: see the template), proxies
the websocket with long timeouts, and says which process answered in ``X-Replica``. Ctrl-C or
SIGTERM stops nginx and every process; so does any of them exiting.

The processes share one cookie secret (made per start), so an XSRF cookie one of them signed is
valid at every other. Editing stays as ``make run`` has it: set ``METRICS_EDITOR_PASSWORD`` and
any process takes imports; the Store's lock serialises writers across processes.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from metrics import paths

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
COOKIE = "metrics_route"
START_SECONDS = 90


def nginx_binary() -> str:
    """Debian's nginx (``apt-get install nginx``)."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None)
    if not found:
        raise RuntimeError("nginx is not installed: apt-get install nginx")
    return found


def nginx_conf(run: Path, port: int, replica_ports: list[int], address: str = "0.0.0.0") -> str:
    """The nginx configuration for ``replica_ports`` behind ``address:port``, all paths in ``run``."""
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in replica_ports)
    # nginx started as root would run its workers as nobody, who cannot enter a private run folder.
    user = "user root;" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""
    text = TEMPLATE.read_text(encoding="utf-8")
    for key, value in {
        "replicas": str(len(replica_ports)),
        "user": user,
        "run": str(run),
        "cookie": COOKIE,
        "servers": servers,
        "address": address,
        "port": str(port),
    }.items():
        text = text.replace("{{" + key + "}}", value)
    assert "{{" not in text, "a placeholder of nginx.conf.template is not filled"
    return text


def free_ports(count: int) -> int:
    """A first port of ``count`` consecutive free loopback ports."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            first = s.getsockname()[1]
        if first + count < 65536 and all(_free(first + i) for i in range(count)):
            return first
    raise RuntimeError(f"no {count} consecutive free ports")


def _free(port: int) -> bool:
    """Whether a server could listen on ``port`` (as nginx and uvicorn do, with SO_REUSEADDR:
    connections of a process just stopped, in TIME_WAIT, do not count)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def streamlit_command(port: int, session_ttl: int | None = None) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(paths.ROOT / "dashboard.py"),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    if session_ttl is not None:
        command += ["--server.disconnectedSessionTTL", str(session_ttl)]
    return command


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except OSError:
        return False


class Deployment:
    """nginx on ``address:port`` and ``replicas`` dashboard processes on the next ports, over ``db``.

    A context manager: started on entry, everything stopped on exit. ``replicas=1`` with
    ``nginx=False`` is one bare process (``make run``'s shape), for comparisons.
    """

    def __init__(
        self,
        db: Path,
        replicas: int = 2,
        port: int = 8501,
        run_dir: Path | None = None,
        address: str = "0.0.0.0",
        env: dict[str, str] | None = None,
        nginx: bool = True,
        session_ttl: int | None = None,
    ):
        if replicas < 1:
            raise ValueError("at least one replica")
        self.db, self.replicas, self.port, self.address = Path(db), replicas, port, address
        self.run = Path(run_dir or paths.ROOT / "data" / ".serve").resolve()
        self.env, self.use_nginx, self.session_ttl = env or {}, nginx, session_ttl
        first = port + 1 if nginx else port
        self.replica_ports = [first + i for i in range(replicas)]
        self.processes: list[subprocess.Popen] = []
        self.nginx: subprocess.Popen | None = None
        self._logs: list = []

    @property
    def url(self) -> str:
        """Where readers go: nginx, or the one process without it."""
        host = "127.0.0.1" if self.address in ("0.0.0.0", "") else self.address
        return f"http://{host}:{self.port}"

    @property
    def replica_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p}" for p in self.replica_ports]

    def pids(self) -> list[int]:
        """The dashboard processes' ids (not nginx's), for their memory."""
        return [p.pid for p in self.processes]

    def __enter__(self) -> Deployment:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        binary = nginx_binary() if self.use_nginx else None
        busy = [p for p in ([self.port] if self.use_nginx else []) + self.replica_ports if not _free(p)]
        if busy:
            raise RuntimeError(f"port(s) in use: {', '.join(map(str, busy))}")
        self.run.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            **self.env,
            "METRICS_DB": str(self.db),
            "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32),
        }
        for port in self.replica_ports:
            log = (self.run / f"replica-{port}.log").open("w")
            self._logs.append(log)
            self.processes.append(
                subprocess.Popen(
                    streamlit_command(port, self.session_ttl),
                    cwd=paths.ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # Ctrl-C reaches serve, which stops them in order
                )
            )
        self._wait(self.replica_urls, "dashboard process")
        if binary:
            (self.run / "tmp").mkdir(exist_ok=True)
            conf = self.run / "nginx.conf"
            conf.write_text(
                nginx_conf(self.run, self.port, self.replica_ports, self.address), encoding="utf-8"
            )
            self.nginx = subprocess.Popen(
                [binary, "-p", str(self.run), "-c", str(conf), "-e", str(self.run / "error.log")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            self._wait([self.url], "nginx")

    def _wait(self, urls: list[str], what: str) -> None:
        deadline = time.monotonic() + START_SECONDS
        pending = list(urls)
        while pending:
            if dead := self.exited():
                raise RuntimeError(f"{dead} exited while starting; see {self.run}")
            pending = [u for u in pending if not _healthy(u)]
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"{what} not answering after {START_SECONDS} s: {pending}; see {self.run}")
            if pending:
                time.sleep(0.25)

    def exited(self) -> str | None:
        """What has exited of what was started (None while everything runs)."""
        for port, process in zip(self.replica_ports, self.processes):
            if process.poll() is not None:
                return f"dashboard process on port {port} (status {process.returncode})"
        if self.nginx is not None and self.nginx.poll() is not None:
            return f"nginx (status {self.nginx.returncode})"
        return None

    def stop(self) -> None:
        """Stop nginx, then every process (SIGTERM, SIGKILL after 15 s); idempotent."""
        for process in ([self.nginx] if self.nginx else []) + self.processes:
            if process.poll() is None:
                process.terminate()
        for process in ([self.nginx] if self.nginx else []) + self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
        for log in self._logs:
            log.close()
        self._logs.clear()


def main(db: Path, replicas: int, port: int, address: str, run_dir: Path | None) -> int:
    """Serve until Ctrl-C or SIGTERM (status 0), or until a process exits by itself (status 1)."""

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    deployment = Deployment(db, replicas, port, run_dir, address)
    try:
        with deployment:
            print(
                f"serving {deployment.url} through nginx: {replicas} dashboard processes on ports "
                f"{deployment.replica_ports[0]}-{deployment.replica_ports[-1]} over {db}; "
                f"logs and nginx.conf in {deployment.run}; Ctrl-C stops all",
                flush=True,
            )
            while not (dead := deployment.exited()):
                time.sleep(1)
            print(f"{dead}: stopping everything; see {deployment.run}", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 0
