"""The metric code against hand-computed examples (definitions of docs/protocol.md)."""
import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recommender.evaluation import protocol as ev


def _test_frame(truth: dict[int, list[int]]) -> pd.DataFrame:
    rows = [(u, m, 4.0, 0) for u, ms in truth.items() for m in ms]
    return pd.DataFrame(rows, columns=ev.COLUMNS)


def test_one_user_by_hand():
    test = _test_frame({1: [10, 30, 50]})
    recs = {1: [10, 20, 30, 40, 60, 70, 80, 90, 100, 110]}  # hits at ranks 1 and 3
    m = ev.metrics(recs, test, k=10)
    assert m["precision@10"] == pytest.approx(0.2)
    assert m["recall@10"] == pytest.approx(2 / 3)
    dcg = 1 + 1 / math.log2(4)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert m["ndcg@10"] == pytest.approx(dcg / idcg)
    assert m["map@10"] == pytest.approx((1 / 1 + 2 / 3) / 3)
    assert m["hit@10"] == 1.0
    assert m["coverage"] == 10 and m["users"] == 1


def test_average_over_users_and_string_keys():
    test = _test_frame({1: [5], 2: [7, 8]})
    recs = {"1": [1, 2, 3, 4, 6, 9, 10, 11, 12, 13], "2": [8, 1, 2, 3, 4, 5, 6, 9, 10, 11]}
    m = ev.metrics(recs, test, k=10)
    assert m["hit@10"] == 0.5
    assert m["precision@10"] == pytest.approx(0.05)
    assert m["ndcg@10"] == pytest.approx((0 + 1 / (1 + 1 / math.log2(3))) / 2)
    assert m["map@10"] == pytest.approx((0 + 1 / 2) / 2)
    assert m["coverage"] == 12


def test_ideal_dcg_capped_at_k_and_map_denominator():
    test = _test_frame({1: list(range(100, 120))})
    recs = {1: list(range(100, 110))}
    m = ev.metrics(recs, test, k=10)
    assert m["ndcg@10"] == pytest.approx(1.0)
    assert m["map@10"] == pytest.approx(1.0)
    assert m["recall@10"] == pytest.approx(0.5)


def test_duplicate_in_ranked_list_is_an_error():
    with pytest.raises(ValueError):
        ev.metrics({1: [1, 1, 2]}, _test_frame({1: [1]}), k=10)


def test_top_k_excludes_seen_and_orders_best_first():
    scores = np.array([[0.1, 0.9, 0.5, 0.7]], dtype=np.float32)
    seen = sp.csr_matrix(np.array([[0, 1, 0, 0]]))
    assert ev.top_k(scores, seen, 2).tolist() == [[3, 2]]


def test_fast_ndcg_agrees_with_metrics():
    rng = np.random.default_rng(0)
    n_users, n_items = 30, 50
    truth = {u: sorted(rng.choice(n_items, size=rng.integers(1, 15), replace=False).tolist())
             for u in range(n_users)}
    top = np.stack([rng.permutation(n_items)[:10] for _ in range(n_users)])
    t = sp.csr_matrix((np.ones(sum(map(len, truth.values()))),
                       (np.repeat(list(truth), [len(v) for v in truth.values()]),
                        np.concatenate(list(truth.values())))), shape=(n_users, n_items))
    fast = ev.fast_ndcg(top, t, 10)
    slow = ev.metrics({u: top[u].tolist() for u in truth}, _test_frame(truth), 10)
    assert fast["ndcg"] == pytest.approx(slow["ndcg@10"])
    assert fast["precision"] == pytest.approx(slow["precision@10"])
    assert fast["coverage"] == slow["coverage"]


def test_graded_columns_by_hand():
    """Ratings as preferences: user 1 liked 10 and 50 (4 and 5 stars), disliked 30 (2 stars);
    user 2 rated nothing that was recommended and liked nothing."""
    test = pd.DataFrame([(1, 10, 4.0, 0), (1, 30, 2.0, 0), (1, 50, 5.0, 0), (2, 70, 3.0, 0)], columns=ev.COLUMNS)
    recs = {1: [30, 10, 20], 2: [10, 20, 30]}
    m = ev.graded(recs, test, k=10)
    assert m["ndcg_liked"] == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))  # user 2 left out
    assert m["liked_share"] == pytest.approx(1 / 2)  # of 30 and 10, one liked; user 2 saw none
    assert m["disliked@10"] == pytest.approx(1 / 2)  # one disliked film for user 1, none for user 2


def test_fast_graded_agrees_with_graded():
    rng = np.random.default_rng(3)
    rows = [(u, m, float(rng.integers(1, 6)), 0) for u in range(30) for m in rng.choice(60, 12, replace=False)]
    test = pd.DataFrame(rows, columns=ev.COLUMNS)
    top = np.array([rng.choice(60, 10, replace=False) for _ in range(30)])
    truth = sp.csr_matrix((test.rating.to_numpy(np.float32), (test.user_id, test.movie_id)), shape=(30, 60))
    fast = ev.fast_ndcg(top, truth, 10)
    slow = {**ev.metrics({u: top[u].tolist() for u in range(30)}, test, 10),
            **ev.graded({u: top[u].tolist() for u in range(30)}, test, 10)}
    assert fast["ndcg"] == pytest.approx(slow["ndcg@10"])
    assert fast["ndcg_liked"] == pytest.approx(slow["ndcg_liked"])
    assert fast["liked_share"] == pytest.approx(slow["liked_share"])
    assert fast["disliked"] == pytest.approx(slow["disliked@10"])


def test_standard_errors_are_the_spread_of_users_figures_over_their_root_count():
    test = pd.DataFrame([(1, 10, 5.0, 0), (2, 20, 5.0, 0), (3, 30, 1.0, 0), (4, 40, 5.0, 0)], columns=ev.COLUMNS)
    recs = {1: [10], 2: [99], 3: [30], 4: [40]}  # ndcg 1, 0, 1, 1; ndcg_liked 1, 0, -, 1
    errors = ev.standard_errors(recs, test, k=10)
    assert errors["ndcg@10"] == pytest.approx(np.std([1, 0, 1, 1]) / 2)
    assert errors["ndcg_liked"] == pytest.approx(np.std([1, 0, 1]) / math.sqrt(3))
    assert errors["liked_share"] == pytest.approx(np.std([1, 0, 1]) / math.sqrt(3))  # user 2 saw nothing
    assert errors["disliked@10"] == pytest.approx(np.std([0, 0, 1, 0]) / 2)
    assert set(errors) == {"ndcg@10", "ndcg_liked", "liked_share", "disliked@10"}


def test_metrics_are_the_means_of_the_per_user_figures():
    test = _test_frame({1: [10, 30, 50], 2: [7]})
    recs = {1: [10, 20, 30], 2: [1, 2]}
    per_user, covered = ev.ranking_per_user(recs, test, k=10)
    m = ev.metrics(recs, test, k=10)
    assert m["ndcg@10"] == pytest.approx(np.mean(per_user["ndcg@10"]))
    assert m["ndcg_liked"] == pytest.approx(np.mean(ev.graded_per_user(recs, test, k=10)["ndcg_liked"]))
    assert covered == {10, 20, 30, 1, 2}
