""""Want to watch": `PUT`/`DELETE /api/watchlist/<movie_id>`, `GET /api/watchlist` (bearer token
required). A watchlisted film leaves the feed and counts as a mild like (recommender.store.watchlist)."""
from flask import g, jsonify

from recommender.store import watchlist

from ..db import get_db
from ..errors import ApiError
from ..lookups import movie_or_404
from ..security import token_required
from . import bp


@bp.get("/watchlist")
@token_required
def watchlist_films():
    """The films I want to watch, newest first."""
    return jsonify({"results": watchlist.listing(get_db(), g.account.id)})


@bp.put("/watchlist/<int:movie_id>")
@token_required
def add_to_watchlist(movie_id: int):
    """201 when newly added, 200 when it was on the watchlist already (nothing changes: idempotent).
    A film the user had hidden is shown again."""
    movie_or_404(movie_id)  # 404 before anything is written
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
