"""Offline evaluation on the protocol of docs/protocol.md: splits, metrics, the model table.

The splits and `metrics` follow the reference scorer line for line (same numpy generator
calls in the same order), so `flask eval` figures compare with published ones. Tuning uses
`validation_split`, which cuts only from the train part; the test part is scored once.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommender.models.base import top_k
from recommender.vocab import Vocabulary

COLUMNS = ["user_id", "movie_id", "rating", "timestamp"]
SEED = 42
VALIDATION_SEED = 20240607


# -- splits ------------------------------------------------------------------------------------

def _frame(df: pd.DataFrame) -> pd.DataFrame:
    return df[COLUMNS].reset_index(drop=True)


def warm_split(df: pd.DataFrame, ratio: float = 0.75, seed: int = SEED):
    """Stratified per-user split: each user's ratings in movie id order, shuffled, first 75% train."""
    df = _frame(df)
    rng = np.random.default_rng(seed)
    train, test = [], []
    for _, g in df.sort_values(["user_id", "movie_id"]).groupby("user_id"):
        idx = g.index.to_numpy().copy()
        rng.shuffle(idx)
        n = int(round(len(idx) * ratio))
        train.extend(idx[:n])
        test.extend(idx[n:])
    return df.loc[sorted(train)], df.loc[sorted(test)]


def cold_split(df: pd.DataFrame, reveal: int = 5, seed: int = SEED, eligible=None, fraction: int = 5):
    """A fifth of the users become cold: `reveal` ratings stay in train, the rest are test.

    `eligible` (validation only) restricts which users may be drawn; by default all users,
    exactly as the protocol says.
    """
    df = _frame(df)
    rng = np.random.default_rng(seed)
    users = np.sort(df.user_id.unique())
    pool = users if eligible is None else np.sort(np.asarray(eligible))
    cold = set(rng.choice(pool, size=len(pool) // fraction, replace=False).tolist())
    keep, test = [], []
    for u, g in df.sort_values(["user_id", "movie_id"]).groupby("user_id"):
        if u not in cold:
            keep.extend(g.index)
            continue
        idx = g.index.to_numpy().copy()
        rng.shuffle(idx)
        keep.extend(idx[:reveal])
        test.extend(idx[reveal:])
    return df.loc[sorted(keep)], df.loc[sorted(test)]


def validation_split(train: pd.DataFrame, protocol: str = "warm", seed: int = VALIDATION_SEED,
                     reveal: int = 5):
    """The protocol's split applied to the train part only, with another seed.

    Cold: a fifth of the users with more than 2*reveal train ratings become cold (users that
    are already cold in train keep their 5 ratings as they are).
    """
    if protocol == "warm":
        return warm_split(train, seed=seed)
    if protocol == "cold":
        counts = train.groupby("user_id").size()
        return cold_split(train, reveal=reveal, seed=seed, eligible=counts.index[counts > 2 * reveal])
    raise ValueError(f"unknown protocol {protocol!r}: use 'warm' or 'cold'")


# -- matrices ----------------------------------------------------------------------------------

def interaction_matrices(df: pd.DataFrame, users: Vocabulary, items: Vocabulary):
    """(ratings csr, timestamps csr) users x items with the same sparsity pattern."""
    u = users.index(df["user_id"].to_numpy(), missing="error")
    i = items.index(df["movie_id"].to_numpy(), missing="error")
    shape = (len(users), len(items))
    r = sp.csr_matrix((df["rating"].to_numpy(np.float32), (u, i)), shape=shape)
    t = sp.csr_matrix((df["timestamp"].to_numpy(np.float64), (u, i)), shape=shape)
    r.sort_indices()
    t.sort_indices()
    return r, t


# -- metrics -----------------------------------------------------------------------------------

def metrics(recs: Mapping, test: pd.DataFrame, k: int = 10) -> dict:
    """precision/recall/nDCG/MAP/hit@k and coverage, averaged over test users (as score.py)."""
    per_user, covered = ranking_per_user(recs, test, k)
    return {**{name: float(np.mean(values)) for name, values in per_user.items()},
            **graded(recs, test, k), "coverage": len(covered), "users": len(per_user[f"hit@{k}"])}


def ranking_per_user(recs: Mapping, test: pd.DataFrame, k: int = 10) -> tuple[dict[str, list[float]], set]:
    """`metrics`' all-ratings figures user by user (every test rating relevant), and the movies
    the lists cover."""
    truth = test.groupby("user_id")["movie_id"].apply(set).to_dict()
    p, r, ndcg, ap, hit = [], [], [], [], []
    covered = set()
    for u, rel in truth.items():
        rec = [int(m) for m in list(recs.get(u, recs.get(str(u), [])))[:k]]
        if len(set(rec)) != len(rec):
            raise ValueError(f"user {u}: a movie appears twice in the ranked list")
        covered.update(rec)
        hits = [1.0 if i in rel else 0.0 for i in rec]
        nh = sum(hits)
        p.append(nh / k)
        r.append(nh / len(rel))
        hit.append(1.0 if nh else 0.0)
        dcg = sum(h / np.log2(i + 2) for i, h in enumerate(hits))
        idcg = sum(1 / np.log2(i + 2) for i in range(min(len(rel), k)))
        ndcg.append(dcg / idcg)
        s, c = 0.0, 0
        for i, h in enumerate(hits):
            if h:
                c += 1
                s += c / (i + 1)
        ap.append(s / min(len(rel), k))
    return {f"precision@{k}": p, f"recall@{k}": r, f"ndcg@{k}": ndcg, f"map@{k}": ap, f"hit@{k}": hit}, covered


LIKED, DISLIKED = 4.0, 2.0  # stars: at least LIKED is a like, at most DISLIKED a dislike


def graded(recs: Mapping, test: pd.DataFrame, k: int = 10) -> dict:
    """Ratings as preferences: `ndcg_liked` (nDCG@k, relevant = test ratings of LIKED stars or
    more; users with none left out), `liked_share` (of the top-k movies the user rated in test,
    the share rated LIKED or more; users with none left out), `disliked@k` (mean number of top-k
    movies rated DISLIKED or less in test, over every test user). An offline figure that counts
    any rating as relevant rises when a model shows what people watch but dislike: these say
    whether they would like it."""
    return {name: float(np.mean(values)) if values else 0.0 for name, values in graded_per_user(recs, test, k).items()}


def graded_per_user(recs: Mapping, test: pd.DataFrame, k: int = 10) -> dict[str, list[float]]:
    """`graded`'s figures user by user, over the users each one counts (its means are `graded`)."""
    stars: dict[int, dict[int, float]] = {}
    for u, m, r in zip(test["user_id"], test["movie_id"], test["rating"]):
        stars.setdefault(int(u), {})[int(m)] = float(r)
    ndcg_liked, share, disliked = [], [], []
    for u, rated_in_test in stars.items():
        rec = [int(m) for m in list(recs.get(u, recs.get(str(u), [])))[:k]]
        liked = {m for m, r in rated_in_test.items() if r >= LIKED}
        if liked:
            dcg = sum(1 / np.log2(i + 2) for i, m in enumerate(rec) if m in liked)
            ndcg_liked.append(dcg / sum(1 / np.log2(i + 2) for i in range(min(len(liked), k))))
        seen = [rated_in_test[m] for m in rec if m in rated_in_test]
        if seen:
            share.append(np.mean([r >= LIKED for r in seen]))
        disliked.append(sum(1 for r in seen if r <= DISLIKED))
    return {"ndcg_liked": ndcg_liked, "liked_share": share, f"disliked@{k}": disliked}


def standard_errors(recs: Mapping, test: pd.DataFrame, k: int = 10) -> dict:
    """The standard error over users (sd / sqrt(users)) of nDCG@k and of the graded figures: how
    far a figure would move on another draw of users of the same kind. Two figures closer than
    it are not told apart by one split (`flask eval --seed` shows the same by cutting others)."""
    per_user = {f"ndcg@{k}": ranking_per_user(recs, test, k)[0][f"ndcg@{k}"], **graded_per_user(recs, test, k)}
    return {name: float(np.std(v) / np.sqrt(len(v))) if v else 0.0 for name, v in per_user.items()}


def fast_ndcg(top: np.ndarray, truth: sp.csr_matrix, k: int = 10) -> dict:
    """Vectorised `metrics` and `graded` for tuning, over rows of `truth` (users x items, the
    test stars) that have test items: nDCG, precision, coverage, ndcg_liked, liked_share,
    disliked."""
    rows = np.flatnonzero(np.diff(truth.indptr) > 0)
    top = top[rows, :k]
    t = truth[rows]
    stars = np.asarray(t[np.arange(len(rows))[:, None], top].todense())  # 0: not rated in test
    hits = stars > 0
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.concatenate([[1.0], np.cumsum(disc)])  # ideal[n]: the best DCG of n relevant films
    nrel = np.minimum(np.diff(t.indptr), k)
    liked = stars >= LIKED
    n_liked = np.minimum(np.diff((t >= LIKED).tocsr().indptr), k)
    with_liked, with_seen = n_liked > 0, hits.any(axis=1)
    return {"ndcg": _mean((hits * disc).sum(1) / ideal[nrel]),
            "precision": _mean(hits.sum(1) / k),
            "coverage": int(len(np.unique(top))),
            "ndcg_liked": _mean((liked * disc).sum(1)[with_liked] / ideal[n_liked[with_liked]]),
            "liked_share": _mean(liked.sum(1)[with_seen] / hits.sum(1)[with_seen]),
            "disliked": _mean(((stars > 0) & (stars <= DISLIKED)).sum(1))}


def _mean(values: np.ndarray) -> float:
    """The mean, 0 over nobody (a tiny split may leave no user with a liked test film)."""
    return float(np.mean(values)) if len(values) else 0.0


# -- the model table ---------------------------------------------------------------------------

REFERENCE_EASE_LAMBDA = 500.0  # plain EASE as PROTOCOL.md measured it (warm nDCG@10 0.482)


def _baselines(x: sp.csr_matrix, item_vectors) -> dict:
    """The rows every table starts with: popularity, and content when there are text vectors."""
    from recommender.models import ContentModel, Popularity

    models = {"popularity": Popularity().fit(x)}
    if item_vectors is not None:
        models["content"] = ContentModel().fit(x, item_vectors=item_vectors)
    return models


def _with_reference(models: dict, x: sp.csr_matrix) -> dict:
    """Plain EASE at lambda 500 as the last row: the published figure to beat, in the same run."""
    from recommender.models import EASE

    models["ease_reference"] = EASE(lam=REFERENCE_EASE_LAMBDA).fit(x)
    return models


def fit_models(train: pd.DataFrame, items: Vocabulary, params: dict, item_vectors=None, item_genres=None) -> dict:
    """The table's models fitted on `train`: popularity, content, collaborative (session-aware
    EASE), hybrid, and plain EASE at lambda 500 as the reference row.

    `params` are the hybrid's (from recommender.evaluation.tuning); EASE uses the same lam and Gram.
    """
    from recommender.models import EASE, Hybrid
    from recommender.models.ease import gram_matrix

    users = Vocabulary(train["user_id"].unique())
    x, times = interaction_matrices(train, users, items)
    gram = gram_matrix(x, times, params["session_weight"], params["session_seconds"])
    models = _baselines(x, item_vectors)
    models["collaborative"] = EASE(lam=params["lam"], session_weight=params["session_weight"],
                                   session_seconds=params["session_seconds"]).fit(x, gram=gram)
    models["hybrid"] = Hybrid(**params).fit(x, times, item_vectors, item_genres=item_genres, gram=gram)
    return _with_reference(models, x)


def fit_factor_models(train: pd.DataFrame, items: Vocabulary, item_vectors=None, params: dict | None = None) -> dict:
    """The large-catalogue table: popularity, content, the ALS FactorHybrid (its defaults: it is
    what a rebuild fits above the size threshold) and plain EASE at lambda 500 beside it."""
    from recommender.models import FactorHybrid

    users = Vocabulary(train["user_id"].unique())
    x, _ = interaction_matrices(train, users, items)
    models = _baselines(x, item_vectors)
    models["factor"] = FactorHybrid(**(params or {})).fit(x, item_vectors=item_vectors)
    return _with_reference(models, x)


class EvalReport:
    """`table`: one row per model; `ranked[name]`: {"<user_id>": [movie_id, ...]} for --dump."""

    def __init__(self, table: pd.DataFrame, ranked: dict[str, dict[str, list[int]]]):
        self.table = table
        self.ranked = ranked


def evaluate(models: Mapping, train: pd.DataFrame, test: pd.DataFrame, k: int = 10,
             items: Vocabulary | None = None) -> EvalReport:
    """Rank every movie each test user has not rated in train, score with `metrics`.

    `items` must be the vocabulary the models were fitted with (default: movies seen in
    train or test, which is only right if the models were fitted on that too).
    """
    if items is None:
        items = Vocabulary(np.union1d(train["movie_id"].unique(), test["movie_id"].unique()))
    test_users = np.sort(test["user_id"].unique())
    users = Vocabulary(np.union1d(train["user_id"].unique(), test_users))
    x, _ = interaction_matrices(train[train["movie_id"].isin(items.ids)], users, items)
    hist = x[users.index(test_users)]
    rows, ranked = [], {}
    for name, model in models.items():
        top = model.recommend(hist, k)
        recs = {int(u): items.terms(t).tolist() for u, t in zip(test_users, top)}
        ranked[name] = {str(u): v for u, v in recs.items()}
        m = metrics(recs, test, k)
        rows.append({"model": name, **m})
    return EvalReport(pd.DataFrame(rows).set_index("model"), ranked)
