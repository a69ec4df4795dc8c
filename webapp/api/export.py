"""`GET /api/export?format=json|csv` (bearer token): my ratings, watchlist and hidden films to take
away; the CSV is Letterboxd's ratings.csv layout, so it can be imported back there or here."""
from flask import Response, g, jsonify, request

from recommender.store import export

from ..db import get_db
from ..errors import ApiError
from ..security import token_required
from . import bp

FORMATS = ("json", "csv")


def export_format() -> str:
    """The `format` query parameter: json (the default) or csv; 400 for anything else."""
    chosen = request.args.get("format", "json").strip().lower()
    if chosen not in FORMATS:
        raise ApiError(400, "invalid_parameter", "format must be json or csv")
    return chosen


def export_response(account, chosen: str) -> Response:
    """The download: JSON of everything, or the ratings as CSV, as an attachment."""
    data = export.user_data(get_db(), account.id, account.username)
    if chosen == "csv":
        response = Response(export.letterboxd_csv(data), mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="ratings.csv"'
    else:
        response = jsonify(data)
        response.headers["Content-Disposition"] = 'attachment; filename="movie-recommender-export.json"'
    response.headers["Cache-Control"] = "no-store"  # personal data: no copy in a shared cache
    return response


@bp.get("/export")
@token_required
def export_data():
    """Everything of mine, as JSON or as a Letterboxd ratings.csv."""
    return export_response(g.account, export_format())
