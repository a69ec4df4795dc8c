"""Escaping on every page, login rate limits, cookie flags, schema upgrades of old stores.

CSRF on the forms, the session cookie being no API credential, case-insensitive usernames, users
not reaching each other's ratings and revoked tokens are proven in test_pages.py and test_api.py
(docs/security.md lists which test proves what); here is what those files do not cover."""
import sqlite3
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from recommender import store
from recommender.store import login_attempts
from recommender.store.login_attempts import Limit
from tests.conftest import snapshot
from tests.web_helpers import PASSWORD, csrf_token, imported_app, login_form, signup
from webapp import create_app

EVIL = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


# --- escaping ---------------------------------------------------------------------------------

@pytest.fixture
def evil_client(app):
    """Logged in as a user named <script>… (an old row: sign-up refuses such names) in a store
    whose most-rated movie is titled <script>… (so it shows in onboarding, feed and search)."""
    db = store.connect(app.config["DATABASE"])
    db["movies"].insert({"id": 500, "title": f"{EVIL} (2001)", "display_title": EVIL, "year": 2001,
                         "genres": "Drama", "search_key": "script alert 1 script"})
    db["movie_genres"].insert({"movie_id": 500, "genre": "Drama"})
    db["ratings"].insert_all([{"user_id": u, "movie_id": 500, "rating": 5, "timestamp": 1} for u in range(1, 31)],
                             pk=("user_id", "movie_id"))
    db["users"].insert({"id": 900, "username": EVIL, "password_hash": generate_password_hash(PASSWORD),
                        "created_at": 1})
    db.close()
    client = app.test_client()
    assert login_form(client, EVIL).status_code == 302
    return client


def assert_escaped(html: str, where: str) -> None:
    assert EVIL not in html, where
    assert ESCAPED in html, where


def test_script_in_titles_usernames_and_search_is_text_on_every_page(evil_client):
    client = evil_client
    pages = ["/", "/?q=script+alert", "/?q=script&mode=text", f"/?q={EVIL[:-9]}", f"/?q={EVIL}&mode=text",
             "/movies/500", "/movies/3", "/onboarding", "/feed", "/feed/list", "/ratings", "/logout",
             "/feed?genre=Drama", "/movies/999"]
    for path in pages:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        html = response.get_data(as_text=True)
        if path != "/feed/list":  # a fragment without the nav that names the user
            assert f'<span class="username">{ESCAPED}</span>' in html, path
        assert EVIL not in html, path
    for path in ("/onboarding", "/feed", "/feed/list", "/movies/500", "/?q=script+alert"):
        assert_escaped(client.get(path).get_data(as_text=True).replace(f'<span class="username">{ESCAPED}</span>', ""),
                       path)  # the title itself, not only the username, is there and escaped
    assert client.post("/ratings/500", data={"rating": "4"}).status_code == 302
    assert_escaped(client.get("/ratings").get_data(as_text=True).replace(
        f'<span class="username">{ESCAPED}</span>', ""), "/ratings")


def test_script_in_the_api_is_json_text(evil_client):
    """JSON carries the title as data (Content-Type: application/json, nosniff): never as HTML."""
    response = evil_client.get("/api/movies/500")
    assert response.mimetype == "application/json" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_json()["title"] == f"{EVIL} (2001)"


# --- login rate limits ------------------------------------------------------------------------

@pytest.fixture
def limited(tmp_path):
    """CSRF off, and small limits: 3 failures per account, 6 per address, per minute."""
    app = imported_app(tmp_path / "instance", WTF_CSRF_ENABLED=False,
                       LOGIN_LIMIT_PER_ACCOUNT=(3, 60), LOGIN_LIMIT_PER_ADDRESS=(6, 60))
    return app, app.test_client()


def assert_429(response) -> int:
    assert response.status_code == 429, response.get_data(as_text=True)[:300]
    retry = int(response.headers["Retry-After"])
    assert 1 <= retry <= 60
    return retry


def test_api_login_is_limited_per_account(limited):
    _, client = limited
    signup(client, "victim")
    for _ in range(3):
        assert client.post("/api/token", json={"username": "victim", "password": "wrong guess"}).status_code == 401
    response = client.post("/api/token", json={"username": "VICTIM", "password": PASSWORD})  # any case
    assert_429(response)
    assert response.get_json()["error"]["code"] == "too_many_attempts"
    # the limit is the account's: another account from the same address still logs in
    signup(client, "bystander")


def test_page_login_is_limited_per_account(limited):
    _, client = limited
    signup(client, "victim")
    for _ in range(3):
        assert login_form(client, "victim", "wrong guess").status_code == 401
    response = login_form(client, "victim")
    assert_429(response)
    assert "try again" in response.get_data(as_text=True)
    # the page and the API share one count
    assert_429(client.post("/api/token", json={"username": "victim", "password": PASSWORD}))


def test_login_is_limited_per_address(limited):
    _, client = limited
    signup(client, "victim")
    for i in range(6):  # one failure each for six accounts: none reaches its own limit
        assert client.post("/api/token", json={"username": f"user{i}", "password": "guess"}).status_code == 401
    assert_429(client.post("/api/token", json={"username": "victim", "password": PASSWORD}))
    other = client.post("/api/token", json={"username": "victim", "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200  # another address is not punished for this one


def test_successful_logins_are_not_counted(limited):
    _, client = limited
    signup(client, "regular")
    for _ in range(5):  # more than the account's limit of 3
        assert client.post("/api/token", json={"username": "regular", "password": PASSWORD}).status_code == 200


def test_window_slides(tmp_path):
    """Store level: failures older than the window stop counting; Retry-After says when."""
    db = store.connect(tmp_path / "s.db")
    store.ensure_schema(db)
    limit, key = Limit(2, 60), "account:x"
    login_attempts.record_attempt(db, [key], now=1000.0)
    assert login_attempts.retry_after(db, key, limit, now=1010.0) == 0
    login_attempts.record_attempt(db, [key], now=1030.0)
    assert login_attempts.retry_after(db, key, limit, now=1040.0) == 20  # when the one of t=1000 ages out
    assert login_attempts.retry_after(db, key, limit, now=1061.0) == 0
    login_attempts.record_attempt(db, [key], now=1030.0 + login_attempts.KEEP_SECONDS + 1)
    assert db.execute("SELECT count(*) FROM login_attempts").fetchone()[0] == 1  # old rows forgotten


def test_limit_holds_across_workers(tmp_path):
    """Two app objects (as two gunicorn workers) over one store share the count."""
    config = {"WTF_CSRF_ENABLED": False, "LOGIN_LIMIT_PER_ACCOUNT": (2, 60), "LOGIN_LIMIT_PER_ADDRESS": (99, 60)}
    first = imported_app(tmp_path / "instance", **config).test_client()
    second = create_app({"TESTING": True, "EMBEDDER": "hashing", **config},
                        instance_path=tmp_path / "instance").test_client()
    signup(first, "victim")
    assert first.post("/api/token", json={"username": "victim", "password": "nope nope"}).status_code == 401
    assert second.post("/api/token", json={"username": "victim", "password": "nope nope"}).status_code == 401
    assert_429(first.post("/api/token", json={"username": "victim", "password": PASSWORD}))


# --- schema upgrades --------------------------------------------------------------------------

def test_create_app_adds_new_tables_to_an_old_store(app, tmp_path):
    """A store made before login_attempts existed gets the table when the app starts."""
    path = Path(app.config["DATABASE"])
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE login_attempts")
    conn.commit()
    conn.close()
    before = snapshot(path)
    upgraded = create_app({"TESTING": True, "EMBEDDER": "hashing", "WTF_CSRF_ENABLED": False},
                          instance_path=app.instance_path)
    after = snapshot(path)
    assert after.pop("login_attempts") == [] and after == before  # added, and nothing else touched
    client = upgraded.test_client()
    signup(client)
    assert client.post("/api/token", json={"username": "alice", "password": "wrong one"}).status_code == 401


# --- cookies and CSRF -------------------------------------------------------------------------

def test_cookies_are_httponly_and_lax_without_secure_by_default(tmp_path):
    client = imported_app(tmp_path / "i", WTF_CSRF_ENABLED=False).test_client()
    signup(client)
    cookies = client.post("/login", data={"username": "alice", "password": PASSWORD, "remember": "1"}) \
        .headers.getlist("Set-Cookie")
    assert len(cookies) == 2
    for cookie in cookies:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_csrf_token_of_another_session_is_refused(tmp_path):
    """A token is bound to its session: one scraped by an attacker from their own session fails."""
    app = imported_app(tmp_path / "instance", WTF_CSRF_ENABLED=True)
    attacker, victim = app.test_client(), app.test_client()
    signup(victim, "victim")
    assert login_form(victim, "victim", token=csrf_token(victim)).status_code == 302
    stolen = csrf_token(attacker, "/login")
    before = snapshot(Path(app.config["DATABASE"]))
    response = victim.post("/ratings/3", data={"rating": "4", "csrf_token": stolen})
    assert response.status_code == 400 and "Reload the page and try again" in response.get_data(as_text=True)
    assert snapshot(Path(app.config["DATABASE"])) == before


def test_session_cookie_cannot_change_state_through_the_api(tmp_path):
    """Logged in by cookie (CSRF on, as in production): every state-changing API call is 401,
    and the store is unchanged."""
    app = imported_app(tmp_path / "instance", WTF_CSRF_ENABLED=True)
    client = app.test_client()
    user = signup(client, "victim")
    client.put("/api/ratings/4", json={"rating": 3}, headers=user["headers"])
    assert login_form(client, "victim", token=csrf_token(client)).status_code == 302
    before = snapshot(Path(app.config["DATABASE"]))
    token = csrf_token(client, "/feed")
    for method, path, body in [("PUT", "/api/ratings/3", {"rating": 5}), ("DELETE", "/api/ratings/4", None),
                               ("DELETE", "/api/token", None), ("GET", "/api/ratings", None)]:
        for headers in ({}, {"X-CSRFToken": token}, {"X-Requested-With": "fetch", "X-CSRFToken": token}):
            response = client.open(path, method=method, json=body, headers=headers)
            assert response.status_code == 401, (method, path, headers)
    assert snapshot(Path(app.config["DATABASE"])) == before
    assert client.get("/api/ratings", headers=user["headers"]).get_json()["results"][0]["rating"] == 3.0
