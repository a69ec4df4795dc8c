"""Films most like one a person disliked: kept down, unless a film they liked is as close.

A 1-star Return of the Jedi should not bring Star Wars or The Empire Strikes Back. The blend's
co-rating terms only stop a dislike from pulling its neighbours up; for someone with few
ratings the peers, genre and popularity terms still raise them. This part marks, for each
history, the `neighbours` nearest films of every disliked (or "not interested") film, nearest
by the likes' EASE weights (what people who liked one liked next) among the films of its kind
(sharing at least half their genres: the hits of the same season are co-rated with everything,
and disliking Liar Liar says nothing against Contact), except where a liked film is
itself among those nearest: a person who loves Star Wars and gave Return of the Jedi one star
has said "not that one", nothing against The Empire Strikes Back. A liked film elsewhere does
not speak for them (Toy Story's nearest include Star Wars, as every hit's do). Scores are 1
(marked) or 0: the blend subtracts them, faded by the square of (1 - warmth): a long history
carries its dislikes in every other term (faded once, the term cost the warm protocol's
all-ratings nDCG; squared, nothing measurable, and a newcomer's feed is the same)."""
from __future__ import annotations

import numpy as np

from . import preferences
from .base import Model, OneHistoryAtATime


class AvoidNeighbours(OneHistoryAtATime, Model):
    kind = "avoid"
    defaults = {"neighbours": 5, "same_kind": 0.5}

    def fit(self, matrix, times=None, item_vectors=None, item_weights=None, item_genres=None):
        """`item_weights`: an items x items weight matrix (the likes' EASE B) whose largest
        off-diagonal entries in a row are that film's nearest; `item_genres` (items x genres,
        0/1): only films sharing at least `same_kind` of their genres (Jaccard) count as near."""
        if item_weights is None or item_genres is None:
            raise ValueError("avoid: fit needs item-to-item weights and the genre matrix")
        w = np.array(item_weights, dtype=np.float32, copy=True)
        g = np.asarray(item_genres, dtype=np.float32)
        shared = g @ g.T
        sizes = g.sum(axis=1)
        union = sizes[:, None] + sizes[None, :] - shared
        w[shared < self.params["same_kind"] * np.maximum(union, 1.0)] = -np.inf
        np.fill_diagonal(w, -np.inf)
        n = min(int(self.params["neighbours"]), w.shape[1] - 1)
        nearest = np.argpartition(-w, n - 1, axis=1)[:, :n]
        nearest[~np.isfinite(np.take_along_axis(w, nearest, axis=1))] = -1  # fewer of its kind
        self.arrays = {"nearest": nearest.astype(np.int32)}
        self.n_items = int(matrix.shape[1])
        return self

    def score_one(self, rated_rows: np.ndarray, stars: np.ndarray) -> np.ndarray:
        """(items,) 1 for the nearest films of each disliked film none of whose nearest is liked."""
        out = np.zeros(self.n_items, dtype=np.float32)
        liked, disliked = preferences.masks_of(np.asarray(stars, dtype=np.float32))
        if not disliked.any():
            return out
        nearest = self.arrays["nearest"]
        rows = np.asarray(rated_rows, dtype=np.int64)
        near_disliked = nearest[rows[disliked]]
        # a disliked film with a liked one among its nearest said "not this one", not "not these"
        spoken_for = np.isin(near_disliked, rows[liked]).any(axis=1)
        marked = near_disliked[~spoken_for].ravel()
        out[marked[marked >= 0]] = 1.0
        return out
