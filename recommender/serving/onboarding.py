"""The onboarding questionnaire: which films to ask a new person about next.

Every question costs the person a moment, and a film they have not seen costs it for nothing.
So the films offered are well known (the most-rated films of the version: its pool), spread
over genres and decades, and they follow the answers: films people watch beside the ones this
person has seen become likelier (they have probably seen those too), neighbours of films they
liked come first (a like is what the feed learns most from), and films like the ones marked
"not seen" fall back (an obscure corner the person does not know). Closeness is the cosine of
the version's collaborative item vectors (recommender.models.factors: co-viewing, scaled so big
hits do not own every direction).

A greedy pick builds each batch: the best-scoring film, then the next best once each remaining
film is penalised for resembling the films already in the batch and for a genre or decade the
batch already covers well. Half of a batch leans harder on the likes (their neighbours, and
films sharing their genres); the other half covers other kinds. Everything that does not depend on the answers (the pool, its
vectors, genres, decades and how well known each film is) is worked out once per index version
(`pool_for`); a request costs a few small matrix products over the pool. Deterministic: the
same answers give the same batch."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sqlite_utils

from recommender.models.base import unit_rows
from recommender.serving.index import LoadedIndex
from recommender.store import catalogue

POOL_SIZE = 400  # the most-rated films: beyond these a "not seen" is the likely answer
BATCH = 10
# the score's weights, chosen on `flask eval --onboarding` (recommender/evaluation/onboarding_protocol.py)
WEIGHTS = {
    "known": 1.0,           # how well known the film is (log ratings, 0..1 over the pool)
    "seen_near": 0.3,       # closeness to a film the person rated: they watch films like it
    "liked_near": 0.3,      # closeness to a film they liked (5 stars counts fully, 3 not at all)
    "leaning": 2.0,         # ... and more in the leaning part of a batch
    "genre_lean": 0.5,      # in the leaning part: sharing genres with a liked film
    "lean_share": 0.5,      # the share of a batch that leans on the likes (the rest covers other kinds)
    "unseen_near": 0.3,     # closeness to a film they marked "not seen"
    "redundant": 0.2,       # closeness to a film already in the batch
    "genre_covered": 0.2,   # share of the batch already in the film's genres
    "decade_covered": 0.05,  # share of the batch already in its decade
}


@dataclass(frozen=True)
class QuestionPool:
    """The films onboarding may ask about, and what the pick reads about each (pool order:
    most-rated first). `vectors` holds every item row's unit collaborative vector, so an
    answer about a film outside the pool (found by search) still counts."""

    rows: np.ndarray  # (pool,) item rows
    known: np.ndarray  # (pool,) log ratings scaled to 0..1
    genres: np.ndarray  # (pool, genres) 0/1 float32
    decades: np.ndarray  # (pool,) decade index; -1 unknown
    hub: np.ndarray  # (pool,) mean closeness to the pool: what a film shares with any film
    vectors: np.ndarray  # (items, dims) unit rows
    item_genres: np.ndarray  # (items, genres) each row's genres, unit length (0: none)

    @classmethod
    def build(cls, item_vectors: np.ndarray, counts: np.ndarray, genre_matrix: np.ndarray,
              years: np.ndarray, size: int = POOL_SIZE) -> QuestionPool:
        """The `size` most-rated films with at least one rating (ties in row order)."""
        counts = np.asarray(counts, dtype=np.float64)
        order = np.argsort(-counts, kind="stable")
        rows = order[counts[order] > 0][:size]
        logs = np.log1p(counts[rows])
        span = max(float(logs.max(initial=0.0) - logs.min(initial=0.0)), 1e-12)
        years = np.asarray(years, dtype=np.float64)[rows]
        vectors = unit_rows(item_vectors)
        mine = vectors[rows]
        pool = cls(rows=rows.astype(np.int64),
                   known=((logs - logs.min(initial=0.0)) / span).astype(np.float32),
                   genres=np.asarray(genre_matrix, dtype=np.float32)[rows],
                   decades=np.where(np.isnan(years), -1, np.nan_to_num(years) // 10).astype(np.int64),
                   hub=np.clip(mine @ mine.T, 0.0, None).mean(axis=1).astype(np.float32),
                   vectors=vectors, item_genres=unit_rows(np.asarray(genre_matrix, dtype=np.float32)))
        for array in (pool.rows, pool.known, pool.genres, pool.decades, pool.hub, pool.vectors, pool.item_genres):
            array.flags.writeable = False  # shared by every request of the version's threads
        return pool

    def next_batch(self, rated_rows, stars, not_seen_rows, n: int = BATCH,
                   weights: dict | None = None) -> np.ndarray:
        """The next `n` item rows to ask about, given the films rated so far (rows, stars) and
        those marked not seen; never one of those. Fewer when the pool runs out."""
        w = {**WEIGHTS, **(weights or {})}
        rated = np.asarray(rated_rows, dtype=np.int64)
        stars = np.asarray(stars, dtype=np.float32)
        unseen = np.asarray(not_seen_rows, dtype=np.int64)
        open_ = ~np.isin(self.rows, np.concatenate([rated, unseen]))
        candidates = np.flatnonzero(open_)
        if len(candidates) == 0 or n <= 0:
            return np.zeros(0, dtype=np.int64)
        mine = self.vectors[self.rows[candidates]]
        score = w["known"] * self.known[candidates]
        liked_pull = np.zeros(len(candidates), dtype=np.float32)
        genre_pull = np.zeros(len(candidates), dtype=np.float32)
        if len(rated):
            near = np.clip(mine @ self.vectors[rated].T, 0.0, None)  # (candidates, rated)
            liking = np.clip((stars - 3.0) / 2.0, 0.0, 1.0)  # 3 stars: seen, not liked; 5: liked most
            # closeness beyond what the film shares with any film: a big hit is near everything
            liked_pull = (np.clip(near - self.hub[candidates, None], 0.0, None) * liking).max(axis=1)
            score = score + w["seen_near"] * near.max(axis=1) + w["liked_near"] * liked_pull
            shared = self.item_genres[self.rows[candidates]] @ self.item_genres[rated].T  # genre cosine
            genre_pull = (shared * liking).max(axis=1)
        if len(unseen):
            score = score - w["unseen_near"] * np.clip(mine @ self.vectors[unseen].T, 0.0, None).max(axis=1)
        leaning = round(n * w["lean_share"]) if liked_pull.any() else 0
        lean_score = score + w["leaning"] * liked_pull + w["genre_lean"] * genre_pull
        return self._greedy(candidates, score, lean_score, leaning, mine, n, w)

    def _greedy(self, candidates: np.ndarray, score: np.ndarray, lean_score: np.ndarray, leaning: int,
                mine: np.ndarray, n: int, w: dict) -> np.ndarray:
        """Pick the best, then the best once resemblance to the films already in the batch and
        its crowded genres and decades are penalised, `n` times; the first `leaning` picks by
        `lean_score` (the likes' neighbours weigh more), the others by `score`, so the rest of
        the batch covers other kinds. (Resemblance to the answers is in the scores already.)"""
        redundancy = np.zeros(len(candidates), dtype=np.float32)
        my_genres = self.genres[candidates]
        genre_n = np.maximum(my_genres.sum(axis=1), 1.0)
        genre_count = np.zeros(my_genres.shape[1], dtype=np.float32)
        my_decades = self.decades[candidates]
        decade_count = np.zeros(int(self.decades.max(initial=0)) + 2, dtype=np.float32)  # last: unknown
        taken = np.zeros(len(candidates), dtype=bool)
        picked: list[int] = []
        for step in range(min(n, len(candidates))):
            shown = float(step) + 1.0
            value = ((lean_score if step < leaning else score) - w["redundant"] * redundancy
                     - w["genre_covered"] * (my_genres @ genre_count) / genre_n / shown
                     - w["decade_covered"] * decade_count[my_decades] / shown)
            value[taken] = -np.inf
            best = int(np.argmax(value))  # ties: the better-known film (pool order)
            taken[best] = True
            picked.append(best)
            redundancy = np.maximum(redundancy, np.clip(mine @ mine[best], 0.0, None))
            genre_count += my_genres[best]
            decade_count[my_decades[best]] += 1.0
        return self.rows[candidates[picked]]


def pool_for(db: sqlite_utils.Database, index: LoadedIndex) -> QuestionPool:
    """The version's question pool, built on first use and kept while the version serves."""
    def build() -> QuestionPool:
        ids, years = catalogue.years(db)
        by_row = np.full(len(index.items), np.nan)
        rows = index.rows(ids)
        known = rows >= 0
        by_row[rows[known]] = np.array([np.nan if y is None else y for y in years], dtype=np.float64)[known]
        return QuestionPool.build(index.model.item_vectors("collab"), index.popularity,
                                  index.genre_matrix, by_row)

    return index.memo.get(("onboarding", "pool"), build)


def next_films(db: sqlite_utils.Database, index: LoadedIndex, ratings: dict[int, float],
               not_seen, n: int = BATCH) -> list[int]:
    """Movie ids to ask about next, given a person's ratings (movie id -> stars) and the films
    they marked not seen; films this version does not know are left out of the answers."""
    pool = pool_for(db, index)
    rated_ids = np.array(sorted(ratings), dtype=np.int64)
    rated_rows = index.rows(rated_ids)
    stars = np.array([ratings[m] for m in rated_ids.tolist()], dtype=np.float32)
    unseen_rows = index.rows(np.array(sorted(not_seen), dtype=np.int64))
    picks = pool.next_batch(rated_rows[rated_rows >= 0], stars[rated_rows >= 0],
                            unseen_rows[unseen_rows >= 0], n)
    return index.movie_ids[picks].tolist()
