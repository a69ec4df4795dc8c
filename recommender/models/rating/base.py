"""The rating-prediction contract: stars in, stars out, a user's current ratings folded in.

Unlike the ranking models of recommender.models (which answer "what next?"), a rating model
answers "how many stars would this person give that film?". Every model here:

- `fit(matrix, item_genres=None)`: `matrix` is a users x items csr of stars (MovieLens: 0.5..5
  or 1..5; a stored zero is not a rating); `item_genres`, items x genres 0/1, what the models
  that read a film's kind use (the others ignore it). Users are only a way to fit the item
  parameters: nothing about a user is needed afterwards.
- `predict(history_items, history_stars, items)`: the stars for item rows `items` of one person
  whose ratings right now are `history_stars` on item rows `history_items`. The user's own
  parameters (bias, factors, neighbours' residuals) are computed from that history at the call
  with the fitted item parameters, a small ridge solve at most: a rating made a second ago
  counts, and the person need not have been in training. Item row -1 (a film the model does
  not know) and an empty history fall back to what is known (biases, the global mean).
  Predictions are clipped to the scale of the training stars.
- `save(dir)` / `load_rating_model(dir, reader)`: `rating.json` plus one `.npy` per array,
  read through the same reader as the ranking models (recommender.models.base.DiskReader, or
  the serving side's checked reader), allow_pickle=False.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

RATING_REGISTRY: dict[str, type[RatingModel]] = {}


def as_ratings(matrix) -> sp.csr_matrix:
    """A float64 users x items csr with sorted indices and no stored zeros."""
    m = sp.csr_matrix(matrix, dtype=np.float64, copy=True)
    m.eliminate_zeros()
    m.sort_indices()
    if m.nnz and not np.isfinite(m.data).all():
        raise ValueError("ratings must be finite numbers")
    return m


def history_arrays(history_items, history_stars, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """(item rows, stars) of one person's history, restricted to rows the model knows (0..n-1)."""
    items = np.asarray(history_items, dtype=np.int64).ravel()
    stars = np.asarray(history_stars, dtype=np.float64).ravel()
    if items.shape != stars.shape:
        raise ValueError(f"history: {len(items)} items but {len(stars)} ratings")
    keep = (items >= 0) & (items < n_items) & np.isfinite(stars)
    return items[keep], stars[keep]


def unit_rows(item_genres: np.ndarray) -> np.ndarray:
    """Each film's genre row scaled to length 1 (a film of four genres weighs each by 1/2), so
    that every film's genre part has the same reach; rows without a genre stay 0."""
    g = np.asarray(item_genres, dtype=np.float64)
    norms = np.linalg.norm(g, axis=1, keepdims=True)
    return np.divide(g, norms, out=np.zeros_like(g), where=norms > 0)


class RatingModel:
    """Fit on a stars matrix, predict one person's stars from their current history."""

    kind: ClassVar[str] = "rating-base"
    defaults: ClassVar[dict] = {}

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        RATING_REGISTRY[cls.kind] = cls

    def __init__(self, **params):
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            raise ValueError(f"{self.kind}: unknown config key(s) {unknown}; known keys are {sorted(self.defaults)}")
        self.params = {**self.defaults, **params}
        self.arrays: dict[str, np.ndarray] = {}
        self.n_items: int | None = None
        self.mean = 0.0
        self.scale = (1.0, 5.0)

    # -- to implement ------------------------------------------------------------------------
    def _fit(self, m: sp.csr_matrix, item_genres: np.ndarray | None) -> None:
        raise NotImplementedError

    def _predict(self, items: np.ndarray, stars: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Unclipped stars for `targets` (rows, -1 unknown) from a cleaned history."""
        raise NotImplementedError

    # -- shared ------------------------------------------------------------------------------
    def fit(self, matrix, item_genres=None) -> RatingModel:
        m = as_ratings(matrix)
        if m.nnz == 0:
            raise ValueError(f"{self.kind}: no ratings to fit")
        if item_genres is not None and len(item_genres) != m.shape[1]:
            raise ValueError(f"{self.kind}: {len(item_genres)} genre rows for {m.shape[1]} items")
        self.n_items = m.shape[1]
        self.mean = float(m.data.mean())
        self.scale = (float(m.data.min()), float(m.data.max()))
        self._fit(m, None if item_genres is None else np.asarray(item_genres, dtype=np.float64))
        return self

    def predict(self, history_items, history_stars, items) -> np.ndarray:
        """Stars (float64, clipped to the training scale) for item rows `items` of one person."""
        if self.n_items is None:
            raise RuntimeError(f"{self.kind}: fit or load the model first")
        h_items, h_stars = history_arrays(history_items, history_stars, self.n_items)
        targets = np.asarray(items, dtype=np.int64).ravel()
        targets = np.where((targets >= 0) & (targets < self.n_items), targets, -1)
        return self.clip(self._predict(h_items, h_stars, targets))

    def predict_pairs(self, histories: sp.csr_matrix, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Stars for each (user row, item row) pair, user row into `histories` (users x items
        stars: their ratings at prediction time); item row -1 for a film the model lacks."""
        users, items = np.asarray(users, np.int64), np.asarray(items, np.int64)
        histories = sp.csr_matrix(histories)
        out = np.empty(len(users), dtype=np.float64)
        order = np.argsort(users, kind="stable")
        bounds = np.flatnonzero(np.diff(users[order])) + 1
        for group in np.split(order, bounds) if len(order) else []:
            u = int(users[group[0]])
            a, b = histories.indptr[u], histories.indptr[u + 1]
            out[group] = self.predict(histories.indices[a:b], histories.data[a:b], items[group])
        return out

    def clip(self, values: np.ndarray) -> np.ndarray:
        return np.clip(values, self.scale[0], self.scale[1])

    def _meta(self) -> dict:
        return {"kind": self.kind, "params": self.params, "n_items": self.n_items, "mean": self.mean,
                "scale": list(self.scale), "arrays": sorted(self.arrays)}

    def save(self, directory) -> Path:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        for name, arr in self.arrays.items():
            np.save(d / f"{name}.npy", np.ascontiguousarray(arr))
        (d / "rating.json").write_text(json.dumps(self._meta(), indent=1, sort_keys=True))
        return d

    def _restore(self, directory: Path, meta: dict, reader) -> None:
        self.arrays = {n: np.asarray(reader.array(directory / f"{n}.npy")) for n in meta["arrays"]}
        self.n_items = int(meta["n_items"])
        self.mean = float(meta["mean"])
        self.scale = (float(meta["scale"][0]), float(meta["scale"][1]))


def load_rating_model(directory, reader=None) -> RatingModel:
    """A saved rating model (kind read from rating.json), every file read through `reader`."""
    from recommender.models.base import load_saved  # imported here: models/__init__ imports this package

    return load_saved(directory, RATING_REGISTRY, "rating.json", reader)
