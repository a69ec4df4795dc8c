"""The feed narrowed, ordered and paged (CONTRACT.md: genre repeated, year_from, year_to, sort,
offset), for a user with ratings and a new one, and every bad value refused with a 400."""
from itertools import pairwise

import pytest

from tests.test_api import error_code
from tests.web_helpers import signup


@pytest.fixture
def client(indexed_app):
    return indexed_app.test_client()


@pytest.fixture
def rater(client):
    user = signup(client)
    for movie, stars in ((1, 5.0), (2, 4.0), (3, 1.0), (4, 4.5), (5, 3.0)):
        assert client.put(f"/api/ratings/{movie}", json={"rating": stars}, headers=user["headers"]).status_code == 201
    return user["headers"]


def results(client, headers, query: str) -> list[dict]:
    response = client.get(f"/api/feed?{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def ids(items: list[dict]) -> list[int]:
    return [item["movie"]["id"] for item in items]


@pytest.mark.parametrize("sort", ["best", "predicted", "popular", "newest", "top_rated"])
def test_offset_pages_on_without_repeating(client, rater, sort):
    whole = ids(results(client, rater, f"k=12&sort={sort}"))
    pages = ids(results(client, rater, f"k=6&sort={sort}")) + ids(results(client, rater, f"k=6&offset=6&sort={sort}"))
    assert len(whole) == 12 and pages == whole


@pytest.mark.parametrize("sort", ["popular", "newest", "top_rated"])
def test_pages_of_films_that_tie_are_slices_of_one_order(client, rater, sort):
    """Films with the same rating count, year or average: a script walking the feed page by page
    gets each film once (the cut between two pages used to fall anywhere among the tied)."""
    whole = ids(results(client, rater, f"k=24&sort={sort}"))
    pages = [m for offset in range(0, 24, 4) for m in ids(results(client, rater, f"k=4&offset={offset}&sort={sort}"))]
    assert pages == whole and len(set(pages)) == len(pages)


def test_highest_rated_ranks_the_films_enough_people_rated_first(client, rater):
    """A film one person gave 1 star reads about average once shrunk; it must not pass a film
    a hundred people rated a little under average ("Highest rated" on the browse page)."""
    from recommender.serving.service import TOP_RATED_MIN_RATINGS

    counts = [r["movie"]["num_ratings"] for r in results(client, rater, "k=30&sort=top_rated")]
    enough = [n >= TOP_RATED_MIN_RATINGS for n in counts]
    assert any(enough) and not all(enough) and enough == sorted(enough, reverse=True), counts


def test_a_new_users_pages_are_slices_of_the_first_page_s_order(client):
    """No ratings: the popular list varied across genres, on every page alike."""
    headers = signup(client, "newcomer")["headers"]
    whole = ids(results(client, headers, "k=24"))
    pages = [m for offset in range(0, 24, 6) for m in ids(results(client, headers, f"k=6&offset={offset}"))]
    assert pages == whole and len(set(whole)) == 24
    assert ids(results(client, headers, "k=5")) == whole[:5]


def test_any_of_several_genres(client, rater):
    picks = results(client, rater, "k=20&genre=Comedy&genre=Horror")
    assert picks and all({"Comedy", "Horror"} & set(item["movie"]["genres"]) for item in picks)
    assert any("Comedy" in item["movie"]["genres"] for item in picks)


def test_a_range_of_years(client, rater):
    picks = results(client, rater, "k=20&year_from=1990&year_to=1995")
    assert picks and all(1990 <= item["movie"]["year"] <= 1995 for item in picks)
    assert all(item["movie"]["year"] >= 1996 for item in results(client, rater, "k=10&year_from=1996"))


def test_sorts_order_what_they_say(client, rater):
    popular = results(client, rater, "k=15&sort=popular")
    assert [m["movie"]["num_ratings"] for m in popular] == sorted((m["movie"]["num_ratings"] for m in popular),
                                                                 reverse=True)
    newest = results(client, rater, "k=15&sort=newest")
    assert [m["movie"]["year"] for m in newest] == sorted((m["movie"]["year"] for m in newest), reverse=True)
    predicted = results(client, rater, "k=15&sort=predicted")
    stars = [m["movie"]["predicted_rating"] for m in predicted]
    assert all(a >= b - 0.01 for a, b in pairwise(stars)), stars
    assert all(m["reason"].startswith("You'd rate it about") for m in predicted)
    assert all(m["reason"].startswith("Rated ") for m in results(client, rater, "k=5&sort=top_rated"))


def test_most_popular_follows_the_counts_as_they_are_now(client, rater):
    """Ratings given since the last build count: the order agrees with the counts the cards
    show (a browse page listed Contact, 509 ratings, above Return of the Jedi, 510)."""
    before = results(client, rater, "k=30&sort=popular")
    risen = before[-1]["movie"]
    for n in range(before[0]["movie"]["num_ratings"] - risen["num_ratings"] + 1):
        fan = signup(client, f"fan{n}")
        assert client.put(f"/api/ratings/{risen['id']}", json={"rating": 4.0}, headers=fan["headers"]).status_code == 201
    after = results(client, rater, "k=30&sort=popular")
    assert after[0]["movie"]["id"] == risen["id"]
    assert [m["movie"]["num_ratings"] for m in after] == sorted((m["movie"]["num_ratings"] for m in after), reverse=True)


def test_never_a_rated_film_whatever_the_order(client, rater):
    for sort in ("popular", "newest", "top_rated", "predicted"):
        assert not {1, 2, 3, 4, 5} & set(ids(results(client, rater, f"k=30&sort={sort}")))


def test_a_new_user_browses_too(client):
    headers = signup(client, "newcomer")["headers"]
    newest = results(client, headers, "k=5&sort=newest&genre=Drama")
    assert newest and all("Drama" in m["movie"]["genres"] for m in newest)
    assert [m["movie"]["year"] for m in newest] == sorted((m["movie"]["year"] for m in newest), reverse=True)
    assert len(results(client, headers, "k=5&offset=5")) == 5


def test_a_minimum_average_rating(client, rater):
    picks = results(client, rater, "k=30&sort=popular&min_rating=3.5")
    assert picks and all(item["movie"]["avg_rating"] >= 3.5 for item in picks)
    everything = results(client, rater, "k=30&sort=popular")
    assert any(item["movie"]["avg_rating"] < 3.5 for item in everything)  # the filter had work to do
    best = results(client, rater, "k=10&min_rating=4&genre=Drama")
    assert all(item["movie"]["avg_rating"] >= 4 and "Drama" in item["movie"]["genres"] for item in best)


def test_a_minimum_average_for_a_new_user(client):
    headers = signup(client, "newcomer")["headers"]
    picks = results(client, headers, "k=10&min_rating=4")
    assert picks and all(item["movie"]["avg_rating"] >= 4 for item in picks)


@pytest.mark.parametrize("query", ["min_rating=0", "min_rating=5.5", "min_rating=x", "min_rating=-1",
                                   "min_rating=4.123", "min_rating=nan", "min_rating=1e1"])
def test_bad_minimum_ratings_are_400(client, rater, query):
    response = client.get(f"/api/feed?{query}", headers=rater)
    assert error_code(response, 400) == "invalid_parameter", response.get_json()
    assert "min_rating" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("query", ["offset=-1", "offset=1001", "offset=x", "year_from=19x5", "year_to=99999",
                                   "year_from=1999&year_to=1990", "sort=rating", "genre=Comedy&genre=Nope",
                                   "year_from=1700"])
def test_bad_values_are_400(client, rater, query):
    response = client.get(f"/api/feed?{query}", headers=rater)
    assert error_code(response, 400) in ("invalid_parameter", "unknown_genre"), response.get_json()
