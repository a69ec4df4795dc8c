""""Not interested": `PUT`/`DELETE /api/hidden/<movie_id>`, `GET /api/hidden` (bearer token
required), and the hidden films of whoever sent a token to a public route (similar, search)."""
from flask import g, jsonify, request

from recommender.store import accounts, hidden

from ..db import get_db
from ..errors import ApiError
from ..lookups import movie_or_404
from ..security import token_required
from . import bp


def bearer_account():
    """The account behind a live bearer token, or None. Public routes answer anyone, and leave
    out the films of that account when a token is sent. A missing, unknown or revoked token is an
    anonymous visitor here, not a 401: nothing is changed or revealed, and the route stays public."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return accounts.account_for_token(get_db(), token.strip())


@bp.get("/hidden")
@token_required
def hidden_films():
    """The films I hid, newest first, to undo."""
    return jsonify({"results": hidden.listing(get_db(), g.account.id)})


@bp.put("/hidden/<int:movie_id>")
@token_required
def hide(movie_id: int):
    """201 when newly hidden, 200 when it was hidden already (nothing changes: idempotent)."""
    movie_or_404(movie_id)  # 404 before anything is written
    created = hidden.hide(get_db(), g.account.id, movie_id)
    return jsonify({"movie_id": movie_id, "hidden": True}), 201 if created else 200


@bp.delete("/hidden/<int:movie_id>")
@token_required
def unhide(movie_id: int):
    """204: the film may be shown again; 404 when it was not hidden (or there is no such movie)."""
    movie_or_404(movie_id)
    if not hidden.unhide(get_db(), g.account.id, movie_id):
        raise ApiError(404, "hidden_not_found", f"you have not hidden movie {movie_id}")
    return "", 204
