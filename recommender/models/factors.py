"""Collaborative item vectors for a FAISS inner-product index: a truncated SVD of the binary
user x item matrix, columns scaled by popularity ** -0.5 so big hits don't own every
direction. Item rows and user profiles are unit length, so inner product = cosine."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds

from .base import Model, binary, unit_rows


class ItemFactors(Model):
    kind = "factors"
    defaults = {"dims": 64, "seed": 0}

    def fit(self, matrix, times=None, item_vectors=None):
        x = binary(matrix)
        pop = np.asarray(x.sum(axis=0)).ravel()
        xs = x @ sp.diags(1.0 / np.sqrt(np.maximum(pop, 1)))
        k = int(min(self.params["dims"], min(x.shape) - 1))
        v0 = np.random.default_rng(int(self.params["seed"])).standard_normal(min(xs.shape))
        _, s, vt = svds(xs.astype(np.float64), k=k, v0=v0)
        order = np.argsort(-s)
        v = vt[order].T * np.sqrt(s[order])[None, :]
        self.arrays = {"V": unit_rows(v)}
        self.n_items = int(matrix.shape[1])
        return self

    @property
    def item_vectors(self) -> np.ndarray:
        return self.arrays["V"]

    def profiles(self, histories) -> np.ndarray:
        """Unit user vectors in the factor space (zero row for an empty history)."""
        h = binary(self._check(histories))
        return unit_rows(np.asarray(h @ self.item_vectors))

    def score(self, histories):
        return self.profiles(histories) @ np.asarray(self.item_vectors).T
