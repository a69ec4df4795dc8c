"""The server-rendered pages: they render, they refuse forms without a CSRF token, they escape."""
import re

import pytest

from recommender import store
from tests.web_helpers import PASSWORD, csrf_token, imported_app, login_form, signup


def page(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


@pytest.fixture
def member(client):
    """A logged-in client (CSRF off in the `app` fixture)."""
    signup(client)
    assert login_form(client).status_code == 302
    return client


def test_search_page(client):
    html = page(client, "/")
    assert 'role="combobox"' in html and 'aria-controls="title-suggestions"' in html
    assert 'href="#main"' in html and '<main id="main"' in html and "<nav" in html
    assert "Star Wars" in page(client, "/?q=star+wa")
    assert "Star Wars" in page(client, "/?q=stra+wars&genre=Sci-Fi")
    assert "No title matches" in page(client, "/?q=zzzzzz")
    assert "Movies matching" in page(client, "/?q=space+opera&mode=text")
    page(client, "/?q=x&genre=Polka", 400)


def test_the_title_box_genre_narrows_the_list_of_films_like_it(client):
    """The genre beside "A movie you like" is the genre of the films like it (westerns like Toy
    Story), not a filter on the title looked up; a title that names one film opens its list."""
    assert client.get("/?q=star+wars").location == "/movies/3#similar-heading"
    assert client.get("/?q=Star+Wars&genre=Western").location == "/movies/3?genre=Western#similar-heading"
    html = page(client, "/?q=star+w&genre=Comedy")  # Star Wars is no comedy: still found
    assert 'href="/movies/3?genre=Comedy#similar-heading">Movies like Star Wars (Comedy)</a>' in html
    assert 'href="/movies/3">Movies like Star Wars</a>' in page(client, "/?q=star+w")


def test_a_description_that_names_a_film_opens_its_list(client):
    """ "movies like X" typed in the description box is what the site is for: X's page, at its list."""
    for asked in ("movies+like+star+wars", "something+similar+to+Star+Wars%3F", "like+star+wars+1977"):
        response = client.get(f"/?q={asked}&mode=text")
        assert response.status_code == 302 and response.location == "/movies/3#similar-heading", asked
    assert client.get("/?q=movies+like+the+godfather&mode=text&genre=Drama").location == "/movies/6?genre=Drama#similar-heading"
    missing = page(client, "/?q=movies+like+the+matrix&mode=text")  # no such film: said, then a description
    assert "Movies matching" in missing and "No film here is called “the matrix” (the films go up to 19" in missing
    assert client.get("/?q=movies+like+stra+wars&mode=text").location == "/movies/3#similar-heading"  # a typo
    assert client.get("/?q=I+want+something+like+star+wars&mode=text").location == "/movies/3#similar-heading"
    assert "Movies matching" in page(client, "/?q=movies+like+cowboys&mode=text")  # a kind of film


def test_a_description_of_no_word_the_text_model_knows_finds_nothing(indexed_app):
    client = indexed_app.test_client()
    html = page(client, "/?q=xyzzy+qwerty&mode=text")
    assert "No film matches" in html and 'class="reason"' not in html
    assert 'class="reason"' in page(client, "/?q=space+robots&mode=text")


def test_a_description_that_is_a_title_offers_the_film_by_name(client):
    html = page(client, "/?q=godfather&mode=text")
    assert "Looking for a title?" in html and 'href="/movies/6">The Godfather</a>' in html
    assert "Looking for a title?" not in page(client, "/?q=space+opera&mode=text")


def test_a_description_without_a_word_finds_nothing(client):
    for asked in ("!!!%3F%3F%3F", "%F0%9F%8E%AC"):
        html = page(client, f"/?q={asked}&mode=text")
        assert "No film matches" in html and 'class="reason"' not in html
    assert client.get("/api/search?q=%21%21%21").get_json() == {"results": []}


def test_movie_page(client):
    html = page(client, "/movies/3")
    assert "<h1 id=\"movie-title\">Star Wars</h1>" in html and "1977" in html and "Sci-Fi" in html
    assert "Movies like Star Wars" in html and 'class="reason"' in html and "Log in</a> to rate" in html
    assert "The Godfather" in page(client, "/movies/6")
    assert "no movie" in page(client, "/movies/999", 404).lower()
    page(client, "/movies/abc", 404)


def test_auth_pages(client):
    assert 'name="password"' in page(client, "/register")
    assert 'name="password"' in page(client, "/login")
    assert "not logged in" in page(client, "/logout")


def test_login_required_pages_redirect(client):
    for path in ("/feed", "/onboarding", "/ratings", "/feed/list"):
        response = client.get(path)
        assert response.status_code == 302 and "/login?next=" in response.location
    assert client.post("/ratings/3", data={"rating": "4"}).status_code == 302
    response = client.post("/ratings/3", data={"rating": "4"}, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"


def test_register_then_onboarding_then_feed(client):
    response = client.post("/register", data={"username": "carol", "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/onboarding")
    html = page(client, "/onboarding")
    radios = re.findall(r'name="rating-(\d+)" value="([0-9.]*)"', html)
    ids = list(dict.fromkeys(movie for movie, _ in radios))
    assert 8 <= len(ids) <= 12  # one batch of distinct movies, across genres (issue 19)
    assert len(radios) == 11 * len(ids)  # the star widget: ten half stars and "Not seen" per film
    too_few = client.post("/onboarding", data={f"rating-{i}": "4" for i in ids[:4]})
    assert too_few.status_code == 302  # five ratings are a hint now, not a wall (issue 19)
    done = client.post("/onboarding", data={f"rating-{i}": "4.5" for i in ids[:5]} | {"action": "save"})
    assert done.status_code == 302 and done.location.endswith("/feed")
    feed = page(client, "/feed")
    shown = re.findall(r'data-movie-id="(\d+)"', feed)
    assert len(shown) == 20 and not set(shown) & set(ids[:5])
    assert "Your rating" in feed and 'class="reason"' in feed


def test_onboarding_skip_and_bad_value(member):
    assert member.post("/onboarding", data={"action": "skip"}).location.endswith("/feed")
    feed = page(member, "/feed")  # no rating yet: said so, with the way back to rating a few
    assert 'id="feed-newcomer"' in feed and 'href="/onboarding"' in feed.split('id="feed-newcomer"')[1][:300]
    assert member.post("/onboarding", data={"rating-3": "7", "action": "save"}).status_code == 400


def test_register_errors(client):
    signup(client, "dave")
    taken = client.post("/register", data={"username": "DAVE", "password": PASSWORD, "confirm": PASSWORD})
    assert taken.status_code == 409 and "taken" in taken.get_data(as_text=True)
    differ = client.post("/register", data={"username": "erin", "password": PASSWORD, "confirm": "other one"})
    assert differ.status_code == 400
    short = client.post("/register", data={"username": "erin", "password": "short", "confirm": "short"})
    assert short.status_code == 400 and short.get_data(as_text=True).count("password: at least 8") == 1  # said once
    every = client.post("/register", data={"username": "e", "password": "short", "confirm": "other"})
    text = every.get_data(as_text=True)  # all at once: fixing one does not reveal the next
    assert every.status_code == 400 and all(w in text for w in ("username: 3 to 30", "password: at least",
                                                                  "The two passwords differ"))
    for field in ("username", "password", "confirm"):  # each said under its field, which points to it
        tag = re.search(rf'<input id="{field}"[^>]*>', text).group(0)
        assert 'aria-invalid="true"' in tag and f"{field}-error" in tag and f'id="{field}-error"' in text
        assert ("autofocus" in tag) == (field == "username")  # the first to fix has the focus
    spaced = client.post("/register", data={"username": "noir fan!", "password": PASSWORD, "confirm": PASSWORD})
    assert "not a space, &#39;!&#39;" in spaced.get_data(as_text=True)  # what is wrong, not the rule again
    only = client.post("/register", data={"username": "erin", "password": PASSWORD, "confirm": "other"})
    text = only.get_data(as_text=True)
    assert 'aria-invalid="true"' in re.search(r'<input id="confirm"[^>]*>', text).group(0)
    assert 'aria-invalid' not in re.search(r'<input id="username"[^>]*>', text).group(0)
    bad = login_form(client, "dave", "wrong password")
    assert bad.status_code == 401 and "Wrong username or password" in bad.get_data(as_text=True)


def test_login_next_stays_on_site(client):
    signup(client)
    for target, expected in [("/ratings", "/ratings"), ("//evil.example/x", "/feed"),
                             ("https://evil.example/", "/feed"), ("/\\evil.example", "/feed")]:
        response = client.post("/login", data={"username": "alice", "password": PASSWORD, "next": target})
        assert response.location == expected


def test_feed_genre_and_fragment(member):
    html = page(member, "/feed?genre=Drama")
    assert "<option value=\"Drama\" selected>" in html
    fragment = page(member, "/feed/list?genre=Drama")
    assert fragment.lstrip().startswith("<ol") and "<html" not in fragment
    page(member, "/feed?genre=Polka", 400)


def test_rate_change_remove_from_pages(member):
    response = member.post("/ratings/3", data={"rating": "4.5", "next": "/feed"})
    assert response.status_code == 302 and response.location == "/feed"
    assert "You rated Star Wars 4.5" in page(member, "/feed")
    assert 'data-movie-id="3"' not in page(member, "/feed")
    html = page(member, "/ratings")
    assert "Star Wars" in html and re.search(r'name="rating" value="4.5" checked>', html)
    assert html.count(" checked>") == 1  # one half star of the one film
    assert "You rated it" not in html  # said once, by the star control, whose name holds it:
    assert '> for Star Wars<span class="star-said">: 4.5 stars</span>' in html
    assert "You rated it <strong>4.5</strong>" in page(member, "/movies/3")
    fetched = member.post("/ratings/3", data={"rating": "2"}, headers={"X-Requested-With": "fetch"})
    assert fetched.status_code == 200 and fetched.get_json() == {"movie_id": 3, "rating": 2.0, "created": False}
    assert member.post("/ratings/3", data={"rating": "2.2"}).status_code == 400
    assert member.post("/ratings/3", data={"rating": "nan"}).status_code == 400
    assert member.post("/ratings/999", data={"rating": "2"}).status_code == 404
    assert member.post("/ratings/3/delete", data={"next": "/ratings"}).location == "/ratings"
    assert "not rated anything yet" in page(member, "/ratings")
    assert member.post("/ratings/3/delete").status_code == 404


def back_link(html: str) -> tuple[str, str]:
    """The error page's one way back: (href, text)."""
    main = html[html.index("<main"):]
    found = re.findall(r'<p><a href="([^"]*)">([^<]*)</a></p>', main)
    assert len(found) == 1, found
    return found[0]


def test_an_error_page_links_back_to_where_it_came_from(member):
    """A bad offset in the feed (a hand-edited or stale "show more" link) says so and leads back to
    the feed, not to search; browse's errors lead to browse; anywhere else, search."""
    for path in ("/feed?offset=100000", "/feed?offset=-1&genre=Drama", "/feed?genre=Polka",
                 "/feed/list?offset=100000"):
        html = page(member, path, 400)
        assert back_link(html) == ("/feed", "Back to your feed"), path
        assert "Back to search" not in html and ("offset" in html or "genre" in html)
    assert back_link(page(member, "/browse/nothing", 404)) == ("/browse", "Back to browse")
    for path in ("/movies/999", "/feedback", "/browsers", "/nothing"):
        assert back_link(page(member, path, 404)) == ("/", "Back to search"), path
    assert back_link(page(member.application.test_client(), "/movies/999", 404)) == ("/", "Back to search")
    # the pages' own fetch() and the API still get the contract's JSON, with the same statuses
    fetched = member.get("/feed/list?offset=100000", headers={"X-Requested-With": "fetch"})
    assert fetched.status_code == 400 and fetched.get_json()["error"]["code"] == "invalid_parameter"
    assert set(fetched.get_json()) == {"error"} and set(fetched.get_json()["error"]) == {"code", "message"}
    token = member.post("/api/token", json={"username": "alice", "password": PASSWORD}).get_json()["token"]
    api = member.get("/api/feed?offset=100000", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 400 and api.get_json()["error"]["code"] == "invalid_parameter"


def test_logout(member):
    assert member.post("/logout").location.endswith("/")
    assert member.get("/feed").status_code == 302


# --- CSRF: a separate app with the check switched on --------------------------------------------

@pytest.fixture
def csrf_client(tmp_path):
    return imported_app(tmp_path / "instance", WTF_CSRF_ENABLED=True).test_client()


def test_forms_refuse_missing_csrf_token(csrf_client):
    client = csrf_client
    signup(client, "frank")  # the JSON API is exempt: it takes bearer tokens only
    assert client.post("/register", data={"username": "gina", "password": PASSWORD, "confirm": PASSWORD}).status_code == 400
    assert login_form(client, "frank").status_code == 400
    assert login_form(client, "frank", token="forged").status_code == 400
    assert login_form(client, "frank", token=csrf_token(client)).status_code == 302
    for path, data in [("/ratings/3", {"rating": "4"}), ("/ratings/3/delete", {}), ("/logout", {}),
                       ("/onboarding", {"action": "skip"})]:
        response = client.post(path, data=data)
        assert response.status_code == 400 and "Reload the page and try again" in response.get_data(as_text=True)
    response = client.post("/ratings/3", data={"rating": "4"},
                           headers={"X-CSRFToken": csrf_token(client, "/feed"), "X-Requested-With": "fetch"})
    assert response.status_code == 201
    refused = client.post("/ratings/4", data={"rating": "4"}, headers={"X-Requested-With": "fetch"})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"
    assert "logged out or in" in refused.get_json()["error"]["message"]  # what the page's script shows


def test_register_with_csrf_token(csrf_client):
    token = csrf_token(csrf_client, "/register")
    response = csrf_client.post("/register", data={"username": "hana", "password": PASSWORD,
                                                   "confirm": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


# --- escaping and headers -------------------------------------------------------------------

EVIL = "<script>alert(1)</script>"


def test_titles_search_text_and_usernames_are_escaped(app, client):
    db = store.connect(app.config["DATABASE"])
    db["movies"].insert({"id": 500, "title": f"{EVIL} (2001)", "display_title": EVIL, "year": 2001,
                         "genres": "Drama", "search_key": "script alert 1 script"})
    db["movie_genres"].insert({"movie_id": 500, "genre": "Drama"})
    db.close()
    for html in (page(client, "/movies/500"), page(client, "/?q=script+alert"),
                 page(client, f"/?q={EVIL}&mode=text"), page(client, f"/?q={EVIL[:-9]}")):  # a title not whole: its list
        assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    response = client.post("/register", data={"username": EVIL, "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 400 and EVIL not in response.get_data(as_text=True)
    assert "&lt;script&gt;" in response.get_data(as_text=True)


def test_cookies_and_security_headers(tmp_path):
    client = imported_app(tmp_path / "i", WTF_CSRF_ENABLED=False, SESSION_COOKIE_SECURE=True).test_client()
    signup(client)
    response = client.post("/login", data={"username": "alice", "password": PASSWORD, "remember": "1"})
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 2  # the session, and "remember me"
    for cookie in cookies:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"


# --- issue 18: the star widget without JavaScript, predicted stars, browse, show more ------------

@pytest.fixture
def indexed_member(indexed_app):
    """A logged-in client of an indexed app who rated five films (so there are predicted stars)."""
    client = indexed_app.test_client()
    signup(client, "rita")
    assert login_form(client, "rita").status_code == 302
    for movie, stars in ((1, 5.0), (2, 4.0), (3, 1.0), (4, 4.5), (5, 3.0)):
        assert client.post(f"/ratings/{movie}", data={"rating": str(stars)}).status_code == 302
    return client


def test_star_widget_is_a_labelled_radio_group_that_posts_without_javascript(member):
    html = page(member, "/movies/6")
    widget = html[html.index('<form class="rate'):html.index("</form>", html.index('<form class="rate'))]
    assert "<fieldset" in widget and "<legend" in widget and "Your rating" in widget
    assert re.findall(r'type="radio" class="star-input[^"]*" id="mine-6-(\d+)" name="rating" value="([0-9.]+)"', widget) == [
        (str(i), f"{i / 2:g}") for i in range(1, 11)]
    assert all(f'for="mine-6-{i}"' in widget for i in range(1, 11)) and "0.5 stars" in widget and "5 stars" in widget
    assert 'class="rate-submit"' in widget and 'formaction="/ratings/6/delete"' in widget
    assert 'formaction="/ratings/6/delete" formnovalidate hidden>' in widget  # nothing to clear yet
    # what the browser posts without JavaScript: the checked radio's value, to the form's action
    assert member.post("/ratings/6", data={"rating": "3.5", "next": "/movies/6"}).location == "/movies/6"
    html = page(member, "/movies/6")
    assert 'id="mine-6-7" name="rating" value="3.5" checked>' in html
    assert 'formaction="/ratings/6/delete" formnovalidate>' in html  # now "Clear" shows
    assert member.post("/ratings/6/delete", data={"next": "/movies/6"}).location == "/movies/6"
    assert " checked>" not in page(member, "/movies/6")


def test_predicted_stars_on_every_server_rendered_list(indexed_member):
    feed = page(indexed_member, "/feed")
    assert feed.count('class="predicted"') == 20 and "You'd rate it about <strong>" in feed
    movie = page(indexed_member, "/movies/6")
    assert movie.count('class="predicted"') >= 2  # the film and its likes
    head, similar = movie.split('id="similar-heading"')
    mine = head[head.index('id="mine-heading"'):head.index('id="spread-heading"')]
    assert re.search(r'we think you\'d give it about <strong class="predicted">\d\.\d<span aria-hidden="true">★', mine)
    assert head.count('class="predicted"') == 1 and "You'd rate it about" not in head  # once, by the stars
    assert "You'd rate it about" in similar  # the similar films' cards keep theirs
    rated = page(indexed_member, "/movies/1")
    assert "You rated it" not in rated[:rated.index('id="mine-heading"')]  # the header says no stars of mine
    assert "You rated it <strong>5" in page(indexed_member, "/movies/1")
    assert 'class="predicted"' in page(indexed_member, "/?q=godfath")
    assert 'class="predicted"' in page(indexed_member, "/?q=space+opera&mode=text")
    assert 'class="predicted"' not in page(indexed_member.application.test_client(), "/movies/6")  # a visitor


def test_the_chart_has_a_row_per_star_and_per_half_star_somebody_gave():
    from webapp.pages.browse import chart_rows

    spread = [(s / 2, 0) for s in range(1, 11)]
    assert [s for s, _ in chart_rows(spread)] == [5.0, 4.0, 3.0, 2.0, 1.0]
    spread[8] = (4.5, 1)
    assert chart_rows(spread) == [(5.0, 0), (4.5, 1), (4.0, 0), (3.0, 0), (2.0, 0), (1.0, 0)]


def test_movie_page_charts_how_people_rated_it(indexed_member):
    html = page(indexed_member, "/movies/3")
    chart = html[html.index("<svg"):html.index("</svg>")]
    assert 'role="img"' in chart and "<title" in chart and "<desc" in chart
    assert chart.count('class="chart-bar"') >= 5
    assert '<table class="chart-table">' in html and "average" in html


def test_feed_shows_more_past_twenty(indexed_member):
    first = re.findall(r'data-movie-id="(\d+)"', page(indexed_member, "/feed"))
    html = page(indexed_member, "/feed")
    assert 'class="show-more" href="/feed?offset=20"' in html
    second = re.findall(r'data-movie-id="(\d+)"', page(indexed_member, "/feed?offset=20"))
    assert len(first) == 20 and second and not set(first) & set(second)
    # every film left: the fixture's 30 less the five rated and Chasing Amy's second copy
    fragment = page(indexed_member, "/feed/list?offset=0&k=24")
    assert len(re.findall(r'data-movie-id="(\d+)"', fragment)) == 24
    for bad in ("offset=-1", "offset=x", "k=0", "k=1000", "offset=5000"):
        page(indexed_member, f"/feed?{bad}", 400)


def test_browse_for_a_visitor(indexed_app):
    client = indexed_app.test_client()
    html = page(client, "/browse")
    assert 'id="browse-form"' in html and 'value="best"' not in html  # personal orders need an account
    nineties = page(client, "/browse?decade=1990&sort=newest")
    years = [int(y) for y in re.findall(r'<span class="year">(\d{4})</span>', nineties)]
    assert years and all(1990 <= y <= 1999 for y in years) and years == sorted(years, reverse=True)
    picky = page(client, "/browse?sort=top_rated&min_rating=4&genre=Drama&genre=Comedy")
    assert re.findall(r'data-movie-id="(\d+)"', picky)
    assert "Log in</a> to sort by" in html
    asked = page(client, "/browse?sort=predicted")
    assert "needs an account" in asked and "Most popular" in asked
    newer = page(client, "/browse?year_from=2000")
    assert "No film matches" in newer and "The films here go up to 19" in newer  # how far the catalogue goes


def test_browse_pages_on_for_a_member(indexed_member):
    html = page(indexed_member, "/browse?sort=best")
    assert 'value="best" selected' in html and 'class="predicted"' in html
    first = re.findall(r'data-movie-id="(\d+)"', html)
    more = re.search(r'class="show-more" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "offset=20" in more and "sort=best" in more
    second = re.findall(r'data-movie-id="(\d+)"', page(indexed_member, more))
    assert len(first) == 20 and second and not set(first) & set(second)


@pytest.mark.parametrize("query", ["decade=1995", "decade=abc", "year_from=1999&year_to=1990", "min_rating=9",
                                   "min_rating=x", "sort=rating", "offset=-3", "genre=Polka", "year_from=12"])
def test_browse_bad_values_give_the_form_back(indexed_app, query):
    html = page(indexed_app.test_client(), f"/browse?{query}", 400)
    assert 'id="browse-error"' in html and 'id="browse-form"' in html


def test_a_browse_form_with_a_bad_value_keeps_every_choice_and_says_it_in_the_forms_words(indexed_member):
    html = page(indexed_member, "/browse?genre=Drama&genre=Comedy&year_from=1990&year_to=1980&sort=predicted"
                                "&min_rating=4", 400)
    assert "The first year (1990) is after the second (1980)" in html and "year_from" not in html.split("<form")[1][:400]
    for checked in ('value="Drama" checked', 'value="Comedy" checked', 'value="1990"', 'value="1980"',
                    'value="predicted" selected', 'value="4" selected'):
        assert checked in html, checked
    assert 'value="Western" checked' not in html
    assert "“Average at least” must be" in page(indexed_member, "/browse?min_rating=9", 400)


def test_a_title_lookup_that_finds_nothing_says_how_far_the_catalogue_goes(client):
    html = page(client, "/?q=oppenheimer")
    assert "No title matches" in html and "go up to 1997" in html  # the fixture's newest film
    assert "flask" not in html  # a person searching, not an operator: no command line


def test_browse_without_an_index_says_so(client):
    html = page(client, "/browse?sort=newest&decade=1990")
    assert "need the index" in html and 'class="show-more"' not in html and 'data-movie-id="' in html


def test_feed_without_an_index_does_not_offer_more(member):
    assert 'data-movie-id="' in (html := page(member, "/feed")) and 'class="show-more"' not in html


def test_browse_offers_the_catalogues_decades_only(client):
    """The fixture release's films are from the 1990s and before: no decade that lists nothing."""
    html = client.get("/browse").get_data(as_text=True)
    offered = [int(d) for d in re.findall(r'<option value="(\d{4})"', html)]
    assert offered and max(offered) < 2000 and offered == sorted(offered, reverse=True)
