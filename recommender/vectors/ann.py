"""Approximate nearest-neighbour indices for large catalogues, and how well they agree with exact search.

Below `APPROXIMATE_ABOVE` vectors an exact flat index is both fast and right. Above it, HNSW
(inner product on unit vectors = cosine): no training step, so a rebuild cannot fail on an
unlucky clustering, and ~1 ms per query at 62k movies where a flat 384-dim scan reads 95 MB.
Every approximate index is scored against exact search (recall@10 on sampled queries), and the
rebuild records the figure in the manifest."""
from __future__ import annotations

import logging
import time

import faiss
import numpy as np

log = logging.getLogger(__name__)

APPROXIMATE_ABOVE = 20_000
HNSW_M = 32  # graph degree: recall vs memory (M * 8 bytes per vector for the links)
EF_CONSTRUCTION = 80
EF_SEARCH = 128  # recall@10 0.9985 (ALS items) and 0.999 (text) at ML-25M size: bench/scale.py
RECALL_QUERIES = 1_000


def kind_for(n: int, kind: str = "auto") -> str:
    """"flat" or "hnsw": `kind` unless it is "auto", then by size."""
    if kind not in ("auto", "flat", "hnsw"):
        raise ValueError(f"unknown index kind {kind!r}: use auto, flat or hnsw")
    if kind != "auto":
        return kind
    return "hnsw" if n > APPROXIMATE_ABOVE else "flat"


def build(vectors: np.ndarray, ids: np.ndarray, kind: str = "auto") -> faiss.Index:
    """An inner-product index over `vectors` answering with `ids` (int64), exact or HNSW."""
    vectors = np.ascontiguousarray(vectors, dtype="float32")
    kind = kind_for(len(vectors), kind)
    if kind == "flat":
        inner = faiss.IndexFlatIP(vectors.shape[1])
    else:
        inner = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = EF_CONSTRUCTION
        inner.hnsw.efSearch = EF_SEARCH
    index = faiss.IndexIDMap2(inner)
    started = time.perf_counter()
    index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype="int64"))
    log.log(logging.INFO if kind != "flat" else logging.DEBUG, "%s index over %d x %d built in %.1fs",
            kind, *vectors.shape, time.perf_counter() - started)
    return index


def describe(index: faiss.Index) -> str:
    inner = faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap2) else index
    if isinstance(inner, faiss.IndexHNSW):
        return f"HNSW{inner.hnsw.nb_neighbors(1)},efSearch={inner.hnsw.efSearch}"
    return type(inner).__name__


def recall_at_k(index: faiss.Index, vectors: np.ndarray, ids: np.ndarray, k: int = 10,
                queries: int = RECALL_QUERIES, seed: int = 0) -> float:
    """Share of the exact top-k (brute force over `vectors`) that `index` returns, averaged over
    `queries` sampled rows used as queries (each row's own id is left out of both lists)."""
    vectors = np.ascontiguousarray(vectors, dtype="float32")
    ids = np.asarray(ids, dtype=np.int64)
    n = len(vectors)
    if n <= k + 1:
        return 1.0
    rows = np.random.default_rng(seed).choice(n, size=min(queries, n), replace=False)
    q = vectors[rows]
    _, found = index.search(q, k + 1)
    hits = 0
    for start in range(0, len(rows), 256):  # exact answers in blocks: 256 x n scores at a time
        block = slice(start, start + 256)
        scores = q[block] @ vectors.T
        scores[np.arange(len(scores)), rows[block]] = -np.inf
        exact = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        for own, truth, got in zip(ids[rows[block]], ids[exact], found[block]):
            got = [g for g in got.tolist() if g not in (own, -1)][:k]
            hits += len(set(truth.tolist()) & set(got))
    return hits / (len(rows) * k)


def build_checked(vectors: np.ndarray, ids: np.ndarray, kind: str = "auto") -> tuple[faiss.Index, dict]:
    """The index and what the manifest records about it: type, size and recall@10 vs exact."""
    index = build(vectors, ids, kind)
    return index, checked(index, vectors, ids)


def checked(index: faiss.Index, vectors: np.ndarray, ids: np.ndarray) -> dict:
    """Type, size and recall@10 vs exact of an index over `vectors` answering with `ids` (also
    one built elsewhere, such as the text index a model shares with its version)."""
    info = {"type": describe(index), "vectors": int(len(vectors)), "dim": int(np.shape(vectors)[1])}
    if info["type"].startswith("HNSW"):
        started = time.perf_counter()
        info["recall@10"] = round(recall_at_k(index, vectors, ids), 4)
        log.info("%s: recall@10 vs exact %.4f (%.1fs)", info["type"], info["recall@10"],
                 time.perf_counter() - started)
    else:
        info["recall@10"] = 1.0
    return info
