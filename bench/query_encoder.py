"""The search-query encoder the index version ships (ONNX, int8) against the original MiniLM on
torch, on the ML-100K benchmark instance: CPU per new phrase (median over --calls phrases, one
thread each), cosine between their vectors, and how many of the top-10 search results agree.

    .venv/bin/python -m bench.query_encoder --calls 300
"""
import argparse
import statistics
import time

import numpy as np

from recommender import store
from recommender.serving.index import current_version, load_index
from recommender.serving.service import Recommender
from recommender.text import embedders, query_encoder

from .common import ensure_ml100k, write_result
from .serving import SETTINGS, SUBJECTS


def cpu_ms(encoder, phrases: list[str]) -> float:
    """Median CPU milliseconds to encode one phrase no encoder has seen."""
    timings = []
    for phrase in phrases:
        started = time.process_time()
        encoder.encode([phrase])
        timings.append((time.process_time() - started) * 1000)
    return round(statistics.median(timings), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300)
    calls = parser.parse_args().calls
    import torch

    torch.set_num_threads(1)
    instance = ensure_ml100k()
    root = instance / "index"
    index = load_index(root / current_version(root))
    onnx = query_encoder.shipped(index.folder, index.manifest)
    if onnx is None:
        raise SystemExit(f"version {index.version} ships no query encoder (rebuild with the minilm embedder)")
    original = embedders.get_embedder(index.embedder)
    phrases = [f"{s} {w}" for s in SUBJECTS for w in SETTINGS]
    original.encode(["warm up"]), onnx.encode(["warm up"])
    timed = [f"{phrases[i % len(phrases)]} {i}" for i in range(calls)]
    db = store.connect(instance / "movies.db", readonly=True)
    by_onnx = Recommender(db, index, lambda _: onnx)
    by_original = Recommender(db, index, lambda _: original)
    overlap = [len({r.movie_id for r in by_onnx.search(p, 10)} & {r.movie_id for r in by_original.search(p, 10)}) / 10
               for p in phrases]
    cosine = np.sum(onnx.encode(phrases) * original.encode(phrases), axis=1)
    result = {
        "index_version": index.version, "phrases": len(phrases),
        "cpu_ms_per_new_phrase": {"onnx_int8": cpu_ms(onnx, timed), "torch": cpu_ms(original, timed)},
        "cosine": {"mean": round(float(cosine.mean()), 4), "min": round(float(cosine.min()), 4)},
        "search_top10_overlap": {"mean": round(float(np.mean(overlap)), 3), "min": min(overlap)},
    }
    path = write_result("query_encoder", result)
    cpu = result["cpu_ms_per_new_phrase"]
    print(f"CPU per new phrase: ONNX int8 {cpu['onnx_int8']} ms, torch {cpu['torch']} ms (median of {calls})")
    print(f"cosine to the original over {len(phrases)} phrases: mean {result['cosine']['mean']}, "
          f"lowest {result['cosine']['min']}")
    print(f"search top-10 results in common: mean {result['search_top10_overlap']['mean']}, "
          f"lowest {result['search_top10_overlap']['min']}")
    print(path)


if __name__ == "__main__":
    main()
