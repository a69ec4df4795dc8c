"""The title index of /api/movies?q=: a new movie is found at once, popularity drift is picked
up by a background rebuild while lookups keep answering from the old index."""
import time

from recommender import store
from recommender.store import user_ratings


def titles(client, q: str) -> list[int]:
    response = client.get("/api/movies", query_string={"q": q})
    assert response.status_code == 200
    return [m["id"] for m in response.get_json()["results"]]


def test_a_movie_added_by_an_import_is_found_by_the_next_lookup(app, client):
    assert titles(client, "zzyzx") == []
    db = store.connect(app.config["DATABASE"])
    db["movies"].insert({"id": 9001, "title": "Zzyzx (2006)", "display_title": "Zzyzx", "year": 2006,
                         "genres": "Thriller", "search_key": "zzyzx"})
    db.close()
    assert titles(client, "zzyzx") == [9001]
    assert titles(client, "zzyzx") == [9001]


def test_popularity_is_refreshed_in_the_background_after_the_ttl(app, client):
    cache = app.extensions["title_cache"]
    with app.app_context():
        from webapp.db import get_db

        first = cache.get(get_db())
        cache.ttl = 0.0
        db = store.connect(app.config["DATABASE"])
        user = db["users"].insert({"username": "drift", "password_hash": "x"}).last_pk
        user_ratings.put(db, user, 3, 5.0)  # a rating: the catalogue itself is unchanged
        db.close()
        assert cache.get(get_db()) is first  # answered from the old index, rebuild started
        deadline = time.monotonic() + 10
        while cache.get(get_db()) is first and time.monotonic() < deadline:
            time.sleep(0.02)
        fresh = cache.get(get_db())
    assert fresh is not first and fresh.signature == first.signature
    assert fresh.index.popularity[3] == first.index.popularity[3] + 1


def test_a_title_typed_with_its_year_finds_the_film(client):
    star_wars = titles(client, "star wars")[0]
    assert titles(client, "Star Wars (1977)") == [star_wars]
    assert titles(client, "star wars 1977") == [star_wars]
    assert titles(client, "star wars 1990") == []
