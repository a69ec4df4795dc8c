"""The baselines every rating model is measured against: the global mean, each film's mean,
each person's mean, and user + item biases fitted by regularised alternating least squares
(as Surprise's BaselineOnly: mu + b_u + b_i)."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import RatingModel


def item_sums(m: sp.csr_matrix, values: np.ndarray) -> np.ndarray:
    """Per item column, the sum of `values` (one per stored cell of csr `m`)."""
    return np.bincount(m.indices, weights=values, minlength=m.shape[1])


def cell_users(m: sp.csr_matrix) -> np.ndarray:
    """The user row of every stored cell of csr `m`."""
    return np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))


def fit_biases(m: sp.csr_matrix, mean: float, reg_user: float, reg_item: float, epochs: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """(user biases, item biases) minimising sum (r - mean - b_u - b_i)^2 + reg_user*|b_u|^2 +
    reg_item*|b_i|^2, by alternating exact solves of each side (users first, as Surprise)."""
    users = cell_users(m)
    n_user = np.diff(m.indptr).astype(np.float64)
    n_item = np.bincount(m.indices, minlength=m.shape[1]).astype(np.float64)
    b_user, b_item = np.zeros(m.shape[0]), np.zeros(m.shape[1])
    centred = m.data - mean
    for _ in range(epochs):
        b_user = np.bincount(users, centred - b_item[m.indices], m.shape[0]) / (reg_user + n_user)
        b_item = item_sums(m, centred - b_user[users]) / (reg_item + n_item)
    return b_user, b_item


# stars a rating's residual (against mean + film bias) counts for at most when the served
# rating blend folds a person in (`residual_cap` of its parts; the README's "Rating prediction")
RESIDUAL_CAP = 1.5


def held_residuals(residuals: np.ndarray, cap: float | None) -> np.ndarray:
    """`residuals` within +-`cap` (as they are when None). A newcomer rates what they feel
    strongly about: five 1-star films everyone likes say they dislike those films, not that
    they rate everything low (a family viewer who gave crime films and thrillers 1 star saw
    the next children's films well under what the ML-100K raters like them gave; the README's
    "Rating prediction")."""
    return residuals if cap is None else np.clip(residuals, -cap, cap)


def fold_in_bias(residuals: np.ndarray, reg_user: float, cap: float | None = None) -> float:
    """A person's bias from the residuals of their ratings against mean + item bias: the user
    step of fit_biases, for one person, at request time (each residual `held_residuals`)."""
    if not len(residuals):
        return 0.0
    return float(held_residuals(residuals, cap).sum() / (reg_user + len(residuals)))


class GlobalMean(RatingModel):
    """Everyone gives every film the mean of all training stars."""

    kind = "global_mean"

    def _fit(self, m, item_genres):
        pass

    def _predict(self, items, stars, targets):
        return np.full(len(targets), self.mean)


class ItemMean(RatingModel):
    """Each film's mean rating (the global mean for films with none)."""

    kind = "item_mean"

    def _fit(self, m, item_genres):
        counts = np.bincount(m.indices, minlength=m.shape[1])
        sums = item_sums(m, m.data)
        self.arrays["item_mean"] = np.where(counts > 0, sums / np.maximum(counts, 1), self.mean)

    def _predict(self, items, stars, targets):
        means = self.arrays["item_mean"]
        return np.where(targets >= 0, means[np.maximum(targets, 0)], self.mean)


class UserMean(RatingModel):
    """The person's own mean rating, from their current history (the global mean with none)."""

    kind = "user_mean"

    def _fit(self, m, item_genres):
        pass

    def _predict(self, items, stars, targets):
        return np.full(len(targets), stars.mean() if len(stars) else self.mean)


class Biases(RatingModel):
    """mu + b_u + b_i (Surprise's BaselineOnly with ALS: reg_i 10, reg_u 15, 10 epochs); b_u
    folded in from the person's current ratings."""

    kind = "biases"
    defaults = {"reg_user": 15.0, "reg_item": 10.0, "epochs": 10, "residual_cap": None}

    def _fit(self, m, item_genres):
        p = self.params
        _, self.arrays["item_bias"] = fit_biases(m, self.mean, p["reg_user"], p["reg_item"], p["epochs"])

    def user_bias(self, items: np.ndarray, stars: np.ndarray) -> float:
        return fold_in_bias(stars - self.mean - self.arrays["item_bias"][items], self.params["reg_user"],
                            self.params["residual_cap"])

    def baseline(self, items: np.ndarray, stars: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """mu + b_u + b_i for `targets` (b_i = 0 for row -1)."""
        b_item = self.arrays["item_bias"]
        known = np.where(targets >= 0, b_item[np.maximum(targets, 0)], 0.0)
        return self.mean + self.user_bias(items, stars) + known

    def _predict(self, items, stars, targets):
        return self.baseline(items, stars, targets)
