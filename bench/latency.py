"""In-process latency of the recommender on ML-100K: median over --calls calls each of
similar (many movies), feed (many real users; each first as a new question, the model's whole
work, then asked again unchanged, answered from the version's memo), search (a new phrase each call, encoded as
the app encodes it: the version's ONNX query encoder when it ships one) and title lookup
(prefixes and misspellings of real titles, as the search box's autocomplete sends them).

    .venv/bin/python -m bench.latency --calls 1000
"""
import argparse
import functools
import statistics
import time

import numpy as np

from recommender import store
from recommender.serving.index import current_version, load_index
from recommender.serving.memo import Memo
from recommender.serving.service import Recommender
from recommender.serving.title_search import TitleIndex
from recommender.store import catalogue
from recommender.text import query_encoder

from .common import ensure_ml100k, write_result

PHRASES = ["space opera with robots", "animated toys come to life", "mafia family saga",
           "romantic comedy in new york", "haunted house horror", "war film about soldiers",
           "detective mystery film noir", "musical with songs and dancing", "cowboys in the old west",
           "documentary about basketball", "time travel adventure", "serial killer thriller"]


def _as_typed(title: str, rng: np.random.Generator) -> str:
    """A prefix of a title, with one letter dropped every other time (a typo)."""
    text = str(title)[:int(rng.integers(2, 13))]
    if len(text) > 4 and rng.random() < 0.5:
        drop = int(rng.integers(1, len(text)))
        text = text[:drop] + text[drop + 1:]
    return text


def median_ms(call, args: list) -> dict:
    timings = []
    for arg in args:
        started = time.perf_counter()
        call(arg)
        timings.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(timings), 3),
            "p99_ms": round(float(np.percentile(timings, 99)), 3), "calls": len(args)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1000)
    calls = parser.parse_args().calls
    instance = ensure_ml100k()
    root = instance / "index"
    index = load_index(root / current_version(root))
    db = store.connect(instance / "movies.db", readonly=True)
    rec = Recommender(db, index, functools.cache(lambda name: query_encoder.for_index(index, name)))
    rec.search("warm up the text model", 10)
    rng = np.random.default_rng(0)
    movies = rng.choice(index.movie_ids, calls).tolist()
    users = rng.choice(np.load(index.folder / "user_ids.npy"), calls).tolist()
    phrases = [PHRASES[i % len(PHRASES)] + f" {i}" for i in range(calls)]
    rows = catalogue.title_rows(db)
    titles = TitleIndex(rows)
    typed = [_as_typed(rows[i][1], rng) for i in rng.integers(0, len(rows), calls)]
    memo, index.memo = index.memo, Memo(entries=0)  # first every feed a new question: the model's work
    feed_new = median_ms(lambda u: rec.feed(int(u), 20), users)
    index.memo = memo
    for u in users:  # then each asked again, unchanged, as a reload or a return to the page asks
        rec.feed(int(u), 20)
    result = {
        "similar": median_ms(lambda m: rec.similar(int(m), 10), movies),
        "feed": feed_new,
        "feed_repeat": median_ms(lambda u: rec.feed(int(u), 20), users),
        "search": median_ms(lambda q: rec.search(q, 10), phrases),
        "title": median_ms(lambda q: titles.search(q, limit=10), typed),
        "index_version": index.version,
    }
    path = write_result("latency", result)
    for name in ("similar", "feed", "feed_repeat", "search", "title"):
        print(f"{name:11s} median {result[name]['median_ms']:7.2f} ms   p99 {result[name]['p99_ms']:7.2f} ms"
              f"   ({calls} calls)")
    print(path)


if __name__ == "__main__":
    main()
