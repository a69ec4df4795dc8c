"""`/onboarding`: right after sign-up, a few ratings so the feed has something to go on.

One form per batch of films (about ten), each with the star widget and its "Not seen" choice,
and a title search to find and rate any film. Every submit saves the ratings given and asks for
the next batch, which follows all the answers so far (recommender.serving.onboarding). The
films left at "Not seen" are remembered for this questionnaire in a signed field that travels
with the form and its links (`s`): no table to add, migrate or clean up for an answer that
matters only until the person reaches the feed, it works without JavaScript and across the
search, and the signature (bound to the account) means a page cannot be handed someone else's
list or a forged one. A film the person rated is never offered again. The feed button appears
once they have rated a film they liked; five ratings are a hint, never a wall.

With JavaScript, each star click is saved at once through the feed's own route (`POST
/ratings/<id>`; "Not seen" after a saved star, its delete), so leaving the page by any link keeps
it (onboarding.js). The form still carries every answer: a click whose save failed is saved by the
submit, and a rating already stored with the same value is not written again (its time kept)."""
from __future__ import annotations

import logging

from flask import current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeSerializer

from recommender import store
from recommender.models import preferences
from recommender.serving import onboarding as questions
from recommender.store import catalogue, user_ratings

from ..db import get_db
from ..lookups import MAX_QUERY, title_index
from ..serving import get_recommender
from . import bp

log = logging.getLogger(__name__)

BATCH = questions.BATCH
ENOUGH = 5  # ratings after which the feed has a fair idea (a hint, not a wall)
FOUND = 5  # search results shown at once
REMEMBERED = 500  # "not seen" answers kept (the latest): a few questionnaires' worth, a short URL
ACTIONS = ("next", "search", "feed", "save", "skip")  # save: the one-page form's name for feed


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="onboarding-not-seen")


def _not_seen(token: str | None) -> list[int]:
    """The films this person marked not seen, from the signed field; none when it is missing,
    forged, or signed for another account (a fresh start, not an error)."""
    if not token:
        return []
    try:
        data = _signer().loads(token)
    except BadSignature:
        log.info("onboarding: an unsigned or altered not-seen field was ignored")
        return []
    if not isinstance(data, dict) or data.get("u") != current_user.id or not isinstance(data.get("n"), list):
        return []
    return [m for m in data["n"] if isinstance(m, int)][-REMEMBERED:]


def _token(not_seen: list[int]) -> str:
    return _signer().dumps({"u": current_user.id, "n": list(dict.fromkeys(not_seen))[-REMEMBERED:]})


def _form_ids(name: str) -> list[int]:
    """The movie ids of a repeated hidden field; non-numbers are dropped."""
    return [int(v) for v in request.form.getlist(name) if v.isdigit() and len(v) < 10]


def _submitted_ratings() -> tuple[dict[int, float], str | None]:
    """The `rating-<id>` fields that hold a value, and an error when one is not a rating."""
    chosen: dict[int, float] = {}
    for name, value in request.form.items():
        movie_id = name.removeprefix("rating-")
        if name.startswith("rating-") and movie_id.isdigit() and len(movie_id) < 10 and value:
            try:
                chosen[int(movie_id)] = user_ratings.parse_form_value(value)
            except user_ratings.RatingError as exc:
                return chosen, str(exc)
    return chosen, None


def _search(text: str, pick: int | None) -> list[int]:
    """The picked suggestion first, then the title search's best matches."""
    found = [pick] if pick is not None and catalogue.exists(get_db(), pick) else []
    if text:
        found += title_index().search(text, limit=FOUND)
    return list(dict.fromkeys(found))[:FOUND]


def _next_batch(ratings: dict[int, float], not_seen: list[int], found: list[int]) -> list[int]:
    """The films to ask about next: the live version's picker, or today's popular round-robin
    when no version is loaded (a fresh install before its first rebuild)."""
    skip = set(ratings) | set(not_seen) | set(found)
    index = get_recommender().index
    if index is not None:
        picks = questions.next_films(get_db(), index, ratings, not_seen, n=BATCH + len(found))
        return [m for m in picks if m not in skip][:BATCH]
    return [m["id"] for m in catalogue.onboarding_picks(get_db(), n=BATCH, exclude=skip)]


def _page(not_seen: list[int], text: str = "", pick: int | None = None, error: str | None = None,
          chosen: dict[int, float] | None = None, status: int = 200, keep: list[int] | None = None):
    """The questionnaire as it stands for this person: search results, then the next batch.
    `keep`: the batch the person was answering when they searched, kept as it was (rated films
    with their stars) rather than asked again of the picker."""
    db = get_db()
    ids, stars = store.user_rating_arrays(db, current_user.id)
    ratings = dict(zip(ids.tolist(), stars.tolist()))
    not_seen = [m for m in not_seen if m not in ratings]
    found = _search(text, pick)
    kept = [m for m in dict.fromkeys(keep or []) if m not in found and m not in not_seen and catalogue.exists(db, m)]
    batch = kept[:BATCH] or _next_batch(ratings, not_seen, found)
    movies = {m["id"]: m for m in catalogue.movies_by_ids(db, found + batch)}
    liked, _ = preferences.masks_of(stars)
    shown = set(found) | set(batch)  # the films on the page, whose stars the page itself says
    liked_elsewhere = sum(1 for m, is_liked in zip(ids.tolist(), liked.tolist()) if is_liked and m not in shown)
    return render_template(
        "onboarding.html", found=[movies[m] for m in found if m in movies],
        picks=[movies[m] for m in batch if m in movies], current={**ratings, **(chosen or {})}, saved=ratings,
        token=_token(not_seen), text=text, searched=bool(text or pick), error=error,
        rated=len(ratings), liked=bool(liked.any()), liked_elsewhere=liked_elsewhere, enough=ENOUGH,
        remembered=len(not_seen)), status


@bp.get("/onboarding")
@login_required
def onboarding():
    """The next batch of films to rate, after the answers so far; `q` searches titles, `pick`
    shows one film found by the autocomplete first."""
    not_seen = _not_seen(request.args.get("s"))
    text = request.args.get("q", "").strip()
    if len(text) > MAX_QUERY:
        return _page(not_seen, error=f"A search is at most {MAX_QUERY} characters.", status=400)
    pick = request.args.get("pick", "")
    keep = [int(m) for m in request.args.get("keep", "").split(",")[:BATCH] if m.isdigit() and len(m) < 10]
    return _page(not_seen, text, int(pick) if pick.isdigit() and len(pick) < 10 else None, keep=keep)


@bp.post("/onboarding")
@login_required
def answer():
    """Save the ratings given, remember the films left at "Not seen", then: the next batch
    (`next`), the search (`search`), the feed (`feed`), or the feed without saving (`skip`)."""
    action = request.form.get("action", "next")
    if action == "skip":
        return redirect(url_for("pages.feed"))
    not_seen = _not_seen(request.form.get("s"))
    if action not in ACTIONS:
        return _page(not_seen, error="Choose one of the buttons.", status=400)
    chosen, error = _submitted_ratings()
    db = get_db()
    chosen = {m: v for m, v in chosen.items() if catalogue.exists(db, m)}
    text = request.form.get("q", "").strip()
    if error is None and len(text) > MAX_QUERY:
        error = f"A search is at most {MAX_QUERY} characters."
    if error:
        return _page(not_seen, error=error, chosen=chosen, status=400)
    for movie_id, value in chosen.items():  # a star saved on its click (onboarding.js) is not written again
        user_ratings.put(db, current_user.id, movie_id, value)
    if action == "next":  # a film left unanswered when asking for the next ones was not seen;
        # a search says nothing about the films shown beside it: they may be offered again
        not_seen += [m for m in _form_ids("shown") if m not in chosen]
    if action in ("feed", "save"):
        return redirect(url_for("pages.feed"))
    args = {"s": _token(not_seen)}
    if action == "search":  # the batch stays as it is, and the page opens at what was found
        pick = request.form.get("pick", "")
        args.update(q=text or None, pick=pick if pick.isdigit() and len(pick) < 10 else None,
                    keep=",".join(str(m) for m in _form_ids("shown")) or None, _anchor="onb-search-heading")
    return redirect(url_for("pages.onboarding", **{k: v for k, v in args.items() if v}))
