"""Genre taste: the genres a person's ratings say they like and dislike, as a term of the blend.

Co-ratings of a handful of well-known films mostly point at other well-known films, and text
embeddings of titles weigh a genre word lightly; someone who rated five westerns 5 stars still
expects westerns. The profile is the star-signed sum of the rated films' genre rows (liked
genres positive, disliked ones negative); a film scores the match of its genres, divided by the
profile's total weight: near 1 for a film of the one genre someone rated only, small when their
ratings spread over many genres (then co-ratings know better). It fades as ratings accumulate
(half at `fade_ratings`), since a long history speaks for itself."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp

from .base import Model
from .content import rating_weights


def genre_matrix(genre_lists: Iterable[Iterable[str]]) -> tuple[list[str], np.ndarray]:
    """(sorted genre names, items x genres 0/1 uint8) from each item's genre list."""
    lists = [list(g) for g in genre_lists]
    names = sorted({g for gs in lists for g in gs})
    column = {g: j for j, g in enumerate(names)}
    matrix = np.zeros((len(lists), len(names)), dtype=np.uint8)
    for row, gs in enumerate(lists):
        matrix[row, [column[g] for g in gs]] = 1
    return names, matrix


class GenreTaste(Model):
    kind = "genres"
    defaults = {"neutral": 2.5, "fade_ratings": 20.0, "fade_power": 4.0}

    def fit(self, matrix, times=None, item_vectors=None, item_genres=None):
        if item_genres is None:
            raise ValueError("genres: fit needs item_genres (items x genres, 0/1)")
        g = np.asarray(item_genres, dtype=np.float32)
        if g.shape[0] != matrix.shape[1]:
            raise ValueError(f"genres: {g.shape[0]} genre rows for {matrix.shape[1]} items")
        # a film of four genres matches each of them less than a film of that genre alone
        self.arrays = {"G": g / np.sqrt(np.maximum(g.sum(axis=1, keepdims=True), 1.0))}
        self.n_items = int(matrix.shape[1])
        return self

    @property
    def item_genres(self) -> np.ndarray:
        return self.arrays["G"]

    def _scale(self, total_weight: np.ndarray, n_rated: np.ndarray) -> np.ndarray:
        """Per history: 1 / its total |weight|, faded by how many films it rated."""
        p, half = float(self.params["fade_power"]), float(self.params["fade_ratings"])
        fade = half ** p / (np.asarray(n_rated, dtype=np.float64) ** p + half ** p)
        return (fade / np.maximum(total_weight, 1e-12)).astype(np.float32)

    def score(self, histories):
        h = rating_weights(self._check(histories), float(self.params["neutral"]))
        g = np.asarray(self.item_genres)
        scale = self._scale(np.asarray(abs(h).sum(axis=1)).ravel(), np.diff(h.indptr))
        return (np.asarray(h @ g, dtype=np.float32) * scale[:, None]) @ g.T

    def score_one(self, rated_rows: np.ndarray, stars: np.ndarray) -> np.ndarray:
        """score() of one history of distinct rows and stars, without a sparse matrix."""
        g = np.asarray(self.item_genres)
        weights = np.asarray(stars, dtype=np.float32) - np.float32(self.params["neutral"])
        scale = self._scale(np.abs(weights).sum(), len(weights))
        return g @ ((weights @ g[np.asarray(rated_rows, dtype=np.int64)]) * scale)
