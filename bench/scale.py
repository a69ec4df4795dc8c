"""The pipeline at ML-25M's size: generate (or reuse) a synthetic release with bench/synth.py, then
time `flask data import` and `flask index rebuild` into instance/scale-<S> (INSTANCE_PATH), each
in its own process whose peak RSS is read from wait4(). Then, in a third process, load the
version as a server would and time similar/feed in process. Writes bench/results/scale-<S>.json.

    .venv/bin/python -m bench.scale --scale 0.1
    .venv/bin/python -m bench.scale --scale 1.0          # ~30 min on 2 cores

Targets at 1.0: import < 10 min, rebuild < 20 min, peak RSS < 12 GB, recall@10 >= 0.95.
--model-family defaults to "factor" so that every scale exercises the large-catalogue path
(at 0.1 the catalogue has 6,242 movies, where "auto" would pick the dense Hybrid).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .common import REPO, write_result

TARGETS = {"import_s": 600, "rebuild_s": 1200, "peak_rss_gb": 12.0, "recall@10": 0.95}


def run_measured(args: list[str], env: dict, log_path: Path) -> dict:
    """Run a command; its wall time, exit status and peak RSS (max over it and its waited children)."""
    started = time.perf_counter()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        tail = log_path.read_text()[-2000:]
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}); see {log_path}:\n{tail}")
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 1), "log": str(log_path)}


def flask_args(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", *args]


def folder_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


# -- the probe: runs in its own process, so its RSS is what one serving worker would hold --------

def probe(instance: Path, calls: int) -> None:
    """Load the live version and the store as a worker does; time similar and feed; print JSON."""
    import numpy as np

    from recommender import store
    from recommender.serving.index import current_version, load_index
    from recommender.serving.service import Recommender

    root = instance / "index"
    started = time.perf_counter()
    index = load_index(root / current_version(root))
    load_s = time.perf_counter() - started
    db = store.connect(instance / "movies.db", readonly=True)
    rec = Recommender(db, index)
    rng = np.random.default_rng(0)
    movies = rng.choice(index.movie_ids, calls).tolist()
    users = rng.choice(np.load(index.folder / "user_ids.npy"), calls).tolist()
    out = {"load_s": round(load_s, 2)}
    for name, call, args in (("similar", lambda m: rec.similar(int(m), 10), movies),
                             ("feed", lambda u: rec.feed(int(u), 20), users)):
        call(args[0])
        timings = []
        for arg in args:
            t0 = time.perf_counter()
            call(arg)
            timings.append((time.perf_counter() - t0) * 1000)
        out[name] = {"median_ms": round(statistics.median(timings), 2),
                     "p99_ms": round(float(np.percentile(timings, 99)), 2), "calls": calls}
    out["rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.1, help="1.0 = ML-25M's size")
    parser.add_argument("--data", type=Path, help="release folder (default data/synth-<S>, generated if missing)")
    parser.add_argument("--instance", type=Path, help="instance folder (default instance/scale-<S>, emptied first)")
    parser.add_argument("--model-family", default="factor", choices=("auto", "dense", "factor"))
    parser.add_argument("--embedder", default="minilm", choices=("minilm", "hashing"))
    parser.add_argument("--keep-cache", action="store_true",
                        help="keep the instance's embedding cache (a warm rebuild; default: cold)")
    parser.add_argument("--calls", type=int, default=200, help="similar/feed calls in the probe")
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        return probe(args.probe, args.calls)

    label = str(args.scale)  # "1.0", "0.1": as written on the command line
    data = args.data or REPO / "data" / f"synth-{label}"
    instance = (args.instance or REPO / "instance" / f"scale-{label}").resolve()
    logs = instance.parent / f"scale-{label}-logs"
    logs.mkdir(parents=True, exist_ok=True)
    result: dict = {"scale": args.scale, "model_family": args.model_family, "embedder": args.embedder}

    if not ((data / "ratings.csv").exists() and (data / "movies.csv").exists()):
        print(f"generating the synthetic release at scale {label} into {data}", flush=True)
        result["synth"] = run_measured([sys.executable, "-m", "bench.synth", "--scale", str(args.scale),
                                        "--out", str(data)], dict(os.environ), logs / "synth.log")
    result["data"] = {"folder": str(data), "ratings_csv_mb": round((data / "ratings.csv").stat().st_size / 2**20, 1)}

    cache = instance / "index" / "cache"
    saved_cache = instance.parent / f".scale-{label}-cache"
    if args.keep_cache and cache.exists():
        shutil.rmtree(saved_cache, ignore_errors=True)
        shutil.move(str(cache), saved_cache)
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    (instance / "config.py").write_text(f"EMBEDDER = {args.embedder!r}\n")
    if args.keep_cache and saved_cache.exists():
        (instance / "index").mkdir()
        shutil.move(str(saved_cache), cache)
    env = dict(os.environ, INSTANCE_PATH=str(instance), MODEL_FAMILY=args.model_family)

    print(f"importing {data} into {instance} ...", flush=True)
    result["import"] = run_measured(flask_args("data", "import", "--source", str(data)), env, logs / "import.log")
    db = instance / "movies.db"
    result["import"]["db_mb"] = round(db.stat().st_size / 2**20, 1)
    print(f"  {result['import']['seconds']} s, peak RSS {result['import']['peak_rss_mb']} MB", flush=True)

    print("rebuilding the index ...", flush=True)
    result["rebuild"] = run_measured(flask_args("index", "rebuild"), env, logs / "rebuild.log")
    root = instance / "index"
    version = (root / "CURRENT").read_text().strip()
    manifest = json.loads((root / version / "manifest.json").read_text())
    result["rebuild"].update(stages_s=manifest["seconds"], counts=manifest["counts"],
                             version_mb=folder_mb(root / version), model_family=manifest.get("model_family"))
    result["ann"] = manifest.get("ann", {})
    print(f"  {result['rebuild']['seconds']} s, peak RSS {result['rebuild']['peak_rss_mb']} MB", flush=True)

    print("probing the version in process ...", flush=True)
    out = subprocess.run([sys.executable, "-m", "bench.scale", "--probe", str(instance), "--calls", str(args.calls)],
                         cwd=REPO, env=env, capture_output=True, text=True, check=True)
    result["probe"] = json.loads(out.stdout.strip().splitlines()[-1])

    ratings = manifest["counts"]["ratings"]
    recalls = [v["recall@10"] for v in result["ann"].values() if "recall@10" in v]
    peak_gb = max(result["import"]["peak_rss_mb"], result["rebuild"]["peak_rss_mb"]) / 1024
    result["derived"] = {
        "import_ratings_per_s": round(ratings / result["import"]["seconds"]),
        "rebuild_rss_mb_per_million_ratings": round(result["rebuild"]["peak_rss_mb"] / (ratings / 1e6), 1),
        "db_bytes_per_rating": round(result["import"]["db_mb"] * 2**20 / ratings, 1),
        "min_recall@10": min(recalls) if recalls else None,
        "peak_rss_gb": round(peak_gb, 2),
    }
    result["targets"] = TARGETS
    result["meets_targets"] = {
        "import": result["import"]["seconds"] < TARGETS["import_s"],
        "rebuild": result["rebuild"]["seconds"] < TARGETS["rebuild_s"],
        "peak_rss": peak_gb < TARGETS["peak_rss_gb"],
        "recall": bool(recalls) and min(recalls) >= TARGETS["recall@10"],
    }
    path = write_result(f"scale-{label}", result)

    print(f"\nscale {label}: {ratings:,} ratings, {manifest['counts']['movies']:,} movies, "
          f"{manifest['counts']['users']:,} users ({result['rebuild']['model_family']} model)")
    print(f"  import   {result['import']['seconds']:8.1f} s   peak RSS {result['import']['peak_rss_mb']:8.0f} MB"
          f"   ({result['derived']['import_ratings_per_s']:,} ratings/s, db {result['import']['db_mb']:.0f} MB)")
    print(f"  rebuild  {result['rebuild']['seconds']:8.1f} s   peak RSS {result['rebuild']['peak_rss_mb']:8.0f} MB"
          f"   stages {result['rebuild']['stages_s']}")
    for name, info in result["ann"].items():
        print(f"  index {name:14s} {info['type']:28s} recall@10 vs exact {info['recall@10']}")
    p = result["probe"]
    print(f"  in process: load {p['load_s']} s, RSS {p['rss_mb']} MB; similar median {p['similar']['median_ms']} ms "
          f"p99 {p['similar']['p99_ms']} ms; feed median {p['feed']['median_ms']} ms p99 {p['feed']['p99_ms']} ms")
    print(f"  targets met: {result['meets_targets']}")
    print(path)


if __name__ == "__main__":
    main()
