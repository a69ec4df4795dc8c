"""Content-only recommender: the user's taste as the star-weighted sum of the text embeddings of
what they rated (liked films pull, disliked ones push: `rating_weights`); items scored by cosine
to it. Works from the first rating,
and for movies nobody has rated yet."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import Model


def rating_weights(histories: sp.csr_matrix, neutral: float) -> sp.csr_matrix:
    """Stars as signed weights: rating - neutral, so liked movies pull the profile towards
    their texts and disliked ones push it away (a 1-star thriller makes thrillers score lower)."""
    h = sp.csr_matrix(histories, dtype=np.float32, copy=True)
    h.data = (h.data - neutral).astype(np.float32)
    return h


class ContentModel(Model):
    kind = "content"
    defaults = {"neutral": 2.5}

    def fit(self, matrix, times=None, item_vectors=None):
        if item_vectors is None:
            raise ValueError("content: fit needs item_vectors (items x d text embeddings)")
        e = np.asarray(item_vectors, dtype=np.float32)
        if e.shape[0] != matrix.shape[1]:
            raise ValueError(f"content: {e.shape[0]} item vectors for {matrix.shape[1]} items")
        e = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
        self.arrays = {"E": e}
        self.n_items = int(matrix.shape[1])
        return self

    @property
    def item_vectors(self) -> np.ndarray:
        return self.arrays["E"]

    def profiles(self, histories) -> np.ndarray:
        """Unit user vectors in the text space (zero for an empty history): FAISS queries."""
        h = rating_weights(self._check(histories), float(self.params["neutral"]))
        p = np.asarray(h @ self.item_vectors, dtype=np.float32)
        return p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12)

    def profile_of(self, rated_rows: np.ndarray, stars: np.ndarray | None = None) -> np.ndarray:
        """profiles() of one history of distinct rows (the feed's history): the normalised
        star-weighted sum of the gathered rows, no sparse matrix; without stars, all alike."""
        rows = np.asarray(rated_rows, dtype=np.int64)
        vectors = np.asarray(self.item_vectors[rows], dtype=np.float32)
        if stars is None:
            p = vectors.sum(axis=0, dtype=np.float32)
        else:
            p = (np.asarray(stars, dtype=np.float32) - np.float32(self.params["neutral"])) @ vectors
        return (p / max(float(np.linalg.norm(p)), 1e-12)).astype(np.float32)

    def score(self, histories):
        return self.profiles(histories) @ np.asarray(self.item_vectors).T
