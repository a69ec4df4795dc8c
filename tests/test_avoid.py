"""The avoid term: a disliked film's nearest films are marked, unless a liked film is as near."""
import numpy as np
import pytest
import scipy.sparse as sp

from recommender.models.avoid import AvoidNeighbours
from recommender.models.hybrid import Hybrid

# films 0-2 a trilogy, 3-4 two comedies, 5 a loner: weights say who is nearest whom
WEIGHTS = np.array([
    [9, 5, 4, 0, 0, 1],
    [5, 9, 5, 0, 0, 1],
    [4, 5, 9, 0, 0, 1],
    [0, 0, 0, 9, 5, 1],
    [0, 0, 0, 5, 9, 1],
    [1, 1, 1, 1, 1, 9],
], dtype=np.float32)


# genres: action, sci-fi, comedy, drama
GENRES = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0], [0, 0, 0, 1]])


def fitted(neighbours: int = 2, weights=WEIGHTS) -> AvoidNeighbours:
    return AvoidNeighbours(neighbours=neighbours).fit(sp.csr_matrix((4, 6)), item_weights=weights, item_genres=GENRES)


def test_a_disliked_film_marks_its_nearest_never_itself():
    scores = fitted().score_one(np.array([2]), np.array([1.0]))
    assert scores.tolist() == [1, 1, 0, 0, 0, 0]


def test_a_liked_film_among_the_disliked_ones_nearest_says_not_that_one():
    scores = fitted().score_one(np.array([2, 0]), np.array([1.0, 5.0]))
    assert not scores.any()  # Star Wars loved, Return of the Jedi 1 star: Empire is not held against them


def test_a_liked_film_elsewhere_does_not_speak_for_a_disliked_ones_neighbours():
    scores = fitted().score_one(np.array([2, 3]), np.array([1.0, 5.0]))
    assert scores.tolist() == [1, 1, 0, 0, 0, 0]


def test_likes_and_so_so_ratings_mark_nothing():
    assert not fitted().score_one(np.array([0, 3]), np.array([5.0, 3.0])).any()


def test_the_blend_pushes_a_newcomers_avoided_films_down_and_a_veterans_barely():
    params = {**Hybrid.defaults, "w_avoid": 3.0}
    ones = np.ones((2, 6), dtype=np.float32)
    parts = {name: ones for name in ("ease", "ease_cold", "rp3", "popularity", "quality")}
    parts["avoid"] = np.array([[1, 0, 0, 0, 0, 0]] * 2, dtype=np.float32)
    plain = Hybrid.blend({**parts, "avoid": np.zeros((2, 6), np.float32)}, np.array([0.0, 1.0]), params)
    pushed = Hybrid.blend(parts, np.array([0.0, 1.0]), params)
    assert plain[0, 0] - pushed[0, 0] == 3.0 and plain[1, 0] == pushed[1, 0]
    assert (plain[:, 1:] == pushed[:, 1:]).all()


def test_only_films_of_the_same_kind_are_near():
    """The loner is co-rated with the comedies more than anything, but it is a drama."""
    weights = WEIGHTS.copy()
    weights[3, 5] = weights[4, 5] = 8
    scores = fitted(neighbours=2, weights=weights).score_one(np.array([3]), np.array([0.5]))
    assert scores.tolist() == [0, 0, 0, 0, 1, 0]  # the other comedy only: no drama is of its kind


def test_fit_needs_weights_and_genres():
    with pytest.raises(ValueError):
        AvoidNeighbours().fit(sp.csr_matrix((4, 6)), item_weights=WEIGHTS)
