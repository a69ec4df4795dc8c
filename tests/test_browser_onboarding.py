"""Onboarding that learns, in a real browser (issue 19): find a film by its title and rate it,
answer a batch, get the next one, reach the feed. Screenshots at desktop and phone width."""
from __future__ import annotations

from tests.test_browser import feed_ids, live_server, page, pytestmark, shot, sign_up, star  # noqa: F401  (fixtures)


def batch_ids(tab) -> list[str]:
    return tab.locator("#onb-batch > li.card").evaluate_all("items => items.map(li => li.dataset.movieId)")


def test_onboarding_with_search_a_batch_and_the_feed(live_server, page):  # noqa: F811  (the fixtures)
    from playwright.sync_api import expect

    sign_up(page, live_server, "newcomer")
    expect(page).to_have_url(f"{live_server}/onboarding")
    first = batch_ids(page)
    assert 8 <= len(first) <= 12
    expect(page.get_by_role("button", name="Save and see my feed")).to_be_hidden()  # nothing liked yet
    expect(page.locator("#onb-progress")).to_contain_text("Rate at least 5 for a better feed")

    cards = page.locator("#onb-batch > li.card")
    star(cards.nth(0), "4").click()  # an answer in the batch, kept through the search below
    expect(page.get_by_role("button", name="Save and see my feed")).to_be_visible()  # one liked film is enough

    search = page.get_by_role("combobox", name="Title")
    search.fill("toy stor")
    option = page.get_by_role("option", name="Toy Story")
    expect(option).to_be_visible()
    option.click()
    found = page.locator("#onb-found > li.card")
    expect(found).to_have_count(1)
    expect(found.first.get_by_role("heading")).to_have_text("Toy Story")
    expect(page.locator("#onb-progress")).to_contain_text("you have rated 1")  # the batch answer was saved
    star(found.first, "5").click()
    second = batch_ids(page)
    assert second == [m for m in first if m != "1"]  # a search leaves the batch as it is, answers and all
    cards = page.locator("#onb-batch > li.card")
    expect(cards.nth(0).locator(".star-input:checked")).to_have_value("4")
    star(cards.nth(1), "3.5").click()
    star(cards.nth(2), "2").click()
    cards.nth(2).get_by_text("Not seen").click()  # changed my mind: one click
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "onboarding-desktop.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "onboarding-phone.png")
    page.locator("#onb-progress").scroll_into_view_if_needed()
    shot(page, "onboarding-phone-actions.png")
    page.set_viewport_size({"width": 1000, "height": 800})

    page.get_by_role("button", name="Next films").click()
    expect(page.locator("#onb-progress")).to_contain_text("you have rated 3")
    third = batch_ids(page)
    assert "1" not in third and first[0] not in third and not set(third) & set(second)  # answered or not seen

    page.get_by_role("button", name="Save and see my feed").click()
    expect(page).to_have_url(f"{live_server}/feed")
    expect(page.locator("#feed-list > li")).not_to_have_count(0)
    assert page.console_errors == []


def rated_titles(tab, server: str) -> list[str]:
    """The titles on /ratings (the person's own list), read in a tab of their own."""
    other = tab.context.new_page()
    try:
        other.goto(f"{server}/ratings")
        return other.locator("main h2, main h3").all_inner_texts()
    finally:
        other.close()


def test_a_star_is_saved_on_its_click_and_kept_when_leaving_by_the_menu(live_server, page):  # noqa: F811
    """The walkthrough's bug: 1 star on a film, then "My feed" in the top menu lost the rating.
    Every star click now saves at once, as on the feed's cards, and says so on the card."""
    from playwright.sync_api import expect

    sign_up(page, live_server, "quickleaver")
    page.goto(f"{live_server}/feed")
    popular = feed_ids(page)  # nothing rated yet: the popular list
    page.goto(f"{live_server}/onboarding")
    cards = page.locator("#onb-batch > li.card")
    first = cards.nth(0)
    title = first.get_by_role("heading").inner_text()
    star(first, "1").click()
    said = first.get_by_role("status")
    expect(said).to_have_text(f"Saved: you rated {title} 1 out of 5.")
    expect(page.locator("#onb-progress")).to_contain_text("you have rated 1")
    first.scroll_into_view_if_needed()
    shot(page, "onboarding-saved-on-click.png")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My feed").click()
    expect(page).to_have_url(f"{live_server}/feed")
    assert title in rated_titles(page, live_server)
    now = feed_ids(page)
    assert now and now != popular  # the feed follows the rating
    assert page.console_errors == []


def test_a_changed_star_not_seen_and_a_failed_save_on_onboarding(live_server, page):  # noqa: F811
    """Changing a star updates the saved rating, "Not seen" after a saved star removes it, films
    rated on a click do not come back, and a save that fails is said on the page and made by the
    batch's submit instead."""
    from playwright.sync_api import expect

    sign_up(page, live_server, "changeable")
    expect(page).to_have_url(f"{live_server}/onboarding")
    first = batch_ids(page)
    cards = page.locator("#onb-batch > li.card")
    titles = [cards.nth(i).get_by_role("heading").inner_text() for i in range(3)]
    star(cards.nth(0), "2").click()
    star(cards.nth(0), "4.5").click()  # changed my mind: the latest star is the one kept
    expect(cards.nth(0).get_by_role("status")).to_have_text(f"Saved: you rated {titles[0]} 4.5 out of 5.")
    star(cards.nth(1), "3").click()
    expect(cards.nth(1).get_by_role("status")).to_contain_text("Saved")
    cards.nth(1).get_by_text("Not seen").click()
    expect(cards.nth(1).get_by_role("status")).to_have_text(f"Not seen: your rating of {titles[1]} is removed.")
    listed = rated_titles(page, live_server)
    assert titles[0] in listed and titles[1] not in listed

    page.route("**/ratings/*", lambda route: route.abort())  # the network fails
    star(cards.nth(2), "3.5").click()
    expect(cards.nth(2).get_by_role("status")).to_contain_text("Not saved yet")
    expect(cards.nth(2).get_by_role("status")).to_contain_text("saved with “Next films”")
    cards.nth(2).scroll_into_view_if_needed()
    shot(page, "onboarding-save-failed.png")
    assert titles[2] not in rated_titles(page, live_server)
    page.unroute("**/ratings/*")

    page.get_by_role("button", name="Next films").click()
    expect(page.locator("#onb-progress")).to_contain_text("you have rated 2")
    listed = rated_titles(page, live_server)
    assert titles[0] in listed and titles[2] in listed and titles[1] not in listed
    assert not set(batch_ids(page)) & set(first)  # rated (on a click or by the submit) or not seen
    assert all("net::ERR_FAILED" in e for e in page.console_errors), page.console_errors  # the aborted save only


def test_enter_on_a_star_saves_it_and_stays_put(live_server, page):  # noqa: F811
    """A keyboard walkthrough: the arrow keys chose 4 stars and Enter sent the form's first
    button, the search ("Find"), which reloaded the page at the search with focus lost."""
    from playwright.sync_api import expect

    sign_up(page, live_server, "keyboarder")
    first = page.locator("#onb-batch > li.card").nth(0)
    title = first.get_by_role("heading").inner_text()
    star(first, "3").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(first.get_by_role("status")).to_have_text(f"Saved: you rated {title} 3.5 out of 5.")
    assert page.url == f"{live_server}/onboarding"
    assert page.evaluate("document.activeElement.classList.contains('star-input')")


def test_a_form_that_leaves_the_page_is_sent_once(live_server, page):  # noqa: F811
    """A second click on Sign up while the first was on its way sent the form again, and its
    answer ("That username is taken", the person's own new name) replaced the first's success;
    the same for Import. The second submit of such a form is now stopped in the page (seen here
    by a listener after app.js's, which keeps the page from leaving); Back to the page lets it go
    once more."""
    page.goto(f"{live_server}/register")
    seen = page.evaluate("""() => {
        const form = document.querySelector('main form'), seen = [];
        window.addEventListener('submit', e => { seen.push(e.defaultPrevented); e.preventDefault(); });
        form.requestSubmit(); form.requestSubmit();
        window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}));
        form.requestSubmit();
        return seen;
    }""")
    assert seen == [False, True, False]


def test_the_feed_button_leaves_with_the_only_like(live_server, page):  # noqa: F811
    """"Save and see my feed" comes with the first film liked and went on showing after that
    like was taken back ("Not seen") although nothing liked was left."""
    from playwright.sync_api import expect

    sign_up(page, live_server, "changedmind")
    first = page.locator("#onb-batch > li.card").nth(0)
    feed_button = page.locator("#onb-feed")
    expect(feed_button).to_be_hidden()
    star(first, "5").click()
    expect(feed_button).to_be_visible()
    star(page.locator("#onb-batch > li.card").nth(1), "2").click()
    first.get_by_text("Not seen").click()
    expect(feed_button).to_be_hidden()
