"""Item-item co-rating models: ItemKNN cosine (also the "often liked together" similarity)
and RP3beta (Paudel et al. 2017: a 3-step random walk with popularity damping).

Both keep a dense items x items float32 matrix: 11 MB on ML-100K, and one vector-matrix
product per user at serving time.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import Model, binary, binary_product


def _keep_top(w: np.ndarray, k: int | None) -> np.ndarray:
    """Zero all but the k largest entries of each row (k None or 0: keep all)."""
    if not k or k >= w.shape[1]:
        return w
    cut = np.argpartition(-w, k - 1, axis=1)[:, k:]
    w = w.copy()
    np.put_along_axis(w, cut, 0.0, axis=1)
    return w


def cosine_similarity(matrix, shrink: float = 10.0) -> np.ndarray:
    """cos(i, j) over binary co-ratings, shrunk towards 0 for pairs seen by few users."""
    x = binary(matrix)
    co = (x.T @ x).toarray().astype(np.float32)
    n = np.diag(co).copy()
    sim = co / np.maximum(np.sqrt(np.outer(n, n)) + shrink, 1e-12)
    np.fill_diagonal(sim, 0.0)
    return sim.astype(np.float32)


class ItemKNN(Model):
    """score(u, i) = sum over rated j of sim(j, i), sim restricted to j's `neighbours` best."""

    kind = "itemknn"
    defaults = {"neighbours": 100, "shrink": 10.0}

    def fit(self, matrix, times=None, item_vectors=None):
        sim = cosine_similarity(matrix, float(self.params["shrink"]))
        self.arrays = {"W": _keep_top(sim, int(self.params["neighbours"])).astype(np.float32),
                       "sim": sim}
        self.n_items = int(matrix.shape[1])
        return self

    @property
    def similarity(self) -> np.ndarray:
        return self.arrays["sim"]

    def score(self, histories):
        return binary_product(self._check(histories), self.arrays["W"])


class RP3beta(Model):
    """W[j, i] = P(j -> user -> i) ** alpha / popularity(i) ** beta."""

    kind = "rp3beta"
    defaults = {"alpha": 1.0, "beta": 0.3, "neighbours": 0}

    def fit(self, matrix, times=None, item_vectors=None):
        x = binary(matrix)
        pop = np.asarray(x.sum(axis=0)).ravel()
        act = np.asarray(x.sum(axis=1)).ravel()
        p_ui = sp.diags(1.0 / np.maximum(act, 1)) @ x
        p_iu = sp.diags(1.0 / np.maximum(pop, 1)) @ x.T
        w = (p_iu @ p_ui).toarray()
        if self.params["alpha"] != 1.0:
            w = w ** float(self.params["alpha"])
        w = w / np.maximum(pop, 1)[None, :] ** float(self.params["beta"])
        np.fill_diagonal(w, 0.0)
        self.arrays = {"W": _keep_top(w.astype(np.float32), int(self.params["neighbours"]))}
        self.n_items = int(matrix.shape[1])
        return self

    def score(self, histories):
        return binary_product(self._check(histories), self.arrays["W"])
