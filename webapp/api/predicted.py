"""`predicted_rating` on every movie object of an API response sent with a live bearer token
(CONTRACT.md), from one place: this hook, after the route has built its JSON. It finds the
movie objects wherever the route put them (a list, "results", "movie", nested results), reads
the account's ratings once, and asks recommender.serving.predicted.decorate for all of them.
Routes added later get the field without knowing about it. Anonymous responses, errors and
responses without movies are left exactly as they were."""
import logging
import sqlite3

from flask import current_app, g, request

from recommender.serving import predicted
from recommender.store import accounts

from ..db import get_db
from ..serving import get_recommender
from . import bp

log = logging.getLogger(__name__)
MOVIE_KEYS = frozenset({"id", "title", "genres", "avg_rating", "num_ratings"})


def movie_objects(node, found: list[dict]) -> list[dict]:
    """Every dict in the JSON tree `node` that is a movie object of the contract (its keys, an
    integer id and a text title: the OpenAPI document's schema of one is not one). Walked with
    a stack, looking only into lists and dicts: a feed's 20 results are a hundred values. The
    tree is parsed JSON, so its containers are exactly dict and list."""
    stack = [node] if type(node) is dict or type(node) is list else []
    while stack:
        item = stack.pop()
        if type(item) is dict:
            if MOVIE_KEYS <= item.keys() and type(item["id"]) is int and type(item["title"]) is str:
                found.append(item)
                continue
            item = item.values()
        for value in item:  # a loop, not a generator: this walk runs on every bearer response
            if type(value) is dict or type(value) is list:
                stack.append(value)
    return found


def _bearer_account():
    """The account behind the request's live bearer token (token_required set it as g.account;
    a public route looks it up), else None."""
    account = g.get("account")
    if account is not None and g.get("token"):
        return account
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return accounts.account_for_token(get_db(), token.strip()) if scheme.lower() == "bearer" else None


@bp.after_request
def add_predicted_ratings(response):
    """The response with `predicted_rating` on each of its movie objects, when a bearer sent it."""
    if (response.status_code != 200 or not response.is_json or response.direct_passthrough
            or "bearer" not in request.headers.get("Authorization", "").lower()):
        return response
    try:
        payload = current_app.json.loads(response.get_data())
    except ValueError:  # not JSON after all: left as it is
        return response
    movies = movie_objects(payload, [])
    if not movies:
        return response
    account = _bearer_account()
    if account is None:
        return response
    recommender = get_recommender()  # the route's: its index version, its read of the ratings
    try:
        rated_ids, stars = recommender.user_ratings(account.id)
    except sqlite3.Error:  # a store busy now: the answer stands, without a basis for stars
        log.warning("predicted_rating: the account's ratings could not be read", exc_info=True)
        rated_ids, stars = (), ()
    predicted.decorate(movies, recommender.index, rated_ids, stars)
    response.set_data(current_app.json.dumps(payload))
    return response
