"""Item priors, the same for every user: popularity (how many train users rated each movie: the
most-popular baseline and the cold-start prior) and quality (how well those who rated it liked it)."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

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


class Quality(Model):
    """How well liked a movie is by those who rated it: its mean rating shrunk towards the
    catalogue's mean by `shrink` pseudo-ratings (a film with three 5-star ratings is not the
    best film there is), scaled to 0..1 over the catalogue; the same for every user. A
    tie-breaker between films the collaborative terms rank alike: the one people liked."""

    kind = "quality"
    defaults = {"shrink": 10.0}

    def fit(self, matrix, times=None, item_vectors=None):
        m = sp.csr_matrix(matrix, dtype=np.float64)
        counts = np.diff(m.tocsc().indptr).astype(np.float64)
        sums = np.asarray(m.sum(axis=0)).ravel()
        mean = float(m.data.mean()) if m.nnz else 0.0
        k = float(self.params["shrink"])
        shrunk = (sums + k * mean) / (counts + k)
        spread = max(float(shrunk.max(initial=0.0) - shrunk.min(initial=0.0)), 1e-12)
        self.arrays = {"scores": ((shrunk - shrunk.min(initial=0.0)) / spread).astype(np.float32)}
        self.n_items = int(matrix.shape[1])
        return self

    def item_scores(self) -> np.ndarray:
        return self.arrays["scores"]

    def score(self, histories):
        h = self._check(histories)
        return np.tile(self.item_scores(), (h.shape[0], 1))
