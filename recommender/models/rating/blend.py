"""The served rating model: a linear blend of biased MF (ALS, with the person's genre weights),
item kNN on baseline residuals, the biases and the genre neighbours (the person's residuals on
films of the target's kind), its hyperparameters and weights chosen on a validation split of
the training ratings only.

`tune(matrix)`: cut VALIDATION_SHARE of the training cells at random (fixed seed) as a
validation set; fit each MF setting of MF_GRID and each kNN setting of KNN_GRID on the rest and
keep the one with the lowest validation RMSE; then least squares of the validation stars on
the blend's features gives its weights, over the validation cells twice: predicted from the
person's ratings, and for a fifth of the people from five of them (`newcomer_histories`), so
the weights hold for someone who has just signed up. The features are [1, mf, knn, biases,
genres], each also times log(1 + the person's number of ratings) and times log(1 + the film's
number of ratings): how
much to trust factors over neighbours depends on how much is known of either (Koren's
"support" features of the Netflix Prize blends). `fit` with those params refits every
component on all the training ratings. Every part folds a person in with each rating's
residual held within RESIDUAL_CAP stars (baselines.held_residuals: a newcomer's five 1-star
films say what they dislike, not that they rate low), and a prediction stays within a quarter
of a star of its parts' (`within_parts`): the weights read the parts' differences beyond one
to one. Nothing of a test set is ever seen. A catalogue above
`max_knn_items` films has no kNN part (its similarity pass is items x items); without genres
(none given) MF has no genre weights and the genre neighbours are the biases. A version saved
before the genre parts (4 or 12 weights, no `components`) blends the first three as it did."""
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
from .baselines import RESIDUAL_CAP, Biases
from .factors import BiasedMF
from .neighbours import GenreNeighbours, KNNBaseline

log = logging.getLogger(__name__)

VALIDATION_SHARE = 0.1
VALIDATION_SEED = 20240607
# the person's bias penalised like a factor (reg_bias 1, not 0.1) lowered the validation RMSE:
# a newcomer's few ratings are then read by the factors and genre weights before the bias
MF_GRID = [{"factors": f, "reg": reg, "reg_bias": 1.0} for f, reg in itertools.product((20, 50), (0.1, 0.13, 0.16))]
KNN_GRID = [{"k": k, "shrinkage": s} for k, s in itertools.product((40, 60), (100.0, 200.0))]
MAX_KNN_ITEMS = 20_000
LARGE_RATINGS = 500_000  # above: one MF setting, cheaper (an ALS fit costs ratings x factors^2)
LARGE_MF = {"factors": 20, "reg": 0.13, "epochs": 8}
HUGE_RATINGS = 5_000_000  # above: no validation fit at all, LARGE_MF alone (ML-25M: minutes per fit)
MF_REG_GENRE = 0.3  # MF's penalty on the person's genre weights (chosen as the README's "Rating prediction" says)
COMPONENTS = ("mf", "knn", "biases", "genres")
LEGACY_COMPONENTS = COMPONENTS[:3]  # a version saved before the genre parts


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
    """The blend's design: [1, components...] (components: n x c), the same times the person's
    support and times the film's (log(1 + number of ratings)): n x 3(c + 1)."""
    base = np.column_stack([np.ones(len(components)), components])
    user = np.broadcast_to(np.asarray(user_support, dtype=np.float64), (len(components),))[:, None]
    return np.hstack([base, base * user, base * np.asarray(item_support, dtype=np.float64)[:, None]])


BEYOND_PARTS = 0.25  # stars a blended prediction may go past its lowest or highest part


def within_parts(blended: np.ndarray, parts: np.ndarray, margin: float = BEYOND_PARTS) -> np.ndarray:
    """The blend held within `margin` stars of the lowest and the highest of its fitted parts'
    stars (n x c). Least squares weighs the parts' differences (kNN minus the biases, say)
    beyond one to one, which lowers RMSE over everyone but runs away where the parts disagree
    more than usual: five westerns 5 stars and six horror films 1 star put Star Wars half a star
    under each of its parts. Held to the parts' range exactly, RMSE rose; a quarter of a star
    beyond them costs little (the README's "Rating prediction" has the figures)."""
    if parts.shape[1] == 0:
        return blended
    return np.clip(blended, parts.min(axis=1) - margin, parts.max(axis=1) + margin)


def default_weights(n_components: int) -> list[float]:
    """Half MF, half kNN, nothing else: the weights when the validation cells are too few."""
    return [0.0, 0.5, 0.5] + [0.0] * (3 * (n_components + 1) - 3)


MIN_CELLS_PER_WEIGHT = 50
NEWCOMER_REVEAL, NEWCOMER_SHARE = 5, 0.2  # the cold protocol's newcomers: 5 ratings, a fifth of the users


def _cells(valid: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    coo = valid.tocoo()
    return coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data


class RatingBlend(RatingModel):
    """weights . features(components; the person's and the film's support), clipped."""

    kind = "rating_blend"
    defaults = {"mf": {}, "knn": {}, "genres": {}, "weights": default_weights(len(COMPONENTS)), "use_knn": True,
                "components": list(COMPONENTS), "residual_cap": RESIDUAL_CAP}

    def __init__(self, **params):
        if "components" not in params and len(params.get("weights", ())) in (4, 12):
            params = {**params, "components": list(LEGACY_COMPONENTS)}  # saved before the genre parts
        super().__init__(**params)
        self.parts: dict[str, RatingModel] = {}

    def _components(self) -> dict[str, RatingModel]:
        p = self.params
        held = {"residual_cap": p["residual_cap"]}  # every part folds a person in alike
        made = {"mf": lambda: BiasedMF(**p["mf"], **held), "biases": lambda: Biases(**held),
                "knn": lambda: KNNBaseline(**p["knn"], **held) if p["use_knn"] else None,
                "genres": lambda: GenreNeighbours(**p["genres"], **held)}
        parts = {name: made[name]() for name in p["components"]}
        return {name: part for name, part in parts.items() if part is not None}

    def _fit(self, m, item_genres):
        n = len(self.params["components"]) + 1
        if len(self.params["weights"]) not in (n, 3 * n):
            raise ValueError(f"{self.kind}: {3 * n} weights (or the first {n}), not {len(self.params['weights'])}")
        self.parts = {name: model.fit(m, item_genres) for name, model in self._components().items()}
        self.arrays["item_support"] = np.log1p(np.bincount(m.indices, minlength=m.shape[1]).astype(np.float64))

    def component_predictions(self, items, stars, targets) -> np.ndarray:
        """len(targets) x len(components): each part's stars, 0 for a part not fitted (kNN)."""
        # the history and targets are already checked against the same items: each part's own
        # prediction, clipped as its predict() would, without checking them again
        return np.column_stack([self.parts[name].clip(self.parts[name]._predict(items, stars, targets))
                                if name in self.parts else np.zeros(len(targets))
                                for name in self.params["components"]])

    def _predict(self, items, stars, targets):
        support = self.arrays.get("item_support")  # absent in a version of 4 weights
        item_support = (np.zeros(len(targets)) if support is None
                        else np.where(targets >= 0, support[np.maximum(targets, 0)], 0.0))
        parts = self.component_predictions(items, stars, targets)
        design = features(parts, np.log1p(len(items)), item_support)
        weights = np.asarray(self.params["weights"], dtype=np.float64)
        blended = design[:, :len(weights)] @ weights  # 4 weights: a version built before the support features
        return within_parts(blended, parts[:, [name in self.parts for name in self.params["components"]]])

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


def _validation_rmse(model: RatingModel, fit_part: sp.csr_matrix, users, items, stars,
                     item_genres: np.ndarray | None) -> tuple[float, np.ndarray]:
    model.fit(fit_part, item_genres)
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
    """Least squares weights of `design` (n x 3(c + 1), see features) for `stars`, with as many
    features as the validation cells can carry (MIN_CELLS_PER_WEIGHT each): all, else [1,
    components...], else default_weights, or MF alone without kNN (a tiny catalogue's few cells
    would fit noise)."""
    n_weights = design.shape[1]
    for used in (n_weights, n_weights // 3):
        if len(stars) >= MIN_CELLS_PER_WEIGHT * used:
            weights = np.zeros(n_weights)
            weights[:used] = np.linalg.lstsq(design[:, :used], stars, rcond=None)[0]
            return weights
    if not design[:, 2].any():  # no kNN (a catalogue too big for it): MF alone
        return np.asarray([0.0, 1.0] + [0.0] * (n_weights - 2))
    return np.asarray(default_weights(n_weights // 3 - 1), dtype=np.float64)


def tune(matrix, report: Callable[[str], None] | None = None, max_knn_items: int = MAX_KNN_ITEMS,
         large_ratings: int = LARGE_RATINGS, huge_ratings: int = HUGE_RATINGS,
         item_genres: np.ndarray | None = None) -> dict:
    """RatingBlend params chosen on a validation split of `matrix` (see the module's doc), and
    what the choice saw: {"params", "validation": {name: rmse}, "seconds"}. `item_genres`
    (items x genres 0/1) gives MF its genre weights and the genre neighbours their
    similarities. Above `large_ratings` ratings only LARGE_MF is tried, without genre weights
    (each ALS fit costs ratings x (factors + genres)^2): the blend weights are still fitted on
    the validation split; above `huge_ratings` nothing is fitted twice: LARGE_MF alone."""
    started = time.perf_counter()
    report = report or (lambda line: None)
    m = as_ratings(matrix)
    if m.nnz > huge_ratings:
        report(f"{m.nnz} ratings: biased MF {LARGE_MF} alone, untuned")
        return {"params": {"mf": LARGE_MF, "knn": {}, "use_knn": False, "components": ["mf"],
                           "weights": [0.0, 1.0, 0.0, 0.0, 0.0, 0.0]},
                "validation": {}, "seconds": round(time.perf_counter() - started, 2)}
    fit_part, valid = validation_cells(m)
    users, items, stars = _cells(valid)
    use_knn = m.shape[1] <= max_knn_items
    seen: dict[str, float] = {}
    best: dict[str, tuple[float, dict, np.ndarray, RatingModel]] = {}  # score, setting, predictions, fitted
    genre_weights = {"reg_genre": MF_REG_GENRE} if item_genres is not None else {}
    mf_grid = [{**setting, **genre_weights} for setting in MF_GRID] if m.nnz <= large_ratings else [LARGE_MF]
    grids = {"mf": (BiasedMF, mf_grid), **({"knn": (KNNBaseline, KNN_GRID)} if use_knn else {}),
             "biases": (Biases, [{}]), "genres": (GenreNeighbours, [{}])}
    for name, (cls, grid) in grids.items():
        for setting in grid:
            model = cls(**setting, residual_cap=RESIDUAL_CAP)
            score, predicted = _validation_rmse(model, fit_part, users, items, stars, item_genres)
            seen[f"{name} {json.dumps(setting, sort_keys=True)}" if setting else name] = round(score, 5)
            report(f"{name} {setting}: validation RMSE {score:.4f}")
            if name not in best or score < best[name][0]:
                best[name] = (score, setting, predicted, model)
    components = np.column_stack([best[name][2] if name in best else np.zeros(len(stars)) for name in COMPONENTS])
    user_support = np.log1p(np.diff(fit_part.indptr))[users]
    item_support = np.log1p(np.bincount(fit_part.indices, minlength=m.shape[1]))[items]
    # the newcomers' rows: the same validation cells predicted from five of the person's ratings
    newcomers, chosen = newcomer_histories(fit_part)
    cold = np.isin(users, chosen)
    n_cold = int(cold.sum())
    cold_components = np.column_stack([best[name][3].predict_pairs(newcomers, users[cold], items[cold])
                                       if name in best else np.zeros(n_cold) for name in COMPONENTS])
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
              "components": list(COMPONENTS), "weights": [float(w) for w in weights]}
    return {"params": params, "validation": seen, "seconds": round(time.perf_counter() - started, 2)}


def fit_tuned(matrix, report: Callable[[str], None] | None = None,
              item_genres: np.ndarray | None = None) -> tuple[RatingBlend, dict]:
    """tune() then fit on all of `matrix`: the served rating model and what tuning recorded."""
    tuned = tune(matrix, report, item_genres=item_genres)
    return RatingBlend(**tuned["params"]).fit(matrix, item_genres), tuned


def recipe() -> str:
    """What a tuned result depends on besides the ratings: new grids or code re-tune."""
    return json.dumps({"mf": MF_GRID, "knn": KNN_GRID, "share": VALIDATION_SHARE, "seed": VALIDATION_SEED,
                       "mf_defaults": BiasedMF.defaults, "knn_defaults": KNNBaseline.defaults,
                       "genre_defaults": GenreNeighbours.defaults, "mf_reg_genre": MF_REG_GENRE,
                       "max_knn_items": MAX_KNN_ITEMS,
                       "large": [LARGE_RATINGS, LARGE_MF, HUGE_RATINGS], "residual_cap": RESIDUAL_CAP,
                       "version": 4}, sort_keys=True)
