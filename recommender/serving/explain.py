"""Short reasons shown next to a recommendation, from the numbers the models return."""
from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from recommender.models.hybrid import SOURCE_CONTENT, SOURCE_CORATING

STOPWORDS = {"the", "a", "an", "of", "and", "in", "on", "to", "part", "ii", "iii", "iv", "la", "le",
             "les", "el", "de", "der", "die", "das", "il", "for", "with", "at", "by", "from"}


def shared_genres(genres_a: Sequence[str], genres_b: Sequence[str]) -> list[str]:
    """Genres both movies have, in the order of the first."""
    b = set(genres_b)
    return [g for g in genres_a if g in b and g != "unknown"]


@lru_cache(maxsize=16384)
def title_words(title: str) -> frozenset[str]:
    """A title's significant words, singular-ish. Cached: /similar asks for the same few
    thousand titles all day, ten per request."""
    return frozenset(w.rstrip("s") for w in re.findall(r"[a-z0-9]+", title.lower())
                     if w not in STOPWORDS and len(w) > 2)


def shared_keywords(title_a: str, title_b: str) -> list[str]:
    """Significant title words both share ("Alien" / "Aliens" -> ["alien"])."""
    return sorted(title_words(title_a) & title_words(title_b))


def stars(rating: float) -> str:
    return f"{rating:g}★"


PEOPLE_LIKE_YOU = "Loved by people whose favourites match yours"
WELL_LIKED = "Popular and well rated"


@lru_cache(maxsize=16384)
def because_you_rated(title: str, rating: float | None = None) -> str:
    """"Because you rated Alien 5★"."""
    return f"Because you rated {title}" + (f" {stars(rating)}" if rating is not None else "")


def similar_reason(source: int, query_title: str, query_genres: Sequence[str] = (),
                   genres: Sequence[str] = (), title: str = "") -> str:
    """Why `title` is listed under "movies like `query_title`".

    Co-rating: "Often liked together with Heat"; content: "Matches: sci-fi, alien".
    `source` is what Hybrid.similar_items returns for the item.
    """
    if source == SOURCE_CORATING:
        return f"Often liked together with {query_title}"
    terms = [g.lower() for g in shared_genres(query_genres, genres)]
    terms += [w for w in shared_keywords(query_title, title) if w not in terms]
    return "Matches: " + ", ".join(terms) if terms else f"Similar to {query_title}"


@lru_cache(maxsize=64)
def _genre_words(genre: str) -> frozenset[str]:
    """The words that name a genre in a description ("animated", "cartoon", "animation")."""
    from recommender.text.content import GENRE_WORDS

    return frozenset(GENRE_WORDS.get(genre, genre.lower()).replace("'s", "").split()) | {genre.lower()}


@lru_cache(maxsize=16384)
def _title_stems(title: str) -> frozenset[str]:
    """A title's words, casefolded, trailing s dropped: what query words are looked up in."""
    return frozenset(w.rstrip("s") for w in re.findall(r"\w+", title.casefold()))


def search_reason(query_words: set[str], movie: dict, matched_genres: set[str] = frozenset()) -> str:
    """Why a movie matched a description: the genres the description evoked, and query words
    found in the title ("Matches: sci-fi, war" / "Matches: animation, toy")."""
    terms = [genre.lower() for genre in movie.get("genres", [])
             if genre in matched_genres or not query_words.isdisjoint(_genre_words(genre))]
    stems = _title_stems(movie.get("display_title", ""))
    terms += sorted(w for w in query_words if w.rstrip("s") in stems and w not in STOPWORDS)
    if terms:
        return "Matches: " + ", ".join(dict.fromkeys(terms))
    return "Close to your description"
