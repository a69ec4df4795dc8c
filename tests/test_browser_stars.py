"""The star widget in a real browser (issue 18): one click on a half star rates, the arrow keys
choose and Enter (or a rest) saves, in the feed (the list swapped in place, focus kept in it) and
on the movie page (the value kept, "Clear" removes it); the predicted stars are on the cards, and
on the movie page once, in "My rating" by the stars.

The fixtures and the Chromium set-up are tests/test_browser.py's, imported."""
# ruff: noqa: F811  (the fixtures imported below are the tests' arguments, as pytest wants)
from __future__ import annotations

import re

from tests.test_browser import (  # noqa: F401  (fixtures)
    feed_ids,
    live_server,
    page,
    pytestmark,
    shot,
    sign_up,
    star,
)


def sign_up_and_rate_five(page, server: str, name: str = "stars") -> None:
    """A new account through the pages, onboarding answered with the star widget."""
    sign_up(page, server, name)
    cards = page.locator("#onboarding li.card")
    for i, value in enumerate(["5", "4", "4.5", "2", "3"]):
        star(cards.nth(i), value).click()
    page.get_by_role("button", name="Save and see my feed").click()


def focus_is_in(page, selector: str) -> bool:
    return page.evaluate(f"document.activeElement.closest('{selector}') !== null")


def test_rate_in_the_feed_with_a_click_on_a_half_star(live_server, page):
    from playwright.sync_api import expect

    sign_up_and_rate_five(page, live_server)
    expect(page).to_have_url(f"{live_server}/feed")
    cards = page.locator("#feed-list > li")
    expect(cards.locator(".predicted")).to_have_count(20)  # "You'd rate it about 4.2★" on every card
    expect(cards.first.locator(".predicted")).to_contain_text("You'd rate it about")
    before = feed_ids(page)
    title = cards.nth(1).get_by_role("heading").inner_text()
    page.evaluate("window.__noReload = true")
    expect(cards.nth(1).get_by_role("button", name="Rate")).to_be_hidden()  # the click is enough
    star(cards.nth(1), "3.5").click()  # the left half of the fourth star
    expect(page.locator(f"#feed-list > li[data-movie-id='{before[1]}']")).to_have_count(0)
    expect(page.locator("#status")).to_contain_text(f"You rated {title} 3.5 out of 5. Your feed is updated.")
    assert page.evaluate("window.__noReload") is True
    assert focus_is_in(page, "#feed-list")  # focus stays in the list: on the card now in that place
    assert before[1] not in feed_ids(page)
    shot(page, "21-feed-rated-by-click.png")
    page.goto(f"{live_server}/ratings")
    expect(page.get_by_role("radio", name="3.5 stars").and_(page.locator(":checked"))).to_have_count(1)
    assert page.console_errors == []


def test_a_rating_made_in_the_feed_can_be_undone_there(live_server, page):
    """A star tapped by mistake on a phone: the card left the feed and the only way back was
    "My ratings". The message offers Undo, which removes the rating and brings the film back."""
    from playwright.sync_api import expect

    sign_up_and_rate_five(page, live_server, "mistaken")
    cards = page.locator("#feed-list > li")
    before = feed_ids(page)
    title = cards.nth(0).get_by_role("heading").inner_text()
    star(cards.nth(0), "1").click()
    expect(page.locator(f"#feed-list > li[data-movie-id='{before[0]}']")).to_have_count(0)
    page.locator("#status").get_by_role("button", name="Undo").click()
    expect(page.locator("#status")).to_contain_text(f"Rating removed: {title}.")
    expect(page.locator(f"#feed-list > li[data-movie-id='{before[0]}']")).to_have_count(1)
    page.goto(f"{live_server}/ratings")
    expect(page.get_by_role("heading", name=title)).to_have_count(0)
    assert page.console_errors == []


def test_my_ratings_shows_each_rating_once_by_the_stars(live_server, page):
    """/ratings: each film's rating is the star control's (no "You rated it 1★" beside a control
    showing 1); the control's name says the rating it holds, also after a change or a clear."""
    from playwright.sync_api import expect

    sign_up_and_rate_five(page, live_server, "mine")
    page.goto(f"{live_server}/ratings")
    cards = page.locator("main li.card")
    expect(cards).to_have_count(5)
    expect(page.get_by_text("You rated it")).to_have_count(0)
    expect(cards.locator(".scores .given")).to_have_count(0)
    given = sorted(cards.locator(".star-input:checked").evaluate_all("inputs => inputs.map(i => i.value)"))
    assert given == ["2", "3", "4", "4.5", "5"]  # the onboarding's stars, each shown once
    for i in range(5):
        card = cards.nth(i)
        title = card.get_by_role("heading").inner_text()
        value = card.locator(".star-input:checked").get_attribute("value")
        expect(card.get_by_role("group", name=f"Your rating for {title}: {value} stars", exact=True)).to_have_count(1)
        expect(card.locator(".star-value")).to_have_text(value)  # the number beside the stars, for the eyes
    shot(page, "24-my-ratings.png")

    card = cards.first
    title = card.get_by_role("heading").inner_text()
    star(card, "1").click()  # changed in place: the name follows
    expect(page.locator("#status")).to_contain_text(f"You rated {title} 1 out of 5.")
    expect(card.get_by_role("group", name=f"Your rating for {title}: 1 star", exact=True)).to_have_count(1)
    expect(card.get_by_text("You rated it")).to_have_count(0)
    expect(card.locator(".rated-on")).to_have_text("Rated just now.")
    card.get_by_role("button", name="Clear").click()
    expect(page.locator("#status")).to_contain_text(f"Your rating of {title} is removed.")
    expect(card.get_by_role("group", name=f"Your rating for {title}", exact=True)).to_have_count(1)
    expect(card.locator(".rated-on")).to_have_text("Rating removed: rate it again to put it back.")
    page.reload()
    expect(cards).to_have_count(4)
    assert page.console_errors == []


def test_a_card_with_stars_says_the_rating_once(live_server, page):
    """A similar list's card of a film I rated: the stars show my rating and nothing repeats it;
    rating one in place puts its predicted stars aside, clearing brings them back."""
    from playwright.sync_api import expect

    sign_up_and_rate_five(page, live_server, "cards")
    page.goto(f"{live_server}/movies/6")
    similar = page.get_by_role("list", name="Similar movies").get_by_role("listitem")
    expect(similar.first).to_be_visible()
    rated = similar.filter(has=page.locator(".star-input:checked"))
    expect(page.get_by_text("You rated it")).to_have_count(0)  # (the film's own panel: not rated)
    card = similar.filter(has=page.locator(".predicted")).first
    title = card.get_by_role("heading").inner_text()
    star(card, "4").click()
    expect(page.locator("#status")).to_contain_text(f"You rated {title} 4 out of 5.")
    expect(card.locator(".predicted")).to_be_hidden()
    expect(card.get_by_text("You rated it")).to_have_count(0)
    expect(card.get_by_role("group", name=f"Your rating for {title}: 4 stars", exact=True)).to_have_count(1)
    card.get_by_role("button", name="Clear").click()
    expect(page.locator("#status")).to_contain_text(f"Your rating of {title} is removed.")
    expect(card.locator(".predicted")).to_be_visible()
    page.reload()
    assert rated.count() >= 1  # films rated at onboarding are on this list: their stars only
    expect(rated.locator(".scores .given")).to_have_count(0)
    rated.first.scroll_into_view_if_needed()
    shot(page, "25-similar-rated-once.png")
    assert page.console_errors == []


def test_rate_in_the_feed_with_the_keyboard(live_server, page):
    from playwright.sync_api import expect

    sign_up_and_rate_five(page, live_server, "keys")
    expect(page).to_have_url(f"{live_server}/feed")
    first = page.locator("#feed-list > li").first
    movie_id, title = first.get_attribute("data-movie-id"), first.get_by_role("heading").inner_text()
    group = first.get_by_role("group", name=f"Your rating for {title}")
    expect(group.get_by_role("radio")).to_have_count(10)
    first.get_by_role("link", name=title).focus()
    page.keyboard.press("Tab")  # into the star group (one Tab stop): its first half star
    assert page.evaluate("document.activeElement.classList.contains('star-input')")
    for _ in range(8):  # 0.5 is focused (not yet chosen); the arrows choose 1 .. 4.5
        page.keyboard.press("ArrowRight")
    expect(group.get_by_role("radio", name="4.5 stars")).to_be_checked()
    assert page.locator(f"#feed-list > li[data-movie-id='{movie_id}']").count() == 1  # not saved while choosing
    page.keyboard.press("Enter")
    expect(page.locator(f"#feed-list > li[data-movie-id='{movie_id}']")).to_have_count(0)
    expect(page.locator("#status")).to_contain_text(f"You rated {title} 4.5 out of 5")
    assert focus_is_in(page, "#feed-list")
    assert page.console_errors == []


def test_rate_and_clear_on_the_movie_page(live_server, page):
    from playwright.sync_api import expect

    sign_up_and_rate_five(page, live_server, "movie")
    page.goto(f"{live_server}/movies/6")
    panel = page.locator("section[aria-labelledby='mine-heading']")
    expect(panel.locator(".my-rating")).to_contain_text("we think you'd give it about")  # the predicted stars,
    expect(panel.locator(".my-rating .predicted")).to_have_text(re.compile(r"^\d\.\d★$"))  # by the stars
    expect(page.locator(".movie > .scores .predicted, .movie > .scores .given")).to_have_count(0)  # said once
    shot(page, "22-movie-predicted.png")
    clear = panel.get_by_role("button", name="Clear")
    expect(clear).to_be_hidden()
    star(panel, "2.5").click()
    expect(page.locator("#status")).to_contain_text("You rated The Godfather 2.5 out of 5.")
    expect(panel.get_by_role("radio", name="2.5 stars")).to_be_checked()
    expect(panel.locator(".my-rating")).to_have_text("You rated it 2.5 out of 5.")
    expect(panel.locator(".predicted")).to_have_count(0)  # no longer predicted
    expect(page.locator(".movie > .scores .given")).to_have_count(0)  # said in the panel only
    expect(clear).to_be_visible()
    shot(page, "22-movie-rated.png")
    page.reload()
    expect(panel.get_by_role("radio", name="2.5 stars")).to_be_checked()  # saved, not just drawn

    panel.get_by_role("radio", name="2.5 stars").focus()  # the keyboard: the checked star has the Tab stop
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(panel.get_by_role("radio", name="1.5 stars")).to_be_checked()
    expect(page.locator("#status")).to_contain_text("You rated The Godfather 1.5 out of 5.")  # saved when the keys rest
    page.reload()
    expect(panel.get_by_role("radio", name="1.5 stars")).to_be_checked()

    panel.get_by_role("button", name="Clear").click()
    expect(page.locator("#status")).to_contain_text("Your rating of The Godfather is removed.")
    expect(panel.locator(".star-input:checked")).to_have_count(0)
    page.reload()
    expect(panel.locator(".star-input:checked")).to_have_count(0)
    page.set_viewport_size({"width": 375, "height": 812})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "23-movie-phone.png")
    assert page.console_errors == []


def test_without_javascript_the_stars_still_post(live_server, page):
    from playwright.sync_api import expect

    sign_up_and_rate_five(page, live_server, "nojs")
    context = page.context.browser.new_context(java_script_enabled=False, storage_state=page.context.storage_state())
    plain = context.new_page()
    plain.goto(f"{live_server}/movies/6")
    panel = plain.locator("section[aria-labelledby='mine-heading']")
    star(panel, "4").click()  # a label checks its radio without any script
    panel.get_by_role("button", name="Rate").click()  # the button a script would hide
    expect(plain).to_have_url(f"{live_server}/movies/6")
    expect(plain.locator("#status")).to_contain_text("You rated The Godfather 4 out of 5.")
    expect(panel.get_by_role("radio", name="4 stars")).to_be_checked()
    panel.get_by_role("button", name="Clear").click()
    expect(plain.locator("#status")).to_contain_text("Your rating of The Godfather is removed.")
    expect(panel.locator(".star-input:checked")).to_have_count(0)
    context.close()


def test_a_rating_that_could_not_be_saved_leaves_the_stars_as_saved(live_server, page):
    """Logged out in another tab, a click on the stars is refused: the page says so and the stars
    show what is stored, not the click."""
    from playwright.sync_api import expect

    sign_up_and_rate_five(page, live_server, "stale")
    page.goto(f"{live_server}/movies/6")
    similar = page.get_by_role("list", name="Similar movies").get_by_role("listitem")
    card = similar.filter(has=page.locator(".predicted")).first
    title = card.get_by_role("heading").inner_text()
    star(card, "4").click()
    expect(page.locator("#status")).to_contain_text(f"You rated {title} 4 out of 5.")
    page.context.clear_cookies()  # as if logged out elsewhere
    star(card, "2").click()
    expect(page.locator("#status")).to_contain_text("Could not save the rating")
    expect(card.get_by_role("group", name=f"Your rating for {title}: 4 stars", exact=True)).to_have_count(1)
    expect(card.locator(".star-input:checked")).to_have_value("4")
    shot(page, "26-rating-not-saved.png")
