"""Item k-nearest neighbours on baseline residuals (Koren 2010's kNN baseline, Surprise's
KNNBaseline with shrunk pearson_baseline similarities):

    r_ui = b_ui + sum_j s_ij (r_uj - b_uj) / (sum_j s_ij + damping)

over the `k` films j the person rated that are most similar to i (positive similarities only),
with b_ui = mu + b_u + b_i from the biases. s_ij is the Pearson correlation of the two films'
residuals r - b over the people who rated both, shrunk towards 0 by (n_ij - 1) / (n_ij - 1 +
shrinkage). Each film keeps its `neighbours` most similar films (a sparse items x items table),
so memory grows with items x neighbours, not items^2; the person's bias and residuals come
from their ratings at the call. `damping` keeps a newcomer's one weakly similar rated film
from passing its whole residual on (without it, five revealed ratings predicted worse than
the global mean: `flask eval --ratings`, cold); a heavy rater's sum of similarities dwarfs it."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import RatingModel, unit_rows
from .baselines import cell_users, fit_biases, fold_in_bias

BLOCK_CELLS = 1 << 23  # similarity cells computed at once (a few dense blocks of 64 MB)


def shrunk_pearson(residuals: sp.csr_matrix, shrinkage: float, keep: int) -> sp.csr_matrix:
    """items x items csr of each item's `keep` largest positive shrunk baseline-Pearson
    similarities (the diagonal left out), from users x items residuals."""
    z = residuals.T.tocsr()  # items x users
    ones = z.copy()
    ones.data[:] = 1.0
    squares = z.copy()
    squares.data **= 2
    n_items = z.shape[0]
    zt, ones_t, squares_t = z.T.tocsc(), ones.T.tocsc(), squares.T.tocsc()
    rows, cols, vals = [], [], []
    block = max(1, BLOCK_CELLS // max(n_items, 1))
    for start in range(0, n_items, block):
        stop = min(start + block, n_items)
        num = (z[start:stop] @ zt).toarray()
        sq_i = (squares[start:stop] @ ones_t).toarray()  # sum over common users of z_ui^2
        sq_j = (ones[start:stop] @ squares_t).toarray()  # ... of z_uj^2
        common = (ones[start:stop] @ ones_t).toarray()
        with np.errstate(invalid="ignore", divide="ignore"):
            sim = num / np.sqrt(sq_i * sq_j)
        sim = np.nan_to_num(sim, nan=0.0, posinf=0.0, neginf=0.0)
        sim *= np.maximum(common - 1, 0) / (np.maximum(common - 1, 0) + shrinkage)
        sim[np.arange(stop - start), np.arange(start, stop)] = 0.0
        sim[sim <= 0] = 0.0
        take = min(keep, n_items - 1)
        if take <= 0:
            continue
        top = np.argpartition(-sim, take - 1, axis=1)[:, :take]
        top_vals = np.take_along_axis(sim, top, axis=1)
        nz = top_vals > 0
        rows.append(np.repeat(np.arange(start, stop), take)[nz.ravel()])
        cols.append(top[nz])
        vals.append(top_vals[nz])
    if not rows:
        return sp.csr_matrix((n_items, n_items))
    out = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                        shape=(n_items, n_items))
    out.sort_indices()
    return out


def baseline_residuals(m: sp.csr_matrix, mean: float, reg_user: float, reg_item: float, epochs: int
                       ) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix]:
    """(user biases, item biases, users x items residuals r - mean - b_u - b_i on the rated
    cells) of a users x items csr of stars."""
    b_user, b_item = fit_biases(m, mean, reg_user, reg_item, epochs)
    residual = m.data - mean - b_user[cell_users(m)] - b_item[m.indices]
    return b_user, b_item, sp.csr_matrix((residual, m.indices, m.indptr), shape=m.shape)


class KNNBaseline(RatingModel):
    """Biases plus the weighted residuals of the person's `k` most similar rated films."""

    kind = "knn_baseline"
    defaults = {"k": 40, "shrinkage": 100.0, "neighbours": 500, "reg_user": 15.0, "reg_item": 10.0,
                "epochs": 10, "damping": 1.0, "residual_cap": None}

    def _fit(self, m, item_genres):
        p = self.params
        b_user, b_item, residuals = baseline_residuals(m, self.mean, p["reg_user"], p["reg_item"], p["epochs"])
        sims = shrunk_pearson(residuals, p["shrinkage"], int(p["neighbours"]))
        self.arrays.update(item_bias=b_item, sim_indptr=sims.indptr.astype(np.int64),
                           sim_indices=sims.indices.astype(np.int32), sim_values=sims.data.astype(np.float32))

    def similarities(self) -> sp.csr_matrix:
        """The stored neighbour lists as an items x items csr."""
        a = self.arrays
        return sp.csr_matrix((a["sim_values"], a["sim_indices"], a["sim_indptr"]), shape=(self.n_items, self.n_items))

    def _predict(self, items, stars, targets):
        b_item = self.arrays["item_bias"]
        b_user = fold_in_bias(stars - self.mean - b_item[items], self.params["reg_user"], self.params["residual_cap"])
        known = targets >= 0
        rows = np.maximum(targets, 0)
        base = self.mean + b_user + np.where(known, b_item[rows], 0.0)
        if len(items) == 0 or not known.any():
            return base
        residual = stars - self.mean - b_user - b_item[items]
        sims = self._sims_to(rows[known], items)  # targets x history
        k = int(self.params["k"])
        if sims.shape[1] > k:  # keep each target's k most similar rated films
            cut = np.partition(sims, sims.shape[1] - k, axis=1)[:, sims.shape[1] - k][:, None]
            sims = np.where(sims >= cut, sims, 0.0)
        weight = sims.sum(axis=1)
        shift = np.divide(sims @ residual, weight + float(self.params["damping"]), out=np.zeros(len(weight)),
                          where=weight > 0)
        base[known] += shift
        return base

    def _sims_to(self, targets: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Dense |targets| x |items| similarities from the stored neighbour lists: every (target,
        rated film) pair looked up at once by binary search in the lists' (row, column) keys
        (this runs on every request that shows predicted stars: 20 x 20 pairs in microseconds)."""
        keys = self._keys()
        wanted = (targets[:, None] * self.n_items + items[None, :]).ravel()
        at = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
        found = keys[at] == wanted if len(keys) else np.zeros(len(wanted), dtype=bool)
        values = np.where(found, self.arrays["sim_values"][at] if len(keys) else 0.0, 0.0)
        return values.reshape(len(targets), len(items)).astype(np.float64)

    def _keys(self) -> np.ndarray:
        """row * n_items + column of every stored similarity, ascending (rows ascending, columns
        sorted within each row): computed once per fitted or loaded model."""
        keys = self.__dict__.get("_sim_keys")
        if keys is None:
            a = self.arrays
            rows = np.repeat(np.arange(self.n_items, dtype=np.int64), np.diff(a["sim_indptr"]))
            keys = rows * self.n_items + a["sim_indices"].astype(np.int64)
            self._sim_keys = keys
        return keys


class GenreNeighbours(KNNBaseline):
    """The kNN baseline with the films' shared genres for similarity: the person's residuals on
    the rated films of the target's kind, (cosine of the two films' genres)^`power`, damped by
    `damping`. It is the person's bias for a kind: five westerns at 5 stars and six horror films
    at 1 lift the next western and sink the next horror film, where the bias alone follows the
    person's average. Without genres (none given to fit) it is the biases."""

    kind = "genre_neighbours"
    defaults = {"k": 100, "power": 2.0, "reg_user": 15.0, "reg_item": 10.0, "epochs": 10, "damping": 3.0,
                "residual_cap": None}

    def _fit(self, m, item_genres):
        p = self.params
        _, b_item = fit_biases(m, self.mean, p["reg_user"], p["reg_item"], p["epochs"])
        self.arrays.update(item_bias=b_item, item_genres=(np.zeros((m.shape[1], 0)) if item_genres is None
                                                          else unit_rows(item_genres)))

    def _sims_to(self, targets, items):
        genres = self.arrays["item_genres"]
        return (genres[targets] @ genres[items].T) ** float(self.params["power"])
