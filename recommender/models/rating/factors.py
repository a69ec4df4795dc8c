"""Biased matrix factorisation fitted by alternating least squares: mu + b_u + b_i + p_u.q_i.

Each half step is an exact ridge solve per user (or per item) with the other side fixed: the
design is [1, q_i] (a bias column and the factors), the target r - mu - b_i, the penalty
`reg_bias` on the bias and `reg` on the factors, each times the number of ratings when
`weighted` (ALS-WR, Zhou et al. 2008); each row's normal equations are one small BLAS product,
solved in batches. At request time a person's [b_u, p_u] is the same solve over
their current ratings (`fold_in`): a person never seen in training is served like any other."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import RatingModel, history_arrays
from .baselines import fit_biases

BLOCK_ROWS = 4096  # rows solved in one batched call (memory: BLOCK_ROWS x d^2)


def _penalty(d: int, reg: float, reg_bias: float) -> np.ndarray:
    return np.diag(np.concatenate([[reg_bias], np.full(d - 1, reg)]))


def ridge_rows(m: sp.csr_matrix, targets: np.ndarray, design: np.ndarray, reg: float,
               reg_bias: float, weighted: bool) -> np.ndarray:
    """For each row r of csr `m` (rows x others; `targets` one value per stored cell), the x
    minimising sum_{j in row} (target_rj - design[j].x)^2 + penalty(x), the penalty scaled by
    the row's count when `weighted`. Rows with no cells get zeros. Each row's normal equations
    are one small BLAS product (Y_r^T Y_r); BLOCK_ROWS rows are solved in one batched call."""
    n, d = m.shape[0], design.shape[1]
    counts = np.diff(m.indptr)
    base = _penalty(d, reg, reg_bias)
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


class BiasedMF(RatingModel):
    """mu + b_u + b_i + p_u.q_i by ALS; b_u and p_u folded in per request."""

    kind = "biased_mf"
    defaults = {"factors": 50, "reg": 0.1, "reg_bias": 0.1, "weighted": True, "epochs": 15,
                "init": 0.1, "seed": 0}

    def _fit(self, m):
        p = self.params
        f = int(p["factors"])
        rng = np.random.default_rng(p["seed"])
        b_user, b_item = fit_biases(m, self.mean, 15.0, 10.0, 10)
        q = rng.normal(0.0, p["init"], (m.shape[1], f))
        mt = m.T.tocsr()
        for _ in range(int(p["epochs"])):
            x = ridge_rows(m, m.data - self.mean - b_item[m.indices], np.hstack([np.ones((len(q), 1)), q]),
                           p["reg"], p["reg_bias"], p["weighted"])
            b_user, pu = x[:, 0], x[:, 1:]
            y = ridge_rows(mt, mt.data - self.mean - b_user[mt.indices], np.hstack([np.ones((len(pu), 1)), pu]),
                           p["reg"], p["reg_bias"], p["weighted"])
            b_item, q = y[:, 0], y[:, 1:]
        self.arrays["item_bias"] = b_item
        self.arrays["item_factors"] = q

    def fold_in(self, items: np.ndarray, stars: np.ndarray) -> np.ndarray:
        """[b_u, p_u] of one person from their ratings: the user half step of the fit."""
        q = self.arrays["item_factors"]
        d = q.shape[1] + 1
        if len(items) == 0:
            return np.zeros(d)
        design = np.hstack([np.ones((len(items), 1)), q[items]])
        target = stars - self.mean - self.arrays["item_bias"][items]
        p = self.params
        gram = design.T @ design + (len(items) if p["weighted"] else 1.0) * _penalty(d, p["reg"], p["reg_bias"])
        return np.linalg.solve(gram, design.T @ target)

    def predict_every(self, history_items, history_stars) -> np.ndarray:
        """predict() for every film at once: one product with the factor matrix, no gather."""
        x = self.fold_in(*history_arrays(history_items, history_stars, self.n_items))
        return self.clip(self.mean + x[0] + self.arrays["item_bias"] + self.arrays["item_factors"] @ x[1:])

    def _predict(self, items, stars, targets):
        x = self.fold_in(items, stars)
        known = targets >= 0
        rows = np.maximum(targets, 0)
        item_part = self.arrays["item_bias"][rows] + self.arrays["item_factors"][rows] @ x[1:]
        return self.mean + x[0] + np.where(known, item_part, 0.0)
