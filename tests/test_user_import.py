"""Importing ratings from Letterboxd and IMDb (issue 19): the file read and matched without Flask,
then `POST /api/import` (the preview) and `POST /api/import/<id>` (the confirmation) as a client
meets them.

The catalogue is the fixture release (tests/fixtures/ml-latest-mini, the titles of ml-100k-mini)
plus tests/fixtures/imports/extra_movies.csv: three Godzillas (1954, 1998, 2014: remakes of one
title), a title with a Japanese alternative and one in Cyrillic. The files in
tests/fixtures/imports/ are written in each site's export layout."""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from recommender import store
from recommender.ingest import user_import
from recommender.ingest.user_import import (
    CatalogueTitles,
    ImportTooLarge,
    InvalidChoice,
    InvalidImport,
)
from recommender.store import user_import as import_store
from recommender.store import user_ratings
from tests.conftest import CSV_MINI, snapshot
from tests.web_helpers import PASSWORD, signup
from webapp import create_app

IMPORTS = Path(__file__).parent / "fixtures" / "imports"
LETTERBOXD = (IMPORTS / "letterboxd_ratings.csv").read_bytes()
IMDB = (IMPORTS / "imdb_ratings.csv").read_bytes()
LETTERBOXD_HEADER = "Date,Name,Year,Letterboxd URI,Rating\n"


def utc_day(text: str) -> int:
    from datetime import UTC, datetime
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


# --- reading and matching, no Flask --------------------------------------------------------------

CATALOGUE = CatalogueTitles([
    (4, "Empire Strikes Back, The (1980)", 1980),
    (11, "City of Lost Children, The (Cité des enfants perdus, La) (1995)", 1995),
    (13, "Chasing Amy (1997)", 1997), (14, "Chasing Amy (1997)", 1997),
    (24, "Good, The Bad and The Ugly, The (1966)", 1966),
    (31, "Godzilla (Gojira) (1954)", 1954), (32, "Godzilla (1998)", 1998), (33, "Godzilla (2014)", 2014),
    (34, "Seven Samurai (七人の侍) (1954)", 1954),
    (35, "Ирония судьбы, или С лёгким паром! (1975)", 1975),
    (40, "Little Women (1994)", 1994), (41, "Little Women (1995)", 1995),
])


@pytest.mark.parametrize(("title", "year", "expected"), [
    ("The Empire Strikes Back", 1980, [4]),
    ("empire strikes back!", 1981, [4]),  # punctuation, case, a year apart
    ("The City of Lost Children", 1995, [11]),
    ("La Cité des Enfants Perdus", 1995, [11]),  # the alternative title, accents folded
    ("La Cite des enfants perdus", 1996, [11]),
    ("The City of Lost Children (Cité des enfants perdus, La)", 1995, [11]),  # this site's own export
    ("The Good, the Bad & the Ugly", 1966, [24]),
    ("Godzilla", 1954, [31]), ("Gojira", 1955, [31]), ("Godzilla", 1998, [32]), ("Godzilla", 2014, [33]),
    ("Godzilla", 2005, []),  # no remake that year
    ("七人の侍", 1954, [34]), ("Ирония судьбы, или с лёгким паром", 1975, [35]),
    ("Ирония", 1975, []), ("侍", 1954, []),  # other scripts match whole titles, not any letter
    ("Chasing Amy", 1997, [13, 14]), ("Little Women", 1995, [40, 41]),  # within a year: ambiguous
    ("Little Women", 1993, [40]),
    ("Empire Strikes Back", 1978, []),
])
def test_titles_match_by_normalised_title_and_year(title, year, expected):
    assert CATALOGUE.candidates([title], year) == expected


def test_letterboxd_layout_half_stars_dates_and_duplicates():
    fmt, rows = user_import.read_file(LETTERBOXD)
    assert fmt == "letterboxd" and len(rows) == 12  # the blank line is skipped
    assert rows[0] == user_import.FileRow(2, "The Godfather", 1972, 5.0, utc_day("2021-03-01"))
    assert [r.line for r in rows][5:7] == [7, 9]  # line numbers as in the file
    assert rows[10].rating == 0.5
    preview = user_import.preview_rows(rows, CATALOGUE)
    by_line = {r["line"]: r for r in preview}
    assert by_line[6]["movie"] == 32 and by_line[7]["movie"] == 31  # remakes: the year decides
    assert by_line[9]["status"] == "ambiguous" and by_line[9]["candidates"] == [13, 14]


def test_imdb_layout_ten_stars_become_half_stars():
    fmt, rows = user_import.read_file(IMDB)
    assert fmt == "imdb"
    assert [r.rating for r in rows] == [5.0, 3.5, 4.5, 3.0, 1.5, 0.5, 4.0, 5.0, 4.0, 4.5]
    assert rows[0].other_titles == ("七人の侍",) and rows[2].other_titles == ()  # same as Title
    assert rows[0].rated_at == utc_day("2022-05-01")
    fmt, bad = user_import.read_file(
        b"Const,Your Rating,Date Rated,Title,Year\ntt1,11,,A,1999\ntt2,7.5,,B,1999\ntt3,0,,C,1999\ntt4,,,D,1999\n")
    assert [r.problem is not None for r in bad] == [True] * 4


@pytest.mark.parametrize("rating", ["0", "5.5", "4.25", "-1", "five", ""])
def test_a_letterboxd_rating_off_the_scale_is_an_invalid_line(rating):
    _, rows = user_import.read_file(f"{LETTERBOXD_HEADER}2020-01-01,Heat,1995,,{rating}\n".encode())
    assert rows[0].rating is None and "rating" in rows[0].problem


def test_a_truncated_file_keeps_its_whole_lines_and_flags_the_cut_one():
    _, rows = user_import.read_file((IMPORTS / "truncated_letterboxd.csv").read_bytes())
    assert [(r.line, r.title, r.problem) for r in rows[:2]] == [(2, "The Godfather", None), (4, "Fargo", None)]
    assert rows[2].line == 6 and rows[2].title == "Pulp Fic" and "incomplete" in rows[2].problem
    cut_in_quotes = f'{LETTERBOXD_HEADER}2020-01-01,Heat,1995,,4\n2020-01-02,"The Godfather, Pa'.encode()
    _, rows = user_import.read_file(cut_in_quotes)
    assert rows[0].problem is None and "incomplete" in rows[1].problem


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"), (b"\n\n  \n", "empty"),
    ((IMPORTS / "not_ratings.csv").read_bytes(), "not a Letterboxd"),
    (b"Date,Name,Year,Letterboxd URI\n2020-01-01,Heat,1995,\n", "not a Letterboxd"),  # watched.csv: no ratings
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not"),
    ("Date,Name,Year,Letterboxd URI,Rating\n2020-01-01,Amélie,2001,,4\n".encode("latin-1"), "not UTF-8"),
    (b"<html><body>not a csv</body></html>", "not a Letterboxd"),
])
def test_what_is_not_a_ratings_file_is_refused_clearly(data, message):
    with pytest.raises(InvalidImport, match=message):
        user_import.read_file(data)


def test_a_byte_order_mark_and_a_forced_format():
    assert user_import.read_file(b"\xef\xbb\xbf" + LETTERBOXD)[0] == "letterboxd"
    with pytest.raises(InvalidImport, match="not an IMDb"):
        user_import.read_file(LETTERBOXD, "imdb")


def test_size_and_row_limits():
    with pytest.raises(ImportTooLarge, match="5 MB"):
        user_import.read_file(LETTERBOXD_HEADER.encode() + b"x" * user_import.MAX_BYTES)
    line = b"2020-01-01,Heat,1995,,4\n"
    assert len(user_import.read_file(LETTERBOXD_HEADER.encode() + line * user_import.MAX_ROWS)[1]) == user_import.MAX_ROWS
    with pytest.raises(ImportTooLarge, match="more than 20000 ratings"):
        user_import.read_file(LETTERBOXD_HEADER.encode() + line * (user_import.MAX_ROWS + 1))


def test_ratings_to_write_take_each_films_last_line_and_only_valid_choices():
    rows = user_import.preview_rows(user_import.read_file(LETTERBOXD)[1], CATALOGUE)
    assert (32, 1.5, utc_day("2021-03-05")) in user_import.ratings_to_write(rows, {})
    written = {m: r for m, r, _ in user_import.ratings_to_write(rows, {9: 14})}
    assert written[14] == 3.0 and 13 not in written
    assert 13 not in {m: r for m, r, _ in user_import.ratings_to_write(rows, {9: None})}
    with pytest.raises(InvalidChoice):
        user_import.ratings_to_write(rows, {9: 6})  # not a candidate of that line
    with pytest.raises(InvalidChoice):
        user_import.ratings_to_write(rows, {2: 6})  # a matched line has no choice to make


# --- the API ------------------------------------------------------------------------------------

@pytest.fixture
def import_app(tmp_path):
    """The fixture catalogue with the extra films, served by a test app."""
    release = tmp_path / "release"
    shutil.copytree(CSV_MINI, release)
    extra = (IMPORTS / "extra_movies.csv").read_text(encoding="utf-8").split("\n", 1)[1]
    with open(release / "movies.csv", "a", encoding="utf-8") as movies:
        movies.write(extra)
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "EMBEDDER": "hashing",
                      "INDEX_CHECK_INTERVAL": 0, "INDEX_SWAP_IN_BACKGROUND": False},
                     instance_path=tmp_path / "instance")
    result = app.test_cli_runner().invoke(args=["data", "import", "--source", str(release)])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def api(import_app):
    client = import_app.test_client()
    return client, signup(client)


def upload(client, account, data: bytes, fmt: str | None = None, name: str = "ratings.csv"):
    form = {"file": (io.BytesIO(data), name)}
    if fmt:
        form["format"] = fmt
    return client.post("/api/import", data=form, headers=account["headers"], content_type="multipart/form-data")


def confirm(client, account, import_id: str, **body):
    return client.post(f"/api/import/{import_id}", json=body or None, headers=account["headers"])


def my_ratings(client, account) -> dict[int, tuple[float, str]]:
    results = client.get("/api/ratings", headers=account["headers"]).get_json()["results"]
    return {r["movie"]["id"]: (r["rating"], r["rated_at"]) for r in results}


def test_letterboxd_preview_counts_and_rows(api):
    client, account = api
    response = upload(client, account, LETTERBOXD)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["format"] == "letterboxd" and body["import_id"]
    assert {k: body[k] for k in ("matched", "ambiguous", "unmatched", "duplicate", "invalid")} == \
        {"matched": 9, "ambiguous": 1, "unmatched": 1, "duplicate": 1, "invalid": 0}
    rows = {r["line"]: r for r in body["rows"]}
    assert set(rows[2]) >= {"line", "title", "year", "rating", "status", "movie"}
    assert rows[2]["movie"]["title"] == "Godfather, The (1972)" and rows[2]["rating"] == 5.0
    assert rows[3]["movie"]["id"] == 12 and rows[4]["movie"]["id"] == 11  # Les Misérables, La Cité…
    assert rows[5]["movie"]["id"] == 24 and rows[12]["movie"]["id"] == 36
    assert (rows[6]["movie"]["id"], rows[7]["movie"]["id"]) == (32, 31)  # Godzilla 1998 and 1954
    assert rows[9]["status"] == "ambiguous" and [m["id"] for m in rows[9]["candidates"]] == [13, 14]
    assert rows[10]["status"] == "duplicate" and "line 14" in rows[10]["note"]
    assert rows[14]["status"] == "matched" and rows[14]["movie"]["id"] == 10 and rows[14]["rating"] == 4.5
    assert rows[11]["status"] == "unmatched" and rows[11]["movie"] is None
    assert my_ratings(client, account) == {}  # nothing written yet


def test_a_misspelt_title_is_offered_to_choose_never_imported_unasked(api):
    """The title search forgives "Godfathr"; the import offers what it finds within a year, as a
    choice; a title nothing resembles stays unmatched."""
    client, account = api
    data = (b"Date,Name,Year,Letterboxd URI,Rating\n2020-01-02,Godfathr,1972,,5\n"
            b"2020-01-02,Godfathr,1950,,5\n2020-01-03,Qqzzx Vvwwyy,1990,,3\n")
    rows = {r["line"]: r for r in upload(client, account, data).get_json()["rows"]}
    assert rows[2]["status"] == "ambiguous" and "did you mean" in rows[2]["note"]
    assert rows[2]["movie"] is None and "Godfather, The (1972)" in [m["title"] for m in rows[2]["candidates"]]
    assert rows[3]["status"] == "unmatched"  # the same typo, another year: not that film
    assert rows[4]["status"] == "unmatched"


def test_imdb_preview_non_latin_titles_and_the_ten_star_scale(api):
    client, account = api
    body = upload(client, account, IMDB).get_json()
    assert body["format"] == "imdb"
    assert (body["matched"], body["ambiguous"], body["unmatched"], body["duplicate"]) == (8, 0, 1, 1)
    rows = {r["line"]: r for r in body["rows"]}
    assert (rows[2]["movie"]["id"], rows[2]["rating"]) == (34, 5.0)  # 七人の侍
    assert (rows[3]["movie"]["id"], rows[3]["rating"]) == (35, 3.5)  # Ирония судьбы
    assert [rows[n]["movie"]["id"] for n in (5, 6, 7)] == [31, 33, 32]  # three Godzillas
    assert rows[10]["movie"]["id"] == 3  # "Star Wars: Episode IV…", by its original title
    assert rows[8]["status"] == "unmatched" and rows[9]["status"] == "duplicate"


def test_confirm_writes_once_and_a_second_import_changes_nothing(api):
    client, account = api
    preview = upload(client, account, LETTERBOXD).get_json()
    done = confirm(client, account, preview["import_id"], choices={"9": 14})
    assert done.status_code == 200 and done.get_json() == {"imported": 10, "updated": 0, "unchanged": 0}
    ratings = my_ratings(client, account)
    assert len(ratings) == 10 and ratings[14][0] == 3.0 and 13 not in ratings
    assert ratings[10] == (4.5, "2021-03-12T00:00:00Z")  # the last Heat line, the file's date
    assert ratings[32] == (1.5, "2021-03-05T00:00:00Z") and ratings[31][0] == 4.0
    assert confirm(client, account, preview["import_id"]).status_code == 404  # used up

    again = upload(client, account, LETTERBOXD).get_json()
    assert again["matched"] == 9
    assert confirm(client, account, again["import_id"], choices={"9": 14}).get_json() == \
        {"imported": 0, "updated": 0, "unchanged": 10}
    assert my_ratings(client, account) == ratings


def test_ratings_made_here_win_unless_overwrite_is_asked(api):
    client, account = api
    assert client.put("/api/ratings/6", json={"rating": 2.0}, headers=account["headers"]).status_code == 201
    assert client.put("/api/watchlist/19", headers=account["headers"]).status_code == 201
    preview = upload(client, account, IMDB).get_json()
    rated_here = {r["line"]: r["rated_here"] for r in preview["rows"]}
    assert rated_here[4] == 2.0 and rated_here[2] is None  # the preview says what stays
    first = confirm(client, account, preview["import_id"]).get_json()
    assert first == {"imported": 7, "updated": 0, "unchanged": 1}
    ratings = my_ratings(client, account)
    assert ratings[6][0] == 2.0 and ratings[19] == (4.5, "2022-05-10T00:00:00Z")
    watchlist = client.get("/api/watchlist", headers=account["headers"]).get_json()["results"]
    assert watchlist == []  # rated means seen, as when rated on the site

    second = confirm(client, account, upload(client, account, IMDB).get_json()["import_id"], overwrite=True)
    assert second.get_json() == {"imported": 0, "updated": 1, "unchanged": 7}
    assert my_ratings(client, account)[6] == (4.5, "2022-05-03T00:00:00Z")


def test_a_confirmation_that_fails_half_way_leaves_nothing(api, import_app):
    client, account = api
    import_id = upload(client, account, LETTERBOXD).get_json()["import_id"]
    db_path = Path(import_app.config["DATABASE"])
    db = store.connect(db_path)
    # the failure: the store refuses the rating of one film after others went in
    db.execute("CREATE TRIGGER fail_on_heat BEFORE INSERT ON ratings WHEN NEW.movie_id = 10 "
               "BEGIN SELECT RAISE(ABORT, 'disk gone'); END")
    before = snapshot(db_path)
    preview = import_store.load_preview(db, account["id"], import_id)
    to_write = user_import.ratings_to_write(preview.rows, {})
    assert [m for m, _, _ in to_write].index(10) > 3  # films before it were written, then undone
    with pytest.raises(Exception, match="disk gone"):
        import_store.confirm(db, account["id"], import_id, to_write)
    assert snapshot(db_path) == before  # no rating, no watchlist change, the preview still there
    db.execute("DROP TRIGGER fail_on_heat")
    db.close()
    assert confirm(client, account, import_id).get_json() == {"imported": 9, "updated": 0, "unchanged": 0}


def test_the_preview_is_in_the_store_so_another_worker_confirms_it(api, import_app, tmp_path):
    client, account = api
    import_id = upload(client, account, IMDB).get_json()["import_id"]
    other_worker = create_app({"TESTING": True, "EMBEDDER": "hashing", "INDEX_CHECK_INTERVAL": 0},
                              instance_path=tmp_path / "instance")
    done = other_worker.test_client().post(f"/api/import/{import_id}", headers=account["headers"])
    assert done.status_code == 200 and done.get_json()["imported"] == 8


def test_auth_is_required_and_another_users_import_is_not_found(api):
    client, alice = api
    assert client.post("/api/import", data={"file": (io.BytesIO(LETTERBOXD), "r.csv")}).status_code == 401
    import_id = upload(client, alice, LETTERBOXD).get_json()["import_id"]
    assert client.post(f"/api/import/{import_id}").status_code == 401
    bob = signup(client, "bob")
    stolen = confirm(client, bob, import_id)
    assert stolen.status_code == 404 and stolen.get_json()["error"]["code"] == "import_not_found"
    assert confirm(client, bob, "no-such-import").status_code == 404
    assert confirm(client, alice, import_id).status_code == 200


def test_a_preview_expires_after_an_hour(api, monkeypatch):
    client, account = api
    import_id = upload(client, account, LETTERBOXD).get_json()["import_id"]
    later = user_ratings.now() + import_store.PREVIEW_LIFETIME + 1
    monkeypatch.setattr(user_ratings, "now", lambda: later)
    assert confirm(client, account, import_id).status_code == 404
    upload(client, account, IMDB)  # a new preview clears the expired ones
    db = store.connect(client.application.config["DATABASE"])
    assert db.execute("SELECT count(*) FROM import_previews").fetchone()[0] == 1
    db.close()


def test_bad_files_get_clear_4xx(api):
    client, account = api
    cases = [
        (b"", "invalid_import"), ((IMPORTS / "not_ratings.csv").read_bytes(), "invalid_import"),
        ("Date,Name,Year,Letterboxd URI,Rating\n2020-01-01,Amélie,2001,,4\n".encode("cp1252"), "invalid_import"),
    ]
    for data, code in cases:
        response = upload(client, account, data)
        assert response.status_code == 400 and response.get_json()["error"]["code"] == code, data
    assert upload(client, account, LETTERBOXD, fmt="imdb").status_code == 400
    assert upload(client, account, LETTERBOXD, fmt="excel").get_json()["error"]["code"] == "invalid_parameter"
    assert upload(client, account, b"\xef\xbb\xbf" + LETTERBOXD, fmt="letterboxd").status_code == 200
    in_query = client.post("/api/import?format=imdb", data={"file": (io.BytesIO(LETTERBOXD), "r.csv")},
                           headers=account["headers"])
    assert in_query.status_code == 400 and "not an IMDb" in in_query.get_json()["error"]["message"]
    missing = client.post("/api/import", data={"other": "x"}, headers=account["headers"])
    assert missing.status_code == 400 and missing.get_json()["error"]["code"] == "invalid_import"
    as_json = client.post("/api/import", json={"file": "x"}, headers=account["headers"])
    assert as_json.status_code == 400


def test_a_10_mb_file_is_413(api):
    client, account = api
    line = b"2020-01-01,Heat,1995,https://boxd.it/2a8i,4\n"
    big = LETTERBOXD_HEADER.encode() + line * (10 * 1024 * 1024 // len(line))
    response = upload(client, account, big)
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "import_too_large"
    just_over = LETTERBOXD_HEADER.encode() + b"x" * user_import.MAX_BYTES  # under the request limit
    assert upload(client, account, just_over).status_code == 413


def test_bad_confirmations_are_400(api):
    client, account = api
    import_id = upload(client, account, LETTERBOXD).get_json()["import_id"]
    for body in ({"choices": {"9": 6}}, {"choices": {"2": 6}}, {"choices": {"x": 13}}, {"choices": [13]},
                 {"choices": {"9": "13"}}, {"overwrite": "yes"}):
        response = confirm(client, account, import_id, **body)
        assert response.status_code == 400, body
    assert client.post(f"/api/import/{import_id}", data="choices", headers=account["headers"]).status_code == 400
    assert confirm(client, account, import_id, choices={"9": None}).get_json()["imported"] == 9


def test_deleting_the_account_deletes_its_previews(api):
    client, account = api
    upload(client, account, LETTERBOXD)
    response = client.delete("/api/account", json={"password": PASSWORD}, headers=account["headers"])
    assert response.status_code == 204
    db = store.connect(client.application.config["DATABASE"])
    assert db.execute("SELECT count(*) FROM import_previews").fetchone()[0] == 0
    db.close()


def test_the_openapi_document_describes_the_routes(api):
    client, _ = api
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "post" in paths["/api/import"] and "post" in paths["/api/import/{import_id}"]


# --- the page, through the login (the browser walk is tests/test_browser_import.py) ---------------

def test_the_page_checks_csrf_and_answers_bad_files_on_the_form(tmp_path):
    from tests.web_helpers import csrf_token, imported_app, login_form

    app = imported_app(tmp_path / "instance", WTF_CSRF_ENABLED=True)
    client = app.test_client()
    signup(client)
    login_form(client, token=csrf_token(client))
    assert client.get("/import").status_code == 200
    token = csrf_token(client, "/import")

    def post(data: bytes, **fields):
        return client.post("/import", data={"file": (io.BytesIO(data), "ratings.csv"), **fields},
                           content_type="multipart/form-data")

    assert post(LETTERBOXD).status_code == 400  # no CSRF token: refused, nothing read
    refused = post((IMPORTS / "not_ratings.csv").read_bytes(), csrf_token=token)
    assert refused.status_code == 400 and 'role="alert"' in refused.get_data(as_text=True)
    too_big = post(LETTERBOXD_HEADER.encode() + b"x" * (user_import.MAX_BYTES + 1), csrf_token=token)
    assert too_big.status_code == 413 and "over 5 MB" in too_big.get_data(as_text=True)
    page = post(LETTERBOXD, csrf_token=token)
    assert page.status_code == 200 and "6</strong> matched" in page.get_data(as_text=True)
    import_id = page.get_data(as_text=True).split('action="/import/', 1)[1].split('"', 1)[0]
    wrong = client.post(f"/import/{import_id}", data={"csrf_token": token, "choice-9": "6"})
    assert wrong.status_code == 400 and "not one of the films" in wrong.get_data(as_text=True)
    done = client.post(f"/import/{import_id}", data={"csrf_token": token, "choice-9": "skip"})
    assert done.status_code == 302 and done.headers["Location"] == "/ratings"
    assert "Imported 6 ratings" in client.get("/ratings").get_data(as_text=True)
