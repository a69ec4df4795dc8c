"""A user's list of films, each with the time it went on it: "not interested" (recommender.store.
hidden) and "want to watch" (recommender.store.watchlist) are two of them, with the same life.

Adding is idempotent (a film already on the list keeps its first time) and, in the same
transaction, takes the film off the list that contradicts it; every statement is the list's
own static SQL. `ids` is one row holding every id as a JSON array: it is asked on every feed,
similar and search request of a signed-in user, so it costs one step of the cursor however many
films are listed (see catalogue._MOVIES_BY_IDS for why rows stepped cost under threads)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import orjson
import sqlite_utils

from recommender import store
from recommender.store import catalogue, user_ratings


@dataclass(frozen=True)
class MovieList:
    exists: str  # (user_id, movie_id) -> a row when listed
    insert: str  # (user_id, movie_id, time)
    delete: str  # (user_id, movie_id)
    contradicted: str  # (user_id, movie_id): takes the film off the list this one contradicts
    ids_json: str  # (user_id,) -> one JSON array of movie ids
    newest_first: str  # (user_id,) -> (movie_id, time) rows
    time_field: str  # the listing's name for the time: "hidden_at", "added_at"
    what: str  # the write, as an error names it

    def add(self, db: sqlite_utils.Database, user_id: int, movie_id: int, at: int | None = None) -> bool:
        """Put a film (it must exist) on the list; True when it was new, False when it was there
        already (then nothing changes). Returns only once the row is committed; a busy,
        read-only or failing store raises."""
        with store.write_transaction(db) as conn:
            if conn.execute(self.exists, (user_id, movie_id)).fetchone() is not None:
                return False
            cursor = conn.execute(self.insert, (user_id, movie_id, user_ratings.now() if at is None else at))
            store.expect_one_change(cursor, f"{self.what} movie {movie_id}")
            conn.execute(self.contradicted, (user_id, movie_id))
        return True

    def remove(self, db: sqlite_utils.Database, user_id: int, movie_id: int) -> bool:
        """Take a film off the list; False when it was not on it."""
        if not catalogue.valid_id(movie_id):
            return False
        with store.write_transaction(db) as conn:
            return conn.execute(self.delete, (user_id, movie_id)).rowcount == 1

    def ids(self, db: sqlite_utils.Database, user_id: int) -> np.ndarray:
        """The user's listed movie ids, in no particular order."""
        (found,) = db.execute(self.ids_json, (user_id,)).fetchone()
        return np.array(orjson.loads(found), dtype=np.int64)

    def id_set(self, db: sqlite_utils.Database, user_id: int) -> frozenset[int]:
        """The same ids as a set: what the Recommender is handed (`hide`, `watchlist`)."""
        return frozenset(self.ids(db, user_id).tolist())

    def contains(self, db: sqlite_utils.Database, user_id: int, movie_id: int) -> bool:
        return catalogue.valid_id(movie_id) and db.execute(self.exists, (user_id, movie_id)).fetchone() is not None

    def listing(self, db: sqlite_utils.Database, user_id: int) -> list[dict]:
        """`{"movie", <time_field>}` dicts, newest first (ISO 8601, UTC)."""
        rows = db.execute(self.newest_first, (user_id,)).fetchall()
        movies = {m["id"]: m for m in catalogue.movies_by_ids(db, [r[0] for r in rows])}
        return [{"movie": movies[m],
                 self.time_field: user_ratings.iso_utc(t)}
                for m, t in rows if m in movies]
