"""Export (issue 19): `GET /api/export?format=json|csv` and the `/account` page's download links.

Everything a user keeps here comes out: ratings with stars and dates, the watchlist and the hidden
films, each with MovieLens id, title and year; only theirs. The CSV is Letterboxd's ratings.csv
(`Date,Name,Year,Letterboxd URI,Rating`), read back here with the csv module as an importer would,
titles in any alphabet and with commas and quotes intact. Bad input is a 4xx, never a 500."""
import csv
import io
import itertools

import pytest

from recommender import store
from tests.conftest import snapshot
from tests.test_hidden import error_code, html, site  # noqa: F401  (fixture)
from tests.web_helpers import signup

SPIRITED_AWAY, QUOTED = 901, 902


@pytest.fixture
def rich_app(app):
    """The fixture release plus two films whose titles a CSV writer must take care of."""
    db = store.connect(app.config["DATABASE"])
    with db.atomic():
        db.execute("INSERT INTO movies (id, title, display_title, year, genres, search_key) VALUES "
                   "(?, '千と千尋の神隠し (2001)', '千と千尋の神隠し', 2001, 'Animation', '千と千尋の神隠し')",
                   (SPIRITED_AWAY,))
        db.execute("INSERT INTO movies (id, title, display_title, year, genres, search_key) VALUES "
                   "(?, 'Crouching \"Tiger\", Hidden Dragon', 'Crouching \"Tiger\", Hidden Dragon', NULL, "
                   "'Action', 'crouching tiger hidden dragon')", (QUOTED,))
    db.close()
    return app


@pytest.fixture
def user_with_data(rich_app, monkeypatch):
    """alice with three ratings, two films on her watchlist and one hidden, at known times;
    bob with a rating of his own that must not leak into her export."""
    client = rich_app.test_client()
    alice, bob = signup(client, "alice"), signup(client, "bob")
    clock = itertools.count(1_700_000_000, 86_400)  # one day apart
    monkeypatch.setattr("recommender.store.user_ratings.now", lambda: next(clock))
    h = alice["headers"]
    assert client.put("/api/ratings/6", json={"rating": 4.5}, headers=h).status_code == 201
    assert client.put(f"/api/ratings/{SPIRITED_AWAY}", json={"rating": 5}, headers=h).status_code == 201
    assert client.put(f"/api/ratings/{QUOTED}", json={"rating": 0.5}, headers=h).status_code == 201
    assert client.put("/api/watchlist/3", headers=h).status_code == 201
    assert client.put("/api/watchlist/1", headers=h).status_code == 201
    assert client.put("/api/hidden/2", headers=h).status_code == 201
    assert client.put("/api/ratings/12", json={"rating": 2}, headers=bob["headers"]).status_code == 201
    monkeypatch.undo()
    return client, alice


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic YWxpY2U6eA=="])
@pytest.mark.parametrize("query", ["", "?format=json", "?format=csv", "?format=xml"])
def test_auth_required(client, header, query):
    signup(client)
    response = client.get(f"/api/export{query}", headers={"Authorization": header} if header else {})
    assert error_code(response, 401) == "unauthorized"


@pytest.mark.parametrize("value", ["xml", "", "csv;", "json,csv", "CSVX", "%00", "x" * 5000])
def test_another_format_is_400_and_writes_nothing(app, client, value):
    user = signup(client)
    before = snapshot(app.config["DATABASE"])
    response = client.get("/api/export", query_string={"format": value}, headers=user["headers"])
    assert error_code(response, 400) == "invalid_parameter"
    assert "json or csv" in response.get_json()["error"]["message"]
    assert snapshot(app.config["DATABASE"]) == before


def test_json_holds_ratings_watchlist_and_hidden_films(user_with_data):
    client, alice = user_with_data
    response = client.get("/api/export?format=json", headers=alice["headers"])
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["username"] == "alice" and body["format_version"] == 1 and body["exported_at"].endswith("Z")
    assert body["ratings"] == [  # newest first, with everything needed to find the film elsewhere
        {"movie_id": QUOTED, "title": 'Crouching "Tiger", Hidden Dragon',
         "listed_as": 'Crouching "Tiger", Hidden Dragon', "year": None, "rating": 0.5,
         "rated_at": "2023-11-16T22:13:20Z"},
        {"movie_id": SPIRITED_AWAY, "title": "千と千尋の神隠し", "listed_as": "千と千尋の神隠し (2001)",
         "year": 2001, "rating": 5.0, "rated_at": "2023-11-15T22:13:20Z"},
        {"movie_id": 6, "title": "The Godfather", "listed_as": "Godfather, The (1972)", "year": 1972,
         "rating": 4.5, "rated_at": "2023-11-14T22:13:20Z"}]
    assert [(w["movie_id"], w["title"], w["year"], w["added_at"]) for w in body["watchlist"]] == [
        (1, "Toy Story", 1995, "2023-11-18T22:13:20Z"), (3, "Star Wars", 1977, "2023-11-17T22:13:20Z")]
    assert [(h["movie_id"], h["title"], h["hidden_at"]) for h in body["hidden"]] == [
        (2, "GoldenEye", "2023-11-19T22:13:20Z")]
    assert 12 not in {r["movie_id"] for r in body["ratings"]}  # bob's rating stays his
    assert "predicted_rating" not in response.get_data(as_text=True)  # a record, not a feed


def test_json_is_the_default(user_with_data):
    client, alice = user_with_data
    assert client.get("/api/export", headers=alice["headers"]).get_json()["ratings"]
    assert client.get("/api/export?format=JSON", headers=alice["headers"]).status_code == 200


def test_csv_is_letterboxds_ratings_layout_and_reads_back(user_with_data):
    client, alice = user_with_data
    response = client.get("/api/export?format=csv", headers=alice["headers"])
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="ratings.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data().decode("utf-8")
    assert text.splitlines()[0] == "Date,Name,Year,Letterboxd URI,Rating"
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows == [
        {"Date": "2023-11-16", "Name": 'Crouching "Tiger", Hidden Dragon', "Year": "", "Letterboxd URI": "",
         "Rating": "0.5"},
        {"Date": "2023-11-15", "Name": "千と千尋の神隠し", "Year": "2001", "Letterboxd URI": "", "Rating": "5"},
        {"Date": "2023-11-14", "Name": "The Godfather", "Year": "1972", "Letterboxd URI": "", "Rating": "4.5"}]
    assert '"Crouching ""Tiger"", Hidden Dragon"' in text  # quoted as CSV needs, not mangled


def test_an_account_with_nothing_exports_empty_lists(client):
    user = signup(client)
    body = client.get("/api/export", headers=user["headers"]).get_json()
    assert (body["ratings"], body["watchlist"], body["hidden"]) == ([], [], [])
    text = client.get("/api/export?format=csv", headers=user["headers"]).get_data(as_text=True)
    assert text == "Date,Name,Year,Letterboxd URI,Rating\n"


def test_the_openapi_document_describes_the_route(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert set(paths["/api/export"]) == {"get"}


# --- the account page ------------------------------------------------------------------------

def test_the_account_page_links_both_downloads_and_they_work_with_the_login(site):
    page = html(site, "/account")
    assert 'href="/account/export?format=json"' in page and 'href="/account/export?format=csv"' in page
    assert 'href="/account"' in page and ">Account</a>" in page  # in the menu
    site.post("/ratings/6", data={"csrf_token": site.csrf, "rating": "4"})
    site.post("/watchlist/3", data={"csrf_token": site.csrf})
    body = site.get("/account/export?format=json").get_json()
    assert [r["movie_id"] for r in body["ratings"]] == [6] and [w["movie_id"] for w in body["watchlist"]] == [3]
    csv_text = site.get("/account/export?format=csv").get_data(as_text=True)
    assert csv_text.splitlines()[1].endswith(",The Godfather,1972,,4")
    bad = site.get("/account/export?format=pdf")
    assert bad.status_code == 400 and "json or csv" in bad.get_data(as_text=True)


def test_the_account_page_and_downloads_need_a_login(client):
    for path in ("/account", "/account/export?format=json", "/account/export?format=csv"):
        response = client.get(path)
        assert response.status_code == 302 and "/login?next=" in response.location
