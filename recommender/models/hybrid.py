"""The blend that serves every user, from a brand-new one to a heavy rater.

score = a(n) EASE_warm + (1 - a(n)) EASE_cold + w_rp3 RP3beta + w_content Content
        + (1 - a(n)) w_pop_cold Popularity,        a(n) = n^g / (n^g + half_ratings^g)

Each term is divided by its row maximum first. n is the number of movies the user rated,
so a user with 5 ratings leans on the heavily regularised EASE and on popularity, and one
with 200 on the sharp EASE. All weights are tuned on validation splits (recommender.tuning).
"Movies like X" blends co-rating cosine and text similarity, leaning on text when X has
few ratings. Everything is fitted once and saved as plain arrays.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .base import Model, row_max_normalise
from .content import ContentModel
from .ease import EASE, gram_matrix
from .factors import ItemFactors
from .neighbours import ItemKNN, RP3beta
from .popularity import Popularity

SOURCE_CORATING, SOURCE_CONTENT = 0, 1


def warmth(n: np.ndarray, params: dict) -> np.ndarray:
    """a(n) = n^g / (n^g + h^g): 0 with no ratings, 1/2 at h ratings, then towards 1."""
    g = float(params["warmth_power"])
    n = np.asarray(n, dtype=np.float64) ** g
    return (n / (n + float(params["half_ratings"]) ** g)).astype(np.float32)


class Hybrid(Model):
    kind = "hybrid"
    defaults = {
        "lam": 200.0, "lam_cold": 4000.0, "session_weight": 0.3, "session_seconds": 300.0,
        "half_ratings": 12.0, "warmth_power": 4.0, "rp3_alpha": 1.0, "rp3_beta": 0.5,
        "w_rp3": 0.3, "w_content": 0.1, "w_pop_cold": 0.1,
        "knn_shrink": 10.0, "similar_half_ratings": 20.0, "similar_text_floor": 0.4, "factor_dims": 64,
    }
    COMPONENTS = ("ease", "ease_cold", "rp3", "content", "popularity", "knn", "factors")

    def __init__(self, **params):
        super().__init__(**params)
        self.parts: dict[str, Model] = {}

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, matrix, times=None, item_vectors=None, gram=None):
        p = self.params
        if gram is None:
            gram = gram_matrix(matrix, times, p["session_weight"], p["session_seconds"])
        self.parts = {
            "ease": EASE(lam=p["lam"], session_weight=p["session_weight"],
                         session_seconds=p["session_seconds"]).fit(matrix, gram=gram),
            "ease_cold": EASE(lam=p["lam_cold"], session_weight=p["session_weight"],
                              session_seconds=p["session_seconds"]).fit(matrix, gram=gram),
            "rp3": RP3beta(alpha=p["rp3_alpha"], beta=p["rp3_beta"]).fit(matrix),
            "popularity": Popularity().fit(matrix),
            "knn": ItemKNN(shrink=p["knn_shrink"]).fit(matrix),
            "factors": ItemFactors(dims=p["factor_dims"]).fit(matrix),
        }
        if item_vectors is not None:
            self.parts["content"] = ContentModel().fit(matrix, item_vectors=item_vectors)
        self.n_items = int(matrix.shape[1])
        return self

    # -- scoring -----------------------------------------------------------------------------
    def components(self, histories) -> dict[str, np.ndarray]:
        """Each term's row-normalised scores (tuning blends these without refitting)."""
        h = self._check(histories)
        out = {name: row_max_normalise(self.parts[name].score(h))
               for name in ("ease", "ease_cold", "rp3", "content") if name in self.parts}
        out["popularity"] = self.parts["popularity"].score(h)
        return out

    def warmth(self, histories) -> np.ndarray:
        """a(n) per history row: 0 for no ratings, towards 1 for many."""
        n = np.diff(sp.csr_matrix(histories).indptr).astype(np.float32)
        return warmth(n, self.params)

    @staticmethod
    def blend(parts: dict[str, np.ndarray], warmth: np.ndarray, params: dict) -> np.ndarray:
        a = warmth[:, None]
        s = a * parts["ease"] + (1 - a) * parts["ease_cold"] + params["w_rp3"] * parts["rp3"]
        if "content" in parts:
            s = s + params["w_content"] * parts["content"]
        s = s + (1 - a) * params["w_pop_cold"] * parts["popularity"]
        return s.astype(np.float32)

    def score(self, histories):
        h = self._check(histories)
        return self.blend(self.components(h), self.warmth(h), self.params)

    # -- explanations ------------------------------------------------------------------------
    def contributions(self, history_row, item_rows) -> np.ndarray:
        """(len(item_rows), n_rated) share of each rated movie in each item's score.

        Columns follow `history_row.indices` (sorted item rows the user rated).
        """
        h = self._check(history_row)[0]
        rated = h.indices
        items = np.asarray(item_rows, dtype=np.int64)
        a = float(self.warmth(h)[0])
        p = self.params
        peak = {k: max(float(np.abs(self.parts[k].score(h)).max()), 1e-12)
                for k in ("ease", "ease_cold", "rp3")}
        b_w = np.asarray(self.parts["ease"].weights)[np.ix_(rated, items)] / peak["ease"]
        b_c = np.asarray(self.parts["ease_cold"].weights)[np.ix_(rated, items)] / peak["ease_cold"]
        w_r = np.asarray(self.parts["rp3"].arrays["W"])[np.ix_(rated, items)] / peak["rp3"]
        c = a * b_w + (1 - a) * b_c + p["w_rp3"] * w_r
        if "content" in self.parts:
            e = np.asarray(self.parts["content"].item_vectors)
            c = c + p["w_content"] * (e[rated] @ e[items].T) / max(len(rated), 1)
        return c.T.astype(np.float32)

    def because_of(self, history_row, item_rows) -> np.ndarray:
        """For each recommended item row, the rated item row that raised it most (-1: none)."""
        h = sp.csr_matrix(history_row)
        if h.nnz == 0:
            return np.full(len(item_rows), -1, dtype=np.int64)
        c = self.contributions(h, item_rows)
        best = h.indices[np.argmax(c, axis=1)]
        return np.where(c.max(axis=1) > 0, best, -1).astype(np.int64)

    # -- movies like X -----------------------------------------------------------------------
    def similar_corating(self, item_row: int, k: int = 10):
        """Cosine over co-ratings ("often liked together"): (rows, scores)."""
        sim = np.asarray(self.parts["knn"].similarity[item_row])
        return _top(sim, item_row, k)

    def similar_content(self, item_row: int, k: int = 10):
        """Cosine of text embeddings: (rows, scores); empty when no text vectors were fitted."""
        if "content" not in self.parts:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        e = self.parts["content"].item_vectors
        return _top(np.asarray(e) @ np.asarray(e[item_row]), item_row, k)

    def similar_items(self, item_row: int, k: int = 10, exclude=None):
        """(rows, scores, source) blending both, source 0 = co-rating, 1 = content.

        Weight on co-rating = (1 - similar_text_floor) n / (n + similar_half_ratings), n the
        movie's rating count: text always keeps a say, so sequels surface even for big hits.
        """
        n = float(self.parts["popularity"].counts[item_row])
        beta = n / (n + float(self.params["similar_half_ratings"]))
        beta *= 1.0 - float(self.params["similar_text_floor"])
        collab = np.asarray(self.parts["knn"].similarity[item_row], dtype=np.float32)
        collab = collab / max(float(collab.max()), 1e-12)
        if "content" in self.parts:
            e = self.parts["content"].item_vectors
            text = np.asarray(e) @ np.asarray(e[item_row])
            text = np.clip(text, 0, None) ** 3          # sharpen: only close texts count
            text[item_row] = 0
            text = text / max(float(text.max()), 1e-12)
        else:
            text, beta = np.zeros_like(collab), 1.0
        parts_c, parts_t = beta * collab, (1 - beta) * text
        score = parts_c + parts_t
        if exclude is not None:
            score[np.asarray(exclude, dtype=np.int64)] = -np.inf
        rows, scores = _top(score, item_row, k)
        source = np.where(parts_c[rows] >= parts_t[rows], SOURCE_CORATING, SOURCE_CONTENT)
        return rows, scores, source

    # -- vectors for FAISS -------------------------------------------------------------------
    def item_vectors(self, space: str = "collab") -> np.ndarray:
        """Unit item rows: "collab" (SVD factors) or "content" (text embeddings)."""
        part = self.parts["factors" if space == "collab" else "content"]
        return np.asarray(part.item_vectors)

    def user_vectors(self, histories, space: str = "collab") -> np.ndarray:
        """Unit user profiles in the same space as `item_vectors(space)`."""
        return self.parts["factors" if space == "collab" else "content"].profiles(histories)

    # -- persistence -------------------------------------------------------------------------
    def save(self, directory) -> Path:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        for name, part in self.parts.items():
            part.save(d / name)
        meta = {"kind": self.kind, "params": self.params, "n_items": self.n_items,
                "arrays": [], "parts": sorted(self.parts)}
        (d / "model.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
        return d

    def _restore(self, directory: Path, meta: dict, mmap: bool) -> None:
        from .base import load_model
        self.parts = {name: load_model(directory / name, mmap=mmap) for name in meta["parts"]}
        self.n_items = meta["n_items"]


def _top(scores: np.ndarray, skip: int, k: int):
    s = np.array(scores, dtype=np.float32, copy=True)
    s[skip] = -np.inf
    k = min(k, len(s) - 1)
    if k <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    idx = np.argpartition(-s, k - 1)[:k]
    idx = idx[np.argsort(-s[idx], kind="stable")]
    idx = idx[np.isfinite(s[idx])]
    return idx.astype(np.int64), s[idx]
