"""The model stages of a rebuild: tune (or reuse tuned) params, fit the hybrid, write FAISS
indices of collaborative item vectors and of user profiles in both spaces. Each stage returns
what the next one needs (the fitted model, its interaction matrix): nothing is read back."""
from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommender.evaluation import protocol as evaluation
from recommender.evaluation import tuning
from recommender.models import FactorHybrid, Hybrid, ServingModel, model_family
from recommender.models.genres import genre_matrix
from recommender.models import rating as rating_models
from recommender.serving.layout import COLLAB_INDEX, CONTENT_INDEX, MODEL_DIR, RATING_DIR, USER_IDS, users_index
from recommender.vectors import faiss_io
from recommender.vocab import Vocabulary

log = logging.getLogger(__name__)
PROFILE_BLOCK = 20_000  # users per block when computing profiles: bounded memory at any size


def ratings_digest(ratings: pd.DataFrame, movie_ids: np.ndarray, content: np.ndarray,
                   item_genres: np.ndarray) -> str:
    """What the tuned params depend on: every rating, the catalogue, its text vectors and genres, and the
    tuning itself (its grid, objective and the hybrid's defaults: new code re-tunes)."""
    digest = hashlib.sha256(tuning.recipe().encode())
    for column in ("user_id", "movie_id", "rating", "timestamp"):
        digest.update(np.ascontiguousarray(ratings[column].to_numpy()).tobytes())
    digest.update(np.ascontiguousarray(movie_ids).tobytes())
    digest.update(np.ascontiguousarray(content).tobytes())
    digest.update(np.ascontiguousarray(item_genres).tobytes())
    return digest.hexdigest()


def _tuned_params(ratings: pd.DataFrame, items: Vocabulary, content: np.ndarray, item_genres: np.ndarray,
                  root: Path, report: Callable[[str], None]) -> dict:
    """Tune on validation splits of the store's ratings; reuse the last result if nothing changed."""
    cache = root / "cache" / "tuning.json"
    digest = ratings_digest(ratings, items.ids, content, item_genres)
    try:
        cached = json.loads(cache.read_text())
        if cached.get("digest") == digest:
            report("  ratings unchanged since the last tuning: reusing its params")
            return cached["result"]
    except (OSError, ValueError):
        pass
    report("  tuning blend weights and hyperparameters on validation splits of the ratings")
    result = tuning.tune_or_default(ratings, items, content, item_genres=item_genres,
                                    report=lambda line: report("    " + line))
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps({"digest": digest, "result": result}, indent=1))
    os.replace(tmp, cache)
    return result


@dataclass
class FittedModel:
    """What the model stage leaves for the user-profile stage and the manifest."""
    model: ServingModel
    users: Vocabulary
    matrix: object  # users x items csr of the ratings the model was fitted on
    manifest: dict  # what the version's manifest records about the model


def fit_models(movies: pd.DataFrame, ratings: pd.DataFrame, content: np.ndarray, content_index: faiss.Index,
               folder: Path, root: Path, report: Callable[[str], None], family: str | None = None) -> FittedModel:
    """Fit the collaborative model the catalogue's size calls for (or `family` forces) on every
    rating and save it. `content_index`: the version's text index, just built."""
    items = Vocabulary(movies["id"].to_numpy())
    users = Vocabulary(np.sort(ratings["user_id"].unique()))
    chosen = model_family.choose(len(items), family)
    report(f"  model family: {chosen} ({len(items)} movies; large-catalogue threshold "
           f"{model_family.LARGE_CATALOGUE_ITEMS}, requested {model_family.requested(family)})")
    matrix, times = evaluation.interaction_matrices(ratings, users, items)
    np.save(folder / USER_IDS, users.ids)
    if chosen == "factor":
        return _fit_factor(matrix, users, items, content, content_index, folder, report, movies)
    item_genres = genre_matrix(movies["genres"])[1]
    tuned = _tuned_params(ratings, items, content, item_genres, root, report)
    model = Hybrid(**tuned["params"]).fit(matrix, times, content, item_genres=item_genres,
                                          item_titles=movies["title"].tolist(), item_genre_lists=movies["genres"].tolist())
    model.save(folder / MODEL_DIR)
    collab = model.item_vectors("collab")
    faiss_io.save(faiss_io.build_ip_index(collab, items.ids), folder / COLLAB_INDEX)
    report(f"  hybrid fitted on {matrix.nnz} ratings; {collab.shape[1]}-dim item vectors indexed")
    return FittedModel(model, users, matrix, {"model_family": "dense", "hybrid": tuned["params"],
                                              "validation": tuned["validation"], "tuning_seconds": tuned["seconds"]})


def _fit_factor(matrix, users: Vocabulary, items: Vocabulary, content: np.ndarray, content_index: faiss.Index,
                   folder: Path, report: Callable[[str], None], movies: pd.DataFrame | None = None) -> FittedModel:
    """ALS + content + popularity with approximate indices; its defaults are not re-tuned per
    build (tuning the dense Hybrid is what needs items² memory). The model searches the
    version's own content.faiss and collab_items.faiss (keyed by movie id in row order), so
    each index exists once on disk and once in a server's memory."""
    titles = {} if movies is None else {"item_titles": movies["title"].tolist(),
                                        "item_genre_lists": movies["genres"].tolist()}
    model = FactorHybrid().fit(matrix, item_vectors=content, shared={"content": content_index}, **titles)
    report(f"  ALS ({model.params['factors']} factors) fitted on {matrix.nnz} ratings; "
           f"neighbour indices: " + ", ".join(f"{s} {i['type']} recall@10 {i['recall@10']}"
                                              for s, i in model.index_info.items())
           + f"; {model.params['similar_lists']} similar movies stored per movie")
    shared = {"content": CONTENT_INDEX, "collab": COLLAB_INDEX}
    model.save(folder / MODEL_DIR, shared=shared)
    faiss_io.save(faiss_io.keyed_by(model.indices["collab"], items.ids), folder / COLLAB_INDEX)
    info = model.index_info["collab"]
    report(f"  collab_items: {info['type']} over {len(items)} items, recall@10 vs exact {info['recall@10']}")
    return FittedModel(model, users, matrix, {
        "model_family": "factor", "factor": model.params,
        "ann": {"collab_items": info, **{f"model_{s}": {**i, "shared": shared[s]} for s, i in model.index_info.items()}}})


def user_profiles(fitted: FittedModel, folder: Path) -> int:
    """A vector per user in both spaces, indexed by user id ("people like you", retrieval),
    from the model and matrix the model stage made.

    Computed PROFILE_BLOCK users at a time, so memory stays flat however many users there are."""
    model, users, matrix = fitted.model, fitted.users, fitted.matrix
    for space in ("collab", "content"):
        index = None
        for start in range(0, max(len(users), 1), PROFILE_BLOCK):
            block = slice(start, start + PROFILE_BLOCK)
            vectors = np.ascontiguousarray(model.user_vectors(matrix[block], space), dtype="float32")
            if index is None:
                index = faiss_io.build_ip_index(vectors, users.ids[block])
            else:
                index.add_with_ids(vectors, np.ascontiguousarray(users.ids[block], dtype="int64"))
        faiss_io.save(index, folder / users_index(space))
    return len(users)


def fit_rating(movies: pd.DataFrame, ratings: pd.DataFrame, folder: Path, root: Path,
               report: Callable[[str], None]) -> dict:
    """The rating-prediction model (predicted stars) on every rating, saved in RATING_DIR with
    the version's item rows; its hyperparameters and blend weights are tuned on a validation
    split of the ratings (recommender.models.rating.blend), reused while the ratings and the
    recipe are unchanged. Returns what the manifest records."""
    items = Vocabulary(movies["id"].to_numpy())
    users = Vocabulary(np.sort(ratings["user_id"].unique()))
    known = items.index(ratings["movie_id"].to_numpy()) >= 0
    rated = ratings[known]
    matrix = sp.csr_matrix((rated["rating"].to_numpy(np.float64),
                            (users.index(rated["user_id"].to_numpy()), items.index(rated["movie_id"].to_numpy()))),
                           shape=(len(users), len(items)))
    if matrix.nnz == 0:
        report("  no ratings: no rating model (predicted stars are null)")
        return {"fitted": False}
    cache = root / "cache" / "rating_tuning.json"
    digest = hashlib.sha256(rating_models.blend.recipe().encode())
    for column in ("user_id", "movie_id", "rating"):
        digest.update(np.ascontiguousarray(rated[column].to_numpy()).tobytes())
    digest.update(np.ascontiguousarray(items.ids).tobytes())
    item_genres = genre_matrix(movies["genres"])[1]
    digest.update(np.ascontiguousarray(item_genres).tobytes())
    try:
        cached = json.loads(cache.read_text())
        tuned = cached["result"] if cached.get("digest") == digest.hexdigest() else None
    except (OSError, ValueError, KeyError):
        tuned = None
    if tuned is None:
        report("  tuning the rating model on a validation split of the ratings")
        tuned = rating_models.tune(matrix, report=lambda line: report("    " + line), item_genres=item_genres)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps({"digest": digest.hexdigest(), "result": tuned}, indent=1))
        os.replace(tmp, cache)
    else:
        report("  ratings unchanged since the last rating-model tuning: reusing its params")
    model = rating_models.RatingBlend(**tuned["params"]).fit(matrix, item_genres)
    model.save(folder / RATING_DIR)
    report(f"  rating model fitted on {matrix.nnz} ratings (validation RMSE "
           f"{tuned['validation'].get('blend', 'not measured: too many ratings to fit twice')})")
    return {"fitted": True, "params": tuned["params"], "validation": tuned["validation"],
            "tuning_seconds": tuned["seconds"]}
