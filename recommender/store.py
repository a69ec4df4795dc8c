"""The SQLite store: connection settings, schema, and the read queries the app and models share.

Every query is a static string with bound parameters; writes go through sqlite-utils."""
from __future__ import annotations

import sqlite3
from importlib import resources
from pathlib import Path

import pandas as pd
import sqlite_utils

BUSY_TIMEOUT_MS = 10_000


def connect(path: Path | str, *, readonly: bool = False) -> sqlite_utils.Database:
    """Open the store with WAL, foreign keys and a busy timeout (concurrent writers wait, not fail)."""
    if readonly:
        conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                               check_same_thread=False)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
    return db


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create every table and index that is missing (idempotent)."""
    db.conn.executescript(resources.files("recommender").joinpath("schema.sql").read_text())


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Row counts shown by /healthz and the import summary."""
    return {
        "movies": db.execute("SELECT count(*) FROM movies").fetchone()[0],
        "ratings": db.execute("SELECT count(*) FROM ratings").fetchone()[0],
        "users": db.execute("SELECT count(*) FROM users").fetchone()[0],
    }


def movies_frame(db: sqlite_utils.Database) -> pd.DataFrame:
    """The catalogue, genres as lists, ordered by id."""
    frame = pd.read_sql_query(
        "SELECT id, title, display_title, year, genres, release_date, imdb_url FROM movies ORDER BY id",
        db.conn)
    frame["genres"] = [g.split("|") if g else [] for g in frame["genres"]]
    frame["year"] = frame["year"].astype("Int64")
    return frame


def ratings_frame(db: sqlite_utils.Database) -> pd.DataFrame:
    """Every rating, as the models are fitted on."""
    return pd.read_sql_query(
        "SELECT user_id, movie_id, rating, timestamp FROM ratings ORDER BY user_id, movie_id", db.conn)


def user_ratings(db: sqlite_utils.Database, user_id: int) -> pd.DataFrame:
    """One user's ratings as they are now (a rating made a second ago counts)."""
    return pd.read_sql_query(
        "SELECT movie_id, rating, timestamp FROM ratings WHERE user_id = ? ORDER BY timestamp DESC, movie_id",
        db.conn, params=(user_id,))


def popular_movies(db: sqlite_utils.Database, genre: str | None, limit: int) -> list[tuple[int, int, str]]:
    """(movie id, number of ratings, genres) by popularity, optionally in one genre."""
    return db.execute(
        "SELECT m.id, count(r.movie_id) AS n, m.genres FROM movies m JOIN ratings r ON r.movie_id = m.id "
        "WHERE ?1 IS NULL OR m.id IN (SELECT movie_id FROM movie_genres WHERE genre = ?1) "
        "GROUP BY m.id ORDER BY n DESC, m.id LIMIT ?2", (genre, limit)).fetchall()


def movie_for_text(db: sqlite_utils.Database, movie_id: int) -> dict | None:
    """The fields a movie's text is made of (content.movie_text), genres as a list."""
    row = db.execute("SELECT id, title, display_title, year, genres FROM movies WHERE id = ?",
                     (movie_id,)).fetchone()
    if row is None:
        return None
    return {"id": row[0], "title": row[1], "display_title": row[2], "year": row[3],
            "genres": row[4].split("|") if row[4] else []}
