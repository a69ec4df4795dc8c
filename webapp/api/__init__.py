"""The JSON API of CONTRACT.md under /api: movies, search, accounts and tokens, feed, ratings.

Exempt from the CSRF check because it never looks at the session cookie: state changes need a
bearer token, which a browser does not attach on its own. JSON bodies must say so in their
Content-Type, so an HTML form on another site cannot post one either."""
from flask import Blueprint, request
from werkzeug.exceptions import BadRequest

from ..errors import ApiError

bp = Blueprint("api", __name__, url_prefix="/api")


def json_body() -> dict:
    """The request's JSON object, or 400 (wrong type, bad JSON, not an object); 413 when too big."""
    if not request.is_json:
        raise ApiError(400, "invalid_body", "send a JSON object with Content-Type: application/json")
    request.get_data(cache=True)  # reads (and size-checks) the body before parsing
    try:
        body = request.get_json()
    except BadRequest:  # orjson also refuses what JSON has no words for: NaN, Infinity, 1e999
        raise ApiError(400, "invalid_body", "the body is not valid JSON: is it cut off, or does it hold a "
                                            "number JSON cannot write (NaN, Infinity, 1e999)?") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "the body must be a JSON object")
    return body


from . import account, export, hidden, imports, movies, openapi, predicted, ratings, watchlist  # noqa: E402,F401  (routes register on bp)
