"""Predicted stars as a feed term (recommender.models.stars): the rating model's stars for every
film, on -1..1, from the history as it is at the call."""
import numpy as np
import scipy.sparse as sp

from recommender.models.stars import PredictedStars


def fitted() -> PredictedStars:
    rng = np.random.default_rng(0)
    x = sp.random(200, 80, density=0.2, random_state=1, format="csr", dtype=np.float32)
    x.data = rng.integers(1, 6, x.nnz).astype(np.float32)
    return PredictedStars(factors=8, epochs=5).fit(x)


def test_the_term_is_the_rating_models_stars_on_the_scale():
    model = fitted()
    rows, stars = np.array([1, 5, 9]), np.array([5.0, 1.0, 4.0])
    predicted = model._stars.predict(rows, stars, np.arange(80))
    low, high = model._stars.scale
    np.testing.assert_allclose(model.score_one(rows, stars), (predicted - (low + high) / 2) / ((high - low) / 2),
                               atol=1e-5)
    assert np.abs(model.score_one(rows, stars)).max() <= 1.0


def test_a_harsher_history_lowers_every_film():
    model = fitted()
    rows = np.array([1, 5, 9])
    assert (model.score_one(rows, np.array([1.0, 1.0, 1.0])) < model.score_one(rows, np.array([5.0, 5.0, 5.0]))).all()


def test_batch_scoring_is_one_history_at_a_time():
    model = fitted()
    h = sp.csr_matrix(np.array([[5, 0, 1] + [0] * 77, [0] * 80], dtype=np.float32))
    batch = model.score(h)
    np.testing.assert_array_equal(batch[0], model.score_one(np.array([0, 2]), np.array([5.0, 1.0])))
    assert not batch[1].any()
