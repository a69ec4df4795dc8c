"""`/browse`: the catalogue narrowed (several genres, a decade or a range of years, a minimum
average rating), ordered (best for you, predicted stars, popularity, newest, highest rated) and
paged ("show more"). Visitors browse too, by the orders that need no account."""
import dataclasses
from types import SimpleNamespace
from urllib.parse import urlencode

from flask import render_template, request
from flask_login import current_user

from recommender.serving.browse import MAX_OFFSET, Browse
from recommender.store import catalogue

from ..db import get_db
from ..errors import ApiError
from ..lookups import MAX_YEAR, MIN_YEAR, all_genres, browse_args, int_arg
from ..serving import get_recommender
from . import bp, hidden_ids, watchlist_ids
from .browse import newest_year
from .cards import predict_items

PAGE = 20
VISITOR = 0  # no account has id 0 (SQLite ids start at 1): no ratings, so the orders are the catalogue's
PERSONAL = ("best", "predicted")
SORT_LABELS = {"best": "Best for you", "predicted": "Predicted stars", "popular": "Most popular",
               "newest": "Newest", "top_rated": "Highest rated"}
MIN_RATINGS = (3.0, 3.5, 4.0, 4.5)


def decade_browse(browse: Browse) -> Browse:
    """`browse` within the decade asked for (`decade=1990`: 1990 to 1999), which sets both years."""
    decade = int_arg("decade", None, MAX_YEAR, MIN_YEAR)
    if decade is None:
        return browse
    if decade % 10:
        raise ApiError(400, "invalid_parameter", "decade must be a year ending in 0, such as 1990")
    return dataclasses.replace(browse, year_from=decade, year_to=decade + 9)


def browse_items(browse: Browse) -> list[dict]:
    """A page of films for the browse, with predicted stars for a logged-in person (whose rated,
    hidden and watchlisted films are left out, as in the feed)."""
    if current_user.is_authenticated:
        recs = get_recommender().feed(current_user.id, k=PAGE, hide=hidden_ids(), watchlist=watchlist_ids(),
                                      browse=browse)
    else:
        recs = get_recommender().feed(VISITOR, k=PAGE, browse=browse)
    return predict_items(catalogue.with_movies(get_db(), recs))


@bp.get("/browse")
def browse():
    """The browse form and a page of its films. A bad value gives the form back with what is wrong
    (status 400), never an error page; a personal order asked by a visitor falls back to the most
    popular, with a word on logging in."""
    error, note, items = None, None, []
    try:
        asked = decade_browse(browse_args())
    except ApiError as exc:
        error, asked = _said_plainly(exc.message), _as_chosen()
    if error is None and not current_user.is_authenticated and asked.sort in PERSONAL:
        if "sort" in request.args:
            note = f"“{SORT_LABELS[asked.sort]}” needs an account: log in to get it. Here are the most popular."
        asked = dataclasses.replace(asked, sort="popular")
    indexed = get_recommender().index is not None
    if error is None and not indexed:  # the filters and orders work on an index version's arrays
        note = "Filters and orders need the index (`flask index rebuild`): here are the most popular films."
        asked = Browse(sort="popular")
    if error is None:
        items = browse_items(asked)
    more = asked.offset + PAGE if indexed and len(items) == PAGE and asked.offset + PAGE <= MAX_OFFSET else None
    more_url = None
    if more is not None:
        args = request.args.to_dict(flat=False)
        args["offset"] = [str(more)]
        more_url = request.path + "?" + _query(args)
    newest = newest_year(get_db()) if error is None and not items else None  # "the films go up to 1998"
    return render_template("browse.html", browse=asked, items=items, error=error, note=note, more_url=more_url,
                           newest=newest,
                           decade=request.args.get("decade", ""), decades=catalogue.decades(get_db()),
                           sort_labels=SORT_LABELS,
                           personal=PERSONAL, min_ratings=MIN_RATINGS), 400 if error else 200


def _as_chosen() -> SimpleNamespace:
    """The form as the person filled it, for a form with a bad value: their genres, years, sort
    and minimum kept (the browse itself could not be made), so fixing one value is all it takes."""
    chosen = set(request.args.getlist("genre"))
    sort = request.args.get("sort", "best")
    try:
        min_rating = float(request.args.get("min_rating", ""))
    except ValueError:
        min_rating = None
    return SimpleNamespace(genres=tuple(g for g in all_genres() if g in chosen), offset=0, min_rating=min_rating,
                           year_from=request.args.get("year_from", ""), year_to=request.args.get("year_to", ""),
                           sort=sort if sort in SORT_LABELS else "best")


def _said_plainly(message: str) -> str:
    """The parameter check's message in the form's words (its fields, not its parameter names)."""
    if message.startswith("year_from must not be after year_to"):
        return (f"The first year ({request.args.get('year_from')}) is after the second "
                f"({request.args.get('year_to')}): swap them, or leave one empty.")
    for name, label in (("year_from", "The first year"), ("year_to", "The second year"),
                        ("min_rating", "“Average at least”"), ("decade", "The decade"), ("sort", "“Sort by”")):
        if message.startswith(name + " "):
            return label + message[len(name):] + "."
    return message


def _query(args: dict[str, list[str]]) -> str:
    """The query string of `args` (repeated names kept), escaped."""
    return urlencode([(name, value) for name, values in args.items() for value in values])
