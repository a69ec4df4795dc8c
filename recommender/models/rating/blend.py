"""The served rating model: a linear blend of biased MF (ALS), item kNN on baseline residuals
and the biases, its hyperparameters and weights chosen on a validation split of the training
ratings only.

`tune(matrix)`: cut VALIDATION_SHARE of the training cells at random (fixed seed) as a
validation set; fit each MF setting of MF_GRID and each kNN setting of KNN_GRID on the rest and
keep the one with the lowest validation RMSE; then least squares of the validation stars on
[1, mf, knn, biases] (the three best components' predictions) gives the blend weights. `fit`
with those params refits every component on all the training ratings. Nothing of a test set
is ever seen. A catalogue above `max_knn_items` films blends MF and biases only (the kNN's
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
KNN_GRID = [{"k": k, "shrinkage": s} for k, s in itertools.product((30, 60), (50.0, 100.0))]
MAX_KNN_ITEMS = 20_000
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


def _cells(valid: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    coo = valid.tocoo()
    return coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data


class RatingBlend(RatingModel):
    """weights . [1, mf, knn, biases] (each component clipped to the scale), clipped."""

    kind = "rating_blend"
    defaults = {"mf": {}, "knn": {}, "weights": [0.0, 0.5, 0.5, 0.0], "use_knn": True}

    def __init__(self, **params):
        super().__init__(**params)
        self.parts: dict[str, RatingModel] = {}

    def _components(self) -> dict[str, RatingModel]:
        parts = {"mf": BiasedMF(**self.params["mf"]), "biases": Biases()}
        if self.params["use_knn"]:
            parts["knn"] = KNNBaseline(**self.params["knn"])
        return parts

    def _fit(self, m):
        self.parts = {name: model.fit(m) for name, model in self._components().items()}

    def component_predictions(self, items, stars, targets) -> np.ndarray:
        """len(targets) x 3: mf, knn (the biases' when not used), biases."""
        columns = {name: part.predict(items, stars, targets) for name, part in self.parts.items()}
        columns.setdefault("knn", columns["biases"])
        return np.column_stack([columns[name] for name in COMPONENTS])

    def _predict(self, items, stars, targets):
        w = np.asarray(self.params["weights"], dtype=np.float64)
        return w[0] + self.component_predictions(items, stars, targets) @ w[1:]

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


def tune(matrix, report: Callable[[str], None] | None = None, max_knn_items: int = MAX_KNN_ITEMS) -> dict:
    """RatingBlend params chosen on a validation split of `matrix` (see the module's doc), and
    what the choice saw: {"params", "validation": {name: rmse}, "seconds"}."""
    started = time.perf_counter()
    report = report or (lambda line: None)
    m = as_ratings(matrix)
    fit_part, valid = validation_cells(m)
    users, items, stars = _cells(valid)
    use_knn = m.shape[1] <= max_knn_items
    seen: dict[str, float] = {}
    best: dict[str, tuple[float, dict, np.ndarray]] = {}
    grids = {"mf": (BiasedMF, MF_GRID), **({"knn": (KNNBaseline, KNN_GRID)} if use_knn else {})}
    for name, (cls, grid) in grids.items():
        for setting in grid:
            score, predicted = _validation_rmse(cls(**setting), fit_part, users, items, stars)
            seen[f"{name} {json.dumps(setting, sort_keys=True)}"] = round(score, 5)
            report(f"{name} {setting}: validation RMSE {score:.4f}")
            if name not in best or score < best[name][0]:
                best[name] = (score, setting, predicted)
    biases_score, biases_pred = _validation_rmse(Biases(), fit_part, users, items, stars)
    seen["biases"] = round(biases_score, 5)
    knn_pred = best["knn"][2] if use_knn else biases_pred
    design = np.column_stack([np.ones(len(stars)), best["mf"][2], knn_pred, biases_pred])
    if not use_knn:
        design[:, 2] = 0.0
    weights = np.linalg.lstsq(design, stars, rcond=None)[0]
    blended = np.clip(design @ weights, m.data.min(), m.data.max())
    seen["blend"] = round(rmse(blended, stars), 5)
    report(f"blend weights {np.round(weights, 3).tolist()}: validation RMSE {seen['blend']:.4f}")
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
                       "max_knn_items": MAX_KNN_ITEMS, "version": 1}, sort_keys=True)
