"""One user's "want to watch" films: add, remove, list. The feed leaves them out.

A watchlisted film is already known to the person, so the feed does not suggest it again: the web
layer reads `id_set` once per request and hands it to Recommender.feed as `watchlist`. It also
says something about taste: wanting to see a film is a mild like (preferences.WATCHLIST_STARS),
weaker than a rating, and never named in a reason ("Because you rated X" names rated films only).
"Want to watch" and "not interested" contradict each other, so adding a film here shows it again
if it was hidden, and hiding a film takes it off the watchlist (recommender.store.hidden), each in
the same transaction. A rating of the film is left as it is either way."""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import orjson
import sqlite_utils

from recommender import store
from recommender.store import catalogue, user_ratings

_EXISTS = "SELECT 1 FROM watchlist WHERE user_id = ? AND movie_id = ?"
_INSERT = "INSERT INTO watchlist (user_id, movie_id, added_at) VALUES (?, ?, ?)"
_DELETE = "DELETE FROM watchlist WHERE user_id = ? AND movie_id = ?"
_UNHIDE = "DELETE FROM hidden WHERE user_id = ? AND movie_id = ?"
# One row holding every id as a JSON array: asked on every feed request (see hidden._IDS).
_IDS = "SELECT json_group_array(movie_id) FROM watchlist WHERE user_id = ?"
_NEWEST_FIRST = ("SELECT movie_id, added_at FROM watchlist WHERE user_id = ? "
                 "ORDER BY added_at DESC, movie_id DESC")


def add(db: sqlite_utils.Database, user_id: int, movie_id: int, at: int | None = None) -> bool:
    """Put a film (it must exist) on the user's watchlist, and show it again if it was hidden;
    True when it was new, False when it was there already (then nothing changes, its first
    `added_at` included: adding is idempotent). Returns only once the row is committed; a busy,
    read-only or failing store raises."""
    with store.write_transaction(db) as conn:
        if conn.execute(_EXISTS, (user_id, movie_id)).fetchone() is not None:
            return False
        cursor = conn.execute(_INSERT, (user_id, movie_id, user_ratings.now() if at is None else at))
        store.expect_one_change(cursor, f"adding movie {movie_id} to the watchlist")
        conn.execute(_UNHIDE, (user_id, movie_id))
    return True


def remove(db: sqlite_utils.Database, user_id: int, movie_id: int) -> bool:
    """Take a film off the watchlist; False when it was not on it."""
    if not catalogue.valid_id(movie_id):
        return False
    with store.write_transaction(db) as conn:
        return conn.execute(_DELETE, (user_id, movie_id)).rowcount == 1


def ids(db: sqlite_utils.Database, user_id: int) -> np.ndarray:
    """The user's watchlisted movie ids, in no particular order."""
    (found,) = db.execute(_IDS, (user_id,)).fetchone()
    return np.array(orjson.loads(found), dtype=np.int64)


def id_set(db: sqlite_utils.Database, user_id: int) -> frozenset[int]:
    """The same ids as a set: the `watchlist` argument of Recommender.feed, and what the cards
    read to show "Want to watch" or "On your watchlist"."""
    return frozenset(ids(db, user_id).tolist())


def contains(db: sqlite_utils.Database, user_id: int, movie_id: int) -> bool:
    """Whether this film is on this user's watchlist."""
    return catalogue.valid_id(movie_id) and db.execute(_EXISTS, (user_id, movie_id)).fetchone() is not None


def listing(db: sqlite_utils.Database, user_id: int) -> list[dict]:
    """`{"movie", "added_at"}` dicts, newest first (ISO 8601, UTC)."""
    rows = db.execute(_NEWEST_FIRST, (user_id,)).fetchall()
    movies = {m["id"]: m for m in catalogue.movies_by_ids(db, [r[0] for r in rows])}
    return [{"movie": movies[m],
             "added_at": datetime.fromtimestamp(t, timezone.utc).isoformat().replace("+00:00", "Z")}
            for m, t in rows if m in movies]
