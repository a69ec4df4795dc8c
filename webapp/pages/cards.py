"""What every movie card tells a logged-in person about themselves: the stars the rating model
predicts for them ("You'd rate it about 4.2★") and the rating they gave. Both come from one read
of their ratings per request (the request's Recommender keeps it), and the prediction is
recommender.serving.predicted's, the same as the API's `predicted_rating`."""
from collections.abc import Iterable

from flask import g
from flask_login import current_user

from recommender.serving import predicted

from ..serving import get_recommender
from . import bp


def _ratings() -> tuple:
    """The logged-in person's (movie ids, stars), read once per request."""
    return get_recommender().user_ratings(current_user.id)


def predict(movies: Iterable[dict]) -> None:
    """Set `predicted_rating` on each movie dict (in place), in one call to the model; a visitor's
    cards get none. Call it after any rating of this request is written."""
    movies = [m for m in movies if m]
    if not current_user.is_authenticated or not movies:
        return
    rated_ids, stars = _ratings()
    predicted.decorate(movies, get_recommender().index, rated_ids, stars)


def predict_items(items: Iterable[dict]) -> list[dict]:
    """`predict` for recommendation dicts (`{"movie", "score", "reason"}`); the items back."""
    items = list(items)
    predict(item["movie"] for item in items)
    return items


@bp.app_template_filter("stars")
def stars(value: float) -> str:
    """Predicted stars as every page prints them (recommender.serving.predicted.one_decimal)."""
    return predicted.one_decimal(value)


@bp.app_template_global()
def my_rating(movie_id: int) -> float | None:
    """The stars the logged-in person gave this film, None when none (a global: imported macros
    see no context)."""
    if not current_user.is_authenticated:
        return None
    if "my_ratings" not in g:
        rated_ids, stars = _ratings()
        g.my_ratings = dict(zip(rated_ids.tolist(), stars.tolist()))
    return g.my_ratings.get(movie_id)
