"""The item-to-item protocol's metric (recommender.evaluation.item_protocol) on cases worked out
by hand, and the parts of "movies like X" (recommender.models.item_similarity): titles, series,
artefacts."""
import numpy as np
import pandas as pd
import pytest

from recommender.evaluation import item_protocol as ip
from recommender.models import item_similarity as isim
from recommender.vocab import Vocabulary


def frame(rows):
    return pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"])


@pytest.fixture
def fold():
    """User 1 loved film 0 and disliked 1 in train, loved 2 and 3 in test and gave 5 two stars;
    user 2 loved nothing in train (left out); users 3-6 rated film 3 in train (it is popular)."""
    train = frame([(1, 0, 5, 0), (1, 1, 2, 0), (2, 0, 3, 0)] + [(u, 3, 3, 0) for u in (3, 4, 5, 6)])
    test = frame([(1, 2, 5, 0), (1, 3, 4, 0), (1, 5, 2, 0), (2, 2, 5, 0), (3, 4, 5, 0)])
    return ip.Fold(train, test, Vocabulary(range(6)))


def scores_preferring(*order):
    """Row 0 ranks films in `order` first (then the rest); other rows are flat."""
    s = np.zeros((6, 6), dtype=np.float32)
    for rank, item in enumerate(order):
        s[0, item] = 10.0 - rank
    return s


def test_the_metric_by_hand(fold):
    m = ip.evaluate(scores_preferring(1, 2, 4, 3), fold, k=2, tail_from=1)
    # film 1 was rated in train: left out, so the top 2 is [2, 4]; one hit at rank 1
    assert m["users"] == 1 and m["hit@2"] == 1.0
    assert m["ndcg@2"] == pytest.approx(1 / (1 + 1 / np.log2(3)))
    # weights 1/sqrt(train ratings): film 2 (none: 1) and film 3 (4 raters: 1/2)
    assert m["wrecall@2"] == pytest.approx(1.0 / 1.5)
    assert m["tail_hit@2"] == 1.0  # film 2 is not the one most-rated film (3)


def test_finding_the_popular_film_counts_less(fold):
    rare = ip.evaluate(scores_preferring(2, 5), fold, k=1, tail_from=1)
    popular = ip.evaluate(scores_preferring(3, 5), fold, k=1, tail_from=1)
    assert rare["hit@1"] == popular["hit@1"] == 1.0
    assert popular["wrecall@1"] == pytest.approx(0.5 / 1.5) and rare["wrecall@1"] > popular["wrecall@1"]
    assert popular["tail_hit@1"] == 0.0 and rare["tail_hit@1"] == 1.0  # film 3 is the head
    nothing = ip.evaluate(scores_preferring(4, 5), fold, k=1)
    assert nothing["hit@1"] == nothing["wrecall@1"] == nothing["ndcg@1"] == 0.0


def test_liked_share_counts_the_listed_films_the_user_rated(fold):
    assert ip.evaluate(scores_preferring(5, 2), fold, k=2)["liked_share"] == 0.5  # 5 rated 2★, 2 rated 5★
    assert ip.evaluate(scores_preferring(2, 4), fold, k=2)["liked_share"] == 1.0  # 4 not rated: not counted
    assert ip.evaluate(scores_preferring(4, 1), fold, k=1)["liked_share"] == 0.0  # nothing listed was rated


def test_row_standardise_leaves_the_diagonal_out():
    m = np.array([[100.0, 1, 2, 3], [0, 0, 0, 0], [1, 1, 9, 1], [2, 4, 6, 8]], dtype=np.float32)
    z = ip.row_standardise(m)
    assert z[0, 0] == 0 and z[0, 1:].tolist() == pytest.approx([-1.2247, 0, 1.2247], abs=1e-4)
    assert np.isfinite(z).all() and not z[1].any()


@pytest.mark.parametrize("title, base", [
    ("Godfather: Part II, The (1974)", "godfather"), ("Die Hard 2 (1990)", "die hard"),
    ("Die Hard: With a Vengeance (1995)", "die hard"), ("Alien 3 (1992)", "alien"),
    ("Star Trek VI: The Undiscovered Country (1991)", "star trek"), ("Heat (1995)", "heat"),
    ("City of Lost Children, The (Cité des enfants perdus, La) (1995)", "city lost children")])
def test_base_titles(title, base):
    assert isim.base_title(title) == base


def test_series_links_rare_title_words_not_common_ones():
    titles = ["Alien (1979)", "Aliens (1986)", "Alien 3 (1992)", "Die Hard (1988)", "Die Hard 2 (1990)",
              "To Die For (1995)", "Heat (1995)"] + [f"Love Story in Town{i} (1990)" for i in range(30)]
    s = isim.series_matrix(titles).toarray()
    assert s[0, 1] == s[0, 2] == s[1, 2] == 1.0 and s[3, 4] == 1.0
    assert s[3, 5] < isim.SERIES_CUT and s[6].max() == 0 and s[0, 0] == 0
    assert s[7, 8] == 0  # "love" and "story" are in too many titles to name a series
    sequels = isim.series_matrix(["Love Story (1970)", "Love Story 2 (1978)"] + [f"Love Story {i} (1990)" for i in range(3, 30)]
                                 + ["Story of Love (1990)"] * 30)
    assert sequels[0, 1] == 1.0 and sequels[0, 40] == 0  # the same base title, though its words are common


def test_artefacts():
    flags = isim.artefacts(["unknown", "Good Morning (1971)", "Heat (1995)", "Obscure (1990)"],
                           [["unknown"], ["unknown"], [], ["Drama"]], np.array([9, 1, 1, 1]))
    assert flags.tolist() == [True, True, True, False]


def test_kind_columns_worked_out_by_hand():
    """X = film 0 (Drama, Western); its list: a western (1), a drama (2), a comedy (3).
    Jaccard: 1/2, 1/2, 0 -> 1/3; X's rarest genre is Western (one other film has it) -> 1/3."""
    genres = isim.genre_sets([["Drama", "Western"], ["Western"], ["Drama"], ["Comedy"], ["Drama"]]) > 0
    jaccard, rarest = ip.kind_agreement(genres, np.array([0]), np.array([[1, 2, 3]]))
    assert jaccard[0] == pytest.approx(1 / 3) and rarest[0] == pytest.approx(1 / 3)


def test_the_protocol_scores_the_kind_columns():
    train = frame([(1, 0, 5, 0), (1, 1, 2, 0)])
    test = frame([(1, 2, 5, 0)])
    genre_lists = [["Drama"], ["Comedy"], ["Drama"], ["Drama", "Western"], ["Comedy"], ["Drama"]]
    m = ip.evaluate(scores_preferring(2, 3, 5), ip.Fold(train, test, Vocabulary(range(6)), genre_lists), k=3)
    # X is film 0 (Drama); listed 2, 3, 5, all dramas: rarest share 1; Jaccard 1, 1/2, 1
    assert m["rarest_genre@3"] == pytest.approx(1.0) and m["genre_jaccard@3"] == pytest.approx(5 / 6)
