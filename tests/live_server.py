"""A real gunicorn (the root gunicorn.conf.py, through bench/harness.py) on loopback over a
temporary instance, for the tests that need several worker processes (concurrent writers,
rebuilds under load, killed rebuilds) or the server itself (idle connections, stopping with
SIGTERM).

The instance holds the fixture release and `instance/config.py` with `EMBEDDER = "hashing"`, which
create_app reads in the server and in every `flask index rebuild` subprocess alike."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.harness import GunicornServer, free_port, http_json  # noqa: F401 - free_port: for the tests

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
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return http_json(base, method, path, body, headers, timeout)


class Gunicorn(GunicornServer):
    """The shared harness (bench/harness.py) as the tests use it: `workers` processes (4 unless
    told), gunicorn's log in the instance folder, and by default a port the kernel picks at bind
    time (one socket shared by the workers); `port=free_port()` binds as `make serve` does."""

    def __init__(self, instance: Path, workers: int = 4, port: int | None = 0):
        super().__init__(instance, workers=workers, port=port, log_path=Path(instance) / "gunicorn.log")

    def start(self, timeout: float = 90.0) -> "Gunicorn":
        try:
            return super().start(timeout)
        except RuntimeError as exc:
            raise AssertionError(str(exc)) from None

    def call(self, method: str, path: str, body=None, token: str | None = None):
        return request(self.base, method, path, body, token)
