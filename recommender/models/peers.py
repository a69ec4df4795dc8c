"""People like you: the users whose liked films resemble this person's, and what they liked.

Each user of the training data is a unit vector, the sum of the collaborative item vectors of
the films they liked (recommender.models.factors: popularity-scaled, so two people who both
liked the same big hit look less alike than two who liked the same western); these are the
profiles of the version's users_collab.faiss. A history's profile is made the same way from
its liked films; its `neighbours` nearest users (inner product) each vote for the films they
liked, with their similarity. A new user with five ratings of one kind is matched to the people
who loved those films, whose other favourites co-ratings of big hits alone do not surface."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from . import preferences
from .base import Model, OneHistoryAtATime, nearest_kin_first, unit_rows


SHARE_PRIOR = 2.0  # neighbours' worth of smoothing: one who loved both is not yet "most often"


class PeerTaste(OneHistoryAtATime, Model):
    kind = "peers"
    defaults = {"neighbours": 50}

    def fit(self, matrix, times=None, item_vectors=None):
        """`item_vectors`: the collaborative item vectors (items x dims) users are compared in."""
        if item_vectors is None:
            raise ValueError("peers: fit needs the collaborative item vectors")
        liked = preferences.liked_matrix(matrix)
        v = np.asarray(item_vectors, dtype=np.float32)
        self.arrays = {"V": v, "P": unit_rows(liked @ v),
                       "likes_indptr": liked.indptr.astype(np.int64), "likes": liked.indices.astype(np.int32)}
        self.n_items = int(matrix.shape[1])
        return self

    @property
    def user_profiles(self) -> np.ndarray:
        """(users, dims) unit profiles of the training users, in the order of their rows."""
        return self.arrays["P"]

    def profiles(self, liked_histories) -> np.ndarray:
        """Unit profiles of 0/1 liked histories (a zero row for no liked film)."""
        return unit_rows(sp.csr_matrix(liked_histories, dtype=np.float32) @ self.arrays["V"])

    def _nearest(self, liked_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(training users nearest to the profile of `liked_rows`, their similarities), only
        those with a positive one."""
        profile = self.arrays["V"][np.asarray(liked_rows, dtype=np.int64)].sum(axis=0)
        sims = self.user_profiles @ (profile / max(float(np.linalg.norm(profile)), 1e-12))
        k = min(int(self.params["neighbours"]), len(sims))
        near = np.argpartition(-sims, k - 1)[:k] if k < len(sims) else np.arange(len(sims))
        near = near[sims[near] > 0]
        return near, sims[near]

    def _likes_of(self, users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in `users` of each like, the liked item row) of every like of `users`."""
        indptr, likes = self.arrays["likes_indptr"], self.arrays["likes"]
        starts, counts = indptr[users], indptr[users + 1] - indptr[users]
        # the positions of the users' likes in `likes`, one run per user, without a loop
        runs = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
        return np.repeat(np.arange(len(users)), counts), likes[runs + np.arange(int(counts.sum()))]

    def score_one(self, liked_rows: np.ndarray, stars: np.ndarray | None = None) -> np.ndarray:
        """(items,) the similarity-weighted likes of the users nearest to one history, given by
        its liked rows (the blend hands this part the liked side: `stars`, all 1, say nothing
        more)."""
        if len(liked_rows) == 0:
            return np.zeros(self.n_items, dtype=np.float32)
        near, sims = self._nearest(liked_rows)
        owner, cells = self._likes_of(near)
        return np.bincount(cells, weights=sims[owner], minlength=self.n_items).astype(np.float32)

    def shared_love(self, liked_rows: np.ndarray, item_rows: np.ndarray,
                    kin: np.ndarray | None = None, counted_from: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """For each of `item_rows`, the one of `liked_rows` whose lovers among the nearest users
        (those score_one asks) loved it most often, and how many of them did: the evidence of
        "Loved by 23 people whose favourites match yours; they loved Toy Story too". Most often
        as a share of those who loved the liked film (smoothed by SHARE_PRIOR), not as a count:
        nearly every neighbour of a Star Wars fan loved Star Wars, so a count names it under
        Pinocchio too, where the three who loved Toy Story say more. `kin` (len(item_rows) x
        len(liked_rows): how near the pick's kind each liked film is, 0 for none, as a bool or
        a genre Jaccard) puts the nearest first where `counted_from` or more of those users
        loved it and the pick (a reason counts them from there), then the share: "they loved
        Seven too" under Raising Arizona is true and says nothing, nor "they loved Alien too"
        under Fargo (a thriller each) beside a liked Pulp Fiction (a crime drama each). (-1, 0)
        where none did."""
        liked_rows = np.asarray(liked_rows, dtype=np.int64)
        item_rows = np.asarray(item_rows, dtype=np.int64)
        best, count = np.full(len(item_rows), -1, np.int64), np.zeros(len(item_rows), np.int64)
        if len(liked_rows) == 0 or len(item_rows) == 0:
            return best, count
        near, _ = self._nearest(liked_rows)
        owner, cells = self._likes_of(near)
        asked = np.unique(np.concatenate([item_rows, liked_rows]))  # only these columns matter
        at = np.minimum(np.searchsorted(asked, cells), len(asked) - 1)
        kept = asked[at] == cells
        loved = np.zeros((len(near), len(asked)), dtype=np.float32)
        loved[owner[kept], at[kept]] = 1.0
        of_liked = loved[:, np.searchsorted(asked, liked_rows)]
        both = loved[:, np.searchsorted(asked, item_rows)].T @ of_liked
        share = both / (of_liked.sum(axis=0) + SHARE_PRIOR)
        if kin is not None:  # nearer kinds above every other share, where enough loved both
            share = np.where(both >= max(counted_from, 1), nearest_kin_first(kin, share), share)
        pick = share.argmax(axis=1)
        count = both[np.arange(len(item_rows)), pick].astype(np.int64)
        best = np.where(count > 0, liked_rows[pick], -1)
        return best, count
