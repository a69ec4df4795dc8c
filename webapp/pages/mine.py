"""The logged-in pages: `/feed` (and its list as a fragment), `/ratings`."""
from flask import render_template
from flask_login import current_user, login_required

from recommender.serving.browse import MAX_OFFSET, Browse
from recommender.serving.service import MAX_K
from recommender.store import catalogue, user_ratings

from ..db import get_db
from ..lookups import genre_arg, int_arg
from ..serving import get_recommender
from . import bp, hidden_ids, watchlist_ids
from .cards import predict_items

FEED_SIZE = 20


def feed_items(genre: str | None, offset: int = 0, k: int = FEED_SIZE) -> list[dict]:
    """`k` films of the user's feed from `offset` on, as the templates show them, with predicted
    stars; rated movies are left out (also just-rated ones), and so are hidden and watchlisted ones."""
    db = get_db()
    rated = user_ratings.rated_ids(db, current_user.id)
    browse = Browse(genres=(genre,) if genre else (), offset=offset)
    recs = get_recommender().feed(current_user.id, k=k, hide=hidden_ids(), watchlist=watchlist_ids(),
                                  browse=browse)
    return predict_items(catalogue.with_movies(db, [r for r in recs if r.movie_id not in rated][:k]))


def feed_page(template: str):
    """The feed page or its list: `genre`, `offset` (where "show more" goes on) and `k`."""
    genre = genre_arg()
    offset = int_arg("offset", 0, MAX_OFFSET, 0)
    k = int_arg("k", FEED_SIZE, MAX_K)
    items = feed_items(genre, offset, k)
    pages_on = get_recommender().index is not None  # without one, the feed is one popular list
    more = offset + k if pages_on and len(items) == k and offset + k <= MAX_OFFSET else None
    newcomer = not user_ratings.rated_ids(get_db(), current_user.id)  # a popular list, not theirs yet
    return render_template(template, items=items, genre=genre, offset=offset, more=more, newcomer=newcomer)


@bp.get("/feed")
@login_required
def feed():
    """Twenty movies for me, with the reason and predicted stars for each and a genre filter;
    rate in place, and "show more" for the next twenty."""
    return feed_page("feed.html")


@bp.get("/feed/list")
@login_required
def feed_list():
    """Just the list, for the page's script to swap in after a rating (no full reload)."""
    return feed_page("_feed_list.html")


@bp.get("/ratings")
@login_required
def ratings():
    """Everything I rated, newest first, to change or remove."""
    return render_template("ratings.html", ratings=user_ratings.listing(get_db(), current_user.id))
