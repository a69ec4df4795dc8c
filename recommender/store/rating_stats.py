"""How a film's ratings are spread, and every film's average: what the movie page charts and
what browsing by a minimum average filters on. Reads only, static SQL with bound parameters."""
from __future__ import annotations

import json

import sqlite_utils

from recommender.models.preferences import LIKED_STARS

_DISTRIBUTION = "SELECT rating, COUNT(*) FROM ratings WHERE movie_id = ? GROUP BY rating ORDER BY rating"
_AVERAGES = "SELECT id, rating_sum / num_ratings FROM movies WHERE num_ratings > 0"
_COUNTS = "SELECT id, num_ratings FROM movies WHERE num_ratings > 0"
# for each film of a list: how many of X's raters rated it, how many of X's lovers did and their
# mean stars for it (the people are found by the (user_id, movie_id) key, one lookup a pair)
_SHARED_RATERS = """
WITH raters AS (SELECT user_id, rating >= ? AS loved FROM ratings WHERE movie_id = ?)
SELECT r.movie_id, count(*), sum(raters.loved), avg(CASE WHEN raters.loved THEN r.rating END)
FROM raters JOIN ratings r ON r.user_id = raters.user_id
WHERE r.movie_id IN (SELECT value FROM json_each(?))
GROUP BY r.movie_id
"""


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


def shared_raters(db: sqlite_utils.Database, movie_id: int, others: list[int]) -> dict[int, tuple[int, int, float]]:
    """For each of `others` that somebody who rated `movie_id` rated too: (how many of its
    raters did, how many of those who loved it (LIKED_STARS or more) did, their mean stars for
    it, 0 with none), as of now: the evidence a "movies like X" reason cites."""
    rows = db.execute(_SHARED_RATERS, (LIKED_STARS, movie_id, json.dumps([int(i) for i in others]))).fetchall()
    return {int(m): (int(both), int(loved or 0), float(mean or 0.0)) for m, both, loved, mean in rows}
