"""Shared set-up for benchmarks: a real ML-100K instance built once in a folder of its own."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
REPO = Path(__file__).resolve().parents[1]
BENCH_INSTANCE = Path(os.environ.get("BENCH_INSTANCE", REPO / "instance" / "bench"))


def flask(*args: str, instance: Path = BENCH_INSTANCE) -> subprocess.CompletedProcess:
    """Run a flask CLI command against `instance`, as an operator would."""
    env = dict(os.environ, INSTANCE_PATH=str(instance))
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, check=True)


def ensure_ml100k(instance: Path = BENCH_INSTANCE) -> Path:
    """Import ML-100K into the benchmark instance once, and build an index if there is none."""
    if not (instance / "movies.db").exists():
        flask("data", "import", "--source", "auto", instance=instance)
    if not (instance / "index" / "CURRENT").exists():
        flask("index", "rebuild", instance=instance)
    return instance


def write_result(name: str, payload: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    payload = {"benchmark": name, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()]}, **payload}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=1))
    return path
