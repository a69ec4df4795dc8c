"""EASE (Steck 2019) on binary data, with an optional session-aware Gram matrix.

MovieLens users rate a page of up to ten movies at once (half of consecutive ratings share
a timestamp), so two movies rated in the same sitting say more about each other than two
rated months apart. With `session_weight` > 0 the Gram matrix mixes plain co-counts with
co-counts weighted by exp(-|t_i - t_j| / session_seconds); the kernel keeps it positive
definite, so the closed form still holds. Scoring is x @ B: fold-in for free.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import Model, binary, binary_product


def session_gram(x: sp.csr_matrix, times: sp.csr_matrix, seconds: float) -> np.ndarray:
    """sum over users of exp(-|t_ui - t_uj| / seconds) for each pair of items they rated."""
    n = x.shape[1]
    g = np.zeros((n, n), dtype=np.float64)
    t = sp.csr_matrix(times)
    t.sort_indices()
    for u in range(t.shape[0]):
        a, b = t.indptr[u], t.indptr[u + 1]
        if b == a:
            continue
        idx = t.indices[a:b]
        ts = t.data[a:b]
        g[np.ix_(idx, idx)] += np.exp(-np.abs(ts[:, None] - ts[None, :]) / seconds)
    return g


def ease_weights(gram: np.ndarray, lam: float) -> np.ndarray:
    g = np.array(gram, dtype=np.float64, copy=True)
    g[np.diag_indices_from(g)] += lam
    p = np.linalg.inv(g)
    b = -p / np.diag(p)[None, :]
    b[np.diag_indices_from(b)] = 0.0
    return b.astype(np.float32)


def gram_matrix(matrix, times=None, session_weight=0.0, session_seconds=300.0) -> np.ndarray:
    x = binary(matrix)
    g = (x.T @ x).toarray().astype(np.float64)
    if session_weight > 0 and times is not None:
        g = (1 - session_weight) * g + session_weight * session_gram(x, times, session_seconds)
    return g


class EASE(Model):
    kind = "ease"
    defaults = {"lam": 300.0, "session_weight": 0.0, "session_seconds": 300.0}

    def fit(self, matrix, times=None, item_vectors=None, gram: np.ndarray | None = None):
        """`gram` lets tuning reuse one Gram matrix across several lambdas."""
        p = self.params
        if gram is None:
            gram = gram_matrix(matrix, times, p["session_weight"], p["session_seconds"])
        self.arrays = {"B": ease_weights(gram, float(p["lam"]))}
        self.n_items = int(matrix.shape[1])
        return self

    @property
    def weights(self) -> np.ndarray:
        """B[j, i]: how much having rated j raises i."""
        return self.arrays["B"]

    def score(self, histories):
        return binary_product(self._check(histories), self.weights)
