"""The logged-in pages: `/onboarding`, `/feed` (and its list as a fragment), `/ratings`."""
from flask import redirect, render_template, request, url_for
from flask_login import current_user, login_required

from recommender.store import catalogue, user_ratings

from ..db import get_db
from ..lookups import genre_arg
from ..serving import get_recommender
from . import bp, hidden_ids, watchlist_ids

FEED_SIZE = 20
ONBOARDING_PICKS = 24
ONBOARDING_MIN = 5


def feed_items(genre: str | None) -> list[dict]:
    """The user's feed as the templates show it; rated movies are left out (also just-rated ones),
    and so are hidden and watchlisted ones."""
    db = get_db()
    rated = user_ratings.rated_ids(db, current_user.id)
    recs = get_recommender().feed(current_user.id, k=FEED_SIZE, genre=genre, hide=hidden_ids(),
                                  watchlist=watchlist_ids())
    return catalogue.with_movies(db, [r for r in recs if r.movie_id not in rated][:FEED_SIZE])


def _submitted_ratings() -> tuple[dict[int, float], str | None]:
    """The `rating-<id>` fields that hold a value, and an error when one is not a rating."""
    chosen: dict[int, float] = {}
    for name, value in request.form.items():
        movie_id = name.removeprefix("rating-")
        if name.startswith("rating-") and movie_id.isdigit() and value:
            try:
                chosen[int(movie_id)] = user_ratings.parse_form_value(value)
            except user_ratings.RatingError as exc:
                return chosen, str(exc)
    return chosen, None


@bp.route("/onboarding", methods=["GET", "POST"])
@login_required
def onboarding():
    """Right after sign-up: rate at least five well-known films (or skip), then the feed."""
    db = get_db()
    rated = user_ratings.rated_ids(db, current_user.id)
    picks = catalogue.onboarding_picks(db, n=ONBOARDING_PICKS, exclude=rated)
    if request.method == "GET":
        return render_template("onboarding.html", picks=picks, chosen={}, error=None, minimum=ONBOARDING_MIN)
    if request.form.get("action") == "skip":
        return redirect(url_for("pages.feed"))
    chosen, error = _submitted_ratings()
    chosen = {m: v for m, v in chosen.items() if catalogue.exists(db, m)}
    if error is None and len(rated) + len(chosen) < ONBOARDING_MIN:
        error = f"Rate at least {ONBOARDING_MIN} movies (you rated {len(rated) + len(chosen)}), or skip."
    if error:
        return render_template("onboarding.html", picks=picks, chosen=chosen, error=error,
                               minimum=ONBOARDING_MIN), 400
    for movie_id, value in chosen.items():
        user_ratings.put(db, current_user.id, movie_id, value)
    return redirect(url_for("pages.feed"))


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
