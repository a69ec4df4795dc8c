"""The "movies like X" the model serves (HybridBase's stored lists and their blend) against the
protocol's vectorised one, and catalogue artefacts that never lead a list."""
import json

import numpy as np
import scipy.sparse as sp

from recommender.evaluation import item_protocol as ip
from recommender.models import Hybrid, load_model
from recommender.models import item_similarity as isim
from recommender.models.factor_hybrid import FactorHybrid
from recommender.serving import explain

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


def _kind_catalogue():
    """The synthetic ratings with genres: items 0-9 comedies, 10-19 dramas, and three westerns
    (5, 6, 7) among the comedies that the co-ratings do not single out."""
    x, t, e = synthetic()
    e = e / np.linalg.norm(e, axis=1, keepdims=True)
    genres = [["Comedy"] if i < 10 else ["Drama"] for i in range(N_ITEMS)]
    for i in (5, 6, 7, 15):
        genres[i] = [*genres[i], "Western"]
    words = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India", "Juliett", "Kilo",
             "Lima", "Mike", "November", "Oscar", "Papa", "Quebec", "Romeo", "Sierra", "Tango", "Uniform"]
    titles = [f"{w} (1990)" for w in words[:N_ITEMS]]  # no two of one series
    return x, t, e, genres, titles


def _models(x, t, e, genres, titles, **params):
    yield Hybrid(lam=20.0, lam_cold=200.0, factor_dims=8, **params).fit(
        x, t, e, item_titles=titles, item_genre_lists=genres)
    yield FactorHybrid(factors=8, iterations=8, feed_candidates=N_ITEMS, **params).fit(
        x, item_vectors=e, item_titles=titles, item_genre_lists=genres)


def test_films_of_xs_kind_are_sure_of_their_places_in_both_families():
    """A western's list has the other westerns among its first sim_kind_rank films (at least
    sim_kind_slots of them, when there are), in the dense and the large-catalogue family alike,
    and a film put there by its kind says so (source SOURCE_KIND, 'Also a western')."""
    x, t, e, genres, titles = _kind_catalogue()
    for model in _models(x, t, e, genres, titles, sim_kind_slots=3, sim_kind_rank=4):
        rows, _, source = model.similar_items(15, 4)
        assert {5, 6, 7} <= set(rows.tolist()), (type(model).__name__, rows)
        kind_listed = [r for r, s in zip(rows.tolist(), source.tolist()) if s == isim.SOURCE_KIND]
        assert kind_listed and set(kind_listed) <= {5, 6, 7}
        reason = explain.similar_reason(int(source[rows.tolist().index(kind_listed[0])]), "Papa",
                                        genres[15], genres[kind_listed[0]], titles[kind_listed[0]])
        assert reason == "Also a western, like Papa"
    for model in _models(x, t, e, genres, titles, sim_kind_slots=0):  # without the slots: the co-ratings' dramas
        assert not {5, 6, 7} & set(model.similar_items(15, 4)[0].tolist())


def test_kind_reasons_name_the_rarest_shared_genres_and_the_evidence():
    """The kind (the rarest genre both have) and the next rarest they share: under Star Wars,
    which ML-100K calls a war film, Aliens is a sci-fi war film, not only a war film."""
    assert explain.similar_reason(isim.SOURCE_KIND, "Scream", ["Horror", "Thriller"], ["Horror", "Mystery", "Thriller"],
                                  evidence=(12, 3.75)) == "Also a horror thriller, like Scream: 3.8★ from 12 who loved Scream"
    assert explain.similar_reason(isim.SOURCE_KIND, "Toy Story", ["Animation", "Children's", "Comedy"],
                                  ["Animation", "Children's", "Musical"]) == "Also an animated children's film, like Toy Story"
    assert explain.similar_reason(isim.SOURCE_KIND, "Star Wars", ["Action", "Adventure", "Romance", "Sci-Fi", "War"],
                                  ["Action", "Sci-Fi", "Thriller", "War"]) == "Also a sci-fi war film, like Star Wars"
    assert explain.similar_reason(isim.SOURCE_KIND, "Unforgiven", ["Western"],
                                  ["Action", "Comedy", "Western"]) == "Also a western, like Unforgiven"


def test_someone_who_rated_everything_links_less_than_someone_who_chose():
    """With a user weight, a pair rated by one person who rated all films counts less than a pair
    rated by people who rated a handful (inverse user frequency); without it, the same."""
    x = np.zeros((4, 6), dtype=np.float32)
    x[0, :] = 4.0  # rated everything: links every pair, 0-1 as much as 2-3
    x[1, [0, 1]] = 4.0  # two people chose the pair 0-1
    x[2, [0, 1]] = 4.0
    x[3, [2, 3, 4]] = 4.0  # one person chose 2-3 (and 4)
    plain = isim.corating_similarity(sp.csr_matrix(x), alpha=0.5, shrink=0.0)
    weighted = isim.corating_similarity(sp.csr_matrix(x), alpha=0.5, shrink=0.0, user_weight=1.0)
    assert plain[0, 5] > 0 and weighted[0, 5] < plain[0, 5]  # only the heavy rater links 0 and 5
    assert weighted[0, 1] / weighted[0, 5] > plain[0, 1] / plain[0, 5]
    assert np.allclose(isim.corating_similarity(sp.csr_matrix(x), user_weight=0.0), isim.corating_similarity(sp.csr_matrix(x)))


def test_a_film_listed_twice_stands_for_itself_once():
    """The more rated copy of a title the catalogue lists twice stands for both."""
    titles = ["Chasing Amy (1997)", "Heat (1995)", "Chasing Amy (1997)", "Heat (1995)", "Alien (1979)"]
    assert isim.same_film(titles, np.array([124, 9, 255, 9, 3])).tolist() == [2, 1, 2, 1, 4]


def test_taste_links_films_their_admirers_rate_above_their_habit():
    """Everyone rated films 0-3 (a season's hits); those who rate 0 above their habit rate 1
    above it too, and 2 below: taste links 0 with 1, not with 2, where co-ratings see no
    difference."""
    rng = np.random.default_rng(0)
    x = np.zeros((40, 4), dtype=np.float32)
    for u in range(40):
        habit = rng.uniform(2.5, 3.5)
        admirer = u % 2 == 0
        x[u] = [habit + (1 if admirer else -1), habit + (1 if admirer else -1), habit - (1 if admirer else -1), habit]
    x = np.clip(np.round(x * 2) / 2, 1, 5)
    taste = isim.taste_similarity(sp.csr_matrix(x), shrink=0.0)
    assert taste[0, 1] > 0.5 and taste[0, 2] == 0.0 and np.allclose(np.diag(taste), 0.0)
    co = isim.corating_similarity(sp.csr_matrix(x), shrink=0.0)
    assert np.isclose(co[0, 1], co[0, 2])
    assert not isim.taste_similarity(sp.csr_matrix((3, 4), dtype=np.float32)).any()


def test_a_version_saved_with_the_adjusted_cosine_weight_still_loads(tmp_path):
    """An upgrade must not stop the live version serving: a hybrid saved when the co-rating side
    had an adjusted cosine (`sim_adjusted`) loads with that param set aside."""
    x, t, e = synthetic()
    folder = Hybrid(lam=20.0, lam_cold=200.0, factor_dims=8).fit(x, t, e).save(tmp_path / "hybrid")
    meta = json.loads((folder / "model.json").read_text())
    meta["params"]["sim_adjusted"] = 0.25
    (folder / "model.json").write_text(json.dumps(meta))
    old = load_model(folder)
    assert "sim_adjusted" not in old.params and len(old.similar_items(0, 5)[0]) == 5


def test_a_series_is_titles_that_begin_or_end_alike_not_the_same_words_in_another_order():
    """Their rare words shared: "Batman" and "Batman Returns" are a series; "Dead Man Walking"
    and "The Walking Dead", "No Escape" and "Escape from L.A." are not (a film buff's review met
    them labelled "Same series"), though their words still count a little."""
    titles = ["Batman (1989)", "Batman Returns (1992)", "Dead Man Walking (1995)", "Walking Dead, The (1995)",
              "No Escape (1994)", "Escape from L.A. (1996)"] + [f"Film {i} (1990)" for i in range(200)]
    m = isim.series_matrix(titles).toarray()
    assert m[0, 1] >= isim.SERIES_CUT
    assert 0 < m[2, 3] < isim.SERIES_CUT and 0 < m[4, 5] < isim.SERIES_CUT
