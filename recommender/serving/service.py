"""feed / similar / search: the recommender as the app and notebooks use it. No Flask here.

One loaded index version (models, FAISS) plus the live store: a user's ratings are read at the
moment of the call and folded into the hybrid, so a rating made a second ago counts without a
rebuild. With no usable index every call falls back to popularity from the store."""
from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sqlite_utils

from recommender import store
from recommender.models import item_similarity, preferences
from recommender.models.base import top_rows
from recommender.models.genres import genre_matrix
from recommender.models.hybrid_base import BECAUSE_PEERS
from recommender.serving import explain
from recommender.serving.browse import Browse, rated_at_least
from recommender.serving.index import LoadedIndex
from recommender.serving.memo import array_key
from recommender.store import catalogue, rating_stats
from recommender.text import content, spelling
from recommender.text.titles import search_key
from recommender.vectors import ann, faiss_io

MAX_K = 100
SEARCH_CANDIDATES = 200  # per source, in a catalogue too big to score whole
# Up to here every movie is scored (one items x dim product, 0.03 ms on ML-100K): the content
# index is an exact flat one up to this size too, and its search reads the same whole matrix.
SEARCH_SCAN_MAX_ITEMS = ann.APPROXIMATE_ABOVE
SEARCH_GENRE_WEIGHT = 0.5  # a description that matches a genre well outweighs a stray title word
ARTEFACT_PENALTY = 100.0  # more than any text, genre and popularity score together
# MiniLM's cosines, read on ML-100K: strings of random letters ("xyzzy", "asdfgh qwerty") come
# within 0.16-0.25 of the nearest film's text, a real word or title 0.3 and more; and a genre a
# description evokes stands 0.28 or more above the median genre ("zombie apocalypse": horror),
# one it does not ("movies", "boxing") under 0.2
UNKNOWN_WORDS_TEXT = 0.3  # a description of no known word that no film comes this close to: nothing
GENRE_CLAIM = 0.25  # "Matches: horror" only for a genre the description evokes this far above the median
# A pick the person's predicted stars call lukewarm goes this many places down the feed, and one
# they call a dislike twice as many: a fixed number of places, so every page of a feed is a slice
# of one order (moving them "to the end" of a list as long as the page made pages overlap)
LUKEWARM_PLACES = 30

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recommendation:
    movie_id: int
    score: float
    reason: str
    movie: dict | None = field(default=None, compare=False, repr=False)  # the catalogue row, when read


def _finite(recs: list[Recommendation], question: str) -> list[Recommendation]:
    """`recs` without those whose score is NaN or infinite. JSON has no such numbers (a client
    would read null, or fail to parse NaN), and a model that produced one is damaged or wrong,
    not sure of itself: such a pick is dropped, and the fact logged."""
    kept = [r for r in recs if math.isfinite(r.score)]
    if len(kept) < len(recs):
        log.warning("%s: %d of %d scores were not finite; dropped", question, len(recs) - len(kept), len(recs))
    return kept


def _finite_scores(method):
    """The one gate every answer of feed, similar and search leaves through (similar_to's is a
    (movie, recommendations) pair): no non-finite score reaches a response."""
    @functools.wraps(method)
    def gated(*args, **kwargs):
        answer = method(*args, **kwargs)
        if isinstance(answer, tuple):
            return answer[0], _finite(answer[1], method.__name__)
        return _finite(answer, method.__name__)
    return gated


def _has_a_known_word(text: str) -> bool:
    """Whether a description holds a word the text model reads whole, or one with a digit (a
    title's "se7en", a year)."""
    known = spelling.known_words()
    return not known or any(w in known or not w.isalpha() for w in search_key(text).split())


def _unrated(rows: np.ndarray, rated: np.ndarray) -> np.ndarray:
    """The known `rows` (-1: a film not in the index) that are not in `rated`, in their order: a
    set for the handful a person hid or wants (np.setdiff1d costs more than a whole feed
    answered from the memo)."""
    seen = set(rated.tolist())
    return np.array([r for r in rows.tolist() if r >= 0 and r not in seen], dtype=np.int64)


def _copy(movie: dict | None) -> dict | None:
    """A movie dict of a remembered answer, to be changed by no one but this request (a page
    sets the person's predicted stars on its cards)."""
    return None if movie is None else dict(movie)


def _with_movie(recs: list[Recommendation], movies: dict[int, dict]) -> list[Recommendation]:
    """`recs` carrying the catalogue rows already read for their reasons, so the caller's
    response needs no second query (catalogue.with_movies uses them)."""
    return [Recommendation(r.movie_id, r.score, r.reason, movies.get(r.movie_id)) for r in recs]


TOP_RATED_MIN_RATINGS = 10  # "highest rated" ranks the films this many people rated before the others
VARIED_POOL = 80  # the most-rated films a new user's list varies among (four times its first page)


def varied_order(counts: list[int], genre_lists: list[list[str]]) -> list[int]:
    """A popular list (`counts`, most-rated first) reordered greedily so that each genre already
    shown lowers a film's turn: count / (1 + films shown of its genres / 2). Ties go to the
    earlier film. Positions in the list."""
    _, has = genre_matrix(genre_lists)
    has = has.astype(np.float64)
    value = np.asarray(counts, dtype=np.float64)
    shown = np.zeros(has.shape[1])
    taken = np.zeros(len(counts), dtype=bool)
    order = []
    for _ in range(len(counts)):
        turn = value / (1 + has @ shown / 2)
        turn[taken] = -np.inf
        best = int(np.argmax(turn))
        order.append(best)
        taken[best] = True
        shown += has[best]
    return order


class Recommender:
    """feed, similar and search over `index` (None: popularity only) and the store `db`."""

    def __init__(self, db: sqlite_utils.Database, index: LoadedIndex | None = None,
                 embedder_for: Callable[[str], object] | None = None):
        self.db = db
        self.index = index
        self._embedder_for = embedder_for
        self._ratings_read: tuple[int, store.RatingsNow] | None = None  # the user's ratings last read

    def user_ratings(self, user_id: int, fresh: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The user's rated movie ids and stars: read now when `fresh` (the feed always reads
        them so), else those this Recommender last read for the user, if any: the predicted
        stars on a feed response use the very ratings the feed was computed from, read once."""
        now = self._ratings_now(user_id, fresh)
        return now.ids, now.stars

    def _ratings_now(self, user_id: int, fresh: bool = False) -> store.RatingsNow:
        """user_ratings, with when each was made."""
        if fresh or self._ratings_read is None or self._ratings_read[0] != user_id:
            self._ratings_read = (user_id, store.user_ratings_now(self.db, user_id))
        return self._ratings_read[1]

    def disliked(self, user_id: int) -> frozenset[int]:
        """The films the user's stars call a dislike on their own scale (preferences.masks_of):
        "movies like X" leaves them out, as it does the hidden ones; search still finds them."""
        ids, stars = self.user_ratings(user_id, fresh=True)
        return frozenset(np.asarray(ids)[preferences.masks_of(stars)[1]].tolist())

    @property
    def index_version(self) -> str | None:
        return self.index.version if self.index is not None else None

    # -- shared pieces ---------------------------------------------------------------------
    def _allowed(self, genre: str | None, hide: frozenset[int] = frozenset()) -> np.ndarray:
        """Item rows that pass the genre filter and are not hidden by the user, one copy of a
        film the catalogue lists twice (a fresh array)."""
        allowed = self.index.stand_ins()
        if genre is not None:
            allowed &= self.index.genre_mask(genre)
        if hide:
            rows = self.index.rows(sorted(hide))
            allowed[self.index.same_films(rows[rows >= 0])] = False
        return allowed

    def _years(self) -> np.ndarray:
        """Each item row's year (NaN where unknown), read from the store once per index version
        (its rows are the version's films): only browsing asks."""
        return self.index.memo.get(("years",), self._read_years)

    def _read_years(self) -> np.ndarray:
        ids, years = catalogue.years(self.db)
        out = np.full(len(self.index.items), np.nan)
        rows = self.index.rows(ids)
        out[rows[rows >= 0]] = np.array([np.nan if y is None else y for y in years], dtype=np.float64)[rows >= 0]
        return out

    def _browsed(self, browse: Browse, hide: frozenset[int]) -> np.ndarray:
        """`_allowed` for a browse: in any of its genres, within its years, not hidden."""
        allowed = self._allowed(None, hide)
        if browse.genres:
            allowed &= np.logical_or.reduce([self.index.genre_mask(g) for g in browse.genres])
        if browse.by_years:
            years = self._years()
            low = -np.inf if browse.year_from is None else browse.year_from
            high = np.inf if browse.year_to is None else browse.year_to
            allowed &= (years >= low) & (years <= high)  # NaN (no year) is in no range
        if browse.min_rating is not None:
            allowed &= rated_at_least(self.db, self.index, browse.min_rating)
        return allowed

    def _order(self, browse: Browse, rated: np.ndarray, stars: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(a score per item row for the browse's sort, predicted stars per row or None); "best"
        for a user without ratings is popularity."""
        model, counts = self.index.model, self.index.popularity.astype(np.float64)
        tie = counts / max(counts.max(), 1.0) * 1e-3  # among equals, the better known first
        if browse.sort == "predicted" and self.index.rating_model is not None and len(rated):
            predicted = self.index.rating_model.predict(rated, stars, np.arange(len(self.index.items)))
            return predicted + tie, predicted
        if browse.sort in ("top_rated", "predicted") and "quality" in model.parts:
            # films TOP_RATED_MIN_RATINGS people rated first: shrunk towards everyone's mean, one
            # 1-star rating reads 3.3 and passed a western a hundred people gave 3.2 on average
            enough = counts >= TOP_RATED_MIN_RATINGS
            return np.asarray(model.parts["quality"].item_scores(), dtype=np.float64) + enough + tie, None
        if browse.sort == "newest":
            return np.nan_to_num(self._years(), nan=0.0) + tie, None
        return self._counts_now(), None

    def _counts_now(self) -> np.ndarray:
        """Each item row's rating count as the store has it now (rating_stats.counts)."""
        ids, counts = rating_stats.counts(self.db)
        out = np.zeros(len(self.index.items))
        rows = self.index.rows(ids)
        out[rows[rows >= 0]] = np.asarray(counts, dtype=np.float64)[rows >= 0]
        return out

    def _unwanted(self, rated: np.ndarray, stars: np.ndarray) -> np.ndarray:
        """Per item row, whether a person's own newest, most popular or highest rated leave it
        out: of a kind their dislikes said no to (GenreTaste.said_no, as their feed does) or
        predicted to be a dislike on their scale (`_unwelcome`). The order stays the one they
        asked for (newest first is newest first), but a horror hater's newest is not Phantoms."""
        out = np.zeros(len(self.index.items), dtype=bool)
        if not len(rated):
            return out
        genres = self.index.model.parts.get("genres")
        if genres is not None:
            liked, disliked = preferences.masks_of(stars)
            out |= genres.said_no(rated, liked, disliked, np.arange(len(out)))
        if self.index.rating_model is not None:
            out |= self._unwelcome(rated, stars, np.arange(len(out))) == 2
        return out

    def _titles(self, movie_ids) -> dict[int, dict]:
        return {m["id"]: m for m in catalogue.movies_by_ids(self.db, [int(i) for i in movie_ids])}

    def _popular(self, exclude: set[int], genre: str | None, k: int, offset: int = 0) -> list[Recommendation]:
        """Most-rated movies, varied across genres: for users with no ratings, and with no index.
        The VARIED_POOL most rated are ordered for variety (`varied_order`), the rest follow by
        their counts, so every page (`offset`) and every k is a slice of one order."""
        wanted = max(offset + k, VARIED_POOL)
        if self.index is not None:
            counts, allowed = self.index.popularity, self._allowed(genre)
            excluded = self.index.rows(sorted(exclude))
            allowed[excluded[excluded >= 0]] = False
            rows = top_rows(counts.astype(np.float64), allowed, wanted)
            pool = [(int(self.index.items.term(int(r))), int(counts[r]), self.index.genres_of(int(r)))
                    for r in rows if counts[r] > 0]
        else:
            pool = [(movie_id, count, genres.split("|") if genres else [])
                    for movie_id, count, genres in store.popular_movies(self.db, genre, wanted + len(exclude))
                    if movie_id not in exclude]
        head = pool[:VARIED_POOL]
        picked = [head[i] for i in varied_order([c for _, c, _ in head], [g for _, _, g in head])]
        picked = (picked + pool[VARIED_POOL:])[:offset + k]
        top = picked[0][1] if picked else 1
        picked = picked[offset:]
        # the reason counts the ratings as the card beside it does, as they are now: the index's
        # counts are those of its build
        movies = self._titles([m for m, _, _ in picked])
        return [Recommendation(m, round(count / top, 4),
                               explain.popular(movies.get(m, {}).get("num_ratings", count)), movies.get(m))
                for m, count, _ in picked]

    # -- the three questions ---------------------------------------------------------------
    @_finite_scores
    def feed(self, user_id: int, k: int = 20, genre: str | None = None, *,
             hide: frozenset[int] = frozenset(), watchlist: frozenset[int] = frozenset(),
             browse: Browse = Browse()) -> list[Recommendation]:
        """Personalized top-k, never a movie the user rated nor one in `hide` or `watchlist`
        (left out before the top k is taken, so k still come back); popular and varied for a new
        user. `browse` narrows (genres, years), orders and pages the list (with no index, only
        the popular list of one genre or all); `genre` is one genre to narrow to. One query for
        the ratings, one for the catalogue rows of the picks."""
        if genre is not None:
            browse = Browse(browse.genres + (genre,), browse.year_from, browse.year_to, browse.sort, browse.offset)
        ratings = self._ratings_now(user_id, fresh=True)
        rated_ids, stars = ratings.ids, ratings.stars
        history_hide, hide = hide, hide | watchlist  # a watchlisted film is known: never suggested
        rows = self.index.rows(rated_ids) if self.index is not None else np.zeros(0, np.int64)
        known = rows >= 0
        if self.index is None or (not known.any() and browse.at_most_a_genre):
            return self._popular(set(rated_ids.tolist()) | hide, browse.genres[0] if browse.genres else None, k,
                                 browse.offset)
        ids = self.index.movie_ids
        rated = np.asarray(rows[known], dtype=np.int64)
        allowed = self._browsed(browse, hide)
        allowed[self.index.same_films(rated)] = False  # under either of its ids
        # what a reason may name: never a film the person said "not interested" to, rated or not
        liked = preferences.favourites(stars[known]) & ~np.isin(rated_ids[known], list(history_hide))
        wanted = browse.offset + k
        if browse.sort == "best" and len(rated):
            times = ratings.times()[known] if self.index.model.reads_times(len(rated)) else None
            history, history_stars, history_times = self._history(rated, stars[known], times, history_hide, watchlist)
            key = ("feed", wanted, browse.offset, catalogue.signature(self.db),
                   array_key(history, history_stars, rated[liked], np.packbits(allowed),
                             *(() if history_times is None else (history_times,))))
            read: dict[int, dict] = {}  # the catalogue rows a miss reads for its reasons
            picks = self.index.memo.get(key, lambda: self._reasoned(*self._explained(
                history, history_stars, history_times, len(rated), rated[liked], wanted, allowed),
                browse.offset, dict(zip(rated_ids.tolist(), stars.tolist())), rated_ids[known][liked], read))
            movies = read or self._titles(m for m, _, _ in picks)
            return [Recommendation(m, score, reason or explain.popular_or_yours(movies.get(m, {}), bool(liked.any())),
                                   movies.get(m))
                    for m, score, reason in picks]
        order, predicted = self._order(browse, rated, stars[known])
        if browse.sort != "predicted":
            allowed &= ~self._unwanted(rated, stars[known])
        top = top_rows(order, allowed, wanted)[browse.offset:]
        top_ids = ids[top].tolist()
        movies = self._titles(top_ids)  # the sort put them there: its reason says so
        return [Recommendation(m, float(order[r]), explain.sorted_by(
                    browse.sort, movies.get(m, {}), None if predicted is None else float(predicted[r])), movies.get(m))
                for m, r in zip(top_ids, top.tolist())]

    def _reasoned(self, top: np.ndarray, scores: np.ndarray, because: np.ndarray, loved_with: np.ndarray,
                  loved_by: np.ndarray, offset: int, star_of: dict[int, float], liked_ids: np.ndarray,
                  read: dict[int, dict]) -> tuple[tuple[int, float, str | None], ...]:
        """The page of `_explained`'s picks from `offset`, as (movie id, score, reason): "Because
        you rated X", the people like you who loved a film of the user's, or a liked film of
        its kind. The same while the version, the catalogue's titles and the user's ratings
        stay (the feed's memo key holds them all); None where the reason rests on the pick's
        rating counts, which change with every rating anyone makes (the caller words it). The
        catalogue rows of the picks and of the films their reasons name go into `read`."""
        ids = self.index.movie_ids
        top, scores = ids[top[offset:]].tolist(), scores[offset:].tolist()
        causes = [int(ids[b]) if b >= 0 else None for b in because[offset:].tolist()]
        shared = [int(ids[b]) if b >= 0 else None for b in loved_with[offset:].tolist()]
        movies = self._titles(dict.fromkeys(top + [c for c in causes + shared if c is not None]))
        read.update(movies)
        liked_movies = functools.cache(lambda: list(self._titles(liked_ids.tolist()).values()))
        page = []
        for movie_id, score, cause_id, row, shared_id, people in zip(
                top, scores, causes, because[offset:].tolist(), shared, loved_by[offset:].tolist()):
            if cause_id is not None and cause_id in movies:
                reason = explain.because_you_rated(movies[cause_id]["display_title"], star_of.get(cause_id))
            elif row == BECAUSE_PEERS:
                reason = (explain.loved_along_with(movies[shared_id]["display_title"], people)
                          if shared_id in movies else explain.PEOPLE_LIKE_YOU)
            else:  # the liked films' titles are read once, and only if asked
                reason = explain.like_a_liked_film(movies.get(movie_id, {}).get("genres") or (), liked_movies())
            page.append((movie_id, score, reason))
        return tuple(page)

    def _explained(self, history: np.ndarray, history_stars: np.ndarray, history_times: np.ndarray | None, n_rated: int,
                   liked: np.ndarray, k: int, allowed: np.ndarray) -> tuple[np.ndarray, ...]:
        """The model's top k (the first `n_rated` of `history` are the user's ratings, the rest
        hidden and watchlisted films; `history_times` when each was made, None: not read) with,
        per pick, the liked row that raised it most (or BECAUSE_PEERS), and for the picks people
        like the user raised, the liked film most of them also loved and how many did (-1 and 0
        elsewhere).

        A pick whose predicted stars (the rating model every card shows) read as lukewarm
        (preferences.lukewarm) goes LUKEWARM_PLACES down, and one they read as a dislike on this
        person's own scale (preferences.classify) twice as far: a feed "for you" showing "You'd
        rate it about 1.9★" contradicts itself. The model ranks that many more than k, enough
        for the first k of that order to be exact: no pick moves up. The order is otherwise the
        model's."""
        model = self.index.model
        top, scores, because = model.feed_explained(history, liked, k + 2 * LUKEWARM_PLACES, allowed, history_stars,
                                                    history_times)
        order = self._by_predicted_stars(history[:n_rated], history_stars[:n_rated], top, LUKEWARM_PLACES)
        top, scores, because = top[order][:k], scores[order][:k], because[order][:k]
        loved_with, loved_by = np.full(len(top), -1, np.int64), np.zeros(len(top), np.int64)
        by_peers = np.flatnonzero(because == BECAUSE_PEERS)
        if len(by_peers):
            loved_with[by_peers], loved_by[by_peers] = model.shared_love(liked, top[by_peers], explain.FEW_PEOPLE)
        return top, scores, because, loved_with, loved_by

    def _by_predicted_stars(self, rated: np.ndarray, stars: np.ndarray, rows: np.ndarray,
                            places: int | None = None) -> np.ndarray:
        """Positions of `rows` (item rows, in the order a model ranked them) with those the
        person's stars call lukewarm (preferences.lukewarm) `places` further down and their
        dislikes (preferences.classify) twice as far (default: the lukewarm after the others
        and the dislikes last), ties in the given order: the stars each card shows, their own
        for a film they rated, else the rating model's prediction from `rated` and `stars`. The
        order as given without a rating model or a rating."""
        if self.index.rating_model is None or not len(rated):
            return np.arange(len(rows))
        down = len(rows) if places is None else places
        return np.argsort(np.arange(len(rows)) + down * self._unwelcome(rated, stars, rows), kind="stable")

    def _unwelcome(self, rated: np.ndarray, stars: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Per row, 2 where the stars its card shows (the person's own for a film they rated,
        else the rating model's prediction from `rated` and `stars`) read as a dislike on their
        scale (preferences.classify), 1 where lukewarm (preferences.lukewarm), else 0."""
        stars = np.asarray(stars, dtype=np.float64)
        shown = self.index.rating_model.predict(rated, stars, rows)
        rated, rows = np.asarray(rated, dtype=np.int64), np.asarray(rows, dtype=np.int64)
        if len(rated):
            by_row = np.argsort(rated)
            at = by_row[np.minimum(np.searchsorted(rated, rows, sorter=by_row), len(rated) - 1)]
            shown = np.where(rated[at] == rows, stars[at], shown)
        _, disliked = preferences.classify(shown, float(stars.mean()))
        cool = preferences.lukewarm(shown, preferences.usual_stars(stars)) & ~disliked
        return cool.astype(np.int64) + 2 * disliked

    def _history(self, rated: np.ndarray, stars: np.ndarray, times: np.ndarray | None, hide: frozenset[int],
                 watchlist: frozenset[int] = frozenset()) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The rated rows, their stars and times (None: not read), plus the films marked "not
        interested" that are not rated, each as a dislike (preferences.HIDDEN_STARS), and the
        watchlisted films neither rated nor hidden, each as a mild like (preferences.
        WATCHLIST_STARS), both as old as the oldest rating: the latest likes the feed weighs are
        ratings. Reasons are drawn from the liked rated films only (preferences.favourites), so
        none says "because you rated X 1★" nor names a film the user has not seen."""
        hidden = _unrated(self.index.rows(sorted(hide)), rated)
        wanted = _unrated(self.index.rows(sorted(watchlist)), np.concatenate([rated, hidden]))
        history = np.concatenate([rated, hidden, wanted])
        history_stars = np.concatenate([stars, np.full(len(hidden), preferences.HIDDEN_STARS, np.float32),
                                        np.full(len(wanted), preferences.WATCHLIST_STARS, np.float32)])
        if times is None:
            return history, history_stars, None
        oldest = float(times.min()) if len(times) else 0.0
        listed = np.full(len(hidden) + len(wanted), oldest)
        return history, history_stars, np.concatenate([np.asarray(times, dtype=np.float64), listed])

    def similar(self, movie_id: int, k: int = 10, genre: str | None = None, *,
                hide: frozenset[int] = frozenset()) -> list[Recommendation]:
        """Movies like `movie_id` (never itself nor one in `hide`): co-ratings blended with content."""
        return self.similar_to(movie_id, k, genre, hide=hide)[1]

    @_finite_scores
    def similar_to(self, movie_id: int, k: int = 10, genre: str | None = None, *,
                   hide: frozenset[int] = frozenset()) -> tuple[dict | None, list[Recommendation]]:
        """`movie_id`'s catalogue row (None: no such movie) and `similar`, from one catalogue query.
        `hide` goes to the model as exclusions, so k neighbours still come back. A film in the
        index has its answer from the version's memo while nothing it shows changed; its movie
        dicts are copies, which a page may decorate for its person."""
        row = int(self.index.rows([movie_id])[0]) if self.index is not None else -1
        if row < 0:
            recs = self._similar_to_new_movie(movie_id, k, genre, hide)
            movies = self._titles([movie_id, *(r.movie_id for r in recs)])
            return movies.get(movie_id), _with_movie(recs, movies)
        key = ("similar", row, k, genre, hide, catalogue.versions(self.db))
        query, recs = self.index.memo.get(key, lambda: self._similar_rows(row, movie_id, k, genre, hide))
        return _copy(query), [Recommendation(r.movie_id, r.score, r.reason, _copy(r.movie)) for r in recs]

    def _similar_rows(self, row: int, movie_id: int, k: int, genre: str | None,
                      hide: frozenset[int]) -> tuple[dict | None, tuple[Recommendation, ...]]:
        """`similar_to` of a film in the index, worked out: the same answer for every request
        while the version, the catalogue's titles and everyone's ratings stay (the memo's key
        holds all three: a rating anywhere changes some film's count or average)."""
        exclude = None if genre is None and not hide else np.flatnonzero(~self._allowed(genre, hide))
        rows, scores, sources = self.index.model.similar_items(row, k, exclude=exclude)
        keep = np.isfinite(scores)
        rows, scores, sources = rows[keep], scores[keep], sources[keep]
        ids = self.index.items.terms(rows).tolist()
        movies = self._titles([movie_id, *ids])
        query = movies.get(movie_id, {"display_title": str(movie_id), "genres": []})
        evidence, shared = self._similar_evidence(row, movie_id, query, rows, ids, sources)
        recs = []
        for i, score, source, cited, both in zip(ids, scores.tolist(), sources.tolist(), evidence, shared):
            movie = movies.get(i, {})
            reason = explain.similar_reason(source, query["display_title"], query["genres"],
                                            movie.get("genres", []), movie.get("display_title", ""),
                                            evidence=cited, query_year=query.get("year"), year=movie.get("year"),
                                            shared=both)
            recs.append(Recommendation(i, score, reason, movies.get(i)))
        return movies.get(movie_id), tuple(recs)

    def _similar_evidence(self, row: int, movie_id: int, query: dict, rows: np.ndarray, ids: list[int],
                          sources: np.ndarray) -> tuple[list, list]:
        """Per film of X's list, (how many who loved X rated it, their mean stars) and, where
        that is no reason (explain.convincing), (how many of X's raters rated it, X's raters):
        the stored evidence of X's list where it holds the film and convinces, else counted in
        the store now (a list narrowed to a genre goes past the stored films; a film few people
        rated has no convincing evidence)."""
        evidence_of = getattr(self.index.model, "similar_evidence", None)  # stored with the lists
        stored = evidence_of(row, rows) if evidence_of is not None else None
        evidence = [None] * len(ids) if stored is None else list(zip(stored[0].tolist(), stored[1].tolist()))
        shared: list = [None] * len(ids)
        cited = {explain.SOURCE_CORATING, explain.SOURCE_KIND}
        weak = [n for n, (source, e) in enumerate(zip(sources.tolist(), evidence))
                if source in cited and not explain.convincing(e)]
        if weak:
            counted = rating_stats.shared_raters(self.db, movie_id, [ids[n] for n in weak])
            raters = int(query.get("num_ratings") or 0)
            for n in weak:
                both, loved, mean = counted.get(ids[n], (0, 0, 0.0))
                evidence[n], shared[n] = (loved, mean), (both, max(raters, both))
        return evidence, shared

    def _similar_to_new_movie(self, movie_id: int, k: int, genre: str | None,
                              hide: frozenset[int] = frozenset()) -> list[Recommendation]:
        """A movie added since the last rebuild has no co-ratings and no vector yet: embed its
        text now and look for its nearest texts in the content index."""
        usable = self.index is not None and self._embedder_for is not None
        movie = store.movie_for_text(self.db, movie_id) if usable else None
        if movie is None:
            return self._popular({movie_id} | hide, genre, k)
        vector = self._embedder_for(self.index.embedder).encode([content.movie_text(movie)])[0]
        wanted = len(self.index.items) if genre else k + 1 + len(hide)
        ids, scores = faiss_io.search(self.index.content_index, vector, wanted)
        if genre:
            keep = self._allowed(genre)[self.index.rows(ids)]
            ids, scores = ids[keep], scores[keep]
        pairs = [(int(i), float(s)) for i, s in zip(ids, scores)
                 if int(i) != movie_id and int(i) not in hide][:k]
        movies = self._titles([i for i, _ in pairs])
        base = item_similarity.base_title(movie.get("title") or movie["display_title"])

        def source(other: dict) -> int:  # the same series when the titles are, once sequel marks are set aside
            same = base and item_similarity.base_title(other.get("title") or "") == base
            return explain.SOURCE_SERIES if same else explain.SOURCE_CONTENT

        return [Recommendation(i, s, explain.similar_reason(
                    source(movies.get(i, {})), movie["display_title"], movie["genres"],
                    movies.get(i, {}).get("genres", []), movies.get(i, {}).get("display_title", ""),
                    query_year=movie.get("year"), year=movies.get(i, {}).get("year")))
                for i, s in pairs]

    @_finite_scores
    def search(self, text: str, k: int = 10, genre: str | None = None, *,
               hide: frozenset[int] = frozenset(), user_id: int | None = None,
               titled: tuple[int, ...] = ()) -> list[Recommendation]:
        """Movies whose content matches a description ("space opera with robots"), none in `hide`;
        none for a description without a word (letters or digits, recommender.text.titles.search_key);
        a misspelt genre word is put right first (recommender.text.spelling). For `user_id`, the
        matches their stars call lukewarm or a dislike come after the others, as in the feed
        (`_by_predicted_stars`: "Alien" at 4.0★ before "Alien: Resurrection" at 2.8★). The
        movies of `titled` (ids the description names by title: TitleIndex.named_by) come first.

        Each movie scores its text similarity to the description, plus how well its genres match
        the genres the description evokes, plus a little of how known and liked it is
        (LoadedIndex.search_prior), so a description that names no title still finds the films
        people mean. A catalogue up to SEARCH_SCAN_MAX_ITEMS is scored whole (one product); a
        bigger one only on candidates: the nearest texts in the FAISS content index and the
        best-known movies of the two best-matching genres."""
        if not search_key(text):  # "!!!???", an emoji: no word to match, nothing matches
            return []
        text = spelling.corrected(text)  # "horor movies" is "horror movies"
        if self.index is None or self._embedder_for is None:
            return self._popular(set(hide), genre, k)
        index = self.index
        query = self._embedder_for(index.embedder).encode([text])[0]
        affinity = index.genre_vectors @ query
        genre_match = np.clip(affinity - np.median(affinity), 0, None)
        genre_match /= max(float(genre_match.max()), 1e-6)
        if len(index.items) <= SEARCH_SCAN_MAX_ITEMS:
            rows = None if genre is None else np.flatnonzero(index.genre_mask(genre))
            text_scores = np.asarray(index.content_vectors) @ query
            genre_scores = index.genre_weights(genre_match)
            if rows is not None:
                text_scores, genre_scores = text_scores[rows], genre_scores[rows]
        else:
            rows = self._search_candidates(query, genre_match, genre)
            text_scores = np.asarray(index.content_vectors[rows]) @ query
            genre_scores = index.genre_weights(genre_match, rows)
        if not _has_a_known_word(text) and float(text_scores.max(initial=0.0)) < UNKNOWN_WORDS_TEXT:
            return []  # "xyzzy": no word the text model knows, and no film's text near it
        prior = index.search_prior if rows is None else index.search_prior[rows]
        scores = text_scores + SEARCH_GENRE_WEIGHT * genre_scores + prior
        artefact = index.model.arrays.get("similar_artefact") if index.model is not None else None
        if artefact is not None:  # `unknown`, a genre-less film one person rated: never ahead of a real film
            scores = np.where(artefact[slice(None) if rows is None else rows] > 0, scores - ARTEFACT_PENALTY, scores)
        shown = self._allowed(genre, hide)  # hidden films masked before the top k is taken
        named = index.rows(list(titled))
        named = named[named >= 0]
        named = named[shown[named]][:k]
        shown[named] = False  # listed first, not again
        order = top_rows(scores, shown if rows is None else shown[rows], k if user_id is None else k + k // 2)
        picked = order if rows is None else rows[order]
        if user_id is not None:
            rated_ids, stars = self.user_ratings(user_id, fresh=True)
            known = index.rows(rated_ids)
            mine = self._by_predicted_stars(known[known >= 0], stars[known >= 0], picked)[:k]
            order, picked = order[mine], picked[mine]
        named_scores = (np.asarray(index.content_vectors[named]) @ query
                        + SEARCH_GENRE_WEIGHT * index.genre_weights(genre_match, named) + index.search_prior[named])
        picked = np.concatenate([named, picked])[:k]
        picked_scores = np.concatenate([named_scores, scores[order]])[:k]
        top_ids = index.items.terms(picked).tolist()
        movies = self._titles(top_ids)
        words = frozenset(re.findall(r"\w+", text.casefold()))
        evoked = (genre_match >= 0.5) & (affinity - np.median(affinity) >= GENRE_CLAIM)
        matched = frozenset(index.genre_names[g] for g in np.flatnonzero(evoked))
        return [Recommendation(movie_id, score, explain.search_reason(
                    words, movies.get(movie_id, {"display_title": "", "genres": []}), matched),
                    movies.get(movie_id))  # the response needs no second catalogue query
                for movie_id, score in zip(top_ids, picked_scores.tolist())]

    def _search_candidates(self, query: np.ndarray, genre_match: np.ndarray, genre: str | None) -> np.ndarray:
        """Item rows worth scoring in a big catalogue: the SEARCH_CANDIDATES nearest texts and the
        best-known movies of the two genres the description matches best (in `genre`, if given)."""
        index = self.index
        ids, _ = faiss_io.search(index.content_index, query, SEARCH_CANDIDATES)
        found = [index.rows(ids)]
        found += [index.popular_in_genre(int(g), SEARCH_CANDIDATES) for g in np.argsort(-genre_match)[:2]]
        rows = np.unique(np.concatenate(found))
        rows = rows[rows >= 0]
        return rows if genre is None else rows[index.genre_mask(genre)[rows]]
