"""Bad input on every route of CONTRACT.md: the contract's JSON error with a 4xx (or a normal 200
when the input is legitimate, such as emoji in a search), never a 500, and never a write.

One app (fixture release + a built index) serves the whole module; every test that sends a
refused write compares a snapshot of the store before and after."""
import json
from pathlib import Path

import pytest

from recommender.serving.service import MAX_K
from tests.conftest import snapshot
from tests.web_helpers import PASSWORD, imported_app, signup

LONG = "x" * 10_000
SEARCH_TEXTS = ["😀🎬🍿", "שלום עולם", "مرحبا بالعالم", "\u202eevil\u202c", "Amélie", "東京物語", "𝔰𝔱𝔞𝔯 𝔴𝔞𝔯𝔰",
                "' OR 1=1 --", "\"; DROP TABLE movies; --", "%_\\", "Robert'); DROP TABLE users;--",
                "\x00\x01", "<script>alert(1)</script>", "ⅷ ﬁ ǅ", "a" * 200]
BAD_IDS = ["999", "0", "abc", "-1", "3.5", "1e3", "99999999999999999999", "%F0%9F%98%80",
           "3%3B%20DROP%20TABLE%20movies", "3%00", "0x10", LONG]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(app, client, user): the fixture release, indexed, with one account and its token."""
    app = imported_app(tmp_path_factory.mktemp("bad-input") / "instance", WTF_CSRF_ENABLED=False,
                       LOGIN_LIMIT_PER_ADDRESS=(10_000, 60), LOGIN_LIMIT_PER_ACCOUNT=(10_000, 60))
    result = app.test_cli_runner().invoke(args=["index", "rebuild"])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    return app, client, signup(client, "mallory")


@pytest.fixture
def unchanged(served):
    """Asserts, after the test, that the store holds exactly what it held before it (failed logins
    aside: counting them for the rate limit is the one write a refused login makes, by design)."""
    app = served[0]
    before = snapshot(Path(app.config["DATABASE"]))
    yield
    after = snapshot(Path(app.config["DATABASE"]))
    assert after.pop("login_attempts") >= before.pop("login_attempts") and after == before


def contract_error(response, status: int | tuple = None) -> str:
    """The contract's error body with a 4xx status; returns its code."""
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:300])
    if status is not None:
        assert response.status_code in (status if isinstance(status, tuple) else (status,)), response.status_code
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)
    return body["error"]["code"]


def send(client, method: str, path: str, user: dict, **kwargs):
    return client.open(path, method=method, headers=user["headers"], **kwargs)


# --- ids ----------------------------------------------------------------------------------------

ID_ROUTES = [("GET", "/api/movies/{}"), ("GET", "/api/movies/{}/similar"), ("PUT", "/api/ratings/{}"),
             ("DELETE", "/api/ratings/{}")]


@pytest.mark.parametrize("method, route", ID_ROUTES)
def test_unknown_and_malformed_ids_are_404(served, unchanged, method, route):
    _, client, user = served
    for movie_id in BAD_IDS:
        response = send(client, method, route.format(movie_id), user, json={"rating": 4})
        assert contract_error(response, 404) in {"movie_not_found", "not_found"}, movie_id


def test_unknown_ids_on_pages_are_404(served, unchanged):
    _, client, _ = served
    for movie_id in BAD_IDS:
        assert client.get(f"/movies/{movie_id}").status_code == 404
        assert client.post(f"/ratings/{movie_id}", data={"rating": "4"}).status_code in (302, 404)  # 302: to login


# --- k and limit --------------------------------------------------------------------------------

K_ROUTES = ["/api/movies/3/similar?k={}", "/api/search?q=robots&k={}", "/api/feed?k={}",
            "/api/movies?q=star&limit={}"]


@pytest.mark.parametrize("route", K_ROUTES)
@pytest.mark.parametrize("k", ["0", "-1", str(10**9), "abc", "", "1.5", str(MAX_K + 1), "%EF%BC%91", "1e2", " 5"])
def test_k_outside_1_to_100_is_refused(served, route, k):
    _, client, user = served
    assert contract_error(send(client, "GET", route.format(k), user), 400) == "invalid_parameter"


@pytest.mark.parametrize("route", K_ROUTES)
def test_k_at_the_documented_maximum_is_served(served, route):
    _, client, user = served
    response = send(client, "GET", route.format(MAX_K), user)
    assert response.status_code == 200 and len(response.get_json()["results"]) <= MAX_K


# --- ratings ------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ['{"rating": 0}', '{"rating": 5.5}', '{"rating": 3.3}', '{"rating": "4"}',
                                 '{"rating": NaN}', '{"rating": -Infinity}', '{"rating": null}', '{}',
                                 '{"score": 4}', '{"rating": true}', '{"rating": -0.5}', '{"rating": 1e400}',
                                 '{"rating": 10000000000000000000000000000000000}', '{"rating": {"v": 4}}',
                                 '{"rating": 4.50000000001}', '{"rating": [4]}'])
def test_refused_rating_changes_nothing(served, unchanged, raw):
    _, client, user = served
    response = send(client, "PUT", "/api/ratings/3", user, data=raw, content_type="application/json")
    assert contract_error(response, 400) in {"invalid_rating", "invalid_body"}


@pytest.mark.parametrize("body, status", [({"rating": 0.5}, 201), ({"rating": 5}, 200), ({"rating": 4.5}, 200)])
def test_rating_edges_are_accepted(served, body, status):
    _, client, user = served
    assert send(client, "PUT", "/api/ratings/4", user, json=body).status_code == status


# --- bodies -------------------------------------------------------------------------------------

BODY_ROUTES = [("POST", "/api/users"), ("POST", "/api/token"), ("PUT", "/api/ratings/3")]
BAD_BODIES = [("{not json", "application/json"), ('{"rating": 4', "application/json"),
              ("[1, 2]", "application/json"), ("null", "application/json"), ('"text"', "application/json"),
              ("", "application/json"), (b"\xff\xfe\x00", "application/json"),
              ('{"rating": 4}', "text/plain"), ("rating=4", "application/x-www-form-urlencoded"),
              ('{"a": 1}' * 1000, "application/json")]


@pytest.mark.parametrize("method, path", BODY_ROUTES)
def test_invalid_json_bodies(served, unchanged, method, path):
    _, client, user = served
    for data, content_type in BAD_BODIES:
        response = send(client, method, path, user, data=data, content_type=content_type)
        assert contract_error(response, 400) == "invalid_body", (data[:20], content_type)


@pytest.mark.parametrize("method, path", BODY_ROUTES)
def test_bodies_over_the_limit_are_413(served, unchanged, method, path):
    _, client, user = served
    big = json.dumps({"username": "zed", "password": PASSWORD, "rating": 4, "pad": "x" * 70_000})
    response = send(client, method, path, user, data=big, content_type="application/json")
    assert contract_error(response, 413) == "request_entity_too_large"


def test_form_bodies_over_the_limit_are_413(served, unchanged):
    _, client, _ = served
    for path in ("/login", "/register"):
        response = client.post(path, data={"username": "zed", "password": "x" * 70_000, "confirm": "x"})
        assert response.status_code == 413 and "<html" in response.get_data(as_text=True)


def test_lone_surrogates_in_json_are_refused_not_500(served, unchanged):
    """JSON may escape a lone surrogate ("\\ud800"), which no UTF-8 store or hash accepts (was a 500)."""
    _, client, user = served
    for body in (r'{"username": "zed", "password": "\ud800 correct horse"}',
                 r'{"username": "\ud800zed", "password": "correct horse"}',
                 r'{"username": "mallory", "password": "\udfff"}'):
        for path in ("/api/users", "/api/token"):
            contract_error(client.post(path, data=body, content_type="application/json"), (400, 401))
    response = send(client, "PUT", "/api/ratings/3", user, data=r'{"rating": "\ud800"}',
                    content_type="application/json")
    # the parser refuses the body (orjson: no UTF-8 for a lone surrogate) or validation the rating
    assert contract_error(response, 400) in ("invalid_body", "invalid_rating")


# --- query strings ------------------------------------------------------------------------------

GET_ROUTES = ["/api/movies", "/api/movies/3", "/api/movies/3/similar", "/api/search", "/api/feed",
              "/api/ratings", "/healthz"]


@pytest.mark.parametrize("path", GET_ROUTES)
def test_query_strings_of_ten_thousand_characters(served, path):
    _, client, user = served
    for query in (f"q={LONG}", f"genre={LONG}", f"k={'9' * 10_000}", f"limit={'1' * 10_000}", f"junk={LONG}",
                  "&".join(f"p{i}=1" for i in range(2_000))):
        response = send(client, "GET", f"{path}?{query}", user)
        if response.status_code != 200:  # a parameter this route reads; otherwise ignored
            assert contract_error(response, 400) in {"invalid_parameter", "unknown_genre", "missing_query"}


@pytest.mark.parametrize("path", GET_ROUTES)
def test_query_strings_that_are_not_utf8_are_400(served, path):
    """Werkzeug keeps an escape that is not UTF-8 as its literal text ("%ff%fe" would be searched
    as "%FF%FE"): refused, as any other bad parameter; UTF-8 escapes read as the text they are."""
    _, client, user = served
    for query in ("q=%ff%fe", "genre=%80", "junk=%C3"):
        assert contract_error(send(client, "GET", f"{path}?{query}", user), 400) == "invalid_query_string"
    fine = send(client, "GET", f"{path}?junk=%C3%A9t%C3%A9", user)
    assert fine.status_code == 200 or contract_error(fine, 400) == "missing_query"  # /api/search asks for a q


def test_query_strings_that_are_not_utf8_on_pages(served):
    _, client, _ = served
    for path in ("/", "/movies/3", "/browse"):
        response = client.get(f"{path}?q=%00%ff")
        assert response.status_code == 400 and b"not valid UTF-8" in response.data


def test_long_query_strings_on_pages(served):
    _, client, _ = served
    for path in ("/", "/movies/3", "/login", "/register"):
        for query in (f"q={LONG}", f"genre={LONG}", f"next={LONG}"):
            assert client.get(f"{path}?{query}").status_code in (200, 400)


# --- genres -------------------------------------------------------------------------------------

@pytest.mark.parametrize("genre", ["Polka", "drama%00", "Drama|Comedy", "' OR '1'='1", "😀", "ドラマ", LONG[:300]])
def test_unknown_genres(served, genre):
    _, client, user = served
    for route in ("/api/movies?q=star", "/api/movies/3/similar", "/api/search?q=robots", "/api/feed"):
        sep = "&" if "?" in route else "?"
        response = send(client, "GET", f"{route}{sep}genre={genre}", user)
        assert contract_error(response, 400) in {"unknown_genre", "invalid_parameter"}
    for page in ("/?q=star", "/movies/3"):
        assert client.get(f"{page}&genre={genre}" if "?" in page else f"{page}?genre={genre}").status_code == 400


def test_genre_ignores_case(served):
    _, client, user = served
    assert send(client, "GET", "/api/movies/3/similar?genre=dRaMa", user).status_code == 200


# --- search text --------------------------------------------------------------------------------

def test_a_query_of_invisible_characters_is_no_query(served):
    _, client, _ = served
    for invisible in ("\u200b", "\x00", "\u200e\u200b ", "\x07"):
        response = client.get("/api/search", query_string={"q": invisible})
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "missing_query"
        page = client.get("/", query_string={"q": invisible}).get_data(as_text=True)
        assert "No title matches" not in page and "Titles matching" not in page
    assert client.get("/api/movies", query_string={"q": "star\u200b wars"}).get_json()["results"][0]["id"] == 3


@pytest.mark.parametrize("text", SEARCH_TEXTS)
def test_unicode_and_sql_in_search_are_plain_text(served, unchanged, text):
    _, client, user = served
    for path in ("/api/movies", "/api/search"):
        response = client.get(path, query_string={"q": text})
        if text.strip("\x00\x01 "):
            assert response.status_code == 200, response.get_data(as_text=True)
            assert isinstance(response.get_json()["results"], list)
        else:  # nothing but control characters: no query
            assert response.status_code in (200, 400)
    for mode in ("title", "text"):
        response = client.get("/", query_string={"q": text, "mode": mode})
        # a title that names one film (𝔰𝔱𝔞𝔯 𝔴𝔞𝔯𝔰 is Star Wars) opens its list
        assert response.status_code == 200 or (response.status_code == 302 and mode == "title"
                                               and response.location.startswith("/movies/"))


def test_sql_in_search_finds_nothing_extra(served):
    _, client, _ = served
    assert client.get("/api/movies", query_string={"q": "' OR 1=1 --"}).get_json()["results"] == []
    assert client.get("/api/movies", query_string={"q": "%"}).get_json()["results"] == []


# --- usernames ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["😀😀😀", "ab\u202ecd", "Robert'); DROP TABLE users;--", "a' OR '1'='1",
                                  "<script>", "a\x00bc", "\u200b\u200b\u200b", "ab", "x" * 31, "   ", 42, None,
                                  ["alice"], {"n": 1}, True])
def test_bad_usernames_are_refused_and_write_nothing(served, unchanged, name):
    _, client, _ = served
    response = client.post("/api/users", json={"username": name, "password": PASSWORD})
    assert contract_error(response, 400) == "invalid_username"
    if isinstance(name, str):
        response = client.post("/register", data={"username": name, "password": PASSWORD, "confirm": PASSWORD})
        assert response.status_code == 400


@pytest.mark.parametrize("name", ["שלום", "مستخدم", "用户名", "Zoë-ñ_1"])
def test_unicode_usernames_in_any_alphabet_work(served, name):
    _, client, _ = served
    user = signup(client, name)
    assert user["username"] == name
    me = client.get("/api/ratings", headers=user["headers"])
    assert me.status_code == 200


@pytest.mark.parametrize("name", ["' OR 1=1 --", "mallory' --", "mallory\x00", "MALLORY%", "mallor_", "😀"])
def test_sql_in_login_names_does_not_log_in(served, name):
    _, client, _ = served
    assert contract_error(client.post("/api/token", json={"username": name, "password": PASSWORD}),
                          401) == "invalid_credentials"
    assert client.post("/login", data={"username": name, "password": PASSWORD}).status_code == 401


# --- tokens -------------------------------------------------------------------------------------

@pytest.mark.parametrize("header", ["Bearer " + LONG, "Bearer ' OR 1=1 --", "Bearer \u00ff\u00fe",
                                    "bearer", "Bearer a b", "Token abc", "Bearer\tabc"])
def test_odd_authorization_headers_are_401(served, unchanged, header):
    _, client, _ = served
    for method, path in (("GET", "/api/feed"), ("PUT", "/api/ratings/3"), ("DELETE", "/api/token")):
        response = client.open(path, method=method, headers={"Authorization": header}, json={"rating": 4})
        assert contract_error(response, 401) == "unauthorized"
