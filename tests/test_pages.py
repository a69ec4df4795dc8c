"""The server-rendered pages: they render, they refuse forms without a CSRF token, they escape."""
import re

import pytest

from recommender import store
from tests.web_helpers import PASSWORD, csrf_token, imported_app, login_form, signup


def page(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


@pytest.fixture
def member(client):
    """A logged-in client (CSRF off in the `app` fixture)."""
    signup(client)
    assert login_form(client).status_code == 302
    return client


def test_search_page(client):
    html = page(client, "/")
    assert 'role="combobox"' in html and 'aria-controls="title-suggestions"' in html
    assert 'href="#main"' in html and '<main id="main"' in html and "<nav" in html
    assert "Star Wars" in page(client, "/?q=star+wa")
    assert "Star Wars" in page(client, "/?q=stra+wars&genre=Sci-Fi")
    assert "No title matches" in page(client, "/?q=zzzzzz")
    assert "Movies matching" in page(client, "/?q=space+opera&mode=text")
    page(client, "/?q=x&genre=Polka", 400)


def test_movie_page(client):
    html = page(client, "/movies/3")
    assert "<h1 id=\"movie-title\">Star Wars</h1>" in html and "1977" in html and "Sci-Fi" in html
    assert "Movies like Star Wars" in html and 'class="reason"' in html and "Log in</a> to rate" in html
    assert "The Godfather" in page(client, "/movies/6")
    assert "no movie" in page(client, "/movies/999", 404).lower()
    page(client, "/movies/abc", 404)


def test_auth_pages(client):
    assert 'name="password"' in page(client, "/register")
    assert 'name="password"' in page(client, "/login")
    assert "not logged in" in page(client, "/logout")


def test_login_required_pages_redirect(client):
    for path in ("/feed", "/onboarding", "/ratings", "/feed/list"):
        response = client.get(path)
        assert response.status_code == 302 and "/login?next=" in response.location
    assert client.post("/ratings/3", data={"rating": "4"}).status_code == 302
    response = client.post("/ratings/3", data={"rating": "4"}, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"


def test_register_then_onboarding_then_feed(client):
    response = client.post("/register", data={"username": "carol", "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/onboarding")
    html = page(client, "/onboarding")
    ids = re.findall(r'name="rating-(\d+)"', html)
    assert len(ids) == len(set(ids)) >= 20  # distinct movies, across genres
    too_few = client.post("/onboarding", data={f"rating-{i}": "4" for i in ids[:4]})
    assert too_few.status_code == 400 and "at least 5" in too_few.get_data(as_text=True)
    done = client.post("/onboarding", data={f"rating-{i}": "4.5" for i in ids[:5]} | {"action": "save"})
    assert done.status_code == 302 and done.location.endswith("/feed")
    feed = page(client, "/feed")
    shown = re.findall(r'data-movie-id="(\d+)"', feed)
    assert len(shown) == 20 and not set(shown) & set(ids[:5])
    assert "Your rating" in feed and 'class="reason"' in feed


def test_onboarding_skip_and_bad_value(member):
    assert member.post("/onboarding", data={"action": "skip"}).location.endswith("/feed")
    assert member.post("/onboarding", data={"rating-3": "7", "action": "save"}).status_code == 400


def test_register_errors(client):
    signup(client, "dave")
    taken = client.post("/register", data={"username": "DAVE", "password": PASSWORD, "confirm": PASSWORD})
    assert taken.status_code == 409 and "taken" in taken.get_data(as_text=True)
    differ = client.post("/register", data={"username": "erin", "password": PASSWORD, "confirm": "other one"})
    assert differ.status_code == 400
    assert client.post("/register", data={"username": "erin", "password": "short", "confirm": "short"}).status_code == 400
    bad = login_form(client, "dave", "wrong password")
    assert bad.status_code == 401 and "Wrong username or password" in bad.get_data(as_text=True)


def test_login_next_stays_on_site(client):
    signup(client)
    for target, expected in [("/ratings", "/ratings"), ("//evil.example/x", "/feed"),
                             ("https://evil.example/", "/feed"), ("/\\evil.example", "/feed")]:
        response = client.post("/login", data={"username": "alice", "password": PASSWORD, "next": target})
        assert response.location == expected


def test_feed_genre_and_fragment(member):
    html = page(member, "/feed?genre=Drama")
    assert "<option value=\"Drama\" selected>" in html
    fragment = page(member, "/feed/list?genre=Drama")
    assert fragment.lstrip().startswith("<ol") and "<html" not in fragment
    page(member, "/feed?genre=Polka", 400)


def test_rate_change_remove_from_pages(member):
    response = member.post("/ratings/3", data={"rating": "4.5", "next": "/feed"})
    assert response.status_code == 302 and response.location == "/feed"
    assert "You rated Star Wars 4.5" in page(member, "/feed")
    assert 'data-movie-id="3"' not in page(member, "/feed")
    html = page(member, "/ratings")
    assert "Star Wars" in html and '<option value="4.5" selected>' in html
    assert "You rated it <strong>4.5</strong>" in page(member, "/movies/3")
    fetched = member.post("/ratings/3", data={"rating": "2"}, headers={"X-Requested-With": "fetch"})
    assert fetched.status_code == 200 and fetched.get_json() == {"movie_id": 3, "rating": 2.0, "created": False}
    assert member.post("/ratings/3", data={"rating": "2.2"}).status_code == 400
    assert member.post("/ratings/3", data={"rating": "nan"}).status_code == 400
    assert member.post("/ratings/999", data={"rating": "2"}).status_code == 404
    assert member.post("/ratings/3/delete", data={"next": "/ratings"}).location == "/ratings"
    assert "not rated anything yet" in page(member, "/ratings")
    assert member.post("/ratings/3/delete").status_code == 404


def test_logout(member):
    assert member.post("/logout").location.endswith("/")
    assert member.get("/feed").status_code == 302


# --- CSRF: a separate app with the check switched on --------------------------------------------

@pytest.fixture
def csrf_client(tmp_path):
    return imported_app(tmp_path / "instance", WTF_CSRF_ENABLED=True).test_client()


def test_forms_refuse_missing_csrf_token(csrf_client):
    client = csrf_client
    signup(client, "frank")  # the JSON API is exempt: it takes bearer tokens only
    assert client.post("/register", data={"username": "gina", "password": PASSWORD, "confirm": PASSWORD}).status_code == 400
    assert login_form(client, "frank").status_code == 400
    assert login_form(client, "frank", token="forged").status_code == 400
    assert login_form(client, "frank", token=csrf_token(client)).status_code == 302
    for path, data in [("/ratings/3", {"rating": "4"}), ("/ratings/3/delete", {}), ("/logout", {}),
                       ("/onboarding", {"action": "skip"})]:
        response = client.post(path, data=data)
        assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    response = client.post("/ratings/3", data={"rating": "4"},
                           headers={"X-CSRFToken": csrf_token(client, "/feed"), "X-Requested-With": "fetch"})
    assert response.status_code == 201
    refused = client.post("/ratings/4", data={"rating": "4"}, headers={"X-Requested-With": "fetch"})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"


def test_register_with_csrf_token(csrf_client):
    token = csrf_token(csrf_client, "/register")
    response = csrf_client.post("/register", data={"username": "hana", "password": PASSWORD,
                                                   "confirm": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


# --- escaping and headers -------------------------------------------------------------------

EVIL = "<script>alert(1)</script>"


def test_titles_search_text_and_usernames_are_escaped(app, client):
    db = store.connect(app.config["DATABASE"])
    db["movies"].insert({"id": 500, "title": f"{EVIL} (2001)", "display_title": EVIL, "year": 2001,
                         "genres": "Drama", "search_key": "script alert 1 script"})
    db["movie_genres"].insert({"movie_id": 500, "genre": "Drama"})
    db.close()
    for html in (page(client, "/movies/500"), page(client, "/?q=script+alert"),
                 page(client, f"/?q={EVIL}&mode=text"), page(client, f"/?q={EVIL}")):
        assert EVIL not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    response = client.post("/register", data={"username": EVIL, "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 400 and EVIL not in response.get_data(as_text=True)
    assert "&lt;script&gt;" in response.get_data(as_text=True)


def test_cookies_and_security_headers(tmp_path):
    client = imported_app(tmp_path / "i", WTF_CSRF_ENABLED=False, SESSION_COOKIE_SECURE=True).test_client()
    signup(client)
    response = client.post("/login", data={"username": "alice", "password": PASSWORD, "remember": "1"})
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 2  # the session, and "remember me"
    for cookie in cookies:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
