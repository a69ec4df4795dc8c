"""The catalogue as the app shows it: movies with their rating aggregates, genres, onboarding picks.

Static SQL with bound parameters only; lists of ids travel as one JSON array (`json_each(?)`),
so no query is ever built by string formatting."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import orjson
import sqlite_utils

from recommender.text.titles import main_title, search_key

MAX_ID = 2**63 - 1  # SQLite's INTEGER range: larger ids cannot exist, and would overflow the bind
NOT_GENRES = frozenset({"unknown", "(no genres listed)"})  # placeholders of ML-100K and ml-latest

# One result row holding every movie as a JSON array: the sqlite3 module lets go of the GIL
# around each row it steps, and with gunicorn's four threads a worker can pay a context switch
# for each (measured here: 27 rows of 4 threads at 3.7 times their single-threaded CPU, one
# row at 1.4 times). Single-threaded, the one row costs no more than the 27.
_MOVIES_BY_IDS = """
SELECT json_group_array(json_array(m.id, m.title, m.display_title, m.year, m.genres,
                                   m.rating_sum, m.num_ratings))
FROM json_each(?) AS wanted JOIN movies m ON m.id = wanted.value
"""

_TITLE_ROWS = """
SELECT m.id, m.search_key, m.genres, m.num_ratings, m.year, m.display_title FROM movies m ORDER BY m.id
"""


def valid_id(movie_id: object) -> bool:
    """A positive integer that SQLite can hold (bool is not an id)."""
    return isinstance(movie_id, int) and not isinstance(movie_id, bool) and 0 < movie_id <= MAX_ID


def _as_dict(row: list) -> dict:
    """A movie of _MOVIES_BY_IDS as the contract's movie JSON (plus display_title). The
    average is worked out here, as SQLite would (a double divided by an integer): the sum
    of half stars travels exactly through JSON, a quotient cut to 15 digits would not."""
    movie_id, title, display, year, genres, total, num = row
    return {
        "id": movie_id, "title": title, "display_title": display, "year": year,
        "genres": genres.split("|") if genres else [],
        "avg_rating": round(float(total) / num, 2) if num > 0 else None, "num_ratings": num,
    }


def movies_by_ids(db: sqlite_utils.Database, ids: Iterable[int]) -> list[dict]:
    """The contract's movie dicts in the order of `ids`; unknown ids are left out."""
    wanted = [i for i in ids if valid_id(i)]
    if not wanted:
        return []
    (movies,) = db.execute(_MOVIES_BY_IDS, (orjson.dumps(wanted).decode(),)).fetchone()
    found = {row[0]: row for row in orjson.loads(movies)}
    return [_as_dict(found[i]) for i in wanted if i in found]


def movie(db: sqlite_utils.Database, movie_id: int) -> dict | None:
    """One movie dict, or None when there is no such movie."""
    found = movies_by_ids(db, [movie_id])
    return found[0] if found else None


def exists(db: sqlite_utils.Database, movie_id: int) -> bool:
    """Whether the catalogue has this movie (cheaper than `movie`)."""
    return valid_id(movie_id) and db.execute(
        "SELECT 1 FROM movies WHERE id = ?", (movie_id,)).fetchone() is not None


def signature(db: sqlite_utils.Database) -> int:
    """A number that changes whenever an import adds, removes or retitles movies (the store's
    catalogue_version triggers), so caches of the catalogue (the title index) know when to
    rebuild; one row read, however big the catalogue."""
    row = db.execute("SELECT changes FROM catalogue_version WHERE id = 1").fetchone()
    return row[0] if row else 0


def versions(db: sqlite_utils.Database) -> tuple[int, int]:
    """(`signature`, a number that changes with every rating written, moved or removed): while
    both stay, every movie dict `movies_by_ids` would give is the same. One row read."""
    row = db.execute("SELECT (SELECT changes FROM catalogue_version WHERE id = 1), "
                     "(SELECT changes FROM counts_version WHERE id = 1)").fetchone()
    return (row[0] or 0, row[1] or 0) if row else (0, 0)


def genres(db: sqlite_utils.Database) -> list[str]:
    """Every genre the catalogue uses, alphabetical."""
    return [g for (g,) in db.execute("SELECT DISTINCT genre FROM movie_genres ORDER BY genre")]


def title_rows(db: sqlite_utils.Database) -> list[tuple[int, str, list[str], int, int | None, str]]:
    """(id, search_key, genres, num_ratings, year, the key of its main title) for every movie:
    what the title lookup indexes ("seven se7en" and "seven" for Seven (Se7en))."""
    return [(i, key, g.split("|") if g else [], n, y, search_key(main_title(shown)))
            for i, key, g, n, y, shown in db.execute(_TITLE_ROWS)]


def years(db: sqlite_utils.Database) -> tuple[list[int], list[int | None]]:
    """(movie ids, their years; None where the catalogue has none): browsing by year and by newest."""
    rows = db.execute("SELECT id, year FROM movies").fetchall()
    return [r[0] for r in rows], [r[1] for r in rows]


def decades(db: sqlite_utils.Database) -> list[int]:
    """The decades the catalogue's films come from, newest first (1990, 1980, …): the browse
    form offers these and no empty ones (ML-100K ends in 1998)."""
    return [r[0] for r in db.execute(
        "SELECT DISTINCT year / 10 * 10 FROM movies WHERE year IS NOT NULL ORDER BY 1 DESC").fetchall()]


def with_movies(db: sqlite_utils.Database, recs: Sequence) -> list[dict]:
    """Recommendations (movie_id, score, reason) as `{"movie", "score", "reason"}` dicts, in order.
    A recommendation that already carries its catalogue row (`movie`, read by the recommender
    for its reason in the same request) is not read again."""
    movies = {r.movie_id: r.movie for r in recs if getattr(r, "movie", None) is not None}
    missing = [r.movie_id for r in recs if r.movie_id not in movies]
    if missing:
        movies.update((m["id"], m) for m in movies_by_ids(db, missing))
    return [{"movie": movies[r.movie_id], "score": round(float(r.score), 4), "reason": r.reason}
            for r in recs if r.movie_id in movies]


def onboarding_picks(db: sqlite_utils.Database, n: int = 24, exclude: Iterable[int] = ()) -> list[dict]:
    """Well-known films across genres: the most-rated movie of each genre in turn, each once.

    Round-robin over genres (the biggest genres first) gives a varied list that a new user has
    probably seen, so their first ratings say something about their taste."""
    skip = set(exclude)
    by_genre: dict[str, list[int]] = {}
    for movie_id, _key, movie_genres, num, *_ in sorted(title_rows(db), key=lambda r: (-r[3], r[0])):
        if num and movie_id not in skip:
            for genre in set(movie_genres) - NOT_GENRES:
                by_genre.setdefault(genre, []).append(movie_id)
    queues = sorted(by_genre.values(), key=len, reverse=True)
    picked: list[int] = []
    while len(picked) < n and any(queues):
        for queue in queues:
            while queue and queue[0] in picked:
                queue.pop(0)
            if queue and len(picked) < n:
                picked.append(queue.pop(0))
    return movies_by_ids(db, picked)


def imdb_number(imdb_id: object) -> int | None:
    """IMDb's "tt0114709" (or "0114709", or 114709) as the number links.csv stores; None if not one."""
    text = str(imdb_id).strip().lower().removeprefix("tt") if not isinstance(imdb_id, bool) else ""
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID else None


def movie_id_for_imdb(db: sqlite_utils.Database, imdb_id: object) -> int | None:
    """The catalogue's movie for an IMDb id (from the release's links.csv), or None: what an IMDb
    ratings export is matched by before titles are."""
    number = imdb_number(imdb_id)
    if number is None:
        return None
    row = db.execute("SELECT movie_id FROM movie_links WHERE imdb_id = ? ORDER BY movie_id LIMIT 1",
                     (number,)).fetchone()
    return row[0] if row else None
