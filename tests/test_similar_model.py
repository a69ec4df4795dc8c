"""The "movies like X" the model serves (HybridBase's stored lists and their blend) against the
protocol's vectorised one, and catalogue artefacts that never lead a list."""
import numpy as np

from recommender.evaluation import item_protocol as ip
from recommender.models import Hybrid
from recommender.models import item_similarity as isim

from .test_models import N_ITEMS, synthetic


def test_the_served_blend_is_the_protocols():
    """Hybrid.similar_items ranks every film as item_similarity.dense_scores does (the rows
    `flask eval --similar` scores), for every X, and says which signal put each there."""
    x, t, e = synthetic()
    e = e / np.linalg.norm(e, axis=1, keepdims=True)  # unit text vectors, as the catalogue's
    titles = [f"Film {i} (1990)" for i in range(N_ITEMS)]
    titles[3], titles[4] = "Alien (1979)", "Aliens (1986)"
    genres = [["Drama"] if i % 2 else ["Comedy", "Drama"] for i in range(N_ITEMS)]
    model = Hybrid(lam=20.0, lam_cold=200.0, factor_dims=8).fit(x, t, e, item_titles=titles, item_genre_lists=genres)
    counts = np.asarray((x > 0).sum(axis=0)).ravel()
    expected = isim.dense_scores(isim.collaborative_similarity(x, model.params), ip.text_cosine(e),
                                 isim.genre_vectors(genres), isim.series_matrix(titles), counts, model.params)
    for item in range(N_ITEMS):
        rows, scores, _ = model._rank(item, None, N_ITEMS - 1, None)
        np.testing.assert_allclose(scores, expected[item, rows], atol=1e-4)
        assert np.all(np.diff(scores) <= 1e-6)
    rows, _, source = model.similar_items(3, 3)
    assert rows[0] == 4 and source[0] == 2  # the same series, first


def test_an_artefact_never_leads_a_list():
    x, t, e = synthetic()
    titles = [f"Film {i} (1990)" for i in range(N_ITEMS)]
    titles[1] = "unknown"
    model = Hybrid(lam=20.0, lam_cold=200.0, factor_dims=8).fit(x, t, e, item_titles=titles)
    for item in range(N_ITEMS):
        assert model.similar_items(item, 5)[0][0] != 1
        if item != 1:  # ranked after every real film
            assert model._rank(item, None, N_ITEMS - 1, None)[0][-1] == 1
