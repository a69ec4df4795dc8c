"""Genre taste (recommender.models.genres): lifts over everyone's shares, gated by how far a
history stands from them."""
import numpy as np
import scipy.sparse as sp

from recommender.models.genres import GenreTaste

# six films: three westerns, three comedies; everyone rates the comedies, few the westerns
GENRES = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 1]], dtype=np.uint8)


def fitted() -> GenreTaste:
    rng = np.random.default_rng(0)
    x = np.zeros((200, 6), dtype=np.float32)
    x[:, 3:] = rng.integers(1, 6, size=(200, 3))
    x[:20, :3] = 4.0
    return GenreTaste().fit(sp.csr_matrix(x), item_genres=GENRES)


def test_a_western_fan_is_steered_to_westerns():
    scores = fitted().score_one(np.array([0, 1, 2]), np.array([5.0, 5.0, 5.0]))
    assert scores[:3].min() > 0 > scores[3:].max()


def test_a_history_like_everyone_elses_says_nothing():
    """One western and nine comedies liked is about the shares of all ratings: no steering."""
    model = fitted()
    base = model.arrays["base"]
    assert base[1] > base[0]
    rows = np.array([0, 3, 4, 5])
    stars = np.array([4.0, 4.0, 4.0, 4.0])
    assert np.allclose(model.score_one(rows, stars), 0.0)


def test_disliked_genres_are_pushed_down():
    scores = fitted().score_one(np.array([0, 1, 2, 3]), np.array([5.0, 5.0, 5.0, 1.0]))
    assert scores[3:].max() < 0 < scores[:3].min()


def test_batch_scoring_is_one_history_at_a_time():
    model = fitted()
    h = sp.csr_matrix(np.array([[5, 5, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0]], dtype=np.float32))
    batch = model.score(h)
    assert np.array_equal(batch[0], model.score_one(np.array([0, 1, 5]), np.array([5.0, 5.0, 1.0])))
    assert not batch[1].any()
