"""Title lookup for autocomplete: prefix, word and typo-tolerant matching over search keys in memory;
and the film a description names ("movies like Alien", `title_in_like`, `TitleIndex.meant`).

SQL `LIKE` cannot rank or forgive typos, and scanning 1,682 titles with an edit distance in
Python takes tens of milliseconds. Instead the distinct title words go into a sorted list
(prefixes by bisection) and a SymSpell-style map of one-letter deletions (typos: "stra" finds
"star"), each word pointing at the movies that use it. A lookup then costs microseconds."""
from __future__ import annotations

import bisect
import heapq
import re
from collections.abc import Iterable
from functools import cache
from itertools import pairwise

from recommender.text import spelling
from recommender.text.content import GENRE_WORDS
from recommender.text.titles import ARTICLES, search_key

MIN_TYPO_LENGTH = 3  # shorter words match too much when a letter may be wrong
NAMED_BY_MAX = 3  # a description that more titles hold names none of them ("love", "war")
MAX_TITLE_WORDS = 5  # "movies like <more words than this>" is a description, not a title the catalogue lacks
YEARS = range(1870, 2100)  # a four-digit word in this range may be the film's year, "alien 1979"


def is_artefact(key: str, genres, num_ratings: int) -> bool:
    """A catalogue artefact (ML-100K's `unknown` entry, a film with no genre that at most one
    person rated): it never leads a lookup (recommender.models.item_similarity.artefacts is the
    same rule for the lists and free-text search)."""
    real = [g for g in (genres or []) if g not in ("unknown", "(no genres listed)")]
    return key in ("", "unknown") or (not real and num_ratings <= 1)


# "movies like Alien", "something similar to the godfather", "I want something like Heat?": a few
# words of the asker's own before "like"
_LIKE = re.compile(r"^(?:[\w']+\s+){0,4}?(?:like|similar\s+to)\s+(?P<title>.+?)[\s?!.]*$", re.IGNORECASE)
# ... and the same asked in so many words, nothing else said: "movies like The Matrix" names a film
_ONLY_LIKE = re.compile(r"^(?:(?:show|me|find|more|some|any|good|movies?|films?|something|anything|a|an|the)\s+)*"
                        r"(?:like|similar\s+to)\s", re.IGNORECASE)
_LEADING_ARTICLES = {a.casefold().rstrip("'") for a in ARTICLES}


def title_in_like(description: str) -> str | None:
    """The title a description asks to match ("movies like Alien" -> "Alien"), None when it is
    not of that form or names a kind of film ("movies like war" asks for war films, not The War)."""
    match = _LIKE.match(description.strip())
    if not match:
        return None
    asked = _bare(search_key(match.group("title")))
    return None if asked in _genre_names() or asked.removesuffix("s") in _genre_names() else match.group("title")


def _kind_words(text: str) -> list[bool]:
    """For each word of `text`, whether it describes a kind of film (a genre, "cowboys",
    "comedies") or is an article."""
    kinds = spelling.vocabulary() | _genre_names() | _LEADING_ARTICLES
    return [w in kinds or w.removesuffix("s") in kinds or w.removesuffix("ies") + "y" in kinds
            for w in search_key(text).split()]


def describes_a_kind(text: str) -> bool:
    """Whether every word of `text` describes a kind of film, naming none ("cowboys", "the comedies")."""
    kinds = _kind_words(text)
    return bool(kinds) and all(kinds)


@cache
def _genre_names() -> frozenset[str]:
    """Genres as people name them: "war", "sci fi", "science fiction", "film noir", "western"."""
    return frozenset(search_key(name) for pair in GENRE_WORDS.items() for name in pair)


def _bare(key: str) -> str:
    """A search key without its leading article: "the lion king" and "lion king" name one film."""
    words = key.split()
    return " ".join(words[1:] if len(words) > 1 and words[0] in _LEADING_ARTICLES else words)


_CLITICS = ("s", "t", "d", "m", "ll", "re", "ve")  # what an apostrophe split off: "it s", "don t"
_CLITIC = re.compile(r"(?<![0-9a-z])([0-9a-z]+) (" + "|".join(_CLITICS) + r")(?![0-9a-z])")
_INITIALS = re.compile(r"(?<![0-9a-z])[a-z](?: [a-z])+(?![0-9a-z])")


def as_typed(key: str) -> str:
    """A search key as people type the title: an apostrophe's ending joined to its word ("it s a
    wonderful life" -> "its a wonderful life", "schindler s list" -> "schindlers list") and initials
    joined ("l a confidential" -> "la confidential", "e t the extra terrestrial" -> "et the ...")."""
    words = key.split()
    if not any(w in _CLITICS for w in words[1:]) and not any(len(a) == 1 == len(b) for a, b in pairwise(words)):
        return key  # the common case, without a regex
    key = _CLITIC.sub(r"\1\2", key)
    return _INITIALS.sub(lambda m: m.group(0).replace(" ", ""), key)


# A number as people type it in a title, any of its forms: "godfather 2" is The Godfather: Part
# II, "12 monkeys" is Twelve Monkeys, "die hard ii" is Die Hard 2. No roman "i" (the word I),
# "x" nor "v" (Malcolm X, Generation X, "V" alone): they read as letters more often than numbers.
_NUMBERS = [("1", "one"), ("2", "ii", "two"), ("3", "iii", "three"), ("4", "iv", "four"), ("5", "five"),
            ("6", "vi", "six"), ("7", "vii", "seven"), ("8", "viii", "eight"), ("9", "ix", "nine"),
            ("10", "ten"), ("11", "eleven"), ("12", "twelve"), ("13", "thirteen"), ("20", "twenty"),
            ("100", "hundred"), ("1000", "thousand")]
_SAME_NUMBER = {form: forms for forms in _NUMBERS for form in forms}


def _deletions(word: str) -> set[str]:
    """The word and every form of it with one letter removed."""
    return {word} | {word[:i] + word[i + 1:] for i in range(len(word))}


class TitleIndex:
    """Built once from (id, search_key, genres, num_ratings, year, main title's key) rows (the
    last: the key without alternative titles in parentheses, store.catalogue.title_rows);
    read-only afterwards."""

    def __init__(self, rows: Iterable[tuple[int, str, list[str], int, int | None, str]]):
        self.keys: dict[int, str] = {}
        self.popularity: dict[int, int] = {}
        self.by_year: dict[int, set[int]] = {}
        self.year: dict[int, int | None] = {}
        self.main: dict[int, str] = {}  # the main title's key, article dropped: what `named` compares
        self.typed: dict[int, str] = {}  # keys as people type them, where they differ (`as_typed`)
        self.postings: dict[str, set[int]] = {}
        self.by_genre: dict[str, set[int]] = {}
        self.artefacts: set[int] = set()  # ranked after every real film (see is_artefact)
        for movie_id, key, genres, num, year, main in rows:
            self.keys[movie_id], self.popularity[movie_id], self.year[movie_id] = key, num, year
            self.main[movie_id] = _bare(main)
            typed = as_typed(key)
            if typed != key:
                self.typed[movie_id] = typed
            if year is not None:
                self.by_year.setdefault(year, set()).add(movie_id)
            if is_artefact(key, genres, num):
                self.artefacts.add(movie_id)
            for genre in genres:
                self.by_genre.setdefault(genre, set()).add(movie_id)
            for word in set(key.split()) | set(typed.split()):  # "its" finds It's a Wonderful Life
                for form in _SAME_NUMBER.get(word, (word,)):  # "2" finds Part II
                    self.postings.setdefault(form, set()).add(movie_id)
        # Within a tier: most-rated first, then by key and id; one int per movie, so ranking the
        # ~20,000 matches of "the" in a 62k catalogue compares pairs, not 4-tuples with strings.
        order = sorted(self.keys, key=lambda m: (-self.popularity[m], self.keys[m], m))
        self.order: dict[int, int] = {movie_id: i for i, movie_id in enumerate(order)}
        self.words = sorted(self.postings)
        self.typos: dict[str, set[str]] = {}
        for word in self.words:
            if len(word) >= MIN_TYPO_LENGTH:
                for variant in _deletions(word):
                    self.typos.setdefault(variant, set()).add(word)

    def _prefixed(self, token: str) -> set[int]:
        """Movies with a word that starts with `token`."""
        found: set[int] = set()
        start = bisect.bisect_left(self.words, token)
        for word in self.words[start:]:
            if not word.startswith(token):
                break
            found |= self.postings[word]
        return found

    def _near(self, token: str) -> set[int]:
        """Movies with a word one edit (or one swap of neighbours) away from `token`."""
        if len(token) < MIN_TYPO_LENGTH:
            return set()
        words = set().union(*(self.typos.get(v, set()) for v in _deletions(token)))
        return set().union(*(self.postings[w] for w in words)) if words else set()

    def _matching(self, tokens: list[str]) -> tuple[set[int], set[int]]:
        """(movies with a word starting with every token, movies where some token matched only
        with a typo); the second only when the first is empty: "Heat" is Heat and Heathers, not
        That Thing You Do!"""
        exact = set.intersection(*(self._prefixed(t) for t in tokens))
        if exact:
            return exact, set()
        return exact, set.intersection(*(self._prefixed(t) | self._near(t) for t in tokens))

    def _with_year(self, tokens: list[str]) -> tuple[set[int], set[int]]:
        """A query that names a year ("alien 1979", "Alien (1979)"), matched by its other words
        among the films of that year. A year that is a title word ("2001", "1984") matches as
        a word first."""
        years = [t for t in tokens if t.isdigit() and len(t) == 4 and int(t) in YEARS]
        words = [t for t in tokens if t not in years]
        if not years or not words:
            return set(), set()
        of_year = set().union(*(self.by_year.get(int(y), set()) for y in years))
        exact, fuzzy = self._matching(words)
        return exact & of_year, fuzzy & of_year

    def search(self, query: str, limit: int = 10, genre: str | None = None, typos: bool = True) -> list[int]:
        """Movie ids, best first: exact title (its leading article or not), title starting with
        the query (whole words first), every word matched (a year among the words may be the
        film's instead of a title word);
        typo matches only when no title matches every word as typed (never without `typos`);
        within a tier the most-rated first; catalogue artefacts after every other match."""
        q = search_key(query)
        tokens = q.split()
        if not tokens or limit < 1:
            return []
        allowed = None if genre is None else self.by_genre.get(genre, set())
        exact, fuzzy = self._matching(tokens)
        if not exact and "and" in tokens[1:-1]:  # "batman and robin" is Batman & Robin
            exact = self._matching([t for t in tokens if t != "and"])[0]
        if not exact:
            dated = self._with_year(tokens)
            if any(dated):
                exact, fuzzy = dated

        def tier(key: str, movie_id: int) -> int:
            if key.startswith(q):  # "star" ranks "Star Wars" (whole word) above "Starship Troopers"
                return 0 if key == q else 1 if key[len(q)] == " " and len(q) >= MIN_TYPO_LENGTH else 2
            return 3 if movie_id in exact else 4

        def rank(movie_id: int) -> tuple:
            key = self.keys[movie_id]
            best = min(tier(key, movie_id), tier(_bare(key), movie_id))  # "terminator" is The Terminator
            if best and movie_id in self.typed:  # "et" is E.T. as typed
                best = min(best, tier(self.typed[movie_id], movie_id))
            return movie_id in self.artefacts, best, self.order[movie_id]

        candidates = exact | fuzzy if typos else exact
        if allowed is not None:
            candidates &= allowed
        return heapq.nsmallest(limit, candidates, key=rank)  # sorted(...)[:limit], without the sort

    def named(self, title: str) -> int | None:
        """The film a title names as typed, article or not, with its year or not, its alternative
        title or not ("the lion king", "Lion King", "alien 1979", "seven" for Seven (Se7en)): the
        most-rated of those whose whole title it is (Titanic), None when no title is exactly that."""
        films = self.all_named(title)
        return films[0] if films else None

    def all_named(self, title: str) -> list[int]:
        """Every film whose whole title `title` is (see `named`), most-rated first: one film, or
        the films that share a title ("Titanic": 1997 and 1953)."""
        words = search_key(title).split()
        year = int(words[-1]) if len(words) > 1 and words[-1].isdigit() and int(words[-1]) in YEARS else None
        whole, undated = _bare(" ".join(words)), _bare(" ".join(words[:-1]))
        films = []
        for movie_id in self.search(title, limit=10):
            names = {_bare(self.keys[movie_id]), self.main[movie_id]}
            if whole in names or (year is not None and year == self.year[movie_id] and undated in names):
                films.append(movie_id)
        return films

    def meant(self, title: str) -> int | None:
        """The film a person means by the title they typed after "movies like": the one it
        names (`named`), else the title lookup's best match (a typo, a word left out:
        "casablanka", "shawshank", "holy grail"), unless the words describe a kind of film
        rather than name one ("movies like cowboys") or say too little ("it")."""
        found = self.named(title)
        if found is not None:
            return found
        words = search_key(title).split()
        if len("".join(words)) < MIN_TYPO_LENGTH or describes_a_kind(title):
            return None
        best = self.search(title, limit=1)
        return best[0] if best and best[0] not in self.artefacts else None

    def lacks(self, description: str) -> str | None:
        """The title a "movies like <title>" description asks for when no title here has its
        words, even with a typo ("movies like The Matrix": the catalogue ends before it), and no
        word of it describes a kind of film ("movies like comedies", "like an action film with
        cops"); else None."""
        title = title_in_like(description)
        if title is None or _ONLY_LIKE.match(description.strip()) is None:
            return None
        words = search_key(title).split()
        kinds = _kind_words(title)
        if len(words) > MAX_TITLE_WORDS or any(k and w not in _LEADING_ARTICLES for w, k in zip(words, kinds)):
            return None  # "a 1980s action film with cops" describes, however it is asked
        return None if self.search(title, limit=1) else title

    def named_by(self, text: str, limit: int = NAMED_BY_MAX) -> list[int]:
        """The films a description names by title, best first, no artefact: those whose whole
        title it is ("the godfather"), else those whose titles hold every word of it as typed
        when no more than `limit` do ("shawshank", "pulp fiction"); none for words that describe
        a kind of film ("war"), that many titles hold ("the", "love"), or a year alone.
        A free-text search puts them first: "shawshank redemption" found Sling Blade and Fargo."""
        words = search_key(text).split()
        if not any(len(w) >= MIN_TYPO_LENGTH and not w.isdigit() for w in words) or describes_a_kind(text):
            return []  # "war" asks for war films, not for The War (1994)
        named = self.all_named(text)
        if named:
            return [m for m in named if m not in self.artefacts][:limit]
        held = self.search(text, limit=limit + 1, typos=False)
        return [m for m in held if m not in self.artefacts] if len(held) <= limit else []
