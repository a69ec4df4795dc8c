"""Rebuild times on ML-100K: a full rebuild (empty caches: embedding and tuning included) and a
rebuild with nothing changed. Median of --runs of each, measured in one run.

    .venv/bin/python -m bench.rebuild --runs 3
"""
import argparse
import shutil
import statistics
import time

from .common import BENCH_INSTANCE, ensure_ml100k, flask, write_result


def timed_rebuild() -> float:
    started = time.perf_counter()
    flask("index", "rebuild")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
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


if __name__ == "__main__":
    main()
