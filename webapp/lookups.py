"""Request parameters shared by the API and the pages, and the cached title index (title_cache).

Bad parameters raise ApiError(400): JSON under /api, the error page elsewhere."""
from __future__ import annotations

import re

from flask import current_app, request

from recommender.serving.service import MAX_K
from recommender.serving.title_search import TitleIndex
from recommender.store import catalogue

from .db import get_db
from .errors import ApiError

MAX_QUERY = 200
_INT = re.compile(r"[0-9]{1,6}")


def int_arg(name: str, default: int, maximum: int = MAX_K) -> int:
    """An integer query parameter from 1 to `maximum` (larger is refused, not clamped)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not _INT.fullmatch(raw) or not 1 <= int(raw) <= maximum:
        raise ApiError(400, "invalid_parameter", f"{name} must be an integer from 1 to {maximum}")
    return int(raw)


def text_arg(name: str = "q") -> str:
    """A search text, stripped; refused when absurdly long."""
    text = request.args.get(name, "").strip()
    if len(text) > MAX_QUERY:
        raise ApiError(400, "invalid_parameter", f"{name} must be at most {MAX_QUERY} characters")
    return text


def title_index() -> TitleIndex:
    """The autocomplete index of the live catalogue."""
    return current_app.extensions["title_cache"].get(get_db()).index


def all_genres() -> list[str]:
    """The catalogue's genres, alphabetical."""
    return current_app.extensions["title_cache"].get(get_db()).genres


def genre_arg(name: str = "genre") -> str | None:
    """A genre of the catalogue, in its own spelling (the match ignores case); empty means none."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    for genre in all_genres():
        if genre.casefold() == raw.casefold():
            return genre
    raise ApiError(400, "unknown_genre", f"unknown genre; one of: {', '.join(all_genres())}")


def not_found(movie_id: int) -> ApiError:
    """The contract's 404 for a movie (JSON for the API and fetch, a page otherwise)."""
    return ApiError(404, "movie_not_found", f"There is no movie with id {movie_id}.")


def movie_or_404(movie_id: int) -> dict:
    """The movie dict, or the contract's 404."""
    found = catalogue.movie(get_db(), movie_id)
    if found is None:
        raise not_found(movie_id)
    return found
