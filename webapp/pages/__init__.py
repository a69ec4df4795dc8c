"""The server-rendered pages: search, movie details, onboarding, feed, my ratings.

JavaScript only adds what helps (autocomplete, rating in place); every form also works without it."""
from flask import Blueprint

from recommender.store.catalogue import NOT_GENRES
from recommender.store.user_ratings import ALLOWED

from ..lookups import all_genres

bp = Blueprint("pages", __name__)


@bp.app_template_global()
def stars(value: float) -> str:
    """4.5 -> "★★★★½", for people; screen readers get the number next to it."""
    return "★" * int(value) + ("½" if value % 1 else "")


@bp.app_template_global()
def rating_steps() -> tuple[float, ...]:
    """0.5 .. 5.0: the choices of every rating control."""
    return ALLOWED


@bp.app_template_global()
def genres() -> list[str]:
    """The catalogue's genres, for the filters (globals reach imported macros; context does not)."""
    return [g for g in all_genres() if g not in NOT_GENRES]


from . import browse, mine, rate  # noqa: E402,F401  (routes register on bp)
