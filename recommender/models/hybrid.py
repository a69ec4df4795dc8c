"""The hybrid that serves every user of a catalogue whose items x items matrices fit in memory,
from a brand-new user to a heavy rater (the skeleton: recommender.models.hybrid_base).

collab(a) = a EASE_warm + (1 - a) EASE_cold + w_rp3 RP3beta     (every rating, as "seen")
Liked / Disliked: EASE fitted on the likes only, read from the user's liked / disliked films
Peers: what the users whose liked films resemble the user's liked (recommender.models.peers)
Stars: the stars a rating model predicts from the user's ratings (recommender.models.stars)

so a user with 5 ratings leans on the heavily regularised EASE and on popularity, and one with
200 on the sharp EASE; what they liked pulls its neighbours up, what they disliked pushes its
neighbours down. All weights are tuned on validation splits (recommender.evaluation.tuning), through
the same `make_part` and `blend`. "Movies like X" takes co-ratings from item-kNN cosine.
The text Gram matrix (up to TEXT_GRAM_MAX_ITEMS movies) and the stored similar lists are made at
fit and saved with the model.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from . import item_similarity, preferences
from .avoid import AvoidNeighbours
from .base import Model, top_rows
from .content import ContentModel
from .ease import EASE, gram_matrix
from .factors import ItemFactors
from .hybrid_base import (BECAUSE_PEERS, SOURCE_CONTENT, SOURCE_CORATING, HybridBase, genre_taste, strongest,
                          warmth)
from .neighbours import ItemKNN, RP3beta
from .peers import PeerTaste
from .stars import PredictedStars
from .popularity import Popularity, Quality

__all__ = ["Hybrid", "SOURCE_CONTENT", "SOURCE_CORATING", "TEXT_GRAM_MAX_ITEMS"]

TEXT_GRAM_MAX_ITEMS = 4096  # the items x items text cosine is kept up to 64 MB (11 MB on ML-100K)
ITEM_ITEM_TERMS = ("ease", "ease_cold", "rp3")


class Hybrid(HybridBase):
    kind = "hybrid"
    defaults = {
        **HybridBase.defaults,
        "lam": 200.0, "lam_cold": 4000.0, "session_weight": 0.3, "session_seconds": 300.0,
        "rp3_alpha": 1.0, "rp3_beta": 0.5, "w_rp3": 0.3,
        "lam_liked": 300.0, "w_liked": 0.5, "w_dislike": 0.3, "w_quality": 0.1,
        # chosen on what a person with few ratings sees (tests/test_personas_ml100k.py), not tuned
        # on the protocol, whose cold nDCG rewards the popular films everyone rates next
        "w_genre": 1.5,
        "w_peers": 1.5, "peer_neighbours": 50, "w_stars": 0.4,
        # what a person said no to stays down while they are new (recommender.models.avoid);
        # not tuned either: the protocol's few dislikes per held-out user cannot weigh it
        "w_avoid": 3.0, "avoid_neighbours": 5,
        "knn_shrink": 10.0, "factor_dims": 64,
    }
    BLENDED: ClassVar[tuple[str, ...]] = ("ease", "ease_cold", "rp3", "liked", "dislike", "quality", "genres",
                                          "peers", "stars", "avoid", "content", "popularity")
    READS: ClassVar[dict[str, tuple[str, str]]] = {
        "ease": ("ease", "kept"), "ease_cold": ("ease_cold", "kept"), "rp3": ("rp3", "kept"),
        "liked": ("ease_liked", "liked"), "dislike": ("ease_liked", "disliked"), "peers": ("peers", "liked")}

    # -- the parts, as fitting and tuning make them ------------------------------------------
    @staticmethod
    def make_part(name: str, params: dict) -> Model:
        """The unfitted part `name` with its share of `params`: fit builds its parts with this,
        and tuning the candidates it blends."""
        session = {"session_weight": params["session_weight"], "session_seconds": params["session_seconds"]}
        return {
            "ease": lambda: EASE(lam=params["lam"], **session),
            "ease_cold": lambda: EASE(lam=params["lam_cold"], **session),
            "rp3": lambda: RP3beta(alpha=params["rp3_alpha"], beta=params["rp3_beta"]),
            "ease_liked": lambda: EASE(lam=params["lam_liked"]),
            "knn": lambda: ItemKNN(shrink=params["knn_shrink"]),
            "factors": lambda: ItemFactors(dims=params["factor_dims"]),
            "content": ContentModel,
            "popularity": Popularity,
            "quality": Quality,
            "genres": lambda: genre_taste(params),
            "peers": lambda: PeerTaste(neighbours=params["peer_neighbours"]),
            "stars": PredictedStars,
            "avoid": lambda: AvoidNeighbours(neighbours=params["avoid_neighbours"]),
        }[name]()

    @classmethod
    def fit_named(cls, name: str, params: dict, matrix, times=None, item_vectors=None, gram=None,
                  item_genres=None, factors: ItemFactors | None = None, liked: EASE | None = None) -> Model:
        """make_part + fit_part, on what the part learns from: the likes alone for
        "ease_liked" (its own Gram matrix), the genre matrix for "genres", the fitted "factors"
        for "peers" and "ease_liked" and the genre matrix for "avoid" (each fitted part fitted
        here when not given), every rating for the rest."""
        part = cls.make_part(name, params)
        if name == "ease_liked":
            return part.fit(preferences.liked_matrix(matrix))
        if name == "genres":
            return part.fit(matrix, item_genres=item_genres)
        if name == "peers":
            factors = factors or cls.fit_named("factors", params, matrix)
            return part.fit(matrix, item_vectors=factors.item_vectors)
        if name == "avoid":
            liked = liked or cls.fit_named("ease_liked", params, matrix)
            return part.fit(matrix, item_weights=liked.arrays["B"], item_genres=item_genres)
        return cls.fit_part(part, matrix, times, item_vectors, gram)

    @staticmethod
    def fit_part(part: Model, matrix, times=None, item_vectors=None, gram=None) -> Model:
        """Fit one part; EASE reuses `gram` (one Gram matrix serves several lambdas)."""
        if isinstance(part, EASE):
            return part.fit(matrix, times, gram=gram)
        return part.fit(matrix, times, item_vectors=item_vectors)

    def _fit_collab(self, matrix, times, item_vectors, item_genres=None, gram=None):
        p = self.params
        if gram is None:
            gram = gram_matrix(matrix, times, p["session_weight"], p["session_seconds"])
        parts = {name: self.fit_named(name, p, matrix, times, gram=gram)
                 for name in ("ease", "ease_cold", "rp3", "ease_liked", "knn", "factors", "stars")}
        parts["peers"] = self.fit_named("peers", p, matrix, factors=parts["factors"])
        if item_genres is not None:
            parts["avoid"] = self.fit_named("avoid", p, matrix, item_genres=item_genres, liked=parts["ease_liked"])
        return parts

    def _precompute(self, **kw) -> None:
        """E E^T, the items x items cosine of the text embeddings: per request, a row of it
        replaces a product with the whole embedding matrix (the feed's text term, "movies like
        X" with a filter). Beyond TEXT_GRAM_MAX_ITEMS items memory wins over CPU."""
        if "content" in self.parts and self.n_items <= TEXT_GRAM_MAX_ITEMS:
            e = np.asarray(self.parts["content"].item_vectors)
            gram = np.empty((len(e), len(e)), dtype=np.float32)
            for i in range(len(e)):  # row by row: each row is the very product it replaces
                gram[i] = e @ e[i]
            self.arrays["text_gram"] = gram

    def _stores_similar_lists(self) -> bool:
        return "text_gram" in self.arrays

    @classmethod
    def _collab_blend(cls, parts, a, params):
        return a * parts["ease"] + (1 - a) * parts["ease_cold"] + params["w_rp3"] * parts["rp3"]

    def _fit_corating(self, matrix) -> None:
        """The co-rating side of "movies like X" (item_similarity.collaborative_similarity),
        items x items."""
        self.arrays["similar_corating"] = item_similarity.collaborative_similarity(matrix, self.params)

    def _corating_similarity(self, item_row, rows):
        """A row of the co-rating matrix (item-kNN cosine in a version built before issue 17)."""
        matrix = self.arrays.get("similar_corating")
        if matrix is None:
            matrix = self.parts["knn"].similarity
        return np.asarray(matrix[item_row])[rows]

    def _text_similarity(self, item_row, rows):
        """A row of the text Gram matrix, or the very product that makes one."""
        gram = self.text_gram()
        if gram is None:
            e = self.item_vectors("content")
            return (np.asarray(e) @ np.asarray(e[item_row]))[rows]
        return np.asarray(gram[item_row])[rows]

    def _collab_item_vectors(self):
        return np.asarray(self.parts["factors"].item_vectors)

    def _collab_user_vectors(self, histories):
        """The profiles "people like you" compares (of the liked films), where the version has them."""
        if "peers" in self.parts:
            return self.parts["peers"].profiles(preferences.split(self._check(histories))[0])
        return self.parts["factors"].profiles(histories)

    def text_gram(self) -> np.ndarray | None:
        """The stored text Gram matrix, or None (no text vectors, or too many movies)."""
        return self.arrays.get("text_gram")

    # -- one user from item rows, no scipy (every feed request) --------------------------------
    def _weights(self, name: str) -> np.ndarray:
        """The items x items matrix behind an item-item term ("ease", "ease_cold", "rp3",
        and "liked" / "dislike", which both read the likes' EASE)."""
        part = self.READS.get(name, (name, "all"))[0]
        return np.asarray(self.parts[part].arrays["B" if part.startswith("ease") else "W"])

    def _content_sum(self, rows: np.ndarray, stars: np.ndarray, out: np.ndarray) -> None:
        """ContentModel.score for one history, up to a positive factor (normalising divides it
        out), into `out`: the profile is the unit star-weighted sum of the rated movies' text
        vectors, a score the weighted sum of their cosines."""
        part = self.parts["content"]
        w = np.asarray(stars, dtype=np.float32) - np.float32(part.params["neutral"])
        gram = self.text_gram()
        if gram is not None:
            np.dot(w, gram[rows], out=out)
            return
        e = np.asarray(part.item_vectors)
        p = (w[:, None] * e[rows]).sum(axis=0, keepdims=True)
        p = p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12)
        out[:] = (p @ e.T)[0]

    def score_rows(self, rated_rows: np.ndarray, stars: np.ndarray | None = None,
                   times: np.ndarray | None = None) -> np.ndarray:
        """score() of one history given as item rows, stars and (where known) the times they
        were rated: (items,) float32, by gathers, no sparse matrix, blended by the same `blend`
        (the text term up to rounding)."""
        return self._blend_rows(*self._unique(rated_rows, stars, times))[0]

    def _blend_rows(self, rows: np.ndarray, stars: np.ndarray, times: np.ndarray | None = None
                    ) -> tuple[np.ndarray, float, dict[str, float], dict[str, np.ndarray]]:
        """score_rows of unique sorted `rows` with their `stars` and `times`, with what explaining that
        score needs: the history's warmth, the row maximum of each term and the terms as blended."""
        liked, disliked = preferences.masks_of(stars)
        sources = {name: rows[~disliked] for name in ITEM_ITEM_TERMS}  # a dislike pulls nothing up
        if "ease_liked" in self.parts:  # a version built before the likes' EASE has neither term
            sources.update(liked=rows[liked], dislike=rows[disliked])
        names = list(sources) + [name for name in ("genres", "peers", "stars", "avoid", "content") if name in self.parts]
        stack = np.empty((len(names), self.n_items), dtype=np.float32)
        for i, name in enumerate(names):
            if name == "content":
                self._content_sum(rows, stars, stack[i])
            elif name == "genres":
                stack[i] = self.parts["genres"].score_one(rows, stars, times)
            elif name == "peers":
                stack[i] = self.parts["peers"].score_one(rows[liked])
            elif name in ("stars", "avoid"):
                stack[i] = self.parts[name].score_one(rows, stars)
            else:
                np.sum(self._weights(name)[sources[name]], axis=0, out=stack[i])
        peaks = np.maximum(np.abs(stack).max(axis=1), 1e-12)
        peaks[[i for i, name in enumerate(names) if name in self.SELF_SCALED]] = 1.0
        stack /= peaks[:, None]  # row_max_normalise, but for the self-scaled terms
        parts = {name: stack[i:i + 1] for i, name in enumerate(names)}
        parts.update({name: self.parts[name].item_scores()[None, :] for name in self.PRIORS if name in self.parts})
        a = warmth(np.array([len(rows)]), self.params)
        scores = self.blend(parts, a, self.params)[0]
        return scores, float(a[0]), {name: float(peak) for name, peak in zip(names, peaks)}, parts

    def _ranked(self, rated_rows: np.ndarray, k: int, allowed: np.ndarray, stars: np.ndarray | None = None,
                times: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Model.feed_top without scipy: score_rows, then the same top_rows selection."""
        scores = self.score_rows(rated_rows, stars, times)
        top = top_rows(scores, allowed, k)
        return top, scores[top]

    def feed_explained(self, rated_rows: np.ndarray, liked_rows: np.ndarray, k: int,
                       allowed: np.ndarray, stars: np.ndarray | None = None, times: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """feed_top, and per pick the liked row with the largest share in its score (or one of
        the pick's kind with half as much: `strongest`): the
        shares of `_contributions` (this history's warmth and term maxima, which scoring has
        just worked out), so the reasons cost no second pass over the history. A pick that
        people like this user raised more than any one liked film is BECAUSE_PEERS."""
        rated, rated_stars, rated_times = self._unique(rated_rows, stars, times)
        scores, a, peaks, parts = self._blend_rows(rated, rated_stars, rated_times)
        top = top_rows(scores, allowed, self._candidates_for(k))
        top = top[self._calibrated(rated, rated_stars, rated_times, top, scores[top], k)]
        liked = np.unique(np.asarray(liked_rows, dtype=np.int64))
        if len(liked) == 0:
            return top, scores[top], np.full(len(top), -1, dtype=np.int64)
        shares = self._contributions(liked, top, a, peaks, history_size=len(rated))
        kin = self._kin(top, liked)
        if kin is not None and "genres" in parts:  # the genre term's rise, shared by the liked films of its kind
            rise = self.params["w_genre"] * np.clip(parts["genres"][0, top], 0, None)
            shares = shares + rise[:, None] * kin / np.maximum(kin.sum(axis=1, keepdims=True), 1e-12)
        because = strongest(shares, liked, kin)
        if "peers" in parts:
            peers = (1 - a) * self.params["w_peers"] * parts["peers"][0, top]
            because[(peers > 0) & (peers > shares.max(axis=1))] = BECAUSE_PEERS
        return top, scores[top], because

    def shared_love(self, liked_rows: np.ndarray, item_rows: np.ndarray,
                    counted_from: int = 1) -> tuple[np.ndarray, np.ndarray]:
        if "peers" not in self.parts:  # a version built before people like you
            return super().shared_love(liked_rows, item_rows, counted_from)
        return self.parts["peers"].shared_love(liked_rows, item_rows, self._kin(item_rows, liked_rows), counted_from)

    def _kin(self, item_rows: np.ndarray, liked_rows: np.ndarray) -> np.ndarray | None:
        """(len(item_rows), len(liked_rows)) how alike the two films' genres are (Jaccard; > 0:
        they share one), None without genres: a reason names a liked film of the pick's kind
        first, and the nearest kind first where it counts the people who loved both."""
        genres = self.parts.get("genres")
        if genres is None:
            return None
        g = (np.asarray(genres.item_genres) > 0).astype(np.float32)
        picks, liked = g[np.asarray(item_rows, dtype=np.int64)], g[np.asarray(liked_rows, dtype=np.int64)]
        shared = picks @ liked.T
        return shared / np.maximum(picks.sum(axis=1)[:, None] + liked.sum(axis=1)[None, :] - shared, 1.0)

    # -- explanations ------------------------------------------------------------------------
    def _contributions(self, rated: np.ndarray, items: np.ndarray, a: float, peak: dict,
                       history_size: int | None = None) -> np.ndarray:
        """(len(items), len(rated)) share of each of the `rated` rows, taken as liked ones (a
        reason names only a liked film), in each item's score, given the history's warmth `a`,
        each term's row maximum `peak` and its length (default: `rated` is the whole history)."""
        p = self.params
        cell = np.ix_(rated, items)
        b_w, b_c, w_r = (self._weights(k)[cell] / peak[k] for k in ITEM_ITEM_TERMS)
        c = a * b_w + (1 - a) * b_c + p["w_rp3"] * w_r
        if "liked" in peak:
            c = c + p["w_liked"] * self._weights("liked")[cell] / peak["liked"]
        if "content" in self.parts:
            e = np.asarray(self.parts["content"].item_vectors)
            c = c + p["w_content"] * (e[rated] @ e[items].T) / max(history_size or len(rated), 1)
        return c.T.astype(np.float32)

    def contributions(self, history_row, item_rows) -> np.ndarray:
        """(len(item_rows), n_rated) share of each rated movie, as a liked one, in each item's
        score. Columns follow `history_row.indices` (sorted item rows the user rated)."""
        h = self._check(history_row)[0]
        liked, _ = preferences.split(h)
        peak = {k: max(float(np.abs(self.parts[k].score(h)).max()), 1e-12) for k in ITEM_ITEM_TERMS}
        if "ease_liked" in self.parts:
            peak["liked"] = max(float(np.abs(self.parts["ease_liked"].score(liked)).max()), 1e-12)
        return self._contributions(h.indices, np.asarray(item_rows, dtype=np.int64),
                                   float(self.warmth(h)[0]), peak)

    def because_of(self, history_row, item_rows) -> np.ndarray:
        """For each recommended item row, the liked item row that raised it most (-1: none):
        never a film the user disliked or found so-so."""
        h = sp.csr_matrix(history_row)
        liked, _ = preferences.masks_of(h.data)
        if not liked.any():
            return np.full(len(item_rows), -1, dtype=np.int64)
        return strongest(self.contributions(h, item_rows)[:, liked], h.indices[liked])

    def because_of_rows(self, rated_rows: np.ndarray, item_rows: np.ndarray) -> np.ndarray:
        """because_of for a history of liked films given as item rows, without scipy."""
        rated = np.unique(np.asarray(rated_rows, dtype=np.int64))
        if len(rated) == 0:
            return np.full(len(item_rows), -1, dtype=np.int64)
        names = ITEM_ITEM_TERMS + (("liked",) if "ease_liked" in self.parts else ())
        sums = np.empty((len(names), self.n_items), dtype=np.float32)
        for i, name in enumerate(names):
            np.sum(self._weights(name)[rated], axis=0, out=sums[i])  # as binary_product sums one history
        peak = {name: max(float(top), 1e-12) for name, top in zip(names, np.abs(sums).max(axis=1))}
        a = float(warmth(np.array([len(rated)]), self.params)[0])
        return strongest(self._contributions(rated, np.asarray(item_rows, dtype=np.int64), a, peak), rated)
