"""The one way the tests (tests/live_server.py) and the benchmarks (bench/) run a real gunicorn:
`python -m gunicorn -w N [options] wsgi:app` from the repo root, so gunicorn reads the root
gunicorn.conf.py by itself, exactly as `make serve` and a bare `gunicorn -w 3 wsgi:app` do, over
an instance folder (INSTANCE_PATH). Started on a free port, ready once /healthz answers and every
worker has logged its warm-up (webapp.runtime.warm_up), stopped cleanly.

    with GunicornServer(instance, workers=2) as server:
        status, body = server.get("/healthz")

`port=None` (the default) picks a free port and binds it as `make serve` binds its PORT, so
reuse_port stays on and every worker listens on a socket of its own; `port=0` lets the kernel
choose while gunicorn binds, and the configuration then shares one socket between the workers
(gunicorn.conf.py's on_starting). Each server gets a folder of its own for its log and its
control socket (XDG_RUNTIME_DIR), so several can run at once."""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SERVING_ON = re.compile(r"Serving on http://127\.0\.0\.1:(\d+)")
WARM = re.compile(r"process (\d+) warm in|warm-up incomplete")


def free_port() -> int:
    """A port free right now, for a bind as `make serve` does it (see the module's docstring)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """Child processes of `pid`, recursively (gunicorn's workers)."""
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found.append(child)
            found.extend(descendants(child))
    return found


def http_json(base: tuple[str, int], method: str, path: str, body=None, headers: dict | None = None,
              timeout: float = 30.0) -> tuple[int, dict | None, dict]:
    """One request on a connection of its own: (status, JSON body or None, response headers)."""
    conn = http.client.HTTPConnection(*base, timeout=timeout)
    try:
        headers = {"Connection": "close", **(headers or {})}
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body), "application/json"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return response.status, parsed, dict(response.getheaders())
    finally:
        conn.close()


def worker_ends(log: str) -> dict:
    """What gunicorn's log says about workers that did not exit cleanly: signals they died of,
    non-zero exit codes, C++ runtime aborts."""
    return {"signalled": re.findall(r"Worker \(pid:\d+\) was sent (\w+)", log),
            "exit_codes": re.findall(r"Worker \(pid:\d+\) exited with code (-?\d+)", log),
            "terminate_called": log.count("terminate called")}


class GunicornServer:
    """A gunicorn master and its workers on loopback; see the module's docstring."""

    def __init__(self, instance: Path, workers: int | None = 2, port: int | None = None,
                 options: list[str] | None = None, env: dict[str, str] | None = None, log_path: Path | None = None,
                 need_index: bool = True):
        """`workers=None`: no -w flag, gunicorn.conf.py's count (WORKERS in `env`, else its default)."""
        self.instance, self.flag_workers = Path(instance), workers
        self.options, self.extra_env, self.need_index = list(options or []), dict(env or {}), need_index
        self.workers = workers or int(self.extra_env.get("WORKERS", os.environ.get("WORKERS", "2")))
        self.port = free_port() if port is None else port
        self.folder = Path(tempfile.mkdtemp(prefix="gunicorn-"))
        self.log_path = Path(log_path) if log_path else self.folder / "gunicorn.log"
        self.proc: subprocess.Popen | None = None
        self.base: tuple[str, int] | None = None

    @property
    def command(self) -> list[str]:
        count = ["-w", str(self.flag_workers)] if self.flag_workers else []
        return [sys.executable, "-m", "gunicorn", *count, *self.options, "wsgi:app"]

    @property
    def shown(self) -> str:
        """The command as an operator would type it."""
        extra = " ".join(f"{k}={v}" for k, v in self.extra_env.items())
        return f"PORT={self.port} {extra + ' ' if extra else ''}gunicorn {' '.join(self.command[3:])}"

    @property
    def url(self) -> str:
        return f"http://{self.base[0]}:{self.base[1]}"

    def start(self, timeout: float = 240.0) -> "GunicornServer":
        env = dict(os.environ, INSTANCE_PATH=str(self.instance), PORT=str(self.port),
                   XDG_RUNTIME_DIR=str(self.folder), **self.extra_env)
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(self.command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}):\n{self.log()[-3000:]}")
            if self._ready():
                return self
            time.sleep(0.2)
        log = self.log()
        self.stop()
        raise RuntimeError(f"gunicorn not ready within {timeout:.0f}s:\n{log[-3000:]}")

    def _ready(self) -> bool:
        log = self.log()
        found = SERVING_ON.search(log)
        if found is None:
            return False
        self.base = ("127.0.0.1", int(found.group(1)))
        workers = descendants(self.proc.pid)
        warm = {int(pid) for pid in re.findall(r"process (\d+) warm in", log)}
        if len(workers) < self.workers or not (set(workers) <= warm or "warm-up incomplete" in log):
            return False
        try:
            status, body, _ = http_json(self.base, "GET", "/healthz", timeout=5)
        except OSError:
            return False
        return status == 200 and (not self.need_index or bool((body or {}).get("index_version")))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def get(self, path: str, token: str | None = None) -> tuple[int, dict | None]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        status, body, _ = http_json(self.base, "GET", path, headers=headers)
        return status, body

    def worker_ends(self) -> dict:
        return worker_ends(self.log())

    def terminate(self, limit: float) -> float:
        """SIGTERM (gunicorn's graceful stop, as systemd or docker stop it) to the master; the
        seconds until it exited. Past `limit` its process group is killed and AssertionError
        raised."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(limit)
        except subprocess.TimeoutExpired:
            self._kill_group()
            self.proc.wait()
            raise AssertionError(f"gunicorn still running {limit:.0f}s after SIGTERM:\n{self.log()[-3000:]}")
        seconds = time.monotonic() - started
        self._kill_group()  # a worker the master gave up on outlives it: nothing of the server stays
        return seconds

    def stop(self) -> None:
        """SIGINT (gunicorn's quick stop) to the master, if still running; its process group is
        killed if it is stuck. The server's folder goes too, unless the log was put elsewhere."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self._kill_group()
                self.proc.wait()
        self._kill_group()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _kill_group(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def __enter__(self) -> "GunicornServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
