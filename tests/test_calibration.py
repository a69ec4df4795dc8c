"""Calibrated lists: the maths of recommender.models.calibration, and the hybrid's feed and
evaluation going through it."""
from __future__ import annotations

import numpy as np
import pytest

from recommender.models import calibration

DRAMA, COMEDY = [1.0, 0.0], [0.0, 1.0]


def test_the_target_is_the_liked_films_genres_each_film_shared_among_its_own():
    shares = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    assert calibration.target(shares) == pytest.approx([0.75, 0.25, 0.0])
    assert calibration.target(np.zeros((0, 3))) is None


def test_a_list_follows_the_liked_proportions_when_scores_favour_one_kind():
    """Six dramas score above four comedies; someone who liked both as much gets both."""
    genres = np.array([DRAMA] * 6 + [COMEDY] * 4)
    scores = np.linspace(1.0, 0.5, 10)
    picked = calibration.rerank(scores, genres, np.array([0.5, 0.5]), 6, 19.0)
    assert sorted(genres[picked, 1].tolist()) == [0, 0, 0, 1, 1, 1]
    assert picked[0] == 0  # the best film still leads


def test_weight_zero_or_a_one_kind_person_keeps_the_scores_order():
    genres = np.array([DRAMA] * 3 + [COMEDY] * 3)
    scores = np.linspace(1.0, 0.5, 6)
    assert calibration.rerank(scores, genres, np.array([0.5, 0.5]), 4, 0.0).tolist() == [0, 1, 2, 3]
    assert calibration.rerank(scores, genres, np.array([1.0, 0.0]), 3, 19.0).tolist() == [0, 1, 2]


def test_the_first_k_of_a_longer_list_are_the_list_of_k():
    """Pages of a feed agree: each pick depends only on the picks before it."""
    rng = np.random.default_rng(0)
    genres = rng.random((60, 5)) * (rng.random((60, 5)) < 0.4)
    genres[genres.sum(axis=1) == 0, 0] = 1.0
    genres /= genres.sum(axis=1, keepdims=True)
    scores = np.sort(rng.random(60))[::-1]
    p = calibration.target(genres[:4])
    long = calibration.rerank(scores, genres, p, 30, 9.0)
    assert calibration.rerank(scores, genres, p, 10, 9.0).tolist() == long[:10].tolist()
    assert len(set(long.tolist())) == 30


def test_fewer_candidates_than_asked_gives_them_all():
    picked = calibration.rerank(np.array([0.3, 0.2]), np.array([DRAMA, COMEDY]), np.array([0.5, 0.5]), 5, 9.0)
    assert sorted(picked.tolist()) == [0, 1]


def test_the_target_keeps_the_genres_liked_more_than_everyone_does_weighed_by_lift():
    """Five horror films, three of them also action films: horror is the statement (a twentieth
    of everyone's ratings), action (a quarter) a lesser one, comedy none."""
    horror, horror_action = [1.0, 0.0, 0.0], [0.5, 0.5, 0.0]
    everyone = np.array([0.05, 0.25, 0.3])
    p = calibration.target(np.array([horror] * 2 + [horror_action] * 3), everyone)
    assert p[0] > 0.8 and 0 < p[1] < 0.2 and p[2] == 0
    assert calibration.target(np.array([[0.0, 0.0, 1.0]]), np.array([0.05, 0.25, 1.0])) is None


def test_the_kind_every_liked_film_has_outweighs_a_rarer_kind_most_have():
    """Five liked films, every one a romance, four of them war films too (war a twenty-fifth of
    everyone's ratings, romance a fifth): romance is what the person said."""
    romance_war, romance = [0.5, 0.5], [1.0, 0.0]
    p = calibration.target(np.array([romance_war] * 4 + [romance]), np.array([0.2, 0.04]))
    assert p[0] > p[1] > 0


def test_the_best_scored_lead_as_they_are():
    genres = np.array([DRAMA] * 6 + [COMEDY] * 4)
    picked = calibration.rerank(np.linspace(1.0, 0.5, 10), genres, np.array([0.5, 0.5]), 6, 19.0, lead=3)
    assert picked[:3].tolist() == [0, 1, 2]
    assert sorted(genres[picked, 1].tolist()) == [0, 0, 0, 1, 1, 1]


def test_a_run_of_likes_and_the_likes_before_it_each_have_their_say():
    """Five horror films (a twentieth of everyone's ratings), then five dramas (two fifths):
    in one target the horror films' lift leaves the dramas a sliver; as two statements, each
    has half. Fewer likes before the run say less; none, nothing."""
    horror, drama = [1.0, 0.0], [0.0, 1.0]
    everyone = np.array([0.05, 0.4])
    before, run = np.array([horror] * 5), np.array([drama] * 5)
    together = calibration.target(np.vstack([before, run]), everyone)
    assert together[1] < 0.2
    both = calibration.mixed([(calibration.target(before, everyone), 1.0), (calibration.target(run, everyone), 1.0)])
    assert both == pytest.approx([0.5, 0.5])
    fewer = calibration.mixed([(calibration.target(before[:1], everyone), 0.2), (calibration.target(run, everyone), 1.0)])
    assert 0 < fewer[0] < 0.2
    assert calibration.mixed([(None, 1.0), (calibration.target(run, everyone), 1.0)]) == pytest.approx([0.0, 1.0])
    assert calibration.mixed([(None, 1.0)]) is None


def test_focus_is_the_largest_share_of_a_statements_films_having_one_genre():
    """Five dramas are a statement of a kind (1.0) though dramas are common; three of five
    random films sharing a genre less of one; of a run and the likes before it, the clearer."""
    dramas = np.array([DRAMA] * 5)
    mixed_bag = np.array([DRAMA] * 3 + [COMEDY] * 2)
    assert calibration.focus([dramas]) == 1.0
    assert calibration.focus([mixed_bag]) == pytest.approx(0.6)
    assert calibration.focus([mixed_bag, dramas]) == 1.0
    assert calibration.focus([np.zeros((0, 2))]) == 0.0
