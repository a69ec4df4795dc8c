"""The import of a user's Letterboxd or IMDb ratings, in two steps: the preview (kept here between
the two requests, which different worker processes may serve) and its confirmation, which writes
every rating in one transaction or none.

"Ratings made here win over imported ones unless the user chooses otherwise": a film the user
has rated already keeps its rating (unchanged) unless `overwrite` is asked for. A rating equal to
the one stored is unchanged either way, so importing the same file again changes nothing.
Imported ratings keep the file's date as their timestamp where it has one."""
from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import orjson
import sqlite_utils

from recommender import store
from recommender.store import user_ratings

PREVIEW_LIFETIME = 3600  # seconds a preview waits for its confirmation

_CATALOGUE_TITLES = "SELECT id, title, year FROM movies"
_DELETE_EXPIRED = "DELETE FROM import_previews WHERE created_at < ?"
_INSERT_PREVIEW = "INSERT INTO import_previews (id, user_id, created_at, format, rows) VALUES (?, ?, ?, ?, ?)"
_PREVIEW = "SELECT format, rows, created_at FROM import_previews WHERE id = ? AND user_id = ? AND created_at >= ?"
_CLAIM_PREVIEW = "DELETE FROM import_previews WHERE id = ? AND user_id = ? AND created_at >= ?"
_CURRENT = "SELECT rating FROM ratings WHERE user_id = ? AND movie_id = ?"
_MOVIE_EXISTS = "SELECT 1 FROM movies WHERE id = ?"
_INSERT_RATING = "INSERT INTO ratings (user_id, movie_id, rating, timestamp) VALUES (?, ?, ?, ?)"
_UPDATE_RATING = "UPDATE ratings SET rating = ?, timestamp = ? WHERE user_id = ? AND movie_id = ?"
_WATCHED = "DELETE FROM watchlist WHERE user_id = ? AND movie_id = ?"  # rated means seen, as user_ratings.put


class PreviewNotFound(LookupError):
    """No such preview of this user: never made, another user's, expired, or confirmed already."""


@dataclass(frozen=True)
class Preview:
    id: str
    format: str
    rows: list[dict]
    created_at: int


def catalogue_titles(db: sqlite_utils.Database) -> list[tuple[int, str, int | None]]:
    """(id, title as published, year) of every movie: what an import is matched against."""
    return db.execute(_CATALOGUE_TITLES).fetchall()


def save_preview(db: sqlite_utils.Database, user_id: int, fmt: str, rows: list[dict]) -> Preview:
    """Keep a preview for its owner to confirm, under a new random id. Expired previews of every
    user are cleared on the way."""
    preview_id, now = secrets.token_urlsafe(16), user_ratings.now()
    with store.write_transaction(db) as conn:
        conn.execute(_DELETE_EXPIRED, (now - PREVIEW_LIFETIME,))
        cursor = conn.execute(_INSERT_PREVIEW, (preview_id, user_id, now, fmt, orjson.dumps(rows).decode()))
        store.expect_one_change(cursor, "import preview")
    return Preview(preview_id, fmt, rows, now)


def load_preview(db: sqlite_utils.Database, user_id: int, preview_id: str) -> Preview:
    """The user's unexpired preview, else PreviewNotFound (also for another user's id)."""
    row = db.execute(_PREVIEW, (preview_id, user_id, user_ratings.now() - PREVIEW_LIFETIME)).fetchone()
    if row is None:
        raise PreviewNotFound(preview_id)
    return Preview(preview_id, row[0], orjson.loads(row[1]), row[2])


def confirm(db: sqlite_utils.Database, user_id: int, preview_id: str,
            ratings: Iterable[tuple[int, float, int | None]], overwrite: bool = False) -> dict[str, int]:
    """Write `ratings` (movie id, stars, rated_at or None for now) and drop the preview, in one
    transaction: `{"imported", "updated", "unchanged"}`. The preview is claimed first, so of two
    confirmations racing only one writes (the other gets PreviewNotFound). A film that left the
    catalogue since the preview is skipped. Any error rolls everything back: the preview stays."""
    result = {"imported": 0, "updated": 0, "unchanged": 0}
    now = user_ratings.now()
    with store.write_transaction(db) as conn:
        if conn.execute(_CLAIM_PREVIEW, (preview_id, user_id, now - PREVIEW_LIFETIME)).rowcount != 1:
            raise PreviewNotFound(preview_id)
        for movie_id, stars, rated_at in ratings:
            value = user_ratings.validate(stars)
            if conn.execute(_MOVIE_EXISTS, (movie_id,)).fetchone() is None:
                continue
            current = conn.execute(_CURRENT, (user_id, movie_id)).fetchone()
            if current is None:
                cursor = conn.execute(_INSERT_RATING, (user_id, movie_id, value, now if rated_at is None else rated_at))
                result["imported"] += 1
            elif current[0] != value and overwrite:
                cursor = conn.execute(_UPDATE_RATING, (value, now if rated_at is None else rated_at, user_id, movie_id))
                result["updated"] += 1
            else:
                result["unchanged"] += 1
                continue
            store.expect_one_change(cursor, f"imported rating of movie {movie_id}")
            conn.execute(_WATCHED, (user_id, movie_id))
    return result
