"""`/onboarding`: right after sign-up, a few ratings so the feed has something to go on."""
from flask import redirect, render_template, request, url_for
from flask_login import current_user, login_required

from recommender.store import catalogue, user_ratings

from ..db import get_db
from . import bp

ONBOARDING_PICKS = 24
ONBOARDING_MIN = 5


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
