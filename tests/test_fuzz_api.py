"""Property-based fuzzing of the JSON API: thousands of generated requests, not one 5xx.

Paths with random ids, random query parameters, random JSON (and non-JSON) bodies, with and
without a valid bearer token, against the Flask test client over an indexed fixture release.
Derandomized (a fixed seed per test) so a run on a slow machine cannot fail where the last passed;
the example counts keep the whole file well under a minute."""
import json

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from recommender import store
from recommender.store import accounts
from tests.web_helpers import imported_app, signup

FUZZ = settings(max_examples=1500, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

ROUTES = [("GET", "/api/movies"), ("GET", "/api/movies/{id}"), ("GET", "/api/movies/{id}/similar"),
          ("GET", "/api/search"), ("POST", "/api/users"), ("POST", "/api/token"), ("DELETE", "/api/token"),
          ("GET", "/api/feed"), ("PUT", "/api/ratings/{id}"), ("DELETE", "/api/ratings/{id}"),
          ("GET", "/api/ratings"), ("PUT", "/api/hidden/{id}"), ("DELETE", "/api/hidden/{id}"),
          ("GET", "/api/hidden"), ("GET", "/healthz"), ("GET", "/api/openapi.json")]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
PARAMS = ["q", "k", "limit", "genre", "mode", "next", "id", "rating"]

ids = st.one_of(st.integers(-10, 40).map(str), st.integers(-2**70, 2**70).map(str),
                st.sampled_from(["abc", "3.5", "1e3", "0x1f", "%00", "%F0%9F%98%80", "3%2F4", "..", " 3"]),
                st.text(st.characters(codec="utf-8", exclude_characters="/?#"), max_size=12))
texts = st.text(st.characters(codec="utf-8"), max_size=40)
param_values = st.one_of(texts, st.integers(-10**12, 10**12).map(str),
                         st.sampled_from(["Drama", "sci-fi", "Polka", "", "100", "101", "0", "NaN", "star wars"]))
params = st.dictionaries(st.one_of(st.sampled_from(PARAMS), texts), param_values, max_size=4)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**80, 2**80), st.floats(allow_nan=True), texts),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=12)
bodies = st.one_of(
    st.none(),
    st.fixed_dictionaries({}, optional={"username": json_values, "password": json_values,
                                        "rating": json_values}).map(lambda d: ("json", d)),
    st.fixed_dictionaries({"rating": st.one_of(st.sampled_from([0.5, 1, 4.5, 5, 5.5, 0, 3.3]), st.floats())})
    .map(lambda d: ("json", d)),
    json_values.map(lambda v: ("json", v)),
    st.binary(max_size=64).map(lambda b: ("raw", b)),
    texts.map(lambda t: ("form", t)),
)
auths = st.sampled_from(["valid", "none", "garbage", "revoked", "basic"])


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    """An indexed fixture release, its client, and the tokens to send (kept valid between examples)."""
    app = imported_app(tmp_path_factory.mktemp("fuzz") / "instance", WTF_CSRF_ENABLED=False,
                       LOGIN_LIMIT_PER_ADDRESS=(10**6, 60), LOGIN_LIMIT_PER_ACCOUNT=(10**6, 60))
    assert app.test_cli_runner().invoke(args=["index", "rebuild"]).exit_code == 0
    client = app.test_client()
    user = signup(client, "fuzzer")
    revoked = client.post("/api/token", json={"username": "fuzzer", "password": "correct horse battery"})
    revoked = revoked.get_json()["token"]
    assert client.delete("/api/token", headers={"Authorization": f"Bearer {revoked}"}).status_code == 204
    return {"app": app, "client": client, "user": user, "token": user["token"], "revoked": revoked}


def _headers(target, auth: str) -> dict:
    return {"valid": {"Authorization": f"Bearer {target['token']}"}, "none": {},
            "garbage": {"Authorization": "Bearer \u00ff' OR 1=1"},
            "revoked": {"Authorization": f"Bearer {target['revoked']}"},
            "basic": {"Authorization": "Basic YWxpY2U6eA=="}}[auth]


def _request(target, method: str, path: str, query: dict, body, auth: str):
    """Send one request; then check the answer and keep the valid token valid."""
    kwargs = {"method": method, "query_string": query, "headers": _headers(target, auth)}
    if body is not None:
        kind, value = body
        if kind == "json":
            kwargs["data"], kwargs["content_type"] = json.dumps(value, allow_nan=True), "application/json"
        elif kind == "raw":
            kwargs["data"], kwargs["content_type"] = value, "application/json"
        else:
            kwargs["data"], kwargs["content_type"] = value.encode("utf-8", "replace"), \
                "application/x-www-form-urlencoded"
    response = target["client"].open(path, **kwargs)
    event(f"{response.status_code}")
    assert response.status_code < 500, (method, path, query, body, response.get_data(as_text=True)[:300])
    if response.status_code >= 400 and method != "HEAD":
        error = response.get_json()
        assert set(error) == {"error"} and set(error["error"]) == {"code", "message"}, error
    if method == "DELETE" and path == "/api/token" and response.status_code == 204:
        _new_token(target)
    return response


def _new_token(target) -> None:
    """The fuzzer just revoked its own token: mint another straight in the store (no password hash)."""
    db = store.connect(target["app"].config["DATABASE"])
    try:
        target["token"] = accounts.issue_token(db, accounts.Account(target["user"]["id"], "fuzzer"))
    finally:
        db.close()


@FUZZ
@given(route=st.sampled_from(ROUTES), movie_id=ids, query=params, body=bodies, auth=auths)
def test_contract_routes_never_answer_5xx(target, route, movie_id, query, body, auth):
    method, template = route
    _request(target, method, template.replace("{id}", movie_id.replace("/", "%2F")), query, body, auth)


@FUZZ
@given(method=st.sampled_from(METHODS), route=st.sampled_from(ROUTES), movie_id=ids, query=params,
       body=bodies, auth=auths)
def test_any_method_on_any_route_never_answers_5xx(target, method, route, movie_id, query, body, auth):
    _request(target, method, route[1].replace("{id}", movie_id.replace("/", "%2F")), query, body, auth)


@FUZZ
@given(segments=st.lists(st.one_of(ids, st.sampled_from(["movies", "similar", "ratings", "token", "users",
                                                           "feed", "search", "api"])), min_size=1, max_size=5),
       method=st.sampled_from(METHODS), query=params, auth=auths)
def test_random_paths_under_api_never_answer_5xx(target, segments, method, query, auth):
    path = "/api/" + "/".join(s.replace("/", "%2F").replace("?", "%3F").replace("#", "%23") for s in segments)
    _request(target, method, path, query, None, auth)


def test_the_valid_token_still_works_after_fuzzing(target):
    """The fuzzing above really ran with a live token (it re-mints one after revoking it)."""
    response = target["client"].get("/api/ratings", headers=_headers(target, "valid"))
    assert response.status_code == 200
