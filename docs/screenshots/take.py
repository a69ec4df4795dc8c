"""The README's screenshots of the feed, the movie page and /browse, from a real ML-100K instance
(not the test fixtures). Serve a COPY of an instance holding ML-100K, imported and indexed:

    cp -a instance/bench /tmp/ml100k && INSTANCE_PATH=/tmp/ml100k .venv/bin/flask --app wsgi run -p 5077
    .venv/bin/python docs/screenshots/take.py docs/screenshots <new username>

It signs up, rates six onboarding films with the star widget and one more on a movie page, then
takes the pages at 1100 px and the feed at phone width (375 px). Chromium is Debian's."""
import sys

from playwright.sync_api import expect, sync_playwright

BASE = "http://127.0.0.1:5077"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "correct horse battery"


def main(out: str, username: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.set_default_timeout(60_000)
        page.goto(f"{BASE}/register")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Password again").fill(PASSWORD)
        page.get_by_role("button", name="Sign up").click()
        cards = page.locator("#onboarding li.card")
        for i, stars in enumerate(["5", "4.5", "4", "2", "5", "3.5"]):
            cards.nth(i).locator(f"label.star[title='{stars} of 5']").click()
        page.get_by_role("button", name="Save and see my feed").click()
        expect(page.locator("#feed-list > li")).to_have_count(20)
        page.screenshot(path=f"{out}/feed.png")
        page.set_viewport_size({"width": 375, "height": 812})
        page.screenshot(path=f"{out}/feed-phone.png")
        page.set_viewport_size({"width": 1100, "height": 900})
        page.goto(f"{BASE}/movies/50")  # Star Wars, rated on its page
        page.locator("section[aria-labelledby='mine-heading'] label.star[title='4.5 of 5']").click()
        expect(page.locator("#status")).to_contain_text("You rated")
        page.goto(f"{BASE}/movies/98")  # The Silence of the Lambs
        page.screenshot(path=f"{out}/movie.png")
        page.goto(f"{BASE}/browse?genre=Comedy&genre=Romance&decade=1990&min_rating=3.5&sort=predicted")
        page.screenshot(path=f"{out}/browse.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
