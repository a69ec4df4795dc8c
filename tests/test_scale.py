"""The large-catalogue path at fixture size: the ALS FactorHybrid (fold-in, explanations,
save/load), approximate indices and their recall, the size-based choice of model, the service
on a version built with the factor model forced, and the synthetic release generator."""
import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from bench import synth
from recommender import store
from recommender.models import FactorHybrid, history, load_model, model_family
from recommender.serving.index import current_version, load_index
from recommender.serving.service import Recommender
from recommender.text import embedders
from recommender.vectors import ann


def clustered_matrix(users=300, items=120, seed=0):
    """Two taste groups: users 0..149 rate items 0..59, the rest items 60..119."""
    rng = np.random.default_rng(seed)
    rows, cols = [], []
    for u in range(users):
        lo = 0 if u < users // 2 else items // 2
        picked = rng.choice(np.arange(lo, lo + items // 2), size=12, replace=False)
        rows += [u] * len(picked)
        cols += picked.tolist()
    return sp.csr_matrix((np.full(len(rows), 4.0, np.float32), (rows, cols)), shape=(users, items))


@pytest.fixture(scope="module")
def factor_model():
    x = clustered_matrix()
    text = np.random.default_rng(1).standard_normal((x.shape[1], 16)).astype(np.float32)
    return FactorHybrid(factors=8, iterations=10, index_kind="hnsw").fit(x, item_vectors=text)


def test_fold_in_scores_a_new_history_without_refit(factor_model):
    first_group = history([0, 1, 2, 3], factor_model.n_items)
    scores = factor_model.score(first_group)[0]
    top = np.argsort(-scores)[:10]
    assert (top < 60).mean() >= 0.8  # the user's taste group, learnt from nobody's row for them
    second = history([60, 61, 62, 63], factor_model.n_items)
    assert (np.argsort(-factor_model.score(second)[0])[:10] >= 60).mean() >= 0.8


def test_fold_in_solves_the_normal_equations(factor_model):
    als = factor_model.parts["als"]
    rated = np.array([3, 7, 11])
    x = als.user_factors(history(rated, factor_model.n_items))[0]
    a, b, _ = als._system(rated)
    assert np.allclose(a @ x, b, atol=1e-3)


def test_because_of_names_a_rated_movie(factor_model):
    h = history([0, 1, 2], factor_model.n_items)
    because = factor_model.because_of(h, [5, 6, 70])
    assert set(because[:2].tolist()) <= {0, 1, 2}
    assert because.shape == (3,)


def test_similar_items_uses_the_indices_and_honours_exclude(factor_model):
    rows, scores, sources = factor_model.similar_items(5, 10)
    assert len(rows) == 10 and 5 not in rows.tolist()
    assert np.all(np.diff(scores) <= 1e-6) and set(sources.tolist()) <= {0, 1}
    assert (rows < 60).mean() >= 0.6  # co-rating neighbours come from the same taste group
    allowed = np.arange(100, 120)
    rows, _, _ = factor_model.similar_items(5, 10, exclude=np.setdiff1d(np.arange(120), allowed))
    assert len(rows) == 10 and set(rows.tolist()) <= set(allowed.tolist())  # falls back to every item


def test_save_and_load_round_trip(factor_model, tmp_path):
    factor_model.save(tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    h = history([0, 4, 9], factor_model.n_items)
    assert isinstance(loaded, FactorHybrid)
    assert np.allclose(loaded.score(h), factor_model.score(h), atol=1e-5)
    assert loaded.similar_items(5, 10)[0].tolist() == factor_model.similar_items(5, 10)[0].tolist()
    assert np.asarray(loaded.parts["popularity"].counts).sum() == 300 * 12
    assert loaded.item_vectors("collab").shape == (120, 8)
    assert loaded.user_vectors(h, "content").shape == (1, 16)


def test_hnsw_recall_against_exact_search_on_random_vectors():
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((4000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(4000, dtype=np.int64) * 7
    index, info = ann.build_checked(vectors, ids, kind="hnsw")
    assert info["type"].startswith("HNSW") and info["recall@10"] >= 0.95
    assert ann.recall_at_k(index, vectors, ids, queries=200) >= 0.95
    flat = ann.build(vectors, ids, kind="flat")
    assert ann.recall_at_k(flat, vectors, ids, queries=100) == 1.0


def test_size_decides_the_model_family(monkeypatch):
    monkeypatch.delenv(model_family.ENV_VAR, raising=False)
    assert model_family.choose(1_682) == "dense"
    assert model_family.choose(model_family.LARGE_CATALOGUE_ITEMS + 1) == "factor"
    assert model_family.choose(1_682, "factor") == "factor"
    assert model_family.choose(62_423, "dense") == "dense"
    monkeypatch.setenv(model_family.ENV_VAR, "factor")
    assert model_family.choose(30) == "factor"
    with pytest.raises(ValueError):
        model_family.choose(30, "huge")
    assert ann.kind_for(ann.APPROXIMATE_ABOVE + 1) == "hnsw" and ann.kind_for(100) == "flat"


@pytest.fixture
def factor_indexed_app(app, monkeypatch):
    monkeypatch.setenv(model_family.ENV_VAR, "factor")
    result = app.test_cli_runner().invoke(args=["index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "model family: factor" in result.output
    return app


def test_service_works_on_a_version_built_with_the_factor_model(factor_indexed_app):
    app = factor_indexed_app
    root = Path(app.config["INDEX_ROOT"])
    index = load_index(root / current_version(root))
    assert isinstance(index.model, FactorHybrid)
    manifest = json.loads((index.folder / "manifest.json").read_text())
    assert manifest["model_family"] == "factor" and manifest["ann"]["content"]["recall@10"] == 1.0
    db = store.connect(app.config["DATABASE"])
    try:
        rec = Recommender(db, index, embedders.get_embedder)
        user = int(np.load(index.folder / "user_ids.npy")[0])
        rated = set(store.user_ratings_frame(db, user)["movie_id"].tolist())
        feed = rec.feed(user, 5)
        assert len(feed) == 5 and not rated & {r.movie_id for r in feed}
        assert all(r.reason for r in feed)
        movie = int(index.movie_ids[0])
        similar = rec.similar(movie, 5)
        assert len(similar) == 5 and movie not in {r.movie_id for r in similar}
        genre = index.genres_of(0)[0]
        in_genre = set(index.items.terms(np.flatnonzero(index.genre_mask(genre))).tolist())
        assert {r.movie_id for r in rec.similar(movie, 3, genre=genre)} <= in_genre
        assert len(rec.search("star wars space", 5)) == 5
    finally:
        db.close()


def test_synth_writes_a_release_that_import_accepts(empty_app, tmp_path):
    counts = synth.generate(0.001, tmp_path / "synth")
    header = (tmp_path / "synth" / "ratings.csv").read_text().splitlines()[:2]
    assert header[0] == "userId,movieId,rating,timestamp" and len(header[1].split(",")) == 4
    movies = (tmp_path / "synth" / "movies.csv").read_text()
    assert movies.startswith("movieId,title,genres") and ", The (" in movies
    result = empty_app.test_cli_runner().invoke(args=["data", "import", "--source", str(tmp_path / "synth")])
    assert result.exit_code == 0, result.output
    db = store.connect(empty_app.config["DATABASE"])
    try:
        totals = store.counts(db)
        stars = {r[0] for r in db.execute("SELECT DISTINCT rating FROM ratings")}
    finally:
        db.close()
    assert totals["ratings"] == counts["ratings"] and totals["movies"] == counts["movies"]
    assert stars <= {x / 2 for x in range(1, 11)} and len(stars) > 4


def test_synth_is_seeded(tmp_path):
    synth.generate(0.001, tmp_path / "a")
    synth.generate(0.001, tmp_path / "b")
    assert (tmp_path / "a" / "ratings.csv").read_bytes() == (tmp_path / "b" / "ratings.csv").read_bytes()
