"""Biased matrix factorisation fitted by alternating least squares: mu + b_u + b_i + p_u.q_i,
and with `reg_genre` set, + y_u.g_i: the person's weight for each genre, g_i the film's genres
(one row of unit length).

Each half step is an exact ridge solve per user (or per item) with the other side fixed: the
design is [1, q_i] (a bias column and the factors; [1, q_i, g_i] for a person when genres are
read), the target r - mu - b_i, the penalty `reg_bias` on the bias, `reg` on the factors and
`reg_genre` on the genre weights, each times the number of ratings when `weighted` (ALS-WR,
Zhou et al. 2008); each row's normal equations are one small BLAS product, solved in batches.
At request time a person's [b_u, p_u, y_u] is the same solve over their current ratings
(`fold_in`), each residual held within `residual_cap` when set (baselines.held_residuals): a
person never seen in training is served like any other.

Why genre weights: a newcomer's five westerns at 5 stars and six horror films at 1 star are
explained by the factors alone as "dislikes old classics" (The Birds and High Noon share
factors), so High Noon read as lukewarm; with the genre columns the ridge solve puts the
contrast on the genres (`flask eval --ratings`, README "Rating prediction")."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import RatingModel, history_arrays, unit_rows
from .baselines import cell_users, fit_biases, held_residuals

BLOCK_ROWS = 4096  # rows solved in one batched call (memory: BLOCK_ROWS x d^2)
BLOCK_CELLS = 1 << 20  # rating cells whose genre part is computed at once


def penalty(factors: int, reg: float, reg_bias: float, genres: int = 0, reg_genre: float = 0.0) -> np.ndarray:
    """The ridge penalty's diagonal for [bias, factors..., genre weights...]."""
    return np.concatenate([[reg_bias], np.full(factors, reg), np.full(genres, reg_genre)])


def ridge_rows(m: sp.csr_matrix, targets: np.ndarray, design: np.ndarray, diagonal: np.ndarray,
               weighted: bool) -> np.ndarray:
    """For each row r of csr `m` (rows x others; `targets` one value per stored cell), the x
    minimising sum_{j in row} (target_rj - design[j].x)^2 + sum_k diagonal_k x_k^2, the penalty
    times the row's count when `weighted`. Rows with no cells get zeros. Each row's normal
    equations are one small BLAS product (Y_r^T Y_r); BLOCK_ROWS rows are solved in one batched call."""
    n, d = m.shape[0], design.shape[1]
    counts = np.diff(m.indptr)
    base = np.diag(diagonal)
    out = np.zeros((n, d))
    for start in range(0, n, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, n)
        gram = np.empty((stop - start, d, d))
        rhs = np.empty((stop - start, d))
        for k, row in enumerate(range(start, stop)):
            a, b = m.indptr[row], m.indptr[row + 1]
            y = design[m.indices[a:b]]
            gram[k] = y.T @ y
            rhs[k] = targets[a:b] @ y
        scale = np.maximum(counts[start:stop], 1.0) if weighted else np.ones(stop - start)
        gram += scale[:, None, None] * base
        out[start:stop] = np.linalg.solve(gram, rhs[:, :, None])[:, :, 0]
    out[counts == 0] = 0.0
    return out


def _genre_parts(m: sp.csr_matrix, weights: np.ndarray, genres: np.ndarray) -> np.ndarray:
    """y_u.g_i of every stored cell of users x items csr `m`, in its order."""
    users = cell_users(m)
    out = np.empty(m.nnz)
    for start in range(0, m.nnz, BLOCK_CELLS):
        stop = min(start + BLOCK_CELLS, m.nnz)
        out[start:stop] = np.einsum("ij,ij->i", weights[users[start:stop]], genres[m.indices[start:stop]])
    return out


class BiasedMF(RatingModel):
    """mu + b_u + b_i + p_u.q_i (+ y_u.g_i) by ALS; b_u, p_u (and y_u) folded in per request."""

    kind = "biased_mf"
    defaults = {"factors": 50, "reg": 0.1, "reg_bias": 0.1, "weighted": True, "epochs": 15,
                "init": 0.1, "seed": 0, "reg_genre": None, "residual_cap": None}

    def _fit(self, m, item_genres):
        p = self.params
        f = int(p["factors"])
        rng = np.random.default_rng(p["seed"])
        genres = (unit_rows(item_genres) if item_genres is not None and p["reg_genre"] is not None
                  else np.zeros((m.shape[1], 0)))
        user_penalty = penalty(f, p["reg"], p["reg_bias"], genres.shape[1], p["reg_genre"] or 0.0)
        b_user, b_item = fit_biases(m, self.mean, 15.0, 10.0, 10)
        q = rng.normal(0.0, p["init"], (m.shape[1], f))
        mt = m.T.tocsr()
        for _ in range(int(p["epochs"])):
            x = ridge_rows(m, m.data - self.mean - b_item[m.indices], np.hstack([np.ones((len(q), 1)), q, genres]),
                           user_penalty, p["weighted"])
            b_user, pu, weights = x[:, 0], x[:, 1:f + 1], x[:, f + 1:]
            target = mt.data - self.mean - b_user[mt.indices]
            if genres.shape[1]:  # each cell's genre part, in the items x users order
                target -= sp.csr_matrix((_genre_parts(m, weights, genres), m.indices, m.indptr),
                                        shape=m.shape).T.tocsr().data
            y = ridge_rows(mt, target, np.hstack([np.ones((len(pu), 1)), pu]), penalty(f, p["reg"], p["reg_bias"]),
                           p["weighted"])
            b_item, q = y[:, 0], y[:, 1:]
        self.arrays["item_bias"] = b_item
        self.arrays["item_factors"] = q
        if genres.shape[1]:
            self.arrays["item_genres"] = genres

    def _item_part(self, x: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """b_i + q_i.p_u (+ g_i.y_u) of films `rows` (every film when None), x = [b_u, p_u, y_u]."""
        a = self.arrays
        take = (lambda values: values) if rows is None else (lambda values: values[rows])
        f = a["item_factors"].shape[1]
        part = take(a["item_bias"]) + take(a["item_factors"]) @ x[1:f + 1]
        if "item_genres" in a:
            part += take(a["item_genres"]) @ x[f + 1:]
        return part

    def fold_in(self, items: np.ndarray, stars: np.ndarray) -> np.ndarray:
        """[b_u, p_u, y_u] of one person from their ratings: the user half step of the fit."""
        q = self.arrays["item_factors"]
        genres = self.arrays.get("item_genres")
        n_genres = 0 if genres is None else genres.shape[1]
        d = q.shape[1] + 1 + n_genres
        if len(items) == 0:
            return np.zeros(d)
        design = np.hstack([np.ones((len(items), 1)), q[items], *([] if genres is None else [genres[items]])])
        p = self.params
        target = held_residuals(stars - self.mean - self.arrays["item_bias"][items], p["residual_cap"])
        diagonal = (len(items) if p["weighted"] else 1.0) * penalty(q.shape[1], p["reg"], p["reg_bias"], n_genres,
                                                                    p["reg_genre"] or 0.0)
        if len(items) < d and (diagonal > 0).all():
            # the same ridge solution in the person's n ratings instead of d unknowns (the
            # push-through identity): (D'D + L)^-1 D't = L^-1 D' (D L^-1 D' + I)^-1 t; a request
            # folds in a short history, and an n x n solve is cheaper than d x d
            scaled = design / diagonal
            return scaled.T @ np.linalg.solve(scaled @ design.T + np.eye(len(items)), target)
        return np.linalg.solve(design.T @ design + np.diag(diagonal), design.T @ target)

    def predict_every(self, history_items, history_stars) -> np.ndarray:
        """predict() for every film at once: one product with the factor matrix, no gather."""
        x = self.fold_in(*history_arrays(history_items, history_stars, self.n_items))
        return self.clip(self.mean + x[0] + self._item_part(x))

    def _predict(self, items, stars, targets):
        x = self.fold_in(items, stars)
        known = targets >= 0
        rows = np.maximum(targets, 0)
        return self.mean + x[0] + np.where(known, self._item_part(x, rows), 0.0)
