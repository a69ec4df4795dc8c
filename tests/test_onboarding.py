"""Onboarding that learns (issue 19): the question picker on a catalogue whose right answers are
known, and the /onboarding page without JavaScript (Flask test client)."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from recommender.serving.onboarding import QuestionPool
from tests.web_helpers import login_form, signup

# -- the picker, on three kinds of film whose closeness is known ---------------------------------

KINDS = ("Children's", "Horror", "Drama")
PER_KIND = 30


@pytest.fixture(scope="module")
def pool() -> QuestionPool:
    """90 films, 30 of each kind: vectors close within a kind and far across, popularity mixed
    evenly over the kinds (film i of each kind as well known as film i of the others), years
    over four decades."""
    rng = np.random.default_rng(7)
    dims = 12
    centres = np.eye(dims)[: len(KINDS)]
    vectors = np.vstack([centres[k] + 0.25 * rng.standard_normal((PER_KIND, dims)) for k in range(len(KINDS))])
    genres = np.zeros((len(vectors), len(KINDS)), dtype=np.uint8)
    for k in range(len(KINDS)):
        genres[k * PER_KIND:(k + 1) * PER_KIND, k] = 1
    counts = np.tile(np.linspace(500, 20, PER_KIND), len(KINDS)) + np.repeat(np.arange(len(KINDS)), PER_KIND)
    years = np.tile(1960 + 10 * (np.arange(PER_KIND) % 4), len(KINDS)).astype(float)
    return QuestionPool.build(vectors, counts, genres, years)


def kind_of(rows) -> list[str]:
    return [KINDS[int(r) // PER_KIND] for r in rows]


def share(rows, kind: str) -> float:
    return kind_of(rows).count(kind) / len(rows)


def test_a_first_batch_spreads_over_every_kind(pool):
    first = pool.next_batch([], [], [], 9)
    assert len(first) == 9 and {kind_of(first).count(k) for k in KINDS} == {3}


def test_a_childrens_film_lovers_next_batch_leans_childrens(pool):
    first = pool.next_batch([], [], [], 10)
    loved = next(r for r in first if kind_of([r])[0] == "Children's")
    batch = pool.next_batch([loved], [5.0], [], 10)
    assert share(batch, "Children's") > share(first, "Children's")
    assert share(batch, "Children's") >= 0.5
    assert {"Horror", "Drama"} & set(kind_of(batch))  # still covering other kinds


def test_a_horror_fan_gets_another_batch_than_a_childrens_film_lover(pool):
    horror = pool.next_batch([PER_KIND], [5.0], [], 10)
    children = pool.next_batch([0], [5.0], [], 10)
    assert share(horror, "Horror") >= 0.5 and share(horror, "Horror") > share(children, "Horror")
    assert set(horror) != set(children)


def test_not_seen_pushes_that_kind_back(pool):
    before = pool.next_batch([], [], [], 10)
    unseen = [r for r in before if kind_of([r])[0] == "Horror"]
    after = pool.next_batch([], [], unseen, 10)
    assert share(after, "Horror") < share(before, "Horror")


def test_never_offers_a_rated_or_not_seen_film(pool):
    rated, unseen = [0, 1, 2, 31], [3, 30, 60, 61]
    offered: list[int] = []
    while len(batch := pool.next_batch(rated, [5.0, 4.0, 3.0, 1.0], unseen, 10)):
        assert not set(batch.tolist()) & (set(rated) | set(unseen))
        offered += batch.tolist()
        unseen = unseen + batch.tolist()  # everything offered was not seen
    assert len(offered) == len(set(offered)) == 90 - len(rated) - 4  # the pool runs out, nothing asked twice


def test_the_same_answers_give_the_same_batch(pool):
    answers = ([0, 45], [5.0, 2.0], [70])
    assert pool.next_batch(*answers, 10).tolist() == pool.next_batch(*answers, 10).tolist()


# -- the page, without JavaScript ----------------------------------------------------------------

def batch_of(html: str) -> list[int]:
    return [int(m) for m in re.findall(r'name="shown" value="(\d+)"', html)]


def token_of(html: str) -> str:
    return re.search(r'name="s" value="([^"]*)"', html).group(1)


@pytest.fixture(params=["indexed", "factor", "popularity"])
def newcomer(request):
    """A logged-in new account, on a built index version (the picker; the dense hybrid, and the
    large-catalogue model) and without one (the popular round-robin)."""
    app = request.getfixturevalue("app")
    if request.param != "popularity":
        app.config["MODEL_FAMILY"] = "dense" if request.param == "indexed" else "factor"
        result = app.test_cli_runner().invoke(args=["index", "rebuild"])
        assert result.exit_code == 0 and f"model family: {app.config['MODEL_FAMILY']}" in result.output
    client = app.test_client()
    signup(client, "newcomer")
    assert login_form(client, "newcomer").status_code == 302
    return client


def get_page(client, path: str = "/onboarding", status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    return response.get_data(as_text=True)


def answer(client, html: str, ratings: dict[int, str], action: str = "next", **extra):
    """Post the batch on the page: `ratings` given, every other film left at "Not seen"."""
    shown = batch_of(html)
    data = {"s": token_of(html), "action": action, "shown": [str(m) for m in shown],
            **{f"rating-{m}": v for m, v in ratings.items()}, **extra}
    return client.post("/onboarding", data=data)


def test_answers_bring_a_new_batch_and_not_seen_films_stay_away(newcomer):
    first = get_page(newcomer)
    batch = batch_of(first)
    assert 8 <= len(batch) <= 12 and len(set(batch)) == len(batch)
    assert 'id="onb-feed" hidden' in first  # nothing liked yet: no feed button
    assert "Rate at least 5 for a better feed" in first
    moved = answer(newcomer, first, {batch[0]: "5", batch[1]: "2.5"})
    assert moved.status_code == 302 and "/onboarding?s=" in moved.location
    second = get_page(newcomer, moved.location)
    again = batch_of(second)
    assert again and not set(again) & set(batch)  # rated and not seen: never offered again
    assert 'id="onb-feed" hidden' not in second and "Save and see my feed" in second
    assert "you have rated 2" in second
    third = get_page(newcomer, answer(newcomer, second, {}).location)
    assert not set(batch_of(third)) & (set(batch) | set(again))


def test_one_liked_film_is_enough_for_the_feed(newcomer):
    first = get_page(newcomer)
    done = answer(newcomer, first, {batch_of(first)[0]: "4.5"}, action="feed")
    assert done.status_code == 302 and done.location.endswith("/feed")
    assert newcomer.get("/feed").status_code == 200


def test_skip_goes_to_the_feed_and_saves_nothing(newcomer):
    first = get_page(newcomer)
    skipped = answer(newcomer, first, {batch_of(first)[0]: "4"}, action="skip")
    assert skipped.status_code == 302 and skipped.location.endswith("/feed")
    assert "you have rated" not in get_page(newcomer)


def test_search_finds_a_film_to_rate_and_keeps_the_answers(newcomer):
    first = get_page(newcomer)
    found = answer(newcomer, first, {batch_of(first)[0]: "4"}, action="search", q="toy stroy")
    assert found.status_code == 302 and parse_qs(urlparse(found.location).query)["q"] == ["toy stroy"]
    html = get_page(newcomer, found.location)
    assert 'id="onb-found"' in html and "Toy Story" in html
    assert 'name="rating-1"' in html and 1 not in batch_of(html)  # found, so not asked again below
    rated = answer(newcomer, html, {1: "5"})
    after = get_page(newcomer, rated.location)
    assert "you have rated 2" in after and 1 not in batch_of(after)
    picked = get_page(newcomer, f"/onboarding?pick=2&s={token_of(after)}")
    assert re.search(r'id="onb-found".*data-movie-id="2"', picked, re.DOTALL)
    assert "No film matches" in get_page(newcomer, "/onboarding?q=zzzzqqq")


def test_a_search_does_not_count_the_films_beside_it_as_not_seen(newcomer):
    """Searching with a batch half answered: the films left unanswered may come again."""
    first = get_page(newcomer)
    batch = batch_of(first)
    found = answer(newcomer, first, {batch[0]: "4", batch[1]: "3"}, action="search", q="toy story")
    html = get_page(newcomer, found.location)
    assert set(batch[2:]) & set(batch_of(html)), (batch, batch_of(html))
    assert "you have rated 2" in html


def test_a_search_leaves_the_batch_as_it_is(newcomer):
    """The page says so: the films being answered stay, in their order, the rated ones with their
    stars, and the page opens at what was found."""
    first = get_page(newcomer)
    batch = [m for m in batch_of(first) if m != 3]  # Star Wars is what is searched for
    found = answer(newcomer, first, {batch[0]: "4", batch[1]: "2"}, action="search", q="star wars")
    assert found.location.endswith("#onb-search-heading")
    html = get_page(newcomer, found.location)
    assert [m for m in batch_of(html) if m != 3] == batch
    for movie, stars in ((batch[0], "4"), (batch[1], "2")):
        assert re.search(rf'name="rating-{movie}" value="{stars}"[^>]*checked', html), movie


def test_a_forged_or_foreign_not_seen_field_is_ignored(newcomer, request):
    first = get_page(newcomer)
    batch = batch_of(first)
    mine = get_page(newcomer, answer(newcomer, first, {}).location)
    token = token_of(mine)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert set(batch_of(get_page(newcomer, f"/onboarding?s={forged}"))) & set(batch)  # a fresh start
    other = newcomer.application.test_client()
    signup(other, "other")
    assert login_form(other, "other").status_code == 302
    assert batch_of(get_page(other, f"/onboarding?s={token}")) == batch  # not this account's list


def test_bad_input_is_a_form_error(newcomer):
    first = get_page(newcomer)
    bad = answer(newcomer, first, {batch_of(first)[0]: "7"})
    assert bad.status_code == 400 and 'role="alert"' in bad.get_data(as_text=True)
    assert "at most" in get_page(newcomer, "/onboarding?q=" + "x" * 300, 400)
    assert answer(newcomer, first, {}, action="dance").status_code == 400
    odd = newcomer.post("/onboarding", data={"shown": ["abc", "99999999999999"], "rating-x": "4"})
    assert odd.status_code == 302


def test_a_star_saved_on_its_click_is_not_saved_again_by_the_batch(newcomer):
    """onboarding.js saves a star through POST /ratings/<id> as it is clicked; the batch's submit
    then carries the same answer: the rating is kept as it is (not written twice), a changed star
    is saved, and a film rated either way is not offered again."""
    from webapp.db import get_db

    first = get_page(newcomer)
    batch = batch_of(first)
    assert 'data-rate-url="/ratings/%d"' % batch[0] in first and 'data-saved=""' in first
    fetch = {"X-Requested-With": "fetch"}
    saved = newcomer.post(f"/ratings/{batch[0]}", data={"rating": "1"}, headers=fetch)
    assert saved.status_code == 201 and saved.get_json()["rating"] == 1
    assert newcomer.post(f"/ratings/{batch[1]}", data={"rating": "4"}, headers=fetch).status_code == 201
    with newcomer.application.app_context():
        db = get_db()
        (user,) = db.execute("SELECT id FROM users WHERE username = 'newcomer'").fetchone()
        with db.conn:
            db.execute("UPDATE ratings SET timestamp = 1000 WHERE movie_id IN (?, ?)", (batch[0], batch[1]))
    moved = answer(newcomer, first, {batch[0]: "1", batch[1]: "3.5"})
    assert moved.status_code == 302
    with newcomer.application.app_context():
        rows = {m: (r, t) for m, r, t in get_db().execute(
            "SELECT movie_id, rating, timestamp FROM ratings WHERE user_id = ?", (user,))}
    assert rows[batch[0]] == (1.0, 1000)  # the same star: left as it was saved
    assert rows[batch[1]][0] == 3.5 and rows[batch[1]][1] > 1000  # changed in the form: saved
    second = get_page(newcomer, moved.location)
    assert "you have rated 2" in second and not set(batch_of(second)) & set(batch)
