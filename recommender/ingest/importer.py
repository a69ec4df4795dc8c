"""`flask data import`: one MovieLens release into the store, all or nothing, idempotent."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import sqlite_utils

from recommender import store
from recommender.ingest.sources import Release, SourceError
from recommender.store import movie_tags
from recommender.text.titles import (
    display_title,
    search_key,
    split_year,
    year_from_release_date,
)

log = logging.getLogger(__name__)
# Ratings go in with one static statement through executemany: about 5x faster than building a
# dict per row for sqlite-utils, which matters at ML-25M's 25 million rows.
INSERT_RATING = "INSERT OR REPLACE INTO ratings (user_id, movie_id, rating, timestamp) VALUES (?, ?, ?, ?)"
INSERT_USER_ID = "INSERT OR IGNORE INTO users (id) VALUES (?)"
# Movies and users are upserted with static statements too, never sqlite-utils' `upsert`, whose
# fallback under a foreign lock stores nothing (see recommender.store).
UPSERT_MOVIE = (
    "INSERT INTO movies (id, title, display_title, year, genres, release_date, imdb_url, search_key) "
    "VALUES (:id, :title, :display_title, :year, :genres, :release_date, :imdb_url, :search_key) "
    "ON CONFLICT (id) DO UPDATE SET title = excluded.title, display_title = excluded.display_title, "
    "year = excluded.year, genres = excluded.genres, release_date = excluded.release_date, "
    "imdb_url = excluded.imdb_url, search_key = excluded.search_key")
UPSERT_USER = (
    "INSERT INTO users (id, age, gender, occupation, zip_code) VALUES (:id, :age, :gender, :occupation, :zip_code) "
    "ON CONFLICT (id) DO UPDATE SET age = excluded.age, gender = excluded.gender, "
    "occupation = excluded.occupation, zip_code = excluded.zip_code")
DELETE_GENRES = "DELETE FROM movie_genres WHERE movie_id = ?"
INSERT_GENRE = "INSERT OR IGNORE INTO movie_genres (movie_id, genre) VALUES (?, ?)"


@dataclass
class ImportSummary:
    description: str
    movies: int
    users: int
    ratings: int
    totals: dict[str, int]
    tags: int = 0
    links: int = 0


def _movie_rows(movies: pd.DataFrame) -> list[dict]:
    if movies["id"].duplicated().any():
        dup = int(movies.loc[movies["id"].duplicated(), "id"].iloc[0])
        raise SourceError(f"movie id {dup} appears twice")
    rows = []
    for movie in movies.itertuples(index=False):
        shown = display_title(movie.title) or movie.title
        year = split_year(movie.title)[1] or year_from_release_date(movie.release_date)
        rows.append({
            "id": int(movie.id), "title": movie.title, "display_title": shown, "year": year,
            "genres": "|".join(movie.genres), "release_date": movie.release_date,
            "imdb_url": movie.imdb_url, "search_key": search_key(shown),
        })
    return rows


def _user_rows(users: pd.DataFrame) -> list[dict]:
    if users["id"].duplicated().any():
        raise SourceError(f"user id {int(users.loc[users['id'].duplicated(), 'id'].iloc[0])} appears twice")
    return [
        {"id": int(u.id), "age": None if pd.isna(u.age) else int(u.age), "gender": u.gender,
         "occupation": u.occupation, "zip_code": u.zip_code}
        for u in users.itertuples(index=False)
    ]


def _account_ids(db: sqlite_utils.Database) -> set[int]:
    return {row[0] for row in db.execute("SELECT id FROM users WHERE username IS NOT NULL")}


def _refuse_collisions(user_ids: set[int], account_ids: set[int]) -> None:
    """A MovieLens user id that an account already holds would merge two people's ratings."""
    taken = user_ids & account_ids
    if taken:
        raise SourceError(f"user id {min(taken)} of the release belongs to a registered account")


def _add_users(db: sqlite_utils.Database, user_ids: set[int], seen: set[int], account_ids: set[int]) -> set[int]:
    """Store the release's users not seen yet (MovieLens ids only, never an account's); returns them."""
    _refuse_collisions(user_ids, account_ids)
    new_users = user_ids - seen
    db.conn.executemany(INSERT_USER_ID, ((u,) for u in sorted(new_users)))
    return new_users


def _write_movies(db: sqlite_utils.Database, movie_rows: list[dict]) -> None:
    db.conn.executemany(UPSERT_MOVIE, movie_rows)
    # a release may change a movie's genres
    db.conn.executemany(DELETE_GENRES, ((row["id"],) for row in movie_rows))
    db.conn.executemany(INSERT_GENRE, ((r["id"], g) for r in movie_rows for g in r["genres"].split("|") if g))


def _unknown_movie(ids: pd.Series, movie_ids: set[int], what: str) -> None:
    """A rating, tag or link of a movie the release does not list makes the release unusable."""
    unknown = ~ids.isin(movie_ids)
    if unknown.any():
        raise SourceError(f"{what} refers to movie {int(ids[unknown].iloc[0])}, which the release does not list")


def _check_chunk(chunk: pd.DataFrame, movie_ids: set[int]) -> pd.DataFrame:
    _unknown_movie(chunk["movie_id"], movie_ids, "a rating")
    return chunk.sort_values("timestamp", kind="stable").drop_duplicates(["user_id", "movie_id"], keep="last")


def _write_ratings(db: sqlite_utils.Database, chunk: pd.DataFrame) -> None:
    """One chunk through a static INSERT; a rating already stored for the pair is replaced."""
    rows = zip(chunk["user_id"].to_numpy("int64").tolist(), chunk["movie_id"].to_numpy("int64").tolist(),
               chunk["rating"].to_numpy("float64").tolist(), chunk["timestamp"].to_numpy("int64").tolist())
    db.conn.executemany(INSERT_RATING, rows)


RATINGS_INDEXES = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ratings' AND sql IS NOT NULL"
DROP_INDEX = {"ratings_movie": "DROP INDEX ratings_movie", "ratings_user_time": "DROP INDEX ratings_user_time"}


def _drop_secondary_indexes(db: sqlite_utils.Database) -> list[str]:
    """Drop the ratings table's secondary indexes, returning their DDL to recreate them.

    Building an index once over sorted keys at the end is several times faster than keeping it
    up to date through millions of inserts in random movie order; inside the transaction, so a
    failed import rolls the drop back too, and readers keep seeing the old, indexed table."""
    found = [(name, sql) for name, sql in db.execute(RATINGS_INDEXES).fetchall() if name in DROP_INDEX]
    for name, _ in found:  # an index this module does not know stays as it is
        db.execute(DROP_INDEX[name])
    return [sql for _, sql in found]


def _write_links(db: sqlite_utils.Database, links: pd.DataFrame, movie_ids: set[int]) -> int:
    """links.csv as (movie, IMDb id, TMDb id) rows; an empty id stays NULL."""
    _unknown_movie(links["movie_id"], movie_ids, "links.csv")
    movie_tags.write_links(db, (
        (int(m), None if pd.isna(i) else int(i), None if pd.isna(t) else int(t))
        for m, i, t in links[["movie_id", "imdb_id", "tmdb_id"]].itertuples(index=False)))
    return len(links)


def import_release(db: sqlite_utils.Database, release: Release,
                   progress: Callable[[str, int], None] | None = None) -> ImportSummary:
    """Write the release in one transaction; any error leaves the store exactly as it was.

    Upserts keyed on MovieLens ids make a second run add nothing twice. `progress(kind, rows)`
    follows the ratings and tags written, chunk by chunk."""
    store.ensure_schema(db)
    movie_rows = _movie_rows(release.movies)
    movie_ids = {row["id"] for row in movie_rows}
    user_rows = _user_rows(release.users)
    account_ids = _account_ids(db)
    _refuse_collisions({row["id"] for row in user_rows}, account_ids)
    users_seen = {row["id"] for row in user_rows}
    n_ratings = n_tags = n_links = 0
    db.execute("PRAGMA cache_size = -1000000")  # 1 GB page cache while importing: index pages stay in memory
    with store.write_transaction(db):
        _write_movies(db, movie_rows)
        db.conn.executemany(UPSERT_USER, user_rows)
        recreate = _drop_secondary_indexes(db)
        for chunk in release.rating_chunks():
            chunk = _check_chunk(chunk, movie_ids)
            chunk_users = set(chunk["user_id"].unique().tolist())
            users_seen |= _add_users(db, chunk_users, users_seen, account_ids)
            _write_ratings(db, chunk)
            n_ratings += len(chunk)
            if progress:
                progress("ratings", len(chunk))
        for chunk in release.tag_chunks() if release.tag_chunks else ():
            _unknown_movie(chunk["movie_id"], movie_ids, "a tag")
            users_seen |= _add_users(db, set(chunk["user_id"].unique().tolist()), users_seen, account_ids)
            movie_tags.write_tags(db, chunk[["user_id", "movie_id", "tag", "timestamp"]].itertuples(index=False))
            n_tags += len(chunk)
            if progress:
                progress("tags", len(chunk))
        if release.links is not None:
            n_links = _write_links(db, release.links, movie_ids)
        for ddl in recreate:
            db.execute(ddl)  # DDL as SQLite stored it from schema.sql, not built here
    db.execute("PRAGMA cache_size = -2000")  # back to SQLite's default for whoever uses db next
    log.info("imported %d movies, %d users, %d ratings, %d tags, %d links from %s",
             len(movie_rows), len(users_seen), n_ratings, n_tags, n_links, release.description)
    return ImportSummary(release.description, len(movie_rows), len(users_seen), n_ratings, store.counts(db),
                         tags=n_tags, links=n_links)
