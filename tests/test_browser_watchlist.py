""""Want to watch" and the account page in a real browser: the toggle takes a card out of the feed in
place (with undo), flips in place on a similar list, posts without JavaScript on the movie page;
/watchlist lists them and takes one off in place; /account downloads the export and deletes the
account after the password.

The fixtures and the Chromium set-up are tests/test_browser.py's, imported."""
from __future__ import annotations

import json

from tests.test_browser import (  # noqa: F401  (fixtures)
    feed_ids,
    live_server,
    page,
    pytestmark,
    shot,
    sign_up_and_skip_onboarding,
)
from tests.web_helpers import PASSWORD


def test_want_to_watch_from_the_feed_a_similar_list_and_the_movie_page(live_server, page):
    from playwright.sync_api import expect

    sign_up_and_skip_onboarding(page, live_server, "watcher")
    expect(page).to_have_url(f"{live_server}/feed")
    cards = page.locator("#feed-list > li")
    expect(cards).to_have_count(20)
    before = feed_ids(page)
    title = cards.first.get_by_role("heading").inner_text()
    page.evaluate("window.__noReload = true")

    # the feed: the card leaves in place (a watchlisted film is never suggested), undo brings it back
    cards.first.get_by_role("button", name="Want to watch").click()
    expect(page.locator(f"#feed-list > li[data-movie-id='{before[0]}']")).to_have_count(0)
    expect(page.locator("#status")).to_contain_text(f"On your watchlist: {title}.")
    expect(page.locator(f"#feed-list > li[data-movie-id='{before[1]}'] h2 a")).to_be_focused()
    page.locator("#status").get_by_role("button", name="Undo").click()
    expect(page.locator("#status")).to_contain_text(f"Off your watchlist: {title}.")
    expect(cards).to_have_count(20)
    assert feed_ids(page) == before
    cards.first.get_by_role("button", name="Want to watch").click()  # for good this time
    expect(page.locator("#status")).to_contain_text(f"On your watchlist: {title}.")
    assert page.evaluate("window.__noReload") is True  # all of it in place
    shot(page, "20-feed-want-to-watch.png")
    page.reload()
    expect(cards).to_have_count(20)
    assert before[0] not in feed_ids(page)  # the server leaves it out too

    # a similar list: the toggle flips in place and the card stays
    page.goto(f"{live_server}/movies/{before[1]}")
    similar = page.get_by_role("list", name="Similar movies").get_by_role("listitem")
    first_similar = similar.first
    similar_title = first_similar.get_by_role("heading").inner_text()
    similar_id = first_similar.get_attribute("data-movie-id")
    toggle = first_similar.get_by_role("button", name="Want to watch")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#status")).to_contain_text(f"On your watchlist: {similar_title}.")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#status")).to_contain_text(f"Off your watchlist: {similar_title}.")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    shot(page, "21-similar-want-to-watch.png")

    # the movie's own page: a plain form, the page comes back saying so
    page.get_by_role("region", name="Want to watch?").get_by_role("button", name="Want to watch").click()
    expect(page.get_by_text("It is on your watchlist")).to_be_visible()
    expect(page.get_by_role("region", name="Want to watch?").get_by_role("button", name="Want to watch")) \
        .to_have_attribute("aria-pressed", "true")

    # /watchlist: newest first; taking one off removes its card in place
    page.get_by_role("link", name="Watchlist", exact=True).click()
    expect(page).to_have_url(f"{live_server}/watchlist")
    listed = page.locator("#watchlist > li")
    expect(listed).to_have_count(3)
    ids = listed.evaluate_all("items => items.map(li => li.dataset.movieId)")
    assert set(ids) == {before[0], before[1], similar_id}  # (newest first, to the second)
    shot(page, "22-watchlist.png")
    listed.first.get_by_role("button", name="Want to watch").click()
    expect(listed).to_have_count(2)
    expect(page.locator("#status")).to_contain_text("Off your watchlist")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the buttons fit the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "23-watchlist-phone.png")
    page.set_viewport_size({"width": 1000, "height": 800})
    page.reload()
    expect(listed).to_have_count(2)
    assert page.console_errors == []


EMPTY_WATCHLIST = "Your watchlist is empty. Press “Want to watch” on any movie to keep it here."


def test_the_watchlist_says_it_is_empty_when_its_last_card_leaves(live_server, page):
    """The last film leaving /watchlist in place (rated: seen; or taken off) leaves the message the
    server renders for an empty watchlist, not a blank page; Undo brings the card back instead."""
    from playwright.sync_api import expect

    sign_up_and_skip_onboarding(page, live_server, "emptier")
    feed = page.locator("#feed-list > li")
    for _ in range(2):  # the first card twice: the feed's next film takes the first place
        first = feed.first.get_attribute("data-movie-id")
        feed.first.get_by_role("button", name="Want to watch").click()
        expect(page.locator(f"#feed-list > li[data-movie-id='{first}']")).to_have_count(0)
    page.get_by_role("link", name="Watchlist", exact=True).click()
    listed = page.locator("#watchlist > li")
    expect(listed).to_have_count(2)
    empty = page.get_by_text(EMPTY_WATCHLIST)
    expect(empty).to_be_hidden()
    page.evaluate("window.__noReload = true")

    # taken off: the list empties, the message shows; Undo brings the card back, the message goes
    title = listed.first.get_by_role("heading").inner_text()
    listed.first.get_by_role("button", name="Want to watch").click()
    expect(listed).to_have_count(1)
    expect(empty).to_be_hidden()  # one film left: no message yet
    other = listed.first.get_by_role("heading").inner_text()
    listed.first.get_by_role("button", name="Want to watch").click()
    expect(listed).to_have_count(0)
    expect(empty).to_be_visible()
    expect(page.locator("#status")).to_contain_text(f"Off your watchlist: {other}.")
    shot(page, "25-watchlist-emptied.png")
    page.locator("#status").get_by_role("button", name="Undo").click()
    expect(page.locator("#status")).to_contain_text(f"Back on your watchlist: {other}.")
    expect(listed).to_have_count(1)
    expect(page.get_by_role("list", name="Want to watch")).to_be_visible()
    expect(empty).to_be_hidden()

    # rated: seen, so off the watchlist; the last one leaving says the list is empty
    star = listed.first.locator("label.star[title='4 of 5']")
    star.click()
    expect(page.locator("#status")).to_contain_text(f"You rated {other} 4 out of 5.")
    expect(listed).to_have_count(0)
    expect(empty).to_be_visible()
    expect(page.get_by_role("list", name="Want to watch")).to_have_count(0)  # no empty list left behind
    assert page.evaluate("window.__noReload") is True  # all of it in place
    shot(page, "26-watchlist-rated-the-last.png")
    page.reload()
    expect(empty).to_be_visible()  # what the server renders: the same words
    assert title not in page.locator("main").inner_text()
    assert page.console_errors == []


def test_a_rated_film_is_seen_so_it_offers_no_want_to_watch(live_server, page):
    """Rated means seen: the movie page and a card stop offering "Want to watch" once the film is
    rated (in place: the panel steps aside, the film leaves the watchlist), offer it again when the
    rating is cleared."""
    from playwright.sync_api import expect

    from tests.test_browser import star

    sign_up_and_skip_onboarding(page, live_server, "seen")
    page.goto(f"{live_server}/movies/3")
    want = page.get_by_role("region", name="Want to watch?")
    want.get_by_role("button", name="Want to watch").click()  # a plain form: the page comes back
    expect(want).to_contain_text("It is on your watchlist")
    mine = page.get_by_role("region", name="My rating")
    star(mine, "5").click()
    expect(page.locator("#status")).to_contain_text("You rated Star Wars 5 out of 5.")
    expect(want).to_have_count(0)  # seen: nothing to want
    expect(page.get_by_role("button", name="Want to watch: Star Wars")).to_have_count(0)
    shot(page, "27-movie-rated-no-want-to-watch.png")
    page.reload()
    expect(mine.get_by_role("radio", name="5 stars", exact=True)).to_be_checked()
    expect(want).to_have_count(0)
    page.get_by_role("link", name="Watchlist", exact=True).click()
    expect(page.get_by_text(EMPTY_WATCHLIST)).to_be_visible()  # rating took it off
    page.go_back()
    mine.get_by_role("button", name="Clear").click()
    expect(page.locator("#status")).to_contain_text("Your rating of Star Wars is removed.")
    expect(want).to_be_visible()  # not seen after all: wanted again, from scratch
    expect(want.get_by_role("button", name="Want to watch")).to_have_attribute("aria-pressed", "false")
    expect(want).not_to_contain_text("It is on your watchlist")
    want.get_by_role("button", name="Want to watch").click()
    expect(want).to_contain_text("It is on your watchlist")

    # a similar list's card: rated in place, its toggle steps aside; cleared, it is back
    page.goto(f"{live_server}/movies/6")
    similar = page.get_by_role("list", name="Similar movies").get_by_role("listitem")
    card = similar.filter(has=page.get_by_role("button", name="Want to watch")).first
    card_id = card.get_attribute("data-movie-id")
    card = page.locator(f"li.card[data-movie-id='{card_id}']")
    title = card.get_by_role("heading").inner_text()
    star(card, "4").click()
    expect(page.locator("#status")).to_contain_text(f"You rated {title} 4 out of 5.")
    expect(card.get_by_role("button", name="Want to watch")).to_have_count(0)
    card.get_by_role("button", name="Clear").click()
    expect(page.locator("#status")).to_contain_text(f"Your rating of {title} is removed.")
    expect(card.get_by_role("button", name="Want to watch")).to_have_attribute("aria-pressed", "false")

    assert page.console_errors == []


def test_export_then_delete_the_account(live_server, page):
    from playwright.sync_api import expect

    sign_up_and_skip_onboarding(page, live_server, "leaver")
    page.locator("#feed-list > li").first.get_by_role("button", name="Want to watch").click()
    expect(page.locator("#status")).to_contain_text("On your watchlist")
    page.get_by_role("link", name="Account", exact=True).click()
    expect(page).to_have_url(f"{live_server}/account")
    with page.expect_download() as download:
        page.get_by_role("link", name="Everything, as JSON").click()
    body = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert body["username"] == "leaver" and len(body["watchlist"]) == 1 and body["ratings"] == []
    with page.expect_download() as download:
        page.get_by_role("link", name="Your ratings, as a Letterboxd CSV").click()
    assert download.value.suggested_filename == "ratings.csv"
    assert open(download.value.path(), encoding="utf-8").read() == "Date,Name,Year,Letterboxd URI,Rating\n"

    page.get_by_label("Your password, to confirm").fill("not my password")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("alert")).to_contain_text("That password is wrong")
    shot(page, "24-account-wrong-password.png")
    page.get_by_label("Your password, to confirm").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator("#status")).to_contain_text("The account leaver is deleted")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.goto(f"{live_server}/login")
    page.get_by_label("Username").fill("leaver")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Wrong username or password")).to_be_visible()
    # the 403 and 401 form pages are "failed" loads to the console; no script error besides
    assert [e for e in page.console_errors if not e.startswith("Failed to load resource")] == []
