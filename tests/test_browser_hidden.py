""""Not interested" in a real browser: the card leaves the feed in place, focus moves to the next
card, the feed's next film takes its place at the end (the feed keeps its 20 cards), the status
message's Undo brings it back; the hidden list undoes too.

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
    expect(page.locator("#status")).to_contain_text(f"Hidden: {title}.")
    next_link = page.locator(f"#feed-list > li[data-movie-id='{before[1]}'] h2 a")
    expect(next_link).to_be_focused()
    expect(cards.last).not_to_have_attribute("data-movie-id", before[-1])  # the stand-in came
    expect(cards).to_have_count(20)
    after = feed_ids(page)
    assert after[:19] == before[1:] and after[19] not in before  # appended, nothing moved, a new film
    expect(next_link).to_be_focused()  # the stand-in took no focus
    assert page.evaluate("window.__noReload") is True  # done in place, no navigation
    shot(page, "09-feed-hidden.png")

    page.locator("#status").get_by_role("button", name="Undo").click()
    expect(page.locator("#status")).to_contain_text(f"Shown again: {title}.")
    expect(cards).to_have_count(20)
    assert feed_ids(page) == before  # the card back in its place, the stand-in gone again
    expect(page.locator(f"#feed-list > li[data-movie-id='{before[0]}'] h2 a")).to_be_focused()

    cards.first.get_by_role("button", name="Not interested").click()  # hidden for good this time
    expect(page.locator("#status")).to_contain_text(f"Hidden: {title}.")
    expect(cards.last).not_to_have_attribute("data-movie-id", before[-1])
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "10-feed-hidden-message-phone.png")
    page.locator("#status").get_by_role("button", name="Dismiss").click()  # it covered a card
    expect(page.locator("#status .flash")).to_have_count(0)
    page.set_viewport_size({"width": 1000, "height": 800})
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
    empty = page.get_by_text("You have not hidden any film. Press “Not interested” on a movie you never want "
                             "to see suggested.")
    expect(empty).to_be_hidden()
    hidden_cards.first.get_by_role("button", name="Undo").click()
    expect(hidden_cards).to_have_count(0)
    expect(page.locator("#status")).to_contain_text(f"Shown again: {title}.")
    expect(empty).to_be_visible()  # the last one gone: what the server says of an empty list, in place
    shot(page, "10-hidden-list-emptied.png")
    page.locator("#status").get_by_role("button", name="Undo").click()  # hidden again: the card is back
    expect(page.locator("#status")).to_contain_text(f"Hidden again: {title}.")
    expect(hidden_cards).to_have_count(1)
    expect(empty).to_be_hidden()
    hidden_cards.first.get_by_role("button", name="Undo").click()
    expect(empty).to_be_visible()
    page.reload()
    expect(empty).to_be_visible()
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


def test_the_feed_keeps_its_length_when_cards_leave_it(live_server, page):
    """Cards hidden (or put on the watchlist) one after another, without waiting: each gives way
    to the feed's next film at the end, never a film already on the page or one just taken off it.
    When the feed's list cannot be fetched, the card is gone all the same and nothing else moves;
    without JavaScript the form posts and the page comes back with 20 cards."""
    from playwright.sync_api import expect

    sign_up_and_skip_onboarding(page, live_server, "keeper")
    page_errors = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    cards = page.locator("#feed-list > li")
    expect(cards).to_have_count(20)
    before = feed_ids(page)
    page.evaluate("window.__noReload = true")

    def card(movie_id):
        return page.locator(f"#feed-list > li[data-movie-id='{movie_id}']")

    gone = before[:3]
    for movie_id in gone:  # three clicks in a row: the posts and the fetches race
        card(movie_id).get_by_role("button", name="Not interested").click()
    card(before[3]).get_by_role("button", name="Want to watch").click()  # leaves the feed too
    gone.append(before[3])
    for movie_id in gone:
        expect(card(movie_id)).to_have_count(0)
    expect(cards).to_have_count(20)
    after = feed_ids(page)
    assert len(set(after)) == 20 and not set(after) & set(gone)  # no film twice, none taken off
    assert after[:16] == before[4:] and not set(after[16:]) & set(before)  # four new films, at the end
    assert page.evaluate("window.__noReload") is True
    cards.last.scroll_into_view_if_needed()  # the stand-ins, at the end of the feed
    shot(page, "14-feed-hidden-refilled.png")

    page.reload()
    expect(cards).to_have_count(20)

    # the feed's list cannot be fetched: the hidden card still leaves, no card comes, nothing else moves
    shown = feed_ids(page)
    page.route("**/feed/list**", lambda route: route.fulfill(status=503, body="busy"))
    with page.expect_request("**/feed/list**"):
        card(shown[0]).get_by_role("button", name="Not interested").click()
    expect(page.locator("#status")).to_contain_text("Hidden: ")
    expect(card(shown[0])).to_have_count(0)
    page.wait_for_timeout(200)  # time for a stand-in that must not come
    assert feed_ids(page) == shown[1:]
    page.unroute("**/feed/list**")
    assert page_errors == []

    # without JavaScript: the form posts, the page comes back with the feed's 20 cards
    context = page.context.browser.new_context(java_script_enabled=False, storage_state=page.context.storage_state())
    plain = context.new_page()
    plain.goto(f"{live_server}/feed")
    plain_cards = plain.locator("#feed-list > li")
    expect(plain_cards).to_have_count(20)
    first = plain_cards.first.get_attribute("data-movie-id")
    plain_cards.first.get_by_role("button", name="Not interested").click()
    expect(plain).to_have_url(f"{live_server}/feed")
    expect(plain.locator("#status")).to_contain_text("Hidden: ")
    expect(plain_cards).to_have_count(20)
    assert first not in feed_ids(plain)
    context.close()
