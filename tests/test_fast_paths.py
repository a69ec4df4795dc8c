"""The per-request paths of the hybrid equal the general ones, on random histories.

feed_top / because_of_rows (numpy gathers, no scipy) against score / because_of on histories
built as sparse matrices, and the text Gram matrix against the product it replaces."""
import copy

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.models import EASE, Hybrid, Model, history
from recommender.models import hybrid as hybrid_module
from recommender.models.base import top_rows

N_USERS, N_ITEMS = 150, 90


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    x = sp.random(N_USERS, N_ITEMS, density=0.12, random_state=7, format="csr", dtype=np.float32)
    x.data = rng.integers(1, 6, size=x.nnz).astype(np.float32)
    t = x.copy()
    t.data = 1e9 + rng.integers(0, 10**6, size=x.nnz).astype(np.float64)
    e = rng.standard_normal((N_ITEMS, 16)).astype(np.float32)
    return x, t, e


@pytest.fixture(scope="module")
def model(data):
    x, t, e = data
    return Hybrid(lam=20.0, lam_cold=200.0, factor_dims=8).fit(x, t, e)


def without_gram(model: Hybrid) -> Hybrid:
    """The same fitted model, as one of a catalogue too big for a text Gram matrix."""
    bare = copy.copy(model)
    bare.arrays = {name: a for name, a in model.arrays.items() if name != "text_gram"}
    return bare


def histories(seed: int, count: int = 25):
    """Random histories of 1 to 40 items, each with a random genre-like filter."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        rows = np.sort(rng.choice(N_ITEMS, size=int(rng.integers(1, 41)), replace=False)).astype(np.int64)
        allowed = rng.random(N_ITEMS) < 0.7
        allowed[rows] = False
        yield rows, allowed


@pytest.mark.parametrize("gram", [True, False])
def test_feed_top_equals_batch_scoring(model, gram):
    if not gram:
        model = without_gram(model)
    cases = list(histories(1))
    batch = model.score(sp.vstack([history(rows, N_ITEMS) for rows, _ in cases]).tocsr())  # scipy path
    for (rows, allowed), expected in zip(cases, batch):
        for k in (1, 10, 200):
            top, scores = model.feed_top(rows, k, allowed.copy())
            assert top.tolist() == top_rows(expected, allowed, k).tolist()
            np.testing.assert_allclose(scores, expected[top], rtol=1e-5, atol=1e-6)
            assert not set(top.tolist()) & set(rows.tolist())


def test_feed_top_equals_the_default_of_every_model(model):
    """Model.feed_top (score one history, take the top k) is what Hybrid.feed_top speeds up."""
    for rows, allowed in histories(2):
        fast_rows, fast_scores = model.feed_top(rows, 20, allowed)
        slow_rows, slow_scores = Model.feed_top(model, rows, 20, allowed)
        assert fast_rows.tolist() == slow_rows.tolist()
        np.testing.assert_allclose(fast_scores, slow_scores, rtol=1e-5, atol=1e-6)


def test_score_rows_without_the_gram_is_bit_identical_to_single_history_scoring(model):
    model = without_gram(model)
    for rows, _ in histories(3):
        assert np.array_equal(model.score_rows(rows), model.score(history(rows, N_ITEMS))[0])


def test_because_of_rows_equals_because_of(model):
    rng = np.random.default_rng(4)
    for rows, allowed in histories(5):
        items = rng.choice(N_ITEMS, size=12, replace=False)
        expected = model.because_of(history(rows, N_ITEMS), items)
        assert model.because_of_rows(rows, items).tolist() == expected.tolist()
        assert Model.because_of_rows(model, rows, items).tolist() == expected.tolist()
        assert set(expected[expected >= 0].tolist()) <= set(rows.tolist())
    assert model.because_of_rows(np.zeros(0, np.int64), [1, 2]).tolist() == [-1, -1]


def test_feed_explained_names_the_liked_movie_with_the_largest_share(model):
    """Picks and scores are feed_top's; each reason is the liked row with the largest share in
    the pick's score as `contributions` counts it (the whole history's blend), so with every
    rated row liked it is because_of_rows. (Picks that people like the user raised most are
    tested in test_preferences.)"""
    model = copy.copy(model)
    model.params = {**model.params, "w_peers": 0.0}
    rng = np.random.default_rng(8)
    for rows, allowed in histories(9):
        top, scores, because = model.feed_explained(rows, rows, 15, allowed)
        expected_top, expected_scores = model.feed_top(rows, 15, allowed)
        assert top.tolist() == expected_top.tolist() and np.array_equal(scores, expected_scores)
        assert because.tolist() == model.because_of_rows(rows, top).tolist()
        liked = np.sort(rng.choice(rows, size=max(1, len(rows) // 2), replace=False))
        _, _, because = model.feed_explained(rows, liked, 15, allowed)
        shares = model.contributions(history(rows, N_ITEMS), top)[:, np.isin(rows, liked)]
        expected = np.where(shares.max(axis=1) > 0, liked[np.argmax(shares, axis=1)], -1)
        assert because.tolist() == expected.tolist()
    nothing_liked = model.feed_explained(rows, np.zeros(0, np.int64), 5, allowed)[2]
    assert nothing_liked.tolist() == [-1] * 5


def test_the_default_feed_explained_explains_with_the_liked_rows(data):
    x, t, e = data
    model = Hybrid(lam=20.0, lam_cold=200.0, factor_dims=8).fit(x, t, e)
    for rows, allowed in histories(10, 5):
        liked = rows[::2]
        top, _, because = Model.feed_explained(model, rows, liked, 10, allowed)
        assert because.tolist() == model.because_of_rows(liked, top).tolist()


def test_unsorted_and_repeated_rows_mean_the_same_history(model):
    rows = np.array([40, 3, 17, 3, 88], dtype=np.int64)
    allowed = np.ones(N_ITEMS, bool)
    allowed[rows] = False
    assert model.feed_top(rows, 10, allowed)[0].tolist() == model.feed_top(np.unique(rows), 10, allowed)[0].tolist()
    assert model.because_of_rows(rows, [5, 6]).tolist() == model.because_of_rows(np.unique(rows), [5, 6]).tolist()


def test_the_default_feed_top_of_a_plain_model(data):
    x, t, _ = data
    ease = EASE(lam=20.0).fit(x, t)
    for rows, allowed in histories(6, 5):
        top, scores = ease.feed_top(rows, 7, allowed)
        expected = ease.score(history(rows, N_ITEMS))[0]
        assert top.tolist() == top_rows(expected, allowed, 7).tolist()
        assert np.array_equal(scores, expected[top])


def test_text_gram_rows_are_the_products_they_replace(model, data, monkeypatch):
    """Made at fit and saved with the model (nothing computed at load); beyond
    TEXT_GRAM_MAX_ITEMS there is none, and "movies like X" answers the same without it."""
    e = np.asarray(model.parts["content"].item_vectors)
    gram = model.text_gram()
    for i in range(N_ITEMS):
        assert np.array_equal(gram[i], e @ np.asarray(e[i]))
    with_gram = [model.similar_items(i, 8, exclude=[0, 1]) for i in range(N_ITEMS)]
    bare = without_gram(model)
    assert bare.text_gram() is None
    for i, (rows, scores, source) in enumerate(with_gram):
        r, s, src = bare.similar_items(i, 8, exclude=[0, 1])
        assert r.tolist() == rows.tolist() and np.array_equal(s, scores) and src.tolist() == source.tolist()
    x, t, _ = data
    assert Hybrid(lam=20.0, lam_cold=200.0, factor_dims=8).fit(x, t).text_gram() is None  # no text
    monkeypatch.setattr(hybrid_module, "TEXT_GRAM_MAX_ITEMS", N_ITEMS - 1)
    assert Hybrid(lam=20.0, lam_cold=200.0, factor_dims=8).fit(x, t, e).text_gram() is None


def test_stored_similar_lists_answer_as_the_blend_does(data, tmp_path):
    """A fitted Hybrid stores each movie's top `similar_lists`, saved with it; answering k <= that from
    the list gives the blend's own top k (scores exactly; rows wherever a score is unique and
    above the k-th, since which of several equal scores makes the cut is arbitrary), and a
    genre filter (exclude) or a larger k still computes."""
    from recommender.models import load_model

    x, t, e = data
    Hybrid(lam=20.0, lam_cold=200.0, factor_dims=8).fit(x, t, e).save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    length = loaded.params["similar_lists"]
    assert loaded.arrays["similar_rows"].shape == (N_ITEMS, length)
    for item in range(N_ITEMS):
        for k in (1, 10, length):
            rows, scores, source = loaded.similar_items(item, k)
            b_rows, b_scores, b_source = loaded._rank(item, None, k, None)
            assert np.array_equal(scores, b_scores) and item not in rows.tolist()
            distinct = np.array([np.sum(scores == s) == 1 and s > scores[-1] for s in scores], dtype=bool)
            assert rows[distinct].tolist() == b_rows[distinct].tolist()
            assert source[distinct].tolist() == b_source[distinct].tolist()
    many = loaded.similar_items(3, length + 5)[0]
    assert len(many) > length
    assert 4 not in loaded.similar_items(3, 10, exclude=[4])[0].tolist()


def test_top_rows_breaks_ties_by_row_and_keeps_one_order_whatever_k():
    scores = np.array([3.0, 5.0, 3.0, 3.0, np.nan, 3.0, 1.0, 5.0])
    allowed = np.ones(len(scores), dtype=bool)
    assert top_rows(scores, allowed, 8).tolist() == [1, 7, 0, 2, 3, 5, 6, 4]  # NaN last
    for k in range(1, 8):
        assert top_rows(scores, allowed, k).tolist() == top_rows(scores, allowed, 8)[:k].tolist()
    allowed[2] = False
    assert top_rows(scores, allowed, 4).tolist() == [1, 7, 0, 3]
