"""The blend that serves every user, from a brand-new one to a heavy rater.

score = a(n) EASE_warm + (1 - a(n)) EASE_cold + w_rp3 RP3beta + w_content Content
        + (1 - a(n)) w_pop_cold Popularity,        a(n) = n^g / (n^g + half_ratings^g)

Each term is divided by its row maximum first. n is the number of movies the user rated,
so a user with 5 ratings leans on the heavily regularised EASE and on popularity, and one
with 200 on the sharp EASE. All weights are tuned on validation splits (recommender.tuning).
"Movies like X" blends co-rating cosine and text similarity, leaning on text when X has
few ratings. Everything is fitted once and saved as plain arrays.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .base import Model, row_max_normalise, top_rows
from .content import ContentModel
from .ease import EASE, gram_matrix
from .factors import ItemFactors
from .neighbours import ItemKNN, RP3beta
from .popularity import Popularity

SOURCE_CORATING, SOURCE_CONTENT = 0, 1
TEXT_GRAM_MAX_ITEMS = 4096  # the items x items text cosine is kept up to 64 MB (11 MB on ML-100K)
SIMILAR_LIST_LENGTH = 25  # "movies like X" kept per movie when loaded; a larger k is computed


def warmth(n: np.ndarray, params: dict) -> np.ndarray:
    """a(n) = n^g / (n^g + h^g): 0 with no ratings, 1/2 at h ratings, then towards 1."""
    g = float(params["warmth_power"])
    n = np.asarray(n, dtype=np.float64) ** g
    return (n / (n + float(params["half_ratings"]) ** g)).astype(np.float32)


class Hybrid(Model):
    kind = "hybrid"
    defaults = {
        "lam": 200.0, "lam_cold": 4000.0, "session_weight": 0.3, "session_seconds": 300.0,
        "half_ratings": 12.0, "warmth_power": 4.0, "rp3_alpha": 1.0, "rp3_beta": 0.5,
        "w_rp3": 0.3, "w_content": 0.1, "w_pop_cold": 0.1,
        "knn_shrink": 10.0, "similar_half_ratings": 20.0, "similar_text_floor": 0.4, "factor_dims": 64,
    }
    COMPONENTS = ("ease", "ease_cold", "rp3", "content", "popularity", "knn", "factors")

    def __init__(self, **params):
        super().__init__(**params)
        self.parts: dict[str, Model] = {}
        self._text_gram: np.ndarray | None = None
        self._text_gram_lock = threading.Lock()
        self._similar_lists: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, matrix, times=None, item_vectors=None, gram=None):
        p = self.params
        if gram is None:
            gram = gram_matrix(matrix, times, p["session_weight"], p["session_seconds"])
        self.parts = {
            "ease": EASE(lam=p["lam"], session_weight=p["session_weight"],
                         session_seconds=p["session_seconds"]).fit(matrix, gram=gram),
            "ease_cold": EASE(lam=p["lam_cold"], session_weight=p["session_weight"],
                              session_seconds=p["session_seconds"]).fit(matrix, gram=gram),
            "rp3": RP3beta(alpha=p["rp3_alpha"], beta=p["rp3_beta"]).fit(matrix),
            "popularity": Popularity().fit(matrix),
            "knn": ItemKNN(shrink=p["knn_shrink"]).fit(matrix),
            "factors": ItemFactors(dims=p["factor_dims"]).fit(matrix),
        }
        if item_vectors is not None:
            self.parts["content"] = ContentModel().fit(matrix, item_vectors=item_vectors)
        self.n_items = int(matrix.shape[1])
        self._text_gram, self._similar_lists = None, None
        return self

    # -- scoring -----------------------------------------------------------------------------
    def components(self, histories) -> dict[str, np.ndarray]:
        """Each term's row-normalised scores (tuning blends these without refitting)."""
        h = self._check(histories)
        out = {name: row_max_normalise(self.parts[name].score(h))
               for name in ("ease", "ease_cold", "rp3", "content") if name in self.parts}
        out["popularity"] = self.parts["popularity"].score(h)
        return out

    def warmth(self, histories) -> np.ndarray:
        """a(n) per history row: 0 for no ratings, towards 1 for many."""
        n = np.diff(sp.csr_matrix(histories).indptr).astype(np.float32)
        return warmth(n, self.params)

    @staticmethod
    def blend(parts: dict[str, np.ndarray], warmth: np.ndarray, params: dict) -> np.ndarray:
        a = warmth[:, None]
        s = a * parts["ease"] + (1 - a) * parts["ease_cold"] + params["w_rp3"] * parts["rp3"]
        if "content" in parts:
            s = s + params["w_content"] * parts["content"]
        s = s + (1 - a) * params["w_pop_cold"] * parts["popularity"]
        return s.astype(np.float32)

    def score(self, histories):
        h = self._check(histories)
        return self.blend(self.components(h), self.warmth(h), self.params)

    # -- one user from item rows, no scipy (every feed request) --------------------------------
    def _weights(self, name: str) -> np.ndarray:
        """The items x items matrix behind an item-item term ("ease", "ease_cold", "rp3")."""
        return np.asarray(self.parts[name].arrays["B" if name.startswith("ease") else "W"])

    def text_gram(self) -> np.ndarray | None:
        """E E^T, the items x items cosine of the text embeddings, made once (when a saved model
        is loaded, else on first use) and kept with the model. Per request, a row of it replaces
        a product with the whole embedding matrix: half the model time of /similar, a third of
        the feed's. Row i is computed as `E @ E[i]`, the very product similar_items made. None
        without text vectors, or beyond TEXT_GRAM_MAX_ITEMS items (memory over CPU)."""
        if "content" not in self.parts or not self.n_items or self.n_items > TEXT_GRAM_MAX_ITEMS:
            return None
        if self._text_gram is None:
            with self._text_gram_lock:
                if self._text_gram is None:
                    e = np.asarray(self.parts["content"].item_vectors)
                    gram = np.empty((len(e), len(e)), dtype=np.float32)
                    for i in range(len(e)):
                        gram[i] = e @ np.asarray(e[i])
                    gram.setflags(write=False)
                    self._text_gram = gram
        return self._text_gram

    def _content_sum(self, rows: np.ndarray, out: np.ndarray) -> None:
        """ContentModel.score for one history of 1-star-valued rows, up to a positive factor
        (normalising divides it out), into `out`: every rated movie weighs max(1 - neutral,
        0.5), so the profile is the unit sum of their text vectors, a score the sum of cosines."""
        gram = self.text_gram()
        if gram is not None:
            np.sum(gram[rows], axis=0, out=out)
            return
        part = self.parts["content"]
        e = np.asarray(part.item_vectors)
        w = np.float32(max(1.0 - float(part.params["neutral"]), 0.5))
        p = (w * e[rows]).sum(axis=0, keepdims=True)
        p = p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12)
        out[:] = (p @ e.T)[0]

    def score_rows(self, rated_rows: np.ndarray) -> np.ndarray:
        """score() of one history given as item rows: (items,) float32, by gathers, no sparse
        matrix. The arithmetic of components() + blend() step for step (the text term up to
        rounding, see _content_sum) on one stacked array: few numpy calls, since under
        gunicorn's threads every call over a whole row of items may hand the GIL over."""
        return self._blend_rows(np.unique(np.asarray(rated_rows, dtype=np.int64)))[0]

    def _blend_rows(self, rows: np.ndarray) -> tuple[np.ndarray, float, dict[str, float]]:
        """score_rows of unique sorted `rows`, with what explaining that score needs: the
        history's warmth and the row maximum of each item-item term."""
        p, a = self.params, warmth(np.array([len(rows)]), self.params)[0]  # float32, as blend() has it
        terms = [("ease", a), ("ease_cold", 1 - a), ("rp3", p["w_rp3"])]
        if "content" in self.parts:
            terms.append(("content", p["w_content"]))
        stack = np.empty((len(terms) + 1, self.n_items), dtype=np.float32)
        for i, (name, _) in enumerate(terms):
            if name == "content":
                self._content_sum(rows, stack[i])
            else:
                np.sum(self._weights(name)[rows], axis=0, out=stack[i])
        normalised = stack[:len(terms)]
        peaks = np.maximum(np.abs(normalised).max(axis=1), 1e-12)
        normalised /= peaks[:, None]  # row_max_normalise
        stack[-1] = self.parts["popularity"].item_scores()
        weights = [w for _, w in terms] + [(1 - a) * p["w_pop_cold"]]
        stack *= np.array(weights, dtype=np.float32)[:, None]
        scores = np.add.reduce(stack, axis=0)  # row after row, the order of blend()'s additions
        return scores, float(a), {name: float(peak) for (name, _), peak in zip(terms, peaks)}

    def feed_top(self, rated_rows: np.ndarray, k: int, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Model.feed_top without scipy: score_rows, then the same top_rows selection."""
        scores = self.score_rows(rated_rows)
        top = top_rows(scores, allowed, k)
        return top, scores[top]

    def feed_explained(self, rated_rows: np.ndarray, liked_rows: np.ndarray, k: int,
                       allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """feed_top, and per pick the liked row with the largest share in its score: the
        shares of `contributions` (this history's warmth and term maxima, which scoring has
        just worked out), so the reasons cost no second pass over the history."""
        rated = np.unique(np.asarray(rated_rows, dtype=np.int64))
        scores, a, peaks = self._blend_rows(rated)
        top = top_rows(scores, allowed, k)
        liked = np.unique(np.asarray(liked_rows, dtype=np.int64))
        if len(liked) == 0:
            return top, scores[top], np.full(len(top), -1, dtype=np.int64)
        shares = self._contributions(liked, top, a, peaks, history_size=len(rated))
        return top, scores[top], _strongest(shares, liked)

    # -- explanations ------------------------------------------------------------------------
    def _contributions(self, rated: np.ndarray, items: np.ndarray, a: float, peak: dict,
                       history_size: int | None = None) -> np.ndarray:
        """(len(items), len(rated)) share of each rated row in each item's score, given the
        history's warmth `a`, each term's row maximum `peak` and its length (default: `rated`
        is the whole history)."""
        p = self.params
        cell = np.ix_(rated, items)
        b_w, b_c, w_r = (self._weights(k)[cell] / peak[k] for k in ("ease", "ease_cold", "rp3"))
        c = a * b_w + (1 - a) * b_c + p["w_rp3"] * w_r
        if "content" in self.parts:
            e = np.asarray(self.parts["content"].item_vectors)
            c = c + p["w_content"] * (e[rated] @ e[items].T) / max(history_size or len(rated), 1)
        return c.T.astype(np.float32)

    def contributions(self, history_row, item_rows) -> np.ndarray:
        """(len(item_rows), n_rated) share of each rated movie in each item's score.

        Columns follow `history_row.indices` (sorted item rows the user rated).
        """
        h = self._check(history_row)[0]
        peak = {k: max(float(np.abs(self.parts[k].score(h)).max()), 1e-12)
                for k in ("ease", "ease_cold", "rp3")}
        return self._contributions(h.indices, np.asarray(item_rows, dtype=np.int64),
                                   float(self.warmth(h)[0]), peak)

    def because_of(self, history_row, item_rows) -> np.ndarray:
        """For each recommended item row, the rated item row that raised it most (-1: none)."""
        h = sp.csr_matrix(history_row)
        if h.nnz == 0:
            return np.full(len(item_rows), -1, dtype=np.int64)
        return _strongest(self.contributions(h, item_rows), h.indices)

    def because_of_rows(self, rated_rows: np.ndarray, item_rows: np.ndarray) -> np.ndarray:
        """because_of for a history given as item rows, without scipy (every feed request)."""
        rated = np.unique(np.asarray(rated_rows, dtype=np.int64))
        if len(rated) == 0:
            return np.full(len(item_rows), -1, dtype=np.int64)
        names = ("ease", "ease_cold", "rp3")
        sums = np.empty((len(names), self.n_items), dtype=np.float32)
        for i, name in enumerate(names):
            np.sum(self._weights(name)[rated], axis=0, out=sums[i])  # as binary_product sums one history
        peak = {name: max(float(top), 1e-12) for name, top in zip(names, np.abs(sums).max(axis=1))}
        a = float(warmth(np.array([len(rated)]), self.params)[0])
        return _strongest(self._contributions(rated, np.asarray(item_rows, dtype=np.int64), a, peak), rated)

    # -- movies like X -----------------------------------------------------------------------
    def similar_corating(self, item_row: int, k: int = 10):
        """Cosine over co-ratings ("often liked together"): (rows, scores)."""
        sim = np.asarray(self.parts["knn"].similarity[item_row])
        return _top(sim, item_row, k)

    def similar_content(self, item_row: int, k: int = 10):
        """Cosine of text embeddings: (rows, scores); empty when no text vectors were fitted."""
        if "content" not in self.parts:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        e = self.parts["content"].item_vectors
        return _top(np.asarray(e) @ np.asarray(e[item_row]), item_row, k)

    def similar_items(self, item_row: int, k: int = 10, exclude=None):
        """(rows, scores, source) blending both, source 0 = co-rating, 1 = content.

        Weight on co-rating = (1 - similar_text_floor) n / (n + similar_half_ratings), n the
        movie's rating count: text always keeps a say, so sequels surface even for big hits.
        A loaded model answers from its stored lists when it can (no exclusions, k within them).
        """
        lists = self._similar_lists
        if lists is not None and exclude is None and k <= lists[0].shape[1]:
            rows, scores, source = (a[item_row, :k] for a in lists)
            keep = rows >= 0
            return rows[keep].astype(np.int64), scores[keep], source[keep].astype(np.int64)
        return self._similar_blend(item_row, k, exclude)

    def _store_similar_lists(self) -> None:
        """The top SIMILAR_LIST_LENGTH of _similar_blend for every movie, computed once when a
        model is loaded to serve (in gunicorn's master, shared by the workers): "movies like X"
        without a genre filter then reads one row. Only with the text Gram matrix (up to
        TEXT_GRAM_MAX_ITEMS movies; 380 kB on ML-100K)."""
        length = min(SIMILAR_LIST_LENGTH, self.n_items - 1)
        if self.text_gram() is None or length <= 0:
            return
        rows = np.full((self.n_items, length), -1, dtype=np.int32)
        scores = np.zeros((self.n_items, length), dtype=np.float32)
        source = np.zeros((self.n_items, length), dtype=np.uint8)
        for item in range(self.n_items):
            top, top_scores, top_source = self._similar_blend(item, length, None)
            rows[item, :len(top)], scores[item, :len(top)], source[item, :len(top)] = top, top_scores, top_source
        for array in (rows, scores, source):
            array.setflags(write=False)
        self._similar_lists = (rows, scores, source)

    def _similar_blend(self, item_row: int, k: int, exclude) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """similar_items, computed: the co-rating and text rows of `item_row`, blended."""
        n = float(self.parts["popularity"].counts[item_row])
        beta = n / (n + float(self.params["similar_half_ratings"]))
        beta *= 1.0 - float(self.params["similar_text_floor"])
        collab = np.asarray(self.parts["knn"].similarity[item_row], dtype=np.float32)
        collab = collab / max(float(collab.max()), 1e-12)
        if "content" in self.parts:
            gram = self.text_gram()
            if gram is not None:
                text = np.array(gram[item_row])
            else:
                e = self.parts["content"].item_vectors
                text = np.asarray(e) @ np.asarray(e[item_row])
            np.clip(text, 0, None, out=text)
            text **= 3                                  # sharpen: only close texts count
            text[item_row] = 0
            text /= max(float(text.max()), 1e-12)
        else:
            text, beta = np.zeros_like(collab), 1.0
        parts_c, parts_t = beta * collab, (1 - beta) * text
        score = parts_c + parts_t
        if exclude is not None:
            score[np.asarray(exclude, dtype=np.int64)] = -np.inf
        rows, scores = _top(score, item_row, k, copy=False)
        source = np.where(parts_c[rows] >= parts_t[rows], SOURCE_CORATING, SOURCE_CONTENT)
        return rows, scores, source

    # -- vectors for FAISS -------------------------------------------------------------------
    def item_vectors(self, space: str = "collab") -> np.ndarray:
        """Unit item rows: "collab" (SVD factors) or "content" (text embeddings)."""
        part = self.parts["factors" if space == "collab" else "content"]
        return np.asarray(part.item_vectors)

    def user_vectors(self, histories, space: str = "collab") -> np.ndarray:
        """Unit user profiles in the same space as `item_vectors(space)`."""
        return self.parts["factors" if space == "collab" else "content"].profiles(histories)

    # -- persistence -------------------------------------------------------------------------
    def save(self, directory) -> Path:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        for name, part in self.parts.items():
            part.save(d / name)
        meta = {"kind": self.kind, "params": self.params, "n_items": self.n_items,
                "arrays": [], "parts": sorted(self.parts)}
        (d / "model.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
        return d

    def _restore(self, directory: Path, meta: dict, reader) -> None:
        from .base import load_model
        self.parts = {name: load_model(directory / name, reader=reader) for name in meta["parts"]}
        self.n_items = meta["n_items"]
        self._text_gram, self._similar_lists = None, None
        self.text_gram()  # a loaded model serves: made here, in gunicorn's master, workers share it
        self._store_similar_lists()


def _strongest(c: np.ndarray, rated: np.ndarray) -> np.ndarray:
    """Per row of contributions `c`, the rated row with the largest positive share, else -1."""
    best = rated[np.argmax(c, axis=1)]
    return np.where(c.max(axis=1) > 0, best, -1).astype(np.int64)


def _top(scores: np.ndarray, skip: int, k: int, copy: bool = True):
    """The k best rows but `skip`, best first; copy=False marks `scores` itself (a temporary)."""
    s = np.array(scores, dtype=np.float32, copy=True) if copy else scores
    s[skip] = -np.inf
    k = min(k, len(s) - 1)
    if k <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    idx = np.sort(np.argpartition(-s, k - 1)[:k])
    idx = idx[np.argsort(-s[idx], kind="stable")]  # equal scores in row order
    idx = idx[np.isfinite(s[idx])]
    return idx.astype(np.int64), s[idx]
