"""People like you (recommender.models.peers): the nearest users by their liked films vote for
the films they liked."""
import numpy as np
import scipy.sparse as sp

from recommender.models.peers import SHARE_PRIOR, PeerTaste


def fitted(neighbours: int = 20) -> PeerTaste:
    rng = np.random.default_rng(0)
    x = sp.random(300, 120, density=0.1, random_state=1, format="csr", dtype=np.float32)
    x.data = rng.integers(1, 6, x.nnz).astype(np.float32)
    return PeerTaste(neighbours=neighbours).fit(x, item_vectors=rng.standard_normal((120, 8)).astype(np.float32))


def test_votes_are_the_similarity_weighted_likes_of_the_nearest_users():
    model = fitted()
    rows = np.array([3, 5, 40, 77])
    profile = model.arrays["V"][rows].sum(axis=0)
    sims = model.user_profiles @ (profile / np.linalg.norm(profile))
    near = np.argsort(-sims)[:20]
    expected = np.zeros(120)
    indptr, likes = model.arrays["likes_indptr"], model.arrays["likes"]
    for u in near[sims[near] > 0]:
        expected[likes[indptr[u]:indptr[u + 1]]] += sims[u]
    np.testing.assert_allclose(model.score_one(rows), expected, rtol=1e-5, atol=1e-5)


def test_people_who_loved_the_same_films_bring_their_other_favourites():
    """Two groups: one loves films 0-9, the other 10-19. A newcomer who loved 0 and 1 is shown
    the rest of 0-9 before anything the other group loved."""
    x = np.zeros((40, 20), dtype=np.float32)
    x[:20, :10] = 5.0
    x[20:, 10:] = 5.0
    x[20:, :2] = 2.0  # the other group saw 0 and 1 and did not like them
    vectors = np.eye(20, dtype=np.float32)
    model = PeerTaste(neighbours=10).fit(sp.csr_matrix(x), item_vectors=vectors)
    scores = model.score_one(np.array([0, 1]))
    assert scores[2:10].min() > scores[10:].max()


def test_no_liked_film_no_peers():
    model = fitted()
    assert not model.score_one(np.zeros(0, np.int64)).any()
    assert not model.score(sp.csr_matrix((2, 120), dtype=np.float32)).any()


def test_shared_love_names_the_liked_film_whose_lovers_loved_the_pick_most_often():
    """Among the nearest users, the liked film whose lovers most often loved the pick too (as a
    share of them, smoothed), with how many loved both."""
    model = fitted()
    liked, items = np.array([3, 5, 40, 77]), np.array([0, 9, 50, 119])
    best, count = model.shared_love(liked, items)
    profile = model.arrays["V"][liked].sum(axis=0)
    sims = model.user_profiles @ (profile / np.linalg.norm(profile))
    near = np.argsort(-sims)[:20]
    near = near[sims[near] > 0]
    indptr, likes = model.arrays["likes_indptr"], model.arrays["likes"]
    loves = [set(likes[indptr[u]:indptr[u + 1]].tolist()) for u in near]
    for item, b, c in zip(items, best, count):
        both = {film: sum(item in s and film in s for s in loves) for film in liked.tolist()}
        share = {film: both[film] / (sum(film in s for s in loves) + SHARE_PRIOR) for film in both}
        if max(both.values()) == 0:
            assert (b, c) == (-1, 0)
        else:
            assert share[b] == max(share.values()) and c == both[b] > 0


def test_shared_love_names_the_telling_film_not_the_one_every_neighbour_loved():
    """Every neighbour loved film 0 (a Star Wars); three of them loved film 1 (a Toy Story),
    and those three loved film 2 (a Pinocchio), as did two others: film 1 is named."""
    x = np.zeros((10, 3), dtype=np.float32)
    x[:, 0] = 5.0
    x[:3, 1] = 5.0
    x[:5, 2] = 5.0
    model = PeerTaste(neighbours=10).fit(sp.csr_matrix(x), item_vectors=np.ones((3, 2), dtype=np.float32))
    best, count = model.shared_love(np.array([0, 1]), np.array([2]))
    assert (best.tolist(), count.tolist()) == ([1], [3])


def test_no_shared_love_without_likes_or_picks():
    model = fitted()
    assert model.shared_love(np.zeros(0, np.int64), np.array([1, 2]))[0].tolist() == [-1, -1]
    assert len(model.shared_love(np.array([1]), np.zeros(0, np.int64))[0]) == 0


def test_shared_love_names_a_liked_film_of_the_picks_kind_first():
    """With the kinship of pick and liked films given, a liked film of the pick's kind that
    some neighbours loved with it is named, though another's share is higher; where none of
    its kind was loved with the pick, the plain choice stands."""
    model = fitted()
    liked, items = np.array([3, 5, 40, 77]), np.array([0, 9, 50, 119])
    plain, plain_count = model.shared_love(liked, items)
    switched = 0
    for kin_column in range(len(liked)):
        kin = np.zeros((len(items), len(liked)), dtype=bool)
        kin[:, kin_column] = True
        best, count = model.shared_love(liked, items, kin)
        for i in range(len(items)):
            if best[i] == liked[kin_column]:
                assert count[i] > 0
                switched += best[i] != plain[i]
            else:
                assert (best[i], count[i]) == (plain[i], plain_count[i])
    assert switched


def test_shared_love_names_the_nearest_kind_among_the_liked_films_loved_with_the_pick():
    """Graded kinship (genre Jaccard): a liked film nearer the pick's kind is named before one
    that merely shares a genre with it, whatever their shares; equal kinships, the share."""
    model = fitted()
    liked, items = np.array([3, 5, 40, 77]), np.array([0, 9, 50, 119])
    plain = model.shared_love(liked, items)
    for near_column in range(len(liked)):
        graded = np.full((len(items), len(liked)), 0.2)
        graded[:, near_column] = 0.67
        only_that_one = np.zeros((len(items), len(liked)), dtype=bool)
        only_that_one[:, near_column] = True
        for got, expected in zip(model.shared_love(liked, items, graded), model.shared_love(liked, items, only_that_one)):
            assert got.tolist() == expected.tolist()
    for got, expected in zip(model.shared_love(liked, items, np.full((len(items), len(liked)), 0.2)), plain):
        assert got.tolist() == expected.tolist()


def test_kinship_goes_first_only_where_enough_people_loved_both_to_be_counted():
    """Every neighbour loved film 0 and the pick, film 2; one of them loved film 1, of the
    pick's kind, too: "they loved film 1 too" from one person is no reason a person could
    check, so with counted_from 3 film 0 is named, counted."""
    x = np.zeros((10, 3), dtype=np.float32)
    x[:, 0] = x[:, 2] = 5.0
    x[0, 1] = 5.0
    model = PeerTaste(neighbours=10).fit(sp.csr_matrix(x), item_vectors=np.ones((3, 2), dtype=np.float32))
    kin = np.array([[0.2, 1.0]])
    assert model.shared_love(np.array([0, 1]), np.array([2]), kin)[0].tolist() == [1]
    best, count = model.shared_love(np.array([0, 1]), np.array([2]), kin, counted_from=3)
    assert (best.tolist(), count.tolist()) == ([0], [10])
