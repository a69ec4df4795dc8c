"""Which gunicorn worker model to serve with: every candidate of CONFIGS runs at the same time
(each its own gunicorn on its own port, same instance), and the serving benchmark's load
(bench/serving.py) goes to each in turn, endpoint by endpoint, for --rounds rounds with the
order of the candidates rotated every round. On this shared, noisy 2-core machine runs of the
same settings minutes apart differ by up to half; interleaving puts every candidate's window for
an endpoint within a minute of the others', and each ratio is taken against the same
candidate's /healthz of the same round. Then, per candidate: /healthz while 50 idle
connections are held (bench/probes.py), memory, and a SIGTERM stop after the traffic.
Results in bench/results/serving_configs.json, the table on stdout.

    .venv/bin/python -m bench.configs --seconds 10 --rounds 3
    .venv/bin/python -m bench.configs --only "gthread 2x1" "gevent 2" --seconds 10
"""
import argparse
import importlib.util

import numpy as np

from . import probes, serving
from .common import ensure_ml100k, write_result

CONFIGS = {  # name: (gunicorn flags on top of webapp/gunicorn_conf.py, environment)
    "gthread 2x1": (["--workers", "2"], {"WORKER_CLASS": "gthread", "THREADS": "1"}),
    "gthread 2x8": (["--workers", "2"], {"WORKER_CLASS": "gthread", "THREADS": "8"}),
    "gevent 2": (["--workers", "2"], {"WORKER_CLASS": "gevent"}),
    "headfirst 2x1": (["--workers", "2"], {"WORKER_CLASS": "headfirst", "THREADS": "1"}),
}


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
                load = (lambda s: serving.run_wrk(wrk, server.base, endpoint, s, connections)) if wrk else (
                    lambda s: serving.run_python(server.base, endpoint, s, connections))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=serving.CONNECTIONS)
    parser.add_argument("--only", nargs="*", help="names of CONFIGS to run (default: all)")
    args = parser.parse_args()
    configs = {name: c for name, c in CONFIGS.items() if not args.only or name in args.only}
    if "gevent" in str(configs.values()) and importlib.util.find_spec("gevent") is None:
        print("gevent is not installed (not a dependency of the app): `.venv/bin/pip install gevent` to compare it")
        configs = {name: c for name, c in configs.items() if c[1].get("WORKER_CLASS") != "gevent"}
    instance = ensure_ml100k()
    db_path = instance / "movies.db"
    wrk = serving.find_wrk()
    servers = {name: serving.Server(instance, options, env) for name, (options, env) in configs.items()}
    try:
        for name, server in servers.items():
            server.start()
            print(f"== {name}: {' '.join(server.command[3:])} {configs[name][1]}", flush=True)
        first = next(iter(servers.values()))
        tokens = serving.bench_users(first, db_path)  # accounts live in the shared store: valid on every server
        try:
            chosen = serving.endpoints(db_path, tokens)
            for server in servers.values():
                for endpoint in chosen:
                    serving.check(server, endpoint)
            per_round = interleaved(servers, chosen, args.seconds, args.rounds, args.connections, wrk)
            memory = {name: serving.memory(s.proc.pid) for name, s in servers.items()}
            idle = {}
            for name, server in servers.items():
                idle[name] = probes.idle_probe("127.0.0.1", server.port)
                print(f"  {name}: /healthz with 50 idle connections held: {idle[name]['seconds']} s", flush=True)
        finally:
            serving.revoke(first, tokens)
    finally:
        for server in servers.values():
            server.stop()
    runs = {}
    for name, server in servers.items():
        runs[name] = {"options": configs[name][0], "env": configs[name][1],
                      "endpoints": serving.combine_rounds(per_round[name]), "memory": memory[name],
                      "idle_probe": idle[name], "stop": server.stopped}
        print(f"  {name}: SIGTERM {server.stopped}", flush=True)
    table = comparison(runs)
    fractions = {name: {e: float(np.median([r[e]["fraction_of_healthz"] for r in per_round[name]]))
                        for e in per_round[name][0]} for name in runs}
    path = write_result("serving_configs", {"seconds": args.seconds, "rounds": args.rounds,
                                            "connections": args.connections, "load_generator": "wrk" if wrk else "python",
                                            "table": table, "fractions": fractions, "runs": runs})
    print(table)
    print(path)


if __name__ == "__main__":
    main()
