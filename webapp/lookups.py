"""Request parameters shared by the API and the pages, and the cached title index (title_cache).

Bad parameters raise ApiError(400): JSON under /api, the error page elsewhere."""
from __future__ import annotations

import re
import unicodedata

from flask import current_app, request

from recommender.serving.browse import MAX_OFFSET, MAX_RATING, MIN_RATING, Browse
from recommender.serving.service import MAX_K
from recommender.serving.title_search import TitleIndex
from recommender.store import catalogue

from .db import get_db
from .errors import ApiError

MAX_QUERY = 200
MIN_YEAR, MAX_YEAR = 1800, 2100  # a year parameter outside is a typo, not a film
_INT = re.compile(r"[0-9]{1,6}")
_INVISIBLE = {"Cc": " ", "Cf": ""}  # a search text's control characters read as spaces, format ones as nothing
_STARS = re.compile(r"[0-9](\.[0-9]{1,2})?")


def int_arg(name: str, default: int | None, maximum: int = MAX_K, minimum: int = 1) -> int | None:
    """An integer query parameter from `minimum` to `maximum` (outside is refused, not clamped)."""
    raw = request.args.get(name)
    if raw is None or (default is None and raw == ""):
        return default
    if not _INT.fullmatch(raw) or not minimum <= int(raw) <= maximum:
        raise ApiError(400, "invalid_parameter", f"{name} must be an integer from {minimum} to {maximum}")
    return int(raw)


def stars_arg(name: str) -> float | None:
    """A number of stars such as 3.5 (up to two decimals) from 0.5 to 5; empty means none."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not _STARS.fullmatch(raw) or not MIN_RATING <= float(raw) <= MAX_RATING:
        raise ApiError(400, "invalid_parameter", f"{name} must be a number from {MIN_RATING:g} to {MAX_RATING:g}")
    return float(raw)


def browse_args() -> Browse:
    """The feed's narrowing, order and page: genre (repeatable: any of them), year_from,
    year_to, min_rating, sort and offset; 400 for a value that is not one of them."""
    genres = tuple(dict.fromkeys(genre_arg(value=raw) for raw in request.args.getlist("genre") if raw.strip()))
    year_from, year_to = (int_arg(name, None, MAX_YEAR, MIN_YEAR) for name in ("year_from", "year_to"))
    offset = int_arg("offset", 0, MAX_OFFSET, 0)
    sort = request.args.get("sort", "best").strip() or "best"
    min_rating = stars_arg("min_rating")
    try:
        return Browse(genres, year_from, year_to, sort, offset, min_rating)
    except ValueError as exc:
        raise ApiError(400, "invalid_parameter", str(exc)) from None


def text_arg(name: str = "q") -> str:
    """A search text, stripped; refused when absurdly long. Control characters read as spaces and
    invisible ones (zero-width spaces, direction marks) as nothing: a query of only those is no
    query, as an empty one is."""
    text = "".join(_INVISIBLE.get(unicodedata.category(ch), ch) for ch in request.args.get(name, "")).strip()
    if len(text) > MAX_QUERY:
        raise ApiError(400, "invalid_parameter", f"{name} must be at most {MAX_QUERY} characters")
    return text


def title_index() -> TitleIndex:
    """The autocomplete index of the live catalogue."""
    return current_app.extensions["title_cache"].get(get_db()).index


def all_genres() -> list[str]:
    """The catalogue's genres, alphabetical."""
    return current_app.extensions["title_cache"].get(get_db()).genres


def genre_arg(name: str = "genre", value: str | None = None) -> str | None:
    """A genre of the catalogue, in its own spelling (the match ignores case); empty means none.
    `value`: the text to read instead of the parameter (one of a repeated parameter's values)."""
    raw = (request.args.get(name, "") if value is None else value).strip()
    if not raw:
        return None
    for genre in all_genres():
        if genre.casefold() == raw.casefold():
            return genre
    offered = [g for g in all_genres() if g not in catalogue.NOT_GENRES]  # what the filters offer
    raise ApiError(400, "unknown_genre", f"unknown genre; one of: {', '.join(offered)}")


def not_found(movie_id: int) -> ApiError:
    """The contract's 404 for a movie (JSON for the API and fetch, a page otherwise)."""
    return ApiError(404, "movie_not_found", f"There is no movie with id {movie_id}.")


def movie_or_404(movie_id: int) -> dict:
    """The movie dict, or the contract's 404."""
    found = catalogue.movie(get_db(), movie_id)
    if found is None:
        raise not_found(movie_id)
    return found
