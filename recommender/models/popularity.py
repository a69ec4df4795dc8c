"""Most-popular baseline and the cold-start prior: how many train users rated each movie."""
from __future__ import annotations

import numpy as np

from .base import Model, binary


class Popularity(Model):
    """Score = log(1 + count) / log(1 + max count), the same for every user."""

    kind = "popularity"
    defaults = {}

    def fit(self, matrix, times=None, item_vectors=None):
        counts = np.asarray(binary(matrix).sum(axis=0)).ravel().astype(np.float32)
        self.n_items = int(matrix.shape[1])
        self.arrays = {"counts": counts}
        return self

    @property
    def counts(self) -> np.ndarray:
        return self.arrays["counts"]

    def item_scores(self) -> np.ndarray:
        """log(1 + count) / log(1 + max count), read-only: worked out once per counts array
        (every feed request blends it)."""
        counts = self.counts
        cached = getattr(self, "_scores", None)
        if cached is None or cached[0] is not counts:
            c = np.log1p(np.asarray(counts, dtype=np.float32))
            scores = c / max(float(c.max()), 1e-12)
            scores.setflags(write=False)
            cached = self._scores = (counts, scores)
        return cached[1]

    def score(self, histories):
        h = self._check(histories)
        return np.tile(self.item_scores(), (h.shape[0], 1))
