"""The import page in a real browser: upload a Letterboxd ratings.csv, see matched, ambiguous and
left-out lines, pick the film an ambiguous line means, confirm, find the ratings on /ratings; the
same file again changes nothing, and a file of another kind gets its reason beside the form.

The fixtures and the Chromium set-up are tests/test_browser.py's, imported; the catalogue is
ml-100k-mini, which has neither Godzilla, Parasite nor Amélie (those lines are not found) and
two "Chasing Amy (1997)" (that line is ambiguous)."""
from __future__ import annotations

from pathlib import Path

from tests import test_browser
from tests.test_browser import shot
from tests.test_browser_watchlist import sign_up_and_skip_onboarding

IMPORTS = Path(__file__).parent / "fixtures" / "imports"
pytestmark = test_browser.pytestmark
live_server, page = test_browser.live_server, test_browser.page  # the fixtures, by their names


def test_upload_preview_choose_and_confirm(live_server, page):
    from playwright.sync_api import expect

    sign_up_and_skip_onboarding(page, live_server, "importer")
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page).to_have_url(f"{live_server}/import")

    # a file of another kind: the reason, beside the form
    page.get_by_label("Your ratings file (CSV)").set_input_files(str(IMPORTS / "not_ratings.csv"))
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("alert")).to_contain_text("this CSV is not a Letterboxd ratings.csv")

    page.get_by_label("Your ratings file (CSV)").set_input_files(str(IMPORTS / "letterboxd_ratings.csv"))
    page.get_by_role("button", name="Preview the import").click()
    summary = page.locator("#import-summary")
    expect(summary).to_contain_text("6 matched, 1 to choose, 4 not found, 1 rated twice")
    matched = page.locator("#matched > li")
    expect(matched).to_have_count(6)
    expect(matched.first).to_contain_text("The Godfather")
    expect(page.locator("#left-out")).to_contain_text("Parasite")
    expect(page.locator("#left-out")).to_contain_text("rated again on line 14")
    choice = page.get_by_label("line 9: “Chasing Amy” (1997)")
    choice.select_option("14")
    shot(page, "30-import-preview.png")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "32-import-preview-phone.png")
    page.set_viewport_size({"width": 1000, "height": 800})

    page.get_by_role("button", name="Import these ratings").click()
    expect(page).to_have_url(f"{live_server}/ratings")
    expect(page.locator("#status")).to_contain_text("Imported 7 ratings, updated 0, 0 unchanged.")
    expect(page.locator("ol.cards > li")).to_have_count(7)
    shot(page, "31-import-done.png")

    # the same file again: nothing changes
    page.goto(f"{live_server}/import")
    page.get_by_label("Your ratings file (CSV)").set_input_files(str(IMPORTS / "letterboxd_ratings.csv"))
    page.get_by_role("button", name="Preview the import").click()
    page.get_by_role("button", name="Import these ratings").click()
    expect(page.locator("#status")).to_contain_text("Imported 0 ratings, updated 0, 6 unchanged.")
    expect(page.locator("ol.cards > li")).to_have_count(7)
    # the 400 form page counts as a failed load in the console; no script error besides
    assert [e for e in page.console_errors if not e.startswith("Failed to load resource")] == []
