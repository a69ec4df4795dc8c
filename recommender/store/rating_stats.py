"""How a film's ratings are spread, and every film's average: what the movie page charts and
what browsing by a minimum average filters on. Reads only, static SQL with bound parameters."""
from __future__ import annotations

import sqlite_utils

_DISTRIBUTION = "SELECT rating, COUNT(*) FROM ratings WHERE movie_id = ? GROUP BY rating ORDER BY rating"
_AVERAGES = "SELECT id, rating_sum / num_ratings FROM movies WHERE num_ratings > 0"
_COUNTS = "SELECT id, num_ratings FROM movies WHERE num_ratings > 0"


def distribution(db: sqlite_utils.Database, movie_id: int, steps) -> list[tuple[float, int]]:
    """(stars, how many people gave them) for every step of `steps` (0.5 .. 5.0), zeros included,
    so a chart of it has a bar per step whatever the film's history."""
    counts = {float(stars): n for stars, n in db.execute(_DISTRIBUTION, (movie_id,))}
    return [(float(step), counts.get(float(step), 0)) for step in steps]


def averages(db: sqlite_utils.Database) -> tuple[list[int], list[float]]:
    """(movie ids, their average stars) of every film somebody rated (the movies table keeps the
    sums, so this reads one row a film, not the ratings)."""
    rows = db.execute(_AVERAGES).fetchall()
    return [r[0] for r in rows], [r[1] for r in rows]


def counts(db: sqlite_utils.Database) -> tuple[list[int], list[int]]:
    """(movie ids, how many people rated each) of every film somebody rated, as of now: "most
    popular" orders by the counts each card shows, not those of the last build."""
    rows = db.execute(_COUNTS).fetchall()
    return [r[0] for r in rows], [r[1] for r in rows]
