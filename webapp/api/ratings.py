"""The signed-in user's side: feed, and their ratings (bearer token required)."""
from flask import g, jsonify

from recommender.store import catalogue, hidden, user_ratings, watchlist

from ..db import get_db
from ..errors import ApiError
from ..lookups import browse_args, int_arg, movie_or_404
from ..security import token_required
from ..serving import get_recommender
from . import bp, json_body


@bp.get("/feed")
@token_required
def feed():
    """Personalized picks, never a movie the user has rated (a rating made just now included:
    Recommender.feed reads the ratings at the call and leaves them out), hid or put on their
    watchlist."""
    k, browse = int_arg("k", 20), browse_args()
    recommender = get_recommender()
    recs = recommender.feed(g.account.id, k=k, hide=hidden.id_set(get_db(), g.account.id),
                            watchlist=watchlist.id_set(get_db(), g.account.id), browse=browse)
    return jsonify({"results": catalogue.with_movies(get_db(), recs[:k]),
                            "index_version": recommender.index_version})


@bp.get("/ratings")
@token_required
def ratings():
    """The user's ratings, newest first."""
    return jsonify({"results": user_ratings.listing(get_db(), g.account.id)})


@bp.put("/ratings/<int:movie_id>")
@token_required
def put_rating(movie_id: int):
    """201 for a new rating, 200 for a change; 400 unless 0.5..5.0 in half steps."""
    movie_or_404(movie_id)  # 404 before anything is written
    body = json_body()
    if "rating" not in body:
        raise ApiError(400, "invalid_rating", "the body must hold a rating: {\"rating\": 4.5}")
    try:
        created = user_ratings.put(get_db(), g.account.id, movie_id, body["rating"])
    except user_ratings.RatingError as exc:
        raise ApiError(400, "invalid_rating", str(exc)) from None
    return jsonify({"movie_id": movie_id, "rating": float(body["rating"])}), 201 if created else 200


@bp.delete("/ratings/<int:movie_id>")
@token_required
def delete_rating(movie_id: int):
    """204; 404 when this user has not rated the movie (or there is no such movie)."""
    movie_or_404(movie_id)  # 404 before anything is written
    if not user_ratings.delete(get_db(), g.account.id, movie_id):
        raise ApiError(404, "rating_not_found", f"you have not rated movie {movie_id}")
    return "", 204
