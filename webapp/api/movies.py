"""Public catalogue routes: title lookup, one movie, movies like it, free-text search."""
from flask import jsonify

from recommender.store import catalogue, hidden

from ..db import get_db
from ..errors import ApiError
from ..lookups import genre_arg, int_arg, movie_or_404, not_found, text_arg, title_index
from ..serving import get_recommender, left_out_of_similar
from . import bp
from .hidden import bearer_account

DEFAULT_LIMIT = 10


@bp.get("/movies")
def movies():
    """Autocomplete: `{"results": [movie…]}` for the typed text (typos forgiven), best first;
    with a bearer token, none of the films its account hid (a search result like any other:
    `limit` still filled where titles match). The pages' own lookup marks them instead."""
    limit, genre, text = int_arg("limit", DEFAULT_LIMIT), genre_arg(), text_arg("q")
    account = bearer_account()
    hide = hidden.id_set(get_db(), account.id) if account and text else frozenset()
    ids = title_index().search(text, limit=limit + len(hide), genre=genre) if text else []
    ids = [i for i in ids if i not in hide][:limit]
    return jsonify({"results": catalogue.movies_by_ids(get_db(), ids)})


@bp.get("/movies/<int:movie_id>")
def movie(movie_id: int):
    """One movie, as in the contract; with a bearer token, whether its account hid it ("hidden"):
    title lookups and search leave a hidden film out, so its own answer is where a script finds
    that it is hidden, and can show it again."""
    found = movie_or_404(movie_id)
    account = bearer_account()
    if account is not None:
        found = {**found, "hidden": hidden.is_hidden(get_db(), account.id, movie_id)}
    return jsonify(found)


@bp.get("/movies/<int:movie_id>/similar")
def similar(movie_id: int):
    """Movies like this one with a reason each; never the movie itself, nor a film the bearer
    of a token hid or rated as a dislike. The movie, the results and their reasons come from one
    catalogue query."""
    try:
        k, genre = int_arg("k", 10), genre_arg()
    except ApiError:
        movie_or_404(movie_id)  # an unknown movie is a 404 whatever the other parameters
        raise
    if not catalogue.valid_id(movie_id):
        raise not_found(movie_id)
    account = bearer_account()
    hide = left_out_of_similar(account.id, hidden.id_set(get_db(), account.id)) if account else frozenset()
    found, recs = get_recommender().similar_to(movie_id, k=k, genre=genre, hide=hide)
    if found is None:
        raise not_found(movie_id)
    recs = [r for r in recs if r.movie_id != movie_id]
    return jsonify({"movie": found, "results": catalogue.with_movies(get_db(), recs[:k])})


@bp.get("/search")
def search():
    """Movies whose content matches a description ("space opera with robots"), the films it
    names by title first ("shawshank redemption"); with a bearer token, none that its account
    hid, and those its stars call lukewarm or a dislike after the rest."""
    text = text_arg("q")
    if not text:
        raise ApiError(400, "missing_query", "q must describe what you are looking for")
    k, genre = int_arg("k", 10), genre_arg()
    account = bearer_account()
    hide = hidden.id_set(get_db(), account.id) if account else frozenset()
    recs = get_recommender().search(text, k=k, genre=genre, hide=hide, user_id=account.id if account else None,
                                    titled=tuple(title_index().named_by(text)))
    return jsonify({"results": catalogue.with_movies(get_db(), recs)})
