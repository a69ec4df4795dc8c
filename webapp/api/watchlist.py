""""Want to watch": `PUT`/`DELETE /api/watchlist/<movie_id>`, `GET /api/watchlist` (bearer token
required). A watchlisted film leaves the feed and counts as a mild like (recommender.store.watchlist).
Rated means seen: a film the user rated does not go on the watchlist (409 `already_rated`)."""
from flask import g, jsonify

from recommender.store import user_ratings, watchlist

from ..db import get_db
from ..errors import ApiError
from ..lookups import movie_or_404
from ..security import token_required
from . import bp


def refuse_if_rated(user_id: int, movie_id: int, title: str | None = None) -> None:
    """409 `already_rated` when the user rated the film: rated means seen (rating a film takes it
    off the watchlist, as logging it does on Letterboxd), so it is not one to want to watch."""
    if user_ratings.get(get_db(), user_id, movie_id) is not None:
        raise ApiError(409, "already_rated",
                       f"You rated {title or f'movie {movie_id}'} already: a rated film is seen, so it does not "
                       "go on your watchlist. Remove the rating first to want to watch it again.")


@bp.get("/watchlist")
@token_required
def watchlist_films():
    """The films I want to watch, newest first."""
    return jsonify({"results": watchlist.listing(get_db(), g.account.id)})


@bp.put("/watchlist/<int:movie_id>")
@token_required
def add_to_watchlist(movie_id: int):
    """201 when newly added, 200 when it was on the watchlist already (nothing changes: idempotent).
    A film the user had hidden is shown again. 409 for a film the user rated (nothing changes)."""
    movie_or_404(movie_id)  # 404 before anything is written
    refuse_if_rated(g.account.id, movie_id)
    created = watchlist.add(get_db(), g.account.id, movie_id)
    return jsonify({"movie_id": movie_id, "watchlist": True}), 201 if created else 200


@bp.delete("/watchlist/<int:movie_id>")
@token_required
def remove_from_watchlist(movie_id: int):
    """204: off the watchlist; 404 when it was not on it (or there is no such movie)."""
    movie_or_404(movie_id)
    if not watchlist.remove(get_db(), g.account.id, movie_id):
        raise ApiError(404, "watchlist_not_found", f"movie {movie_id} is not on your watchlist")
    return "", 204
