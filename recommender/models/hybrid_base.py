"""The skeleton of both serving hybrids (recommender.models.hybrid for catalogues whose items x
items matrices fit in memory, recommender.models.factor_hybrid beyond): warmth, the blend,
"movies like X", its stored lists, vectors for FAISS and persistence. A subclass supplies only
its collaborative term: the parts it fits, how they blend, and how alike two movies' co-ratings
are.

score = collab(a(n)) + w_liked Liked - w_dislike Disliked + w_quality Quality + w_genre Genres
        + w_stars Stars + w_content Content + (1 - a(n)) (w_peers Peers + w_pop_cold Popularity)
        - (1 - a(n))^2 w_avoid Avoid,
        a(n) = n^g / (n^g + half_ratings^g)

Ratings are preferences (recommender.models.preferences): Liked is what the user's liked films
predict, Disliked what their disliked films (and those they marked "not interested") predict,
pushed down; Genres (the genres the stars say they like) steers the feed of someone with few
ratings; Peers (what people whose liked films resemble theirs liked) serves them too; Stars
(the stars a rating model predicts for the user) keeps films they would rate low down; Avoid
(the films nearest to one they disliked, recommender.models.avoid) keeps a newcomer's "no"
from being overruled by what everyone else likes; Content
is signed by stars; Quality (how well liked a film is) breaks ties. Each term is divided by its
row maximum. n is the number of movies the user rated: a new user
leans on what the subclass's collaborative term makes of few ratings and on popularity.
"Movies like X" blends standardised co-rating, text and genre similarity and shared titles
(recommender.models.item_similarity): text weighs more the fewer ratings X has, a shared
title always counts. The list of every movie, and the evidence its reasons cite, are computed
when the model is fitted and saved with it: serving reads a row.
"""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import ClassVar

import faiss
import numpy as np
import scipy.sparse as sp

from recommender.vectors import faiss_io

from . import calibration, item_similarity, preferences
from .base import Model, ServingModel, nearest_kin_first, row_max_normalise, top_k
from .content import ContentModel
from .genres import GenreTaste
from .popularity import Popularity, Quality

log = logging.getLogger(__name__)

SOURCE_CORATING, SOURCE_CONTENT, SOURCE_SERIES = 0, 1, 2
BECAUSE_PEERS = -2  # feed_explained's cause of a pick that people like the user raised most
SIMILAR_BLOCK = 4096  # movies whose candidates are looked up at once when storing the lists
# the calibration reorders a whole feed, so it wants a clearer statement than the genre term:
# its strength is also the focus of the liked films (calibration.focus) to this power (three
# random films of five sharing a genre count an eighth; five dramas, all). Set on the cold
# split's four seeds and the personas (README)
CALIBRATION_FOCUS_POWER = 4.0


def warmth(n: np.ndarray, params: dict) -> np.ndarray:
    """a(n) = n^g / (n^g + h^g): 0 with no ratings, 1/2 at h ratings, then towards 1."""
    g = float(params["warmth_power"])
    n = np.asarray(n, dtype=np.float64) ** g
    return (n / (n + float(params["half_ratings"]) ** g)).astype(np.float32)


def genre_taste(params: dict) -> GenreTaste:
    """The unfitted genre-taste term with the hybrid's share of `params`."""
    return GenreTaste(evidence_ratings=params["genre_evidence_ratings"])


class HybridBase(ServingModel):
    """Parts in `self.parts` ("popularity", "content" when text vectors were given, and the
    subclass's collaborative parts); arrays in `self.arrays` (the stored similar lists, and
    whatever the subclass precomputes); approximate indices in `self.indices`."""

    defaults: ClassVar[dict] = {
        "w_content": 0.1, "w_pop_cold": 0.1, "half_ratings": 12.0, "warmth_power": 4.0,
        "w_liked": 0.0, "w_dislike": 0.0, "w_quality": 0.0, "w_genre": 0.0, "w_peers": 0.0,
        "w_stars": 0.0, "w_avoid": 0.0, "similar_lists": 25,
        # a film fewer people rated rises by genre in proportion (GenreTaste "evidence_ratings"):
        # a western one person rated is no answer to a western fan. Set on what a person sees
        # (tests/test_personas_ml100k.py), not tuned: more is popularity, which the protocol rewards
        "genre_evidence_ratings": 20.0,
        # the feed's kinds of film in the proportions of the liked films' (recommender.models.
        # calibration) after the best-scored few, picked from the best-scored candidates, as
        # strongly as those genres are a statement (GenreTaste.statement: a handful of random
        # picks say nothing) and for newcomers (a long history's scores know its kinds). Set on
        # what a person sees (a one-genre fan), not tuned: 0 switches it off
        "calibration": 19.0, "calibration_candidates": 200, "calibration_lead": 5,
        # read by nothing since item_similarity; kept so that a version saved with them still loads
        "similar_half_ratings": 20.0, "similar_text_floor": 0.4,
        **item_similarity.DEFAULTS,
    }
    INDEX_FILES: ClassVar[dict[str, str]] = {}  # space -> file, for indices the model saves itself
    retired: ClassVar[frozenset[str]] = frozenset({"sim_adjusted"})  # the adjusted cosine, before sim_taste

    def __init__(self, **params):
        super().__init__(**params)
        self.parts: dict[str, Model] = {}
        self.indices: dict[str, faiss.Index] = {}  # every one answers with item rows
        self.index_info: dict[str, dict] = {}

    # -- what a subclass supplies ------------------------------------------------------------
    def _fit_collab(self, matrix, times, item_vectors, **kw) -> dict[str, Model]:
        """The fitted collaborative parts."""
        raise NotImplementedError

    @classmethod
    def _collab_blend(cls, parts: dict[str, np.ndarray], a: np.ndarray, params: dict) -> np.ndarray:
        """The collaborative term from row-normalised part scores and warmth `a` (column)."""
        raise NotImplementedError

    def _corating_similarity(self, item_row: int, rows: np.ndarray) -> np.ndarray:
        """How alike the co-ratings of `rows` and of `item_row` are (>= 0, any scale)."""
        raise NotImplementedError

    def _similar_candidates(self, item_rows: np.ndarray, wanted: int) -> np.ndarray | None:
        """(len(item_rows), m) candidate rows for "movies like" each of them (-1: none), or
        None when every movie is a candidate."""
        return None

    def _stores_similar_lists(self) -> bool:
        return True

    def _collab_item_vectors(self) -> np.ndarray:
        raise NotImplementedError

    def _collab_user_vectors(self, histories) -> np.ndarray:
        raise NotImplementedError

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, matrix, times=None, item_vectors=None, item_genres=None, item_titles=None,
            item_genre_lists=None, **kw):
        """Fit every part, then precompute what serving reads (the stored similar lists, and the
        subclass's `_precompute`), so that loading a saved model computes nothing.
        `item_genres`: items x genres 0/1, for the genre-taste term (and what the subclass's
        collaborative parts make of it); `item_titles` (as published, "Alien (1979)") and
        `item_genre_lists`: for "movies like X" (series, artefacts)."""
        self.arrays = {}
        self.parts = {**self._fit_collab(matrix, times, item_vectors, item_genres=item_genres, **kw),
                      "popularity": Popularity().fit(matrix), "quality": Quality().fit(matrix)}
        if item_vectors is not None:
            self.parts["content"] = ContentModel().fit(matrix, item_vectors=item_vectors)
        if item_genres is not None:
            self.parts["genres"] = genre_taste(self.params).fit(matrix, item_genres=item_genres)
        self.n_items = int(matrix.shape[1])
        self._precompute(**kw)
        self._fit_similarity(matrix, item_titles, item_genre_lists)
        if self._stores_similar_lists():
            self._store_similar_lists(matrix)
        return self

    def _precompute(self, **kw) -> None:
        """Arrays serving needs that follow from the fitted parts (none by default)."""

    # -- scoring -----------------------------------------------------------------------------
    def warmth(self, histories) -> np.ndarray:
        """a(n) per history row: 0 for no ratings, towards 1 for many."""
        n = np.diff(sp.csr_matrix(histories).indptr).astype(np.float32)
        return warmth(n, self.params)

    def components(self, histories) -> dict[str, np.ndarray]:
        """Each term's scores as the blend takes them (`part_scores`), every term reading the
        part and the side of the histories (all, liked, disliked) that READS names."""
        h = self._check(histories)
        sides = preferences.sides(h)
        out = {}
        for name in self.BLENDED:
            part, side = self.READS.get(name, (name, "all"))
            if part in self.parts:
                out[name] = self.part_scores(name, self.parts[part], sides[side])
        return out

    BLENDED: ClassVar[tuple[str, ...]] = ("content", "genres", "popularity", "quality")
    # term -> (part, side of the history: all, liked, disliked, or kept = all but the disliked);
    # default (term, "all")
    READS: ClassVar[dict[str, tuple[str, str]]] = {}
    PRIORS = ("popularity", "quality")  # the same for every user, already 0..1
    SELF_SCALED = PRIORS + ("genres", "stars", "avoid")  # on the blend's scale as they come

    @classmethod
    def part_scores(cls, name: str, part: Model, histories) -> np.ndarray:
        """A term's scores on the blend's scale: each row divided by its largest |score|, but
        the priors."""
        scores = part.score(histories)
        return scores if name in cls.SELF_SCALED else row_max_normalise(scores)

    @classmethod
    def blend(cls, parts: dict[str, np.ndarray], warmth: np.ndarray, params: dict) -> np.ndarray:
        """The score from the parts' scores (`part_scores`) and each history's warmth: serving,
        tuning and evaluation all blend through here."""
        a = warmth[:, None]
        s = cls._collab_blend(parts, a, params)
        for name, weight in (("liked", params["w_liked"]), ("dislike", -params["w_dislike"]),
                             ("quality", params["w_quality"])):
            if name in parts and weight:
                s = s + weight * parts[name]
        if "genres" in parts and params["w_genre"]:
            s = s + params["w_genre"] * parts["genres"]
        if "stars" in parts and params["w_stars"]:
            s = s + params["w_stars"] * parts["stars"]
        if "content" in parts and params["w_content"]:
            s = s + params["w_content"] * parts["content"]
        if "peers" in parts and params["w_peers"]:
            s = s + (1 - a) * params["w_peers"] * parts["peers"]
        if "avoid" in parts and params["w_avoid"]:  # faded faster: a long history says no in every term
            s = s - (1 - a) ** 2 * params["w_avoid"] * parts["avoid"]
        if params["w_pop_cold"]:
            s = s + (1 - a) * params["w_pop_cold"] * parts["popularity"]
        return s.astype(np.float32)

    def score(self, histories):
        h = self._check(histories)
        return self.blend(self.components(h), self.warmth(h), self.params)

    # -- the feed: the best-scored candidates, calibrated ------------------------------------
    @staticmethod
    def _unique(rated_rows: np.ndarray, stars: np.ndarray | None, times: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Sorted distinct rows, their stars (default: every one a like) and their times (None
        when unknown)."""
        rows, first = np.unique(np.asarray(rated_rows, dtype=np.int64), return_index=True)
        stars = (np.full(len(rows), preferences.LIKED_STARS, dtype=np.float32) if stars is None
                 else np.asarray(stars, dtype=np.float32)[first])
        return rows, stars, None if times is None else np.asarray(times, dtype=np.float64)[first]

    def reads_times(self, n_ratings: int) -> bool:
        """The genre term and the calibration weigh runs of likes in a short history
        (GenreTaste.weighs_runs)."""
        genres = self.parts.get("genres")
        return genres is not None and genres.weighs_runs(n_ratings)

    def _candidates_for(self, k: int) -> int:
        """How many of the best-scored films the feed of k is made from (`_calibrated`)."""
        return max(int(self.params["calibration_candidates"]), k) if self.params["calibration"] else k

    def _calibrated(self, rated: np.ndarray, stars: np.ndarray, times: np.ndarray | None, top: np.ndarray,
                    scores: np.ndarray, k: int) -> np.ndarray:
        """Positions in `top` (candidates, best first, with their `scores`) of the feed of k for
        the history of distinct `rated` rows, their `stars` and `times`: the films of a genre
        the person said no to (GenreTaste.said_no) after every other candidate, the others in
        the calibrated order (`_in_proportion`). "None of that genre unless they also liked
        it": the scores push such films down, yet everyone else's taste can lift a drama
        everyone loves over the dislikes of a person who said no to dramas."""
        genres = self.parts.get("genres")
        liked, disliked = preferences.masks_of(stars)
        no = genres.said_no(rated, liked, disliked, top) if genres is not None else np.zeros(len(top), dtype=bool)
        if not no.any():
            return self._in_proportion(rated, stars, liked, times, top, scores, k)
        order = np.concatenate([np.flatnonzero(~no), np.flatnonzero(no)])
        return order[self._in_proportion(rated, stars, liked, times, top[order], scores[order], k)]

    def _in_proportion(self, rated: np.ndarray, stars: np.ndarray, liked: np.ndarray, times: np.ndarray | None,
                       top: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
        """`_calibrated`'s order of the candidates no genre said no to (`liked`: the liked mask
        of `stars`): the best-scored lead, the rest calibrated to the genres the liked films
        have more than everyone's ratings do (recommender.models.calibration), as strongly as those genres are a statement
        (GenreTaste.statement) and as focused as the liked films are (`calibration.focus`, to
        CALIBRATION_FOCUS_POWER), faded with more ratings ((1 - warmth)^2: the cube turned a
        dozen likes of comedies and thrillers into a feed of dramas everyone rates). Where the
        times say which likes came last (GenreTaste.latest_likes), the latest run and the likes
        before it are two statements with an equal say (fewer likes before it than the run
        holds, a smaller one): within one target the rarer genre's lift wins, so five dramas
        after five horror films hardly showed, nor five dramas before them. The first k as
        they are without a genre part or a liked film."""
        weight = float(self.params["calibration"])
        genres = self.parts.get("genres")
        as_ranked = np.arange(min(k, len(top)))
        if not weight or genres is None or not len(rated):
            return as_ranked
        shares = np.asarray(genres.item_genres)
        base = genres.arrays["base_contains"]
        latest = genres.latest_likes(liked, times)
        statements = [(rated[liked], 1.0)]  # (the liked rows of a statement, its say)
        if latest is not None:
            earlier = liked.copy()
            earlier[latest] = False
            statements = [(rated[earlier], min(1.0, earlier.sum() / len(latest))), (rated[latest], 1.0)]
        p = calibration.mixed([(calibration.target(shares[rows], base), say) for rows, say in statements])
        if p is None:
            return as_ranked
        new = 1.0 - float(warmth(np.array([len(rated)]), self.params)[0])
        focus = calibration.focus([shares[rows] for rows, _ in statements])
        weight *= genres.statement(rated, stars, times) * focus ** CALIBRATION_FOCUS_POWER * new ** 2
        # the best `calibration_candidates` in the calibrated order, then the rest as scored: the
        # same order however long the list asked, so every page of a feed is a slice of it
        pool = min(int(self.params["calibration_candidates"]), len(top))
        # a film fewer people rated counts for its genres in proportion, as in the genre term: a
        # noir one person rated is not what a noir fan asked for
        of_top = shares[top[:pool]] * np.asarray(genres.arrays["evidence"])[top[:pool], None]
        picked = calibration.rerank(scores[:pool], of_top, p, min(k, pool), weight,
                                    int(self.params["calibration_lead"]))
        return np.concatenate([picked, np.arange(pool, min(k, len(top)))])

    def _ranked(self, rated_rows: np.ndarray, k: int, allowed: np.ndarray, stars: np.ndarray | None = None,
                times: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The k best-scored allowed rows and their scores (Model.feed_top by default, whose
        scores read no times; a subclass may know a cheaper search, or read them)."""
        return Model.feed_top(self, rated_rows, k, allowed, stars)

    def feed_top(self, rated_rows: np.ndarray, k: int, allowed: np.ndarray,
                 stars: np.ndarray | None = None, times: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The feed of k: the best-scored candidates (`_ranked`), calibrated."""
        top, scores = self._ranked(rated_rows, self._candidates_for(k), allowed, stars, times)
        keep = self._calibrated(*self._unique(rated_rows, stars, times), top, scores, k)
        return top[keep], scores[keep]

    def recommend(self, histories, k: int = 10, exclude_seen: bool = True) -> np.ndarray:
        """Model.recommend, each user's list calibrated as their feed is (evaluation scores
        what a person sees)."""
        h = self._check(histories)
        scores = self.score(h)
        pool = top_k(scores, h if exclude_seen else None, self._candidates_for(k))
        out = pool[:, :k].copy()
        for u in range(h.shape[0]):
            cells = slice(h.indptr[u], h.indptr[u + 1])
            rated, stars, _ = self._unique(h.indices[cells], h.data[cells])
            candidates = pool[u] if not exclude_seen else pool[u][~np.isin(pool[u], rated)]
            keep = self._calibrated(rated, stars, None, candidates, scores[u, candidates], k)
            out[u, :len(keep)] = candidates[keep]
        return out

    # -- movies like X -----------------------------------------------------------------------
    def similar_items(self, item_row: int, k: int = 10, exclude=None):
        """(rows, scores, source), best first, never `item_row` nor a row of `exclude`; source
        0 = co-rating, 1 = content. The stored list when it answers (no exclusions, k within it)."""
        stored = self.arrays.get("similar_rows")
        excluded = np.zeros(self.n_items, dtype=bool)
        if exclude is not None:
            excluded[np.asarray(exclude, dtype=np.int64)] = True
        if stored is not None and k <= stored.shape[1]:
            rows = np.asarray(stored[item_row], dtype=np.int64)
            keep = np.flatnonzero(rows >= 0)
            keep = keep[~excluded[rows[keep]]]
            if len(keep) >= k or (exclude is None and len(keep) == len(rows[rows >= 0])):
                keep = keep[:k]  # the stored top k of the allowed rows: what ranking them would give
                return (rows[keep], np.asarray(self.arrays["similar_scores"][item_row])[keep],
                        np.asarray(self.arrays["similar_source"][item_row], dtype=np.int64)[keep])
        pools = self._similar_candidates(np.array([item_row]), self._wanted(k))
        return self._rank(item_row, None if pools is None else pools[0], k, excluded)

    def _wanted(self, k: int) -> int:
        return max(int(self.params.get("similar_candidates", 0)), 4 * k)

    def _rank(self, item_row: int, pool: np.ndarray | None, k: int, excluded: np.ndarray | None):
        """The k best of `pool` (None: every movie) as neighbours of `item_row`, none excluded;
        when fewer than k candidates are left (a genre filter), every allowed movie competes."""
        everyone = np.arange(self.n_items) if excluded is None else np.flatnonzero(~excluded)
        if pool is None:
            rows = everyone
        else:
            rows = np.unique(pool)
            rows = rows[rows >= 0]
            if excluded is not None:
                rows = rows[~excluded[rows]]
            if len(rows[rows != item_row]) < k:
                rows = everyone
        series = self._series()
        if pool is not None and series is not None:  # a shared title is a candidate wherever it ranks
            same = series.indices[series.indptr[item_row]:series.indptr[item_row + 1]]
            rows = np.union1d(rows, same[~excluded[same]] if excluded is not None else same)
        rows = rows[rows != item_row]
        same = self.arrays.get("same_film")
        if same is not None:  # one copy of a film listed twice, and never X under its other id
            rows = rows[(same[rows] == rows) & (same[rows] != same[item_row])]
        score, collab, text, shared, kind, lifted = self._similar_blend(item_row, rows)
        artefact = self.arrays.get("similar_artefact")
        if artefact is not None and len(score):  # never ahead of a real film
            score = np.where(artefact[rows] > 0, np.minimum(score, score.min()) - 1.0, score)
        order = np.argsort(-score, kind="stable")[:k]  # equal scores in row order
        source = item_similarity.sources(collab[order], text[order], shared[order], kind[order], lifted[order])
        return rows[order].astype(np.int64), score[order].astype(np.float32), source.astype(np.int64)

    def _similar_blend(self, item_row: int, rows: np.ndarray):
        """(score, co-rating part, text part, series row, kind part, lifted by X's kind) of `rows` as neighbours of
        `item_row`: item_similarity.blend of the co-rating, text and genre rows standardised over
        the catalogue (`_similar_stats`), the shared-title row and which rows are of X's kind."""
        n = float(self.parts["popularity"].counts[item_row])
        z = {}
        for space in self._similar_spaces():
            values = np.asarray(self._similarity(space, item_row, rows), dtype=np.float32)
            z[space] = item_similarity.standardise(values, *self._similar_stats(space, item_row))
        shared = item_similarity.series_row(self._series(), item_row, rows)
        kind = item_similarity.kind_rows(self.arrays.get("similar_genres"), item_row, rows)
        score, collab, text, _, genre, lifted = item_similarity.blend(
            z["collab"], z.get("content"), z.get("genres"), shared, n, self.params, kind)
        return score, collab, text, np.zeros_like(score) if shared is None else shared, genre, lifted

    def _similar_spaces(self) -> list[str]:
        """The signals this model has: co-ratings, and text and genres when it was given them."""
        return ["collab"] + (["content"] if "content" in self.parts else []) + (
            ["genres"] if "similar_genres" in self.arrays and self.params["sim_genre"] else [])

    def _similarity(self, space: str, item_row: int, rows: np.ndarray) -> np.ndarray:
        """`rows`' similarity to `item_row` in one space: co-ratings, text or genres (cosine)."""
        if space == "collab":
            return self._corating_similarity(item_row, rows)
        if space == "content":
            return self._text_similarity(item_row, rows)
        g = self.arrays["similar_genres"]
        return np.asarray(g[rows]) @ np.asarray(g[item_row])

    def _similar_stats(self, space: str, item_row: int) -> tuple[float, float]:
        """(mean, sd) of `item_row`'s row in `space` over the catalogue, itself left out; a
        subclass may know them without computing the row."""
        return item_similarity.row_stats(self._similarity(space, item_row, np.arange(self.n_items)), item_row)

    def _series(self):
        """The shared-title matrix (item_similarity.series_matrix) when the model has one."""
        if "series_indptr" not in self.arrays:
            return None
        cached = getattr(self, "_series_matrix", None)
        if cached is None or cached[0] is not self.arrays["series_indptr"]:
            m = sp.csr_matrix((self.arrays["series_values"], self.arrays["series_indices"],
                               self.arrays["series_indptr"]), shape=(self.n_items, self.n_items))
            cached = self._series_matrix = (self.arrays["series_indptr"], m)
        return cached[1]

    def _fit_similarity(self, matrix, item_titles, item_genre_lists) -> None:
        """What "movies like X" reads besides the parts: the shared-title matrix, which films
        are catalogue artefacts, genre vectors, and the subclass's co-rating arrays
        (`_fit_corating`)."""
        if item_titles is not None:
            series = item_similarity.series_matrix(list(item_titles))
            self.arrays.update(series_indptr=series.indptr.astype(np.int64),
                               series_indices=series.indices.astype(np.int32),
                               series_values=series.data.astype(np.float32))
            self.arrays["similar_artefact"] = item_similarity.artefacts(
                item_titles, item_genre_lists, self.parts["popularity"].counts).astype(np.uint8)
            self.arrays["same_film"] = item_similarity.same_film(list(item_titles), self.parts["popularity"].counts)
        if item_genre_lists is not None:
            self.arrays["similar_genres"] = item_similarity.genre_vectors(list(item_genre_lists))
        self._fit_corating(matrix)

    def _fit_corating(self, matrix) -> None:
        """Arrays behind `_corating_similarity` that need the ratings (none by default)."""

    def similar_evidence(self, item_row: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """(how many who loved X rated each row, their mean stars) where the stored list of
        `item_row` holds the row (0 where it does not), or None for a model without them."""
        stored, counts = self.arrays.get("similar_rows"), self.arrays.get("similar_evidence_count")
        if stored is None or counts is None:
            return None
        rows = np.asarray(rows, dtype=np.int64)
        listed = stored[item_row]
        if len(rows) <= len(listed) and np.array_equal(listed[:len(rows)], rows):  # the list's head (most calls)
            return (np.asarray(counts[item_row, :len(rows)], dtype=np.int64),
                    np.asarray(self.arrays["similar_evidence_mean"][item_row, :len(rows)], dtype=np.float32))
        match = rows[:, None] == np.asarray(listed, dtype=np.int64)[None, :]
        found, at = match.any(axis=1), match.argmax(axis=1)  # rows are distinct and never -1
        n = np.where(found, np.asarray(counts[item_row])[at], 0)
        mean = np.where(found, np.asarray(self.arrays["similar_evidence_mean"][item_row])[at], 0.0)
        return n.astype(np.int64), mean.astype(np.float32)

    def _text_similarity(self, item_row: int, rows: np.ndarray) -> np.ndarray:
        """Cosine of the text embeddings of `rows` to `item_row`'s."""
        e = self.item_vectors("content")
        return np.asarray(e[rows]) @ np.asarray(e[item_row])

    def _store_similar_lists(self, matrix=None) -> None:
        """similar_items(row, similar_lists) of every row, candidates looked up in blocks, and
        with `matrix` (the ratings) the evidence of each listed film (`similar_evidence`), up to
        item_similarity.EVIDENCE_MAX_ITEMS movies."""
        length = min(int(self.params["similar_lists"]), self.n_items - 1)
        if length <= 0:
            return
        started = time.perf_counter()
        rows = np.full((self.n_items, length), -1, dtype=np.int32)
        scores = np.full((self.n_items, length), -np.inf, dtype=np.float32)
        source = np.zeros((self.n_items, length), dtype=np.uint8)
        for start in range(0, self.n_items, SIMILAR_BLOCK):
            block = np.arange(start, min(start + SIMILAR_BLOCK, self.n_items))
            pools = self._similar_candidates(block, self._wanted(length))
            for i, item in enumerate(block):
                top, top_scores, top_source = self._rank(int(item), None if pools is None else pools[i],
                                                         length, None)
                rows[item, :len(top)], scores[item, :len(top)], source[item, :len(top)] = top, top_scores, top_source
        self.arrays.update(similar_rows=rows, similar_scores=scores, similar_source=source)
        if matrix is not None and self.n_items <= item_similarity.EVIDENCE_MAX_ITEMS:
            count, mean = item_similarity.evidence_lists(matrix, rows)
            self.arrays.update(similar_evidence_count=count, similar_evidence_mean=mean)
        log.info("%d similar movies stored for each of %d movies in %.1fs", length, self.n_items,
                 time.perf_counter() - started)

    # -- vectors for FAISS -------------------------------------------------------------------
    def item_vectors(self, space: str = "collab") -> np.ndarray:
        """Unit item rows: "collab" (the collaborative term's factors) or "content" (text)."""
        if space == "collab":
            return self._collab_item_vectors()
        return np.asarray(self.parts["content"].item_vectors)

    def user_vectors(self, histories, space: str = "collab") -> np.ndarray:
        """Unit user profiles in the same space as `item_vectors(space)`."""
        if space == "collab":
            return self._collab_user_vectors(histories)
        return self.parts["content"].profiles(histories)

    def attach_index(self, space: str, index: faiss.Index) -> None:
        """Search `index` (an IndexIDMap2 keyed by item ids in row order, as the version's
        content.faiss) for `space`: one copy serves the model and the version."""
        self.indices[space] = faiss_io.by_rows(index, self.n_items)

    # -- persistence -------------------------------------------------------------------------
    def save(self, directory, shared: dict[str, str] | None = None) -> Path:
        """Parts in sub-folders, arrays as .npy, own indices as .faiss. `shared`: {space: file
        name} of indices the index version keeps beside this folder (not written twice;
        recommender.serving.index attaches them at load)."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        for name, part in self.parts.items():
            part.save(d / name)
        for name, array in self.arrays.items():
            np.save(d / f"{name}.npy", np.ascontiguousarray(array))
        shared = {**self.shared_index_files, **(shared or {})}
        for space, index in self.indices.items():
            if space not in shared:
                faiss_io.save(index, d / self.INDEX_FILES[space])
        meta = {"kind": self.kind, "params": self.params, "n_items": self.n_items,
                "arrays": sorted(self.arrays), "parts": sorted(self.parts),
                "indices": sorted(set(self.indices) - set(shared)), "shared_indices": shared,
                "index_info": self.index_info}
        (d / "model.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
        return d

    def _restore(self, directory: Path, meta: dict, reader) -> None:
        from .base import load_model
        super()._restore(directory, meta, reader)
        self.parts = {name: load_model(directory / name, reader=reader) for name in meta["parts"]}
        for model in (self, *self.parts.values()):  # plain arrays: indexing an np.memmap of a
            model.arrays = {n: np.asarray(a) for n, a in model.arrays.items()}  # mapped reader is slow
        self.indices = {s: reader.index(directory / self.INDEX_FILES[s]) for s in meta.get("indices", [])}
        self.shared_index_files = meta.get("shared_indices", {})
        self.index_info = meta.get("index_info", {})


KIN_SHARE = 0.5  # a liked film of the pick's kind is named if it raised the pick half as much as the top one


def strongest(c: np.ndarray, rated: np.ndarray, kin: np.ndarray | None = None) -> np.ndarray:
    """Per row of contributions `c` (items x rated), the rated row with the largest positive
    share, else -1: what "Because you rated X" names. With `kin` (items x rated: how near the
    pick's kind each rated film is, 0 for none, as a bool or a genre Jaccard), among those of
    its kind that raised it at least KIN_SHARE as much as the largest, the nearest kind, then
    the largest share: "Sunset Blvd., because you rated L.A. Confidential" rather than Seven,
    which raised it a little more by being rated by everyone."""
    if c.shape[1] == 0:
        return np.full(c.shape[0], -1, dtype=np.int64)
    top = c.max(axis=1)
    pick = np.argmax(c, axis=1)
    if kin is not None:
        eligible = (np.asarray(kin, dtype=np.float64) > 0) & (c >= KIN_SHARE * top[:, None])
        key = np.where(eligible, nearest_kin_first(kin, c), -np.inf)
        pick = np.where(eligible.any(axis=1), np.argmax(key, axis=1), pick)
    return np.where(top > 0, rated[pick], -1).astype(np.int64)
