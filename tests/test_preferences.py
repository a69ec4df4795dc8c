"""Stars read as preferences (recommender.models.preferences), and what the hybrid makes of them."""
import copy

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.models import Hybrid, history, preferences
from recommender.models.hybrid_base import BECAUSE_PEERS

N_USERS, N_ITEMS = 150, 90


@pytest.mark.parametrize("stars, liked, disliked", [
    ([5, 4, 3, 2, 1], [1, 1, 0, 0, 0], [0, 0, 0, 1, 1]),
    ([3.5, 3.5, 2.5, 2.5], [1, 1, 0, 0], [0, 0, 0, 0]),  # above a 3-star habit is a like; 2.5 is so-so
    ([3.5, 1.5, 1.5, 1.5], [1, 0, 0, 0], [0, 1, 1, 1]),  # a harsh rater's 3.5 is a like
    ([5, 5, 5, 3], [1, 1, 1, 0], [0, 0, 0, 1]),  # a generous rater's 3 is a dislike
])
def test_stars_relative_to_the_scale_and_the_person(stars, liked, disliked):
    is_liked, is_disliked = preferences.masks_of(np.array(stars, dtype=np.float32))
    assert is_liked.astype(int).tolist() == liked and is_disliked.astype(int).tolist() == disliked


def test_lukewarm_is_under_three_and_under_the_persons_own_average():
    stars = np.array([2.7, 3.0, 2.7, 1.0])
    assert preferences.lukewarm(stars, 3.7).tolist() == [True, False, True, True]
    assert not preferences.lukewarm(stars[:3], 2.4).any()  # a harsh rater's 2.7 is their habit


def test_usual_stars_leave_out_the_dislikes():
    """Five horror films at 5 stars and five romances at 1: the person usually gives 5, not 3,
    so a pick predicted at 2.6 is lukewarm to them; a harsh rater's own habit stands."""
    bimodal = np.array([5.0] * 5 + [1.0] * 5)
    assert preferences.usual_stars(bimodal) == 5.0
    assert preferences.lukewarm(np.array([2.6]), preferences.usual_stars(bimodal)).tolist() == [True]
    assert not preferences.lukewarm(np.array([2.6]), float(bimodal.mean())).any()
    harsh = np.array([2.5, 3.0, 2.5, 3.0])
    assert preferences.usual_stars(harsh) == float(harsh.mean())
    assert preferences.usual_stars(np.array([1.0, 1.5])) == 1.25  # all dislikes: their mean
    assert preferences.usual_stars(np.array([])) == 0.0


def test_split_classifies_each_row_by_its_own_mean():
    h = sp.csr_matrix(np.array([[5, 3, 0, 1], [0, 3.5, 1.5, 1.5]], dtype=np.float32))
    liked, disliked = preferences.split(h)
    assert liked.toarray().tolist() == [[1, 0, 0, 0], [0, 1, 0, 0]]
    assert disliked.toarray().tolist() == [[0, 0, 0, 1], [0, 0, 1, 1]]
    assert h.toarray()[0].tolist() == [5, 3, 0, 1]  # left as it was


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(11)
    x = sp.random(N_USERS, N_ITEMS, density=0.15, random_state=11, format="csr", dtype=np.float32)
    x.data = rng.integers(1, 6, size=x.nnz).astype(np.float32)
    t = x.copy()
    t.data = 1e9 + rng.integers(0, 10**6, size=x.nnz).astype(np.float64)
    e = rng.standard_normal((N_ITEMS, 16)).astype(np.float32)
    genres = (rng.random((N_ITEMS, 6)) < 0.1).astype(np.uint8)  # a main genre, now and then a second
    genres[np.arange(N_ITEMS), rng.integers(0, 6, N_ITEMS)] = 1
    return Hybrid(lam=20.0, lam_cold=200.0, lam_liked=20.0, factor_dims=8).fit(x, t, e, item_genres=genres)


def test_a_dislike_lowers_what_a_like_raises(model):
    """The same film rated 5 stars or 1 star beside the same two likes: its neighbours score
    higher, on average, after the like than after the dislike."""
    model = copy.copy(model)
    model.params = {**model.params, "w_genre": 0.0}  # random genres here: not what this is about
    rows = np.array([3, 7, 20])
    liked = model.score(history(rows, N_ITEMS, [5, 5, 5]))[0]
    disliked = model.score(history(rows, N_ITEMS, [5, 5, 1]))[0]
    neighbours = np.argsort(-model._weights("liked")[20])[:5]
    assert liked[neighbours].mean() > disliked[neighbours].mean()


def test_a_one_genre_fan_is_shown_that_genre(model):
    """Five 5-star films of one genre: with few ratings the genre-taste term steers the feed."""
    g = model.parts["genres"].item_genres > 0
    rows = np.flatnonzero(g[:, 2])[:5]
    allowed = np.ones(N_ITEMS, bool)
    allowed[rows] = False
    top, _ = model.feed_top(rows, 10, allowed, np.full(5, 5.0))
    assert g[top, 2].mean() >= 0.5


def test_fast_path_with_stars_equals_general_scoring(model):
    rng = np.random.default_rng(5)
    for _ in range(20):
        rows = np.sort(rng.choice(N_ITEMS, size=int(rng.integers(1, 30)), replace=False))
        stars = rng.integers(1, 11, size=len(rows)) / 2
        expected = model.score(history(rows, N_ITEMS, stars))[0]
        np.testing.assert_allclose(model.score_rows(rows, stars), expected, rtol=1e-5, atol=1e-6)


def test_reasons_never_name_a_disliked_film(model):
    rows = np.array([3, 7, 20, 41])
    stars = np.array([5, 4.5, 1, 0.5])
    allowed = np.ones(N_ITEMS, bool)
    allowed[rows] = False
    liked, _ = preferences.masks_of(stars)
    _, _, because = model.feed_explained(rows, rows[liked], 20, allowed, stars)
    assert set(because.tolist()) <= {3, 7, -1, BECAUSE_PEERS}
    general = model.because_of(history(rows, N_ITEMS, stars), np.flatnonzero(allowed)[:20])
    assert set(general.tolist()) <= {3, 7, -1}


def test_a_version_built_before_the_listening_terms_still_serves(model):
    """A worker running this code may load a version built by the previous one (no likes' EASE,
    no quality or genre parts): the feed answers from the terms it has."""
    old = copy.copy(model)
    old.parts = {name: part for name, part in model.parts.items()
                 if name not in ("ease_liked", "quality", "genres", "peers")}
    rows, stars = np.array([3, 7, 20]), np.array([5.0, 4.0, 1.0])
    allowed = np.ones(N_ITEMS, bool)
    allowed[rows] = False
    top, scores, because = old.feed_explained(rows, rows[:2], 10, allowed, stars)
    assert len(top) == 10 and np.isfinite(scores).all() and set(because.tolist()) <= {3, 7, -1}


def test_people_like_you_name_no_film_and_need_likes(model):
    """A pick the nearest users raised more than any liked film says so (BECAUSE_PEERS); a
    history with no liked film has no peers to ask."""
    rows, stars = np.array([3, 7, 20]), np.array([5.0, 5.0, 5.0])
    allowed = np.ones(N_ITEMS, bool)
    allowed[rows] = False
    peers = model.parts["peers"]
    votes = peers.score_one(rows)
    assert votes[rows].sum() >= 0 and votes.max() > 0
    assert not peers.score_one(np.zeros(0, np.int64)).any()
    only_peers = copy.copy(model)
    only_peers.params = {**model.params, "w_peers": 100.0}
    _, _, because = only_peers.feed_explained(rows, rows, 10, allowed, stars)
    assert (because == BECAUSE_PEERS).all()


def test_favourites_are_the_likes_else_the_best_rated_at_three_stars_or_more():
    """A reason names a liked film; someone with none (their best get 3 stars) has favourites
    all the same: the films they rated highest, not a dislike and at 3 stars or more."""
    assert preferences.favourites(np.array([5.0, 1.0, 3.0])).tolist() == [True, False, False]
    assert preferences.favourites(np.array([3.0, 1.0, 3.0, 2.0, 1.5])).tolist() == [True, False, True, False, False]
    assert not preferences.favourites(np.array([2.5, 1.0, 2.0])).any()  # nothing at 3 stars: none
    assert not preferences.favourites(np.array([])).any()
