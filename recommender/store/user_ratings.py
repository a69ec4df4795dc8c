"""One user's own ratings: validate, write, remove, list. The feed reads them back on its next call.

A rating is 0.5 to 5.0 in half steps, the MovieLens scale. Only real JSON numbers count:
`true` is not 1, `"4"` is not 4, and NaN is not a rating."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import sqlite_utils

from recommender import store
from recommender.store import catalogue

MIN_RATING, MAX_RATING = 0.5, 5.0
ALLOWED = tuple(x / 2 for x in range(1, 11))  # 0.5, 1.0, ..., 5.0


def now() -> float:
    """Seconds since the epoch, MovieLens's timestamp unit, to the microsecond: ratings made in
    one second keep their order (the feed weighs the latest likes). A function, so tests can
    set the clock."""
    return time.time()


def iso_utc(seconds: float) -> str:
    """A stored time as the API shows it: ISO 8601, UTC, to the second ("2026-12-01T14:51:14Z")."""
    return datetime.fromtimestamp(int(seconds), timezone.utc).isoformat().replace("+00:00", "Z")


class RatingError(ValueError):
    """A value that is not a rating."""


def validate(value: object) -> float:
    """The rating as a float, or RatingError saying what a rating must be."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RatingError("rating must be a number from 0.5 to 5.0 in steps of 0.5")
    # NaN fails every comparison, so the range check also refuses it (and infinities).
    if not (MIN_RATING <= value <= MAX_RATING and float(value * 2).is_integer()):
        raise RatingError("rating must be from 0.5 to 5.0 in steps of 0.5")
    return float(value)


def parse_form_value(text: str | None) -> float:
    """A rating from an HTML form field ("4.5"), with the same rules as the JSON API."""
    try:
        return validate(float(text)) if text is not None and len(text) <= 10 else validate(None)
    except ValueError:
        raise RatingError("rating must be from 0.5 to 5.0 in steps of 0.5") from None


_CURRENT = "SELECT rating FROM ratings WHERE user_id = ? AND movie_id = ?"


def get(db: sqlite_utils.Database, user_id: int, movie_id: int) -> float | None:
    """The user's rating of a movie, if any."""
    if not catalogue.valid_id(movie_id):
        return None
    row = db.execute(_CURRENT, (user_id, movie_id)).fetchone()
    return row[0] if row else None


_UPSERT = ("INSERT INTO ratings (user_id, movie_id, rating, timestamp) VALUES (?, ?, ?, ?) "
           "ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = excluded.rating, timestamp = excluded.timestamp")
_DELETE = "DELETE FROM ratings WHERE user_id = ? AND movie_id = ?"
_WATCHED = "DELETE FROM watchlist WHERE user_id = ? AND movie_id = ?"


def put(db: sqlite_utils.Database, user_id: int, movie_id: int, rating: object,
        at: float | None = None) -> bool:
    """Insert or change a rating (the movie must exist); True when it was new. The same stars
    again change nothing, not even when it was rated (PUT is idempotent, and the feed weighs
    the order of ratings). A rated film is seen, so it leaves the watchlist in the same
    transaction (as Letterboxd does when a film is logged). Returns only once the row is
    committed: a lock held too long, a read-only or failing disk raise instead."""
    value = validate(rating)
    with store.write_transaction(db) as conn:
        current = conn.execute(_CURRENT, (user_id, movie_id)).fetchone()
        if current is None or current[0] != value:
            cursor = conn.execute(_UPSERT, (user_id, movie_id, value, now() if at is None else at))
            store.expect_one_change(cursor, f"rating of movie {movie_id}")
        conn.execute(_WATCHED, (user_id, movie_id))
    return current is None


def delete(db: sqlite_utils.Database, user_id: int, movie_id: int) -> bool:
    """Remove a rating; False when there was none."""
    if not catalogue.valid_id(movie_id):
        return False
    with store.write_transaction(db) as conn:
        return conn.execute(_DELETE, (user_id, movie_id)).rowcount == 1


def rated_ids(db: sqlite_utils.Database, user_id: int) -> set[int]:
    """Every movie the user has rated: what a feed must never show."""
    return {m for (m,) in db.execute("SELECT movie_id FROM ratings WHERE user_id = ?", (user_id,))}


def listing(db: sqlite_utils.Database, user_id: int) -> list[dict]:
    """`{"movie", "rating", "rated_at"}` dicts, newest first (ISO 8601, UTC)."""
    rows = db.execute("SELECT movie_id, rating, timestamp FROM ratings WHERE user_id = ? "
                      "ORDER BY timestamp DESC, movie_id DESC", (user_id,)).fetchall()
    movies = {m["id"]: m for m in catalogue.movies_by_ids(db, [r[0] for r in rows])}
    return [{"movie": movies[m], "rating": r,
             "rated_at": iso_utc(t)}
            for m, r, t in rows if m in movies]
