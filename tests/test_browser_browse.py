"""Browsing in a real browser (issue 18): /browse filtered by decade, "Show more" appending the
next cards in place (focus on the first new one), in /browse and in the feed; at phone width
nothing is wider than the screen.

The fixtures and the Chromium set-up are tests/test_browser.py's, imported."""
# ruff: noqa: F811  (the fixtures imported below are the tests' arguments, as pytest wants)
from __future__ import annotations

import re

from tests.test_browser import feed_ids, live_server, page, pytestmark, shot  # noqa: F401  (fixtures)
from tests.test_browser_stars import sign_up_and_rate_five


def years_shown(tab) -> list[int]:
    return [int(y) for y in tab.locator("#browse-list .year").all_inner_texts()]


def test_browse_by_decade_as_a_visitor(live_server, page):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Browse").click()
    expect(page).to_have_url(f"{live_server}/browse")
    expect(page.get_by_label("Sort by").locator("option")).to_have_count(3)  # no personal orders for a visitor
    page.get_by_label("Decade").select_option("1990")
    page.get_by_label("Sort by").select_option("newest")
    page.get_by_role("button", name="Show films").click()
    expect(page).to_have_url(re.compile(r"/browse\?decade=1990&.*sort=newest"))
    years = years_shown(page)
    assert years and all(1990 <= y <= 1999 for y in years) and years == sorted(years, reverse=True)
    expect(page.get_by_label("Decade")).to_have_value("1990")
    shot(page, "31-browse-1990s.png")
    page.set_viewport_size({"width": 375, "height": 812})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "32-browse-phone.png")
    assert page.console_errors == []


def test_a_browse_with_reversed_years_keeps_the_choices(live_server, page):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/browse")
    page.get_by_label("Drama").check()
    page.get_by_label("From year").fill("1990")
    page.get_by_label("To year").fill("1980")
    page.get_by_label("Sort by").select_option("newest")
    page.get_by_role("button", name="Show films").click()
    expect(page.get_by_role("alert")).to_contain_text("The first year (1990) is after the second (1980)")
    expect(page.get_by_label("Drama")).to_be_checked()
    expect(page.get_by_label("From year")).to_have_value("1990")
    expect(page.get_by_label("Sort by")).to_have_value("newest")
    shot(page, "33-browse-reversed-years.png")


def test_browse_shows_more_in_place(live_server, page):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/browse?sort=popular")
    cards = page.locator("#browse-list > li")
    expect(cards).to_have_count(20)
    first_page = cards.evaluate_all("items => items.map(li => li.dataset.movieId)")
    page.evaluate("window.__noReload = true")
    page.get_by_role("link", name="Show more").click()
    expect(cards).to_have_count(29)  # the fixture's thirty films, Chasing Amy's two copies as one
    shown = cards.evaluate_all("items => items.map(li => li.dataset.movieId)")
    assert shown[:20] == first_page and len(set(shown)) == 29
    expect(cards.nth(20).get_by_role("link").first).to_be_focused()
    expect(page.get_by_role("link", name="Show more")).to_have_count(0)  # nothing further
    assert page.evaluate("window.__noReload") is True
    assert page.console_errors == []


def test_feed_shows_more_and_predicted_stars(live_server, page):
    from playwright.sync_api import expect

    sign_up_and_rate_five(page, live_server, "more")
    cards = page.locator("#feed-list > li")
    expect(cards).to_have_count(20)
    before = feed_ids(page)
    page.get_by_role("link", name="Show more").click()
    expect(cards).to_have_count(24)  # thirty films, five rated, Chasing Amy's second copy left out
    after = feed_ids(page)
    assert after[:20] == before and len(set(after)) == 24
    expect(cards.nth(20).get_by_role("link").first).to_be_focused()
    expect(cards.nth(23).locator(".predicted")).to_contain_text("You'd rate it about")
    page.goto(f"{live_server}/browse?sort=predicted&decade=1990")
    stars = [float(s.rstrip("★")) for s in page.locator("#browse-list .predicted strong").all_inner_texts()]
    assert stars and stars == sorted(stars, reverse=True)
    assert page.console_errors == []


def test_a_bad_feed_page_leads_back_to_the_feed(live_server, page):
    """A feed page past the end (a stale or hand-edited "show more" address) is a 400 whose one
    link goes back to the feed the person came from, not to search."""
    from playwright.sync_api import expect

    sign_up_and_rate_five(page, live_server, "lost")
    response = page.goto(f"{live_server}/feed?offset=100000")
    assert response.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("400 Invalid parameter")
    expect(page.get_by_role("link", name="Back to search")).to_have_count(0)
    shot(page, "29-feed-bad-offset.png")
    page.get_by_role("link", name="Back to your feed").click()
    expect(page).to_have_url(f"{live_server}/feed")
    expect(page.locator("#feed-list > li")).to_have_count(20)
    response = page.goto(f"{live_server}/movies/99999")  # elsewhere: back to search, as before
    assert response.status == 404
    page.get_by_role("link", name="Back to search").click()
    expect(page).to_have_url(f"{live_server}/")
