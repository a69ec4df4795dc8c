"""FAISS indices keyed by MovieLens (or user) ids: build, save, load read-only, search."""
from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np


def build_ip_index(vectors: np.ndarray, ids: np.ndarray) -> faiss.Index:
    """Exact inner-product index whose ids are the given int64 ids, never row order."""
    vectors = np.ascontiguousarray(vectors, dtype="float32")
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(vectors.shape[1]))
    index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype="int64"))
    return index


def save(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load(path: Path) -> faiss.Index:
    """Read-only and memory-mapped, so gunicorn workers share the pages."""
    return faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)


def search(index: faiss.Index, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (ids, scores) for one query vector; missing slots (-1) dropped."""
    k = min(k, index.ntotal)
    if k <= 0:
        return np.zeros(0, "int64"), np.zeros(0, "float32")
    scores, ids = index.search(np.ascontiguousarray(vector.reshape(1, -1), dtype="float32"), k)
    keep = ids[0] >= 0
    return ids[0][keep], scores[0][keep]
