"""Implicit-feedback ALS (Hu, Koren and Volinsky 2008), trained with the `implicit` package and
folded in with numpy.

Training is `implicit`'s multithreaded conjugate-gradient ALS: under two minutes for ML-25M on 2 cores,
in items x factors memory instead of items². Serving needs only the item factors Y and YᵀY: a
user's factor is solved from their ratings at call time,

    x_u = (YᵀY + λI + Y_rᵀ (c - 1) Y_r)⁻¹ Y_rᵀ c,   c = alpha for every rated movie,

a 64 x 64 solve, so a rating made a second ago counts without a refit (the same solve
`implicit` uses for `recalculate_user`).
"""
from __future__ import annotations

import logging

import numpy as np

from .base import Model, binary

log = logging.getLogger(__name__)


class ALS(Model):
    kind = "als"
    # regularization and alpha chosen on a validation split cut from ML-100K's train part
    # (reg 10 beat 0.05 and 1; alpha 1 within 0.01 of the best, without down-weighting positives)
    defaults = {"factors": 64, "regularization": 10.0, "alpha": 1.0, "iterations": 15, "seed": 0}

    def fit(self, matrix, times=None, item_vectors=None):
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        p = self.params
        x = binary(matrix)
        with threadpool_limits(1, "blas"):  # implicit's own threads do the work; BLAS threads fight them
            model = AlternatingLeastSquares(factors=int(p["factors"]), regularization=float(p["regularization"]),
                                            alpha=float(p["alpha"]), iterations=int(p["iterations"]),
                                            random_state=int(p["seed"]))
            model.fit(x, show_progress=False)
        y = np.asarray(model.item_factors, dtype=np.float32)
        self.arrays = {"Y": y, "YtY": (y.T.astype(np.float64) @ y).astype(np.float64)}
        self.n_items = int(matrix.shape[1])
        return self

    @property
    def item_factors(self) -> np.ndarray:
        return self.arrays["Y"]

    def _system(self, rated: np.ndarray):
        """A, b of the user's normal equations for the item rows they rated."""
        p = self.params
        alpha, lam = float(p["alpha"]), float(p["regularization"])
        yr = np.asarray(self.item_factors[rated], dtype=np.float64)
        a = np.asarray(self.arrays["YtY"]) + lam * np.eye(yr.shape[1]) + (alpha - 1.0) * (yr.T @ yr)
        return a, alpha * yr.sum(axis=0), yr

    def fold_in(self, rated_rows: np.ndarray) -> np.ndarray:
        """(factors,) float32: the factor of one user who rated these (distinct) item rows."""
        rated = np.asarray(rated_rows, dtype=np.int64)
        if len(rated) == 0:
            return np.zeros(self.item_factors.shape[1], dtype=np.float32)
        a, b, _ = self._system(rated)
        return np.linalg.solve(a, b).astype(np.float32)

    def user_factors(self, histories) -> np.ndarray:
        """(n, factors): each history row folded in (zeros for an empty history)."""
        h = binary(self._check(histories))
        out = np.zeros((h.shape[0], self.item_factors.shape[1]), dtype=np.float32)
        for u in range(h.shape[0]):
            out[u] = self.fold_in(h.indices[h.indptr[u]:h.indptr[u + 1]])
        return out

    def score(self, histories):
        return self.user_factors(histories) @ np.asarray(self.item_factors).T

    def contributions(self, history_row, item_rows) -> np.ndarray:
        """(len(item_rows), n_rated): how much each rated movie adds to each item's score.

        score_i = y_iᵀ A⁻¹ Σ_j c y_j, so movie j's share is c y_iᵀ A⁻¹ y_j (implicit's `explain`)."""
        h = binary(self._check(history_row))
        return self.contributions_of(h.indices[h.indptr[0]:h.indptr[1]], item_rows)

    def contributions_of(self, rated_rows: np.ndarray, item_rows) -> np.ndarray:
        """contributions() for a history given as its (distinct) rated rows, in that order."""
        rated = np.asarray(rated_rows, dtype=np.int64)
        items = np.asarray(item_rows, dtype=np.int64)
        if len(rated) == 0:
            return np.zeros((len(items), 0), dtype=np.float32)
        a, _, yr = self._system(rated)
        w = np.linalg.solve(a, yr.T)  # A⁻¹ Y_rᵀ: (factors, n_rated)
        yi = np.asarray(self.item_factors[items], dtype=np.float64)
        return (float(self.params["alpha"]) * (yi @ w)).astype(np.float32)
