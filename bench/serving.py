"""HTTP serving on ML-100K: gunicorn as `make serve` runs it (the root gunicorn.conf.py, through
bench/harness.py) on loopback, driven by `wrk` for --seconds per endpoint at 16 connections: /healthz (the baseline),
/api/movies/<id>/similar over every movie, /api/feed for logged-in users with real ratings
(bearer tokens rotated), /api/search over many phrases, /api/movies?q= over title prefixes.
With --rounds N every endpoint is loaded N times, interleaved, and summarised by medians
(combine_rounds). Prints req/s, p50 and p99 and each endpoint's throughput as a fraction of
/healthz, then the memory (PSS) of the master and every worker, then what throughput cannot
show (bench/probes.py): /healthz while 50 idle connections are held, and how SIGTERM stops the
server with them open. Writes the same to bench/results/serving.json
(serving-<folder>.json when BENCH_INSTANCE names another instance, e.g. instance/scale-1.0).

wrk is the Debian package (installed with apt-get when missing and running as root); without it
a bounded asyncio HTTP/1.1 client does the same job, and the output says so.

    .venv/bin/python -m bench.serving --seconds 30 --rounds 3   # what `make bench` runs
    .venv/bin/python -m bench.serving --seconds 10 --workers 4 --worker-class sync   # a variant
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import probes
from .common import BENCH_INSTANCE, REPO, ensure_ml100k, write_result
from .harness import GunicornServer, descendants
from .latency import PHRASES

CONNECTIONS = 16
WARMUP_SECONDS = 2.0
FEED_USERS = 100
RATINGS_PER_USER = 20
PASSWORD = "bench-only-password-42"  # throwaway accounts of the benchmark instance
SIGNUPS_PER_ADDRESS = 5
TARGETS = {"similar": 0.5, "feed": 0.35, "search": 0.15, "search_new": 0.15, "titles": 0.5}
P99_TARGET_MS = 50.0
IDLE_ANSWER_TARGET_S = 1.0
STOP_TARGET_S = 10.0
PSS_TARGET_MB = 2048.0

# Free text for /api/search: subjects x settings. The app caches recent query vectors, so the
# "search" row (these phrases in rotation) measures cache hits after the first pass, and the
# "search_new" row (each phrase with a number appended) a MiniLM encode on every request.
SUBJECTS = ["robots", "a heist crew", "two sisters", "a lonely detective", "pirates", "a talking dog",
            "vampires", "a rock band", "astronauts", "a boxing champion", "spies", "a small town sheriff",
            "high school friends", "a haunted doll", "dinosaurs", "a chess prodigy", "aliens", "gangsters"]
SETTINGS = ["in space", "in new york", "during the war", "in the old west", "in a haunted house",
            "at sea", "in the future", "in paris", "on a road trip", "in the jungle", "at christmas"]


@dataclass
class Endpoint:
    name: str      # key in the results
    label: str     # as printed in the table
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, bearer token)


# -- the server ----------------------------------------------------------------------------------
def get_json(base: str, path: str, token: str | None = None, method: str = "GET", body: dict | None = None,
             timeout: float = 30.0, source: str | None = None) -> tuple[int, dict | None]:
    """(status, parsed JSON body); `source`: the loopback address to connect from (127.0.0.N)."""
    data = json.dumps(body).encode() if body is not None else None
    if source is not None:
        return _json_from(source, base, path, token, method, data, timeout)
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw) if raw else None
        except ValueError:
            return exc.code, None


def _json_from(source: str, base: str, path: str, token: str | None, method: str, data: bytes | None,
               timeout: float) -> tuple[int, dict | None]:
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout, source_address=(source, 0))
    headers = {"Content-Type": "application/json"} if data is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    try:
        return response.status, json.loads(raw) if raw else None
    except ValueError:
        return response.status, None


def smaps_rollup(pid: int) -> dict[str, float]:
    """Pss, Rss and the private pages of one process, in MB, from /proc/<pid>/smaps_rollup."""
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "kB":
            out[parts[0].rstrip(":")] = int(parts[1]) / 1024
    return {"pss_mb": round(out.get("Pss", 0.0), 1), "rss_mb": round(out.get("Rss", 0.0), 1),
            "private_mb": round(out.get("Private_Clean", 0.0) + out.get("Private_Dirty", 0.0), 1)}


def memory(master: int) -> dict:
    workers = {pid: smaps_rollup(pid) for pid in descendants(master)}
    master_mem = smaps_rollup(master)
    pss = [m["pss_mb"] for m in workers.values()]
    return {"master": master_mem, "workers": {str(p): m for p, m in workers.items()},
            "worker_pss_mb_mean": round(float(np.mean(pss)), 1) if pss else 0.0,
            "total_pss_mb": round(master_mem["pss_mb"] + sum(pss), 1)}


class Server(GunicornServer):
    """gunicorn as `make serve` runs it (bench/harness.py: the root gunicorn.conf.py, a free port,
    reuse_port), `workers` processes, `options` extra command-line flags, `env` extra environment
    (WORKER_CLASS, THREADS: gunicorn.conf.py reads them). Stopped with the SIGTERM probe."""

    def __init__(self, instance: Path, workers: int | None = 2, options: list[str] | None = None,
                 env: dict[str, str] | None = None):
        super().__init__(instance, workers=workers, options=options, env=env)
        self.stopped: dict | None = None

    def stop(self) -> None:
        """SIGTERM (gunicorn's graceful stop) with idle and kept-alive connections open, as a real
        stop meets them; how long it took and how the workers ended go to `self.stopped`."""
        if self.proc is not None and self.proc.poll() is None and self.base is not None:
            try:
                self.stopped = probes.stop(self.proc, *self.base, self.log, limit=30)
            except OSError as exc:  # the server no longer accepts: stopped without the probe
                self.stopped = {"error": repr(exc)}
        super().stop()


@contextmanager
def running(instance: Path, workers: int = 2, options: list[str] | None = None, env: dict[str, str] | None = None):
    server = Server(instance, workers, options, env)
    try:
        server.start()
        yield server
    finally:
        server.stop()


# -- what the load asks for ----------------------------------------------------------------------
def bench_users(server: Server, db_path: Path, count: int = FEED_USERS) -> list[str]:
    """Bearer tokens of `count` accounts, each with RATINGS_PER_USER real ratings: a sample of one
    MovieLens user's list each. Accounts and ratings persist in the benchmark instance; tokens are
    new every run (revoked at the end by `revoke`)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        ml_users = [u for (u,) in db.execute(
            "SELECT user_id FROM ratings JOIN users u ON u.id = user_id WHERE u.username IS NULL "
            "GROUP BY user_id HAVING count(*) >= ? ORDER BY user_id LIMIT ?", (RATINGS_PER_USER, count))]
        lists = {u: db.execute("SELECT movie_id, rating FROM ratings WHERE user_id = ? ORDER BY movie_id",
                               (u,)).fetchall() for u in ml_users}
    rng = random.Random(0)

    def one(i: int, ml_user: int) -> str:
        name = f"bench_user_{i:03d}"
        # The app limits sign-ups per client address; these are many people's accounts, so they
        # sign up from several loopback addresses, a few accounts each.
        source = f"127.0.0.{2 + i // SIGNUPS_PER_ADDRESS}"
        status, _ = with_retry(lambda: get_json(server.url, "/api/users", method="POST", source=source,
                                                body={"username": name, "password": PASSWORD}))
        if status not in (201, 409):
            raise RuntimeError(f"POST /api/users for {name}: {status}")
        status, body = with_retry(lambda: get_json(server.url, "/api/token", method="POST", source=source,
                                                   body={"username": name, "password": PASSWORD}))
        if status != 200:
            raise RuntimeError(f"POST /api/token for {name}: {status} {body}")
        token = body["token"]
        _, mine = get_json(server.url, "/api/ratings", token)
        if len((mine or {}).get("results", [])) < RATINGS_PER_USER:
            for movie_id, rating in random.Random(ml_user).sample(lists[ml_user], RATINGS_PER_USER):
                status, _ = with_retry(lambda: get_json(server.url, f"/api/ratings/{movie_id}", token, "PUT",
                                                        {"rating": float(rating)}))
                if status not in (200, 201):
                    raise RuntimeError(f"PUT /api/ratings/{movie_id}: {status}")
        return token

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        tokens = list(pool.map(lambda pair: one(*pair), enumerate(ml_users)))
    rng.shuffle(tokens)
    return tokens


def with_retry(call, attempts: int = 20):
    """A set-up request again after a 429 (rate limiting), waiting a little longer each time."""
    for attempt in range(attempts):
        status, body = call()
        if status != 429:
            return status, body
        time.sleep(min(5.0, 0.2 * 2 ** attempt))
    return status, body


def revoke(server: Server, tokens: list[str]) -> None:
    for token in tokens:
        try:
            get_json(server.url, "/api/token", token, "DELETE", timeout=5)
        except OSError:
            pass


def endpoints(db_path: Path, tokens: list[str]) -> list[Endpoint]:
    rng = random.Random(1)
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        movie_ids = [m for (m,) in db.execute("SELECT id FROM movies ORDER BY id")]
        keys = [k for (k,) in db.execute("SELECT search_key FROM movies WHERE search_key != '' ORDER BY id")]
    rng.shuffle(movie_ids)
    phrases = [f"{s} {w}" for s in SUBJECTS for w in SETTINGS] + list(PHRASES)
    rng.shuffle(phrases)
    prefixes = sorted({k[:rng.randint(2, min(12, len(k)))].strip() for k in keys if len(k) >= 2})
    prefixes = [p for p in prefixes if p]
    rng.shuffle(prefixes)
    quote = urllib.parse.quote
    return [
        Endpoint("healthz", "/healthz", [("/healthz", None)]),
        Endpoint("similar", "/api/movies/<id>/similar", [(f"/api/movies/{m}/similar", None) for m in movie_ids]),
        Endpoint("feed", "/api/feed (bearer)", [("/api/feed", t) for t in tokens]),
        Endpoint("search", "/api/search?q= (phrases repeat)", [(f"/api/search?q={quote(p)}", None) for p in phrases]),
        Endpoint("search_new", "/api/search?q= (every phrase new)",
                 [(f"/api/search?q={quote(p)}%20{n}", None) for n in range(100) for p in phrases]),
        Endpoint("titles", "/api/movies?q=", [(f"/api/movies?q={quote(p)}", None) for p in prefixes]),
    ]


def check(server: Server, endpoint: Endpoint) -> None:
    """A few requests of the endpoint answer 200 with results, before any load is timed."""
    for path, token in endpoint.requests[:3]:
        status, body = get_json(server.url, path, token)
        if status != 200 or (endpoint.name != "healthz" and not (body or {}).get("results")):
            raise RuntimeError(f"{path}: {status} {str(body)[:200]}")


# -- load generators -----------------------------------------------------------------------------
WRK_SCRIPT = r"""
local reqs = {}
local n = 0
local i = 0

function init(args)
  for line in io.lines(args[1]) do
    local path, token = line:match("^([^\t]*)\t?(.*)$")
    local headers = {}
    if token ~= nil and token ~= "" then headers["Authorization"] = "Bearer " .. token end
    n = n + 1
    reqs[n] = wrk.format("GET", path, headers)
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  i = math.random(n) - 1
end

function request()
  i = (i % n) + 1
  return reqs[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d}, "latency_ms": {"p50": %.3f, "p90": %.3f, "p99": %.3f, "max": %.3f, ' ..
    '"mean": %.3f}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000))
end
"""


def find_wrk(install: bool = True) -> str | None:
    """wrk on PATH; else apt-get install it when root; else None (the Python client is used)."""
    found = shutil.which("wrk")
    if found or not install or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    print("wrk missing: apt-get install -y wrk", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True)
    return shutil.which("wrk")


def run_wrk(wrk: str, base: str, endpoint: Endpoint, seconds: float, connections: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        script, paths = Path(tmp) / "rotate.lua", Path(tmp) / "requests.tsv"
        script.write_text(WRK_SCRIPT)
        paths.write_text("".join(f"{p}\t{t or ''}\n" for p, t in endpoint.requests))
        # Two wrk threads, not one: a single thread opens all its connections in one burst, and
        # the worker that wakes first on a shared socket accepts them all while the other idles.
        cmd = [wrk, "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
               "-s", str(script), base, "--", str(paths)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line[len("WRK_JSON "):])
    duration = raw["duration_us"] / 1e6
    errors = sum(raw["errors"].values())
    return {"requests": raw["requests"], "seconds": round(duration, 2),
            "req_per_s": round(raw["requests"] / duration, 1),
            "p50_ms": round(raw["latency_ms"]["p50"], 2), "p90_ms": round(raw["latency_ms"]["p90"], 2),
            "p99_ms": round(raw["latency_ms"]["p99"], 2), "max_ms": round(raw["latency_ms"]["max"], 2),
            "errors": errors, "error_detail": raw["errors"]}


async def _client(host: str, port: int, requests: list[bytes], start: int, deadline: float,
                  latencies: list[float], errors: list[int]) -> None:
    """One keep-alive HTTP/1.1 connection sending requests back to back until the deadline."""
    reader = writer = None
    i = start
    while time.perf_counter() < deadline:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            began = time.perf_counter()
            writer.write(requests[i % len(requests)])
            i += 1
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            status = int(head.split(b" ", 2)[1])
            length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
            await reader.readexactly(int(length.group(1)) if length else 0)
            latencies.append(time.perf_counter() - began)
            if not 200 <= status < 400:
                errors[0] += 1
            if re.search(rb"(?i)\r\nconnection:\s*close", head):
                writer.close()
                writer = None
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError):
            errors[0] += 1
            if writer is not None:
                writer.close()
            writer = None
    if writer is not None:
        writer.close()


def run_python(base: str, endpoint: Endpoint, seconds: float, connections: int) -> dict:
    """The fallback load generator: `connections` asyncio keep-alive connections for `seconds`."""
    host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port
    raw = []
    for path, token in endpoint.requests:
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        raw.append(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{auth}\r\n".encode())
    latencies: list[float] = []
    errors = [0]

    async def main() -> float:
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(_client(host, port, raw, random.randrange(len(raw)), deadline, latencies, errors)
                               for _ in range(connections)))
        return time.perf_counter() - started

    duration = asyncio.run(main())
    ms = np.asarray(latencies) * 1000 if latencies else np.zeros(1)
    return {"requests": len(latencies), "seconds": round(duration, 2),
            "req_per_s": round(len(latencies) / duration, 1),
            "p50_ms": round(float(np.percentile(ms, 50)), 2), "p90_ms": round(float(np.percentile(ms, 90)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2), "max_ms": round(float(ms.max()), 2),
            "errors": errors[0]}


# -- one run -------------------------------------------------------------------------------------
def measure(seconds: float = 30.0, connections: int = CONNECTIONS, options: list[str] | None = None,
            env: dict[str, str] | None = None, only: list[str] | None = None, use_wrk: bool = True,
            quiet: bool = False, rounds: int = 1, workers: int = 2) -> dict:
    """Start gunicorn, load every endpoint in turn (`rounds` times over), read the memory; the
    result as a dict (see combine_rounds for how rounds are summarised)."""
    instance = ensure_ml100k()
    db_path = instance / "movies.db"
    wrk = find_wrk() if use_wrk else None
    generator = "wrk" if wrk else "python-asyncio (fallback: wrk not available)"
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    options = options or []
    with running(instance, workers, options, env) as server:
        say(f"gunicorn ready: {server.shown}")
        tokens = bench_users(server, db_path)
        try:
            chosen = [e for e in endpoints(db_path, tokens) if not only or e.name in only or e.name == "healthz"]
            for endpoint in chosen:
                check(server, endpoint)
            per_round = []
            for n in range(rounds):
                results = {}
                for endpoint in chosen:
                    load = (lambda s: run_wrk(wrk, server.url, endpoint, s, connections)) if wrk else (
                        lambda s: run_python(server.url, endpoint, s, connections))
                    load(WARMUP_SECONDS)
                    results[endpoint.name] = r = {"path": endpoint.label, "distinct_requests": len(endpoint.requests),
                                                  **load(seconds)}
                    say(f"  {f'[{n + 1}/{rounds}] ' if rounds > 1 else ''}{endpoint.label:28s} "
                        f"{r['req_per_s']:8.1f} req/s  p50 {r['p50_ms']:6.2f} ms  "
                        f"p99 {r['p99_ms']:6.2f} ms  errors {r['errors']}")
                per_round.append(with_fractions(results))
            mem = memory(server.proc.pid)
            worker_log = [ln for ln in server.log().splitlines() if "warm" in ln or "Serving on" in ln]
            idle = probes.idle_probe(*server.base)
            say(f"  /healthz with {idle['idle_connections']} idle connections held: {idle['seconds']} s")
        finally:
            revoke(server, tokens)
    say(f"  SIGTERM: {server.stopped}")
    results = combine_rounds(per_round)
    for name, r in results.items():
        if name in TARGETS:
            r["target_fraction"] = TARGETS[name]
        r["meets_targets"] = (r["fraction_of_healthz"] >= TARGETS.get(name, 0) and r["p99_ms"] < P99_TARGET_MS
                              and r["errors"] == 0)
    return {"instance": str(instance), "seconds": seconds, "connections": connections, "rounds": rounds,
            "load_generator": generator, "command": server.shown, "workers": workers,
            "gunicorn_options": options, "env": env or {}, "endpoints": results, "memory": mem,
            "memory_meets_target": mem["total_pss_mb"] < PSS_TARGET_MB, "startup_log": worker_log[-12:],
            "idle_probe": idle, "stop": server.stopped}


def with_fractions(results: dict) -> dict:
    """Each endpoint's req/s as a fraction of /healthz's in the same round."""
    base = results["healthz"]["req_per_s"]
    for r in results.values():
        r["fraction_of_healthz"] = round(r["req_per_s"] / base, 3) if base else None
    return results


def combine_rounds(per_round: list[dict]) -> dict:
    """One row per endpoint from several rounds (each endpoint loaded once per round, healthz
    first): req/s, p50 and fraction are medians over the rounds, each fraction taken against
    the /healthz of its own round; p99 is the worst round's; errors add up. On a shared machine
    a single 30 s window can catch a neighbour's burst; the median of interleaved rounds
    does not hinge on one. The rounds themselves are kept under "rounds"."""
    if len(per_round) == 1:
        return per_round[0]
    combined = {}
    for name, first in per_round[0].items():
        rows = [r[name] for r in per_round]
        combined[name] = {
            "path": first["path"], "distinct_requests": first["distinct_requests"],
            "requests": sum(r["requests"] for r in rows), "seconds": round(sum(r["seconds"] for r in rows), 2),
            "req_per_s": round(float(np.median([r["req_per_s"] for r in rows])), 1),
            "p50_ms": round(float(np.median([r["p50_ms"] for r in rows])), 2),
            "p99_ms": max(r["p99_ms"] for r in rows), "errors": sum(r["errors"] for r in rows),
            "fraction_of_healthz": round(float(np.median([r["fraction_of_healthz"] for r in rows])), 3),
            "rounds": [{k: r[k] for k in ("req_per_s", "p50_ms", "p99_ms", "fraction_of_healthz")} for r in rows],
        }
    return combined


def table(result: dict) -> str:
    """The README's table; with several rounds, req/s and p50 are medians, p99 the worst round's,
    and each round's own fraction is listed after the median one."""
    rounds = result.get("rounds", 1) > 1
    head = "| endpoint | req/s | p50 ms | p99 ms | fraction of /healthz |" + (" each round |" if rounds else "")
    rows = [head, "| --- | ---: | ---: | ---: | ---: |" + (" ---: |" if rounds else "")]
    for r in result["endpoints"].values():
        row = (f"| `{r['path']}` | {r['req_per_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} "
               f"| {r['fraction_of_healthz']:.2f} |")
        if rounds:
            row += " " + ", ".join(f"{x['fraction_of_healthz']:.2f}" for x in r["rounds"]) + " |"
        rows.append(row)
    return "\n".join(rows)


def memory_lines(result: dict) -> str:
    mem = result["memory"]
    workers = list(mem["workers"].values())
    per = ", ".join(f"{w['pss_mb']:.0f}" for w in workers)
    return (f"Memory (PSS, after the load): master {mem['master']['pss_mb']:.0f} MB; "
            f"{len(workers)} workers {per} MB (mean {mem['worker_pss_mb_mean']:.0f} MB); "
            f"total {mem['total_pss_mb']:.0f} MB of all serving processes.")


def report(result: dict) -> str:
    missed = []
    for name, r in result["endpoints"].items():
        why = ([f"{r['fraction_of_healthz']:.2f} of /healthz < {TARGETS[name]}"]
               if r["fraction_of_healthz"] < TARGETS.get(name, 0) else [])
        why += [f"p99 {r['p99_ms']:.0f} ms >= {P99_TARGET_MS:.0f}"] if r["p99_ms"] >= P99_TARGET_MS else []
        why += [f"{r['errors']} errors"] if r["errors"] else []
        if why:
            missed.append(f"{r['path']} ({', '.join(why)})")
    if not result["memory_meets_target"]:
        missed.append(f"memory (total PSS {result['memory']['total_pss_mb']:.0f} MB vs {PSS_TARGET_MB:.0f})")
    idle, stopped = result.get("idle_probe"), result.get("stop")
    if idle and (idle["worst_s"] is None or idle["worst_s"] >= IDLE_ANSWER_TARGET_S):
        missed.append(f"/healthz with {idle['idle_connections']} idle connections held ({idle['seconds']} s)")
    if stopped and ("error" in stopped or not probes.clean(stopped) or stopped["seconds"] >= STOP_TARGET_S):
        missed.append(f"SIGTERM stop ({stopped})")
    lines = [f"Serving {Path(result.get('instance', 'bench')).name}, {result['connections']} connections, "
             f"{result['seconds']:g} s per endpoint and round, {result.get('rounds', 1)} round(s), "
             f"load generator: {result['load_generator']}", f"Server: {result['command']}", "",
             table(result), "", memory_lines(result), "", *probe_lines(result),
             "Targets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed))]
    return "\n".join(lines)


def probe_lines(result: dict) -> list[str]:
    """The idle-connection and SIGTERM probes (bench/probes.py) in a sentence each."""
    lines = []
    idle, stopped = result.get("idle_probe"), result.get("stop")
    if idle:
        worst = f"{idle['worst_s'] * 1000:.0f} ms" if idle["worst_s"] is not None else "not every time"
        lines.append(f"/healthz while {idle['idle_connections']} idle connections are held (half silent, half "
                     f"with half a request line), {idle['tries']} new connections: slowest answer {worst} "
                     f"(target under {IDLE_ANSWER_TARGET_S:g} s).")
    if stopped and "error" not in stopped:
        how = ("every worker exited with status 0" if probes.clean(stopped)
               else f"workers signalled {stopped['signalled']}, exit codes {stopped['exit_codes']}, "
                    f"'terminate called' {stopped['terminate_called']} times")
        lines.append(f"SIGTERM after the load, with those idle connections and a kept-alive one open: "
                     f"the master exited in {stopped['seconds']:.1f} s with status {stopped['master_status']}; "
                     f"{how}.")
    return lines + [""] if lines else []


def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return parser.parse_args(argv)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=30.0, help="load per endpoint (default 30)")
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--rounds", type=int, default=1,
                        help="load every endpoint this many times, interleaved; report medians (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn's -w (default 2, as `make serve`)")
    parser.add_argument("--worker-class", help="override the worker class (sync, gthread)")
    parser.add_argument("--threads", type=int, help="override the threads per gthread worker")
    parser.add_argument("--python-client", action="store_true", help="use the Python load generator, not wrk")
    parser.add_argument("--only", nargs="*", help="endpoints to load (names: similar feed search search_new "
                                                 "titles; /healthz always), e.g. --only titles")


def gunicorn_options(args: argparse.Namespace) -> list[str]:
    options = []
    if args.worker_class:
        options += ["--worker-class", args.worker_class]
    if args.threads:
        options += ["--threads", str(args.threads)]
    return options


def result_name() -> str:
    """serving.json for the ML-100K instance; serving-<folder>.json for another BENCH_INSTANCE
    (instance/scale-1.0), so a scale run does not overwrite the README's ML-100K figures."""
    default = REPO / "instance" / "bench"
    return "serving" if BENCH_INSTANCE.resolve() == default.resolve() else f"serving-{BENCH_INSTANCE.name}"


def run(args: argparse.Namespace) -> dict:
    result = measure(args.seconds, args.connections, gunicorn_options(args), use_wrk=not args.python_client,
                     rounds=args.rounds, workers=args.workers, only=getattr(args, "only", None))
    path = write_result(result_name() + ("-" + "-".join(args.only) if getattr(args, "only", None) else ""), result)
    print()
    print(report(result))
    print(f"({path})")
    return result


def main(argv: list[str] | None = None) -> None:
    run(parse_options(argv))


if __name__ == "__main__":
    main()
