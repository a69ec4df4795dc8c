"""The item-to-item protocol ("movies like X"), from the ratings alone (docs/protocol.md).

Split: the warm split of recommender.evaluation.protocol (each user's ratings 75/25). For each
user and each film X they loved (4 stars or more) in train, the relevant films are those the user
loved in test. The catalogue is ranked by similarity to X, leaving out X and every film the user
rated in train (they cannot be in test: the split puts each rating on one side), and the top k
is scored. A user counts once: the metrics are averaged over a user's X first, then over users.

What everyone watched must not win by default: besides hit@k and nDCG@k, `wrecall@k` weighs
each relevant film by 1 / sqrt(its train ratings) (Steck 2011's popularity-stratified recall,
gamma = 1/2): finding a film 400 people rated counts a fifth of finding one 16 rated.
`liked_share`: of the listed films the user rated in test, the share they loved (a list of what
X's fans watched without loving scores low). `tail_hit@k`: the share of (user, X) with a hit
among films outside the `tail_from` most rated. `wrecall@k` chooses the model, the other two
guard it (recommender.evaluation.similar_tuning).

Tuning uses `validation`: the same split of the train part with another seed; the test part is
scored once. Candidates are items x items score matrices (ML-100K size: 11 MB each).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommender.evaluation import protocol as ev
from recommender.models import item_similarity as isim
from recommender.models import preferences
from recommender.models.ease import ease_weights, gram_matrix
from recommender.models.neighbours import cosine_similarity
from recommender.vocab import Vocabulary

K = 10
MAIN = f"wrecall@{K}"  # the figure that chooses
POPULARITY_POWER = 0.5
TAIL_FROM = 100  # the 100 most-rated films (6% of ML-100K) are the "head"
ANCHOR_EASE_LAMBDA = 500.0


def split(ratings: pd.DataFrame):
    """(train, test): the warm split of the user protocol."""
    return ev.warm_split(ratings)


def validation(train: pd.DataFrame):
    """(train', validation): the warm split of `train` with the validation seed."""
    return ev.validation_split(train, "warm")


class Fold:
    """One split as matrices over `items`: train stars, test likes, popularity weights, and the
    films' genres (items x genres, boolean; `genre_lists` in `items` order) for the kind columns."""

    def __init__(self, train: pd.DataFrame, test: pd.DataFrame, items: Vocabulary, genre_lists=None):
        users = Vocabulary(np.union1d(train["user_id"].unique(), test["user_id"].unique()))
        self.items = items
        self.train, self.times = ev.interaction_matrices(train, users, items)
        truth, _ = ev.interaction_matrices(test, users, items)
        self.test_stars = truth
        liked = sp.csr_matrix(((truth.data >= preferences.LIKED_STARS).astype(np.float32), truth.indices.copy(),
                               truth.indptr.copy()), shape=truth.shape)  # copies: eliminate_zeros works in place
        liked.eliminate_zeros()
        self.test_liked = liked
        self.popularity = np.asarray((self.train > 0).sum(axis=0)).ravel().astype(np.float64)
        self.genres = None if genre_lists is None else isim.genre_sets(genre_lists) > 0


def kind_agreement(genres: np.ndarray, queries: np.ndarray, top: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per query X (row of `top`, its listed films): the mean Jaccard of the listed films' genre
    sets with X's, and the share of them having X's rarest genre (Western for Dances with
    Wolves: Adventure|Drama|Western). NaN for a film without genres."""
    gx = genres[queries][:, None, :]
    gt = genres[top]
    inter = (gx & gt).sum(axis=2)
    union = (gx | gt).sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        jaccard = np.where(union > 0, inter / np.maximum(union, 1), np.nan).mean(axis=1)
    df = genres.sum(axis=0).astype(np.float64)
    rarity = np.where(genres[queries], df[None, :], np.inf)
    rarest = rarity.argmin(axis=1)
    has = np.isfinite(rarity.min(axis=1))
    share = np.where(has, np.take_along_axis(gt, rarest[:, None, None].repeat(top.shape[1], 1), axis=2)[:, :, 0]
                     .mean(axis=1), np.nan)
    jaccard[~has] = np.nan
    return jaccard, share


def evaluate(scores: np.ndarray | Callable[[np.ndarray], np.ndarray], fold: Fold, k: int = K,
             tail_from: int = TAIL_FROM) -> dict:
    """The protocol's metrics of one model. `scores`: items x items (row X: similarity of every
    film to X), or a function giving those rows for an array of X rows."""
    rows_of = (lambda xs: np.asarray(scores[xs], dtype=np.float32)) if not callable(scores) else scores
    weight = 1.0 / np.sqrt(np.maximum(fold.popularity, 1.0)) ** (2 * POPULARITY_POWER)
    head = np.zeros(len(fold.popularity), dtype=bool)
    head[np.argsort(-fold.popularity, kind="stable")[:tail_from]] = True
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    x, t, stars_of = fold.train, fold.test_liked, fold.test_stars
    per_user = {"hit": [], "ndcg": [], "wrecall": [], "tail_hit": [], "jaccard": [], "rarest": []}
    shares = []
    covered = set()
    for u in range(x.shape[0]):
        rel = t.indices[t.indptr[u]:t.indptr[u + 1]]
        a, b = x.indptr[u], x.indptr[u + 1]
        seen, stars = x.indices[a:b], x.data[a:b]
        loved = seen[stars >= preferences.LIKED_STARS]
        if len(rel) == 0 or len(loved) == 0:
            continue
        s = rows_of(loved).copy()
        s[:, seen] = -np.inf
        top = np.argpartition(-s, k - 1, axis=1)[:, :k]
        top = np.take_along_axis(top, np.argsort(-np.take_along_axis(s, top, axis=1), axis=1, kind="stable"), axis=1)
        covered.update(np.unique(top).tolist())
        is_rel = np.zeros(x.shape[1], dtype=bool)
        is_rel[rel] = True
        hits = is_rel[top]
        ideal = disc[:min(len(rel), k)].sum()
        per_user["hit"].append(hits.any(axis=1).mean())
        per_user["ndcg"].append(((hits * disc).sum(axis=1) / ideal).mean())
        per_user["wrecall"].append(((hits * weight[top]).sum(axis=1) / weight[rel].sum()).mean())
        per_user["tail_hit"].append((hits & ~head[top]).any(axis=1).mean())
        if fold.genres is not None:
            jaccard, rarest = kind_agreement(fold.genres, loved, top)
            if np.isfinite(jaccard).any():
                per_user["jaccard"].append(np.nanmean(jaccard))
                per_user["rarest"].append(np.nanmean(rarest))
        test_stars = np.zeros(x.shape[1], dtype=np.float32)
        test_stars[stars_of.indices[stars_of.indptr[u]:stars_of.indptr[u + 1]]] = \
            stars_of.data[stars_of.indptr[u]:stars_of.indptr[u + 1]]
        rated = test_stars[top] > 0
        some = rated.any(axis=1)
        if some.any():
            shares.append(((test_stars[top] >= preferences.LIKED_STARS).sum(axis=1)[some] / rated.sum(axis=1)[some]).mean())
    mean = {name: float(np.mean(v)) if v else 0.0 for name, v in per_user.items()}
    return {f"wrecall@{k}": mean["wrecall"], "liked_share": float(np.mean(shares)) if shares else 0.0,
            f"tail_hit@{k}": mean["tail_hit"], f"genre_jaccard@{k}": mean["jaccard"],
            f"rarest_genre@{k}": mean["rarest"], f"hit@{k}": mean["hit"], f"ndcg@{k}": mean["ndcg"],
            "coverage": len(covered), "users": len(per_user["hit"])}


# -- the anchors -------------------------------------------------------------------------------

def row_standardise(m: np.ndarray) -> np.ndarray:
    """Each row minus its mean, over its standard deviation (the diagonal left out of both)."""
    return isim.row_standardised(m)


def ease_item_weights(fold: Fold, lam: float = ANCHOR_EASE_LAMBDA) -> np.ndarray:
    """B[X, Y]: EASE's weight from X to Y, every rating as "seen"."""
    return ease_weights(gram_matrix(fold.train), lam)


def text_cosine(item_vectors: np.ndarray) -> np.ndarray:
    e = np.asarray(item_vectors, dtype=np.float32)
    sim = e @ e.T
    np.fill_diagonal(sim, 0.0)
    return sim


def legacy_similar(fold: Fold, item_vectors: np.ndarray, half_ratings: float = 20.0, text_floor: float = 0.4,
                   shrink: float = 10.0) -> np.ndarray:
    """The product's "movies like X" before issue 17 (hybrid_base's old blend): item-kNN cosine
    and cubed text cosine, each scaled to a row maximum of 1, weighed beta and 1 - beta with
    beta = (1 - text_floor) n / (n + half_ratings)."""
    collab = np.clip(cosine_similarity(fold.train, shrink), 0, None)
    collab = collab / np.maximum(collab.max(axis=1, keepdims=True), 1e-12)
    text = np.clip(text_cosine(item_vectors), 0, None) ** 3
    text = text / np.maximum(text.max(axis=1, keepdims=True), 1e-12)
    beta = (1 - text_floor) * fold.popularity / (fold.popularity + half_ratings)
    return (beta[:, None] * collab + (1 - beta[:, None]) * text).astype(np.float32)


LEGACY = "product before issue 17"


def anchors(fold: Fold, item_vectors: np.ndarray | None) -> dict[str, np.ndarray]:
    """The anchors every run prints: EASE item weights (lambda 500), item-kNN cosine, text alone,
    row-standardised EASE + 0.25 / 0.5 x row-standardised text, and the product before issue 17."""
    ease = ease_item_weights(fold)
    out = {"EASE weights (λ=500)": ease, "item-kNN cosine": cosine_similarity(fold.train, 10.0)}
    if item_vectors is not None:
        text = text_cosine(item_vectors)
        z_ease, z_text = row_standardise(ease), row_standardise(text)
        out["text alone"] = text
        out["z(EASE) + 0.25 z(text)"] = z_ease + 0.25 * z_text
        out["z(EASE) + 0.5 z(text)"] = z_ease + 0.5 * z_text
        out[LEGACY] = legacy_similar(fold, item_vectors)
    return out


def table(models: Mapping[str, np.ndarray | Callable], fold: Fold, k: int = K) -> pd.DataFrame:
    """One row per model, the protocol's columns."""
    return pd.DataFrame([{"model": name, **evaluate(m, fold, k)} for name, m in models.items()]).set_index("model")


# -- `flask eval --similar` --------------------------------------------------------------------

CHOSEN = "movies like X (chosen)"


def run(ratings: pd.DataFrame, catalogue_ids: np.ndarray, item_vectors: np.ndarray | None, titles,
        genre_lists=None, k: int = K, report: Callable[[str], None] | None = None,
        judged: Mapping[str, Mapping[str, list[list[int]]]] | None = None,
        tune_sets: Mapping[str, list[list[int]]] | None = None) -> tuple[pd.DataFrame, dict, dict]:
    """The protocol end to end: split, tune "movies like X" on a validation split of train,
    fit it and the anchors on train, score each on test once. The tuning also reads the
    judgment sets `tune_sets` (recommender.evaluation.judgments); the anchors and the chosen
    model, fitted on every rating, are scored on each of `judged` ({label: sets}; a label whose
    sets the tuning did not read checks its choice). (table, tuned params, {label: table})."""
    from recommender.evaluation import judgments, similar_tuning

    train, test = split(ratings)
    items = Vocabulary(np.union1d(catalogue_ids, np.union1d(train["movie_id"].unique(), test["movie_id"].unique())))
    vectors = None
    if item_vectors is not None:
        vectors = np.zeros((len(items), item_vectors.shape[1]), dtype=np.float32)
        rows = items.index(np.asarray(catalogue_ids))
        vectors[rows[rows >= 0]] = item_vectors[rows >= 0]
    title_of = dict(zip(np.asarray(catalogue_ids).tolist(), titles))
    item_titles = [title_of.get(int(i), "") for i in items.ids]
    genres_of = dict(zip(np.asarray(catalogue_ids).tolist(), genre_lists if genre_lists is not None else []))
    item_genres = None if genre_lists is None else [genres_of.get(int(i), []) for i in items.ids]
    if report:
        report(f"item-to-item protocol: {len(train)} train rows, {len(test)} test rows; "
               "tuning on a validation split of train")
    tuned = similar_tuning.tune(train, items, vectors, item_titles, item_genres,
                                report=(lambda line: report("  " + line)) if report else None, sets=tune_sets)
    fold = Fold(train, test, items, item_genres)
    models = anchors(fold, vectors)
    models[CHOSEN] = similar_tuning.candidate_scores(fold, vectors, item_titles, item_genres, tuned["params"])
    tables = {}
    if judged:
        whole = Fold(ratings, ratings.iloc[:0], items, item_genres)
        fitted = anchors(whole, vectors)
        fitted.pop(LEGACY, None)
        fitted[CHOSEN] = similar_tuning.candidate_scores(whole, vectors, item_titles, item_genres, tuned["params"])
        tables = {label: judgments.table(fitted, sets, items, k) for label, sets in judged.items()}
    return table(models, fold, k), tuned["params"], tables
