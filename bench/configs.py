"""Which gunicorn worker model to serve with: every candidate of CONFIGS runs at the same time
(each its own gunicorn on its own port, same instance), and the serving benchmark's load
(bench/serving.py) goes to each in turn, endpoint by endpoint, for --rounds rounds with the
order of the candidates rotated every round. On this shared, noisy 2-core machine runs of the
same settings minutes apart differ widely; interleaving puts every candidate's window for
an endpoint within a minute of the others', and each ratio is taken against the same
candidate's /healthz of the same round. Then, per candidate: /healthz while 50 idle
connections are held (bench/probes.py), memory, and a SIGTERM stop after the traffic.
Results in bench/results/serving_configs.json, the table on stdout.

--bare compares, the same way, the plain `gunicorn -w 3 wsgi:app` a newcomer would type with
`make serve`'s settings (both read the root gunicorn.conf.py; the first has a third worker):
/api/search and /api/feed as fractions of /healthz, in bench/results/serving_bare.json and .md.

    .venv/bin/python -m bench.configs --seconds 10 --rounds 3
    .venv/bin/python -m bench.configs --only "gthread 2x1" "gevent 2" --seconds 10
    .venv/bin/python -m bench.configs --bare --seconds 10 --rounds 3
"""
import argparse
import importlib.util
import os
import shlex
import sys

import numpy as np

from . import probes, serving
from .common import RESULTS, ensure_ml100k, write_result

CONFIGS = {  # name: (workers, environment read by the root gunicorn.conf.py)
    "gthread 2x1": (2, {"WORKER_CLASS": "gthread", "THREADS": "1"}),
    "gthread 2x8": (2, {"WORKER_CLASS": "gthread", "THREADS": "8"}),
    "gevent 2": (2, {"WORKER_CLASS": "gevent"}),
    "headfirst 2x1": (2, {"WORKER_CLASS": "headfirst", "THREADS": "1"}),
}
BARE = {  # --bare: the command as typed, and `make serve` (PORT and WORKERS=2 in its environment)
    "gunicorn -w 3 wsgi:app": (3, {}),
    "make serve": (None, {"WORKERS": "2"}),
}
BARE_ENDPOINTS = ("healthz", "feed", "search", "search_new")


def interleaved(servers: dict, chosen: list, seconds: float, rounds: int, connections: int, wrk: str | None) -> dict:
    """{config: [one result dict per round]}: each endpoint loaded on every config in turn."""
    per_round = {name: [] for name in servers}
    names = list(servers)
    for n in range(rounds):
        order = names[n % len(names):] + names[:n % len(names)]
        results = {name: {} for name in names}
        for endpoint in chosen:
            for name in order:
                server = servers[name]
                load = (lambda s: serving.run_wrk(wrk, server.url, endpoint, s, connections)) if wrk else (
                    lambda s: serving.run_python(server.url, endpoint, s, connections))
                load(serving.WARMUP_SECONDS)
                r = {"path": endpoint.label, "distinct_requests": len(endpoint.requests), **load(seconds)}
                results[name][endpoint.name] = r
                print(f"  [{n + 1}/{rounds}] {name:16s} {endpoint.label:34s} {r['req_per_s']:8.1f} req/s  "
                      f"p99 {r['p99_ms']:6.2f} ms  errors {r['errors']}", flush=True)
        for name in names:
            per_round[name].append(serving.with_fractions(results[name]))
    return per_round


def comparison(runs: dict) -> str:
    names = list(next(iter(runs.values()))["endpoints"])
    header = ("| config | " + " | ".join(f"{n} req/s (fraction) p99" for n in names)
              + " | /healthz, 50 idle conns held (worst) | SIGTERM stop | total PSS MB |")
    rows = [header, "| --- " * (len(names) + 4) + "|"]
    for name, r in runs.items():
        cells = [f"{e['req_per_s']:.0f} ({e['fraction_of_healthz']:.2f}) {e['p99_ms']:.0f}ms"
                 for e in r["endpoints"].values()]
        idle = r["idle_probe"]
        idle_cell = (f"{idle['worst_s'] * 1000:.0f} ms" if idle["worst_s"] is not None
                     else f"{idle['answered']} of {idle['tries']} answered")
        stopped = r["stop"] or {}
        stop_cell = (f"{stopped.get('seconds', '?')} s, " + ("clean" if stopped and "error" not in stopped
                                                             and probes.clean(stopped) else f"NOT clean {stopped}"))
        rows.append(f"| {name} | " + " | ".join(cells) + f" | {idle_cell} | {stop_cell} "
                    f"| {r['memory']['total_pss_mb']:.0f} |")
    return "\n".join(rows)


def bare_table(runs: dict) -> str:
    """--bare's table: per command, each endpoint's fraction of /healthz (median of the rounds,
    each round against its own /healthz), its p99 (worst round), then each round's fraction."""
    names = [n for n in next(iter(runs.values()))["endpoints"] if n != "healthz"]
    labels = {n: next(iter(runs.values()))["endpoints"][n]["path"] for n in names}
    rows = ["| command | /healthz req/s | " + " | ".join(f"`{labels[n]}` fraction (p99 ms); each round" for n in names)
            + " |",
            "| --- | ---: |" + " ---: |" * len(names)]
    for name, r in runs.items():
        e = r["endpoints"]
        rows.append(f"| `{r['command']}` | {e['healthz']['req_per_s']:.0f} | " + " | ".join(
            f"{e[n]['fraction_of_healthz']:.2f} ({e[n]['p99_ms']:.0f}); rounds "
            + ", ".join(f"{x['fraction_of_healthz']:.2f}" for x in e[n].get("rounds", [])) for n in names) + " |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=serving.CONNECTIONS)
    parser.add_argument("--only", nargs="*", help="names of CONFIGS to run (default: all)")
    parser.add_argument("--bare", action="store_true",
                        help="plain `gunicorn -w 3 wsgi:app` against `make serve`, search and feed only")
    args = parser.parse_args()
    candidates = BARE if args.bare else CONFIGS
    configs = {name: c for name, c in candidates.items() if not args.only or name in args.only}
    if "gevent" in str(configs.values()) and importlib.util.find_spec("gevent") is None:
        print("gevent is not installed (not a dependency of the app): `.venv/bin/pip install gevent` to compare it")
        configs = {name: c for name, c in configs.items() if c[1].get("WORKER_CLASS") != "gevent"}
    instance = ensure_ml100k()
    db_path = instance / "movies.db"
    wrk = serving.find_wrk()
    servers = {name: serving.Server(instance, workers, env=env) for name, (workers, env) in configs.items()}
    try:
        for name, server in servers.items():
            server.start()
            print(f"== {name}: {server.shown}", flush=True)
        first = next(iter(servers.values()))
        tokens = serving.bench_users(first, db_path)  # accounts live in the shared store: valid on every server
        try:
            chosen = [e for e in serving.endpoints(db_path, tokens) if not args.bare or e.name in BARE_ENDPOINTS]
            for server in servers.values():
                for endpoint in chosen:
                    serving.check(server, endpoint)
            per_round = interleaved(servers, chosen, args.seconds, args.rounds, args.connections, wrk)
            memory = {name: serving.memory(s.proc.pid) for name, s in servers.items()}
            idle = {}
            for name, server in servers.items():
                idle[name] = probes.idle_probe(*server.base)
                print(f"  {name}: /healthz with 50 idle connections held: {idle[name]['seconds']} s", flush=True)
        finally:
            serving.revoke(first, tokens)
    finally:
        for server in servers.values():
            server.stop()
    runs = {}
    for name, server in servers.items():
        runs[name] = {"command": server.shown, "workers": configs[name][0], "env": configs[name][1],
                      "endpoints": serving.combine_rounds(per_round[name]), "memory": memory[name],
                      "idle_probe": idle[name], "stop": server.stopped}
        print(f"  {name}: SIGTERM {server.stopped}", flush=True)
    table = comparison(runs)
    fractions = {name: {e: float(np.median([r[e]["fraction_of_healthz"] for r in per_round[name]]))
                        for e in per_round[name][0]} for name in runs}
    command = f".venv/bin/python -m bench.configs {shlex.join(sys.argv[1:])}".strip()
    name = "serving_bare" if args.bare else "serving_configs"
    path = write_result(name, {"command": command, "seconds": args.seconds, "rounds": args.rounds,
                               "connections": args.connections, "load_generator": "wrk" if wrk else "python",
                               "table": table, "fractions": fractions, "runs": runs})
    if args.bare:
        (RESULTS / f"{name}.md").write_text(bare_table(runs) + f"\n\nMeasured with `{command}` on "
                                            f"{os.cpu_count()} CPUs, load generator {'wrk' if wrk else 'python'}.\n")
    print(table)
    print(path)


if __name__ == "__main__":
    main()
