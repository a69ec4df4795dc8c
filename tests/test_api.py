"""The JSON API of CONTRACT.md: every route, and every error status it promises."""
import json
import re

import pytest

from recommender.serving.service import MAX_K
from tests.web_helpers import PASSWORD, signup

MOVIE_KEYS = {"id", "title", "year", "genres", "avg_rating", "num_ratings"}


def error_code(response, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return body["error"]["code"]


# --- movies -----------------------------------------------------------------------------------

@pytest.mark.parametrize("query, movie_id", [
    ("star wars", 3), ("STAR-WARS!", 3), ("star wa", 3), ("stra wars", 3), ("godfather", 6),
    ("godfater", 6), ("the godfather", 6), ("cite des enfants", 11), ("Cité", 11), ("empire", 4),
])
def test_title_lookup(client, query, movie_id):
    results = client.get("/api/movies", query_string={"q": query}).get_json()["results"]
    assert results and results[0]["id"] == movie_id


def test_title_lookup_shape_and_filters(client):
    results = client.get("/api/movies?q=godfather").get_json()["results"]
    assert [m["id"] for m in results] == [6, 7]
    assert MOVIE_KEYS <= set(results[0])
    assert results[0]["title"] == "Godfather, The (1972)" and results[0]["year"] == 1972
    assert client.get("/api/movies?q=star&genre=Comedy").get_json()["results"] == []
    assert client.get("/api/movies?q=star&genre=sci-fi").get_json()["results"][0]["id"] == 3
    assert len(client.get("/api/movies?q=the&limit=2").get_json()["results"]) == 2
    assert client.get("/api/movies?q=").get_json() == {"results": []}
    assert client.get("/api/movies").get_json() == {"results": []}


@pytest.mark.parametrize("query", ["limit=0", "limit=-1", "limit=abc", "limit=101", "genre=Nope", "q=" + "x" * 201])
def test_title_lookup_bad_parameters(client, query):
    assert error_code(client.get(f"/api/movies?{query}"), 400) in {"invalid_parameter", "unknown_genre"}


def test_one_movie(client):
    movie = client.get("/api/movies/3").get_json()
    assert movie["id"] == 3 and movie["title"] == "Star Wars (1977)" and movie["year"] == 1977
    assert "Sci-Fi" in movie["genres"] and isinstance(movie["avg_rating"], float) and movie["num_ratings"] > 0
    assert movie["avg_rating"] == round(movie["avg_rating"], 2)


@pytest.mark.parametrize("path", ["/api/movies/999", "/api/movies/abc", "/api/movies/-1", "/api/movies/3.5",
                                  "/api/movies/99999999999999999999999", "/api/movies/999/similar",
                                  "/api/movies/abc/similar"])
def test_unknown_or_malformed_movie_ids_are_404(client, path):
    error_code(client.get(path), 404)


def test_similar(client):
    body = client.get("/api/movies/3/similar?k=5").get_json()
    assert body["movie"]["id"] == 3
    assert 0 < len(body["results"]) <= 5
    for item in body["results"]:
        assert set(item) == {"movie", "score", "reason"} and item["movie"]["id"] != 3
        assert isinstance(item["score"], float) and item["reason"]
    assert len(client.get(f"/api/movies/3/similar?k={MAX_K}").get_json()["results"]) <= MAX_K
    for item in client.get("/api/movies/3/similar?genre=Drama").get_json()["results"]:
        assert "Drama" in item["movie"]["genres"]


@pytest.mark.parametrize("k", ["0", "-1", "abc", "1.5", str(MAX_K + 1), ""])
def test_k_is_validated(client, k):
    assert error_code(client.get(f"/api/movies/3/similar?k={k}"), 400) == "invalid_parameter"
    assert error_code(client.get(f"/api/search?q=robots&k={k}"), 400) == "invalid_parameter"


def test_unknown_genre(client):
    assert error_code(client.get("/api/movies/3/similar?genre=Polka"), 400) == "unknown_genre"
    message = client.get("/api/movies/3/similar?genre=Polka").get_json()["error"]["message"]
    assert "Sci-Fi" in message and "unknown" not in message.removeprefix("unknown genre")  # what the filters offer


def test_free_text_search(client):
    body = client.get("/api/search?q=space opera with robots&k=3").get_json()
    assert 0 < len(body["results"]) <= 3
    assert set(body["results"][0]) == {"movie", "score", "reason"}
    assert error_code(client.get("/api/search"), 400) == "missing_query"
    assert error_code(client.get("/api/search?q=%20%20"), 400) == "missing_query"


def test_a_search_that_names_a_title_lists_that_film_first(indexed_app):
    """'godfather' (the catalogue's title is 'Godfather, The'): The Godfather, then what the
    words describe, and not in a genre it is not of."""
    client = indexed_app.test_client()
    first = client.get("/api/search?q=godfather&k=3").get_json()["results"]
    assert first[0]["movie"]["id"] == 6 and len({r["movie"]["id"] for r in first}) == len(first)
    assert client.get("/api/search?q=godfather&k=3&genre=Comedy").get_json()["results"][0]["movie"]["id"] != 6


# --- accounts and tokens ----------------------------------------------------------------------

def test_create_user(client):
    response = client.post("/api/users", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert body["username"] == "alice" and body["id"] > 30  # above every MovieLens user


def test_username_taken_in_any_case(client):
    assert client.post("/api/users", json={"username": "Zoë.b", "password": PASSWORD}).status_code == 201
    for name in ("Zoë.b", "zoë.b", "ZOË.B", "Zoe\u0308.b"):  # the last: decomposed accent
        assert error_code(client.post("/api/users", json={"username": name, "password": PASSWORD}), 409) \
            == "username_taken"


@pytest.mark.parametrize("body", [
    {"username": "al", "password": PASSWORD}, {"username": "a" * 31, "password": PASSWORD},
    {"username": "has space", "password": PASSWORD}, {"username": "<script>", "password": PASSWORD},
    {"username": "bob", "password": "short"}, {"username": "bob"}, {"password": PASSWORD},
    {"username": 42, "password": PASSWORD}, {"username": "bob", "password": 12345678},
])
def test_create_user_rejects_bad_input(client, body):
    code = error_code(client.post("/api/users", json=body), 400)
    assert code in {"invalid_username", "weak_password", "invalid_password"}
    if "username" in body and not isinstance(body.get("password"), str):
        assert code == "invalid_password"  # missing or not text: malformed, not weak


@pytest.mark.parametrize("kwargs", [
    {"data": "username=bob&password=secret123", "content_type": "application/x-www-form-urlencoded"},
    {"data": "{not json", "content_type": "application/json"},
    {"data": "[1, 2]", "content_type": "application/json"},
    {"data": "", "content_type": "application/json"},
])
def test_bodies_must_be_json_objects(client, kwargs):
    assert error_code(client.post("/api/users", **kwargs), 400) == "invalid_body"
    assert error_code(client.post("/api/token", **kwargs), 400) == "invalid_body"


def test_body_too_large(client):
    big = json.dumps({"username": "bob", "password": "x" * 100_000})
    assert error_code(client.post("/api/users", data=big, content_type="application/json"), 413) \
        == "request_entity_too_large"
    user = signup(client)
    big = json.dumps({"rating": 4, "padding": "x" * 100_000})
    error_code(client.put("/api/ratings/3", data=big, content_type="application/json", headers=user["headers"]), 413)


def test_token_and_revocation(client):
    user = signup(client)
    assert client.get("/api/feed", headers=user["headers"]).status_code == 200
    other = client.post("/api/token", json={"username": "ALICE", "password": PASSWORD}).get_json()["token"]
    assert client.delete("/api/token", headers=user["headers"]).status_code == 204
    assert error_code(client.get("/api/feed", headers=user["headers"]), 401) == "unauthorized"
    assert error_code(client.delete("/api/token", headers=user["headers"]), 401) == "unauthorized"
    # only the token used is revoked
    assert client.get("/api/feed", headers={"Authorization": f"Bearer {other}"}).status_code == 200


@pytest.mark.parametrize("body", [{"username": "alice", "password": "wrong password"},
                                  {"username": "nobody", "password": PASSWORD},
                                  {"username": "alice"}, {"username": ["alice"], "password": PASSWORD}])
def test_token_bad_credentials(client, body):
    signup(client)
    assert error_code(client.post("/api/token", json=body), 401) == "invalid_credentials"


@pytest.mark.parametrize("method, path", [("get", "/api/feed"), ("get", "/api/ratings"),
                                          ("put", "/api/ratings/3"), ("delete", "/api/ratings/3"),
                                          ("delete", "/api/token")])
@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic YWxpY2U6eA==", "Bearer "])
def test_auth_required(client, method, path, header):
    headers = {"Authorization": header} if header else {}
    response = getattr(client, method)(path, headers=headers, json={"rating": 4})
    assert error_code(response, 401) == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_session_cookie_alone_is_not_api_auth(client):
    signup(client)
    assert client.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 302
    assert client.get("/feed").status_code == 200  # logged in for the pages...
    error_code(client.put("/api/ratings/3", json={"rating": 4}), 401)  # ...not for the API
    error_code(client.get("/api/feed"), 401)


# --- feed and ratings -------------------------------------------------------------------------

def test_feed(client):
    user = signup(client)
    body = client.get("/api/feed?k=5", headers=user["headers"]).get_json()
    assert set(body) == {"results", "index_version"} and len(body["results"]) == 5
    assert set(body["results"][0]) == {"movie", "score", "reason"}
    drama = client.get("/api/feed?genre=Drama", headers=user["headers"]).get_json()["results"]
    assert drama and all("Drama" in item["movie"]["genres"] for item in drama)
    assert error_code(client.get("/api/feed?k=0", headers=user["headers"]), 400) == "invalid_parameter"
    assert error_code(client.get("/api/feed?genre=x", headers=user["headers"]), 400) == "unknown_genre"


def test_rating_leaves_the_feed_at_once(client):
    user = signup(client)
    first = client.get("/api/feed?k=10", headers=user["headers"]).get_json()["results"][0]["movie"]["id"]
    assert client.put(f"/api/ratings/{first}", json={"rating": 4.5}, headers=user["headers"]).status_code == 201
    ids = [item["movie"]["id"] for item in client.get("/api/feed?k=100", headers=user["headers"]).get_json()["results"]]
    assert first not in ids and ids


def test_put_list_delete_ratings(client, monkeypatch):
    user = signup(client)
    clock = iter([1_000_000_000, 1_000_000_100, 1_000_000_200])
    monkeypatch.setattr("recommender.store.user_ratings.now", lambda: next(clock))
    put = lambda movie, value: client.put(f"/api/ratings/{movie}", json={"rating": value}, headers=user["headers"])
    assert put(3, 5).status_code == 201
    assert put(6, 0.5).status_code == 201
    updated = put(3, 4.5)
    assert updated.status_code == 200 and updated.get_json()["rating"] == 4.5
    results = client.get("/api/ratings", headers=user["headers"]).get_json()["results"]
    assert [(r["movie"]["id"], r["rating"]) for r in results] == [(3, 4.5), (6, 0.5)]  # newest first
    assert results[0]["rated_at"] == "2001-09-09T01:50:00Z" and MOVIE_KEYS <= set(results[0]["movie"])
    assert client.delete("/api/ratings/3", headers=user["headers"]).status_code == 204
    assert error_code(client.delete("/api/ratings/3", headers=user["headers"]), 404) == "rating_not_found"
    assert [r["movie"]["id"] for r in client.get("/api/ratings", headers=user["headers"]).get_json()["results"]] == [6]


def test_the_same_rating_again_changes_nothing(client, monkeypatch):
    """PUT is idempotent: the same stars again keep the rating's date and its place in "newest
    first" (the feed weighs the order of ratings too)."""
    user = signup(client)
    clock = iter([1_000_000_000, 1_000_000_100, 1_000_000_200])
    monkeypatch.setattr("recommender.store.user_ratings.now", lambda: next(clock))
    put = lambda movie, value: client.put(f"/api/ratings/{movie}", json={"rating": value}, headers=user["headers"])
    assert put(3, 5).status_code == 201 and put(6, 4).status_code == 201
    assert put(3, 5).status_code == 200
    results = client.get("/api/ratings", headers=user["headers"]).get_json()["results"]
    assert [(r["movie"]["id"], r["rated_at"]) for r in results] == [(6, "2001-09-09T01:48:20Z"),
                                                                   (3, "2001-09-09T01:46:40Z")]


@pytest.mark.parametrize("raw", ['{"rating": true}', '{"rating": "4"}', '{"rating": null}', '{}',
                                 '{"rating": 0}', '{"rating": 5.5}', '{"rating": 4.2}', '{"rating": -1}',
                                 '{"rating": NaN}', '{"rating": Infinity}', '{"rating": [4]}', '4', '{"rating": 1e400}'])
def test_bad_rating_values(client, raw):
    user = signup(client)
    response = client.put("/api/ratings/3", data=raw, content_type="application/json", headers=user["headers"])
    assert error_code(response, 400) in {"invalid_rating", "invalid_body"}
    assert client.get("/api/ratings", headers=user["headers"]).get_json()["results"] == []


def test_rating_unknown_movie(client):
    user = signup(client)
    for path in ("/api/ratings/999", "/api/ratings/abc", "/api/ratings/99999999999999999999999"):
        error_code(client.put(path, json={"rating": 4}, headers=user["headers"]), 404)
        error_code(client.delete(path, headers=user["headers"]), 404)


def test_users_cannot_touch_each_others_ratings(client):
    alice, bob = signup(client, "alice"), signup(client, "bob")
    client.put("/api/ratings/3", json={"rating": 5}, headers=alice["headers"])
    assert client.get("/api/ratings", headers=bob["headers"]).get_json()["results"] == []
    error_code(client.delete("/api/ratings/3", headers=bob["headers"]), 404)
    assert client.put("/api/ratings/3", json={"rating": 1}, headers=bob["headers"]).status_code == 201
    mine = client.get("/api/ratings", headers=alice["headers"]).get_json()["results"]
    assert [(r["movie"]["id"], r["rating"]) for r in mine] == [(3, 5.0)]


def test_wrong_method_is_json_405(client):
    response = client.post("/api/movies/3")
    assert error_code(response, 405) == "method_not_allowed" and "GET" in response.headers["Allow"]


def test_with_a_built_index(indexed_app):
    """The same promises over the real hybrid, not only the popularity fallback."""
    client = indexed_app.test_client()
    similar = client.get("/api/movies/3/similar?k=5").get_json()["results"]
    assert similar and all(item["movie"]["id"] != 3 and item["reason"] for item in similar)
    user = signup(client)
    first = client.get("/api/feed?k=5", headers=user["headers"]).get_json()
    assert first["index_version"]
    movie_id = first["results"][0]["movie"]["id"]
    assert client.put(f"/api/ratings/{movie_id}", json={"rating": 5}, headers=user["headers"]).status_code == 201
    feed = client.get("/api/feed?k=100", headers=user["headers"]).get_json()["results"]
    assert feed and movie_id not in {item["movie"]["id"] for item in feed}
    assert client.get("/api/search?q=space%20robots&k=3", headers=user["headers"]).status_code == 200


def store_statements(app, call) -> tuple[object, list[str]]:
    """The response of `call()` and the SQL it ran on this thread's store connection."""
    conn = app.extensions["store_connections"].get().conn
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        response = call()
    finally:
        conn.set_trace_callback(None)
    return response, [s for s in seen if re.search(r"\b(movies|ratings)\b", s)]


def test_one_catalogue_query_per_similar_feed_and_search(indexed_app):
    """/similar reads the catalogue once (the movie, its neighbours and their reasons), and
    not at all when asked again while no rating anywhere changed a count; the feed reads the
    user's ratings once (with when they were made) and the catalogue once (picks and reasons),
    asked again too (its counts are read live); search once."""
    client = indexed_app.test_client()
    similar = lambda: client.get("/api/movies/3/similar?k=5")  # noqa: E731
    for expected in (1, 0):
        response, sql = store_statements(indexed_app, similar)
        assert response.status_code == 200 and response.get_json()["results"]
        assert len(sql) == expected, sql
    user = signup(client)
    for movie_id, stars in ((3, 5), (6, 4), (1, 2)):
        client.put(f"/api/ratings/{movie_id}", json={"rating": stars}, headers=user["headers"])
    response, sql = store_statements(indexed_app, similar)
    assert len(sql) == 1, sql  # the ratings moved some film's count: read again
    for _ in range(2):
        response, sql = store_statements(indexed_app, lambda: client.get("/api/feed?k=5", headers=user["headers"]))
        results = response.get_json()["results"]
        assert [bool(re.search(r"\bmovies\b", s)) for s in sql] == [False, True], sql
        assert len(results) == 5 and any(r["reason"].startswith("Because you rated") for r in results)
    client.get("/api/search?q=robots")  # the title index, read once per catalogue (webapp.title_cache)
    response, sql = store_statements(indexed_app, lambda: client.get("/api/search?q=space%20robots&k=5"))
    assert response.status_code == 200 and response.get_json()["results"]
    assert len(sql) == 1, sql  # the matches and their reasons


def test_similar_of_an_unknown_movie_is_404_before_its_parameters(client):
    assert error_code(client.get("/api/movies/999/similar?k=0"), 404) == "movie_not_found"
    assert error_code(client.get("/api/movies/999/similar?genre=Polka"), 404) == "movie_not_found"
    assert error_code(client.get(f"/api/movies/{2**63}/similar"), 404) == "movie_not_found"
    assert error_code(client.get("/api/movies/3/similar?k=0"), 400) == "invalid_parameter"
