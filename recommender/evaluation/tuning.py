"""Choose the hybrid's hyperparameters and blend weights on validation splits only.

Both validation splits are cut from the train part handed in (recommender.evaluation.protocol):
a warm one (75/25 per user, another seed) and a cold one (a fifth of the users keep 5
ratings). The objective is the mean of the two nDCG@10, so one configuration serves new and
heavy users alike. Coordinate search over a small grid; a few seconds per EASE fit on 2 cores.
"""
from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from recommender.evaluation import protocol as ev
from recommender.models.ease import gram_matrix
from recommender.models.hybrid import Hybrid
from recommender.models.hybrid_base import warmth
from recommender.vocab import Vocabulary

log = logging.getLogger(__name__)

GRID = {
    "lam": [200.0, 300.0, 500.0, 800.0],
    "lam_cold": [1000.0, 2000.0, 4000.0, 8000.0],
    "session_weight": [0.0, 0.3, 0.6],
    "rp3_beta": [0.3, 0.5],
    "w_rp3": [0.0, 0.15, 0.3, 0.6],
    "w_content": [0.0, 0.05, 0.1, 0.2],
    "w_pop_cold": [0.0, 0.1, 0.2, 0.4],
    "half_ratings": [5.0, 8.0, 12.0, 20.0, 40.0, 80.0],
    "warmth_power": [1.0, 2.0, 4.0],
}
BLEND_KEYS = ("w_rp3", "w_content", "w_pop_cold", "half_ratings", "warmth_power")
MIN_COVERAGE_SHARE = 0.16  # warm validation top-10s should span >= 16% of the catalogue
COVERAGE_PENALTY = 0.1  # 10% short of it costs as much as 1% nDCG


class _Fold:
    """One validation split as matrices, with per-parameter caches of component scores."""

    def __init__(self, train: pd.DataFrame, test: pd.DataFrame, users: Vocabulary,
                 items: Vocabulary, item_vectors):
        self.x, self.times = ev.interaction_matrices(train, users, items)
        self.truth, _ = ev.interaction_matrices(test, users, items)
        self.rows = np.flatnonzero(np.diff(self.truth.indptr) > 0)
        self.hist = self.x[self.rows]
        self.n = np.diff(self.hist.indptr).astype(np.float32)
        self.item_vectors = item_vectors
        self._grams: dict = {}
        self._cache: dict = {}

    def gram(self, session_weight, session_seconds):
        key = (session_weight, session_seconds)
        if key not in self._grams:
            self._grams[key] = gram_matrix(self.x, self.times, session_weight, session_seconds)
        return self._grams[key]

    def part(self, name: str, params: dict) -> np.ndarray:
        """The part's scores on the validation histories as the Hybrid blends them, made by the
        Hybrid's own make_part / fit_part / part_scores; cached by what the part depends on
        (EASE warm and cold at one lambda are the same part)."""
        part = Hybrid.make_part(name, params)
        key = (part.kind, tuple(sorted(part.params.items())))
        if key not in self._cache:
            gram = self.gram(params["session_weight"], params["session_seconds"]) if part.kind == "ease" else None
            fitted = Hybrid.fit_part(part, self.x, self.times, self.item_vectors, gram=gram)
            self._cache[key] = Hybrid.part_scores(name, fitted, self.hist)
        return self._cache[key]

    def evaluate(self, p: dict) -> dict:
        names = [n for n in Hybrid.BLENDED if n != "content" or self.item_vectors is not None]
        scores = Hybrid.blend({name: self.part(name, p) for name in names}, warmth(self.n, p), p)
        top = ev.top_k(scores, self.hist, 10)
        full = np.zeros((self.truth.shape[0], 10), dtype=np.int64)
        full[self.rows] = top
        return ev.fast_ndcg(full, self.truth, 10)


def validation_folds(train: pd.DataFrame, items: Vocabulary, item_vectors=None):
    users = Vocabulary(train["user_id"].unique())
    folds = {}
    for protocol in ("warm", "cold"):
        vtr, vte = ev.validation_split(train, protocol)
        folds[protocol] = _Fold(vtr, vte, users, items, item_vectors)
    return folds


MIN_RATINGS_TO_TUNE = 5_000  # below this a validation split says nothing: keep the defaults


def tune_or_default(train: pd.DataFrame, items: Vocabulary, item_vectors=None, report=None) -> dict:
    """`tune` where there is enough data to learn from, else the defaults (tiny catalogues, tests)."""
    if len(train) < MIN_RATINGS_TO_TUNE:
        if report:
            report(f"only {len(train)} ratings: keeping the default hybrid params")
        return {"params": dict(Hybrid.defaults), "validation": None, "seconds": 0.0}
    return tune(train, items, item_vectors, report=report)


def tune(train: pd.DataFrame, items: Vocabulary, item_vectors=None, grid: dict | None = None,
         start: dict | None = None, rounds: int = 2, report=None) -> dict:
    """Hybrid params (JSON-serialisable) chosen on validation splits of `train` only.

    Returns {"params": ..., "validation": {"warm": {...}, "cold": {...}}, "seconds": ...}.
    """
    t0 = time.time()
    grid = {**GRID, **(grid or {})}
    folds = validation_folds(train, items, item_vectors)
    min_cov = MIN_COVERAGE_SHARE * len(items)
    params = {**Hybrid.defaults, **(start or {})}
    if item_vectors is None:
        params["w_content"] = 0.0
        grid["w_content"] = [0.0]

    base = {}

    def objective(p):
        """Mean relative gain over the starting point on both folds, minus a coverage shortfall."""
        w, c = folds["warm"].evaluate(p), folds["cold"].evaluate(p)
        if not base:
            base.update(warm=w["ndcg"], cold=c["ndcg"])
        gain = (w["ndcg"] / base["warm"] + c["ndcg"] / base["cold"]) / 2
        shortfall = COVERAGE_PENALTY * max(0.0, min_cov - w["coverage"]) / min_cov
        return gain - shortfall, w, c

    best = objective(params)
    for _ in range(rounds):
        changed = False
        for key in ("lam", "session_weight", "lam_cold", "rp3_beta") + BLEND_KEYS:
            for value in grid[key]:
                if value == params[key]:
                    continue
                trial = {**params, key: value}
                result = objective(trial)
                if result[0] > best[0] + 1e-5:
                    params, best, changed = trial, result, True
            if report:
                report(f"{key}={params[key]} -> warm {best[1]['ndcg']:.4f} cold {best[2]['ndcg']:.4f}")
        if not changed:
            break
    clean = {k: (float(v) if isinstance(v, (float, np.floating)) else int(v) if isinstance(v, (np.integer,)) else v)
             for k, v in params.items()}
    return {"params": clean, "validation": {"warm": best[1], "cold": best[2]},
            "seconds": round(time.time() - t0, 1)}
