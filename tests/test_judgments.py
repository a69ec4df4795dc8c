"""The judgment-set scoring of "movies like X" (recommender.evaluation.judgments): the maths."""
import json

import numpy as np
import pytest

from recommender.evaluation import judgments
from recommender.vocab import Vocabulary


def test_every_film_of_a_group_asks_for_the_others_unknown_ids_dropped():
    items = Vocabulary([10, 20, 30, 40])
    asked = judgments.queries([[10, 20, 30], [40, 999], [20, 20]], items)
    assert [(x, sorted(rest.tolist())) for x, rest in asked] == [(0, [1, 2]), (1, [0, 2]), (2, [0, 1])]


def test_hit_and_recall_count_the_group_found_in_the_top_k():
    scores = np.array([[0, 9, 1, 8, 0],
                       [5, 0, 1, 2, 3],
                       [0, 0, 0, 0, 0],
                       [0, 0, 0, 0, 0],
                       [0, 0, 0, 0, 0]], dtype=np.float32)
    asked = [(0, np.array([1, 2])), (1, np.array([2]))]
    m = judgments.evaluate(scores, asked, k=2)
    assert m["hit@2"] == pytest.approx(0.5)  # X=0 finds 1 (top: 1, 3); X=1 lists 0 and 4, not 2
    assert m["recall@2"] == pytest.approx((1 / 2 + 0) / 2)
    assert m["queries"] == 2


def test_recall_is_over_at_most_k_relevant_films():
    scores = np.tile(np.arange(6, dtype=np.float32), (6, 1))
    m = judgments.evaluate(scores, [(0, np.array([1, 2, 3, 4, 5]))], k=2)
    assert m["recall@2"] == 1.0  # a group larger than k cannot be found whole in the top k


def test_a_file_that_is_not_a_judgment_set_says_so(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"sets": {"a": [{"name": "g", "movie_ids": [1, 2]}]}}))
    assert judgments.load(path) == {"a": [[1, 2]]}
    path.write_text(json.dumps({"sets": {"a": [{"movie_ids": ["x"]}]}}))
    with pytest.raises(ValueError, match="not a judgment set file"):
        judgments.load(path)
    with pytest.raises(ValueError, match="not a judgment set file"):
        judgments.load(tmp_path / "missing.json")
