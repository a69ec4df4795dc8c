"""The hybrid for large catalogues (ML-25M: 62k movies), where the dense Hybrid's items x items
matrices would take 15 GB each (the skeleton: recommender.models.hybrid_base).

collab(a) = a ALS

ALS keeps items x 64 floats and folds a user's current ratings in with one 64 x 64 solve.
The feed (`feed_top`) scores ALS + popularity exactly but the text part only on candidates:
a full text pass reads items x 384 floats (95 MB at 62k) for a term weighing 0.05.
"Movies like X" asks two HNSW indices (ALS item vectors and text embeddings, labels = item rows)
for candidates and re-scores them exactly with the skeleton's blend. No items x items array
exists anywhere.
"""
from __future__ import annotations

import logging
from typing import ClassVar

import faiss
import numpy as np
import scipy.sparse as sp

from recommender.vectors import ann

from .als import ALS
from .base import top_rows, unit_rows
from .hybrid_base import HybridBase, strongest, warmth

log = logging.getLogger(__name__)

SCAN_FIRST = 8192  # item factors the feed reads before it first checks whether the rest can matter


class FactorHybrid(HybridBase):
    kind = "factor"
    defaults = {
        **HybridBase.defaults,
        "factors": 64, "regularization": 10.0, "alpha": 1.0, "iterations": 15, "seed": 0,
        "w_content": 0.05, "warmth_power": 2.0, "similar_candidates": 100,
        "index_kind": "auto",
        # the feed's candidates: rows by ALS + popularity, nearest texts. On the ML-25M-sized
        # synthetic set the top 20 equals full scoring's for 500 users, none falling back
        "feed_candidates": 300, "feed_text_candidates": 100,
        # neighbours stored per item (similar_candidates / 4, so a stored list is exactly what
        # the search would answer for any k within it)
    }
    BLENDED: ClassVar[tuple[str, ...]] = ("als", "content", "popularity")
    INDEX_FILES: ClassVar[dict[str, str]] = {"collab": "similar_collab.faiss", "content": "similar_content.faiss"}

    def __init__(self, **params):
        super().__init__(**params)
        self._popularity_scores: np.ndarray | None = None
        self._popularity_after: np.ndarray | None = None

    # -- fitting -----------------------------------------------------------------------------
    def _fit_collab(self, matrix, times, item_vectors, item_genres=None,
                    shared: dict[str, faiss.Index] | None = None):
        p = self.params
        self.indices, self.index_info = {}, {}
        self._popularity_scores = self._popularity_after = None
        return {"als": ALS(factors=p["factors"], regularization=p["regularization"], alpha=p["alpha"],
                           iterations=p["iterations"], seed=p["seed"]).fit(matrix)}

    def _precompute(self, shared: dict[str, faiss.Index] | None = None) -> None:
        """The neighbour indices of both spaces, the text ball and the norm order of the item
        factors. `shared`: {space: IndexIDMap2 over the same vectors keyed by item ids in row
        order}, built elsewhere in the index version (its content.faiss): searched, not copied."""
        rows = np.arange(self.n_items, dtype=np.int64)
        for space in ("collab", "content"):
            if space == "content" and "content" not in self.parts:
                continue
            if shared and space in shared:
                self.attach_index(space, shared[space])
                self.index_info[space] = ann.checked(self.indices[space], self.item_vectors(space), rows)
            else:
                self.indices[space], self.index_info[space] = ann.build_checked(
                    self.item_vectors(space), rows, self.params["index_kind"])
        if "content" in self.parts:
            self.arrays["text_ball"] = self._text_ball()
        self._by_norm()

    @classmethod
    def _collab_blend(cls, parts, a, params):
        return a * parts["als"]

    def _corating_similarity(self, item_row, rows):
        v = self.item_vectors("collab")
        return np.asarray(v[rows]) @ np.asarray(v[item_row])

    def _fit_corating(self, matrix) -> None:
        """The moments behind `_similar_stats`, stored with the model (the genre vectors exist
        only now, after _precompute)."""
        for space in self._similar_spaces():
            self._similar_stats(space, 0)

    def _similar_stats(self, space, item_row):
        """Mean and sd of a row of cosines over the catalogue without computing it: the mean
        and covariance of the unit vectors (d x d, stored at fit) give mu . v and v' C v."""
        vectors = self.arrays["similar_genres"] if space == "genres" else self.item_vectors(space)
        key = f"similar_moments_{space}"
        if key not in self.arrays:  # a version built before issue 17: made once at load
            e = np.asarray(vectors, dtype=np.float64)
            mean = e.mean(axis=0)
            self.arrays[key] = np.vstack([mean, e.T @ e / len(e) - np.outer(mean, mean)]).astype(np.float64)
        moments = self.arrays[key]
        v = np.asarray(vectors[item_row], dtype=np.float64)
        return float(moments[0] @ v), float(np.sqrt(max(v @ moments[1:] @ v, 0.0)))

    def _similar_candidates(self, item_rows, wanted):
        """The nearest rows to each item in both neighbour indices."""
        self._require_indices()
        return np.concatenate([self._candidates(s, item_rows, wanted) for s in self.indices], axis=1)

    def _text_ball(self) -> np.ndarray:
        """Centre and radius (last entry) of a ball holding every text vector: a profile's
        lowest text score is at least centre . profile - radius, with no search."""
        e = np.asarray(self.item_vectors("content"), dtype=np.float32)
        centre = e.mean(axis=0, dtype=np.float64)
        squared = (e * e).sum(axis=1, dtype=np.float64) - 2 * (e @ centre) + centre @ centre
        radius = float(np.sqrt(max(squared.max(initial=0.0), 0.0))) * (1 + 1e-4) + 1e-6
        return np.append(centre, radius).astype(np.float64)

    def _require_indices(self) -> None:
        missing = sorted(set(self.shared_index_files) - set(self.indices))
        if missing:
            raise RuntimeError(f"factor: the version's {', '.join(self.shared_index_files[s] for s in missing)} "
                               "must be attached with attach_index (recommender.serving.index.load_index does)")

    # -- scoring -----------------------------------------------------------------------------
    def _ranked(self, rated_rows: np.ndarray, k: int, allowed: np.ndarray, stars: np.ndarray | None = None,
                times: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k allowed rows and their scores, as score() would rank them, in two stages. ALS
        folds in every rating (what the user has seen); the text profile is signed by `stars`,
        so disliked films push their kind down.

        Stage one: the best `feed_candidates` allowed rows by ALS + popularity, exactly, reading
        items by decreasing factor norm only until the rest cannot matter (`_best_by_collab`).
        Stage two adds the `feed_text_candidates` nearest texts to the user's profile in the text
        index and scores the text part on the candidates only (on every allowed row when a filter
        leaves few). A row outside both scores at most `bound`, so when the k-th candidate beats
        it the answer is the full ranking's (up to the index's recall); otherwise every item is
        scored."""
        self._require_indices()
        p = self.params
        rated, first = np.unique(np.asarray(rated_rows, dtype=np.int64), return_index=True)
        stars = None if stars is None else np.asarray(stars, dtype=np.float32)[first]
        allowed = np.asarray(allowed, dtype=bool)
        a = warmth(np.array([len(rated)], dtype=np.float32), p)[0]
        x = self.parts["als"].fold_in(rated)
        y = np.asarray(self.parts["als"].item_factors)
        c_pop = (1 - a) * p["w_pop_cold"]
        pop = c_pop * self._popularity() if p["w_pop_cold"] else None
        pool = max(int(p["feed_candidates"]), 4 * k)
        with_text = "content" in self.parts and p["w_content"] and len(rated) > 0
        by_base = with_text and np.count_nonzero(allowed) > 4 * pool  # else every allowed row is cheap
        if by_base:
            als_peak, best, base_cut = self._best_by_collab(x, a, c_pop if pop is not None else 0.0, allowed, pool)
        else:
            raw = y @ x
            als_peak = np.maximum(max(raw.max(initial=0.0), -raw.min(initial=0.0)), np.float32(1e-12))

        def exact(rows, text_part=None):  # score()'s arithmetic, on some rows only
            s = a * ((y[rows] @ x) / als_peak)
            if text_part is not None:
                s += p["w_content"] * text_part
            return (s + pop[rows] if pop is not None else s).astype(np.float32)

        if not with_text:
            base = raw * (a / als_peak) + (pop if pop is not None else 0)
            top = top_rows(base, allowed, k)
            return top, exact(top)
        content = self.parts["content"]
        profile = content.profile_of(rated, stars)
        wanted = min(max(int(p["feed_text_candidates"]), k), self.n_items)
        near_scores, near = self.indices["content"].search(profile[None, :], wanted)
        near_scores, near = near_scores[0][near[0] >= 0], near[0][near[0] >= 0]
        rows = np.union1d(best, near[allowed[near]]) if by_base else np.flatnonzero(allowed)
        text = np.asarray(content.item_vectors[rows]) @ profile
        peak = self._text_peak(profile, text, near_scores, len(rows) == self.n_items)
        score = exact(rows, text / np.maximum(np.float32(peak), np.float32(1e-12)))
        order = np.argsort(-score, kind="stable")[:k]
        if by_base and len(order) == k:
            text_cut = max(float(near_scores[-1]), 0.0) if len(near) >= wanted else peak
            bound = base_cut + p["w_content"] * text_cut / max(peak, 1e-12)
            if score[order[-1]] <= bound + 1e-6:
                log.debug("feed: candidates cannot settle the top %d; scoring every item", k)
                return super()._ranked(rated, k, allowed, stars)
        return rows[order], score[order]

    def _best_by_collab(self, x: np.ndarray, a, c_pop: float, allowed: np.ndarray, pool: int):
        """(largest |ALS score| of any item, the `pool` allowed rows of highest ALS + popularity
        score, the lowest of those scores), reading as few item factors as it can.

        Items are read by decreasing factor norm, SCAN_FIRST, then twice as many, ...: an item
        not read yet scores |y . x| <= |y| |x|, which most items (norms fall fast past the
        popular ones) keep far below the pool; the scan stops once that bound can neither
        raise the largest score nor reach the pool. At ML-25M size about a quarter is read."""
        order, y_sorted, norms, pop_after = self._by_norm()
        pop = self._popularity()
        x_norm, n = float(np.linalg.norm(x)), self.n_items
        # a filter passing few items leaves few of them among the first read: read all at once
        end = min(SCAN_FIRST, n) if np.count_nonzero(allowed) > n // 2 else n
        raw = y_sorted[:end] @ x
        while True:
            peak = np.maximum(max(raw.max(initial=0.0), -raw.min(initial=0.0)), np.float32(1e-12))
            rest = float(norms[end]) * x_norm if end < n else 0.0  # bounds |score| of every item not read
            if rest <= peak:
                rows = order[:end]
                ok = np.flatnonzero(allowed[rows])
                if len(ok) >= pool or end == n:
                    base = raw[ok] * (a / peak)
                    if c_pop:
                        base += c_pop * pop[rows[ok]]
                    take = min(pool, len(ok))
                    best = np.argpartition(base, len(base) - take)[len(base) - take:]  # kth near the end: fast
                    cut = float(base[best].min(initial=np.inf))
                    unread = float(a) * rest / float(peak) + (c_pop * float(pop_after[end]) if end < n else 0.0)
                    if end == n or unread < cut:
                        return peak, rows[ok[best]], cut
            grown = min(2 * end, n)
            raw = np.concatenate([raw, y_sorted[end:grown] @ x])
            end = grown

    def _by_norm(self):
        """(item rows by decreasing ALS factor norm, their factors, their norms, the largest
        popularity score at or after each position): stored at fit, made once for older versions."""
        if "als_order" not in self.arrays:
            y = np.asarray(self.parts["als"].item_factors)
            norms = np.linalg.norm(y, axis=1).astype(np.float32)
            order = np.argsort(-norms, kind="stable")
            self.arrays.update(als_norms=norms[order], Y_by_norm=np.ascontiguousarray(y[order]),
                               als_order=order.astype(np.int64))
        order = self.arrays["als_order"]
        if self._popularity_after is None:  # a race only computes it twice
            self._popularity_after = np.maximum.accumulate(self._popularity()[order][::-1])[::-1].copy()
        return order, self.arrays["Y_by_norm"], self.arrays["als_norms"], self._popularity_after

    def _popularity(self) -> np.ndarray:
        """Popularity's item scores, computed once per fit or load (a race computes them twice)."""
        if self._popularity_scores is None:
            self._popularity_scores = self.parts["popularity"].item_scores()
        return self._popularity_scores

    def _text_peak(self, profile: np.ndarray, text: np.ndarray, near_scores: np.ndarray, every_item: bool) -> float:
        """The largest |text score| over every item, which score() divides by. The nearest texts
        hold the largest positive one; the most negative one can matter only where the ball
        around the catalogue's text vectors (`text_ball`) reaches below -peak, and is searched then."""
        peak = float(np.abs(text).max(initial=0.0))
        if every_item:
            return peak
        peak = max(peak, float(np.abs(near_scores).max(initial=0.0)))
        ball = self.arrays.get("text_ball")
        if ball is None or float(np.asarray(ball[:-1]) @ profile) - float(ball[-1]) < -peak:
            farthest, _ = self.indices["content"].search(-profile[None, :], 1)
            peak = max(peak, float(farthest[0, 0]))
        return peak

    def because_of(self, history_row, item_rows) -> np.ndarray:
        """For each item row, the rated row whose ALS contribution to it is largest (-1: none)."""
        h = sp.csr_matrix(history_row)
        h.eliminate_zeros()
        return self.because_of_rows(h.indices[h.indptr[0]:h.indptr[1]], item_rows)

    def because_of_rows(self, rated_rows: np.ndarray, item_rows: np.ndarray) -> np.ndarray:
        """because_of for a history given as rated rows: no sparse matrix on the feed's path."""
        rated = np.unique(np.asarray(rated_rows, dtype=np.int64))
        if len(rated) == 0:
            return np.full(len(item_rows), -1, dtype=np.int64)
        return strongest(self.parts["als"].contributions_of(rated, item_rows), rated)

    # -- movies like X -----------------------------------------------------------------------
    def _candidates(self, space: str, item_rows: np.ndarray, k: int) -> np.ndarray:
        """(len(item_rows), k) nearest rows to each item in one index (-1 where none)."""
        vectors = np.ascontiguousarray(self.item_vectors(space)[item_rows], dtype="float32")
        _, rows = self.indices[space].search(vectors, min(k, self.n_items))
        return rows

    # -- vectors for FAISS -------------------------------------------------------------------
    def _collab_item_vectors(self):
        """Unit ALS item factors (cosine for "movies like X" and the collab index)."""
        if "Yn" not in self.arrays:
            self.arrays["Yn"] = unit_rows(self.parts["als"].item_factors)
        return self.arrays["Yn"]

    def _collab_user_vectors(self, histories):
        return unit_rows(self.parts["als"].user_factors(histories))

    def save(self, directory, shared: dict[str, str] | None = None):
        self.item_vectors("collab")  # Yn saved, not recomputed at load
        return super().save(directory, shared)
