"""The one contract every model follows (in the spirit of `implicit` and LensKit).

- `Model(**params)`: params are plain JSON values; unknown keys raise ValueError.
- `fit(matrix, times=None, item_vectors=None)`: `matrix` is a users x items csr of ratings,
  `times` the same pattern holding unix seconds, `item_vectors` (items x d) unit rows.
- `score(histories)`: histories is an n x items csr built at call time, so a rating made a
  second ago counts without a refit (fold-in). Returns float32 (n, items); higher is better.
- `feed_top(rated_rows, k, allowed)`: the feed's question for one user (top-k allowed rows and
  their scores); by default score + top_rows, overridable where a cheaper search exists.
  `because_of_rows(rated_rows, item_rows)` likewise, for the feed's reasons, and
  `feed_explained(rated_rows, liked_rows, k, allowed)` both in one call.
- `ServingModel` adds what serving asks of the model an index version holds: `similar_items`
  ("movies like X"), `item_vectors` / `user_vectors` (FAISS), and `attach_index` for the
  indices the version keeps beside the model (`shared_index_files`).
- `save(dir)` / `load_model(dir)`: `model.json` (kind, params, shapes) plus one `.npy` per
  array, loaded with allow_pickle=False through a reader: from disk by default, or through the
  serving side's checked reader (recommender.serving.index.VersionFiles), which keeps no file mapped.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from recommender.models import preferences
from recommender.vectors import faiss_io

REGISTRY: dict[str, type["Model"]] = {}


def binary(matrix: sp.spmatrix) -> sp.csr_matrix:
    """Implicit view: every rated cell becomes 1 (the protocol counts any rating as relevant)."""
    x = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
    x.eliminate_zeros()
    x.data[:] = 1.0
    return x


def binary_product(histories: sp.csr_matrix, weights: np.ndarray) -> np.ndarray:
    """binary(histories) @ weights. One history (every feed request) is a sum of the rated
    items' rows: a gather, without building sparse copies."""
    if histories.shape[0] == 1:
        rows = np.unique(histories.indices[histories.data != 0])
        return np.asarray(weights[rows], dtype=np.float32).sum(axis=0, keepdims=True)
    return np.asarray(binary(histories) @ weights, dtype=np.float32)


def history(item_rows, n_items: int, ratings=None) -> sp.csr_matrix:
    """A 1 x items csr for one user from row numbers and their stars (default: every one a like)."""
    rows = np.asarray(item_rows, dtype=np.int64)
    vals = (np.full(len(rows), preferences.LIKED_STARS, np.float32) if ratings is None
            else np.asarray(ratings, np.float32))
    return sp.csr_matrix((vals, (np.zeros(len(rows), np.int64), rows)), shape=(1, n_items))


def top_rows(scores: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
    """Rows of the k best allowed scores, best first, equal scores in row order, and the same
    rows whatever k: the first k of top_rows(..., k + 20) are top_rows(..., k), so every page of
    a list is a slice of one order (films tied on their rating count, the popular sort). NaN
    counts as the worst score."""
    candidates = np.flatnonzero(allowed)
    if len(candidates) > k:
        worse = -scores[candidates]
        worse[np.isnan(worse)] = np.inf
        cut = np.partition(worse, k - 1)[k - 1]  # minus the k-th best score
        better, tied = candidates[worse < cut], candidates[worse == cut]  # `tied` in row order
        candidates = np.sort(np.concatenate([better, tied[:k - len(better)]]))
    return candidates[np.argsort(-scores[candidates], kind="stable")]


def top_k(scores: np.ndarray, seen: sp.csr_matrix | None, k: int) -> np.ndarray:
    """Row-wise top-k item rows, best first; items in `seen` are never returned."""
    s = np.array(scores, dtype=np.float32, copy=True)
    if seen is not None:
        coo = seen.tocoo()
        s[coo.row, coo.col] = -np.inf
    k = min(k, s.shape[1])
    part = np.argpartition(-s, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(s, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def unit_rows(a: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a zero row stays zero): inner products become cosines."""
    a = np.asarray(a, dtype=np.float32)
    return (a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)).astype(np.float32)


KIN_DECIMALS = 2  # kinships within a hundredth are alike: the value decides between them


def nearest_kin_first(kin: np.ndarray, values: np.ndarray) -> np.ndarray:
    """An order key of `values` (picks x liked films) by the kinship of each pair first
    (`kin`, the same shape: a genre Jaccard, or a bool), rounded to KIN_DECIMALS, then by the
    value: which liked film a reason names."""
    v = np.asarray(values, dtype=np.float64)
    step = 2.0 * float(np.abs(v).max(initial=0.0)) + 1.0  # above any difference of values
    return np.round(np.asarray(kin, dtype=np.float64), KIN_DECIMALS) * 10 ** KIN_DECIMALS * step + v


def row_max_normalise(scores: np.ndarray) -> np.ndarray:
    """Divide each row by its largest |score| so components blend on one scale."""
    peak = np.abs(scores).max(axis=1, keepdims=True)
    return scores / np.maximum(peak, 1e-12)


class Model:
    kind: ClassVar[str] = "base"
    defaults: ClassVar[dict] = {}
    # params a version saved by older code may carry and this code no longer reads: dropped at
    # load, so a live version keeps serving after an upgrade until the next rebuild
    retired: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if cls.kind != "base":
            REGISTRY[cls.kind] = cls

    def __init__(self, **params):
        params = {k: v for k, v in params.items() if k not in self.retired}
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            raise ValueError(f"{self.kind}: unknown config key(s) {unknown}; "
                             f"known keys are {sorted(self.defaults)}")
        self.params = {**self.defaults, **params}
        self.arrays: dict[str, np.ndarray] = {}
        self.n_items: int | None = None

    # -- to implement ------------------------------------------------------------------------
    def fit(self, matrix: sp.csr_matrix, times: sp.csr_matrix | None = None,
            item_vectors: np.ndarray | None = None) -> "Model":
        raise NotImplementedError

    def score(self, histories: sp.csr_matrix) -> np.ndarray:
        raise NotImplementedError

    # -- shared ------------------------------------------------------------------------------
    def feed_top(self, rated_rows: np.ndarray, k: int, allowed: np.ndarray,
                 stars: np.ndarray | None = None, times: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k item rows (best first) and their scores for one user whose history is
        `rated_rows` (int64 item rows) with `stars` (default: all likes), among rows where the
        bool mask `allowed` is True. `times` (when each was rated, any increasing clock; None:
        unknown, as in the protocols' splits) is for the models that weigh the latest ratings."""
        if self.n_items is None:
            raise RuntimeError(f"{self.kind}: fit or load the model first")
        scores = self.score(history(rated_rows, self.n_items, stars))[0]
        top = top_rows(scores, allowed, k)
        return top, scores[top]

    def reads_times(self, n_ratings: int) -> bool:
        """Whether feed_top reads `times` for a history of `n_ratings` (serving reads them from
        the store only then); no by default."""
        return False

    def feed_explained(self, rated_rows: np.ndarray, liked_rows: np.ndarray, k: int,
                       allowed: np.ndarray, stars: np.ndarray | None = None, times: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """feed_top, plus for each pick the one of `liked_rows` (a part of the history) that
        raised it most (-1: none): what "Because you rated X" names. By default because_of_rows
        on the liked rows alone; a model can share work between scoring and explaining."""
        top, scores = self.feed_top(rated_rows, k, allowed, stars, times)
        return top, scores, self.because_of_rows(liked_rows, top)

    def because_of_rows(self, rated_rows: np.ndarray, item_rows: np.ndarray) -> np.ndarray:
        """For each of `item_rows`, the one of `rated_rows` that raised it most (-1: none).
        By default `because_of` on a history built from the rows; models that explain
        implement `because_of(history_row, item_rows)`."""
        return self.because_of(history(rated_rows, self.n_items), item_rows)

    def _check(self, histories) -> sp.csr_matrix:
        if self.n_items is None:
            raise RuntimeError(f"{self.kind}: fit or load the model first")
        h = sp.csr_matrix(histories, dtype=np.float32)
        if h.shape[1] != self.n_items:
            raise ValueError(f"{self.kind}: histories have {h.shape[1]} items, model has {self.n_items}")
        return h

    def recommend(self, histories, k: int = 10, exclude_seen: bool = True) -> np.ndarray:
        """Top-k item rows per history row, best first, rated items left out."""
        h = self._check(histories)
        return top_k(self.score(h), h if exclude_seen else None, k)

    def save(self, directory) -> Path:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        for name, arr in self.arrays.items():
            np.save(d / f"{name}.npy", np.ascontiguousarray(arr))
        meta = {"kind": self.kind, "params": self.params, "n_items": self.n_items,
                "arrays": sorted(self.arrays)}
        (d / "model.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
        return d

    def _restore(self, directory: Path, meta: dict, reader: "DiskReader") -> None:
        self.arrays = {n: reader.array(directory / f"{n}.npy") for n in meta["arrays"]}
        self.n_items = meta["n_items"]


class OneHistoryAtATime:
    """score() for parts that score one history at a time, as every feed request does
    (`score_one(rows, stars)`): each non-empty row of the histories in turn, the same code."""

    def score(self, histories) -> np.ndarray:
        h = self._check(histories)
        h.eliminate_zeros()
        out = np.zeros((h.shape[0], self.n_items), dtype=np.float32)
        for u in np.flatnonzero(np.diff(h.indptr)):
            cells = slice(h.indptr[u], h.indptr[u + 1])
            out[u] = self.score_one(h.indices[cells], h.data[cells])
        return out


class ServingModel(Model):
    """The model an index version serves (recommender.models.hybrid_base.HybridBase): the feed
    (Model.feed_explained), and the rest declared here, so serving calls nothing undeclared."""

    def __init__(self, **params):
        super().__init__(**params)
        self.shared_index_files: dict[str, str] = {}  # space -> file of the version that holds it

    def similar_items(self, item_row: int, k: int = 10,
                      exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """"Movies like X": (item rows, scores, source per row: 0 co-rating, 1 content), best
        first, never `item_row` nor a row of `exclude`."""
        raise NotImplementedError

    def item_vectors(self, space: str = "collab") -> np.ndarray:
        """Unit item rows in `space` ("collab" or "content"), for FAISS."""
        raise NotImplementedError

    def shared_love(self, liked_rows: np.ndarray, item_rows: np.ndarray,
                    counted_from: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """For picks that people like the user raised: per item row, the liked row most of those
        people also loved and how many did ((-1, 0): no such evidence, the default); a liked
        film goes first for its kinship with the pick only where `counted_from` or more of them
        loved both (a reason counts them from there)."""
        return np.full(len(item_rows), -1, dtype=np.int64), np.zeros(len(item_rows), dtype=np.int64)

    def user_vectors(self, histories, space: str = "collab") -> np.ndarray:
        """Unit user profiles in the space of `item_vectors(space)`."""
        raise NotImplementedError

    def attach_index(self, space: str, index) -> None:
        """Search `index`, which the version holds (`shared_index_files[space]`), for `space`."""
        raise NotImplementedError


class DiskReader:
    """How load_model reads a saved model's files when nobody hands it a reader: straight from
    disk into memory (never memory-mapped: a mapped file truncated under a process kills it with
    SIGBUS). For processes that own the files while they run (the indexer, notebooks, tests);
    serving reads through recommender.serving.index.VersionFiles, each file checked against the
    version's manifest. Any reader offers these three methods."""

    def text(self, path: Path) -> str:
        return Path(path).read_text()

    def array(self, path: Path) -> np.ndarray:
        return np.load(path, allow_pickle=False)

    def index(self, path: Path):
        return faiss_io.load(path)


def load_model(directory, reader=None) -> Model:
    """Rebuild any saved model from its folder (kind read from model.json). `reader` (default: a
    DiskReader) reads every file of it, the parts' too."""
    return load_saved(directory, REGISTRY, "model.json", reader)


def load_saved(directory, registry: dict, meta_file: str, reader=None):
    """The saved object of `directory`: its class named by the kind in `meta_file`, looked up in
    `registry`, restored through `reader` (default: a DiskReader). Models and rating models
    (recommender.models.rating) are read alike."""
    d = Path(directory)
    reader = reader if reader is not None else DiskReader()
    meta = json.loads(reader.text(d / meta_file))
    if meta.get("kind") not in registry:
        raise ValueError(f"unknown model kind {meta.get('kind')!r} in {d}")
    model = registry[meta["kind"]](**meta["params"])
    model._restore(d, meta, reader)
    return model
