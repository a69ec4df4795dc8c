"""FactorHybrid's serving shortcuts against the full computation they replace: the two-stage feed
(feed_top) against score() + top rows, the stored "movies like X" lists against the search they
store, and the text index shared with the index version instead of a second copy."""
import numpy as np
import pytest
import scipy.sparse as sp

from recommender.models import FactorHybrid, factor_hybrid, load_model
from recommender.models.base import Model
from recommender.vectors import ann, faiss_io

ITEMS = 1500


def taste_matrix(users=500, items=ITEMS, seed=0):
    """Users of four taste groups rating 5-40 items each, mostly from their group's quarter."""
    rng = np.random.default_rng(seed)
    rows, cols = [], []
    quarter = items // 4
    for u in range(users):
        group = u % 4
        n = int(rng.integers(5, 40))
        own = rng.choice(np.arange(group * quarter, (group + 1) * quarter), size=n, replace=False)
        other = rng.choice(items, size=n // 5, replace=False)
        picked = np.unique(np.concatenate([own, other]))
        rows += [u] * len(picked)
        cols += picked.tolist()
    return sp.csr_matrix((np.full(len(rows), 4.0, np.float32), (rows, cols)), shape=(users, items))


def text_vectors(items=ITEMS, seed=1):
    rng = np.random.default_rng(seed)
    groups = rng.standard_normal((4, 16))
    e = groups[np.arange(items) * 4 // items] + rng.standard_normal((items, 16))
    return (e / np.linalg.norm(e, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def matrix():
    return taste_matrix()


@pytest.fixture(scope="module")
def model(matrix):
    return FactorHybrid(factors=8, iterations=8, index_kind="hnsw", feed_candidates=50).fit(
        matrix, item_vectors=text_vectors())


def full_top(model, rated, k, allowed):
    """What the feed ranked before: score() over every item, then the best allowed rows."""
    return Model.feed_top(model, rated, k, allowed)


def histories(count=120, seed=2):
    rng = np.random.default_rng(seed)
    return [rng.choice(ITEMS // 4, size=int(rng.integers(1, 30)), replace=False) + (i % 4) * (ITEMS // 4)
            for i in range(count)]


def test_two_stage_feed_agrees_with_full_scoring(model):
    overlaps = []
    for rated in histories():
        allowed = np.ones(ITEMS, bool)
        allowed[rated] = False
        top, scores = model.feed_top(rated, 10, allowed)
        want, want_scores = full_top(model, rated, 10, allowed)
        assert len(top) == 10 and not set(top.tolist()) & set(rated.tolist())
        assert np.all(np.diff(scores) <= 1e-6)
        overlaps.append(len(set(top.tolist()) & set(want.tolist())) / 10)
        full = dict(zip(want.tolist(), want_scores.tolist()))
        assert all(abs(full[r] - s) < 1e-5 for r, s in zip(top.tolist(), scores.tolist()) if r in full)
    assert np.mean(overlaps) >= 0.9


def test_candidates_covering_every_item_give_the_full_ranking(matrix):
    model = FactorHybrid(factors=8, iterations=8, index_kind="hnsw", feed_candidates=ITEMS).fit(
        matrix, item_vectors=text_vectors())
    for rated in histories(30):
        allowed = np.ones(ITEMS, bool)
        allowed[rated] = False
        top, scores = model.feed_top(rated, 20, allowed)
        want, want_scores = full_top(model, rated, 20, allowed)
        assert top.tolist() == want.tolist()
        assert np.allclose(scores, want_scores, atol=1e-6)


@pytest.mark.parametrize("w_content, scan_first", [(0.05, 64), (1.0, 64), (0.05, 8192)])
def test_with_exact_text_candidates_the_bound_makes_it_exact(matrix, w_content, scan_first, monkeypatch):
    """A flat text index finds the true nearest texts, so the only approximations left are the
    cut-offs: the factor scan stopping early (SCAN_FIRST small: it stops after a few blocks) and
    the candidate pool. The bounds (and the fall back to full scoring) must make every answer
    exact, whatever the weight of text and with or without a genre-like filter."""
    monkeypatch.setattr(factor_hybrid, "SCAN_FIRST", scan_first)
    model = FactorHybrid(factors=8, iterations=8, index_kind="flat", feed_candidates=40,
                         w_content=w_content).fit(matrix, item_vectors=text_vectors())
    rng = np.random.default_rng(3)
    for i, rated in enumerate(histories(60)):
        allowed = rng.random(ITEMS) < (0.05 if i % 3 == 0 else 1.0)
        allowed[rated] = False
        top, scores = model.feed_top(rated, 10, allowed)
        want, want_scores = full_top(model, rated, 10, allowed)
        assert top.tolist() == want.tolist()
        assert np.allclose(scores, want_scores, atol=1e-6)


def test_a_filter_leaving_fewer_than_k_rows_returns_all_of_them_ranked(model):
    rated = histories(1)[0]
    allowed = np.zeros(ITEMS, bool)
    allowed[[3, 700, 1200, 1499]] = True
    top, scores = model.feed_top(rated, 10, allowed)
    want, _ = full_top(model, rated, 10, allowed)
    assert sorted(top.tolist()) == [3, 700, 1200, 1499] and top.tolist() == want.tolist()
    nothing, _ = model.feed_top(rated, 10, np.zeros(ITEMS, bool))
    assert len(nothing) == 0


def test_without_text_the_feed_is_exact_als_and_popularity(matrix):
    model = FactorHybrid(factors=8, iterations=8, feed_candidates=40).fit(matrix)
    rated = histories(1)[0]
    allowed = np.ones(ITEMS, bool)
    allowed[rated] = False
    top, scores = model.feed_top(rated, 10, allowed)
    want, want_scores = full_top(model, rated, 10, allowed)
    assert top.tolist() == want.tolist() and np.allclose(scores, want_scores, atol=1e-6)


def test_stored_similar_lists_are_what_the_search_answers(model):
    stored = model.arrays["similar_rows"]
    assert stored.shape == (ITEMS, model.params["similar_lists"])
    lists = dict(model.arrays)
    for item in [0, 1, 374, 375, 900, 1499]:
        from_list = model.similar_items(item, 10)
        try:
            model.arrays = {k: v for k, v in lists.items() if not k.startswith("similar_")}
            searched = model.similar_items(item, 10)
        finally:
            model.arrays = lists
        assert from_list[0].tolist() == searched[0].tolist() and item not in from_list[0].tolist()
        assert np.allclose(from_list[1], searched[1]) and from_list[2].tolist() == searched[2].tolist()
    rows, _, _ = model.similar_items(5, 40)  # beyond the stored length: searched
    assert len(rows) == 40 and 5 not in rows.tolist()
    allowed = np.arange(1000, 1100)
    rows, _, _ = model.similar_items(5, 10, exclude=np.setdiff1d(np.arange(ITEMS), allowed))
    assert len(rows) == 10 and set(rows.tolist()) <= set(allowed.tolist())


def test_the_text_index_is_shared_with_the_version_not_copied(matrix, tmp_path):
    text = text_vectors()
    ids = np.arange(ITEMS, dtype=np.int64) * 3 + 1  # movie ids, sorted: row order
    version_index, _ = ann.build_checked(text, ids, kind="hnsw")
    faiss_io.save(version_index, tmp_path / "content.faiss")
    model = FactorHybrid(factors=8, iterations=8, feed_candidates=50).fit(
        matrix, item_vectors=text, shared={"content": faiss_io.load(tmp_path / "content.faiss")})
    model.save(tmp_path / "model", shared={"content": "content.faiss"})
    assert not (tmp_path / "model" / "similar_content.faiss").exists()
    assert (tmp_path / "model" / "similar_collab.faiss").exists()

    loaded = load_model(tmp_path / "model")
    rated = histories(1)[0]
    allowed = np.ones(ITEMS, bool)
    with pytest.raises(RuntimeError, match="content.faiss"):
        loaded.feed_top(rated, 10, allowed)
    shared = faiss_io.load(tmp_path / "content.faiss")
    loaded.attach_index("content", shared)
    assert loaded.indices["content"].referenced_objects[0] is shared
    assert loaded.feed_top(rated, 10, allowed)[0].tolist() == model.feed_top(rated, 10, allowed)[0].tolist()
    assert loaded.similar_items(7, 10)[0].tolist() == model.similar_items(7, 10)[0].tolist()
    with pytest.raises(ValueError):
        loaded.attach_index("content", ann.build(text, ids[::-1].copy(), kind="flat"))  # ids not in row order


def test_indices_are_read_into_memory_and_relabelled_copies_search_alike(tmp_path):
    """A loaded index holds no mapping of its file: truncating the file afterwards (as issue 14
    did to a live version) leaves its searches alone instead of killing the process."""
    vectors = text_vectors()
    index, _ = ann.build_checked(vectors, np.arange(ITEMS), kind="hnsw")
    ids = np.arange(ITEMS, dtype=np.int64) * 10 + 7
    relabelled = faiss_io.keyed_by(index, ids)
    _, by_row = index.search(vectors[:5], 3)
    _, by_id = relabelled.search(vectors[:5], 3)
    assert (by_id == ids[by_row]).all()
    faiss_io.save(relabelled, tmp_path / "items.faiss")
    loaded = faiss_io.load(tmp_path / "items.faiss")
    assert str(tmp_path / "items.faiss") not in open("/proc/self/maps").read()
    with open(tmp_path / "items.faiss", "r+b") as file:
        file.truncate(4096)
    assert (loaded.search(vectors[:5], 3)[1] == by_id).all()
    assert (faiss_io.by_rows(loaded, ITEMS).search(vectors[:5], 3)[1] == by_row).all()
