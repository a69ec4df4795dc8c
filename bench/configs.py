"""Which gunicorn settings to serve with: the serving benchmark (bench/serving.py) with a shorter
--seconds for a few worker counts and classes, side by side in bench/results/serving_configs.json.

    .venv/bin/python -m bench.configs --seconds 10
"""
import argparse

from . import serving
from .common import write_result

CONFIGS = {  # name: (gunicorn flags on top of webapp/gunicorn_conf.py, environment)
    "gthread 2x1 (production)": (["--workers", "2", "--threads", "1"], {}),
    "gthread 2x2": (["--workers", "2", "--threads", "2"], {}),
    "gthread 2x2, one shared socket": (["--workers", "2", "--threads", "2"], {"REUSE_PORT": "0"}),
    "gthread 4x1": (["--workers", "4", "--threads", "1"], {}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--only", nargs="*", help="names of CONFIGS to run (default: all)")
    args = parser.parse_args()
    runs = {}
    for name, (options, env) in CONFIGS.items():
        if args.only and name not in args.only:
            continue
        print(f"== {name} ==", flush=True)
        runs[name] = serving.measure(args.seconds, options=options, env=env)
    names = list(next(iter(runs.values()))["endpoints"])
    header = "| config | " + " | ".join(f"{n} req/s (frac) p99" for n in names) + " | total PSS MB |"
    rows = [header, "| --- " * (len(names) + 2) + "|"]
    for name, r in runs.items():
        cells = [f"{e['req_per_s']:.0f} ({e['fraction_of_healthz']:.2f}) {e['p99_ms']:.0f}ms"
                 for e in r["endpoints"].values()]
        rows.append(f"| {name} | " + " | ".join(cells) + f" | {r['memory']['total_pss_mb']:.0f} |")
    comparison = "\n".join(rows)
    path = write_result("serving_configs", {"seconds": args.seconds, "table": comparison, "runs": runs})
    print(comparison)
    print(path)


if __name__ == "__main__":
    main()
