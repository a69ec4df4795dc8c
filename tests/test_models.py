"""Every model on one synthetic matrix with a known answer, plus fold-in, save/load and config checks.

Two taste groups: users 0-19 rate items 0-9, users 20-39 rate items 10-19; item 20 is rated by
nobody. A new user who rated items 0-3 must get the rest of group A (items 4-9) on top.
"""
import json

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.models import (
    EASE,
    REGISTRY,
    ContentModel,
    Hybrid,
    ItemFactors,
    ItemKNN,
    Popularity,
    RP3beta,
    history,
    load_model,
    make_model,
)
from recommender.models.hybrid import SOURCE_CONTENT, SOURCE_CORATING

N_ITEMS = 21
GROUP_A, GROUP_B = np.arange(0, 10), np.arange(10, 20)


def synthetic():
    rng = np.random.default_rng(0)
    rows, cols, vals, times = [], [], [], []
    for u in range(40):
        group = GROUP_A if u < 20 else GROUP_B
        chosen = rng.choice(group, size=7, replace=False)
        if u < 20:
            chosen = np.union1d(chosen, [0])  # item 0 is the most popular
        for j, i in enumerate(chosen):
            rows.append(u); cols.append(int(i)); vals.append(float(rng.integers(3, 6)))
            times.append(1_000_000 + u * 10_000 + j * 5)
    shape = (40, N_ITEMS)
    x = sp.csr_matrix((vals, (rows, cols)), shape=shape, dtype=np.float32)
    t = sp.csr_matrix((np.array(times, float), (rows, cols)), shape=shape)
    # item vectors: group A and B point two different ways, item 20 sits with group B
    e = np.zeros((N_ITEMS, 8), np.float32)
    e[GROUP_A, 0] = 1.0
    e[GROUP_B, 1] = 1.0
    e[20, 1] = 1.0
    e += 0.05 * rng.standard_normal(e.shape).astype(np.float32)
    return x, t, e


FACTORIES = {
    "ease": lambda: EASE(lam=5.0),
    "ease_session": lambda: EASE(lam=5.0, session_weight=0.5, session_seconds=60.0),
    "itemknn": lambda: ItemKNN(neighbours=9, shrink=0.0),
    "rp3beta": lambda: RP3beta(beta=0.3),
    "content": lambda: ContentModel(),
    "factors": lambda: ItemFactors(dims=4),
    "hybrid": lambda: Hybrid(lam=5.0, lam_cold=50.0, factor_dims=4),
}


@pytest.fixture(scope="module")
def data():
    return synthetic()


def fitted(name, data):
    x, t, e = data
    return FACTORIES[name]().fit(x, t, e)


@pytest.mark.parametrize("name", FACTORIES)
def test_known_answer_with_fold_in(name, data):
    """A user the model never saw, rated items 0-3: group A's other items rank first."""
    model = fitted(name, data)
    h = history([0, 1, 2, 3], N_ITEMS, ratings=[5, 5, 4, 4])
    scores = model.score(h)
    assert scores.shape == (1, N_ITEMS) and scores.dtype == np.float32
    top = model.recommend(h, k=6)[0]
    assert set(top.tolist()) == set(range(4, 10))
    # fold-in: a new rating changes the answer at once, without a refit
    h2 = history([0, 1, 2, 3, 4], N_ITEMS)
    assert 4 not in model.recommend(h2, k=6)[0]


@pytest.mark.parametrize("name", FACTORIES)
def test_save_load_roundtrip(name, data, tmp_path):
    model = fitted(name, data)
    model.save(tmp_path / name)
    meta = json.loads((tmp_path / name / "model.json").read_text())
    assert meta["kind"] == model.kind
    loaded = load_model(tmp_path / name)
    assert type(loaded) is type(model) and loaded.params == model.params
    h = history([10, 11], N_ITEMS)
    np.testing.assert_allclose(loaded.score(h), model.score(h), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_unknown_config_key_is_rejected(kind):
    with pytest.raises(ValueError, match="unknown config key"):
        make_model(kind, not_a_parameter=1)


def test_popularity_ranks_by_count(data):
    model = Popularity().fit(data[0])
    assert model.recommend(history([], N_ITEMS), k=1)[0][0] == 0


def test_shape_mismatch_and_unfitted_model_fail_clearly(data):
    with pytest.raises(RuntimeError):
        EASE().score(history([1], N_ITEMS))
    with pytest.raises(ValueError):
        fitted("ease", data).score(history([1], N_ITEMS + 1))


def test_content_works_for_an_item_nobody_rated(data):
    model = fitted("content", data)
    scores = model.score(history([10, 11, 12], N_ITEMS))[0]
    assert scores[20] > scores[GROUP_A].max()


def test_hybrid_explanations_and_similar_items(data):
    model = fitted("hybrid", data)
    h = history([0, 1, 12], N_ITEMS)
    recs = model.recommend(h, k=3)[0]
    why = model.because_of(h, recs)
    for item, cause in zip(recs, why):
        group = GROUP_A if item in GROUP_A else GROUP_B
        assert cause in group  # the reason comes from the same taste group
    rows, scores, source = model.similar_items(5, k=5)
    assert 5 not in rows and set(rows.tolist()) <= set(GROUP_A.tolist())
    assert np.all(np.diff(scores) <= 1e-6)
    assert set(source.tolist()) <= {SOURCE_CORATING, SOURCE_CONTENT}
    x, t, _ = data
    no_text = Hybrid(lam=5.0, lam_cold=50.0, factor_dims=4).fit(x, t)
    rows, _, source = no_text.similar_items(5, k=5)
    assert set(rows.tolist()) <= set(GROUP_A.tolist()) and (source == SOURCE_CORATING).all()
    # nobody rated item 20: its neighbours come from the text side
    rows, _, source = model.similar_items(20, k=3)
    assert set(rows.tolist()) <= set(GROUP_B.tolist()) and (source == SOURCE_CONTENT).all()


def test_hybrid_leans_on_popularity_for_empty_history(data):
    model = fitted("hybrid", data)
    assert model.recommend(history([], N_ITEMS), k=1)[0][0] == 0


def test_vectors_for_faiss_are_unit_length(data):
    model = fitted("hybrid", data)
    for space in ("collab", "content"):
        v = model.item_vectors(space)
        np.testing.assert_allclose(np.linalg.norm(v[:20], axis=1), 1.0, atol=1e-5)
        u = model.user_vectors(history([0, 1], N_ITEMS), space)
        assert u.shape == (1, v.shape[1])
        assert float(np.linalg.norm(u)) == pytest.approx(1.0, abs=1e-5)


def test_single_history_fast_path_matches_the_batch_product():
    import numpy as np
    import scipy.sparse as sp

    from recommender.models.base import binary, binary_product

    rng = np.random.default_rng(3)
    weights = rng.normal(size=(12, 12)).astype(np.float32)
    h = sp.csr_matrix(np.array([[0, 4.5, 0, 0, 1, 0, 0, 0, 0, 3, 0, 0]], dtype=np.float32))
    assert np.allclose(binary_product(h, weights), binary(h) @ weights, atol=1e-5)
    two = sp.vstack([h, h]).tocsr()
    assert np.allclose(binary_product(two, weights), np.vstack([binary(h) @ weights] * 2), atol=1e-5)
