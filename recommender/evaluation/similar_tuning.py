"""Choose the few weights of "movies like X" (recommender.models.item_similarity) on the
validation split of the item-to-item protocol (recommender.evaluation.item_protocol): a grid
over the co-rating exponent and shrinkage, the weights of the taste similarity and of the genres, the text
weight's curve and where the films of X's kind are sure of their places, on the train part only.

The rule: the protocol's main figure, wrecall@10 (popularity-weighted recall of the films X's
fans went on to love), is maximised among the settings that
- keep it above every anchor's on the same validation split by ANCHOR_MARGIN (EASE weights,
  item-kNN cosine, text alone, the fixed blends);
- come within GUARD_TOLERANCE of plain item-kNN cosine, the strongest anchor, on two guards
  (the films of X's kind cost a little of both): tail_hit@10 (a gain bought
  by listing the most-rated films is refused) and liked_share (of the listed films X's fans went
  on to rate, the share they loved: a list of what they merely watched is refused);
- list films of X's kind: rarest_genre@10, the share of the top 10 having X's rarest genre, at
  least KIND_FLOOR. The ratings alone do not ask for it: given within seven months, they reward
  the season's hits that X's raters also rated, and with no such floor the grid sets the genres
  aside (a film buff's "movies like Dances with Wolves" has westerns).
With judgment sets (recommender.evaluation.judgments: series, same makers, directors), among
those the settings at or above the fixed blend z(EASE) + 0.25 z(text) on every set, then the
sets' mean recall@10 rather than wrecall@10: the protocol rewards what X's crowd rated in the
same season, a film buff's list what belongs with X. When no setting reaches the kind floor,
the one with the most kind among those above the anchors and the guards.
Set, not tuned, because the protocol barely sees them: the series
weight (users rarely rate two films of one series on different sides of the split; a film with
the same base title enters the top 10 of any film) and sim_kind_slots (4 films of X's kind in
every list, where there are that many: on average the floor above leaves some lists with one
western under Dances with Wolves); tests/test_similar_ml100k.py checks both.
"""
from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from recommender.evaluation import item_protocol as ip
from recommender.evaluation import judgments
from recommender.models import item_similarity as isim
from recommender.vocab import Vocabulary

GRID = {
    "sim_alpha": [0.5, 0.6, 0.7],
    "sim_user_weight": [0.0, 0.5],
    "sim_shrink": [5.0, 20.0],
    "sim_taste": [0.15, 0.25],
    "sim_genre": [0.0, 0.1],
    "sim_kind_rank": [8, 10],  # where the sim_kind_slots films of X's kind are sure to be
    "sim_text": [(0.2, 1.0, 20.0), (0.3, 1.0, 50.0)],  # (sim_text_min, sim_text_max, sim_text_half)
}
OBJECTIVE = ip.MAIN
ANCHOR_MARGIN = 1.03  # validation above the best anchor by 3%: on ML-100K the lead shrank by a fifth on test
GUARDS = ("tail_hit@10", "liked_share")
GUARD_ANCHOR = "item-kNN cosine"
GUARD_TOLERANCE = 0.95  # the guards within 5% of item-kNN's: the films of X's kind cost some of them
KIND = "rarest_genre@10"
KIND_FLOOR = 0.45  # close to half the top 10 of X's rarest genre, on average (item-kNN: 0.30)
JUDGED_ANCHORS = ("z(EASE) + 0.25 z(text)", "EASE weights (λ=500)")  # the first the fold has


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
         report: Callable[[str], None] | None = None, sets: dict | None = None) -> dict:
    """{"params", "validation": the chosen setting's metrics, "floors": the rule's, "seconds"}.
    `sets`: judgment sets (recommender.evaluation.judgments), scored on the same fit."""
    started = time.perf_counter()
    vtrain, vtest = ip.validation(train)
    fold = ip.Fold(vtrain, vtest, items, genre_lists)
    anchor_scores = ip.anchors(fold, item_vectors)
    anchors = {name: ip.evaluate(m, fold) for name, m in anchor_scores.items()}
    floors = {g: GUARD_TOLERANCE * anchors[GUARD_ANCHOR][g] for g in GUARDS}
    floors[OBJECTIVE] = ANCHOR_MARGIN * max(m[OBJECTIVE] for m in anchors.values())
    floors[KIND] = KIND_FLOOR if genre_lists is not None else 0.0
    asked = {name: judgments.queries(groups, items) for name, groups in (sets or {}).items()}
    asked = {name: q for name, q in asked.items() if q}
    if asked:
        judged = next(name for name in JUDGED_ANCHORS if name in anchor_scores)
        floors.update(judgments.scored(anchor_scores[judged], asked))
    keys = [k for k in GRID if (item_vectors is not None or k != "sim_text")
            and (genre_lists is not None or k not in ("sim_genre", "sim_kind_rank"))]
    best, best_metrics, best_rank = dict(isim.DEFAULTS), None, (False, False, False, 0.0)
    collabs: dict[tuple, np.ndarray] = {}
    for values in itertools.product(*(GRID[k] for k in keys)):
        params = _params(dict(zip(keys, values)))
        key = (params["sim_alpha"], params["sim_shrink"], params["sim_user_weight"], params["sim_taste"])
        if key not in collabs:
            collabs[key] = isim.collaborative_similarity(fold.train, params)
        scores = candidate_scores(fold, item_vectors, titles, genre_lists, params, collabs[key])
        m = {**ip.evaluate(scores, fold), **judgments.scored(scores, asked)}
        rank = _rank(m, floors, asked)
        if best_metrics is None or rank > best_rank:
            best, best_metrics, best_rank = params, m, rank
            if report:
                report(f"{json.dumps(dict(zip(keys, values)))} -> "
                       + ", ".join(f"{g} {m[g]:.4f} (floor {floors[g]:.4f})" for g in floors))
    return {"params": {k: best[k] for k in isim.DEFAULTS}, "validation": best_metrics, "floors": floors,
            "seconds": round(time.perf_counter() - started, 1)}


def _rank(m: dict, floors: dict, asked: dict | None = None) -> tuple:
    """The rule as an order: above the anchors and the guards first, then of X's kind enough,
    then (with judgment sets) at or above the judged anchor on every set, then the objective:
    the judgment sets' mean recall@10 when there are sets, else the main figure (short of the
    kind floor, the kind)."""
    above = m[OBJECTIVE] > floors[OBJECTIVE] and all(m[g] >= floors[g] for g in GUARDS)
    kind = m[KIND] >= floors[KIND]
    judged = [column for name in (asked or {}) for column in judgments.columns(name)]
    sets_ok = all(m[g] >= floors[g] for g in judged)
    objective = float(np.mean([m[judgments.columns(name)[1]] for name in asked])) if asked else m[OBJECTIVE]
    return above, kind, sets_ok, objective if kind else m[KIND]
