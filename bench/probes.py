"""What wrk's throughput cannot show about a server: whether it still answers while idle
connections are held open (clients that connect and send nothing, or half a request line, as a
slow or hostile client does), and whether SIGTERM stops it quickly and cleanly after real traffic.
bench.serving runs both on every `make bench`; bench.configs runs them for every candidate
worker model.

    .venv/bin/python -m bench.serving --seconds 10   # the probes are printed after the table
"""
from __future__ import annotations

import http.client
import signal
import socket
import time
from contextlib import contextmanager

from .harness import worker_ends

IDLE_CONNECTIONS = 50
HALF_REQUEST_LINE = b"GET /healthz HT"
HEALTHZ_TIMEOUT = 15.0


@contextmanager
def idle_connections(host: str, port: int, count: int = IDLE_CONNECTIONS):
    """`count` open connections: half of them send nothing after connecting, the others half a
    request line; all stay open until the block ends."""
    held: list[socket.socket] = []
    try:
        for i in range(count):
            sock = socket.create_connection((host, port), timeout=10)
            if i % 2:
                sock.sendall(HALF_REQUEST_LINE)
            held.append(sock)
        yield held
    finally:
        for sock in held:
            sock.close()


def healthz_seconds(host: str, port: int, timeout: float = HEALTHZ_TIMEOUT) -> float | None:
    """Seconds until GET /healthz on a new connection answers 200; None if it does not within
    `timeout` (or answers something else)."""
    started = time.monotonic()
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", "/healthz", headers={"Connection": "close"})
        response = conn.getresponse()
        response.read()
        return time.monotonic() - started if response.status == 200 else None
    except OSError:
        return None
    finally:
        conn.close()


def idle_probe(host: str, port: int, count: int = IDLE_CONNECTIONS, tries: int = 6) -> dict:
    """/healthz answer times, each on a new connection, while `count` idle connections are held
    (a pause first, so the workers have accepted them). New connections land on either worker,
    so several tries see both."""
    with idle_connections(host, port, count):
        time.sleep(1.0)
        times = [healthz_seconds(host, port) for _ in range(tries)]
    answered = [t for t in times if t is not None]
    return {"idle_connections": count, "tries": tries, "answered": len(answered),
            "worst_s": round(max(answered), 3) if len(answered) == tries else None,
            "seconds": [None if t is None else round(t, 3) for t in times]}


def worker_deaths(log: str) -> dict:
    """What gunicorn's log says about how the workers ended."""
    return {**worker_ends(log), "graceful_timeouts": log.count("graceful timeout")}


def stop(proc, host: str, port: int, log_text, idle: int = IDLE_CONNECTIONS, limit: float = 60.0) -> dict:
    """SIGTERM to the master `proc` while `idle` idle connections and one kept-alive connection
    are open; seconds until the master exits, its status, and how the workers ended (from
    `log_text()`). The caller has sent real traffic first, so the native libraries have run."""
    keep_alive = http.client.HTTPConnection(host, port, timeout=10)
    keep_alive.request("GET", "/healthz")
    keep_alive.getresponse().read()
    try:
        with idle_connections(host, port, idle):
            time.sleep(0.5)
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            try:
                status = proc.wait(limit)
            except Exception:  # still running: the caller kills it
                status = None
            seconds = time.monotonic() - started
    finally:
        keep_alive.close()
    return {"seconds": round(seconds, 2), "master_status": status, **worker_deaths(log_text())}


def clean(stopped: dict) -> bool:
    return (stopped["master_status"] == 0 and not stopped["signalled"] and not stopped["exit_codes"]
            and not stopped["terminate_called"])
