"""Rating from the pages: `POST /ratings/<id>` and `POST /ratings/<id>/delete`.

Session-authenticated, so CSRFProtect checks every one (form field or X-CSRFToken header).
A plain form post redirects back; the feed's fetch() (X-Requested-With: fetch) gets JSON."""
from flask import flash, jsonify, request
from flask_login import current_user, login_required

from recommender.store import user_ratings

from ..db import get_db
from ..errors import ApiError, wants_json
from ..lookups import movie_or_404
from . import back_to_form_page, bp


@bp.post("/ratings/<int:movie_id>")
@login_required
def rate(movie_id: int):
    """Rate or re-rate a movie from a form or the feed's script (201 new, 200 changed)."""
    movie = movie_or_404(movie_id)
    try:
        value = user_ratings.parse_form_value(request.form.get("rating"))
    except user_ratings.RatingError as exc:
        raise ApiError(400, "invalid_rating", str(exc)) from None
    created = user_ratings.put(get_db(), current_user.id, movie_id, value)
    if wants_json():
        return jsonify({"movie_id": movie_id, "rating": value, "created": created}), 201 if created else 200
    flash(f"You rated {movie['display_title']} {value:g} out of 5.")
    return back_to_form_page(movie_id)


@bp.post("/ratings/<int:movie_id>/delete")
@login_required
def unrate(movie_id: int):
    """Remove my rating of a movie; 404 when there is none."""
    movie = movie_or_404(movie_id)
    if not user_ratings.delete(get_db(), current_user.id, movie_id):
        raise ApiError(404, "rating_not_found", "You have not rated that movie.")
    if wants_json():
        return "", 204
    flash(f"Your rating of {movie['display_title']} is removed.")
    return back_to_form_page(movie_id)
