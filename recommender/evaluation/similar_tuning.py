"""Choose the few weights of "movies like X" (recommender.models.item_similarity) on the
validation split of the item-to-item protocol (recommender.evaluation.item_protocol): a grid
over the co-rating exponent, the weights of the adjusted cosine and of the genres, and the
text weight's curve, on the train part only.

Objective: the protocol's main figure, wrecall@10 (popularity-weighted recall of the films X's
fans went on to love), among the settings that also match plain item-kNN cosine, the strongest
anchor, on two guards measured on the same validation split: tail_hit@10 (a gain bought by
listing the most-rated films is refused) and liked_share (of the listed films X's fans went on
to rate, the share they loved: a list of what they merely watched is refused). These mirror
the feed's tuner, which weighs the liked films found and their share among those rated.
The series weight is not tuned (users rarely rate two films of one series on different sides
of the split, so the protocol barely sees series): it is set so that a film with the same base
title enters the top 10 of any film; tests/test_similar_ml100k.py checks it.
"""
from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from recommender.evaluation import item_protocol as ip
from recommender.models import item_similarity as isim
from recommender.vocab import Vocabulary

GRID = {
    "sim_alpha": [0.5, 0.6, 0.7],
    "sim_adjusted": [0.0, 0.25, 0.5],
    "sim_genre": [0.0, 0.25, 0.5],
    "sim_text": [(0.2, 1.0, 20.0), (0.3, 1.0, 50.0)],  # (sim_text_min, sim_text_max, sim_text_half)
}
OBJECTIVE = ip.MAIN
GUARDS = ("tail_hit@10", "liked_share")
GUARD_ANCHOR = "item-kNN cosine"


def _params(values: dict) -> dict:
    params = {**isim.DEFAULTS, **{k: v for k, v in values.items() if k != "sim_text"}}
    if "sim_text" in values:
        params["sim_text_min"], params["sim_text_max"], params["sim_text_half"] = values["sim_text"]
    return params


def candidate_scores(fold: ip.Fold, item_vectors: np.ndarray | None, titles, genre_lists, params: dict,
                     collab: np.ndarray | None = None) -> np.ndarray:
    """items x items scores of the model with `params`, fitted on the fold's train part."""
    if collab is None:
        collab = isim.collaborative_similarity(fold.train, params)
    text = None if item_vectors is None else ip.text_cosine(item_vectors)
    series = None if titles is None else isim.series_matrix(list(titles))
    genres = None if genre_lists is None else isim.genre_vectors(genre_lists)
    return isim.dense_scores(collab, text, genres, series, fold.popularity, params)


def tune(train: pd.DataFrame, items: Vocabulary, item_vectors: np.ndarray | None, titles, genre_lists=None,
         report: Callable[[str], None] | None = None) -> dict:
    """{"params", "validation": the chosen setting's metrics, "floors": the guards', "seconds"}."""
    started = time.perf_counter()
    vtrain, vtest = ip.validation(train)
    fold = ip.Fold(vtrain, vtest, items)
    anchor = ip.evaluate(ip.anchors(fold, None)[GUARD_ANCHOR], fold)
    floors = {g: anchor[g] for g in GUARDS}
    keys = [k for k in GRID if item_vectors is not None or k != "sim_text"]
    best, best_metrics, best_rank = dict(isim.DEFAULTS), None, (False, 0.0)
    collabs: dict[tuple, np.ndarray] = {}
    for values in itertools.product(*(GRID[k] for k in keys)):
        params = _params(dict(zip(keys, values)))
        key = (params["sim_alpha"], params["sim_adjusted"])
        if key not in collabs:
            collabs[key] = isim.collaborative_similarity(fold.train, params)
        m = ip.evaluate(candidate_scores(fold, item_vectors, titles, genre_lists, params, collabs[key]), fold)
        rank = (all(m[g] >= floors[g] for g in GUARDS), m[OBJECTIVE])
        if best_metrics is None or rank > best_rank:
            best, best_metrics, best_rank = params, m, rank
            if report:
                report(f"{json.dumps(dict(zip(keys, values)))} -> {OBJECTIVE} {m[OBJECTIVE]:.4f}, "
                       + ", ".join(f"{g} {m[g]:.4f} (floor {floors[g]:.4f})" for g in GUARDS))
    return {"params": {k: best[k] for k in isim.DEFAULTS}, "validation": best_metrics, "floors": floors,
            "seconds": round(time.perf_counter() - started, 1)}
