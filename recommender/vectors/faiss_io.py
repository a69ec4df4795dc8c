"""FAISS indices keyed by MovieLens (or user) ids: build, save, load into private memory, search."""
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
    """Read whole into memory FAISS owns, for processes that own the file while they run (the
    indexer, tests); serving reads through recommender.serving.index.VersionFiles (checked
    bytes, then from_bytes). Never memory-mapped: a file truncated under a mapping turns the
    next search into SIGBUS, which kills the process however the call is wrapped."""
    return faiss.read_index(str(path))


def from_bytes(buffer: np.ndarray) -> faiss.Index:
    """An index from the bytes of its file (a uint8 array), copied into memory FAISS owns."""
    return faiss.deserialize_index(np.ascontiguousarray(buffer, dtype=np.uint8))


def stored_vectors(index: faiss.Index) -> np.ndarray | None:
    """The float vectors a flat or HNSW-flat index stores (through an id map), as a view of
    FAISS's own memory; None for other kinds. What a load checks for NaN without a copy."""
    inner = faiss.downcast_index(index.index) if hasattr(index, "id_map") else index
    if hasattr(inner, "storage"):  # HNSW keeps its vectors in a flat storage index
        inner = faiss.downcast_index(inner.storage)
    if not isinstance(inner, faiss.IndexFlat) or inner.ntotal == 0:
        return None
    return faiss.rev_swig_ptr(inner.get_xb(), inner.ntotal * inner.d)


def by_rows(index: faiss.Index, n: int) -> faiss.Index:
    """The index inside an IndexIDMap2 whose ids are n item ids in row order (sorted, as a
    version's movie_ids.npy is): its own labels are then item rows, so a model can search an
    index the version keeps for ids (content.faiss) without a second copy or an id lookup."""
    ids = faiss.vector_to_array(index.id_map) if hasattr(index, "id_map") else None
    if ids is None or len(ids) != n or (n > 1 and not np.all(np.diff(ids) > 0)):
        raise ValueError(f"expected an IndexIDMap2 over {n} increasing item ids")
    inner = faiss.downcast_index(index.index)
    inner.referenced_objects = [index]  # the IDMap owns `inner`: keep it alive (FAISS's convention)
    return inner


def keyed_by(index: faiss.Index, ids: np.ndarray) -> faiss.Index:
    """A copy of an IndexIDMap2 answering with `ids` (one per vector, in insertion order):
    one HNSW build serves both row and item-id labels."""
    copy = faiss.deserialize_index(faiss.serialize_index(index))
    ids = np.ascontiguousarray(ids, dtype="int64")
    if len(ids) != copy.ntotal:
        raise ValueError(f"{len(ids)} ids for {copy.ntotal} vectors")
    faiss.copy_array_to_vector(ids, copy.id_map)
    copy.construct_rev_map()
    return copy


def search(index: faiss.Index, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (ids, scores) for one query vector; missing slots (-1) dropped."""
    k = min(k, index.ntotal)
    if k <= 0:
        return np.zeros(0, "int64"), np.zeros(0, "float32")
    scores, ids = index.search(np.ascontiguousarray(vector.reshape(1, -1), dtype="float32"), k)
    keep = ids[0] >= 0
    return ids[0][keep], scores[0][keep]
