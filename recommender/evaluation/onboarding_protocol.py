"""`flask eval --onboarding`: the onboarding questionnaire simulated on held-out new users.

The users are the cold protocol's (recommender.evaluation.protocol.cold_split: the same fifth of
the users, the same seed). The served model is fitted on everyone else's ratings only. Each
held-out user's ratings are shuffled (fixed seed) and halved: the first half is what the
questionnaire may see, the second is the test part, never shown to it. A questionnaire offers
films in batches; a film in the visible half is answered with its rating, any other film is
"not seen". After 5 and after 10 answers (ratings given, not questions asked; at most
MAX_QUESTIONS questions), the feed the model gives for those answers (its `feed_top`, the
answered films left out) is scored with `ndcg_liked` on the test part. Strategies, side by side
on the same users and the same model: the adaptive picker (recommender.serving.onboarding),
today's fixed popular list (the order of recommender.store.catalogue.onboarding_picks),
random picks (fixed seed), and as an anchor the plain most-rated order (no variety at all). A user who runs out of questions before 5 answers is scored on the
answers given (none: the most-rated films)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.evaluation import protocol as evaluation
from recommender.models import Hybrid
from recommender.models.genres import genre_matrix
from recommender.serving.onboarding import BATCH, QuestionPool
from recommender.vocab import Vocabulary

MAX_QUESTIONS = 60
CHECKPOINTS = (5, 10)
SEED = 42
K = 10

# a strategy: (rated rows, their stars, rows marked not seen, how many) -> the next rows to ask
Strategy = Callable[[np.ndarray, np.ndarray, np.ndarray, int], np.ndarray]


@dataclass
class OnboardingRun:
    table: pd.DataFrame  # one row per strategy
    users: int
    train_rows: int


def held_out(ratings: pd.DataFrame, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(train: every rating of the other users, visible: the half of each held-out user's ratings
    the questionnaire may see, test: the other half). Held-out users: the cold split's."""
    _, cold_test = evaluation.cold_split(ratings, seed=seed)
    cold = set(cold_test["user_id"].unique().tolist())
    frame = ratings[evaluation.COLUMNS].reset_index(drop=True)
    is_cold = frame["user_id"].isin(cold)
    rng = np.random.default_rng(seed)
    visible, test = [], []
    for _, g in frame[is_cold].sort_values(["user_id", "movie_id"]).groupby("user_id"):
        idx = g.index.to_numpy().copy()
        rng.shuffle(idx)
        half = len(idx) // 2
        visible.extend(idx[:half])
        test.extend(idx[half:])
    return frame[~is_cold], frame.loc[sorted(visible)], frame.loc[sorted(test)]


def fixed_list(order: np.ndarray) -> Strategy:
    """The same films for everyone, in `order`, each asked once."""
    def next_rows(rated, stars, unseen, n):
        asked = np.concatenate([rated, unseen])
        return order[~np.isin(order, asked)][:n]
    return next_rows


def simulate(strategy: Strategy, visible: dict[int, float], max_questions: int = MAX_QUESTIONS,
             batch: int = BATCH) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """One user's questionnaire: per checkpoint, (rated rows, stars, questions asked) when it was
    reached, or the answers at the end when it never was."""
    rated: list[int] = []
    stars: list[float] = []
    unseen: list[int] = []
    asked = 0
    reached: list[tuple[np.ndarray, np.ndarray, int]] = []
    while asked < max_questions and len(reached) < len(CHECKPOINTS):
        offer = strategy(np.array(rated, np.int64), np.array(stars, np.float32), np.array(unseen, np.int64),
                         min(batch, max_questions - asked))
        if len(offer) == 0:
            break
        for row in offer.tolist():
            asked += 1
            if row in visible:
                rated.append(row)
                stars.append(visible[row])
                if len(rated) == CHECKPOINTS[len(reached)]:
                    reached.append((np.array(rated, np.int64), np.array(stars, np.float32), asked))
                    if len(reached) == len(CHECKPOINTS):
                        break
            else:
                unseen.append(row)
    while len(reached) < len(CHECKPOINTS):
        reached.append((np.array(rated, np.int64), np.array(stars, np.float32), asked))
    return reached


def run(ratings: pd.DataFrame, movies: pd.DataFrame, item_vectors: np.ndarray, popular_ids,
        params: dict | None = None, report: Callable[[str], None] | None = None,
        max_questions: int = MAX_QUESTIONS) -> OnboardingRun:
    """The three strategies on the held-out users. `movies`: the catalogue (id, title, year,
    genres); `item_vectors`: its text vectors in `movies` order; `popular_ids`: today's fixed
    list, in order; `params`: the hybrid's (default: its defaults)."""
    train, visible, test = held_out(ratings)
    items = Vocabulary(movies["id"].to_numpy())
    users = Vocabulary(train["user_id"].unique())
    x, times = evaluation.interaction_matrices(train[train["movie_id"].isin(items.ids)], users, items)
    order = items.index(movies["id"].to_numpy())
    vectors = np.zeros((len(items), item_vectors.shape[1]), np.float32)
    vectors[order] = item_vectors
    _, by_movie = genre_matrix(movies["genres"])
    genres = np.zeros((len(items), by_movie.shape[1]), np.uint8)
    genres[order] = by_movie
    years = np.full(len(items), np.nan)
    years[order] = movies["year"].astype("Float64").to_numpy(np.float64, na_value=np.nan)
    if report:
        report(f"{visible['user_id'].nunique()} held-out users (the cold split's), half of their ratings "
               f"answerable, half test; model fitted on {len(train)} ratings of the others")
    model = Hybrid(**(params or {})).fit(x, times, vectors, item_genres=genres,
                                         item_titles=[movies["title"].tolist()[i] for i in np.argsort(order)],
                                         item_genre_lists=[movies["genres"].tolist()[i] for i in np.argsort(order)])
    counts = np.asarray((x > 0).sum(axis=0)).ravel()
    pool = QuestionPool.build(model.item_vectors("collab"), counts, genres, years)
    popular_rows = items.index(np.asarray(popular_ids, np.int64))
    rng = np.random.default_rng(SEED)
    by_popularity = np.argsort(-counts, kind="stable")
    strategies: dict[str, Strategy] = {
        "adaptive": pool.next_batch,
        "popular (fixed list)": fixed_list(popular_rows[popular_rows >= 0]),
        "random": fixed_list(rng.permutation(len(items))),
        "most-rated first (anchor)": fixed_list(by_popularity),
    }
    rows = []
    for name, strategy in strategies.items():
        recs = {c: {} for c in CHECKPOINTS}
        asked = {c: [] for c in CHECKPOINTS}
        answered = {c: [] for c in CHECKPOINTS}
        for user, g in visible.groupby("user_id"):
            answerable = dict(zip(items.index(g["movie_id"].to_numpy()).tolist(), g["rating"].tolist()))
            for c, (rated, stars, n_asked) in zip(CHECKPOINTS, simulate(strategy, answerable, max_questions)):
                recs[c][int(user)] = _feed(model, rated, stars, by_popularity, len(items), items)
                asked[c].append(n_asked)
                answered[c].append(len(rated))
        row = {"strategy": name}
        for c in CHECKPOINTS:
            row[f"ndcg_liked@{c} answers"] = evaluation.graded(recs[c], test, K)["ndcg_liked"]
            row[f"questions for {c}"] = float(np.mean(asked[c]))
            row[f"reached {c}"] = float(np.mean(np.array(answered[c]) >= c))
        rows.append(row)
        if report:
            report(f"  {name}: done")
    return OnboardingRun(pd.DataFrame(rows).set_index("strategy"), int(visible["user_id"].nunique()), len(train))


def _feed(model, rated: np.ndarray, stars: np.ndarray, by_popularity: np.ndarray, n_items: int,
          items: Vocabulary) -> list[int]:
    """The top-K movie ids the model serves for these answers (the most-rated films for none)."""
    if len(rated) == 0:
        return items.ids[by_popularity[:K]].tolist()
    allowed = np.ones(n_items, dtype=bool)
    allowed[rated] = False
    top, _ = model.feed_top(rated, K, allowed, stars)
    return items.ids[top].tolist()
