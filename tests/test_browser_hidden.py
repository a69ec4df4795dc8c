""""Not interested" in a real browser: the card leaves the feed in place, focus moves to the next
card, the status message's Undo brings it back; the hidden list undoes too.

The fixtures and the Chromium set-up are tests/test_browser.py's, imported."""
from __future__ import annotations

from tests.test_browser import (  # noqa: F401  (fixtures)
    feed_ids,
    live_server,
    page,
    pytestmark,
    shot,
    sign_up_and_skip_onboarding,
)


def test_not_interested_in_the_feed_then_undo(live_server, page):
    from playwright.sync_api import expect

    sign_up_and_skip_onboarding(page, live_server, "hider")
    expect(page).to_have_url(f"{live_server}/feed")
    cards = page.locator("#feed-list > li")
    expect(cards).to_have_count(20)
    before = feed_ids(page)
    title = cards.first.get_by_role("heading").inner_text()
    page.evaluate("window.__noReload = true")

    cards.first.get_by_role("button", name="Not interested").click()
    expect(page.locator(f"#feed-list > li[data-movie-id='{before[0]}']")).to_have_count(0)
    expect(cards).to_have_count(19)
    expect(page.locator("#status")).to_contain_text(f"Hidden: {title}.")
    next_link = page.locator(f"#feed-list > li[data-movie-id='{before[1]}'] h2 a")
    expect(next_link).to_be_focused()
    assert page.evaluate("window.__noReload") is True  # done in place, no navigation
    shot(page, "09-feed-hidden.png")

    page.locator("#status").get_by_role("button", name="Undo").click()
    expect(page.locator("#status")).to_contain_text(f"Shown again: {title}.")
    expect(cards).to_have_count(20)
    assert feed_ids(page) == before
    expect(page.locator(f"#feed-list > li[data-movie-id='{before[0]}'] h2 a")).to_be_focused()

    cards.first.get_by_role("button", name="Not interested").click()  # hidden for good this time
    expect(page.locator("#status")).to_contain_text(f"Hidden: {title}.")
    page.reload()
    expect(cards).to_have_count(20)
    assert before[0] not in feed_ids(page)  # the server leaves it out too
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the buttons fit the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "11-feed-hidden-phone.png")
    page.set_viewport_size({"width": 1000, "height": 800})

    page.goto(f"{live_server}/movies/{before[1]}")
    expect(page.get_by_role("button", name="Not interested")).to_have_count(
        page.get_by_role("list", name="Similar movies").get_by_role("listitem").count() + 1)
    shot(page, "12-movie-not-interested.png")

    page.get_by_role("link", name="Hidden", exact=True).click()
    expect(page).to_have_url(f"{live_server}/hidden")
    hidden_cards = page.locator("#hidden-list > li")
    expect(hidden_cards).to_have_count(1)
    expect(hidden_cards.first.get_by_role("heading")).to_have_text(title)
    shot(page, "10-hidden-list.png")
    hidden_cards.first.get_by_role("button", name="Undo").click()
    expect(hidden_cards).to_have_count(0)
    expect(page.locator("#status")).to_contain_text(f"Shown again: {title}.")
    page.goto(f"{live_server}/feed")
    assert before[0] in feed_ids(page)
    assert page.console_errors == []


def test_the_undo_of_a_card_far_down_the_feed_is_in_view(live_server, page):
    """The status region stays at the top of the viewport: hiding the last card of the feed, a
    person sees "Hidden: X." and its Undo without scrolling back up."""
    from playwright.sync_api import expect

    sign_up_and_skip_onboarding(page, live_server, "hider-far")
    cards = page.locator("#feed-list > li")
    expect(cards).to_have_count(20)
    last = cards.last
    title = last.get_by_role("heading").inner_text()
    last.get_by_role("button", name="Not interested").click()
    expect(page.locator("#status")).to_contain_text(f"Hidden: {title}.")
    assert page.evaluate("window.scrollY") > 400  # still far down the page
    undo = page.locator("#status").get_by_role("button", name="Undo")
    expect(undo).to_be_in_viewport()
    shot(page, "13-feed-hidden-far-down.png")
    undo.click()
    expect(page.locator("#status")).to_contain_text(f"Shown again: {title}.")
    assert page.console_errors == []
