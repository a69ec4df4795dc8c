"""The logged-in pages: `/feed` (and its list as a fragment), `/ratings`."""
from flask import render_template
from flask_login import current_user, login_required

from recommender.store import catalogue, user_ratings

from ..db import get_db
from ..lookups import genre_arg
from ..serving import get_recommender
from . import bp, hidden_ids, watchlist_ids

FEED_SIZE = 20


def feed_items(genre: str | None) -> list[dict]:
    """The user's feed as the templates show it; rated movies are left out (also just-rated ones),
    and so are hidden and watchlisted ones."""
    db = get_db()
    rated = user_ratings.rated_ids(db, current_user.id)
    recs = get_recommender().feed(current_user.id, k=FEED_SIZE, genre=genre, hide=hidden_ids(),
                                  watchlist=watchlist_ids())
    return catalogue.with_movies(db, [r for r in recs if r.movie_id not in rated][:FEED_SIZE])


@bp.get("/feed")
@login_required
def feed():
    """Twenty movies for me, with the reason for each and a genre filter; rate in place."""
    genre = genre_arg()
    return render_template("feed.html", items=feed_items(genre), genre=genre)


@bp.get("/feed/list")
@login_required
def feed_list():
    """Just the list, for the page's script to swap in after a rating (no full reload)."""
    genre = genre_arg()
    return render_template("_feed_list.html", items=feed_items(genre), genre=genre)


@bp.get("/ratings")
@login_required
def ratings():
    """Everything I rated, newest first, to change or remove."""
    return render_template("ratings.html", ratings=user_ratings.listing(get_db(), current_user.id))
