"""Genre taste: how much more a person likes each genre than people in general do, as a term of
the blend.

Co-ratings of a handful of well-known films mostly point at other well-known films, and text
embeddings of titles weigh a genre word lightly; someone who rated five westerns 5 stars still
expects westerns. A genre's taste is its lift: the share of genre among the films the person
liked (star-weighted, smoothed towards the share among everyone's ratings, `prior_ratings`
films' worth) over that share among everyone's ratings, as a log, minus the same lift among
the films they disliked where that is positive. A film scores the mean taste of its genres.
Five random well-known films say little (lifts near 0), five westerns a lot; the term fades
as ratings accumulate (half at `fade_ratings`), since a long history speaks for itself."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .base import Model, OneHistoryAtATime, binary


def genre_matrix(genre_lists: Iterable[Iterable[str]]) -> tuple[list[str], np.ndarray]:
    """(sorted genre names, items x genres 0/1 uint8) from each item's genre list."""
    lists = [list(g) for g in genre_lists]
    names = sorted({g for gs in lists for g in gs})
    column = {g: j for j, g in enumerate(names)}
    matrix = np.zeros((len(lists), len(names)), dtype=np.uint8)
    for row, gs in enumerate(lists):
        matrix[row, [column[g] for g in gs]] = 1
    return names, matrix


def _share_rows(g: np.ndarray) -> np.ndarray:
    """Each film's genres as shares summing to 1 (a film of four genres is a quarter of each)."""
    g = np.asarray(g, dtype=np.float32)
    return g / np.maximum(g.sum(axis=1, keepdims=True), 1.0)


class GenreTaste(OneHistoryAtATime, Model):
    kind = "genres"
    defaults = {"neutral": 2.5, "prior_ratings": 5.0, "fade_ratings": 20.0, "fade_power": 4.0,
                "divergence_from": 0.25, "divergence_full": 0.6}
    BASE_FLOOR = 1e-4  # a genre nobody rated still has a share to divide by

    def fit(self, matrix, times=None, item_vectors=None, item_genres=None):
        if item_genres is None:
            raise ValueError("genres: fit needs item_genres (items x genres, 0/1)")
        g = _share_rows(item_genres)
        if g.shape[0] != matrix.shape[1]:
            raise ValueError(f"genres: {g.shape[0]} genre rows for {matrix.shape[1]} items")
        counts = np.asarray(binary(matrix).sum(axis=0), dtype=np.float64).ravel()
        base = counts @ g
        base = base / max(base.sum(), 1e-12)
        self.arrays = {"G": g, "base": np.maximum(base, self.BASE_FLOOR).astype(np.float32)}
        self.n_items = int(matrix.shape[1])
        return self

    def _restore(self, directory, meta, reader) -> None:
        """A version built before lifts kept genre rows scaled by 1/sqrt(count) and no base
        shares: its rows are rescaled and every genre taken as equally common."""
        super()._restore(directory, meta, reader)
        if "base" not in self.arrays:
            g = _share_rows(np.asarray(self.arrays["G"]) > 0)
            self.arrays = {"G": g, "base": np.full(g.shape[1], 1.0 / max(g.shape[1], 1), dtype=np.float32)}

    @property
    def item_genres(self) -> np.ndarray:
        return self.arrays["G"]

    def taste(self, weights: np.ndarray, genre_rows: np.ndarray) -> np.ndarray:
        """(genres,) the taste of one history: its signed star weights and its films' genre
        shares; faded by the history's length."""
        base = np.asarray(self.arrays["base"], dtype=np.float64)
        prior = float(self.params["prior_ratings"])
        w = np.asarray(weights, dtype=np.float64)
        rows = np.asarray(genre_rows, dtype=np.float64)

        def share(side: np.ndarray) -> np.ndarray:  # smoothed towards everyone's shares
            return (side @ rows + prior * base) / (side.sum() + prior)

        liked = share(np.clip(w, 0, None))
        taste = np.log(liked / base) - np.clip(np.log(share(np.clip(-w, 0, None)) / base), 0, None)
        p, half = float(self.params["fade_power"]), float(self.params["fade_ratings"])
        return taste * self._confidence(liked, base) * half ** p / (len(w) ** p + half ** p)

    def _confidence(self, liked_share: np.ndarray, base: np.ndarray) -> float:
        """0..1: how far the liked films' genre shares stand from everyone's (their divergence,
        in nats), beyond what a handful of films picked at random already shows."""
        divergence = float((liked_share * np.log(liked_share / base)).sum())
        low, high = float(self.params["divergence_from"]), float(self.params["divergence_full"])
        return float(np.clip((divergence - low) / (high - low), 0.0, 1.0))

    def score_one(self, rated_rows: np.ndarray, stars: np.ndarray) -> np.ndarray:
        """(items,) scores of one history of distinct rows and their stars."""
        g = np.asarray(self.item_genres)
        weights = np.asarray(stars, dtype=np.float64) - float(self.params["neutral"])
        taste = self.taste(weights, g[np.asarray(rated_rows, dtype=np.int64)])
        return g @ taste.astype(np.float32)
