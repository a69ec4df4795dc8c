""""Want to watch" (issue 19): the API, the store, the feed and the pages.

A watchlisted film leaves that user's feed (it is known already) over the popularity fallback
and a built index alike, and counts as a mild like that is never named in a reason; "want to
watch" and "not interested" undo each other; refused writes leave the store as it was; the pages
offer the toggle on every card and on the movie page to a logged-in user only, behind CSRF, and
`/watchlist` lists the films with a way to take each off."""
import re
from pathlib import Path

import numpy as np
import pytest

from recommender import store
from recommender.models import preferences
from recommender.serving.index import current_version, load_index
from recommender.serving.service import Recommender
from recommender.store import catalogue, watchlist
from recommender.text import embedders
from tests.conftest import snapshot
from tests.test_hidden import card_ids, error_code, html, ids_of, site  # noqa: F401  (fixture)
from tests.web_helpers import imported_app, signup


# --- the API (its auth: tests/test_movie_lists_api.py) ---------------------------------------

def test_unknown_movies_and_films_not_listed_are_404_and_change_nothing(app, client):
    user = signup(client)
    before = snapshot(app.config["DATABASE"])
    for path in ("/api/watchlist/999", "/api/watchlist/99999999999999999999999"):
        assert error_code(client.put(path, headers=user["headers"]), 404) == "movie_not_found"
        assert error_code(client.delete(path, headers=user["headers"]), 404) == "movie_not_found"
    for path in ("/api/watchlist/abc", "/api/watchlist/-1", "/api/watchlist/3.5", "/api/watchlist/0"):
        response = client.put(path, headers=user["headers"])
        assert response.status_code == 404 and error_code(response, 404) in {"not_found", "movie_not_found"}
    assert error_code(client.delete("/api/watchlist/3", headers=user["headers"]), 404) == "watchlist_not_found"
    assert error_code(client.post("/api/watchlist/3", headers=user["headers"]), 405) == "method_not_allowed"
    assert snapshot(app.config["DATABASE"]) == before


def test_add_is_idempotent_listed_newest_first_and_removed(client, monkeypatch):
    user = signup(client)
    clock = iter([1_000_000_000, 1_000_000_100, 1_000_000_200])
    monkeypatch.setattr("recommender.store.user_ratings.now", lambda: next(clock))
    put = lambda movie: client.put(f"/api/watchlist/{movie}", headers=user["headers"])
    first = put(3)
    assert first.status_code == 201 and first.get_json() == {"movie_id": 3, "watchlist": True}
    assert put(6).status_code == 201
    again = put(3)
    assert again.status_code == 200 and again.get_json() == {"movie_id": 3, "watchlist": True}
    results = client.get("/api/watchlist", headers=user["headers"]).get_json()["results"]
    assert [(r["movie"]["id"], r["added_at"]) for r in results] == [
        (6, "2001-09-09T01:48:20Z"), (3, "2001-09-09T01:46:40Z")]  # adding again kept the first time
    assert set(results[0]) == {"movie", "added_at"} and results[0]["movie"]["title"] == "Godfather, The (1972)"
    assert "predicted_rating" in results[0]["movie"]  # a movie object like any other
    deleted = client.delete("/api/watchlist/3", headers=user["headers"])
    assert deleted.status_code == 204 and deleted.get_data() == b""
    assert error_code(client.delete("/api/watchlist/3", headers=user["headers"]), 404) == "watchlist_not_found"
    assert ids_of(client.get("/api/watchlist", headers=user["headers"])) == [6]


def test_users_do_not_share_watchlists(client):
    alice, bob = signup(client, "alice"), signup(client, "bob")
    assert client.put("/api/watchlist/3", headers=alice["headers"]).status_code == 201
    assert ids_of(client.get("/api/watchlist", headers=bob["headers"])) == []
    assert error_code(client.delete("/api/watchlist/3", headers=bob["headers"]), 404) == "watchlist_not_found"
    assert 3 in ids_of(client.get("/api/feed?k=100", headers=bob["headers"]))
    assert 3 not in ids_of(client.get("/api/feed?k=100", headers=alice["headers"]))


def test_want_to_watch_and_not_interested_undo_each_other_and_keep_a_rating(client):
    user = signup(client)
    h = user["headers"]
    assert client.put("/api/ratings/3", json={"rating": 4}, headers=h).status_code == 201
    assert client.put("/api/hidden/3", headers=h).status_code == 201
    assert client.put("/api/watchlist/3", headers=h).status_code == 201
    assert ids_of(client.get("/api/hidden", headers=h)) == []  # wanting it shows it again
    assert client.put("/api/hidden/3", headers=h).status_code == 201
    assert ids_of(client.get("/api/watchlist", headers=h)) == []  # not interested ends "want to watch"
    assert [(r["movie"]["id"], r["rating"]) for r in
            client.get("/api/ratings", headers=h).get_json()["results"]] == [(3, 4.0)]


def test_rating_a_film_takes_it_off_the_watchlist(client):
    """Rated means seen: the film leaves "want to watch", as logging it does on Letterboxd."""
    user = signup(client)
    h = user["headers"]
    for movie in (3, 4):
        assert client.put(f"/api/watchlist/{movie}", headers=h).status_code == 201
    assert client.put("/api/ratings/3", json={"rating": 4.5}, headers=h).status_code == 201
    assert ids_of(client.get("/api/watchlist", headers=h)) == [4]


# --- the feed --------------------------------------------------------------------------------

def test_a_watchlisted_film_is_not_in_the_feed_and_k_still_come_back(any_app):
    client = any_app.test_client()
    user = signup(client)
    client.put("/api/ratings/1", json={"rating": 5}, headers=user["headers"])
    before = ids_of(client.get("/api/feed?k=5", headers=user["headers"]))
    for movie_id in before[:2]:
        assert client.put(f"/api/watchlist/{movie_id}", headers=user["headers"]).status_code == 201
    after = ids_of(client.get("/api/feed?k=5", headers=user["headers"]))
    assert len(after) == 5 and not set(after) & set(before[:2])
    everything = ids_of(client.get("/api/feed?k=100", headers=user["headers"]))
    assert everything and not set(everything) & set(before[:2])
    drama = ids_of(client.get("/api/feed?k=100&genre=Drama", headers=user["headers"]))
    assert drama and not set(drama) & set(before[:2])
    client.delete(f"/api/watchlist/{before[0]}", headers=user["headers"])
    assert before[0] in ids_of(client.get("/api/feed?k=100", headers=user["headers"]))


def test_a_new_users_popular_feed_leaves_watchlisted_films_out(any_app):
    client = any_app.test_client()
    user = signup(client)
    before = ids_of(client.get("/api/feed?k=5", headers=user["headers"]))
    client.put(f"/api/watchlist/{before[0]}", headers=user["headers"])
    after = ids_of(client.get("/api/feed?k=5", headers=user["headers"]))
    assert len(after) == 5 and before[0] not in after


def test_watchlisted_films_stay_in_similar_lists_and_search(client):
    """Only the feed leaves them out: "movies like X" may well name a film I want to see."""
    user = signup(client)
    similar = ids_of(client.get("/api/movies/3/similar?k=5", headers=user["headers"]))
    client.put(f"/api/watchlist/{similar[0]}", headers=user["headers"])
    assert ids_of(client.get("/api/movies/3/similar?k=5", headers=user["headers"])) == similar


def test_reasons_never_name_a_watchlisted_film(indexed_app):
    """Watchlisted films are mild likes in the history, but "Because you rated X" names rated films only."""
    client = indexed_app.test_client()
    user = signup(client)
    h = user["headers"]
    client.put("/api/ratings/1", json={"rating": 5}, headers=h)
    client.put("/api/ratings/3", json={"rating": 4.5}, headers=h)
    wanted = ids_of(client.get("/api/feed?k=8", headers=h))
    for movie_id in wanted:
        assert client.put(f"/api/watchlist/{movie_id}", headers=h).status_code == 201
    db = store.connect(indexed_app.config["DATABASE"])
    title = lambda movie_id: catalogue.movie(db, movie_id)["display_title"]
    rated_titles, titles = {title(1), title(3)}, {title(m) for m in wanted}
    db.close()
    results = client.get("/api/feed?k=100", headers=h).get_json()["results"]
    assert results and not {r["movie"]["id"] for r in results} & set(wanted)
    for r in results:
        named = re.match(r"Because you rated (.+?) \d", r["reason"])
        assert not any(t in r["reason"] for t in titles), r["reason"]
        assert named is None or named.group(1) in rated_titles, r["reason"]


def test_the_history_reads_the_watchlist_as_mild_likes(indexed_app):
    """Rated stars win over the watchlist, hidden films too; the rest come in at WATCHLIST_STARS,
    which is never a dislike and a like only for a person who rates low."""
    db = store.connect(indexed_app.config["DATABASE"])
    try:
        root = Path(indexed_app.config["INDEX_ROOT"])
        rec = Recommender(db, load_index(root / current_version(root)), embedders.get_embedder)
        rows = rec.index.rows([1, 2, 3, 4])
        history, stars, times = rec._history(np.array([rows[0]], np.int64), np.array([2.0], np.float32),
                                             np.array([1000.5]), frozenset({2}), frozenset({1, 2, 3, 4}))
        assert dict(zip(history.tolist(), stars.tolist())) == {
            rows[0]: 2.0, rows[1]: preferences.HIDDEN_STARS,
            rows[2]: preferences.WATCHLIST_STARS, rows[3]: preferences.WATCHLIST_STARS}
        assert times.tolist() == [1000.5] * 4  # listed films are as old as the oldest rating
    finally:
        db.close()
    liked, disliked = preferences.classify(np.array([preferences.WATCHLIST_STARS] * 2), np.array([3.8, 2.9]))
    assert liked.tolist() == [False, True] and not disliked.any()


def test_watchlisting_raises_the_films_neighbours(indexed_app):
    """A mild positive signal: films like the one I want to watch climb my feed."""
    client = indexed_app.test_client()
    user = signup(client)
    h = user["headers"]
    for movie_id, stars in ((1, 4.0), (7, 3.0), (12, 2.0)):
        client.put(f"/api/ratings/{movie_id}", json={"rating": stars}, headers=h)
    target = 6
    neighbours = ids_of(client.get(f"/api/movies/{target}/similar?k=5"))
    def scores():
        body = client.get("/api/feed?k=100", headers=h).get_json()["results"]
        return {r["movie"]["id"]: r["score"] for r in body}
    before = scores()
    client.put(f"/api/watchlist/{target}", headers=h)
    after = scores()
    rank = lambda s, m: sorted(s, key=s.get, reverse=True).index(m) if m in s else len(s)
    moved = [rank(after, m) - rank(before, m) for m in neighbours if m in before and m in after]
    assert moved and sum(moved) < 0, (moved, neighbours)


# --- the store -------------------------------------------------------------------------------

def test_store_functions_and_cascades(app):
    db = store.connect(app.config["DATABASE"])
    try:
        db.execute("INSERT INTO users (id, username) VALUES (5000, 'zed')")
        db.conn.commit()
        assert watchlist.ids(db, 5000).dtype == np.int64 and watchlist.ids(db, 5000).size == 0
        assert watchlist.add(db, 5000, 3, at=10) is True
        assert watchlist.add(db, 5000, 6, at=20) is True
        assert watchlist.add(db, 5000, 3, at=30) is False
        assert sorted(watchlist.ids(db, 5000).tolist()) == [3, 6] and watchlist.id_set(db, 5000) == {3, 6}
        assert watchlist.contains(db, 5000, 3) and not watchlist.contains(db, 5000, 4)
        assert not watchlist.contains(db, 5000, 2**70)
        assert [r["movie"]["id"] for r in watchlist.listing(db, 5000)] == [6, 3]
        assert watchlist.remove(db, 5000, 3) is True and watchlist.remove(db, 5000, 3) is False
        assert watchlist.remove(db, 5000, 2**70) is False
        with db.atomic():
            db.execute("DELETE FROM movies WHERE id = 6")
        assert watchlist.id_set(db, 5000) == frozenset()
        watchlist.add(db, 5000, 3)
        with db.atomic():
            db.execute("DELETE FROM users WHERE id = 5000")
        assert db.execute("SELECT count(*) FROM watchlist").fetchone()[0] == 0
    finally:
        db.close()


def test_an_old_store_gets_the_table_when_the_app_starts(app, instance):
    db = store.connect(app.config["DATABASE"])
    db.execute("DROP TABLE watchlist")
    db.close()
    client = imported_app(instance, WTF_CSRF_ENABLED=False).test_client()
    user = signup(client, "late")
    assert client.put("/api/watchlist/3", headers=user["headers"]).status_code == 201


def test_the_openapi_document_describes_the_routes(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert set(paths["/api/watchlist/{movie_id}"]) == {"put", "delete"} and set(paths["/api/watchlist"]) == {"get"}


# --- the pages -------------------------------------------------------------------------------

def watch_forms(page: str) -> dict[int, bool]:
    """Movie id -> pressed, for every "Want to watch" toggle on the page."""
    found = {}
    for form in re.findall(r'<form class="watch[^"]*".*?</form>', page, re.S):
        movie_id = int(re.search(r'action="/watchlist/(\d+)', form).group(1))
        found[movie_id] = 'aria-pressed="true"' in form
    return found


def test_the_toggle_is_on_every_card_and_the_movie_page(site):
    feed = html(site, "/feed")
    assert len(card_ids(feed)) == 20 and set(watch_forms(feed)) == set(card_ids(feed))
    assert "Want to watch" in feed and 'class="watch js-leave"' in feed  # the feed lets the card go
    movie = html(site, "/movies/3")
    assert set(watch_forms(movie)) == set(card_ids(movie)) | {3}
    search = html(site, "/?mode=text&q=space+robots")
    assert card_ids(search) and set(watch_forms(search)) == set(card_ids(search))
    assert 'class="watch js-watch"' in search  # elsewhere it toggles in place
    titles = html(site, "/?q=star+war")
    assert 3 in watch_forms(titles)
    assert 'href="/watchlist"' in feed and ">Watchlist</a>" in feed


def watch_panel(page: str) -> str:
    """The movie page's "Want to watch?" panel: "shown", "hidden" or "absent"."""
    found = re.search(r'<section aria-labelledby="watch-heading" class="panel" id="watch-panel"( hidden)?>', page)
    return "absent" if not found else "hidden" if found.group(1) else "shown"


def test_a_film_the_person_rated_offers_no_toggle(site):
    """Rated is seen: its cards and its movie page no longer ask "Want to watch?"."""
    similar = card_ids(html(site, "/movies/3"))
    site.post(f"/ratings/{similar[0]}", data={"csrf_token": site.csrf, "rating": "4"})
    movie = html(site, "/movies/3")
    assert similar[0] in card_ids(movie) and similar[0] not in watch_forms(movie)
    assert watch_panel(html(site, f"/movies/{similar[0]}")) == "hidden"  # (for a rating cleared in place)
    assert watch_panel(movie) == "shown"


def test_visitors_see_no_toggle(tmp_path):
    client = imported_app(tmp_path / "instance", WTF_CSRF_ENABLED=True).test_client()
    for path in ("/movies/3", "/?mode=text&q=space+robots", "/?q=star"):
        page = html(client, path)
        assert card_ids(page) and not watch_forms(page) and "Want to watch" not in page
    assert client.get("/watchlist").status_code == 302


def test_posts_need_the_csrf_token_and_change_nothing_without_it(site):
    for path in ("/watchlist/3", "/watchlist/3/delete"):
        refused = site.post(path, data={"next": "/feed"})
        assert refused.status_code == 400 and "Reload the page and try again" in refused.get_data(as_text=True)
        fetched = site.post(path, headers={"X-Requested-With": "fetch"})
        assert error_code(fetched, 400) == "csrf_failed"
    assert "Your watchlist is empty" in html(site, "/watchlist")


def test_add_from_the_feed_then_take_off_from_the_watchlist_page(site):
    first = card_ids(html(site, "/feed"))[0]
    response = site.post(f"/watchlist/{first}", data={"csrf_token": site.csrf, "next": "/feed"})
    assert response.status_code == 302 and response.location == "/feed"
    feed = html(site, "/feed")
    assert first not in card_ids(feed) and len(card_ids(feed)) == 20 and "On your watchlist: " in feed
    listed = html(site, "/watchlist")
    assert card_ids(listed) == [first] and watch_forms(listed) == {first: True}
    assert "Added on <time" in listed and 'class="watch js-leave"' in listed
    assert 'action="/hidden/' not in listed  # no "Not interested" beside "want to watch"
    assert f'action="/ratings/{first}"' in listed  # seen it: rate it from here
    # the empty-state message is on the page for app.js to show when the last card leaves in place
    assert '<p id="watchlist-empty" hidden>Your watchlist is empty' in listed
    assert 'data-empty="watchlist-empty"' in listed
    removed = site.post(f"/watchlist/{first}/delete", data={"csrf_token": site.csrf, "next": "/watchlist"})
    assert removed.status_code == 302 and removed.location == "/watchlist"
    emptied = html(site, "/watchlist")
    assert '<p id="watchlist-empty">Your watchlist is empty' in emptied and 'id="watchlist"' not in emptied
    assert first in card_ids(html(site, "/feed"))
    site.post(f"/watchlist/{first}", data={"csrf_token": site.csrf})
    rated = site.post(f"/ratings/{first}", data={"csrf_token": site.csrf, "rating": "4", "next": "/watchlist"})
    assert rated.status_code == 302 and rated.location == "/watchlist"


def test_the_movie_page_toggles_without_javascript(site):
    page = html(site, "/movies/3")
    assert watch_forms(page)[3] is False and 'class="watch"' in page  # a plain form: posts and comes back
    response = site.post("/watchlist/3", data={"csrf_token": site.csrf, "next": "/movies/3"})
    assert response.status_code == 302 and response.location == "/movies/3"
    page = html(site, "/movies/3")
    assert watch_forms(page)[3] is True and "It is on your" in page and "On your watchlist: " in page
    assert 'action="/watchlist/3/delete"' in page
    back = site.post("/watchlist/3/delete", data={"csrf_token": site.csrf, "next": "/movies/3"})
    assert back.status_code == 302 and watch_forms(html(site, "/movies/3"))[3] is False


def test_the_scripts_fetch_gets_json(site):
    fetch = {"X-Requested-With": "fetch", "X-CSRFToken": site.csrf}
    created = site.post("/watchlist/3", headers=fetch)
    assert created.status_code == 201 and created.get_json() == {"movie_id": 3, "watchlist": True, "created": True}
    assert site.post("/watchlist/3", headers=fetch).status_code == 200
    assert site.post("/watchlist/3/delete", headers=fetch).status_code == 204
    assert error_code(site.post("/watchlist/3/delete", headers=fetch), 404) == "watchlist_not_found"
    assert error_code(site.post("/watchlist/999", headers=fetch), 404) == "movie_not_found"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/feed\r\nX: y", ""])
def test_the_redirect_stays_on_site(site, target):
    response = site.post("/watchlist/3", data={"csrf_token": site.csrf, "next": target})
    assert response.status_code == 302 and response.location == "/movies/3"


def test_logged_out_posts_go_to_the_login_page(tmp_path):
    client = imported_app(tmp_path / "instance", WTF_CSRF_ENABLED=False).test_client()
    assert "/login?next=" in client.post("/watchlist/3").location
    assert error_code(client.post("/watchlist/3", headers={"X-Requested-With": "fetch"}), 401) == "unauthorized"


def test_a_locked_store_gives_503_and_nothing_is_written(tmp_path):
    """Acknowledged means stored: under another process's write lock the add is refused, not lost."""
    from tests.test_reliability import ForeignWriter, assert_unavailable

    app = imported_app(tmp_path / "instance", WTF_CSRF_ENABLED=False, DATABASE_BUSY_TIMEOUT_MS=200)
    client = app.test_client()
    user = signup(client)
    lock = ForeignWriter(app.config["DATABASE"])
    try:
        assert_unavailable(client.put("/api/watchlist/3", headers=user["headers"]))
    finally:
        lock.release()
    assert ids_of(client.get("/api/watchlist", headers=user["headers"])) == []
    assert client.put("/api/watchlist/3", headers=user["headers"]).status_code == 201
    lock = ForeignWriter(app.config["DATABASE"])
    try:
        assert_unavailable(client.delete("/api/watchlist/3", headers=user["headers"]))
    finally:
        lock.release()
    assert ids_of(client.get("/api/watchlist", headers=user["headers"])) == [3]
