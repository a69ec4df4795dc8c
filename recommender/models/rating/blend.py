"""The served rating model: a linear blend of biased MF (ALS), item kNN on baseline residuals
and the biases, its hyperparameters and weights chosen on a validation split of the training
ratings only.

`tune(matrix)`: cut VALIDATION_SHARE of the training cells at random (fixed seed) as a
validation set; fit each MF setting of MF_GRID and each kNN setting of KNN_GRID on the rest and
keep the one with the lowest validation RMSE; then least squares of the validation stars on
the blend's features gives its weights, over the validation cells twice: predicted from the
person's ratings, and for a fifth of the people from five of them (`newcomer_histories`), so
the weights hold for someone who has just signed up. The features are [1, mf, knn, biases], each also times
log(1 + the person's number of ratings) and times log(1 + the film's number of ratings): how
much to trust factors over neighbours depends on how much is known of either (Koren's
"support" features of the Netflix Prize blends). `fit` with those params refits every
component on all the training ratings. Nothing of a test set is ever seen. A catalogue above `max_knn_items` films blends MF and biases only (the kNN's
similarity pass is items x items)."""
from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .base import RatingModel, as_ratings, load_rating_model
from .baselines import Biases
from .factors import BiasedMF
from .neighbours import KNNBaseline

log = logging.getLogger(__name__)

VALIDATION_SHARE = 0.1
VALIDATION_SEED = 20240607
MF_GRID = [{"factors": f, "reg": reg} for f, reg in itertools.product((20, 50), (0.1, 0.13, 0.16))]
KNN_GRID = [{"k": k, "shrinkage": s} for k, s in itertools.product((40, 60), (100.0, 200.0))]
MAX_KNN_ITEMS = 20_000
LARGE_RATINGS = 500_000  # above: one MF setting, cheaper (an ALS fit costs ratings x factors^2)
LARGE_MF = {"factors": 20, "reg": 0.13, "epochs": 8}
HUGE_RATINGS = 5_000_000  # above: no validation fit at all, LARGE_MF alone (ML-25M: minutes per fit)
COMPONENTS = ("mf", "knn", "biases")


def validation_cells(m: sp.csr_matrix, share: float = VALIDATION_SHARE, seed: int = VALIDATION_SEED
                     ) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(fit part, validation part) of a stars matrix: each stored cell goes to validation with
    probability `share`, drawn with default_rng(seed) over the cells in csr order; a person
    keeps at least one rating in the fit part."""
    m = as_ratings(m)
    held = np.random.default_rng(seed).random(m.nnz) < share
    first = m.indptr[:-1][np.diff(m.indptr) > 0]
    held[first] = False
    coo = m.tocoo()
    part = lambda mask: sp.csr_matrix((coo.data[mask], (coo.row[mask], coo.col[mask])), shape=m.shape)
    return part(~held), part(held)


def rmse(predicted: np.ndarray, stars: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(predicted) - np.asarray(stars)) ** 2)))


def features(components: np.ndarray, user_support: np.ndarray | float, item_support: np.ndarray) -> np.ndarray:
    """The blend's design: [1, mf, knn, biases] (components: n x 3), the same times the person's
    support and times the film's (log(1 + number of ratings)): n x 12."""
    base = np.column_stack([np.ones(len(components)), components])
    user = np.broadcast_to(np.asarray(user_support, dtype=np.float64), (len(components),))[:, None]
    return np.hstack([base, base * user, base * np.asarray(item_support, dtype=np.float64)[:, None]])


N_WEIGHTS = 12
DEFAULT_WEIGHTS = [0.0, 0.5, 0.5] + [0.0] * (N_WEIGHTS - 3)
MIN_CELLS_PER_WEIGHT = 50
NEWCOMER_REVEAL, NEWCOMER_SHARE = 5, 0.2  # the cold protocol's newcomers: 5 ratings, a fifth of the users


def _cells(valid: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    coo = valid.tocoo()
    return coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data


class RatingBlend(RatingModel):
    """weights . features(mf, knn, biases; the person's and the film's support), clipped."""

    kind = "rating_blend"
    defaults = {"mf": {}, "knn": {}, "weights": DEFAULT_WEIGHTS, "use_knn": True}

    def __init__(self, **params):
        super().__init__(**params)
        self.parts: dict[str, RatingModel] = {}

    def _components(self) -> dict[str, RatingModel]:
        parts = {"mf": BiasedMF(**self.params["mf"]), "biases": Biases()}
        if self.params["use_knn"]:
            parts["knn"] = KNNBaseline(**self.params["knn"])
        return parts

    def _fit(self, m):
        if len(self.params["weights"]) not in (4, N_WEIGHTS):
            raise ValueError(f"{self.kind}: {N_WEIGHTS} weights (or the first 4), not {len(self.params['weights'])}")
        self.parts = {name: model.fit(m) for name, model in self._components().items()}
        self.arrays["item_support"] = np.log1p(np.bincount(m.indices, minlength=m.shape[1]).astype(np.float64))

    def component_predictions(self, items, stars, targets) -> np.ndarray:
        """len(targets) x 3: mf, knn (0 when not used), biases."""
        # the history and targets are already checked against the same items: each part's own
        # prediction, clipped as its predict() would, without checking them again
        columns = {name: part.clip(part._predict(items, stars, targets)) for name, part in self.parts.items()}
        columns.setdefault("knn", np.zeros(len(targets)))
        return np.column_stack([columns[name] for name in COMPONENTS])

    def _predict(self, items, stars, targets):
        support = self.arrays.get("item_support")  # absent in a version of the first 4 weights
        item_support = (np.zeros(len(targets)) if support is None
                        else np.where(targets >= 0, support[np.maximum(targets, 0)], 0.0))
        design = features(self.component_predictions(items, stars, targets), np.log1p(len(items)), item_support)
        weights = np.asarray(self.params["weights"], dtype=np.float64)
        return design[:, :len(weights)] @ weights  # 4 weights: a version built before the support features

    def save(self, directory) -> Path:
        d = super().save(directory)
        for name, part in self.parts.items():
            part.save(d / name)
        meta = json.loads((d / "rating.json").read_text())
        meta["parts"] = sorted(self.parts)
        (d / "rating.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
        return d

    def _restore(self, directory, meta, reader):
        super()._restore(directory, meta, reader)
        self.parts = {name: load_rating_model(Path(directory) / name, reader) for name in meta["parts"]}


def _validation_rmse(model: RatingModel, fit_part: sp.csr_matrix, users, items, stars) -> tuple[float, np.ndarray]:
    model.fit(fit_part)
    predicted = model.predict_pairs(fit_part, users, items)
    return rmse(predicted, stars), predicted


def newcomer_histories(fit_part: sp.csr_matrix, reveal: int = NEWCOMER_REVEAL, share: float = NEWCOMER_SHARE,
                       seed: int = VALIDATION_SEED) -> tuple[sp.csr_matrix, np.ndarray]:
    """(histories, chosen users): `share` of the users with more than `reveal` ratings keep
    `reveal` of them at random, as a newcomer would have; the others keep none. The blend's
    support features then learn from people with five ratings too, not only from the heavy
    raters every validation cell belongs to (a newcomer's stars were extrapolated, up to 5.0)."""
    rng = np.random.default_rng(seed)
    counts = np.diff(fit_part.indptr)
    pool = np.flatnonzero(counts > reveal)
    chosen = np.sort(rng.choice(pool, size=int(len(pool) * share), replace=False)) if len(pool) else pool
    keep = np.zeros(fit_part.nnz, dtype=bool)
    for u in chosen:
        keep[fit_part.indptr[u] + rng.choice(counts[u], size=reveal, replace=False)] = True
    coo = fit_part.tocoo()
    histories = sp.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=fit_part.shape)
    return histories, chosen


def blend_weights(design: np.ndarray, stars: np.ndarray) -> np.ndarray:
    """Least squares weights of `design` (n x N_WEIGHTS) for `stars`, with as many features as
    the validation cells can carry (MIN_CELLS_PER_WEIGHT each): all, else [1, mf, knn, biases],
    else DEFAULT_WEIGHTS, or MF alone without kNN (a tiny catalogue's few cells would fit noise)."""
    for used in (N_WEIGHTS, 4):
        if len(stars) >= MIN_CELLS_PER_WEIGHT * used:
            weights = np.zeros(N_WEIGHTS)
            weights[:used] = np.linalg.lstsq(design[:, :used], stars, rcond=None)[0]
            return weights
    if not design[:, 2].any():  # no kNN (a catalogue too big for it): MF alone
        return np.asarray([0.0, 1.0] + [0.0] * (N_WEIGHTS - 2))
    return np.asarray(DEFAULT_WEIGHTS, dtype=np.float64)


def tune(matrix, report: Callable[[str], None] | None = None, max_knn_items: int = MAX_KNN_ITEMS,
         large_ratings: int = LARGE_RATINGS, huge_ratings: int = HUGE_RATINGS) -> dict:
    """RatingBlend params chosen on a validation split of `matrix` (see the module's doc), and
    what the choice saw: {"params", "validation": {name: rmse}, "seconds"}. Above
    `large_ratings` ratings only LARGE_MF is tried (each ALS fit costs ratings x factors^2):
    the blend weights are still fitted on the validation split; above `huge_ratings` nothing is
    fitted twice: LARGE_MF alone."""
    started = time.perf_counter()
    report = report or (lambda line: None)
    m = as_ratings(matrix)
    if m.nnz > huge_ratings:
        report(f"{m.nnz} ratings: biased MF {LARGE_MF} alone, untuned")
        return {"params": {"mf": LARGE_MF, "knn": {}, "use_knn": False, "weights": [0.0, 1.0] + [0.0] * (N_WEIGHTS - 2)},
                "validation": {}, "seconds": round(time.perf_counter() - started, 2)}
    fit_part, valid = validation_cells(m)
    users, items, stars = _cells(valid)
    use_knn = m.shape[1] <= max_knn_items
    seen: dict[str, float] = {}
    best: dict[str, tuple[float, dict, np.ndarray, RatingModel]] = {}  # score, setting, predictions, fitted
    mf_grid = MF_GRID if m.nnz <= large_ratings else [LARGE_MF]
    grids = {"mf": (BiasedMF, mf_grid), **({"knn": (KNNBaseline, KNN_GRID)} if use_knn else {})}
    for name, (cls, grid) in grids.items():
        for setting in grid:
            model = cls(**setting)
            score, predicted = _validation_rmse(model, fit_part, users, items, stars)
            seen[f"{name} {json.dumps(setting, sort_keys=True)}"] = round(score, 5)
            report(f"{name} {setting}: validation RMSE {score:.4f}")
            if name not in best or score < best[name][0]:
                best[name] = (score, setting, predicted, model)
    biases = Biases()
    biases_score, biases_pred = _validation_rmse(biases, fit_part, users, items, stars)
    seen["biases"] = round(biases_score, 5)
    fitted = {"mf": best["mf"][3], "knn": best["knn"][3] if use_knn else None, "biases": biases}
    components = np.column_stack([best["mf"][2], best["knn"][2] if use_knn else np.zeros(len(stars)), biases_pred])
    user_support = np.log1p(np.diff(fit_part.indptr))[users]
    item_support = np.log1p(np.bincount(fit_part.indices, minlength=m.shape[1]))[items]
    # the newcomers' rows: the same validation cells predicted from five of the person's ratings
    newcomers, chosen = newcomer_histories(fit_part)
    cold = np.isin(users, chosen)
    n_cold = int(cold.sum())
    cold_components = np.column_stack([np.zeros(n_cold) if fitted[name] is None
                                       else fitted[name].predict_pairs(newcomers, users[cold], items[cold])
                                       for name in COMPONENTS])
    design = features(np.vstack([components, cold_components]),
                      np.concatenate([user_support, np.full(n_cold, np.log1p(NEWCOMER_REVEAL))]),
                      np.concatenate([item_support, item_support[cold]]))
    weights = blend_weights(design, np.concatenate([stars, stars[cold]]))
    blended = np.clip(design @ weights, m.data.min(), m.data.max())
    seen["blend"] = round(rmse(blended[:len(stars)], stars), 5)
    if cold.any():  # a tiny catalogue may have nobody with more than five ratings there
        seen["blend_newcomers"] = round(rmse(blended[len(stars):], stars[cold]), 5)
    report(f"blend of {len(weights)} weights: validation RMSE {seen['blend']:.4f}, "
           f"newcomers' (5 ratings) {seen.get('blend_newcomers', float('nan')):.4f}")
    params = {"mf": best["mf"][1], "knn": best["knn"][1] if use_knn else {}, "use_knn": use_knn,
              "weights": [float(w) for w in weights]}
    return {"params": params, "validation": seen, "seconds": round(time.perf_counter() - started, 2)}


def fit_tuned(matrix, report: Callable[[str], None] | None = None) -> tuple[RatingBlend, dict]:
    """tune() then fit on all of `matrix`: the served rating model and what tuning recorded."""
    tuned = tune(matrix, report)
    return RatingBlend(**tuned["params"]).fit(matrix), tuned


def recipe() -> str:
    """What a tuned result depends on besides the ratings: new grids or code re-tune."""
    return json.dumps({"mf": MF_GRID, "knn": KNN_GRID, "share": VALIDATION_SHARE, "seed": VALIDATION_SEED,
                       "mf_defaults": BiasedMF.defaults, "knn_defaults": KNNBaseline.defaults,
                       "max_knn_items": MAX_KNN_ITEMS,
                       "large": [LARGE_RATINGS, LARGE_MF, HUGE_RATINGS], "version": 2}, sort_keys=True)
