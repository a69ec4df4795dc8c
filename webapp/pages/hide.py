""""Not interested" from the pages: `POST /hidden/<id>`, its undo `POST /hidden/<id>/delete`, and
`/hidden`, the list of hidden films to show again.

Session-authenticated, so CSRFProtect checks every post (form field or X-CSRFToken header). A
plain form post redirects back with a message; the cards' fetch() (X-Requested-With: fetch) gets
JSON and takes the card out of its list in place."""
from flask import flash, jsonify, render_template
from flask_login import current_user, login_required

from recommender.store import hidden

from ..db import get_db
from ..errors import ApiError, wants_json
from ..lookups import movie_or_404
from . import back_to_form_page, bp


@bp.post("/hidden/<int:movie_id>")
@login_required
def hide(movie_id: int):
    """Not interested: the film leaves my feed, similar lists and search results (201 new,
    200 when it was hidden already)."""
    movie = movie_or_404(movie_id)
    created = hidden.hide(get_db(), current_user.id, movie_id)
    if wants_json():
        return jsonify({"movie_id": movie_id, "hidden": True, "created": created}), 201 if created else 200
    flash(f"Hidden: {movie['display_title']}. You can show it again from Hidden films.")
    return back_to_form_page(movie_id)


@bp.post("/hidden/<int:movie_id>/delete")
@login_required
def unhide(movie_id: int):
    """Undo: the film may be shown to me again; 404 when it was not hidden."""
    movie = movie_or_404(movie_id)
    if not hidden.unhide(get_db(), current_user.id, movie_id):
        raise ApiError(404, "hidden_not_found", "You have not hidden that movie.")
    if wants_json():
        return "", 204
    flash(f"Shown again: {movie['display_title']}.")
    return back_to_form_page(movie_id)


@bp.get("/hidden")
@login_required
def hidden_films():
    """The films I am not interested in, newest first, each with a button to show it again."""
    return render_template("hidden.html", items=hidden.listing(get_db(), current_user.id))
