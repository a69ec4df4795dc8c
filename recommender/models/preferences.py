"""Ratings read as preferences: what a star rating says about a person's taste.

A rating is a like, so-so or a dislike, relative to the MovieLens scale and to the person's own
habits: 4 stars and up is a like, and so is a rating half a star or more above the person's
average when it is at least 3.5 (for someone whose 3.5 is generous); 2 stars and below is a
dislike, and so is 3 or less when it is 1.5 stars or more under their average. Every model that
serves the feed reads histories through here, in evaluation and at request time alike. A film
a person marked "not interested" counts as a mild dislike (HIDDEN_STARS), and one on their
watchlist as a mild like (WATCHLIST_STARS)."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

LIKED_STARS, DISLIKED_STARS = 4.0, 2.0
ABOVE_OWN_MEAN, BELOW_OWN_MEAN = 0.5, 1.5
LIKED_FLOOR, DISLIKED_CEILING = 3.5, 3.0
# "Not interested": a dislike, but a mild one, as the watchlist's is a mild like. It says "not this
# film", not "I watched it and hated it": at the lowest rating, the films a horror fan hid from the
# top of their feed soon counted against horror more than the horror films they loved counted for it.
HIDDEN_STARS = 1.5
# "Want to watch": a mild like. 3.5 is never a dislike, so the film counts as seen-and-welcome in
# the terms that read every rating (its neighbours rise a little), but it is a like only for a
# person whose mean is 3.0 or less (classify): for most people it stays out of the liked side,
# where a rating of 4 or more weighs; and reasons never name it (they name rated films only).
WATCHLIST_STARS = 3.5


def classify(stars: np.ndarray, mean: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """(liked, disliked) boolean masks of `stars`, given each rating's person's mean."""
    stars = np.asarray(stars, dtype=np.float64)
    liked = (stars >= LIKED_STARS) | ((stars >= mean + ABOVE_OWN_MEAN) & (stars >= LIKED_FLOOR))
    disliked = (stars <= DISLIKED_STARS) | ((stars <= mean - BELOW_OWN_MEAN) & (stars <= DISLIKED_CEILING))
    return liked, disliked & ~liked


def lukewarm(stars: np.ndarray, mean: float) -> np.ndarray:
    """Stars under 3 and half a star or more under `mean` (the person's `usual_stars`): not a
    dislike, and not what a list picked for them should lead with ("You'd rate it about 2.7★"
    from someone whose average is 3.7). A person who gives low stars to what they watch is
    not held to 3."""
    stars = np.asarray(stars, dtype=np.float64)
    return (stars < DISLIKED_CEILING) & (stars <= mean - ABOVE_OWN_MEAN)


def usual_stars(stars: np.ndarray) -> float:
    """The mean of a person's ratings that are not dislikes (all of them when all are): what
    they usually give a film they did not mind. Someone who gave their kind of film 5 stars and
    another kind 1 star averages 3, yet is no harsh rater: a film predicted at 2.6 is lukewarm
    to them."""
    stars = np.asarray(stars, dtype=np.float64)
    if not len(stars):
        return 0.0
    _, disliked = masks_of(stars)
    kept = stars[~disliked] if not disliked.all() else stars
    return float(kept.mean())


FAVOURITE_FLOOR = 3.0  # "it's OK": the least a favourite of someone with no like can have


def favourites(stars: np.ndarray) -> np.ndarray:
    """The films a reason may name, as a mask of one person's `stars`: the liked ones; for
    someone with none (a harsh rater whose best get 3 stars and the rest 1 or 2), those they
    rated highest, at FAVOURITE_FLOOR or more and not a dislike: the feed follows them (every
    rating but a dislike pulls its neighbours up), and "Because you rated Star Wars 3★" says
    so."""
    stars = np.asarray(stars, dtype=np.float64)
    liked, disliked = masks_of(stars)
    best = ~disliked & (stars >= FAVOURITE_FLOOR)
    if liked.any() or not best.any():
        return liked
    return best & (stars == stars[best].max())


def masks_of(stars: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """classify() for one person's ratings (their mean taken from them)."""
    stars = np.asarray(stars, dtype=np.float64)
    return classify(stars, float(stars.sum()) / len(stars) if len(stars) else 0.0)


def _cell_masks(h: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """(liked, disliked) per stored cell of h, each row classified by its own mean."""
    counts = np.diff(h.indptr)
    data = h.data.astype(np.float64)
    means = np.array([data[a:b].sum() for a, b in zip(h.indptr[:-1], h.indptr[1:])]) / np.maximum(counts, 1)
    return classify(data, np.repeat(means, counts))


def split(histories: sp.csr_matrix) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(liked, disliked): 0/1 matrices of the same shape, each row classified by its own mean."""
    h = sp.csr_matrix(histories, dtype=np.float32)
    liked, disliked = _cell_masks(h)
    return _pattern(h, liked), _pattern(h, disliked)


def _pattern(h: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    """1 where `keep` holds in h's stored cells, as its own matrix (h is left as it was)."""
    out = sp.csr_matrix((keep.astype(np.float32), h.indices.copy(), h.indptr.copy()), shape=h.shape)
    out.eliminate_zeros()
    return out


def liked_matrix(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """The likes of every person: what the liked-films model is fitted on."""
    return split(matrix)[0]


def sides(histories: sp.csr_matrix) -> dict[str, sp.csr_matrix]:
    """The sides of histories the blend's terms read: "all" (stars as given), "liked" and
    "disliked" (0/1), and "kept" (stars of all but the disliked films: the terms that read every
    rating as "seen" must not let a disliked film pull its neighbours up)."""
    h = sp.csr_matrix(histories, dtype=np.float32)
    liked, disliked = _cell_masks(h)
    kept = sp.csr_matrix((np.where(disliked, 0, h.data).astype(np.float32), h.indices.copy(), h.indptr.copy()),
                         shape=h.shape)
    kept.eliminate_zeros()
    return {"all": h, "liked": _pattern(h, liked), "disliked": _pattern(h, disliked), "kept": kept}
