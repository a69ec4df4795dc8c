"""The memo of a loaded version: a repeated question is answered from it, and anything the answer
depends on (a rating, a hidden film, a filter) is a different question."""
import numpy as np
import pytest

from recommender.serving.memo import Memo, array_key
from recommender.store import hidden, user_ratings

from .test_service import GODFATHER, new_user, rec  # noqa: F401  (the fixture)


def test_memo_computes_once_and_forgets_the_least_recently_used():
    memo, calls = Memo(entries=2), []
    def answer(key):
        return memo.get(key, lambda: calls.append(key) or key.upper())
    assert [answer("a"), answer("a"), answer("b"), answer("a"), answer("c")] == ["A", "A", "B", "A", "C"]
    assert calls == ["a", "b", "c"] and len(memo) == 2
    answer("a")
    answer("b")  # "b" was the least recently used when "c" came in
    assert calls == ["a", "b", "c", "b"]


def test_memo_answers_cannot_be_changed_in_place():
    top, scores = Memo().get("k", lambda: (np.arange(3), np.ones(3)))
    with pytest.raises(ValueError):
        top[0] = 7
    with pytest.raises(ValueError):
        scores += 1


def test_array_keys_tell_contents_dtypes_and_shapes_apart():
    a = np.array([1, 2, 3], dtype=np.int64)
    assert array_key(a) == array_key(a.copy())
    assert array_key(a) != array_key(a.astype(np.int32))
    assert array_key(a) != array_key(np.array([1, 2, 4]))
    assert array_key(a.reshape(1, 3)) != array_key(a)
    assert array_key(a, a) != array_key(a)


def test_a_repeated_feed_is_the_same_and_comes_from_the_memo(rec):  # noqa: F811
    user = new_user(rec)
    for movie_id in (GODFATHER, 10, 18):
        user_ratings.put(rec.db, user, movie_id, 5.0)
    first = rec.feed(user, 10)
    entries = len(rec.index.memo)
    assert rec.feed(user, 10) == first and len(rec.index.memo) == entries


def test_what_the_person_says_since_is_a_new_question(rec):  # noqa: F811
    user = new_user(rec)
    for movie_id in (GODFATHER, 10, 18):
        user_ratings.put(rec.db, user, movie_id, 5.0)
    first = [r.movie_id for r in rec.feed(user, 10)]
    hidden.hide(rec.db, user, first[0])
    after_hiding = [r.movie_id for r in rec.feed(user, 10, hide=frozenset({first[0]}))]
    assert first[0] not in after_hiding
    user_ratings.put(rec.db, user, after_hiding[0], 1.0)
    after_rating = [r.movie_id for r in rec.feed(user, 10, hide=frozenset({first[0]}))]
    assert after_hiding[0] not in after_rating and after_rating != after_hiding
    assert rec.feed(user, 5, hide=frozenset({first[0]})) != rec.feed(user, 10, hide=frozenset({first[0]}))


def test_a_remembered_list_shows_the_counts_and_titles_of_now(rec):  # noqa: F811
    """/similar and the feed keep their lists and reasons in the memo, never a film's rating
    count or average (they change with anyone's rating); a retitled film is a new question."""
    user = new_user(rec)
    for movie_id in (GODFATHER, 10, 18):
        user_ratings.put(rec.db, user, movie_id, 5.0)
    similar, feed = rec.similar(GODFATHER, 5), rec.feed(user, 5)
    neighbour, pick = similar[0].movie_id, feed[0].movie_id
    counts = {m: rec.db.execute("SELECT num_ratings FROM movies WHERE id = ?", (m,)).fetchone()[0]
              for m in (neighbour, pick)}
    rater = new_user(rec, "someone_else")
    for movie_id in {neighbour, pick}:
        user_ratings.put(rec.db, rater, movie_id, 4.0)
    assert rec.similar(GODFATHER, 5)[0].movie["num_ratings"] == counts[neighbour] + 1
    assert rec.feed(user, 5)[0].movie["num_ratings"] == counts[pick] + 1
    rec.db.execute("UPDATE movies SET display_title = 'The Godfather, Part Zero' WHERE id = ?", (GODFATHER,))
    rec.db.conn.commit()
    assert any("The Godfather" in r.reason for r in similar)
    assert any("The Godfather, Part Zero" in r.reason for r in rec.similar(GODFATHER, 5))


def test_a_remembered_similar_list_hands_out_copies(rec):  # noqa: F811
    """A page sets the person's predicted stars on its cards' movie dicts: the next person's
    /similar, answered from the memo, must not see them."""
    query, first = rec.similar_to(GODFATHER, 5)
    query["predicted_rating"] = 1.0
    for r in first:
        r.movie["predicted_rating"] = 1.0
    again_query, again = rec.similar_to(GODFATHER, 5)
    assert [r.movie_id for r in again] == [r.movie_id for r in first]
    assert "predicted_rating" not in again_query and not any("predicted_rating" in r.movie for r in again)
