"""Deleting an account (issue 19): `DELETE /api/account` and the form on `/account`.

The password is typed again; then the account, its ratings, watchlist, hidden films, API tokens and
browser logins are gone in one transaction, the films' rating counts are as if it never rated, the
old token gets 401 and the name can sign up again. A wrong password is a 403 that deletes nothing
and counts as a failed login; bad input is a 4xx, never a 500; other accounts are untouched."""
import sqlite3

import pytest

from recommender import store
from recommender.store import accounts
from tests.conftest import snapshot
from tests.test_hidden import error_code, html
from tests.web_helpers import PASSWORD, csrf_token, imported_app, login_form, signup


def rows_of(db_path, user_id: int, username: str) -> dict[str, int]:
    """How many rows of each table still belong to the account (by user id, or by name in
    login_attempts), over every table that has a user_id column: a table added later is
    checked without this test knowing of it."""
    db = store.connect(db_path)
    try:
        found = {}
        for table in db.table_names():
            if "user_id" in db[table].columns_dict:
                found[table] = db.execute(f"SELECT count(*) FROM [{table}] WHERE user_id = ?",  # noqa: S608
                                          (user_id,)).fetchone()[0]
        found["users"] = db.execute("SELECT count(*) FROM users WHERE id = ?", (user_id,)).fetchone()[0]
        found["login_attempts"] = db.execute("SELECT count(*) FROM login_attempts WHERE key = ?",
                                             (f"account:{username}",)).fetchone()[0]
        return found
    finally:
        db.close()


def movie_stats(db_path, movie_id: int) -> tuple[int, float]:
    db = store.connect(db_path)
    try:
        return tuple(db.execute("SELECT num_ratings, rating_sum FROM movies WHERE id = ?", (movie_id,)).fetchone())
    finally:
        db.close()


def fill(client, headers) -> None:
    """A rating, a watchlist entry and a hidden film."""
    assert client.put("/api/ratings/6", json={"rating": 4.5}, headers=headers).status_code == 201
    assert client.put("/api/watchlist/3", headers=headers).status_code == 201
    assert client.put("/api/hidden/2", headers=headers).status_code == 201


# --- the API ---------------------------------------------------------------------------------

def test_deleting_removes_everything_and_the_name_is_free_again(app, client):
    db_path = app.config["DATABASE"]
    stats = movie_stats(db_path, 6)
    alice, bob = signup(client, "alice"), signup(client, "bob")
    fill(client, alice["headers"])
    fill(client, bob["headers"])
    second_token = client.post("/api/token", json={"username": "alice", "password": PASSWORD}).get_json()["token"]
    assert login_form(client).status_code == 302  # a browser login too
    client.post("/api/token", json={"username": "alice", "password": "wrong password!"})  # a failed login
    before = rows_of(db_path, alice["id"], "alice")
    assert all(before[t] for t in ("users", "ratings", "watchlist", "hidden", "api_tokens", "web_sessions",
                                   "login_attempts")), before

    response = client.delete("/api/account", json={"password": PASSWORD}, headers=alice["headers"])
    assert response.status_code == 204 and response.get_data() == b""
    assert set(rows_of(db_path, alice["id"], "alice").values()) == {0}
    assert movie_stats(db_path, 6)[0] == stats[0] + 1  # only bob's rating counts now
    for token in (alice["token"], second_token):
        refused = client.get("/api/ratings", headers={"Authorization": f"Bearer {token}"})
        assert error_code(refused, 401) == "unauthorized"
    assert client.get("/feed").status_code == 302  # the browser login ended with it
    assert error_code(client.post("/api/token", json={"username": "alice", "password": PASSWORD}), 401) \
        == "invalid_credentials"

    again = signup(client, "Alice")  # the name is free, in any case
    for path in ("/api/ratings", "/api/watchlist", "/api/hidden"):
        assert client.get(path, headers=again["headers"]).get_json()["results"] == []
    assert client.get("/api/export", headers=again["headers"]).get_json()["ratings"] == []
    bob_data = client.get("/api/export", headers=bob["headers"]).get_json()  # bob is untouched
    assert ([r["movie_id"] for r in bob_data["ratings"]], [w["movie_id"] for w in bob_data["watchlist"]],
            [h["movie_id"] for h in bob_data["hidden"]]) == ([6], [3], [2])


def test_a_deleted_accounts_id_goes_to_nobody_else(client):
    """The newest account deleted, the next sign-up gets a new id: a script that kept the old one
    must not find another person behind it."""
    first, newest = signup(client, "alice"), signup(client, "bob")
    assert client.delete("/api/account", json={"password": PASSWORD}, headers=newest["headers"]).status_code == 204
    after = signup(client, "carol")
    assert after["id"] > newest["id"] > first["id"]


def test_a_store_made_before_ids_were_remembered_never_reuses_its_accounts_ids(tmp_path):
    """The schema's first run on an older store starts from its highest account id."""
    db = store.connect(tmp_path / "movies.db")
    store.ensure_schema(db)
    old, newest = accounts.create(db, "olduser", PASSWORD), accounts.create(db, "newuser", PASSWORD)
    db.execute("DROP TRIGGER account_ids_given_insert")
    db.execute("DROP TABLE account_ids_given")
    store.ensure_schema(db)
    accounts.delete(db, newest, PASSWORD)
    assert accounts.create(db, "another", PASSWORD).id > newest.id > old.id
    db.close()


def test_a_wrong_password_is_403_deletes_nothing_and_counts_as_a_failed_login(app, client):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = (3, 900)
    user = signup(client)
    fill(client, user["headers"])
    before = snapshot(app.config["DATABASE"])
    response = client.delete("/api/account", json={"password": "not my password"}, headers=user["headers"])
    assert error_code(response, 403) == "wrong_password"
    after = snapshot(app.config["DATABASE"])
    assert after.pop("login_attempts") != before.pop("login_attempts")
    assert after == before
    for _ in range(2):
        client.delete("/api/account", json={"password": "not my password"}, headers=user["headers"])
    throttled = client.delete("/api/account", json={"password": PASSWORD}, headers=user["headers"])
    assert error_code(throttled, 429) == "too_many_attempts" and int(throttled.headers["Retry-After"]) > 0
    assert client.get("/api/ratings", headers=user["headers"]).status_code == 200  # still there


@pytest.mark.parametrize("kwargs", [
    {}, {"data": "password=x"}, {"data": "not json", "content_type": "application/json"},
    {"json": []}, {"json": {}}, {"json": {"password": None}}, {"json": {"password": 12345678}},
    {"json": {"password": ""}}, {"json": {"password": ["correct horse battery"]}},
    {"json": {"passwd": PASSWORD}},
])
def test_bad_bodies_are_400_and_delete_nothing(app, client, kwargs):
    user = signup(client)
    fill(client, user["headers"])
    before = snapshot(app.config["DATABASE"])
    response = client.delete("/api/account", headers=user["headers"], **kwargs)
    assert error_code(response, 400) == "invalid_body"
    assert snapshot(app.config["DATABASE"]) == before


@pytest.mark.parametrize("body, status", [('{"password": "\\ud800abcdefgh"}', 400),  # JSON that is no text
                                          ('{"password": "%s"}' % ("x" * 5000), 403)])
def test_a_lone_surrogate_or_huge_password_is_4xx_not_500(app, client, body, status):
    user = signup(client)
    response = client.delete("/api/account", data=body, content_type="application/json", headers=user["headers"])
    assert error_code(response, status) in {"invalid_body", "wrong_password"}
    assert client.get("/api/ratings", headers=user["headers"]).status_code == 200


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic YWxpY2U6eA=="])
def test_auth_required(app, client, header):
    signup(client)
    before = snapshot(app.config["DATABASE"])
    response = client.delete("/api/account", json={"password": PASSWORD},
                             headers={"Authorization": header} if header else {})
    assert error_code(response, 401) == "unauthorized"
    assert snapshot(app.config["DATABASE"]) == before


def test_a_session_cookie_alone_cannot_delete_through_the_api(client):
    signup(client)
    assert login_form(client).status_code == 302
    assert error_code(client.delete("/api/account", json={"password": PASSWORD}), 401) == "unauthorized"


def test_the_deletion_is_one_transaction(app, monkeypatch):
    """A failure halfway (here: the last statement) leaves every row where it was."""
    db = store.connect(app.config["DATABASE"])
    try:
        account = accounts.create(db, "zelda", PASSWORD)
        db.execute("INSERT INTO ratings (user_id, movie_id, rating, timestamp) VALUES (?, 6, 4, 1)", (account.id,))
        db.conn.commit()
        before = snapshot(app.config["DATABASE"])
        monkeypatch.setattr(accounts, "_DELETE_ACCOUNT", accounts._DELETE_ACCOUNT + ("DELETE FROM nowhere",))
        with pytest.raises(sqlite3.OperationalError):
            accounts.delete(db, account, PASSWORD)
        assert snapshot(app.config["DATABASE"]) == before
    finally:
        db.close()


def test_the_openapi_document_describes_the_route(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert set(paths["/api/account"]) == {"delete"}


# --- the account page ------------------------------------------------------------------------

@pytest.fixture
def browser(tmp_path):
    """A logged-in browser with CSRF on, holding some data."""
    app = imported_app(tmp_path / "instance", WTF_CSRF_ENABLED=True)
    client = app.test_client()
    client.user = signup(client)
    fill(client, client.user["headers"])
    assert login_form(client, token=csrf_token(client)).status_code == 302
    client.app_ = app
    return client


def test_the_page_deletes_after_the_password_then_logs_out(browser):
    page = html(browser, "/account")
    assert 'action="/account/delete"' in page and 'type="password"' in page and "cannot be undone" in page
    response = browser.post("/account/delete", data={"csrf_token": csrf_token(browser, "/account"),
                                                      "password": PASSWORD})
    assert response.status_code == 302 and response.location == "/"
    home = html(browser, "/")
    assert "The account alice is deleted" in home and "Log in" in home and "Log out" not in home
    assert browser.get("/account").status_code == 302  # logged out
    assert set(rows_of(browser.app_.config["DATABASE"], browser.user["id"], "alice").values()) == {0}
    assert error_code(browser.get("/api/ratings", headers=browser.user["headers"]), 401) == "unauthorized"


def test_the_page_refuses_a_wrong_password_and_needs_the_csrf_token(browser):
    before = snapshot(browser.app_.config["DATABASE"])
    no_token = browser.post("/account/delete", data={"password": PASSWORD})
    assert no_token.status_code == 400 and "Reload the page and try again" in no_token.get_data(as_text=True)
    assert snapshot(browser.app_.config["DATABASE"]) == before
    wrong = browser.post("/account/delete", data={"csrf_token": csrf_token(browser, "/account"),
                                                  "password": "not my password"})
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 403 and "That password is wrong" in page and 'aria-invalid="true"' in page
    empty = browser.post("/account/delete", data={"csrf_token": csrf_token(browser, "/account")})
    assert empty.status_code == 400 and "Type your password" in empty.get_data(as_text=True)
    assert 'aria-invalid="true"' in empty.get_data(as_text=True)
    assert browser.get("/api/ratings", headers=browser.user["headers"]).status_code == 200
    assert html(browser, "/account")  # still logged in


def test_another_browsers_login_ends_too(browser):
    other = browser.app_.test_client()
    assert login_form(other, token=csrf_token(other)).status_code == 302
    assert other.get("/feed").status_code == 200
    browser.post("/account/delete", data={"csrf_token": csrf_token(browser, "/account"), "password": PASSWORD})
    assert other.get("/feed").status_code == 302


def test_a_locked_store_gives_503_and_the_account_stays(tmp_path):
    """Under another process's write lock the deletion is refused whole, then goes through."""
    from tests.test_reliability import ForeignWriter, assert_unavailable

    app = imported_app(tmp_path / "instance", WTF_CSRF_ENABLED=False, DATABASE_BUSY_TIMEOUT_MS=200)
    client = app.test_client()
    user = signup(client)
    fill(client, user["headers"])
    before = snapshot(app.config["DATABASE"])
    lock = ForeignWriter(app.config["DATABASE"])
    try:
        assert_unavailable(client.delete("/api/account", json={"password": PASSWORD}, headers=user["headers"]))
    finally:
        lock.release()
    assert snapshot(app.config["DATABASE"]) == before
    assert client.delete("/api/account", json={"password": PASSWORD}, headers=user["headers"]).status_code == 204
    assert set(rows_of(app.config["DATABASE"], user["id"], "alice").values()) == {0}
