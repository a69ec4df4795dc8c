"""A real gunicorn (webapp/gunicorn_conf.py) on loopback over a temporary instance, for the tests
that need several worker processes (concurrent writers, rebuilds under load, killed rebuilds) or
the server itself (idle connections, stopping with SIGTERM).

The instance holds the fixture release and `instance/config.py` with `EMBEDDER = "hashing"`, which
create_app reads in the server and in every `flask index rebuild` subprocess alike."""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURE_RELEASE = REPO / "tests" / "fixtures" / "ml-100k-mini"


def flask_cli(instance: Path, *args: str, python_code: str | None = None) -> subprocess.Popen:
    """`flask --app wsgi <args>` against `instance`, as an operator would run it (`python_code`:
    a `python -c` program that ends by calling flask's CLI, to patch the build first)."""
    env = dict(os.environ, INSTANCE_PATH=str(instance))
    launcher = ["-c", python_code] if python_code else ["-m", "flask"]
    return subprocess.Popen([sys.executable, *launcher, "--app", "wsgi", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def run_flask(instance: Path, *args: str, timeout: float = 120) -> str:
    proc = flask_cli(instance, *args)
    output, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, output
    return output


def make_instance(folder: Path) -> Path:
    """A fresh instance: config.py (hashing embedder), the fixture release imported."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.py").write_text('EMBEDDER = "hashing"\n')
    run_flask(folder, "data", "import", "--source", str(FIXTURE_RELEASE))
    return folder


def request(base: tuple[str, int], method: str, path: str, body=None, token: str | None = None,
            timeout: float = 30.0) -> tuple[int, dict | None, dict]:
    """One request on its own connection: (status, JSON body or None, headers)."""
    conn = http.client.HTTPConnection(*base, timeout=timeout)
    try:
        headers = {"Connection": "close"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
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


def free_port() -> int:
    """A port free right now, for a bind as `make serve` does it: with port 0 the production config
    turns reuse_port off (gunicorn_conf.on_starting), and the workers would share one socket."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """`gunicorn --config webapp/gunicorn_conf.py --workers N --bind 127.0.0.1:0 wsgi:app`; the port
    is read from gunicorn's "Listening at" line, so no other process can take it in between.
    With `port`, the bind is 127.0.0.1:<port> as `make serve` binds, and the production config's
    reuse_port stays on: every worker listens on a socket of its own."""

    def __init__(self, instance: Path, workers: int = 4, port: int = 0):
        self.instance, self.workers, self.port = instance, workers, port
        self.log_path = instance / "gunicorn.log"
        self.proc: subprocess.Popen | None = None
        self.base: tuple[str, int] | None = None

    def start(self, timeout: float = 90.0) -> "Gunicorn":
        env = dict(os.environ, INSTANCE_PATH=str(self.instance))
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", "webapp/gunicorn_conf.py",
                 "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}",
                 "--no-control-socket", "wsgi:app"],  # no shared ~/.gunicorn socket between servers
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"gunicorn exited:\n{self.log()[-3000:]}"
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", self.log())
            booted = len(re.findall(r"Booting worker with pid", self.log()))
            port = self.port or (int(found.group(1)) if found else None)
            if port and booted >= self.workers:
                self.base = ("127.0.0.1", port)
                try:
                    if request(self.base, "GET", "/healthz", timeout=5)[0] == 200:
                        return self
                except OSError:
                    pass
            time.sleep(0.2)
        raise AssertionError(f"gunicorn not ready in {timeout:.0f}s:\n{self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def call(self, method: str, path: str, body=None, token: str | None = None):
        return request(self.base, method, path, body, token)

    def terminate(self, limit: float) -> float:
        """SIGTERM (gunicorn's graceful stop, as systemd or docker stop it) to the master; the
        seconds until it exited. Past `limit`, its group is killed and the test fails."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(limit)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise AssertionError(f"gunicorn still running {limit:.0f}s after SIGTERM:\n{self.log()[-3000:]}")
        seconds = time.monotonic() - started
        try:  # a worker the master gave up on outlives it: no process of the server stays behind
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return seconds

    def worker_ends(self) -> dict:
        """What the log says about workers that did not exit cleanly: signals they died of,
        non-zero exit codes, C++ runtime aborts."""
        log = self.log()
        return {"signalled": re.findall(r"Worker \(pid:\d+\) was sent (\w+)", log),
                "exit_codes": re.findall(r"Worker \(pid:\d+\) exited with code (-?\d+)", log),
                "terminate_called": log.count("terminate called")}

    def stop(self) -> None:
        """SIGINT (gunicorn's quick stop) to the master we started; SIGKILL to its group if stuck."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
