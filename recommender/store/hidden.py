"""One user's "not interested" films: hide, show again, list. Serving leaves them out.

A hidden film never comes back in that user's feed, "movies like X" lists or search results: the
web layer reads `id_set` once per request and hands it to the Recommender as `hide`. Hiding also
says something about taste: a hidden film counts as a dislike, as a low rating would, and the
models read `ids` for that. Hiding keeps a rating of the same film as it is (the person rated what
they saw; hiding is about what they want to be shown), and showing a film again restores nothing
else, because nothing else was touched."""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import orjson
import sqlite_utils

from recommender import store
from recommender.store import catalogue, user_ratings

_EXISTS = "SELECT 1 FROM hidden WHERE user_id = ? AND movie_id = ?"
_INSERT = "INSERT INTO hidden (user_id, movie_id, hidden_at) VALUES (?, ?, ?)"
_DELETE = "DELETE FROM hidden WHERE user_id = ? AND movie_id = ?"
_OFF_WATCHLIST = "DELETE FROM watchlist WHERE user_id = ? AND movie_id = ?"
# One row holding every id as a JSON array: asked on every feed, similar and search request of a
# signed-in user, so it costs one step of the cursor however many films are hidden (see
# catalogue._MOVIES_BY_IDS for why rows stepped cost under threads).
_IDS = "SELECT json_group_array(movie_id) FROM hidden WHERE user_id = ?"
_NEWEST_FIRST = ("SELECT movie_id, hidden_at FROM hidden WHERE user_id = ? "
                 "ORDER BY hidden_at DESC, movie_id DESC")


def hide(db: sqlite_utils.Database, user_id: int, movie_id: int, at: int | None = None) -> bool:
    """Hide a film from this user (it must exist); True when it was new, False when it was
    hidden already (then nothing changes, its first `hidden_at` included: hiding is idempotent).
    A new hide takes the film off the user's watchlist in the same transaction.
    Returns only once the row is committed; a busy, read-only or failing store raises."""
    with store.write_transaction(db) as conn:
        if conn.execute(_EXISTS, (user_id, movie_id)).fetchone() is not None:
            return False
        cursor = conn.execute(_INSERT, (user_id, movie_id, user_ratings.now() if at is None else at))
        store.expect_one_change(cursor, f"hiding movie {movie_id}")
        conn.execute(_OFF_WATCHLIST, (user_id, movie_id))  # "not interested" ends "want to watch"
    return True


def unhide(db: sqlite_utils.Database, user_id: int, movie_id: int) -> bool:
    """Show a film again; False when it was not hidden."""
    if not catalogue.valid_id(movie_id):
        return False
    with store.write_transaction(db) as conn:
        return conn.execute(_DELETE, (user_id, movie_id)).rowcount == 1


def ids(db: sqlite_utils.Database, user_id: int) -> np.ndarray:
    """The user's hidden movie ids, in no particular order: the dislikes a model folds in."""
    (found,) = db.execute(_IDS, (user_id,)).fetchone()
    return np.array(orjson.loads(found), dtype=np.int64)


def id_set(db: sqlite_utils.Database, user_id: int) -> frozenset[int]:
    """The same ids as a set: the `hide` argument of the Recommender's feed, similar and search."""
    return frozenset(ids(db, user_id).tolist())


def is_hidden(db: sqlite_utils.Database, user_id: int, movie_id: int) -> bool:
    """Whether this user hid this film (a movie page shows "Show again" instead of the button)."""
    return catalogue.valid_id(movie_id) and db.execute(_EXISTS, (user_id, movie_id)).fetchone() is not None


def listing(db: sqlite_utils.Database, user_id: int) -> list[dict]:
    """`{"movie", "hidden_at"}` dicts, newest first (ISO 8601, UTC), for the page that undoes."""
    rows = db.execute(_NEWEST_FIRST, (user_id,)).fetchall()
    movies = {m["id"]: m for m in catalogue.movies_by_ids(db, [r[0] for r in rows])}
    return [{"movie": movies[m],
             "hidden_at": datetime.fromtimestamp(t, timezone.utc).isoformat().replace("+00:00", "Z")}
            for m, t in rows if m in movies]
