"""The server-rendered pages: search, movie details, onboarding, feed, my ratings, hidden films,
watchlist, account.

JavaScript only adds what helps (autocomplete, rating in place); every form also works without it."""
from flask import Blueprint, g, redirect, request, url_for
from flask_login import current_user

from recommender.store import hidden, watchlist
from recommender.store.catalogue import NOT_GENRES
from recommender.store.user_ratings import ALLOWED

from ..db import get_db
from ..lookups import MAX_QUERY, all_genres
from ..security import safe_next

bp = Blueprint("pages", __name__)


def back_to_form_page(movie_id: int):
    """Back to the page a form was posted from (this site only), else the movie's page."""
    return redirect(safe_next(request.form.get("next"), url_for("pages.movie", movie_id=movie_id)))


@bp.app_template_global()
def stars(value: float) -> str:
    """4.5 -> "★★★★½", for people; screen readers get the number next to it."""
    return "★" * int(value) + ("½" if value % 1 else "")


@bp.app_template_global()
def rating_steps() -> tuple[float, ...]:
    """0.5 .. 5.0: the choices of every rating control."""
    return ALLOWED


@bp.app_template_global()
def max_query() -> int:
    """The longest search the site answers: the boxes stop the typing there."""
    return MAX_QUERY


@bp.app_template_global()
def genres() -> list[str]:
    """The catalogue's genres, for the filters (globals reach imported macros; context does not)."""
    return [g for g in all_genres() if g not in NOT_GENRES]


@bp.app_template_global()
def may_hide() -> bool:
    """Whether cards offer "Not interested": to a logged-in user only (a visitor has no list to
    hide films from; a global, because imported macros see no context)."""
    return current_user.is_authenticated


def hidden_ids() -> frozenset[int]:
    """The logged-in user's hidden films, none for a visitor: one query, read once per page and
    handed to the recommender, so no list on the page shows them."""
    if not current_user.is_authenticated:
        return frozenset()
    return hidden.id_set(get_db(), current_user.id)


def watchlist_ids() -> frozenset[int]:
    """The logged-in user's watchlist, none for a visitor: read once per request (every card of a
    page asks), handed to the feed and to the cards' "Want to watch" toggle."""
    if not current_user.is_authenticated:
        return frozenset()
    if "watchlist_ids" not in g:
        g.watchlist_ids = watchlist.id_set(get_db(), current_user.id)
    return g.watchlist_ids


@bp.app_template_global()
def on_watchlist(movie_id: int) -> bool:
    """Whether a card shows "Want to watch" pressed (a global: imported macros see no context)."""
    return movie_id in watchlist_ids()


from . import account, browse, explore, hide, imports, mine, onboarding, rate, watch  # noqa: E402,F401  (routes register on bp)
