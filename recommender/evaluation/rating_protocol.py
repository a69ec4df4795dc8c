"""`flask eval --ratings`: rating prediction, every rating model beside the baselines, one run.

Protocols (docs/protocol.md, "Rating prediction"):
- 5-fold cross-validation: the ratings sorted by (user_id, movie_id); `default_rng(42)
  .permutation(n)` orders them, and the rating at position j of that order goes to fold j % 5.
  Each fold is the test set once, the other four the train set (as Surprise's KFold, whose
  published ML-100K figures are the anchors: SVD++ 0.919, k-NN Baseline 0.931, SVD 0.934,
  biases 0.944).
- the warm split of the ranking protocol (protocol.warm_split: per user, 75% train).
- the cold split of the ranking protocol (protocol.cold_split: a fifth of the users keep 5
  ratings in train): the stars a newcomer sees on every card.
- a given train/test pair.

Given the catalogue (ids and genre lists), the blend reads each film's genres (MF's genre
weights and the genre neighbours). On each split every model is fitted on train only (the
blend tunes its hyperparameters and weights on a validation split cut from that train:
recommender.models.rating.blend) and scores each test rating once, the person's train ratings
folded in as their history. A test user or film unknown to train falls back to what is known
(biases, the global mean). RMSE and MAE."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommender.evaluation import protocol
from recommender.models.genres import aligned_genre_matrix
from recommender.models.rating import (
    Biases,
    GlobalMean,
    ItemMean,
    RatingBlend,
    UserMean,
    tune,
)
from recommender.vocab import Vocabulary

FOLDS = 5
SEED = 42
BASELINES = {"global_mean": GlobalMean, "user_mean": UserMean, "item_mean": ItemMean, "biases": Biases}
MODELS = [*BASELINES, "biased_mf", "knn_baseline", "genre_neighbours", "blend"]  # the table's rows, in order
SERVED = "blend"  # what a rebuild serves and --dump-predictions writes


@dataclass
class SplitScores:
    """One split: RMSE and MAE per model, the served model's prediction per test row, params."""
    rmse: dict[str, float]
    mae: dict[str, float]
    predictions: np.ndarray  # SERVED's, in the test frame's row order
    params: dict


def fold_of(ratings: pd.DataFrame, folds: int = FOLDS, seed: int = SEED) -> np.ndarray:
    """The fold (0..folds-1) of each row of `ratings`, in its row order (see the module's doc)."""
    order = np.lexsort((ratings["movie_id"].to_numpy(), ratings["user_id"].to_numpy()))
    positions = np.random.default_rng(seed).permutation(len(ratings))
    fold = np.empty(len(ratings), dtype=np.int64)
    fold[order[positions]] = np.arange(len(ratings)) % folds
    return fold


Catalogue = tuple[np.ndarray, list]  # movie ids, and each one's genre list


def score_split(train: pd.DataFrame, test: pd.DataFrame, report: Callable[[str], None] | None = None,
                catalogue: Catalogue | None = None) -> SplitScores:
    """Fit every model on `train` (with the `catalogue`'s genres when given), predict every row
    of `test`."""
    report = report or (lambda line: None)
    items = Vocabulary(train["movie_id"].to_numpy())
    users = Vocabulary(np.union1d(train["user_id"].to_numpy(), test["user_id"].to_numpy()))
    matrix = sp.csr_matrix((train["rating"].to_numpy(np.float64),
                            (users.index(train["user_id"].to_numpy()), items.index(train["movie_id"].to_numpy()))),
                           shape=(len(users), len(items)))
    test_users = users.index(test["user_id"].to_numpy())
    test_items = items.index(test["movie_id"].to_numpy())  # -1: a film train never saw
    stars = test["rating"].to_numpy(np.float64)
    item_genres = None if catalogue is None else aligned_genre_matrix(*catalogue, items)
    predictions = {name: cls().fit(matrix).predict_pairs(matrix, test_users, test_items)
                   for name, cls in BASELINES.items()}
    tuned = tune(matrix, report=lambda line: report("    " + line), item_genres=item_genres)
    blend = RatingBlend(**tuned["params"]).fit(matrix, item_genres)
    parts = {"biased_mf": "mf", "knn_baseline": "knn", "genre_neighbours": "genres"}
    for name, part in parts.items():
        if part in blend.parts:
            predictions[name] = blend.parts[part].predict_pairs(matrix, test_users, test_items)
    predictions["blend"] = blend.predict_pairs(matrix, test_users, test_items)
    errors = {name: predicted - stars for name, predicted in predictions.items()}
    return SplitScores(rmse={n: float(np.sqrt(np.mean(e ** 2))) for n, e in errors.items()},
                       mae={n: float(np.mean(np.abs(e))) for n, e in errors.items()},
                       predictions=predictions[SERVED], params=tuned["params"])


@dataclass
class RatingRun:
    table: pd.DataFrame  # one row per model; columns per protocol: <protocol>_rmse, <protocol>_mae
    predictions: pd.DataFrame  # user_id, movie_id, prediction: every test row (out of fold in CV)
    params: list[dict]  # the blend's tuned params per split, in order


def _table(columns: dict[str, dict[str, float]]) -> pd.DataFrame:
    table = pd.DataFrame(columns)
    table = table.reindex([m for m in MODELS if m in table.index])
    table.index.name = "model"
    return table


def cross_validate(ratings: pd.DataFrame, folds: int = FOLDS, only: int | None = None,
                   report: Callable[[str], None] | None = None, catalogue: Catalogue | None = None
                   ) -> tuple[dict, dict, pd.DataFrame, list[dict]]:
    """(mean RMSE per model, mean MAE per model, out-of-fold predictions, params per fold) of
    `folds`-fold CV; `only` scores just the first `only` folds (a quicker check)."""
    report = report or (lambda line: None)
    ratings = ratings.reset_index(drop=True)
    fold = fold_of(ratings, folds)
    rmses, maes, params = [], [], []
    predicted = np.full(len(ratings), np.nan)
    for f in range(folds if only is None else min(only, folds)):
        report(f"fold {f + 1}/{folds}: {int((fold != f).sum())} train, {int((fold == f).sum())} test ratings")
        scores = score_split(ratings[fold != f], ratings[fold == f], report, catalogue)
        predicted[fold == f] = scores.predictions
        rmses.append(scores.rmse)
        maes.append(scores.mae)
        params.append(scores.params)
        report(f"  blend RMSE {scores.rmse['blend']:.4f}, biases {scores.rmse['biases']:.4f}")
    mean = lambda rows: {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    done = ~np.isnan(predicted)
    dumped = pd.DataFrame({"user_id": ratings["user_id"][done], "movie_id": ratings["movie_id"][done],
                           "prediction": predicted[done]})
    return mean(rmses), mean(maes), dumped, params


def run(ratings: pd.DataFrame | None = None, *, train: pd.DataFrame | None = None,
        test: pd.DataFrame | None = None, folds: int = FOLDS,
        report: Callable[[str], None] | None = None, catalogue: Catalogue | None = None) -> RatingRun:
    """The --ratings table: on `train`/`test` when given, else 5-fold CV, the warm and the cold
    split of `ratings`; the `catalogue`'s genres read by the blend when given."""
    report = report or (lambda line: None)
    if train is not None and test is not None:
        scores = score_split(train, test, report, catalogue)
        dumped = pd.DataFrame({"user_id": test["user_id"].to_numpy(), "movie_id": test["movie_id"].to_numpy(),
                               "prediction": scores.predictions})
        return RatingRun(_table({"rmse": scores.rmse, "mae": scores.mae}), dumped, [scores.params])
    rmse, mae, dumped, params = cross_validate(ratings, folds, report=report, catalogue=catalogue)
    report("warm split (75% of each user's ratings train)")
    warm_train, warm_test = protocol.warm_split(ratings)
    warm = score_split(warm_train, warm_test, report, catalogue)
    report("cold split (a fifth of the users keep 5 ratings in train)")
    cold = score_split(*protocol.cold_split(ratings), report, catalogue)
    table = _table({f"cv{folds}_rmse": rmse, f"cv{folds}_mae": mae, "warm_rmse": warm.rmse, "warm_mae": warm.mae,
                    "cold_rmse": cold.rmse, "cold_mae": cold.mae})
    return RatingRun(table, dumped, [*params, warm.params, cold.params])


def write_predictions(predictions: pd.DataFrame, path) -> None:
    """`user_id,movie_id,prediction` with that header, one row per test rating."""
    predictions[["user_id", "movie_id", "prediction"]].to_csv(path, index=False, float_format="%.6f")
