"""Issue 14's faults, each reproduced as a user or an operator met it: acknowledged ratings under a
foreign write lock, sessions that outlive logout, CR/LF in `next`, deeply nested JSON, a busy
or read-only store, unlimited sign-ups, common passwords."""
from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path

import pytest

from recommender import store
from tests.web_helpers import PASSWORD, csrf_token, imported_app, login_form, signup
from webapp import create_app
from webapp.security import safe_next

DEEP = "[" * 1000 + "]" * 1000
DEEPER = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def app(tmp_path):
    """CSRF off, and a short busy timeout so a held lock shows within a test."""
    return imported_app(tmp_path / "instance", WTF_CSRF_ENABLED=False, DATABASE_BUSY_TIMEOUT_MS=200)


def stored_rating(app, user_id: int, movie_id: int) -> float | None:
    """What the store holds, read on a connection of its own."""
    conn = sqlite3.connect(app.config["DATABASE"])
    try:
        row = conn.execute("SELECT rating FROM ratings WHERE user_id = ? AND movie_id = ?",
                           (user_id, movie_id)).fetchone()
    finally:
        conn.close()
    return row[0] if row else None


class ForeignWriter:
    """Another process's long write transaction (an import of a bigger release, say)."""

    def __init__(self, database: str):
        self.conn = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.close()


def in_new_thread(fn):
    """Run `fn` on a thread of its own, so the app opens a fresh store connection for it."""
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", fn()))
    thread.start()
    thread.join(60)
    return result["value"]


def assert_unavailable(response) -> None:
    """503 with Retry-After and the contract's JSON error: try again, nothing was written."""
    assert response.status_code == 503, (response.status_code, response.get_data(as_text=True)[:300])
    assert int(response.headers["Retry-After"]) > 0
    assert response.get_json()["error"]["code"] == "unavailable"


# --- 0: acknowledged ratings are stored ----------------------------------------------------------

def test_a_foreign_lock_over_a_fresh_connections_first_write_loses_no_rating(app):
    """The first write of a fresh connection meets another process's write lock: the app says 503
    (not 201), and once the lock is gone every rating it acknowledges is really stored, on that
    same connection (sqlite-utils' upsert cached "no ON CONFLICT" under the lock and from then
    on acknowledged ratings it never stored)."""
    client = app.test_client()
    user = signup(client)
    uid = user["id"]

    def session():
        lock = ForeignWriter(app.config["DATABASE"])
        try:
            locked = client.put("/api/ratings/3", json={"rating": 4.0}, headers=user["headers"])
        finally:
            lock.release()
        after = [client.put(f"/api/ratings/{movie}", json={"rating": 4.5}, headers=user["headers"])
                 for movie in (3, 5)]
        changed = client.put("/api/ratings/5", json={"rating": 2.0}, headers=user["headers"])
        removed = client.delete("/api/ratings/3", headers=user["headers"])
        return locked, after, changed, removed

    locked, after, changed, removed = in_new_thread(session)
    assert_unavailable(locked)
    assert [r.status_code for r in after] == [201, 201]
    assert changed.status_code == 200 and removed.status_code == 204
    assert stored_rating(app, uid, 3) is None and stored_rating(app, uid, 5) == 2.0


def test_writes_wait_for_a_short_foreign_lock_and_every_acknowledged_one_is_stored(tmp_path):
    """Writers from several threads queue behind a lock shorter than the busy timeout: all are
    acknowledged, and all are in the store."""
    app = imported_app(tmp_path / "instance", WTF_CSRF_ENABLED=False)
    client = app.test_client()
    users = [signup(client, f"user{i}") for i in range(3)]
    lock = ForeignWriter(app.config["DATABASE"])
    statuses: list[tuple[int, int, int]] = []

    def rate(user):
        own = app.test_client()
        for movie in range(1, 11):
            response = own.put(f"/api/ratings/{movie}", json={"rating": 3.5}, headers=user["headers"])
            statuses.append((user["id"], movie, response.status_code))

    threads = [threading.Thread(target=rate, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    threading.Timer(0.5, lock.release).start()
    for thread in threads:
        thread.join(60)
    assert len(statuses) == 30 and {s for _, _, s in statuses} == {201}
    assert all(stored_rating(app, uid, movie) == 3.5 for uid, movie, _ in statuses)


def test_a_write_that_changes_nothing_is_refused_not_acknowledged(app):
    db = store.connect(app.config["DATABASE"])
    with pytest.raises(store.WriteNotApplied):
        with store.write_transaction(db) as conn:
            store.expect_one_change(conn.execute("UPDATE movies SET year = year WHERE id = -1"), "nothing")
    db.close()


# --- 9: a busy or read-only store -----------------------------------------------------------------

def test_a_store_locked_past_the_timeout_gives_503_with_retry_after_to_api_and_pages(tmp_path):
    app = imported_app(tmp_path / "instance", DATABASE_BUSY_TIMEOUT_MS=200)
    client = app.test_client()
    user = signup(client)
    assert login_form(client, token=csrf_token(client)).status_code == 302
    token = csrf_token(client, "/feed")
    lock = ForeignWriter(app.config["DATABASE"])
    try:
        assert_unavailable(client.put("/api/ratings/3", json={"rating": 4.0}, headers=user["headers"]))
        page = client.post("/ratings/3", data={"rating": "4", "csrf_token": token})
        fetched = client.post("/ratings/3", data={"rating": "4"},
                              headers={"X-CSRFToken": token, "X-Requested-With": "fetch"})
    finally:
        lock.release()
    assert page.status_code == 503 and "Retry-After" in page.headers
    html = page.get_data(as_text=True)
    assert "try again" in html and "Traceback" not in html and "<html" in html
    assert_unavailable(fetched)
    assert stored_rating(app, user["id"], 3) is None
    assert client.post("/ratings/3", data={"rating": "4", "csrf_token": token}).status_code == 302
    assert stored_rating(app, user["id"], 3) == 4.0


def test_a_read_only_store_gives_503_and_the_next_request_recovers(app):
    """Database files made read-only (or a failing disk): 503, and the connection that failed is
    replaced, so writes work again once the store does."""
    client = app.test_client()
    user = signup(client)
    connections = app.extensions["store_connections"]

    def session():
        connections._local.db = store.connect(app.config["DATABASE"], readonly=True)
        refused = client.put("/api/ratings/3", json={"rating": 4.0}, headers=user["headers"])
        accepted = client.put("/api/ratings/3", json={"rating": 4.0}, headers=user["headers"])
        return refused, accepted

    refused, accepted = in_new_thread(session)
    assert_unavailable(refused)
    assert accepted.status_code == 201 and stored_rating(app, user["id"], 3) == 4.0


def test_a_store_that_cannot_be_written_at_start_up_does_not_stop_the_site(tmp_path, monkeypatch, caplog):
    """Read-only (or locked) when a worker starts: the app is made and serves reads; it used to
    raise out of create_app, so gunicorn exited and every client got "connection refused"."""
    folder = tmp_path / "instance"
    imported_app(folder)

    def read_only(db):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(store, "ensure_schema", read_only)
    app = create_app({"TESTING": True}, instance_path=str(folder))
    assert "cannot be brought up to date now" in caplog.text
    client = app.test_client()
    assert client.get("/api/movies/3").status_code == 200
    assert client.get("/healthz").status_code == 200


# --- 1: logout and password changes end sessions on the server ------------------------------------

@pytest.fixture
def browser_app(tmp_path):
    """CSRF on, as in production."""
    return imported_app(tmp_path / "instance")


def log_in(client, remember: bool = True):
    data = {"username": "alice", "password": PASSWORD, "csrf_token": csrf_token(client)}
    if remember:
        data["remember"] = "1"
    response = client.post("/login", data=data)
    assert response.status_code == 302
    return response


def copy_cookies(source, target, names=("session", "remember_token")) -> None:
    for name in names:
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def test_logout_ends_the_session_and_the_remember_token_on_the_server(browser_app):
    app = browser_app
    signup(app.test_client())
    browser = app.test_client()
    log_in(browser)
    token = csrf_token(browser, "/feed")
    stolen_session, stolen_remember = app.test_client(), app.test_client()
    copy_cookies(browser, stolen_session, ("session",))
    copy_cookies(browser, stolen_remember, ("remember_token",))
    assert stolen_session.get("/ratings").status_code == 200  # the copies work while logged in
    assert stolen_remember.get("/ratings").status_code == 200

    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    for client in (stolen_session, stolen_remember, browser):
        assert client.get("/ratings").status_code == 302  # to the login page
    refused = stolen_session.post("/ratings/7", data={"rating": "4", "csrf_token": token})
    assert refused.status_code in (302, 400, 401)
    assert stored_rating(app, 1_000_000_000, 7) is None


def test_every_login_has_its_own_remember_token(browser_app):
    signup(browser_app.test_client())
    values = []
    for _ in range(2):
        client = browser_app.test_client()
        log_in(client)
        values.append(client.get_cookie("remember_token").value)
    assert values[0] != values[1]


def test_a_password_change_ends_every_other_login_and_api_token(browser_app):
    app = browser_app
    api = app.test_client()
    user = signup(api)
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here)
    log_in(elsewhere)
    changed = here.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "popcorn lanterns drift",
        "confirm": "popcorn lanterns drift", "csrf_token": csrf_token(here, "/account/password")})
    assert changed.status_code == 302
    assert here.get("/ratings").status_code == 200
    assert elsewhere.get("/ratings").status_code == 302
    assert api.get("/api/ratings", headers=user["headers"]).status_code == 401
    assert login_form(app.test_client(), token=None).status_code != 302  # the old password
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": "alice", "password": "popcorn lanterns drift",
                                      "csrf_token": csrf_token(fresh)}).status_code == 302


def test_a_password_change_needs_the_current_password_and_a_strong_new_one(browser_app):
    app = browser_app
    signup(app.test_client())
    client = app.test_client()
    log_in(client)
    for current, new, marked in ((PASSWORD[::-1], "popcorn lanterns drift", "current_password"),
                                 (PASSWORD, "password", "new_password")):
        response = client.post("/account/password", data={
            "current_password": current, "new_password": new, "confirm": new,
            "csrf_token": csrf_token(client, "/account/password")})
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and 'role="alert"' in html
        invalid = re.findall(r'<input id="(\w+)"[^>]*aria-invalid="true"', html)
        assert invalid == [marked]  # the field the message is about, and only it
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": "alice", "password": PASSWORD,
                                      "csrf_token": csrf_token(fresh)}).status_code == 302


# --- 2: CR/LF in `next` ---------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["/\r\nx", "/feed\r\n", "/feed\nSet-Cookie: a=b", "/\x00", "/a b", "/\x7f"])
def test_redirect_targets_with_control_characters_fall_back(target):
    assert safe_next(target, "/feed") == "/feed"


def test_crlf_in_next_after_login_and_after_rating_redirects_safely(app):
    client = app.test_client()
    signup(client)
    assert client.get("/login?next=/%0D%0Ax").status_code == 200
    response = client.post("/login?next=/%0D%0Ax", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and "\r" not in response.headers["Location"]
    rated = client.post("/ratings/7", data={"rating": "4", "next": "/feed\r\n"})
    assert rated.status_code == 302 and rated.headers["Location"].endswith("/movies/7")
    assert stored_rating(app, 1_000_000_000, 7) == 4.0


# --- 3: deeply nested JSON ------------------------------------------------------------------------

@pytest.mark.parametrize("body", [DEEP, DEEPER[:60_000] + DEEPER[-60_000:]])
def test_deeply_nested_json_is_a_400_on_every_route_that_reads_a_body(tmp_path, body):
    app = imported_app(tmp_path / "instance", WTF_CSRF_ENABLED=False, MAX_CONTENT_LENGTH=1 << 20)
    client = app.test_client()
    user = signup(client)
    for method, path, headers in (("POST", "/api/users", {}), ("POST", "/api/token", {}),
                                  ("PUT", "/api/ratings/3", user["headers"])):
        response = client.open(path, method=method, data=body, content_type="application/json", headers=headers)
        assert response.status_code == 400, (path, response.status_code)
        assert response.get_json()["error"]["code"] == "invalid_body"


# --- 8: sign-up rate limit --------------------------------------------------------------------------

def test_sign_ups_from_one_address_are_limited_on_the_api_and_the_page(tmp_path):
    app = imported_app(tmp_path / "instance", WTF_CSRF_ENABLED=False, SIGNUP_LIMIT_PER_ADDRESS=(3, 3600))
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    for i in range(3):
        assert client.post("/api/users", json={"username": f"bot{i}", "password": PASSWORD}).status_code == 201
    refused = client.post("/api/users", json={"username": "bot3", "password": PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.get_json()["error"]["code"] == "too_many_attempts"
    malformed = client.post("/api/users", json={"username": "b", "password": "x"})  # said first: no hash to spare
    assert malformed.status_code == 400 and malformed.get_json()["error"]["code"] == "invalid_username"
    page = client.post("/register", data={"username": "bot4", "password": PASSWORD, "confirm": PASSWORD})
    assert page.status_code == 429 and 'role="alert"' in page.get_data(as_text=True)
    other = client.post("/api/users", json={"username": "neighbour", "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 201


def test_sign_ups_from_this_machine_are_not_limited_unless_asked(tmp_path):
    """The operator's own scripts (tests, benchmarks, a persona run) sign up many accounts from
    a loopback address; SIGNUP_LIMIT_LOOPBACK holds them to the limit too."""
    app = imported_app(tmp_path / "instance", WTF_CSRF_ENABLED=False, SIGNUP_LIMIT_PER_ADDRESS=(2, 3600))
    client = app.test_client()
    for i, address in enumerate(["127.0.0.1", "127.0.0.1", "::1", "127.0.0.1"]):
        response = client.post("/api/users", json={"username": f"script{i}", "password": PASSWORD},
                               environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 201, address
    app.config["SIGNUP_LIMIT_LOOPBACK"] = True
    for i in range(2):
        assert client.post("/api/users", json={"username": f"held{i}", "password": PASSWORD}).status_code == 201
    assert client.post("/api/users", json={"username": "held2", "password": PASSWORD}).status_code == 429


# --- 11: common and guessable passwords -------------------------------------------------------------

@pytest.mark.parametrize("password", ["12345678", "password", "iloveyou", "qwertyuiop", "carol-smith",
                                      "Carol-Smith", "aaaaaaaaaaaa", "password1"])
def test_common_guessable_and_username_passwords_are_refused(app, password):
    client = app.test_client()
    response = client.post("/api/users", json={"username": "carol-smith", "password": password})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "weak_password"
    page = client.post("/register", data={"username": "carol-smith", "password": password, "confirm": password})
    assert page.status_code == 400 and 'role="alert"' in page.get_data(as_text=True)
    assert client.post("/api/token", json={"username": "carol-smith", "password": password}).status_code == 401


def test_a_passphrase_is_accepted(app):
    response = app.test_client().post("/api/users", json={"username": "carol", "password": "velvet comet harbor"})
    assert response.status_code == 201
