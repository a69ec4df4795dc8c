"""`flask eval`: the protocol of docs/protocol.md run end to end for every model, side by side.

Split (or take the given train/test), tune the hybrid on a validation split cut from train only,
fit every model on train, and score each on test once, in the same run."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.evaluation import protocol as evaluation
from recommender.evaluation import tuning
from recommender.models.genres import aligned_genre_matrix
from recommender.vocab import Vocabulary

COLUMNS = ["user_id", "movie_id", "rating", "timestamp"]


@dataclass
class EvalRun:
    protocol: str
    table: pd.DataFrame
    ranked: dict[str, dict[str, list[int]]]
    params: dict
    train_rows: int
    test_rows: int
    served: str = "hybrid"  # the row whose ranked lists --dump writes: the model a rebuild would serve
    errors: dict | None = None  # the served row's standard errors over users (protocol.standard_errors)


def read_ratings_csv(path) -> pd.DataFrame:
    """A train or test CSV with columns user_id,movie_id,rating,timestamp; ValueError if not."""
    frame = pd.read_csv(path)
    frame = frame.rename(columns={"userId": "user_id", "movieId": "movie_id"})
    missing = set(COLUMNS) - set(frame.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    return frame[COLUMNS].astype({"user_id": "int64", "movie_id": "int64", "rating": "float64",
                                  "timestamp": "int64"})


def _aligned_vectors(catalogue_ids: np.ndarray, vectors: np.ndarray, items: Vocabulary) -> np.ndarray:
    """Content vectors in `items` order; zeros for movies the catalogue does not know."""
    out = np.zeros((len(items), vectors.shape[1]), dtype=np.float32)
    rows = items.index(catalogue_ids)
    out[rows[rows >= 0]] = vectors[rows >= 0]
    return out


def run(catalogue_ids: np.ndarray, vectors: np.ndarray, *, ratings: pd.DataFrame | None = None,
        train: pd.DataFrame | None = None, test: pd.DataFrame | None = None, cold: bool = False,
        k: int = 10, report: Callable[[str], None] | None = None, family: str = "dense",
        genre_lists=None, seed: int | None = None) -> EvalRun:
    """Every model's metrics on one split; `ratings` is split by the protocol (with `seed` when
    given, else the protocol's own) unless train/test given.

    family "factor" scores the large-catalogue model (ALS FactorHybrid, untuned defaults) beside
    plain EASE instead of tuning and scoring the dense Hybrid."""
    protocol = "cold" if cold else "warm"
    if train is not None and test is not None:
        protocol = "given train/test"
    else:
        split = evaluation.cold_split if cold else evaluation.warm_split
        train, test = split(ratings) if seed is None else split(ratings, seed=seed)
    items = Vocabulary(np.union1d(catalogue_ids, np.union1d(train["movie_id"].unique(), test["movie_id"].unique())))
    item_vectors = _aligned_vectors(np.asarray(catalogue_ids), vectors, items)
    item_genres = None if genre_lists is None else aligned_genre_matrix(catalogue_ids, genre_lists, items)
    if family == "factor":
        if report:
            report(f"{protocol} protocol: {len(train)} train rows, {len(test)} test rows, "
                   f"{test['user_id'].nunique()} test users; large-catalogue model (no tuning)")
        models = evaluation.fit_factor_models(train, items, item_vectors)
        result = evaluation.evaluate(models, train, test, k, items)
        return EvalRun(protocol, result.table, result.ranked, models["factor"].params, len(train), len(test),
                       served="factor", errors=evaluation.standard_errors(result.ranked["factor"], test, k))
    if report:
        report(f"{protocol} protocol: {len(train)} train rows, {len(test)} test rows, "
               f"{test['user_id'].nunique()} test users; tuning on a validation split of train")
    tuned = tuning.tune_or_default(train, items, item_vectors, item_genres=item_genres,
                                   report=(lambda line: report("  " + line)) if report else None)
    models = evaluation.fit_models(train, items, tuned["params"], item_vectors, item_genres)
    result = evaluation.evaluate(models, train, test, k, items)
    return EvalRun(protocol, result.table, result.ranked, tuned["params"], len(train), len(test),
                   errors=evaluation.standard_errors(result.ranked["hybrid"], test, k))
