"""The rating models' maths on small synthetic data whose right answers are known."""
import numpy as np
import pytest
import scipy.sparse as sp

from recommender.models.rating import (
    BiasedMF,
    Biases,
    GlobalMean,
    ItemMean,
    GenreNeighbours,
    KNNBaseline,
    RatingBlend,
    UserMean,
    load_rating_model,
    tune,
)
from recommender.models.rating.baselines import RESIDUAL_CAP, fit_biases, held_residuals
from recommender.models.rating.blend import (
    BEYOND_PARTS,
    LARGE_MF,
    NEWCOMER_REVEAL,
    blend_weights,
    default_weights,
    newcomer_histories,
    validation_cells,
    within_parts,
)
from recommender.models.rating.neighbours import shrunk_pearson


def _matrix(stars: np.ndarray, observed: np.ndarray) -> sp.csr_matrix:
    rows, cols = np.nonzero(observed)
    return sp.csr_matrix((stars[rows, cols], (rows, cols)), shape=stars.shape)


@pytest.fixture
def additive():
    """Stars that are exactly mean + user bias + item bias, 70% observed."""
    rng = np.random.default_rng(1)
    b_user, b_item = rng.normal(0, 0.5, 40), rng.normal(0, 0.5, 30)
    stars = 3.0 + b_user[:, None] + b_item[None, :]
    return stars, rng.random(stars.shape) < 0.7


@pytest.fixture
def low_rank():
    """Stars of rank 2 plus biases, 60% observed, on a 1..5-ish scale."""
    rng = np.random.default_rng(2)
    p, q = rng.normal(0, 0.6, (80, 2)), rng.normal(0, 0.6, (50, 2))
    stars = 3.0 + rng.normal(0, 0.3, (80, 1)) + rng.normal(0, 0.3, (1, 50)) + p @ q.T
    return stars, rng.random(stars.shape) < 0.6


def test_baselines_predict_their_definitions(additive):
    stars, observed = additive
    m = _matrix(stars, observed)
    history = np.flatnonzero(observed[0])
    own = stars[0, history]
    assert np.allclose(GlobalMean().fit(m).predict(history, own, [0, 5]), stars[observed].mean())
    assert np.allclose(UserMean().fit(m).predict(history, own, [0, 5]), own.mean())
    item_mean = ItemMean().fit(m).predict([], [], [3])[0]
    assert item_mean == pytest.approx(stars[observed[:, 3], 3].mean())


def test_biases_recover_additive_stars_and_fold_in_is_the_user_step(additive):
    stars, observed = additive
    m = _matrix(stars, observed)
    model = Biases(reg_user=1e-6, reg_item=1e-6, epochs=200).fit(m)
    for user in range(5):
        history = np.flatnonzero(observed[user])
        held_out = np.flatnonzero(~observed[user])
        predicted = model.predict(history, stars[user, history], held_out)
        assert np.allclose(predicted, np.clip(stars[user, held_out], *model.scale), atol=1e-3)
    # with real regularisation, the fold-in of a training user is the fit's own user bias
    model = Biases(epochs=50).fit(m)
    b_user, _ = fit_biases(m.tocsr(), model.mean, 15.0, 10.0, 50)
    history = np.flatnonzero(observed[7])
    assert model.user_bias(history, stars[7, history]) == pytest.approx(b_user[7], abs=1e-6)


def test_biased_mf_recovers_held_out_cells_of_a_low_rank_matrix(low_rank):
    stars, observed = low_rank
    model = BiasedMF(factors=4, reg=0.01, reg_bias=0.01, epochs=30).fit(_matrix(stars, observed))
    errors = []
    for user in range(80):
        history, held_out = np.flatnonzero(observed[user]), np.flatnonzero(~observed[user])
        predicted = model.predict(history, stars[user, history], held_out)
        errors.append(predicted - np.clip(stars[user, held_out], *model.scale))
    assert np.sqrt(np.mean(np.concatenate(errors) ** 2)) < 0.1


def test_biased_mf_folds_in_a_person_it_never_saw(low_rank):
    """A newcomer whose stars follow the fitted item parameters is predicted almost exactly:
    the fold-in is the same ridge solve as training's user step."""
    stars, observed = low_rank
    model = BiasedMF(factors=2, reg=1e-4, reg_bias=1e-4, epochs=20).fit(_matrix(stars, observed))
    q, b_item = model.arrays["item_factors"], model.arrays["item_bias"]
    truth = model.mean + 0.2 + b_item + q @ np.array([0.3, -0.2])
    rated = np.arange(0, 50, 3)
    predicted = model.predict(rated, truth[rated], np.arange(50))
    assert np.allclose(predicted, np.clip(truth, *model.scale), atol=1e-3)


def test_a_rating_made_now_counts(low_rank):
    stars, observed = low_rank
    m = _matrix(stars, observed)
    for model in (Biases().fit(m), BiasedMF(factors=3).fit(m), KNNBaseline(k=10, shrinkage=5).fit(m)):
        before = model.predict([0, 1, 2], [3.0, 3.0, 3.0], [10, 11, 12])
        after = model.predict([0, 1, 2, 3], [3.0, 3.0, 3.0, 5.0], [10, 11, 12])
        assert not np.allclose(before, after), model.kind
        assert after.mean() > before.mean(), model.kind


def test_unknown_films_and_empty_histories_fall_back(additive):
    stars, observed = additive
    m = _matrix(stars, observed)
    for model in (Biases().fit(m), BiasedMF(factors=3).fit(m), KNNBaseline().fit(m),
                  RatingBlend(mf={"factors": 3}).fit(m)):
        empty = model.predict([], [], [0, -1, 999])
        assert np.isfinite(empty).all() and empty[1] == pytest.approx(empty[2])
        history = np.flatnonzero(observed[0])
        unknown = model.predict(np.append(history, -5), np.append(stars[0, history], 4.0), [-1])
        assert np.isfinite(unknown).all()
    biases = Biases().fit(m)
    assert biases.predict([], [], [-1])[0] == pytest.approx(biases.mean)


def test_predictions_are_clipped_to_the_training_scale():
    m = sp.csr_matrix(np.array([[5.0, 5.0, 1.0], [5.0, 5.0, 1.0], [1.0, 1.0, 5.0]]))
    model = Biases(reg_user=0.0, reg_item=0.0).fit(m)
    predicted = model.predict([0, 1], [5.0, 5.0], [0, 1, 2])
    assert predicted.min() >= 1.0 and predicted.max() <= 5.0


def test_shrunk_pearson_matches_its_definition():
    rng = np.random.default_rng(3)
    dense = np.where(rng.random((12, 6)) < 0.7, rng.normal(0, 1, (12, 6)), 0.0)
    sims = shrunk_pearson(sp.csr_matrix(dense), shrinkage=2.0, keep=5).toarray()
    rated = dense != 0
    for i in range(6):
        for j in range(6):
            both = rated[:, i] & rated[:, j]
            n = both.sum()
            if i == j or n == 0:
                expected = 0.0
            else:
                zi, zj = dense[both, i], dense[both, j]
                expected = (zi @ zj) / np.sqrt((zi @ zi) * (zj @ zj)) * (n - 1) / (n - 1 + 2.0)
            assert sims[i, j] == pytest.approx(max(expected, 0.0), abs=1e-9)


def test_knn_prediction_is_the_weighted_residual_formula(low_rank):
    stars, observed = low_rank
    model = KNNBaseline(k=3, shrinkage=10).fit(_matrix(stars, observed))
    history = np.array([1, 4, 7, 9, 20])
    own = np.array([4.0, 2.0, 5.0, 3.0, 1.0])
    b_item = model.arrays["item_bias"]
    b_user = (own - model.mean - b_item[history]).sum() / (15.0 + len(history))
    sims = model.similarities().toarray()[30, history]
    top = np.argsort(-sims)[:3]
    top = top[sims[top] > 0]
    residual = own - model.mean - b_user - b_item[history]
    expected = model.mean + b_user + b_item[30]
    if len(top):
        expected += sims[top] @ residual[top] / (sims[top].sum() + model.params["damping"])
    assert model.predict(history, own, [30])[0] == pytest.approx(np.clip(expected, *model.scale))


def test_a_newcomers_one_weak_neighbour_passes_on_a_fraction_of_its_residual(low_rank):
    """Damping: a rated film barely like the target moves it by a fraction of its residual, not
    by all of it (five revealed ratings predicted worse than the global mean without it)."""
    stars, observed = low_rank
    m = _matrix(stars, observed)
    damped, plain = KNNBaseline(k=3, shrinkage=10).fit(m), KNNBaseline(k=3, shrinkage=10, damping=0.0).fit(m)
    sims = damped.similarities().toarray()
    target, neighbour = np.unravel_index(np.argmin(np.where(sims > 0, sims, np.inf)), sims.shape)
    history, own = np.array([neighbour]), np.array([3.0])
    b_item = damped.arrays["item_bias"]
    b_user = (own - damped.mean - b_item[history]).sum() / (15.0 + 1)
    base = damped.mean + b_user + b_item[target]
    residual = own[0] - damped.mean - b_user - b_item[neighbour]
    assert plain.predict(history, own, [target])[0] == pytest.approx(np.clip(base + residual, *plain.scale))
    weak = sims[target, neighbour]
    assert damped.predict(history, own, [target])[0] == pytest.approx(
        np.clip(base + weak * residual / (weak + 1.0), *damped.scale))


def test_predict_pairs_is_predict_per_person(low_rank):
    stars, observed = low_rank
    m = _matrix(stars, observed)
    model = RatingBlend(mf={"factors": 3}, knn={"k": 5}).fit(m)
    users, items = np.array([3, 0, 3, 8]), np.array([1, 2, 40, -1])
    pairs = model.predict_pairs(m, users, items)
    for u, i, p in zip(users, items, pairs):
        row = m[u]
        assert model.predict(row.indices, row.data, [i])[0] == pytest.approx(p)


def test_save_and_load_predict_the_same(low_rank, tmp_path):
    stars, observed = low_rank
    m = _matrix(stars, observed)
    for model in (Biases().fit(m), KNNBaseline(k=5).fit(m), RatingBlend(mf={"factors": 3}).fit(m)):
        loaded = load_rating_model(model.save(tmp_path / model.kind))
        assert type(loaded) is type(model)
        assert np.array_equal(loaded.predict([1, 2], [5.0, 1.0], np.arange(50)),
                              model.predict([1, 2], [5.0, 1.0], np.arange(50)))


def test_validation_cells_split_train_only_and_keep_everyone(low_rank):
    stars, observed = low_rank
    m = _matrix(stars, observed)
    fit_part, valid = validation_cells(m)
    assert fit_part.nnz + valid.nnz == m.nnz and (fit_part.multiply(valid)).nnz == 0
    assert np.allclose((fit_part + valid).toarray(), m.toarray())
    assert (np.diff(fit_part.indptr) > 0).all()
    again, _ = validation_cells(m)
    assert (again != fit_part).nnz == 0


def test_tune_picks_from_its_grids_and_blends(low_rank):
    stars, observed = low_rank
    tuned = tune(_matrix(stars, observed))
    assert set(tuned["params"]) == {"mf", "knn", "use_knn", "components", "weights"}
    assert tuned["params"]["components"] == ["mf", "knn", "biases", "genres"] and len(tuned["params"]["weights"]) == 15
    assert "reg_genre" not in tuned["params"]["mf"]  # no genres given: MF has no genre weights
    assert tuned["validation"]["blend"] <= tuned["validation"]["biases"] + 1e-9
    assert not tune(_matrix(stars, observed), max_knn_items=10)["params"]["use_knn"]
    large = tune(_matrix(stars, observed), large_ratings=100)  # a huge store: one cheap MF setting
    assert large["params"]["mf"] == LARGE_MF and sum(k.startswith("mf ") for k in large["validation"]) == 1
    huge = tune(_matrix(stars, observed), huge_ratings=100)  # a store of ML-25M's size: nothing fitted twice
    assert huge["params"]["mf"] == LARGE_MF and not huge["params"]["use_knn"] and huge["validation"] == {}


def test_unknown_params_are_refused():
    with pytest.raises(ValueError, match="unknown config"):
        BiasedMF(factor=3)
    with pytest.raises(ValueError, match="items but"):
        Biases().fit(sp.csr_matrix(np.ones((2, 2)))).predict([0, 1], [3.0], [0])


def test_blend_weights_use_no_more_features_than_the_cells_carry():
    rng = np.random.default_rng(4)
    design = np.column_stack([np.ones(1000), rng.normal(3, 1, (1000, 11))])
    stars = design @ rng.normal(0, 0.1, 12)
    assert np.allclose(blend_weights(design, stars), np.linalg.lstsq(design, stars, rcond=None)[0])
    few = blend_weights(design[:300], stars[:300])
    assert np.count_nonzero(few[4:]) == 0 and np.count_nonzero(few[:4]) == 4
    assert blend_weights(design[:30], stars[:30]).tolist() == default_weights(3)
    without_knn = design[:30].copy()
    without_knn[:, 2] = 0.0
    assert blend_weights(without_knn, stars[:30]).tolist() == [0.0, 1.0] + [0.0] * 10


def test_the_blend_stays_within_a_margin_of_its_parts():
    """Weights beyond one to one on the parts' differences must not take a film's stars far
    under (or over) every part's: 0.78 MF + 1.36 kNN - 0.8 biases - 0.34 genres made 2.9 of
    parts saying 3.4 to 4.0."""
    parts = np.array([[3.43, 3.43, 3.96, 3.83], [3.0, 3.5, 3.2, 3.1], [4.5, 4.9, 4.0, 4.2]])
    blended = parts @ np.array([0.78, 1.36, -0.8, -0.34])
    assert within_parts(blended, parts, 0.0)[0] == pytest.approx(3.43)
    held = within_parts(blended, parts)
    assert held[0] == pytest.approx(3.43 - BEYOND_PARTS) and held[2] == pytest.approx(4.9 + BEYOND_PARTS)
    assert held[1] == pytest.approx(blended[1])  # inside the parts' range: as blended
    assert within_parts(blended, parts[:, :0]).tolist() == blended.tolist()


def test_a_fitted_blend_never_predicts_outside_its_parts(low_rank):
    m = _matrix(*low_rank)
    model = RatingBlend(mf={"factors": 3}, knn={"k": 5}, weights=[0.5, 2.0, -1.0, 0.0, 0.0] + [0.0] * 10).fit(m)
    items, stars = m[0].indices[:4], m[0].data[:4]
    targets = np.arange(m.shape[1])
    parts = model.component_predictions(items, stars, targets)
    predicted = model.predict(items, stars, targets)
    margin = BEYOND_PARTS + 1e-9
    assert np.all(predicted >= parts.min(axis=1) - margin) and np.all(predicted <= parts.max(axis=1) + margin)


def test_a_served_blend_holds_each_rating_s_residual_in_every_part(low_rank):
    """Folded in, a 1-star rating of a film everyone rates 4 counts as RESIDUAL_CAP stars under
    it, in every part of the served blend; the baselines the table compares (Biases()) are
    Surprise's, unheld."""
    m = _matrix(*low_rank)
    blend = RatingBlend(mf={"factors": 3}, knn={"k": 5}).fit(m)
    assert {part.params["residual_cap"] for part in blend.parts.values()} == {RESIDUAL_CAP}
    assert Biases().params["residual_cap"] is None
    assert held_residuals(np.array([-3.0, 0.5, 2.0]), 1.5).tolist() == [-1.5, 0.5, 1.5]
    assert held_residuals(np.array([-3.0]), None).tolist() == [-3.0]
    biases = blend.parts["biases"]
    items = np.array([0, 1, 2])
    very_low = biases.mean + biases.arrays["item_bias"][items] - 4.0
    held_low = biases.mean + biases.arrays["item_bias"][items] - RESIDUAL_CAP
    assert biases.user_bias(items, very_low) == pytest.approx(biases.user_bias(items, held_low))


def test_the_blend_also_learns_from_people_with_five_ratings(low_rank):
    """A fifth of the people (more than five ratings) keep five of their own at random; the
    rest keep none: the blend's weights see newcomers, not only heavy raters."""
    stars, observed = low_rank
    m = _matrix(stars, observed)
    histories, chosen = newcomer_histories(m)
    counts = np.diff(histories.indptr)
    assert len(chosen) == int(0.2 * (np.diff(m.indptr) > NEWCOMER_REVEAL).sum()) > 0
    assert (counts[chosen] == NEWCOMER_REVEAL).all() and counts.sum() == NEWCOMER_REVEAL * len(chosen)
    kept = histories.tocoo()
    assert np.array_equal(np.asarray(m[kept.row, kept.col]).ravel(), kept.data)  # their own stars


def _two_kinds():
    """Films 0-9 of genre 0, films 10-19 of genre 1; 60 people, each rating some of both kinds
    near 3.5 with their own taste for each kind."""
    rng = np.random.default_rng(7)
    genres = np.zeros((20, 2))
    genres[:10, 0] = genres[10:, 1] = 1
    taste = rng.normal(0, 1, (60, 2))
    stars = np.clip(np.round(3.5 + taste @ genres.T + rng.normal(0, 0.3, (60, 20))), 1, 5)
    return stars, rng.random(stars.shape) < 0.6, genres


def test_a_persons_stars_on_one_kind_move_that_kind_only():
    """Five of one kind at 5 stars and five of the other at 1: the genre neighbours and MF's
    genre weights put the next film of the first kind above the person's average and the next
    of the second below it, where the biases give both the same lift from the person's mean."""
    stars, observed, genres = _two_kinds()
    m = _matrix(stars, observed)
    history, own = np.r_[0:5, 10:15], np.r_[[5.0] * 5, [1.0] * 5]
    biases = Biases().fit(m)
    liked_kind, other_kind = 7, 17
    for model in (GenreNeighbours().fit(m, genres), BiasedMF(factors=2, reg_genre=0.3).fit(m, genres)):
        plain = biases.predict(history, own, [liked_kind, other_kind])
        predicted = model.predict(history, own, [liked_kind, other_kind])
        assert predicted[0] > plain[0] + 0.5 and predicted[1] < plain[1] - 0.5, model.kind
    # no genres given: the genre neighbours are the biases, MF has no genre weights
    assert np.allclose(GenreNeighbours().fit(m).predict(history, own, np.arange(20)),
                       biases.predict(history, own, np.arange(20)))
    assert np.allclose(BiasedMF(factors=2, reg_genre=0.3).fit(m).predict(history, own, np.arange(20)),
                       BiasedMF(factors=2).fit(m).predict(history, own, np.arange(20)))


def test_genre_parts_save_load_and_tune(tmp_path):
    stars, observed, genres = _two_kinds()
    m = _matrix(stars, observed)
    tuned = tune(m, item_genres=genres)
    assert tuned["params"]["mf"]["reg_genre"] > 0 and "genres" in tuned["validation"]
    model = RatingBlend(**tuned["params"]).fit(m, genres)
    loaded = load_rating_model(model.save(tmp_path / "blend"))
    assert np.array_equal(loaded.predict([1, 12], [5.0, 1.0], np.arange(20)),
                          model.predict([1, 12], [5.0, 1.0], np.arange(20)))
    with pytest.raises(ValueError, match="genre rows"):
        Biases().fit(m, genres[:5])


def test_a_version_saved_before_the_genre_parts_blends_its_three(low_rank, tmp_path):
    """rating.json of an older version: 12 weights, no `components`."""
    stars, observed = low_rank
    m = _matrix(stars, observed)
    weights = [0.0, 0.4, 0.3, 0.3] + [0.0] * 8
    old = RatingBlend(mf={"factors": 3}, knn={"k": 5}, weights=weights).fit(m)
    assert old.params["components"] == ["mf", "knn", "biases"] and set(old.parts) == {"mf", "knn", "biases"}
    parts = [old.parts[name].predict([1, 2], [5.0, 1.0], [4]) for name in ("mf", "knn", "biases")]
    assert old.predict([1, 2], [5.0, 1.0], [4])[0] == pytest.approx(0.4 * parts[0][0] + 0.3 * parts[1][0] + 0.3 * parts[2][0])
