"""What a person sees, as figures anyone can rerun: the personas of tests/test_personas_ml100k.py
(which assert floors) counted instead, on a copy of the benchmark instance (ML-100K, built once
by bench.common), through the API as a new account would.

- one-genre fans: five 5-star ratings of a genre's five most-rated films ("best-known"), or of
  its five most-rated films of at most two genres ("own films"): the share of the top 20 in it;
- five more: five 5-star films of a common kind (comedies, dramas, action films) or a rarer
  one (children's films, horror, film noir, westerns, sci-fi), then five of another genre's own
  films: that genre's share of the top 20 before and after, what the first kind keeps, and how
  alike each pick and the loved film its reason names are;
- haters: eight 1-star films of a genre's own films, alone or after five 5-star films of
  another genre (without the hated one): how many of the top 20 have the hated genre and not
  the liked one (issue 16: none);
- hiders: a one-genre fan says "not interested" to the first film of the genre in the feed: the
  genre's share of the top 20 before and after;
- predicted stars: five westerns 5 stars and six horror films 1 star, and a family viewer who
  gave five crime films and thrillers 1 star or less: the card's stars of films of each kind
  and of Star Wars, beside the mean stars the release's raters who liked and disliked as they
  did gave those films (few people: a direction, not a figure to fit).

    .venv/bin/python -m bench.personas            # writes bench/results/personas.md and .json
    .venv/bin/python -m bench.personas --only fans

A copy, because the personas sign up: the benchmark instance keeps no scratch accounts.
"""
from __future__ import annotations

import argparse
import itertools
import shutil
import statistics
import tempfile
from pathlib import Path

from .common import BENCH_INSTANCE, RESULTS, ensure_ml100k, write_result

FEED = 20
PASSWORD = "correct horse battery staple"
GENRES = ["Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
          "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western"]
FIRST_KINDS = ["Comedy", "Drama", "Action", "Children's", "Horror", "Film-Noir", "Western", "Sci-Fi"]
STAR_WARS = 50


class Site:
    """The app on an instance folder, its catalogue, and new accounts driving its API."""

    def __init__(self, instance: Path):
        from recommender import store
        from recommender.store import accounts, ratings_stream
        from webapp import create_app

        self.app = create_app({"SIGNUP_LIMIT_PER_ADDRESS": (10_000, 3600)}, instance_path=str(instance))
        db = store.connect(self.app.config["DATABASE"])
        try:
            self.genres = {i: set(g.split("|")) for i, g in db.execute("SELECT id, genres FROM movies")}
            self.popular = {g: store.popular_movies(db, g, 400) for g in GENRES}
            ratings = ratings_stream.ratings_frame(db)
        finally:
            db.close()
        release = ratings[ratings["user_id"] < accounts.ACCOUNT_ID_FLOOR]  # the release's raters, not the site's
        self.release = {int(u): dict(zip(g["movie_id"].tolist(), g["rating"].tolist()))
                        for u, g in release.groupby("user_id")}
        self._names = itertools.count()

    def best_known(self, genre: str, n: int, skip: int = 0, at_most_genres: int = 0) -> list[int]:
        picked = [m for m, _, g in self.popular[genre] if not at_most_genres or len(g.split("|")) <= at_most_genres]
        return picked[skip:skip + n]

    def person(self) -> Person:
        return Person(self.app.test_client(), f"bench_persona{next(self._names)}")

    def share(self, feed: list[int], genre: str) -> float:
        return sum(genre in self.genres[m] for m in feed) / len(feed)


class Person:
    def __init__(self, client, name: str):
        self.client = client
        assert client.post("/api/users", json={"username": name, "password": PASSWORD}).status_code == 201
        token = client.post("/api/token", json={"username": name, "password": PASSWORD}).get_json()["token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def rate(self, movies: list[int], stars: float) -> None:
        for movie in movies:
            response = self.client.put(f"/api/ratings/{movie}", json={"rating": stars}, headers=self.headers)
            assert response.status_code in (200, 201), response.get_json()

    def hide(self, movie: int) -> None:
        response = self.client.put(f"/api/hidden/{movie}", headers=self.headers)
        assert response.status_code in (200, 201), response.get_json()

    def feed(self) -> list[int]:
        return [r["movie"]["id"] for r in self.picks()]

    def picks(self) -> list[dict]:
        """The feed's results as the API gives them: each movie and its reason."""
        response = self.client.get(f"/api/feed?k={FEED}", headers=self.headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["results"]

    def display_title(self, movie: int) -> str:
        return self.client.get(f"/api/movies/{movie}", headers=self.headers).get_json()["display_title"]

    def stars(self, movie: int) -> float:
        return self.client.get(f"/api/movies/{movie}", headers=self.headers).get_json()["predicted_rating"]


def fans(site: Site) -> list[dict]:
    rows = []
    for genre in GENRES:
        row = {"genre": genre}
        for column, at_most in (("best_known", 0), ("own_films", 2)):
            person = site.person()
            person.rate(site.best_known(genre, 5, at_most_genres=at_most), 5.0)
            row[column] = site.share(person.feed(), genre)
        rows.append(row)
    return rows


def five_more(site: Site) -> list[dict]:
    """Five 5-star films of a first kind, then five of another genre's own films: that genre's
    share of the top 20 before and after, what the first kind keeps, and of the reasons that
    name a film the person loved ("Because you rated Alien 5★", "...; they loved Alien too"),
    how many, how many share no genre with their pick and their mean genre Jaccard."""
    rows = []
    for first, genre in ((f, g) for f in FIRST_KINDS for g in GENRES if g != f):
        person = site.person()
        loved = site.best_known(first, 5) + site.best_known(genre, 5, at_most_genres=2)
        person.rate(loved[:5], 5.0)
        before = site.share(person.feed(), genre)
        person.rate(loved[5:], 5.0)
        picks = person.picks()
        feed = [r["movie"]["id"] for r in picks]
        alike = reasons_alike(site, person, loved, picks)
        rows.append({"first": first, "genre": genre, "before": before, "after": site.share(feed, genre),
                     "first_kept": site.share(feed, first), "named": len(alike),
                     "apart": sum(j == 0 for j in alike), "mean_jaccard": statistics.mean(alike) if alike else None})
    return rows


def reasons_alike(site: Site, person: Person, loved: list[int], picks: list[dict]) -> list[float]:
    """For each pick whose reason names one of the `loved` films, the genre Jaccard of the two."""
    titles = {person.display_title(m): m for m in loved}
    alike = []
    for pick in picks:
        said = pick["reason"]
        named = [m for t, m in titles.items() if f"rated {t} " in said or f"loved {t} too" in said]
        if named:
            a, b = site.genres[pick["movie"]["id"]], site.genres[named[0]]
            alike.append(len(a & b) / len(a | b))
    return alike


def haters(site: Site) -> list[dict]:
    """Eight films of a genre at 1 star, alone (liked: None) or after five loved films of
    another genre: how many of the top 20 have the hated genre (and not the liked one)."""
    rows = []
    for liked, hated in [(None, b) for b in GENRES] + [(a, b) for a in GENRES for b in GENRES if a != b]:
        loved = [m for m in site.best_known(liked, 40, at_most_genres=2) if hated not in site.genres[m]][:5] if liked else []
        disliked = [m for m in site.best_known(hated, 40, at_most_genres=2) if liked not in site.genres[m]][:8]
        if (liked and len(loved) < 5) or len(disliked) < 8:
            continue
        person = site.person()
        person.rate(loved, 5.0)
        person.rate(disliked, 1.0)
        feed = person.feed()
        rows.append({"liked": liked, "hated": hated,
                     "hated_films": sum(hated in site.genres[m] and liked not in site.genres[m] for m in feed),
                     "liked_share": site.share(feed, liked) if liked else None})
    return rows


def hiders(site: Site) -> list[dict]:
    """A one-genre fan (the genre's five best-known films at 5 stars) says "not interested" to
    the first film of that genre in their feed: the genre's share of the top 20 before and after
    (a hidden film is a dislike of that film, not of the genre)."""
    rows = []
    for genre in GENRES:
        person = site.person()
        person.rate(site.best_known(genre, 5), 5.0)
        before = person.feed()
        hidden = next((m for m in before if genre in site.genres[m]), None)
        if hidden is None:
            continue
        person.hide(hidden)
        after = person.feed()
        rows.append({"genre": genre, "before": site.share(before, genre), "after": site.share(after, genre),
                     "gone": hidden not in after})
    return rows


def raters_like_them(site: Site, liked: list[int], disliked: list[int], films: list[int]) -> tuple[float | None, int]:
    """(the mean stars of `films`, how many people): over the release's raters who gave two or
    more of `liked` 4 stars or more and two or more of `disliked` 2 stars or less, what the
    predicted stars should come near."""
    alike = [r for r in site.release.values()
             if sum(r.get(m, 0) >= 4 for m in liked) >= 2 and sum(0 < r.get(m, 9) <= 2 for m in disliked) >= 2]
    given = [r[m] for r in alike for m in films if m in r]
    return (statistics.mean(given) if given else None), len(alike)


def stars_by_kind(site: Site) -> list[dict]:
    """Two newcomers who rated one kind 5 stars and another 1 star: the median predicted stars
    of the films they did not rate, beside what the raters like them gave those films."""
    westerns, horror = site.best_known("Western", 10), site.best_known("Horror", 11)
    family_liked, family_disliked = [1, 71, 423], [100, 127, 288, 56, 98]  # Toy Story, The Lion King, E.T.; Fargo...
    family = [m for m in site.best_known("Children's", 13) if m not in family_liked][:10]
    personas = [("five westerns 5★, six horror films 1★", [(westerns[:5], 5.0), (horror[:6], 1.0)],
                 westerns[:5], horror[:6], {"the next five westerns": westerns[5:], "the next five horror films": horror[6:],
                                            "Star Wars": [STAR_WARS]}),
                ("Toy Story, The Lion King 5★, E.T. 4.5★, five crime films and thrillers 1★ or less",
                 [(family_liked[:2], 5.0), (family_liked[2:], 4.5), (family_disliked[:3], 1.0), (family_disliked[3:], 0.5)],
                 family_liked, family_disliked, {"the next ten children's films": family, "Star Wars": [STAR_WARS]})]
    rows = []
    for name, ratings, liked, disliked, probes in personas:
        person = site.person()
        for movies, stars in ratings:
            person.rate(movies, stars)
        for probe, films in probes.items():
            reference, people = raters_like_them(site, liked, disliked, films)
            rows.append({"persona": name, "films": probe, "predicted": statistics.median(person.stars(m) for m in films),
                         "raters_like_them": reference, "people": people})
    return rows


def tables(result: dict) -> str:
    lines = []
    if "fans" in result:
        lines += ["| genre | best-known five | own films |", "| --- | ---: | ---: |"]
        lines += [f"| {r['genre']} | {r['best_known']:.2f} | {r['own_films']:.2f} |" for r in result["fans"]]
        under = [r["genre"] for r in result["fans"] if r["best_known"] < 0.5 or r["own_films"] < 0.5]
        lines += ["", f"Under half: {', '.join(under) or 'none'}.", ""]
    if "five_more" in result:
        rows = result["five_more"]
        raised = sum(r["after"] >= r["before"] + 0.25 for r in rows)
        lines += [f"Five more of a genre raise its share by a quarter or more in {raised} of {len(rows)} pairs "
                  f"(median rise {statistics.median(r['after'] - r['before'] for r in rows):.2f}); the kind rated "
                  f"first keeps {min(r['first_kept'] for r in rows):.2f} of the top 20 or more "
                  f"(median {statistics.median(r['first_kept'] for r in rows):.2f}).", ""]
        lines += [f"- {r['first']} then {r['genre']}: {r['before']:.2f} → {r['after']:.2f}"
                  for r in rows if r["after"] < r["before"] + 0.25]
        lines += [""] if lines[-1] != "" else []
        named = [r for r in rows if r.get("named")]
        if named:
            count = sum(r["named"] for r in named)
            apart = sum(r["apart"] for r in named) / count
            mean = sum(r["mean_jaccard"] * r["named"] for r in named) / count
            lines += [f"Reasons naming a film the person loved, in these feeds: {count}; the pick and that film "
                      f"share no genre in {apart:.1%} of them (mean genre Jaccard {mean:.2f}).", ""]
    if "haters" in result:
        alone = [r for r in result["haters"] if not r["liked"]]
        rows = [r for r in result["haters"] if r["liked"]]
        lines += [f"Eight films of a genre at 1 star and nothing else: none of the genre in the top 20 for "
                  f"{sum(r['hated_films'] == 0 for r in alone)} of {len(alone)} genres. A fan of one genre who gave "
                  f"eight films of another 1 star gets none of the other genre (films of both aside) in "
                  f"{sum(r['hated_films'] == 0 for r in rows)} of {len(rows)} pairs; "
                  f"{sum(r['hated_films'] for r in rows)} such films in all.", ""]
        worst = sorted((r for r in result["haters"] if r["hated_films"]), key=lambda r: -r["hated_films"])[:10]
        if worst:
            lines += ["| liked | hated | films of the hated genre in the top 20 |", "| --- | --- | ---: |"]
            lines += [f"| {r['liked'] or 'nothing'} | {r['hated']} | {r['hated_films']} |" for r in worst] + [""]
    if "hiders" in result:
        rows = result["hiders"]
        least = min(rows, key=lambda r: r["after"])
        lines += [f"A one-genre fan who says \"not interested\" to the first film of the genre in the feed: the "
                  f"genre keeps {statistics.median(r['after'] for r in rows):.2f} of the top 20 (median; before "
                  f"{statistics.median(r['before'] for r in rows):.2f}), at least {least['after']:.2f} "
                  f"({least['genre']}); the film is gone in {sum(r['gone'] for r in rows)} of {len(rows)}.", ""]
    if "stars" in result:
        lines += ["| newcomer | films | predicted stars (median) | the raters like them gave (mean) |",
                  "| --- | --- | ---: | ---: |"]
        lines += [f"| {r['persona']} | {r['films']} | {r['predicted']:.2f} | "
                  + (f"{r['raters_like_them']:.2f} ({r['people']} people) |" if r["raters_like_them"] is not None
                     else f"none ({r['people']} people) |") for r in result["stars"]]
        lines += [""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instance", type=Path, default=BENCH_INSTANCE,
                        help="an instance with ML-100K imported and indexed (copied, never written)")
    parser.add_argument("--only", choices=["fans", "five_more", "haters", "hiders", "stars"], action="append",
                        help="one part (repeatable); default all")
    args = parser.parse_args()
    parts = args.only or ["fans", "five_more", "haters", "hiders", "stars"]
    source = ensure_ml100k(args.instance) if args.instance == BENCH_INSTANCE else args.instance
    with tempfile.TemporaryDirectory(prefix="personas_") as scratch:
        copy = Path(scratch) / "instance"
        shutil.copytree(source, copy, symlinks=True, ignore=shutil.ignore_patterns("downloads"))
        site = Site(copy)
        result = {name: {"fans": fans, "five_more": five_more, "haters": haters, "hiders": hiders,
                         "stars": stars_by_kind}[name](site) for name in parts}
    markdown = tables(result)
    print(markdown)
    write_result("personas", result)
    (RESULTS / "personas.md").write_text(markdown + "\n")


if __name__ == "__main__":
    main()
