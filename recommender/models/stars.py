"""Predicted stars as a term of the feed: how much a person would like each film, not only
whether they would watch it.

Co-rating terms rank what a person is likely to rate next, liked or not; a film the person
would give two stars can still top them. This part folds the person's current ratings into a
biased matrix factorisation (recommender.models.rating.BiasedMF: mu + b_u + b_i + p_u.q_i) and
scores every film by its predicted stars, mapped from the rating scale onto -1..1, so the
blend can weigh it as it comes. The feed and the stars shown on a card then agree."""
from __future__ import annotations

import numpy as np

from .base import Model, OneHistoryAtATime
from .rating import BiasedMF


class PredictedStars(OneHistoryAtATime, Model):
    kind = "stars"
    defaults = dict(BiasedMF.defaults)

    def fit(self, matrix, times=None, item_vectors=None):
        self._stars = BiasedMF(**self.params).fit(matrix)
        self.arrays = {**self._stars.arrays, "scale": np.array([self._stars.mean, *self._stars.scale])}
        self.n_items = int(matrix.shape[1])
        return self

    def _restore(self, directory, meta, reader) -> None:
        super()._restore(directory, meta, reader)
        self._stars = BiasedMF(**self.params)
        self._stars.arrays = {name: self.arrays[name] for name in ("item_bias", "item_factors")}
        self._stars.n_items = self.n_items
        mean, low, high = (float(v) for v in self.arrays["scale"])
        self._stars.mean, self._stars.scale = mean, (low, high)

    def score_one(self, rated_rows: np.ndarray, stars: np.ndarray) -> np.ndarray:
        """(items,) predicted stars of one history, as -1 (the lowest) .. 1 (the highest)."""
        low, high = self._stars.scale
        predicted = self._stars.predict_every(rated_rows, stars)
        return ((predicted - (low + high) / 2) / max((high - low) / 2, 1e-12)).astype(np.float32)
