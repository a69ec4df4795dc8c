""""Want to watch" from the pages: `POST /watchlist/<id>`, its undo `POST /watchlist/<id>/delete`,
and `/watchlist`, the list of films I want to see.

Session-authenticated, so CSRFProtect checks every post (form field or X-CSRFToken header). A
plain form post redirects back with a message; the cards' fetch() (X-Requested-With: fetch) gets
JSON and flips the button in place (or, in the feed and on /watchlist, takes the card out)."""
from flask import flash, jsonify, render_template
from flask_login import current_user, login_required

from recommender.store import watchlist

from ..db import get_db
from ..errors import ApiError, wants_json
from ..lookups import movie_or_404
from . import back_to_form_page, bp


@bp.post("/watchlist/<int:movie_id>")
@login_required
def watch(movie_id: int):
    """Want to watch: the film goes on my watchlist and leaves my feed (201 new, 200 when it was
    there already); a film I had hidden is shown again."""
    movie = movie_or_404(movie_id)
    created = watchlist.add(get_db(), current_user.id, movie_id)
    if wants_json():
        return jsonify({"movie_id": movie_id, "watchlist": True, "created": created}), 201 if created else 200
    flash(f"On your watchlist: {movie['display_title']}.")
    return back_to_form_page(movie_id)


@bp.post("/watchlist/<int:movie_id>/delete")
@login_required
def unwatch(movie_id: int):
    """Off my watchlist; 404 when it was not on it."""
    movie = movie_or_404(movie_id)
    if not watchlist.remove(get_db(), current_user.id, movie_id):
        raise ApiError(404, "watchlist_not_found", "That movie is not on your watchlist.")
    if wants_json():
        return "", 204
    flash(f"Off your watchlist: {movie['display_title']}.")
    return back_to_form_page(movie_id)


@bp.get("/watchlist")
@login_required
def watchlist_films():
    """The films I want to watch, newest first, each with a button to take it off."""
    return render_template("watchlist.html", items=watchlist.listing(get_db(), current_user.id))
