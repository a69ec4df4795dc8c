""""Not interested" (issue 16): the API, the store, the serving side and the pages.

A hidden film never comes back in that user's feed, similar lists or search results, over the
popularity fallback and over a built index alike; anonymous visitors and other users are not
affected; refused writes leave the store as it was; the pages offer the button on every card to
a logged-in user only, behind CSRF, and undo it from `/hidden`. A film the user rated as a
dislike leaves their similar lists too."""
import re

import numpy as np
import pytest

from recommender import store
from recommender.store import hidden
from tests.conftest import snapshot
from tests.web_helpers import csrf_token, imported_app, login_form, signup


def error_code(response, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return body["error"]["code"]


def ids_of(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["movie"]["id"] for item in response.get_json()["results"]]


# --- the API (its auth: tests/test_movie_lists_api.py) ---------------------------------------

def test_unknown_movies_and_films_not_hidden_are_404_and_change_nothing(app, client):
    user = signup(client)
    before = snapshot(app.config["DATABASE"])
    for path in ("/api/hidden/999", "/api/hidden/99999999999999999999999"):
        assert error_code(client.put(path, headers=user["headers"]), 404) == "movie_not_found"
        assert error_code(client.delete(path, headers=user["headers"]), 404) == "movie_not_found"
    for path in ("/api/hidden/abc", "/api/hidden/-1", "/api/hidden/3.5"):
        assert error_code(client.put(path, headers=user["headers"]), 404) == "not_found"
    assert error_code(client.delete("/api/hidden/3", headers=user["headers"]), 404) == "hidden_not_found"
    assert snapshot(app.config["DATABASE"]) == before


def test_hide_is_idempotent_listed_newest_first_and_undone(client, monkeypatch):
    user = signup(client)
    clock = iter([1_000_000_000, 1_000_000_100, 1_000_000_200])
    monkeypatch.setattr("recommender.store.user_ratings.now", lambda: next(clock))
    put = lambda movie: client.put(f"/api/hidden/{movie}", headers=user["headers"])
    first = put(3)
    assert first.status_code == 201 and first.get_json() == {"movie_id": 3, "hidden": True}
    assert put(6).status_code == 201
    again = put(3)
    assert again.status_code == 200 and again.get_json() == {"movie_id": 3, "hidden": True}
    results = client.get("/api/hidden", headers=user["headers"]).get_json()["results"]
    assert [(r["movie"]["id"], r["hidden_at"]) for r in results] == [
        (6, "2001-09-09T01:48:20Z"), (3, "2001-09-09T01:46:40Z")]  # hiding again kept the first time
    assert set(results[0]) == {"movie", "hidden_at"} and results[0]["movie"]["title"] == "Godfather, The (1972)"
    deleted = client.delete("/api/hidden/3", headers=user["headers"])
    assert deleted.status_code == 204 and deleted.get_data() == b""
    assert error_code(client.delete("/api/hidden/3", headers=user["headers"]), 404) == "hidden_not_found"
    assert ids_of(client.get("/api/hidden", headers=user["headers"])) == [6]


def test_users_do_not_share_hidden_films(client):
    alice, bob = signup(client, "alice"), signup(client, "bob")
    assert client.put("/api/hidden/3", headers=alice["headers"]).status_code == 201
    assert ids_of(client.get("/api/hidden", headers=bob["headers"])) == []
    assert error_code(client.delete("/api/hidden/3", headers=bob["headers"]), 404) == "hidden_not_found"
    assert 3 in ids_of(client.get("/api/feed?k=100", headers=bob["headers"]))
    assert ids_of(client.get("/api/hidden", headers=alice["headers"])) == [3]


def test_hiding_keeps_a_rating(client):
    user = signup(client)
    assert client.put("/api/ratings/3", json={"rating": 4}, headers=user["headers"]).status_code == 201
    assert client.put("/api/hidden/3", headers=user["headers"]).status_code == 201
    ratings = client.get("/api/ratings", headers=user["headers"]).get_json()["results"]
    assert [(r["movie"]["id"], r["rating"]) for r in ratings] == [(3, 4.0)]
    assert client.delete("/api/hidden/3", headers=user["headers"]).status_code == 204
    assert ids_of(client.get("/api/ratings", headers=user["headers"])) == [3]


# --- never shown again -----------------------------------------------------------------------

def test_never_in_the_feed_and_k_still_come_back(any_app):
    client = any_app.test_client()
    user = signup(client)
    client.put("/api/ratings/1", json={"rating": 5}, headers=user["headers"])
    before = ids_of(client.get("/api/feed?k=5", headers=user["headers"]))
    for movie_id in before[:2]:
        assert client.put(f"/api/hidden/{movie_id}", headers=user["headers"]).status_code == 201
    after = ids_of(client.get("/api/feed?k=5", headers=user["headers"]))
    assert len(after) == 5 and not set(after) & set(before[:2])
    everything = ids_of(client.get("/api/feed?k=100", headers=user["headers"]))
    assert everything and not set(everything) & set(before[:2])
    drama = ids_of(client.get("/api/feed?k=100&genre=Drama", headers=user["headers"]))
    assert drama and not set(drama) & set(before[:2])
    client.delete(f"/api/hidden/{before[0]}", headers=user["headers"])
    assert before[0] in ids_of(client.get("/api/feed?k=100", headers=user["headers"]))


def test_a_new_users_popular_feed_leaves_hidden_films_out(any_app):
    client = any_app.test_client()
    user = signup(client)
    before = ids_of(client.get("/api/feed?k=5", headers=user["headers"]))
    client.put(f"/api/hidden/{before[0]}", headers=user["headers"])
    after = ids_of(client.get("/api/feed?k=5", headers=user["headers"]))
    assert len(after) == 5 and before[0] not in after


def test_never_in_similar_lists_for_the_bearer_only(any_app):
    client = any_app.test_client()
    user = signup(client)
    before = ids_of(client.get("/api/movies/3/similar?k=5", headers=user["headers"]))
    for movie_id in before[:2]:
        client.put(f"/api/hidden/{movie_id}", headers=user["headers"])
    after = ids_of(client.get("/api/movies/3/similar?k=5", headers=user["headers"]))
    assert len(after) == 5 and not set(after) & set(before[:2]) and 3 not in after
    sci_fi = ids_of(client.get("/api/movies/3/similar?k=100&genre=Sci-Fi", headers=user["headers"]))
    assert not set(sci_fi) & set(before[:2])
    assert ids_of(client.get("/api/movies/3/similar?k=5")) == before  # anonymous: nothing hidden
    garbage = {"Authorization": "Bearer not-a-token"}  # a public route: an unknown token is anonymous
    assert ids_of(client.get("/api/movies/3/similar?k=5", headers=garbage)) == before
    body = client.get("/api/movies/3/similar?k=5", headers=user["headers"]).get_json()
    assert body["movie"]["id"] == 3 and all(r["reason"] for r in body["results"])


def test_a_film_rated_as_a_dislike_leaves_the_bearers_similar_lists_not_search(any_app):
    """A 1-star film is no answer to "movies like X" for the person who gave it; a liked one
    stays, and search still finds the disliked film (to change the rating)."""
    client = any_app.test_client()
    user = signup(client)
    before = ids_of(client.get("/api/movies/3/similar?k=5", headers=user["headers"]))
    disliked, liked = before[0], before[1]
    for movie_id, stars in ((disliked, 1.0), (liked, 5.0), (1, 4.0)):
        assert client.put(f"/api/ratings/{movie_id}", json={"rating": stars},
                          headers=user["headers"]).status_code in (200, 201)
    after = ids_of(client.get("/api/movies/3/similar?k=5", headers=user["headers"]))
    assert len(after) == 5 and disliked not in after and liked in after
    assert ids_of(client.get("/api/movies/3/similar?k=5")) == before  # anonymous: as it was
    title = client.get(f"/api/movies/{disliked}").get_json()["display_title"]
    found = client.get("/api/movies", query_string={"q": title}, headers=user["headers"]).get_json()["results"]
    assert disliked in [m["id"] for m in found]


def test_never_in_search_results_for_the_bearer_only(any_app):
    client = any_app.test_client()
    user = signup(client)
    query = "/api/search?q=space%20robots&k=5"
    before = ids_of(client.get(query, headers=user["headers"]))
    client.put(f"/api/hidden/{before[0]}", headers=user["headers"])
    after = ids_of(client.get(query, headers=user["headers"]))
    assert len(after) == 5 and before[0] not in after
    assert ids_of(client.get(query)) == before
    assert before[0] not in ids_of(client.get(query + "&k=100", headers=user["headers"]))


def test_never_in_the_bearers_title_lookups(any_app):
    client = any_app.test_client()
    user = signup(client)
    def titles(limit: int, **headers) -> list[int]:
        return [m["id"] for m in client.get(f"/api/movies?q=godfather&limit={limit}", **headers).get_json()["results"]]

    both = titles(2, headers=user["headers"])  # The Godfather, Part II
    client.put(f"/api/hidden/{both[0]}", headers=user["headers"])
    assert titles(1, headers=user["headers"]) == both[1:]  # `limit` still filled
    assert titles(2) == both  # without the token: everyone's lookup
    # the film's own answer says it is hidden, to the bearer only: where a script finds it again
    assert client.get(f"/api/movies/{both[0]}", headers=user["headers"]).get_json()["hidden"] is True
    assert client.get(f"/api/movies/{both[1]}", headers=user["headers"]).get_json()["hidden"] is False
    assert "hidden" not in client.get(f"/api/movies/{both[0]}").get_json()


def test_a_movie_added_since_the_rebuild_has_no_hidden_neighbours(indexed_app):
    """Its neighbours come from embedding its text at the request: hidden films left out there too."""
    db = store.connect(indexed_app.config["DATABASE"])
    with db.atomic():
        db.execute("INSERT INTO movies (id, title, display_title, year, genres, search_key) "
                   "VALUES (500, 'Star Wars Again (2030)', 'Star Wars Again', 2030, 'Sci-Fi', 'star wars again')")
    db.close()
    client = indexed_app.test_client()
    user = signup(client)
    before = ids_of(client.get("/api/movies/500/similar?k=5", headers=user["headers"]))
    client.put(f"/api/hidden/{before[0]}", headers=user["headers"])
    after = ids_of(client.get("/api/movies/500/similar?k=5", headers=user["headers"]))
    assert len(after) == 5 and before[0] not in after and 500 not in after
    sci_fi = ids_of(client.get("/api/movies/500/similar?k=5&genre=Sci-Fi", headers=user["headers"]))
    assert sci_fi and before[0] not in sci_fi


def test_hidden_films_never_come_back_however_many(indexed_app):
    """Hiding all but a few films still fills what is left, and never with a hidden one."""
    client = indexed_app.test_client()
    user = signup(client)
    every = ids_of(client.get("/api/feed?k=100", headers=user["headers"]))
    kept = set(every[-3:]) | {3}
    for movie_id in set(every) - kept:
        client.put(f"/api/hidden/{movie_id}", headers=user["headers"])
    assert set(ids_of(client.get("/api/feed?k=20", headers=user["headers"]))) <= kept
    assert set(ids_of(client.get("/api/movies/3/similar?k=20", headers=user["headers"]))) <= kept - {3}
    assert set(ids_of(client.get("/api/search?q=war&k=20", headers=user["headers"]))) <= kept


# --- the store -------------------------------------------------------------------------------

def test_store_functions_and_cascades(app):
    db = store.connect(app.config["DATABASE"])
    try:
        db.execute("INSERT INTO users (id, username) VALUES (5000, 'zed')")
        db.conn.commit()
        assert hidden.ids(db, 5000).dtype == np.int64 and hidden.ids(db, 5000).size == 0
        assert hidden.hide(db, 5000, 3, at=10) is True
        assert hidden.hide(db, 5000, 6, at=20) is True
        assert hidden.hide(db, 5000, 3, at=30) is False
        assert sorted(hidden.ids(db, 5000).tolist()) == [3, 6] and hidden.id_set(db, 5000) == {3, 6}
        assert hidden.is_hidden(db, 5000, 3) and not hidden.is_hidden(db, 5000, 4)
        assert [r["movie"]["id"] for r in hidden.listing(db, 5000)] == [6, 3]
        assert hidden.unhide(db, 5000, 3) is True and hidden.unhide(db, 5000, 3) is False
        assert hidden.unhide(db, 5000, 2**70) is False
        with db.atomic():
            db.execute("DELETE FROM movies WHERE id = 6")
        assert hidden.id_set(db, 5000) == frozenset()
        hidden.hide(db, 5000, 3)
        with db.atomic():
            db.execute("DELETE FROM users WHERE id = 5000")
        assert db.execute("SELECT count(*) FROM hidden").fetchone()[0] == 0
    finally:
        db.close()


def test_an_old_store_gets_the_table_when_the_app_starts(app, instance):
    db = store.connect(app.config["DATABASE"])
    db.execute("DROP TABLE hidden")
    db.close()
    client = imported_app(instance, WTF_CSRF_ENABLED=False).test_client()
    user = signup(client, "late")
    assert client.put("/api/hidden/3", headers=user["headers"]).status_code == 201


def test_the_openapi_document_describes_the_routes(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert set(paths["/api/hidden/{movie_id}"]) == {"put", "delete"} and set(paths["/api/hidden"]) == {"get"}


# --- the pages -------------------------------------------------------------------------------

@pytest.fixture
def site(tmp_path):
    """An indexed fixture release with CSRF on, and a logged-in browser on it."""
    app = imported_app(tmp_path / "instance", WTF_CSRF_ENABLED=True)
    assert app.test_cli_runner().invoke(args=["index", "rebuild"]).exit_code == 0
    client = app.test_client()
    signup(client)
    assert login_form(client, token=csrf_token(client)).status_code == 302
    client.csrf = csrf_token(client, "/feed")
    return client


def html(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def hide_buttons(page: str) -> set[int]:
    """Movie ids whose "Not interested" form is on the page."""
    return {int(i) for i in re.findall(r'action="/hidden/(\d+)"', page)}


def card_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="card" data-movie-id="(\d+)"', page)]


def test_the_button_is_on_every_card_for_a_logged_in_user(site):
    feed = html(site, "/feed")
    assert len(card_ids(feed)) == 20 and hide_buttons(feed) == set(card_ids(feed))
    assert "Not interested" in feed and 'name="csrf_token"' in feed
    movie = html(site, "/movies/3")
    similar = card_ids(movie)
    assert similar and hide_buttons(movie) == set(similar) | {3}  # each similar card and the movie itself
    search = html(site, "/?mode=text&q=space+robots")
    assert card_ids(search) and hide_buttons(search) == set(card_ids(search))
    titles = html(site, "/?q=star+war")
    assert 3 in card_ids(titles) and 3 in hide_buttons(titles)
    assert 'href="/hidden"' in feed and ">Hidden</a>" in feed


def test_visitors_see_no_button(tmp_path):
    client = imported_app(tmp_path / "instance", WTF_CSRF_ENABLED=True).test_client()
    for path in ("/movies/3", "/?mode=text&q=space+robots", "/?q=star"):
        page = html(client, path)
        assert card_ids(page) and not hide_buttons(page) and "Not interested" not in page
        assert 'href="/hidden"' not in page
    assert client.get("/hidden").status_code == 302


def test_posts_need_the_csrf_token_and_change_nothing_without_it(site):
    for path in ("/hidden/3", "/hidden/3/delete"):
        refused = site.post(path, data={"next": "/feed"})
        assert refused.status_code == 400 and "Reload the page and try again" in refused.get_data(as_text=True)
        fetched = site.post(path, headers={"X-Requested-With": "fetch"})
        assert error_code(fetched, 400) == "csrf_failed"
    assert "You have not hidden any film" in html(site, "/hidden")


def test_hide_from_the_feed_redirects_back_and_undo_from_the_hidden_page(site):
    first = card_ids(html(site, "/feed"))[0]
    response = site.post(f"/hidden/{first}", data={"csrf_token": site.csrf, "next": "/feed"})
    assert response.status_code == 302 and response.location == "/feed"
    feed = html(site, "/feed")
    assert first not in card_ids(feed) and len(card_ids(feed)) == 20 and "Hidden: " in feed
    listed = html(site, "/hidden")
    assert card_ids(listed) == [first] and f'action="/hidden/{first}/delete"' in listed
    assert "Undo" in listed and "Hidden on <time" in listed
    undone = site.post(f"/hidden/{first}/delete", data={"csrf_token": site.csrf, "next": "/hidden"})
    assert undone.status_code == 302 and undone.location == "/hidden"
    assert "You have not hidden any film" in html(site, "/hidden")
    assert first in card_ids(html(site, "/feed"))


def test_hidden_films_leave_similar_lists_and_search_results_on_the_pages(site):
    similar = card_ids(html(site, "/movies/3"))
    search = card_ids(html(site, "/?mode=text&q=space+robots"))
    for movie_id in {similar[0], search[0]}:
        site.post(f"/hidden/{movie_id}", data={"csrf_token": site.csrf})
    assert similar[0] not in card_ids(html(site, "/movies/3"))
    assert search[0] not in card_ids(html(site, "/?mode=text&q=space+robots"))


def test_a_film_rated_1_star_leaves_the_movie_pages_similar_list(site):
    similar = card_ids(html(site, "/movies/3"))
    assert site.post(f"/ratings/{similar[0]}", data={"csrf_token": site.csrf, "rating": "1"}).status_code == 302
    assert similar[0] not in card_ids(html(site, "/movies/3"))


def test_the_movie_page_hides_itself_and_offers_the_undo(site):
    assert site.post("/ratings/1", data={"csrf_token": site.csrf, "rating": "5"}).status_code == 302
    assert "we think you'd give it" in html(site, "/movies/3")  # a basis for predicted stars
    response = site.post("/hidden/3", data={"csrf_token": site.csrf, "next": "/movies/3"})
    assert response.status_code == 302 and response.location == "/movies/3"
    page = html(site, "/movies/3")
    assert "You hid it" in page and 'action="/hidden/3/delete"' in page and 'action="/hidden/3"' not in page
    assert "we will not suggest it" in page and "we think you'd give it" not in page  # hidden: a dislike
    head = page[:page.index('id="similar-heading"')]
    assert "You'd rate it about" not in head  # nor on the film's own card
    titles = html(site, "/?q=star+war")  # asked for by name: found, marked, undoable
    assert 3 in card_ids(titles) and 'action="/hidden/3/delete"' in titles and "You hid it" in titles
    assert 'class="hide js-hide"' not in titles  # the card stays, so the form posts and comes back
    assert 'name="next" value="/?q=star+war#results"' in titles  # to the results, not the page's top
    back = site.post("/hidden/3/delete", data={"csrf_token": site.csrf, "next": "/?q=star+war"})
    assert back.status_code == 302 and back.location == "/?q=star+war"
    assert "You hid it" not in html(site, "/?q=star+war")


def test_the_scripts_fetch_gets_json(site):
    fetch = {"X-Requested-With": "fetch", "X-CSRFToken": site.csrf}
    created = site.post("/hidden/3", headers=fetch)
    assert created.status_code == 201 and created.get_json() == {"movie_id": 3, "hidden": True, "created": True}
    assert site.post("/hidden/3", headers=fetch).status_code == 200
    assert site.post("/hidden/3/delete", headers=fetch).status_code == 204
    assert error_code(site.post("/hidden/3/delete", headers=fetch), 404) == "hidden_not_found"
    assert error_code(site.post("/hidden/999", headers=fetch), 404) == "movie_not_found"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/feed\r\nX: y", ""])
def test_the_redirect_stays_on_site(site, target):
    response = site.post("/hidden/3", data={"csrf_token": site.csrf, "next": target})
    assert response.status_code == 302 and response.location == "/movies/3"


def test_logged_out_posts_go_to_the_login_page(tmp_path):
    client = imported_app(tmp_path / "instance", WTF_CSRF_ENABLED=False).test_client()
    assert "/login?next=" in client.post("/hidden/3").location
    assert error_code(client.post("/hidden/3", headers={"X-Requested-With": "fetch"}), 401) == "unauthorized"
