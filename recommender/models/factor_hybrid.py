"""The collaborative model for large catalogues (ML-25M: 62k movies), where the dense Hybrid's
items x items matrices would take 15 GB each.

score = a(n) ALS + w_content Content + (1 - a(n)) w_pop_cold Popularity   (each row-max normalised)

ALS keeps items x 64 floats and folds a user's current ratings in with one 64 x 64 solve.
"Movies like X" asks two HNSW indices (ALS item vectors and text embeddings, ids = item rows)
for candidates, re-scores them exactly and blends them as the Hybrid does: co-ratings weigh
more the more ratings X has, text always keeps a say. No items x items array exists anywhere.
"""
from __future__ import annotations

import json
from pathlib import Path

import faiss
import numpy as np
import scipy.sparse as sp

from .. import ann, faiss_io
from .als import ALS
from .base import Model, row_max_normalise
from .content import ContentModel
from .hybrid import SOURCE_CONTENT, SOURCE_CORATING, _top, warmth
from .popularity import Popularity

INDEX_FILES = {"collab": "similar_collab.faiss", "content": "similar_content.faiss"}


def _unit(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float32)
    return (a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)).astype(np.float32)


class FactorHybrid(Model):
    kind = "factor"
    defaults = {
        "factors": 64, "regularization": 10.0, "alpha": 1.0, "iterations": 15, "seed": 0,
        "w_content": 0.05, "w_pop_cold": 0.1, "half_ratings": 12.0, "warmth_power": 2.0,
        "similar_half_ratings": 20.0, "similar_text_floor": 0.4, "similar_candidates": 100,
        "index_kind": "auto",
    }

    def __init__(self, **params):
        super().__init__(**params)
        self.parts: dict[str, Model] = {}
        self.indices: dict[str, faiss.Index] = {}
        self.index_info: dict[str, dict] = {}

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, matrix, times=None, item_vectors=None):
        p = self.params
        self.parts = {
            "als": ALS(factors=p["factors"], regularization=p["regularization"], alpha=p["alpha"],
                       iterations=p["iterations"], seed=p["seed"]).fit(matrix),
            "popularity": Popularity().fit(matrix),
        }
        if item_vectors is not None:
            self.parts["content"] = ContentModel().fit(matrix, item_vectors=item_vectors)
        self.n_items = int(matrix.shape[1])
        rows = np.arange(self.n_items, dtype=np.int64)
        for space in ("collab", "content"):
            if space == "content" and "content" not in self.parts:
                continue
            self.indices[space], self.index_info[space] = ann.build_checked(
                self.item_vectors(space), rows, p["index_kind"])
        return self

    # -- scoring -----------------------------------------------------------------------------
    def warmth(self, histories) -> np.ndarray:
        n = np.diff(sp.csr_matrix(histories).indptr).astype(np.float32)
        return warmth(n, self.params)

    def score(self, histories):
        h = self._check(histories)
        p = self.params
        a = self.warmth(h)[:, None]
        s = a * row_max_normalise(self.parts["als"].score(h))
        if "content" in self.parts and p["w_content"]:
            s += p["w_content"] * row_max_normalise(self.parts["content"].score(h))
        if p["w_pop_cold"]:
            s += (1 - a) * p["w_pop_cold"] * self.parts["popularity"].item_scores()[None, :]
        return s.astype(np.float32)

    def because_of(self, history_row, item_rows) -> np.ndarray:
        """For each item row, the rated row whose ALS contribution to it is largest (-1: none)."""
        h = sp.csr_matrix(history_row)
        if h.nnz == 0:
            return np.full(len(item_rows), -1, dtype=np.int64)
        c = self.parts["als"].contributions(h, item_rows)
        rated = np.sort(h.indices[h.indptr[0]:h.indptr[1]])
        return np.where(c.max(axis=1) > 0, rated[np.argmax(c, axis=1)], -1).astype(np.int64)

    # -- movies like X -----------------------------------------------------------------------
    def _candidates(self, space: str, item_row: int, k: int) -> np.ndarray:
        vector = self.item_vectors(space)[item_row]
        ids, _ = faiss_io.search(self.indices[space], np.asarray(vector), k)
        return ids

    def _blend(self, item_row: int, rows: np.ndarray):
        """(score, co-rating part, text part) of `rows` as neighbours of `item_row`."""
        n = float(self.parts["popularity"].counts[item_row])
        beta = n / (n + float(self.params["similar_half_ratings"]))
        beta *= 1.0 - float(self.params["similar_text_floor"])
        v = self.item_vectors("collab")
        collab = np.clip(np.asarray(v[rows]) @ np.asarray(v[item_row]), 0, None)
        collab = collab / max(float(collab.max(initial=0.0)), 1e-12)
        if "content" in self.parts:
            e = self.item_vectors("content")
            text = np.clip(np.asarray(e[rows]) @ np.asarray(e[item_row]), 0, None) ** 3
            text = text / max(float(text.max(initial=0.0)), 1e-12)
        else:
            text, beta = np.zeros_like(collab), 1.0
        parts_c, parts_t = beta * collab, (1 - beta) * text
        return parts_c + parts_t, parts_c, parts_t

    def similar_items(self, item_row: int, k: int = 10, exclude=None):
        """(rows, scores, source): candidates from both ANN indices, re-scored exactly. When the
        excluded rows (a genre filter) leave fewer than k, every item is scored instead."""
        wanted = max(int(self.params["similar_candidates"]), 4 * k)
        pool = [self._candidates(s, item_row, wanted) for s in self.indices]
        rows = np.unique(np.concatenate(pool + [np.zeros(0, np.int64)]))
        rows = rows[(rows >= 0) & (rows != item_row)]
        excluded = np.zeros(self.n_items, dtype=bool)
        if exclude is not None:
            excluded[np.asarray(exclude, dtype=np.int64)] = True
        rows = rows[~excluded[rows]]
        if len(rows) < k:
            rows = np.flatnonzero(~excluded)
            rows = rows[rows != item_row]
        score, parts_c, parts_t = self._blend(item_row, rows)
        full = np.full(self.n_items, -np.inf, dtype=np.float32)
        full[rows] = score
        top, scores = _top(full, item_row, k)
        at = np.searchsorted(rows, top)
        source = np.where(parts_c[at] >= parts_t[at], SOURCE_CORATING, SOURCE_CONTENT)
        return top, scores, source

    # -- vectors for FAISS -------------------------------------------------------------------
    def item_vectors(self, space: str = "collab") -> np.ndarray:
        """Unit item rows: "collab" (ALS factors) or "content" (text embeddings)."""
        if space == "collab":
            if "Yn" not in self.arrays:
                self.arrays["Yn"] = _unit(self.parts["als"].item_factors)
            return self.arrays["Yn"]
        return np.asarray(self.parts["content"].item_vectors)

    def user_vectors(self, histories, space: str = "collab") -> np.ndarray:
        """Unit user profiles: folded-in ALS factors, or the content profile."""
        if space == "collab":
            return _unit(self.parts["als"].user_factors(histories))
        return self.parts["content"].profiles(histories)

    # -- persistence -------------------------------------------------------------------------
    def save(self, directory) -> Path:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        for name, part in self.parts.items():
            part.save(d / name)
        np.save(d / "Yn.npy", self.item_vectors("collab"))
        for space, index in self.indices.items():
            faiss_io.save(index, d / INDEX_FILES[space])
        meta = {"kind": self.kind, "params": self.params, "n_items": self.n_items, "arrays": ["Yn"],
                "parts": sorted(self.parts), "indices": sorted(self.indices), "index_info": self.index_info}
        (d / "model.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
        return d

    def _restore(self, directory: Path, meta: dict, mmap: bool) -> None:
        from .base import load_model
        super()._restore(directory, meta, mmap)
        self.parts = {name: load_model(directory / name, mmap=mmap) for name in meta["parts"]}
        self.indices = {s: faiss_io.load(directory / INDEX_FILES[s]) for s in meta.get("indices", [])}
        self.index_info = meta.get("index_info", {})
