"""Predicted stars on movie objects: "You'd rate it about 4.2★" (issue 18). No Flask here.

`decorate` is the one place where a movie dict gains `predicted_rating`: the stars the index
version's rating model (recommender.models.rating) predicts for the person from their ratings
as they are right now (read at the call, so a rating made a second ago counts; no rebuild),
rounded to 0.01 and within the scale of the ratings the model was fitted on (MovieLens: 0.5..5
or 1..5). None, which JSON writes as null, when there is no basis: the person has rated nothing
this version knows, or the version has no rating model (no index yet, or built before them).
A film added since the rebuild gets the person's own level (mean + their bias).

How it agrees with the feed: the feed ranks by the hybrid's preference scores, these stars
come from a separate model of the same ratings read the same way (higher stars, more liked),
so the two agree on what a person likes without one being computed from the other; where they
would not (a pick these stars call a dislike on the person's own scale), the feed puts the pick
after the others (Recommender._explained); the feed's `sort=predicted` orders by these very
numbers."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from recommender.serving.index import LoadedIndex
from recommender.serving.memo import array_key

FIELD = "predicted_rating"
DESCRIPTION = ("with a bearer token: the stars the user would give the film (0.5 to 5.0), null when there is "
               "no basis (no ratings yet)")


def predicted_stars(index: LoadedIndex | None, rated_ids, stars, movie_ids) -> list[float | None]:
    """Predicted stars for `movie_ids` (MovieLens ids) of a person whose ratings are `stars` on
    `rated_ids`: for a film they rated, the stars they gave it (a walkthrough read 3.72 on The
    Godfather it had given 1 star); a list of None when there is no basis (see the module's doc)."""
    movie_ids = np.asarray(movie_ids, dtype=np.int64)
    model = index.rating_model if index is not None else None
    if model is None or len(movie_ids) == 0:
        return [None] * len(movie_ids)
    rated_ids, stars = np.asarray(rated_ids, dtype=np.int64), np.asarray(stars, dtype=np.float64)
    return index.memo.get(("stars", array_key(rated_ids, stars, movie_ids)),
                          lambda: _predicted(index, model, rated_ids, stars, movie_ids))


def _predicted(index: LoadedIndex, model, rated_ids: np.ndarray, stars: np.ndarray,
               movie_ids: np.ndarray) -> list[float | None]:
    """predicted_stars worked out (the memo's key is the MovieLens ids and stars as given: a
    repeated request skips even their lookup in the version's rows)."""
    rows = index.rows(rated_ids)
    known = rows >= 0
    if not known.any():
        return [None] * len(movie_ids)
    given = dict(zip(rated_ids.tolist(), stars.tolist()))
    predicted = model.predict(rows[known], stars[known], index.rows(movie_ids))
    return [given.get(m, round(float(p), 2)) for m, p in zip(movie_ids.tolist(), predicted)]


def decorate(movies: Iterable[dict], index: LoadedIndex | None, rated_ids, stars) -> None:
    """Set `predicted_rating` on every movie dict of `movies` (in place: they are the response's
    own), one prediction call for all of them."""
    movies = [m for m in movies if isinstance(m, dict) and "id" in m]
    if not movies:
        return
    values = predicted_stars(index, rated_ids, stars, [int(m["id"]) for m in movies])
    for movie, value in zip(movies, values):
        movie[FIELD] = value


def one_decimal(stars: float) -> str:
    """The stars as a card prints them: the API's figure (0.01) to one decimal, halves up, so
    3.25 reads 3.3 as a person would round it (formatting the float itself gives 3.2 for 3.25
    and 4.0 for 3.95: binary floats)."""
    return str(Decimal(str(round(float(stars), 2))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
