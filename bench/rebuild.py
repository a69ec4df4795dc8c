"""Rebuilds on ML-100K.

Timings (default): a full rebuild (empty caches: embedding and tuning included) and a rebuild
with nothing changed, median of --runs of each, measured in one run; bench/results/rebuild.json.

--under-load: gunicorn as `make serve` runs it, loaded as `make bench` loads it (wrk, half the
connections on /api/feed with rotating users, half on /api/movies/<id>/similar over every
movie), in back-to-back windows of --window seconds, while `flask index rebuild` runs beside
it and every worker then swaps to the new version (loaded on a background thread of the worker,
webapp/index_holder.py). Then --swaps more swaps with no rebuild running: CURRENT switched back
and forth between the two versions on disk (indexer.versions.switch, as the rebuild switches it;
it ends on the new one), each at the start of a window. Each window is labelled by what happened
during it: before, rebuilding (the indexer shares the cores with the server), swap after rebuild
(from the new CURRENT until every worker answers from it), swap alone, after. Reported: p99 of
each endpoint per window and the worst window of each phase; bench/results/rebuild_under_load.json
and .md.

    .venv/bin/python -m bench.rebuild --runs 3
    .venv/bin/python -m bench.rebuild --under-load --window 3
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

from indexer.versions import switch

from . import serving
from .common import BENCH_INSTANCE, REPO, ensure_ml100k, flask, write_result

P99_TARGET_MS = 50.0
SETTLED_STREAK = 12  # /healthz answers in a row naming the new version: every worker has it


def timed_rebuild() -> float:
    started = time.perf_counter()
    flask("index", "rebuild")
    return time.perf_counter() - started


def timings(runs: int) -> None:
    ensure_ml100k()
    full, unchanged = [], []
    for _ in range(runs):
        shutil.rmtree(BENCH_INSTANCE / "index" / "cache", ignore_errors=True)
        full.append(timed_rebuild())
        unchanged.append(timed_rebuild())
    result = {"runs": runs, "full_rebuild_s": round(statistics.median(full), 1),
              "unchanged_rebuild_s": round(statistics.median(unchanged), 1),
              "all_full_s": [round(t, 1) for t in full], "all_unchanged_s": [round(t, 1) for t in unchanged]}
    path = write_result("rebuild", result)
    print(f"full rebuild (embedding + tuning, empty caches): median {result['full_rebuild_s']} s over {runs}")
    print(f"rebuild with nothing changed:                   median {result['unchanged_rebuild_s']} s over {runs}")
    print(f"(wall clock of `flask index rebuild`, process start included; {path})")


class Load:
    """wrk on two endpoints at once, in back-to-back windows, until stopped."""

    def __init__(self, server, endpoints: list, window: float, connections: int, wrk: str | None):
        self.server, self.endpoints, self.window = server, endpoints, window
        self.connections, self.wrk = connections, wrk
        self.windows: list[dict] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _one(self, endpoint, out: dict) -> None:
        share = max(1, self.connections // len(self.endpoints))
        if self.wrk:
            out[endpoint.name] = serving.run_wrk(self.wrk, self.server.url, endpoint, self.window, share)
        else:
            out[endpoint.name] = serving.run_python(self.server.url, endpoint, self.window, share)

    def _run(self) -> None:
        while not self.stopping.is_set():
            started, results = time.monotonic(), {}
            threads = [threading.Thread(target=self._one, args=(e, results)) for e in self.endpoints]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            self.windows.append({"start": started, "end": time.monotonic(), **results})

    def __enter__(self) -> "Load":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.thread.join()


def versions_seen(server, count: int) -> list:
    return [server.get("/healthz")[1].get("index_version") for _ in range(count)]


def phase(window: dict, marks: dict) -> str:
    """What the window overlapped: a swap first (the point of the benchmark), then the build."""
    start, end = window["start"], window["end"]
    if start < marks["swapped"] and end > marks["current_switched"]:
        return "swap after rebuild"
    if any(start < done and end > began for began, done in marks["swaps"]):
        return "swap alone"
    if start < marks["current_switched"] and end > marks["rebuild_started"]:
        return "rebuilding"
    return "before" if end <= marks["rebuild_started"] else "after"


def wait_for(server, version: str) -> None:
    while versions_seen(server, SETTLED_STREAK) != [version] * SETTLED_STREAK:
        time.sleep(0.05)


def wait_windows(load, count: int) -> None:
    """Until `count` more windows have ended."""
    target = len(load.windows) + count
    while len(load.windows) < target:
        time.sleep(0.02)


def under_load(window: float, connections: int, before: int, after: int, nice: int, swaps: int) -> dict:
    instance = ensure_ml100k()
    db_path = instance / "movies.db"
    wrk = serving.find_wrk()
    with serving.running(instance, workers=None, env={"WORKERS": "2"}) as server:
        print(f"gunicorn ready: {server.shown}", flush=True)
        tokens = serving.bench_users(server, db_path)
        try:
            chosen = [e for e in serving.endpoints(db_path, tokens) if e.name in ("feed", "similar")]
            for endpoint in chosen:
                serving.check(server, endpoint)
            old = server.get("/healthz")[1]["index_version"]
            with Load(server, chosen, window, connections, wrk) as load:
                while len(load.windows) < before:
                    time.sleep(0.1)
                marks = {"rebuild_started": time.monotonic()}
                command = [sys.executable, "-m", "flask", "--app", "wsgi", "index", "rebuild"]
                if nice:
                    command = ["nice", "-n", str(nice), *command]
                done = subprocess.run(command, cwd=REPO, env=dict(os.environ, INSTANCE_PATH=str(instance)),
                                      capture_output=True, text=True)
                marks["current_switched"] = time.monotonic()
                if done.returncode != 0:
                    raise RuntimeError(f"flask index rebuild failed:\n{done.stdout}\n{done.stderr}")
                new = (instance / "index" / "CURRENT").read_text().strip()
                wait_for(server, new)
                marks["swapped"], marks["swaps"] = time.monotonic(), []
                for n in range(swaps + swaps % 2):  # an even count: it ends on the new version
                    wait_windows(load, 2)  # a window clear of the last swap, then one that starts now
                    began = time.monotonic()
                    version = old if n % 2 == 0 else new
                    switch(instance / "index", version)
                    wait_for(server, version)
                    marks["swaps"].append((began, time.monotonic()))
                wait_windows(load, after)
            windows = load.windows
        finally:
            serving.revoke(server, tokens)
    zero = windows[0]["start"]
    rows = []
    for w in windows:
        row = {"from_s": round(w["start"] - zero, 1), "to_s": round(w["end"] - zero, 1), "phase": phase(w, marks)}
        for e in chosen:
            row[e.name] = {k: w[e.name][k] for k in ("req_per_s", "p50_ms", "p99_ms", "max_ms", "errors")}
        rows.append(row)
    worst = {}
    for name in ("before", "rebuilding", "swap after rebuild", "swap alone", "after"):
        mine = [r for r in rows if r["phase"] == name]
        if mine:
            worst[name] = {e.name: max(r[e.name]["p99_ms"] for r in mine) for e in chosen}
    return {"command": " ".join(sys.argv[1:]), "server": server.shown, "window_s": window,
            "connections": connections, "load_generator": "wrk" if wrk else "python", "nice": nice,
            "old_version": old, "new_version": new,
            "rebuild_s": round(marks["current_switched"] - marks["rebuild_started"], 1),
            "swap_s": round(marks["swapped"] - marks["current_switched"], 2),
            "swaps_alone_s": [round(done - began, 2) for began, done in marks["swaps"]],
            "worst_p99_ms_by_phase": worst, "p99_target_ms": P99_TARGET_MS,
            "swap_meets_target": all(v < P99_TARGET_MS for phase_name in ("swap after rebuild", "swap alone")
                                     for v in worst.get(phase_name, {}).values()),
            "windows": rows}


def report(result: dict) -> str:
    names = [n for n in result["windows"][0] if n not in ("from_s", "to_s", "phase")]
    lines = [f"Server: {result['server']}; {result['connections']} connections split over "
             f"{', '.join(names)}; windows of {result['window_s']:g} s; load generator {result['load_generator']}.",
             f"`flask index rebuild`{' under nice ' + str(result['nice']) if result['nice'] else ''}: "
             f"{result['rebuild_s']} s; from the new CURRENT until every worker answered from it: "
             f"{result['swap_s']} s; then {len(result['swaps_alone_s'])} swaps alone, each settled in "
             f"{', '.join(f'{x:g}' for x in result['swaps_alone_s'])} s.", "",
             "| phase | " + " | ".join(f"{n} p99 ms (worst window)" for n in names) + " |",
             "| --- |" + " ---: |" * len(names)]
    for phase_name, worst in result["worst_p99_ms_by_phase"].items():
        lines.append(f"| {phase_name} | " + " | ".join(f"{worst[n]:.1f}" for n in names) + " |")
    lines += ["", "| window s | phase | " + " | ".join(f"{n} req/s, p99 ms" for n in names) + " |",
              "| --- | --- |" + " ---: |" * len(names)]
    for r in result["windows"]:
        lines.append(f"| {r['from_s']}-{r['to_s']} | {r['phase']} | "
                     + " | ".join(f"{r[n]['req_per_s']:.0f}, {r[n]['p99_ms']:.1f}" for n in names) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--under-load", action="store_true", help="p99 of feed and similar through a rebuild")
    parser.add_argument("--window", type=float, default=3.0, help="seconds per load window (--under-load)")
    parser.add_argument("--connections", type=int, default=serving.CONNECTIONS)
    parser.add_argument("--before", type=int, default=3, help="windows before the rebuild starts")
    parser.add_argument("--after", type=int, default=3, help="windows after every worker swapped")
    parser.add_argument("--nice", type=int, default=0, help="run the rebuild under `nice -n N`")
    parser.add_argument("--swaps", type=int, default=4, help="swaps alone after the rebuild (made even)")
    args = parser.parse_args()
    if not args.under_load:
        timings(args.runs)
        return
    result = under_load(args.window, args.connections, args.before, args.after, args.nice, args.swaps)
    result["command"] = ".venv/bin/python -m bench.rebuild " + result["command"]
    name = "rebuild_under_load" + (f"_nice{args.nice}" if args.nice else "")
    path = write_result(name, result)
    text = report(result) + f"\n\nMeasured with `{result['command']}` on {os.cpu_count()} CPUs.\n"
    (path.parent / f"{name}.md").write_text(text)
    print(text)
    print(path)


if __name__ == "__main__":
    main()
