"""Genre taste (recommender.models.genres): lifts over everyone's shares, each film counted for
every genre it has."""
import json

import numpy as np
import scipy.sparse as sp

from recommender.models.base import load_model
from recommender.models.genres import GenreTaste

# six films: three westerns, three comedies; everyone rates the comedies, few the westerns
GENRES = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 1]], dtype=np.uint8)


def fitted() -> GenreTaste:
    rng = np.random.default_rng(0)
    x = np.zeros((200, 6), dtype=np.float32)
    x[:, 3:] = rng.integers(1, 6, size=(200, 3))
    x[:20, :3] = 4.0
    return GenreTaste().fit(sp.csr_matrix(x), item_genres=GENRES)


def test_a_western_fan_is_steered_to_westerns():
    scores = fitted().score_one(np.array([0, 1, 2]), np.array([5.0, 5.0, 5.0]))
    assert scores[:3].min() > 0 > scores[3:].max()


def test_a_history_like_everyone_elses_says_little():
    """Comedies liked, as everyone's ratings are: a small steer beside a western fan's."""
    model = fitted()
    comedies = model.score_one(np.array([3, 4, 5]), np.array([5.0, 5.0, 5.0]))
    westerns = model.score_one(np.array([0, 1, 2]), np.array([5.0, 5.0, 5.0]))
    assert np.abs(comedies[3:]).max() < 0.1 * westerns[:3].min()


def test_the_genre_every_liked_film_shares_stands_out():
    """Five liked films of two genres each, one genre common to them all (the best-known films
    of many genres are such hits): that genre leads the taste."""
    shared = [[1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 0, 1], [1, 1, 0, 0], [1, 0, 1, 0]]
    genres = np.array(shared + [[0, 1, 1, 1]] * 15, dtype=np.uint8)
    model = GenreTaste().fit(sp.csr_matrix(np.ones((50, 20), dtype=np.float32)), item_genres=genres)
    taste = model.taste(np.full(5, 2.5), genres[:5])
    assert taste.argmax() == 0 and taste[0] > 1.5 * taste[1:].max()


def test_a_few_random_picks_say_nothing():
    """Two films of a genre in four liked, where most films are of it: chance explains that."""
    genres = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [1, 0], [1, 1]], dtype=np.uint8)
    model = GenreTaste().fit(sp.csr_matrix(np.ones((50, 6), dtype=np.float32)), item_genres=genres)
    assert not model.taste(np.array([2.5, 2.5, 2.5, 2.5]), genres[:4]).any()


def test_one_film_of_a_rare_genre_among_a_statement_lifts_only_the_statement():
    """Eight westerns and one documentary liked, the documentary rated an eighth as often as the
    westerns: the westerns are the statement; the one documentary, although its lift is the
    largest, is one film, and counts by a quarter of the statement's gate."""
    genres = np.array([[1, 0, 0]] * 8 + [[0, 1, 0]] + [[0, 0, 1]] * 11, dtype=np.uint8)
    x = np.zeros((400, 20), dtype=np.float32)
    x[:, 9:] = 3.0  # everyone rates the eleven others, a tenth the westerns, fewer the documentary
    x[:40, :8] = 4.0
    x[:40, 8] = 4.0
    model = GenreTaste().fit(sp.csr_matrix(x), item_genres=genres)
    taste = model.taste(np.full(9, 2.5), genres[:9])
    whole = np.log((1 + 5 * model.arrays["base_contains"][1]) / (9 + 5) / model.arrays["base_contains"][1])
    assert taste[1] > 0 and taste[0] > 2 * taste[1]
    assert taste[1] < 0.3 * whole * model._fade(9)  # its lift, at a quarter


def test_disliked_genres_are_pushed_down():
    scores = fitted().score_one(np.array([0, 1, 2, 3]), np.array([5.0, 5.0, 5.0, 1.0]))
    assert scores[3:].max() < 0 < scores[:3].min()


def test_batch_scoring_is_one_history_at_a_time():
    model = fitted()
    h = sp.csr_matrix(np.array([[5, 5, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0]], dtype=np.float32))
    batch = model.score(h)
    assert np.array_equal(batch[0], model.score_one(np.array([0, 1, 5]), np.array([5.0, 5.0, 1.0])))
    assert not batch[1].any()


def test_a_version_saved_before_the_surprise_gate_still_loads(tmp_path):
    """An upgrade must not stop the live version serving: its genre part carries the old gate's
    params and genre-share base, and loads with them set aside."""
    model = fitted()
    folder = model.save(tmp_path / "genres")
    meta = json.loads((folder / "model.json").read_text())
    meta["params"].update(divergence_from=0.25, divergence_full=0.6)
    meta["arrays"] = ["G", "base"]
    (folder / "model.json").write_text(json.dumps(meta))
    (folder / "base_contains.npy").rename(folder / "base.npy")
    old = load_model(folder)
    assert "divergence_from" not in old.params
    scores = old.score_one(np.array([0, 1, 2]), np.array([5.0, 5.0, 5.0]))
    assert scores[:3].min() > 0 > scores[3:].max()


def test_a_film_few_people_rated_rises_by_a_share_of_its_genres():
    """A western one person rated is not what a western fan asked for: it rises by a third of
    the taste (evidence_ratings=3), a well-rated western by all of it. A film nobody rated yet
    is new, its genres all there is to go on: it rises in full. A fall is never weakened."""
    genres = np.array([[1, 0]] * 5 + [[0, 1]] * 3, dtype=np.uint8)
    x = np.zeros((200, 8), dtype=np.float32)
    x[:, 5:7] = 4.0
    x[:20, :3] = 4.0
    x[0, [3, 7]] = 1.0  # films 3 (a western) and 7 (a comedy): one rating each; film 4: none
    model = GenreTaste(evidence_ratings=3.0).fit(sp.csr_matrix(x), item_genres=genres)
    scores = model.score_one(np.array([0, 1, 2, 5]), np.array([5.0, 5.0, 5.0, 1.0]))
    assert np.isclose(scores[3], scores[0] / 3) and np.isclose(scores[4], scores[0])
    assert scores[6] < 0 and np.isclose(scores[7], scores[6])


def _two_kinds(**params) -> tuple[GenreTaste, np.ndarray]:
    """Ten films, five of each of two genres that are each in a quarter of everyone's ratings:
    five liked of each say nothing that chance does not."""
    genres = np.array([[1, 0]] * 5 + [[0, 1]] * 5 + [[0, 0]] * 30, dtype=np.uint8)
    genres[10:15, 0] = genres[15:20, 1] = 1
    return GenreTaste(**params).fit(sp.csr_matrix(np.ones((50, 40), dtype=np.float32)), item_genres=genres), genres


def test_a_run_of_five_of_one_kind_speaks_for_itself():
    """Five of one kind then five of another: the second five, rated last, are a statement of
    their own, and the genre term and calibration hear it; without times, no such statement."""
    model, _ = _two_kinds()
    rows, stars = np.arange(10), np.full(10, 5.0)
    in_order = np.arange(10, dtype=np.float64)
    assert model.statement(rows, stars) == 0.0
    assert model.statement(rows, stars, in_order) > 0.5
    scores = model.score_one(rows, stars, in_order)
    assert scores[15:20].min() > 0 and scores[10:15].min() > 0 and not model.score_one(rows, stars).any()


def test_ratings_made_together_are_no_run():
    """Ten answers saved in one instant: none of them came after the others."""
    model, _ = _two_kinds()
    rows, stars = np.arange(10), np.full(10, 5.0)
    assert model.statement(rows, stars, np.full(10, 7.0)) == model.statement(rows, stars)


def test_a_run_of_one_kind_still_speaks_after_a_few_of_another():
    """Five of one kind, five of another, then two more of the first: the run of five is still
    there to be heard, so the feed does not flip back and forth with each new rating."""
    model, _ = _two_kinds()
    rows, stars = np.array([0, 1, 2, 5, 6, 7, 8, 9, 3, 4]), np.full(10, 5.0)
    assert model.statement(rows, stars, np.arange(10, dtype=np.float64)) > 0.5


def test_two_batches_of_answers_are_two_runs():
    """Five answers saved together, then five more together: the second batch is a run."""
    model, _ = _two_kinds()
    rows, stars = np.arange(10), np.full(10, 5.0)
    assert model.statement(rows, stars, np.repeat([1.0, 2.0], 5)) > 0.5


def test_a_long_history_reads_no_runs():
    """Past `run_ratings` ratings a run of five says little beside the rest: not weighed, and
    serving need not read the times."""
    model, _ = _two_kinds(run_ratings=9)
    rows, stars = np.arange(10), np.full(10, 5.0)
    assert not model.weighs_runs(10) and model.weighs_runs(9)
    assert model.statement(rows, stars, np.arange(10, dtype=np.float64)) == model.statement(rows, stars)


def test_the_latest_likes_count_twice_in_the_taste():
    """Five of one kind, then five of another rated last: the later kind leads the taste; in
    no particular order, both weigh alike."""
    model, _ = _two_kinds()
    weights, genre_rows = np.full(10, 2.5), _two_kinds()[1][:10]
    in_order = model.taste(weights, genre_rows, np.arange(10, dtype=np.float64))
    assert in_order[1] > in_order[0] > 0
    together = model.taste(weights, genre_rows, np.full(10, 1.0))  # one batch: none came last
    assert together[0] == together[1]


def test_the_latest_likes_are_the_run_rated_last():
    """The calibration's second statement: the five likes rated last; None without times or
    without more likes than a run, none of them when every answer was saved together."""
    model, _ = _two_kinds()
    liked = np.ones(10, dtype=bool)
    assert model.latest_likes(liked, np.arange(10, dtype=np.float64)).tolist() == [5, 6, 7, 8, 9]
    assert model.latest_likes(liked, None) is None and model.latest_likes(liked[:5], np.arange(5.0)) is None
    assert len(model.latest_likes(liked, np.full(10, 1.0))) == 0  # one batch of answers: none came last
    some = liked.copy()
    some[7] = False  # a film rated but not liked is in no run of likes
    assert 7 not in model.latest_likes(some, np.arange(10, dtype=np.float64)).tolist()


def _dramas_and_comedies() -> GenreTaste:
    """Forty films: 0-11 dramas (10 and 11 comedies too), 12-39 comedies (38 and 39 westerns
    too); everyone rates every film, so dramas are three in ten of everyone's ratings."""
    genres = np.zeros((40, 3), dtype=np.uint8)
    genres[:12, 0] = genres[10:, 1] = 1
    genres[38:40, 2] = 1
    return GenreTaste().fit(sp.csr_matrix(np.ones((50, 40), dtype=np.float32)), item_genres=genres)


def test_eight_dislikes_of_a_genre_and_no_like_of_it_say_no_to_its_films():
    """Eight dramas disliked: every drama is said no to, a comedy not; with a liked comedy,
    the comedies that are also dramas are spared ("unless they also liked it")."""
    model = _dramas_and_comedies()
    rated, asked = np.arange(8), np.arange(40)
    no = model.said_no(rated, np.zeros(8, bool), np.ones(8, bool), asked)
    assert no[:12].all() and not no[12:].any()
    with_a_liked_comedy = model.said_no(np.append(rated, 20), np.append(np.zeros(8, bool), True),
                                        np.append(np.ones(8, bool), False), asked)
    assert with_a_liked_comedy[:10].all() and not with_a_liked_comedy[10:].any()


def test_a_few_dislikes_or_a_genre_also_liked_say_no_to_nothing():
    """Three dramas disliked, where dramas are three in ten of everyone's ratings, could be
    chance; eight disliked beside four liked are taste within the genre, not a no."""
    model = _dramas_and_comedies()
    asked = np.arange(40)
    assert not model.said_no(np.arange(3), np.zeros(3, bool), np.ones(3, bool), asked).any()
    liked = np.arange(12) >= 8  # eight dramas disliked, four liked
    assert not model.said_no(np.arange(12), liked, ~liked, asked).any()
    assert not model.said_no(np.arange(8), np.ones(8, bool), np.zeros(8, bool), asked).any()

