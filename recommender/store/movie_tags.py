"""Tags and external ids of movies, from a release's tags.csv and links.csv.

The most frequent tags of a movie join its text (content.movie_text), so "movies like X" and
free-text search see what people call a film ("pixar", "time travel"). Static SQL only."""
from __future__ import annotations

from collections.abc import Iterable

import orjson
import sqlite_utils

TAGS_PER_MOVIE = 10  # how many of a movie's most frequent tags its text carries
_HAS_TAGS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'movie_tags'"
INSERT_TAG = "INSERT OR REPLACE INTO movie_tags (user_id, movie_id, tag, timestamp) VALUES (?, ?, ?, ?)"
UPSERT_LINK = (
    "INSERT INTO movie_links (movie_id, imdb_id, tmdb_id) VALUES (?, ?, ?) "
    "ON CONFLICT (movie_id) DO UPDATE SET imdb_id = excluded.imdb_id, tmdb_id = excluded.tmdb_id")

# Every movie's tags counted case-folded, the `?` most frequent first (ties alphabetical), as one
# JSON array per movie.
_TOP_TAGS = """
WITH counted AS (
    SELECT movie_id, lower(tag) AS tag, count(*) AS n FROM movie_tags GROUP BY movie_id, lower(tag)
), ranked AS (
    SELECT movie_id, tag, row_number() OVER (PARTITION BY movie_id ORDER BY n DESC, tag) AS place
    FROM counted
)
SELECT movie_id, json_group_array(tag) FROM (
    SELECT movie_id, tag FROM ranked WHERE place <= ? ORDER BY movie_id, place
) GROUP BY movie_id
"""
_TOP_TAGS_OF_ONE = """
SELECT lower(tag) FROM movie_tags WHERE movie_id = ? GROUP BY lower(tag)
ORDER BY count(*) DESC, lower(tag) LIMIT ?
"""


def write_tags(db: sqlite_utils.Database, rows: Iterable[tuple[int, int, str, int]]) -> None:
    """(user_id, movie_id, tag, timestamp) rows, inside the caller's transaction; the same tag by
    the same user on the same movie is stored once however often it is imported."""
    db.conn.executemany(INSERT_TAG, rows)


def write_links(db: sqlite_utils.Database, rows: Iterable[tuple[int, int | None, int | None]]) -> None:
    """(movie_id, imdb_id, tmdb_id) rows, inside the caller's transaction; a re-import updates."""
    db.conn.executemany(UPSERT_LINK, rows)


def top_tags(db: sqlite_utils.Database, limit: int) -> dict[int, list[str]]:
    """Each tagged movie's `limit` most frequent tags, lower-cased, most frequent first (none from
    a store opened read-only that was made before tags were stored)."""
    if db.execute(_HAS_TAGS).fetchone() is None:
        return {}
    return {movie_id: orjson.loads(tags) for movie_id, tags in db.execute(_TOP_TAGS, (limit,))}


def top_tags_of(db: sqlite_utils.Database, movie_id: int, limit: int) -> list[str]:
    """One movie's `limit` most frequent tags, as `top_tags` gives them."""
    if db.execute(_HAS_TAGS).fetchone() is None:
        return []
    return [tag for (tag,) in db.execute(_TOP_TAGS_OF_ONE, (movie_id, limit))]
