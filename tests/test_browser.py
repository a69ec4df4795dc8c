"""The whole visit in a real browser: sign up, onboarding, feed, rate in place, autocomplete, log out.

Debian's /usr/bin/chromium driven by Playwright, against the app served by a real HTTP server in
a background thread, with CSRF protection on as in production. Screenshots of every page go to
tests/screenshots/ (git-ignored); with UPDATE_DOCS_SCREENSHOTS=1 (`make screenshots`) the feed and
search ones also replace the README's in docs/screenshots/, which a test run leaves alone."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from tests.web_helpers import PASSWORD, imported_app

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).parent / "screenshots"
DOCS_SHOTS = Path(__file__).parent.parent / "docs" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                                                     "(apt-get install chromium; `make test` does it as root)"),
]


@pytest.fixture
def live_server(tmp_path):
    """The fixture catalogue, indexed, served on 127.0.0.1 (a free port) for one test."""
    from werkzeug.serving import make_server

    app = imported_app(tmp_path / "instance", WTF_CSRF_ENABLED=True)
    result = app.test_cli_runner().invoke(args=["index", "rebuild"])
    assert result.exit_code == 0, result.output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1000, "height": 800})
        tab = context.new_page()
        tab.set_default_timeout(10_000)
        tab.console_errors = []
        tab.on("console", lambda msg: msg.type == "error" and tab.console_errors.append(msg.text))
        yield tab
        browser.close()


def shot(page, name: str, docs_name: str | None = None) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name))
    if docs_name and os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHOTS / name, DOCS_SHOTS / docs_name)


def star(scope, value: str):
    """The half star of the star widget in `scope` that gives `value` stars (what a person clicks)."""
    return scope.locator(f"label.star[title='{value} of 5']")


def sign_up(page, server: str, name: str) -> None:
    """A new account through the register page, as a person makes one (onboarding comes next)."""
    page.goto(f"{server}/register")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()


def sign_up_and_skip_onboarding(page, server: str, name: str) -> None:
    """A new account straight to its feed ("Skip for now")."""
    sign_up(page, server, name)
    page.get_by_role("button", name="Skip for now").click()


def feed_ids(page) -> list[str]:
    return page.locator("#feed-list > li").evaluate_all("items => items.map(li => li.dataset.movieId)")


def test_sign_up_rate_search_log_out(live_server, page):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/register")
    shot(page, "01-register.png")
    page.get_by_label("Username").fill("walkthrough")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()

    expect(page).to_have_url(f"{live_server}/onboarding")
    shot(page, "02-onboarding.png")
    cards = page.locator("#onboarding li.card")
    rated = []
    for i, value in enumerate(["5", "4.5", "4", "3", "2.5"]):
        star(cards.nth(i), value).click()  # the star widget, as in every place a film is rated
        rated.append(cards.nth(i).locator(".star-input:checked").get_attribute("name").removeprefix("rating-"))
    page.get_by_role("button", name="Save and see my feed").click()

    expect(page).to_have_url(f"{live_server}/feed")
    expect(page.locator("#feed-list > li")).to_have_count(20)
    before = feed_ids(page)
    assert not set(before) & set(rated)
    expect(page.locator("#feed-list .reason").first).not_to_be_empty()
    shot(page, "03-feed.png")  # docs/screenshots/feed.png comes from the real ML-100K (README)

    page.evaluate("window.__noReload = true")
    star(page.locator("#feed-list > li").first, "4.5").click()  # one click rates
    expect(page.locator(f"#feed-list > li[data-movie-id='{before[0]}']")).to_have_count(0)
    expect(page.locator("#status")).to_contain_text("Your feed is updated")
    after = feed_ids(page)
    assert after != before and before[0] not in after and not set(after) & set(rated)
    assert page.evaluate("window.__noReload") is True  # refreshed in place, no navigation
    shot(page, "04-feed-after-rating.png")

    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "05-feed-phone.png")
    page.set_viewport_size({"width": 1000, "height": 800})

    page.goto(f"{live_server}/")
    box = page.get_by_role("combobox", name="A movie you like")
    box.press_sequentially("star wa", delay=40)
    option = page.get_by_role("option", name="Star Wars")
    expect(option).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    shot(page, "06-search.png", "search.png")
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "title-q-option-0")
    box.press("Enter")

    expect(page).to_have_url(f"{live_server}/movies/3")
    expect(page.get_by_role("heading", name="Movies like Star Wars")).to_be_visible()
    similar = page.get_by_role("list", name="Similar movies").get_by_role("listitem")
    expect(similar.first).to_be_visible()
    assert similar.count() > 0 and "Star Wars" not in similar.first.get_by_role("heading").inner_text()
    expect(similar.first.locator(".reason")).not_to_be_empty()
    shot(page, "07-movie.png")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    shot(page, "08-logged-out.png")
    page.goto(f"{live_server}/feed")
    expect(page).to_have_url(f"{live_server}/login?next=/feed")
    assert page.console_errors == []


def test_movies_like_a_title_in_a_genre(live_server, page):
    """The title box: its suggestions never cover Find, Find on a title opens that film's list,
    and the genre beside it narrows the films like it, not the title (westerns like Toy Story)."""
    from playwright.sync_api import expect

    page.goto(f"{live_server}/")
    shot(page, "11-home.png")
    box = page.get_by_role("combobox", name="A movie you like")
    box.press_sequentially("alien", delay=40)
    expect(page.get_by_role("option", name="Aliens")).to_be_visible()
    shot(page, "11-suggestions-beside-find.png")
    page.get_by_role("button", name="Find").click()  # the suggestions are below it, not over it
    expect(page).to_have_url(f"{live_server}/movies/8#similar-heading")

    page.goto(f"{live_server}/")
    page.get_by_label("Only films like it of the genre").select_option("Comedy")
    box = page.get_by_role("combobox", name="A movie you like")
    box.press_sequentially("star w", delay=40)
    page.get_by_role("option", name="Star Wars").click()  # no comedy, still suggested
    expect(page).to_have_url(f"{live_server}/movies/3?genre=Comedy#similar-heading")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/?q=star+w&genre=Comedy")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "12-phone-title-results.png")
    assert page.console_errors == []


def test_a_search_on_a_phone_lands_on_its_results(live_server, page):
    """On a 390-pixel screen the two search forms fill the first screen: a search scrolls to what
    it found, and "movies like Star Wars" in the description box to Star Wars's list."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/")
    page.get_by_label("What are you in the mood for?").fill("space robots")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="Movies matching")).to_be_in_viewport()
    shot(page, "09-phone-search.png")
    page.get_by_label("What are you in the mood for?").fill("movies like star wars")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(f"{live_server}/movies/3#similar-heading")
    expect(page.get_by_role("heading", name="Movies like Star Wars")).to_be_in_viewport()
    shot(page, "10-phone-movies-like.png")
    assert page.console_errors == []
