"""Genre taste: how much more a person likes each genre than people in general do, as a term of
the blend.

Co-ratings of a handful of well-known films mostly point at other well-known films, and text
embeddings of titles weigh a genre word lightly; someone who rated five westerns 5 stars still
expects westerns. A genre's taste is its lift: the share of the films the person liked that are
of the genre (star-weighted, smoothed towards the share among everyone's ratings,
`prior_ratings` films' worth) over that share among everyone's ratings, as a log, minus the
same lift among the films they disliked where that is positive, in proportion to how much of
their weight on the genre's films is dislike (one western hidden among eight is that film). A film counts for every genre
it has: five well-known romances liked are five romances, even when three are also war films
and adventures (the best-known films of most genres have four or five), so the genre they all
share stands out. A film scores the mean taste of its genres. The taste is gated by how
unlikely chance is to explain the liked films' genres: five films that all share a genre are
a statement, whatever the genre, while a handful of random picks (three dramas of five, as
everyone rates) say nothing. Each genre rises as far as its own gate opens, and at least by
`unstated_share` of the strongest: one documentary among a dozen likes has the largest lift
(documentaries are rare) but is one film. Where the ratings' times are known (in a history of up to
`run_ratings`), every run of `recent_likes` liked films rated one after another is weighed as a
statement of its own, and the strongest opens the gate: five thrillers in a row say "thrillers"
after five comedies, and still do after two more comedies, although ten or twelve likes mostly
comedies and thrillers could be chance; and the latest `recent_likes` likes count twice in the
shares. The term fades as ratings accumulate (half at `fade_ratings`), since a long history
speaks for itself. A film fewer than `evidence_ratings` people rated
rises by that fraction of it: a western one person rated is not what a western fan asked for."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from recommender.vocab import Vocabulary

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


def aligned_genre_matrix(catalogue_ids: np.ndarray, genre_lists, items: Vocabulary) -> np.ndarray:
    """The catalogue's genre matrix (ids `catalogue_ids`, one genre list each) in `items`
    order; no genre for a film the catalogue does not know."""
    _, matrix = genre_matrix(genre_lists)
    out = np.zeros((len(items), matrix.shape[1]), dtype=np.uint8)
    rows = items.index(np.asarray(catalogue_ids))
    out[rows[rows >= 0]] = matrix[rows >= 0]
    return out


def _over_represented(shares: np.ndarray, base: np.ndarray) -> np.ndarray:
    """The Bernoulli divergence (nats) of each of `shares` (..., genres) from `base` where the
    share is above it, else 0: how far an over-represented genre is from chance."""
    p = np.clip(shares, 1e-9, 1 - 1e-9)
    b = np.clip(base, 1e-9, 1 - 1e-9)
    return np.where(p > b, p * np.log(p / b) + (1 - p) * np.log((1 - p) / (1 - b)), 0.0)


def _share_rows(g: np.ndarray) -> np.ndarray:
    """Each film's genres as shares summing to 1 (a film of four genres is a quarter of each)."""
    g = np.asarray(g, dtype=np.float32)
    return g / np.maximum(g.sum(axis=1, keepdims=True), 1.0)


def _disliked_part(liked: np.ndarray, disliked: np.ndarray, of_genre: np.ndarray) -> np.ndarray:
    """(genres,) the share of the person's weight on each genre's films that is dislike (0 for
    a genre they rated nothing of): how much the disliked films' lift counts against the genre.
    One western hidden among eight rated is that film, not westerns (the lift of one film in a
    handful of dislikes is as large as seven westerns' among the likes); five horror films of
    five at 1 star say no to horror, whole."""
    on_liked, on_disliked = liked @ of_genre, disliked @ of_genre
    return np.where(on_disliked > 0, on_disliked / np.maximum(on_liked + on_disliked, 1e-12), 0.0)


class GenreTaste(OneHistoryAtATime, Model):
    kind = "genres"
    defaults = {"neutral": 2.5, "prior_ratings": 5.0, "fade_ratings": 20.0, "fade_power": 4.0,
                "surprise_from": 4.0, "surprise_full": 7.0, "evidence_ratings": 0.0,
                "recent_likes": 5, "run_ratings": 40, "unstated_share": 0.25}
    retired = frozenset({"divergence_from", "divergence_full"})  # the gate before the surprise one
    BASE_FLOOR = 1e-4  # a genre nobody rated still has a share to divide by

    def fit(self, matrix, times=None, item_vectors=None, item_genres=None):
        if item_genres is None:
            raise ValueError("genres: fit needs item_genres (items x genres, 0/1)")
        g = _share_rows(item_genres)
        if g.shape[0] != matrix.shape[1]:
            raise ValueError(f"genres: {g.shape[0]} genre rows for {matrix.shape[1]} items")
        counts = np.asarray(binary(matrix).sum(axis=0), dtype=np.float64).ravel()
        base = counts @ (g > 0) / max(counts.sum(), 1e-12)  # the share of ratings whose film is of the genre
        self.arrays = {"G": g, "base_contains": np.maximum(base, self.BASE_FLOOR).astype(np.float32),
                       "evidence": self._evidence(counts)}
        self.n_items = int(matrix.shape[1])
        return self

    def _evidence(self, counts: np.ndarray) -> np.ndarray:
        """(items,) min(1, n / k) of each film's ratings n: a film one or two people rated and
        nobody else took up rises by a fraction of its genres' taste. A film nobody rated yet
        is new, and its genres are all there is to go on: it keeps the whole."""
        k = float(self.params["evidence_ratings"])
        if k <= 0:
            return np.ones(len(counts), dtype=np.float32)
        return np.where(counts == 0, 1.0, np.minimum(1.0, counts / k)).astype(np.float32)

    def _restore(self, directory, meta, reader) -> None:
        """A version built before lifts kept genre rows scaled by 1/sqrt(count) and no base
        shares: its rows are rescaled and every genre taken as equally common. One built before
        films counted for each of their genres kept each film's genres as fractions of it."""
        super()._restore(directory, meta, reader)
        if "base" not in self.arrays and "base_contains" not in self.arrays:
            g = _share_rows(np.asarray(self.arrays["G"]) > 0)
            self.arrays = {"G": g, "base": np.full(g.shape[1], 1.0 / max(g.shape[1], 1), dtype=np.float32)}
        if "base_contains" not in self.arrays:  # genre shares of a version built before: near enough
            self.arrays["base_contains"] = self.arrays.pop("base")
        if "evidence" not in self.arrays:  # built before films were weighed by their ratings
            self.arrays["evidence"] = np.ones(self.arrays["G"].shape[0], dtype=np.float32)

    @property
    def item_genres(self) -> np.ndarray:
        return self.arrays["G"]

    def taste(self, weights: np.ndarray, genre_rows: np.ndarray, times: np.ndarray | None = None) -> np.ndarray:
        """(genres,) the taste of one history: its signed star weights, its films' genre rows
        and, where known, when each was rated (any increasing clock: the latest likes count
        twice); faded by its length."""
        base = np.asarray(self.arrays["base_contains"], dtype=np.float64)
        prior = float(self.params["prior_ratings"])
        w = np.asarray(weights, dtype=np.float64)
        of_genre = (np.asarray(genre_rows) > 0).astype(np.float64)

        def share(side: np.ndarray) -> np.ndarray:  # smoothed towards everyone's shares
            return (side @ of_genre + prior * base) / (side.sum() + prior)

        liked, disliked = np.clip(w, 0, None), np.clip(-w, 0, None)
        counted = liked.copy()
        latest = self._latest(liked, times)
        if latest is not None:  # the latest likes count twice: six sci-fi films after six children's
            counted[latest] *= 2  # films must show, though the rarer genre lifts more
        lift = np.log(share(counted) / base)
        gates = self._gates(liked, of_genre, base, times)
        statement = gates.max(initial=0.0)
        # a genre the statement did not name rises by `unstated_share` of its gate at least: one
        # documentary among a dozen likes brings a few documentaries, not none and not the feed
        unstated = float(self.params["unstated_share"]) * statement
        against = _disliked_part(counted, disliked, of_genre) * np.clip(np.log(share(disliked) / base), 0, None)
        taste = np.clip(lift, 0, None) * np.maximum(gates, unstated) + (np.clip(lift, None, 0) - against) * statement
        return taste * self._fade(len(liked))

    def statement(self, rated_rows: np.ndarray, stars: np.ndarray, times: np.ndarray | None = None) -> float:
        """0..1: how much the genres of one history's liked films say, as the taste weighs them
        (the surprise gate, faded by the history's length). The feed's calibration to those
        genres (recommender.models.calibration) reads it."""
        weights = np.clip(np.asarray(stars, dtype=np.float64) - float(self.params["neutral"]), 0, None)
        of_genre = (np.asarray(self.item_genres)[np.asarray(rated_rows, dtype=np.int64)] > 0).astype(np.float64)
        return self._strength(weights, of_genre, np.asarray(self.arrays["base_contains"], dtype=np.float64), times)

    def _strength(self, liked: np.ndarray, of_genre: np.ndarray, base: np.ndarray,
                  times: np.ndarray | None = None) -> float:
        """The gate of the genre the liked films say most about (`_gates`), times the fade with
        the history's length."""
        return float(self._gates(liked, of_genre, base, times).max(initial=0.0)) * self._fade(len(liked))

    def _fade(self, n_ratings: int) -> float:
        p, half = float(self.params["fade_power"]), float(self.params["fade_ratings"])
        return half ** p / (n_ratings ** p + half ** p)

    def _gates(self, liked: np.ndarray, of_genre: np.ndarray, base: np.ndarray,
               times: np.ndarray | None = None) -> np.ndarray:
        """(genres,) 0..1: how far each genre's surprise among the liked films (`_surprise`), or
        in a run of them where that is higher (`_run_surprise`), rules out chance. A genre's
        lift counts as far as its own gate opens: one documentary among a dozen likes has the
        largest lift of all (documentaries are rare), yet is one film, while five westerns of
        five are a statement whatever else the history holds."""
        surprise = np.maximum(self._surprise(liked, of_genre, base), self._run_surprise(liked, of_genre, base, times))
        low, high = float(self.params["surprise_from"]), float(self.params["surprise_full"])
        return np.clip((surprise - low) / (high - low), 0.0, 1.0)

    @staticmethod
    def _surprise(liked: np.ndarray, of_genre: np.ndarray, base: np.ndarray) -> np.ndarray:
        """(genres,) how over-represented each genre is among the liked films: the number of
        liked films times the divergence (Bernoulli, in nats) of the genre's share among them
        from its share among everyone's ratings, a log-likelihood ratio against "picked at
        random"."""
        films = float((liked > 0).sum())
        if films == 0:
            return np.zeros(of_genre.shape[1])
        return films * _over_represented(liked @ of_genre / liked.sum(), base)

    def said_no(self, rated_rows: np.ndarray, liked: np.ndarray, disliked: np.ndarray,
                item_rows: np.ndarray) -> np.ndarray:
        """(len(item_rows),) bool: which of `item_rows` are of a genre one history said no to
        and of none it likes. A history (`rated_rows`, with `liked` and `disliked` masks over
        them) says no to a genre when its disliked films have it so much more often than
        everyone's ratings do that chance cannot explain it (their surprise, as the gate reads
        the liked films, at `surprise_full`) and its liked films no more often than everyone's:
        eight dramas at 1 star is "no dramas", three horror films among thirty dislikes are not.
        A film also of a genre the liked films have more often than everyone's is spared: a
        western fan who said no to dramas still gets Dances with Wolves."""
        out = np.zeros(len(item_rows), dtype=bool)
        disliked = np.asarray(disliked, dtype=bool)
        if not disliked.any():
            return out
        base = np.asarray(self.arrays["base_contains"], dtype=np.float64)
        of_rated = np.asarray(self.item_genres)[np.asarray(rated_rows, dtype=np.int64)] > 0
        surprise = disliked.sum() * _over_represented(of_rated[disliked].mean(axis=0), base)
        liked = np.asarray(liked, dtype=bool)
        liked_share = of_rated[liked].mean(axis=0) if liked.any() else np.zeros_like(base)
        no = (surprise >= float(self.params["surprise_full"])) & (liked_share <= base)
        if not no.any():
            return out
        of_items = np.asarray(self.item_genres)[np.asarray(item_rows, dtype=np.int64)] > 0
        return of_items[:, no].any(axis=1) & ~of_items[:, liked_share > base].any(axis=1)

    def weighs_runs(self, n_ratings: int) -> bool:
        """Whether runs of likes count in a history of `n_ratings`: up to `run_ratings`, past
        which the term has mostly faded and a run of five says little beside the rest (and
        serving need not read the times of a long history)."""
        return int(self.params["recent_likes"]) > 0 and n_ratings <= float(self.params["run_ratings"])

    def _timed_likes(self, liked: np.ndarray, times: np.ndarray | None) -> tuple[np.ndarray, np.ndarray] | None:
        """(positions, times) of the liked films (weights > 0), oldest first, or None: times
        unknown, a history past `run_ratings` (`weighs_runs`), or no more liked films than a
        run of `recent_likes`."""
        likes = np.flatnonzero(liked > 0)
        if times is None or not self.weighs_runs(len(liked)) or len(likes) <= int(self.params["recent_likes"]):
            return None
        t = np.asarray(times, dtype=np.float64)[likes]
        order = np.argsort(t, kind="stable")
        return likes[order], t[order]

    def _latest(self, liked: np.ndarray, times: np.ndarray | None) -> np.ndarray | None:
        """Positions of the `recent_likes` liked films rated last, or None (`_timed_likes`).
        Films rated in the same instant as the newest one left out are left out too (a batch
        of answers has no order within it), so there may be fewer."""
        timed = self._timed_likes(liked, times)
        if timed is None:
            return None
        likes, t = timed
        return likes[t > t[-(int(self.params["recent_likes"]) + 1)]]

    def latest_likes(self, liked: np.ndarray, times: np.ndarray | None) -> np.ndarray | None:
        """Positions of the `recent_likes` liked films rated last (`liked`: a mask over one
        history's films), or None when the times do not tell (`_latest`)."""
        return self._latest(np.asarray(liked, dtype=np.float64), times)

    def _run_surprise(self, liked: np.ndarray, of_genre: np.ndarray, base: np.ndarray,
                      times: np.ndarray | None) -> np.ndarray:
        """(genres,) `_surprise` in the run most over-represented in each genre: every
        `recent_likes` liked films rated one after another. Ratings made in the same instant (a
        batch of answers) have no order among them, so a run holds all of them or none. 0
        without timed likes (`_timed_likes`)."""
        none = np.zeros(of_genre.shape[1])
        timed = self._timed_likes(liked, times)
        if timed is None:
            return none
        likes, t = timed
        n = int(self.params["recent_likes"])
        later = np.concatenate([[True], t[1:] > t[:-1], [True]])  # a run may start or end at each True
        whole = later[:-n] & later[n:]  # runs starting at i: films i .. i + n - 1
        if not whole.any():
            return none
        w = liked[likes]
        weighted = np.vstack([np.zeros((1, of_genre.shape[1])), np.cumsum(of_genre[likes] * w[:, None], axis=0)])
        total = np.concatenate([[0.0], np.cumsum(w)])
        shares = (weighted[n:] - weighted[:-n])[whole] / (total[n:] - total[:-n])[whole, None]
        return n * _over_represented(shares, base).max(axis=0)

    def score_one(self, rated_rows: np.ndarray, stars: np.ndarray, times: np.ndarray | None = None) -> np.ndarray:
        """(items,) scores of one history of distinct rows, their stars and (where known) the
        times they were rated: a rise weighed by the film's evidence, a fall in full."""
        g = np.asarray(self.item_genres)
        weights = np.asarray(stars, dtype=np.float64) - float(self.params["neutral"])
        taste = self.taste(weights, g[np.asarray(rated_rows, dtype=np.int64)], times)
        scores = g @ taste.astype(np.float32)
        return np.where(scores > 0, scores * self.arrays["evidence"], scores).astype(np.float32)
