"""The SQLite store: connection settings, schema, the write transaction, and the read queries the
app and models share.

Every statement is a static string with bound parameters, writes included: sqlite-utils' `upsert`
decides once per connection, by creating a probe table, whether SQLite supports `ON CONFLICT`;
a probe that meets another process's write lock caches "no", and its fallback (`INSERT OR IGNORE`
of the key, then `UPDATE`) silently stores nothing for a new row. sqlite-utils stays for reads."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import sqlite_utils

from recommender.store import movie_tags

BUSY_TIMEOUT_MS = 10_000


class WriteNotApplied(sqlite3.OperationalError):
    """A write statement that changed no row where it had to change one: never acknowledged."""


def connect(path: Path | str, *, readonly: bool = False,
            busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite_utils.Database:
    """Open the store with WAL, foreign keys and a busy timeout (concurrent writers wait, then
    fail with "database is locked", which the web app answers with 503 and Retry-After)."""
    if readonly:
        conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True, timeout=busy_timeout_ms / 1000,
                               check_same_thread=False)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=busy_timeout_ms / 1000, check_same_thread=False)
    db = sqlite_utils.Database(conn, execute_plugins=False)  # no plugin hooks per request
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA recursive_triggers = ON")  # REPLACE fires the delete trigger too
    if not readonly:
        db.execute("PRAGMA synchronous = NORMAL")  # safe with WAL, which ensure_schema sets once
    return db


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite3.Connection]:
    """One write transaction that takes the write lock before its first statement (BEGIN
    IMMEDIATE): it waits for another writer up to the busy timeout, then raises, having done
    nothing. Committed when the block ends, rolled back on any error, so a caller that returns
    normally has its writes on disk (as durable as the connection's `synchronous` setting)."""
    conn = db.conn
    if conn.in_transaction:  # a read left open by an earlier call on this connection
        conn.rollback()
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


def expect_one_change(cursor: sqlite3.Cursor, what: str) -> None:
    """Raise WriteNotApplied unless the statement changed exactly one row."""
    if cursor.rowcount != 1:
        raise WriteNotApplied(f"{what}: {cursor.rowcount} rows changed, expected 1")


_STATS_BACKFILL = """
UPDATE movies SET
    num_ratings = (SELECT count(*) FROM ratings r WHERE r.movie_id = movies.id),
    rating_sum = coalesce((SELECT sum(r.rating) FROM ratings r WHERE r.movie_id = movies.id), 0)
"""


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create every table, index and trigger that is missing, WAL on (idempotent); a store made
    before the per-movie rating aggregates existed gets the columns, filled in."""
    db.execute("PRAGMA journal_mode = WAL")  # persistent: set once, not per connection
    if "movies" in db.table_names() and "num_ratings" not in db["movies"].columns_dict:
        with db.atomic():
            db.execute("ALTER TABLE movies ADD COLUMN num_ratings INTEGER NOT NULL DEFAULT 0")
            db.execute("ALTER TABLE movies ADD COLUMN rating_sum REAL NOT NULL DEFAULT 0")
            db.execute(_STATS_BACKFILL)
    db.conn.executescript(resources.files(__name__).joinpath("schema.sql").read_text())


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Row counts shown by /healthz and the import summary (ratings from the per-movie
    aggregates: no scan of a table that may hold 25 million rows)."""
    movies, ratings = db.execute("SELECT count(*), coalesce(sum(num_ratings), 0) FROM movies").fetchone()
    return {"movies": movies, "ratings": ratings,
            "users": db.execute("SELECT count(*) FROM users").fetchone()[0]}


def movies_frame(db: sqlite_utils.Database) -> pd.DataFrame:
    """The catalogue, genres and most frequent tags as lists, ordered by id."""
    frame = pd.read_sql_query(
        "SELECT id, title, display_title, year, genres, release_date, imdb_url FROM movies ORDER BY id",
        db.conn)
    frame["genres"] = [g.split("|") if g else [] for g in frame["genres"]]
    frame["year"] = frame["year"].astype("Int64")
    tags = movie_tags.top_tags(db, movie_tags.TAGS_PER_MOVIE)  # part of each movie's text
    frame["tags"] = [tags.get(i, []) for i in frame["id"].tolist()]
    return frame


def user_ratings_frame(db: sqlite_utils.Database, user_id: int) -> pd.DataFrame:
    """One user's ratings as a frame (movie_id, rating), newest first: for notebooks and tests."""
    ids, stars = user_rating_arrays(db, user_id)
    return pd.DataFrame({"movie_id": ids, "rating": stars})


_RATINGS_NEWEST_FIRST = "SELECT movie_id, rating FROM ratings WHERE user_id = ? ORDER BY timestamp DESC, movie_id"
# In no particular order, as one row of JSON arrays: no sort, and one row stepped (each row the
# sqlite3 module steps lets go of the GIL, and under gunicorn's threads that costs; see
# catalogue._MOVIES_BY_IDS). Stars are half-star REALs, exact in JSON; times are seconds.
_RATINGS_ANY_ORDER = ("SELECT json_group_array(movie_id), json_group_array(rating), json_group_array(timestamp) "
                      "FROM ratings WHERE user_id = ?")


class RatingsNow:
    """One user's ratings as they are now, in no particular order: movie `ids` and `stars`, and
    when each was made (`times()`, parsed only when asked: a long history's feed does not weigh
    the order of ratings, and its times cost more to parse than to read)."""

    __slots__ = ("ids", "stars", "_times_json")

    def __init__(self, ids: np.ndarray, stars: np.ndarray, times_json: str = "[]"):
        self.ids, self.stars, self._times_json = ids, stars, times_json

    def times(self) -> np.ndarray:
        return np.array(orjson.loads(self._times_json), dtype=np.float64)


def user_ratings_now(db: sqlite_utils.Database, user_id: int) -> RatingsNow:
    """One user's ratings as they are now (a rating made a second ago counts), in one query:
    what the feed asks for on every request."""
    ids_json, stars_json, times_json = db.execute(_RATINGS_ANY_ORDER, (user_id,)).fetchone()
    return RatingsNow(np.array(orjson.loads(ids_json), dtype=np.int64),
                      np.array(orjson.loads(stars_json), dtype=np.float32), times_json)


def user_rating_arrays(db: sqlite_utils.Database, user_id: int,
                       newest_first: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """One user's ratings as they are now: movie ids and stars, newest first, or in no
    particular order (cheaper: `user_ratings_now`)."""
    if newest_first:
        rows = db.execute(_RATINGS_NEWEST_FIRST, (user_id,)).fetchall()
        ids, stars = zip(*rows) if rows else ((), ())
        return np.array(ids, dtype=np.int64), np.array(stars, dtype=np.float32)
    now = user_ratings_now(db, user_id)
    return now.ids, now.stars


def popular_movies(db: sqlite_utils.Database, genre: str | None, limit: int) -> list[tuple[int, int, str]]:
    """(movie id, number of ratings, genres) by popularity, optionally in one genre."""
    return db.execute(
        "SELECT id, num_ratings, genres FROM movies "
        "WHERE num_ratings > 0 AND (?1 IS NULL OR id IN (SELECT movie_id FROM movie_genres WHERE genre = ?1)) "
        "ORDER BY num_ratings DESC, id LIMIT ?2", (genre, limit)).fetchall()


def movie_for_text(db: sqlite_utils.Database, movie_id: int) -> dict | None:
    """The fields a movie's text is made of (content.movie_text), genres as a list."""
    row = db.execute("SELECT id, title, display_title, year, genres FROM movies WHERE id = ?",
                     (movie_id,)).fetchone()
    if row is None:
        return None
    return {"id": row[0], "title": row[1], "display_title": row[2], "year": row[3],
            "genres": row[4].split("|") if row[4] else [],
            "tags": movie_tags.top_tags_of(db, movie_id, movie_tags.TAGS_PER_MOVIE)}
