"""Onboarding that learns, in a real browser (issue 19): find a film by its title and rate it,
answer a batch, get the next one, reach the feed. Screenshots at desktop and phone width."""
from __future__ import annotations

from tests.test_browser import live_server, page, pytestmark, shot, sign_up, star  # noqa: F401  (fixtures)


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
    assert second and first[0] not in second  # rated: never offered again
    assert set(second) & set(first[1:])  # a search says nothing of the films beside it: they stay
    cards = page.locator("#onb-batch > li.card")
    star(cards.nth(0), "3.5").click()
    star(cards.nth(1), "2").click()
    cards.nth(1).get_by_text("Not seen").click()  # changed my mind: one click
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
