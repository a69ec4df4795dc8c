"""Short reasons shown next to a recommendation, from the numbers the models return."""
from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from recommender.models.hybrid import SOURCE_CONTENT, SOURCE_CORATING  # noqa: F401 (service reads explain.SOURCE_CONTENT)
from recommender.models.hybrid_base import SOURCE_SERIES
from recommender.models.item_similarity import SOURCE_KIND
from recommender.serving.predicted import one_decimal
from recommender.text.titles import main_title

STOPWORDS = {"the", "a", "an", "of", "and", "in", "on", "to", "part", "ii", "iii", "iv", "la", "le",
             "les", "el", "de", "der", "die", "das", "il", "for", "with", "at", "by", "from",
             # how a description asks, not what it asks for: "something like", "movies"
             "like", "something", "movie", "movies", "film", "films"}


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
FEW_PEOPLE = 3  # fewer of them are counted in no reason: "Loved by 1 person…" convinces nobody


@lru_cache(maxsize=16384)
def loved_along_with(title: str, people: int) -> str:
    """"Loved by 23 people whose favourites match yours; they loved Toy Story too": the people
    whose favourites are nearest the user's, counted. It does not say "23 people who also loved
    Toy Story": the catalogue holds more of those, and the count would not check. Under
    FEW_PEOPLE of them, PEOPLE_LIKE_YOU, uncounted (a walkthrough met "Loved by 1 person whose
    favourites match yours" beside picks of dozens)."""
    if people < FEW_PEOPLE:
        return PEOPLE_LIKE_YOU
    return f"Loved by {people} people whose favourites match yours; they loved {main_title(title)} too"


WELL_LIKED = "Popular and well rated"
WELL_LIKED_RATINGS, WELL_LIKED_STARS = 100, 3.5  # what "popular and well rated" promises
FOR_YOUR_RATINGS = "Picked from what your ratings say you like"
AWAY_FROM_DISLIKES = "Picked to stay clear of the films you rated low"  # for someone who liked nothing yet


def sorted_by(sort: str, movie: dict, predicted: float | None = None) -> str:
    """Why a film is in a list the person ordered themselves (the feed's `sort`): the key."""
    if sort == "predicted" and predicted is not None:
        return f"You'd rate it about {one_decimal(predicted)}★"  # the card's figure, rounded as it is
    if sort == "newest" and movie.get("year"):
        return f"From {movie['year']}, among the newest here"
    if sort == "top_rated" and movie.get("avg_rating") is not None:
        return f"Rated {movie['avg_rating']:.1f}★ on average by {movie['num_ratings']} people"
    return rated_by(movie.get("num_ratings", 0))


def popular(num_ratings: int) -> str:
    """"Popular: rated by 583 people" (the most-rated films of a list)."""
    return f"Popular: rated by {num_ratings} {'person' if num_ratings == 1 else 'people'}"


def rated_by(num_ratings: int) -> str:
    """A list the person sorted by popularity: a film few rated is not called popular there."""
    if num_ratings >= WELL_LIKED_RATINGS:
        return popular(num_ratings)
    return f"Rated by {num_ratings} {'person' if num_ratings == 1 else 'people'}"


@lru_cache(maxsize=16384)
def because_you_rated(title: str, rating: float | None = None) -> str:
    """"Because you rated Alien 5★"."""
    return f"Because you rated {main_title(title)}" + (f" {stars(rating)}" if rating is not None else "")


# how a genre reads in "Also a 1970s crime drama": adjectives first, the noun last
GENRE_PHRASE = {"Animation": "animated", "Children's": "children's", "Sci-Fi": "sci-fi", "Film-Noir": "film noir",
                "Fantasy": "fantasy", "Adventure": "adventure", "Action": "action", "Crime": "crime",
                "Mystery": "mystery", "War": "war", "Western": "western", "Horror": "horror",
                "Romance": "romance", "Musical": "musical", "Documentary": "documentary", "Thriller": "thriller",
                "Comedy": "comedy", "Drama": "drama", "IMAX": "IMAX"}
GENRE_ORDER = list(GENRE_PHRASE)  # the order the words come in: "animated children's comedy"
NOUN_GENRES = ("comedy", "drama", "thriller", "musical", "western", "documentary", "romance", "film noir")


def _decade(year) -> int | None:
    try:
        return int(year) // 10 * 10
    except (TypeError, ValueError):
        return None


def alike_phrase(query_genres: Sequence[str], genres: Sequence[str], query_year=None, year=None) -> str | None:
    """"Also a 1970s crime drama": the decade both films share, and the genres both have;
    None when they share neither."""
    words = _genres_as_words(shared_genres(query_genres, genres))[-3:]
    decade = _decade(query_year)
    if decade is not None and decade == _decade(year):
        if not words:
            return f"Also from the {decade}s"
        words.insert(0, f"{decade}s")
    return _also(words) if words else None


def _genres_as_words(genres: Sequence[str]) -> list[str]:
    """The genres as words in the order they read ("animated", "children's", "comedy")."""
    ordered = sorted(genres, key=lambda g: GENRE_ORDER.index(g) if g in GENRE_ORDER else len(GENRE_ORDER))
    return [GENRE_PHRASE.get(g, g.lower()) for g in ordered]


def _also(words: list[str]) -> str:
    """"Also a 1970s crime drama", "Also an animated children's film": " film" unless the
    last word is a noun already."""
    phrase = " ".join(words) + ("" if words[-1] in NOUN_GENRES else " film")
    return f"Also {'an' if phrase[0] in 'aeiou' else 'a'} {phrase}"


# genres from the rarest to the commonest in MovieLens (ML-100K's counts): a film of X's kind
# has X's rarest genre (item_similarity.kind_rows), and its reason names that genre
GENRE_RARITY = ["Fantasy", "Film-Noir", "Western", "Animation", "Documentary", "Musical", "Mystery", "War",
                "Horror", "Sci-Fi", "Crime", "Children's", "Adventure", "Romance", "Action", "Thriller",
                "Comedy", "Drama"]


def _rarity(genre: str) -> int:
    """A genre's place in GENRE_RARITY, rarest first (one unknown there comes last)."""
    return GENRE_RARITY.index(genre) if genre in GENRE_RARITY else len(GENRE_RARITY)


def kind_phrase(query_title: str, query_genres: Sequence[str], genres: Sequence[str]) -> str | None:
    """"Also a western, like Dances with Wolves", "Also a horror thriller, like Scream": the
    rarest genre both films have (the kind that put the film there), and the next rarest they
    share when there is one (under Star Wars, ML-100K's war film, Aliens is "a sci-fi war
    film", not only "a war film"); None when they share none."""
    shared = sorted(shared_genres(query_genres, genres), key=_rarity)
    if not shared:
        return None
    return f"{_also(_genres_as_words(shared[:2]))}, like {main_title(query_title)}"


def like_a_liked_film(genres: Sequence[str], liked: Sequence[dict]) -> str | None:
    """Why a feed pick that no one liked film raised is there (genre taste, predicted stars):
    "Also a western, like Dances with Wolves", the liked film sharing the rarest of the pick's
    `genres`; None when none shares one (then `popular_or_yours`). It reads only titles and
    genres, so it holds while the catalogue's titles do."""
    best = None
    for film in liked:
        shared = shared_genres(film.get("genres") or (), genres)
        if shared:
            rank = min(_rarity(g) for g in shared)
            if best is None or rank < best[0]:
                best = (rank, film)
    return kind_phrase(best[1]["display_title"], best[1].get("genres") or (), genres) if best is not None else None


def popular_or_yours(movie: dict, likes_any: bool = True) -> str:
    """Why a feed pick is there when no liked film shares its kind: "Popular and well rated" only
    when the film's ratings, as they are now, say so; else what the person's ratings say of it
    (of someone whose ratings are all dislikes, not what they like)."""
    if (movie.get("num_ratings") or 0) >= WELL_LIKED_RATINGS and (movie.get("avg_rating") or 0) >= WELL_LIKED_STARS:
        return WELL_LIKED
    return FOR_YOUR_RATINGS if likes_any else AWAY_FROM_DISLIKES


def convincing(evidence: tuple[int, float] | None) -> bool:
    """Whether (how many who loved X rated the film, their mean stars) is a reason: FEW_PEOPLE
    or more, and a mean a person would call liked ("People who loved Free Willy 3 gave it 2.0★
    (1 person)" says the opposite of what it is cited for)."""
    return evidence is not None and evidence[0] >= FEW_PEOPLE and evidence[1] >= WELL_LIKED_STARS


def rated_by_the_same(cited: str, both: int, raters: int) -> str:
    """How many of X's raters rated the film too: the co-ratings a list of a film few people
    rated rests on, said as they are."""
    if raters <= 1:
        return f"The one person who rated {cited} rated it too"
    if both >= raters:
        return f"All {raters} people who rated {cited} rated it too"
    return f"{both} of the {raters} people who rated {cited} rated it too"


def similar_reason(source: int, query_title: str, query_genres: Sequence[str] = (),
                   genres: Sequence[str] = (), title: str = "", *, evidence: tuple[int, float] | None = None,
                   query_year=None, year=None, shared: tuple[int, int] | None = None) -> str:
    """Why `title` is listed under "movies like `query_title`", from the signal that put it
    there (`source`, as HybridBase.similar_items returns it), with evidence a person can check:

    series: "Same series as Alien"; co-ratings with `evidence` (how many who loved X rated it,
    their mean stars) when it is `convincing`: "People who loved Heat gave it 4.3★ on average
    (212 of them)", else with `shared` (how many of X's raters rated it, and X's raters): "2 of
    the 3 people who rated Good Morning rated it too"; X's kind (the genre X is rarest in):
    "Also a western, like Dances with Wolves: 4.1★ from 23 who loved Dances with Wolves" (the
    evidence when it is convincing: "who loved it" read as the pick); text:
    "Also a 1970s crime drama" (the decade and genres both share), else the title words both
    share ("Matches: alien"). A title is cited without its alternative title ("Nosferatu", not
    "Nosferatu (Nosferatu, eine Symphonie des Grauens)").
    """
    cited = main_title(query_title)
    if source == SOURCE_SERIES:
        return f"Same series as {cited}"
    if source == SOURCE_CORATING:
        if convincing(evidence):
            fans, mean = evidence
            return f"People who loved {cited} gave it {mean:.1f}★ on average ({fans} of them)"
        if shared is not None and shared[0] > 0:
            return rated_by_the_same(cited, *shared)
        if shared is None:  # nothing counted: what the list's co-rating part says
            return f"Often rated by the same people as {cited}"
    if source == SOURCE_KIND and (kind := kind_phrase(query_title, query_genres, genres)):
        if convincing(evidence):
            return f"{kind}: {evidence[1]:.1f}★ from {evidence[0]} who loved {cited}"
        return kind
    alike = alike_phrase(query_genres, genres, query_year, year)
    if alike:
        return alike
    terms = [w for w in shared_keywords(query_title, title)]
    return "Matches: " + ", ".join(terms) if terms else f"Similar to {cited}"


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
