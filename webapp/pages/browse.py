"""Public pages: `/` (movies like X, and free-text search) and `/movies/<id>`."""
from flask import redirect, render_template, request, url_for
from flask_login import current_user

from recommender.serving.title_search import title_in_like
from recommender.store import catalogue, rating_stats, user_ratings

from ..db import get_db
from ..errors import ApiError
from ..lookups import genre_arg, text_arg, title_index
from ..serving import get_recommender, left_out_of_similar
from . import bp, hidden_ids, rating_steps
from .cards import predict, predict_items

RESULTS = 20
SIMILAR = 12


@bp.get("/")
def index():
    """One box finds a title (autocomplete, typos forgiven); the other describes a movie in words.
    The title box's genre narrows the list of films like it, not the title looked up (Toy Story
    and Western: westerns like Toy Story); a title that names one film opens that film's list.
    A description never finds a film the user hid; a title asked for by name does, marked hidden
    with a way to show it again. A description that names a film ("movies like Alien", typos
    forgiven) goes to that film's page, where its list is; one naming a film the catalogue lacks
    says so above what its words find."""
    mode = "text" if request.args.get("mode") == "text" else "title"
    text, genre = text_arg("q"), genre_arg()
    db, titles, results, hide = get_db(), [], [], frozenset()
    like = title_in_like(text) if text and mode == "text" else None
    meant = title_index().meant(like) if like else None
    if meant is not None:
        return redirect(movie_list_url(meant, genre))
    missing = title_index().lacks(text) if like else None  # "movies like The Matrix": not here
    if text and mode == "text":
        hide = hidden_ids()
        mine = current_user.id if current_user.is_authenticated else None  # the stars the cards show order them
        results = predict_items(catalogue.with_movies(
            db, get_recommender().search(text, k=RESULTS, genre=genre, hide=hide, user_id=mine)))
        # a description that is a title ("shawshank") offers the film by name above the rest
        titles = [m for m in catalogue.movies_by_ids(db, title_index().named_by(text)) if m["id"] not in hide]
    elif text:
        named = title_index().all_named(text)
        if len(named) == 1:  # "Alien" and Find: Alien's list, not a list of one title to click
            return redirect(movie_list_url(named[0], genre))
        hide = hidden_ids()
        titles = catalogue.movies_by_ids(db, title_index().search(text, limit=RESULTS))
        predict(titles)
    newest = newest_year(db) if text and (missing or not (titles or results)) else None
    return render_template("index.html", mode=mode, text=text, genre=genre, missing=missing,
                           titles=titles, results=results, hidden=hide, newest=newest)


def movie_list_url(movie_id: int, genre: str | None) -> str:
    """Where "movies like X" (in `genre`, when one is chosen) is: X's page, at its list."""
    return url_for("pages.movie", movie_id=movie_id, genre=genre, _anchor="similar-heading")


def newest_year(db) -> int | None:
    """The year of the catalogue's newest film: a lookup that finds nothing says how far the
    catalogue goes (the default MovieLens 100K ends in 1998), read only then."""
    years = [y for y in catalogue.years(db)[1] if y is not None]
    return max(years, default=None)


@bp.get("/movies/<int:movie_id>")
def movie(movie_id: int):
    """Details, the stars I would give it and how everybody rated it (a chart), my rating (when
    logged in) and movies like this one, each with its reason; none of the similar films is one
    the user hid or rated as a dislike, and this one offers "Not interested" or its undo."""
    db = get_db()
    found = catalogue.movie(db, movie_id)
    if found is None:
        raise ApiError(404, "movie_not_found", f"There is no movie with id {movie_id}.")
    genre = genre_arg()
    hide = hidden_ids()
    left_out = left_out_of_similar(current_user.id if current_user.is_authenticated else None, hide)
    recs = [r for r in get_recommender().similar(movie_id, k=SIMILAR, genre=genre, hide=left_out)
            if r.movie_id != movie_id]
    mine = user_ratings.get(db, current_user.id, movie_id) if current_user.is_authenticated else None
    similar = catalogue.with_movies(db, recs)
    predict([*([] if movie_id in hide else [found]), *(item["movie"] for item in similar)])  # hidden: a dislike
    return render_template("movie.html", movie=found, genre=genre, mine=mine, is_hidden=movie_id in hide,
                           similar=similar, spread=chart_rows(rating_stats.distribution(db, movie_id, rating_steps())))


def chart_rows(spread: list[tuple[float, int]]) -> list[tuple[float, int]]:
    """The movie page's chart rows, most stars first: one per star, and one per half star that
    somebody gave (ML-100K knows whole stars only: empty half-star bars would say nothing, and
    one 4.5 must not bring five empty ones)."""
    return [(stars, n) for stars, n in reversed(spread) if n or not stars % 1]
