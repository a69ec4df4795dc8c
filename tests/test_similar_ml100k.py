""""Movies like X" on the real ML-100K with the real text model, as a person would judge it
(issue 17): a sequel finds its series, a film finds films of its kind (westerns under Dances
with Wolves, horror under Scream, children's films under Toy Story), reasons say which signal
put each film there, and catalogue artefacts never lead a list nor a search."""
import re

import pytest

from recommender.store import accounts

pytestmark = [pytest.mark.ml100k, pytest.mark.textmodel, pytest.mark.slow]

UNKNOWN, GOOD_MORNING = 267, 1373  # ML-100K's `unknown` entry; a film with genre "unknown"


def movie_id(ml100k_rec, title: str) -> int:
    (found,) = ml100k_rec.db.execute("SELECT id FROM movies WHERE title = ?", (title,)).fetchone()
    return found


def similar(ml100k_rec, title: str, k: int = 10):
    return ml100k_rec.similar(movie_id(ml100k_rec, title), k)


def titles(recs) -> list[str]:
    return [r.movie["title"] for r in recs]


@pytest.mark.parametrize("query, series", [
    ("Alien (1979)", {"Aliens (1986)", "Alien 3 (1992)", "Alien: Resurrection (1997)"}),
    ("Godfather, The (1972)", {"Godfather: Part II, The (1974)"}),
    ("Die Hard 2 (1990)", {"Die Hard (1988)", "Die Hard: With a Vengeance (1995)"}),
    ("Scream (1996)", {"Scream 2 (1997)"}),
    ("Three Colors: Red (1994)", {"Three Colors: Blue (1993)", "Three Colors: White (1994)"}),
])
def test_a_film_finds_its_series(ml100k_rec, query, series):
    recs = similar(ml100k_rec, query)
    assert titles(recs)[0] in series and series <= set(titles(recs)), titles(recs)
    query_title = ml100k_rec.db["movies"].get(movie_id(ml100k_rec, query))["display_title"]
    assert all(r.reason == f"Same series as {query_title}" for r in recs if r.movie["title"] in series)


def test_star_wars_finds_its_sequels_whose_titles_share_no_words(ml100k_rec):
    top = titles(similar(ml100k_rec, "Star Wars (1977)", 5))
    assert {"Empire Strikes Back, The (1980)", "Return of the Jedi (1983)"} <= set(top), top


def genres_of(recs) -> list[list[str]]:
    return [r.movie["genres"] for r in recs]


def count_kind(recs, genres: set[str]) -> int:
    return sum(bool(genres & set(g)) for g in genres_of(recs))


# Films of X's kind, as a film buff would sign them: (film, its kind, how many of the top 10 at
# least). The first are the issue's; the second group did not enter the tuning, but its lists
# were looked at when setting the 4 places of X's kind; the third was written before its lists
# were ever printed, 3 of the kind each.
KINDS = [
    ("Dances with Wolves (1990)", {"Western"}, 3),
    ("Scream (1996)", {"Horror"}, 4),
    ("Toy Story (1995)", {"Animation", "Children's"}, 4),
    ("Lion King, The (1994)", {"Animation", "Children's"}, 5),
    ("Alien (1979)", {"Sci-Fi"}, 5),
    ("Heat (1995)", {"Crime"}, 3),
    ("GoodFellas (1990)", {"Crime"}, 4),
    # not tuned on
    ("Unforgiven (1992)", {"Western"}, 3),
    ("Shining, The (1980)", {"Horror"}, 4),
    ("Maltese Falcon, The (1941)", {"Film-Noir"}, 3),
    ("Full Metal Jacket (1987)", {"War"}, 3),
    ("Singin' in the Rain (1952)", {"Musical"}, 3),
    ("Aladdin (1992)", {"Animation", "Children's"}, 4),
    # never looked at
    ("Butch Cassidy and the Sundance Kid (1969)", {"Western"}, 3),
    ("Psycho (1960)", {"Horror"}, 3),
    ("Cinderella (1950)", {"Animation", "Children's"}, 3),
    ("Big Sleep, The (1946)", {"Film-Noir"}, 3),
    ("Platoon (1986)", {"War"}, 3),
    ("Star Trek: The Wrath of Khan (1982)", {"Sci-Fi"}, 3),
    ("Pulp Fiction (1994)", {"Crime"}, 3),
]


@pytest.mark.parametrize("query, kind, at_least", KINDS, ids=[k[0] for k in KINDS])
def test_a_film_lists_films_of_its_kind(ml100k_rec, query, kind, at_least):
    recs = similar(ml100k_rec, query)
    assert count_kind(recs, kind) >= at_least, list(zip(titles(recs), genres_of(recs)))


def test_scream_finds_other_horror_among_the_seasons_hits(ml100k_rec):
    """Scream's raters rated 1997's hits too (Liar Liar, The Rock, Air Force One): horror still
    takes 4 of the 10 places, 3 of them in the first 8."""
    recs = similar(ml100k_rec, "Scream (1996)")
    assert count_kind(recs[:8], {"Horror"}) >= 3 and count_kind(recs, {"Horror"}) >= 4, titles(recs)


@pytest.mark.xfail(strict=True, reason="Liar Liar, which most of Scream's raters also rated, stays second "
                   "(I Know What You Did Last Summer is third since the taste similarity)")
def test_scream_finds_slashers_before_the_seasons_comedy(ml100k_rec):
    recs = similar(ml100k_rec, "Scream (1996)")
    assert {"Craft, The (1996)", "I Know What You Did Last Summer (1997)"} & set(titles(recs)), titles(recs)
    assert "Liar Liar (1997)" not in titles(recs)[:5]


def cites_the_ratings(ml100k_rec, query: int, movie: int, fans: int, mean: float) -> bool:
    """Whether (how many who gave `query` 4 stars or more rated `movie`, their mean stars) are
    the store's: as stored at the build (the release's users), or as counted now (other tests'
    accounts too), where the stored figures were no reason (explain.convincing)."""
    counted = [ml100k_rec.db.execute(
        "SELECT count(*), avg(b.rating) FROM ratings a JOIN ratings b ON a.user_id = b.user_id "
        "WHERE a.movie_id = ? AND a.rating >= 4 AND b.movie_id = ? AND a.user_id < ?",
        (query, movie, below)).fetchone() for below in (accounts.ACCOUNT_ID_FLOOR, 2**62)]
    return any(fans == n and abs(mean - (m or 0.0)) <= 0.051 for n, m in counted)


def test_a_film_of_xs_kind_says_so_with_evidence(ml100k_rec):
    """'Also a western (drama), like Dances with Wolves': only under films that are westerns, and the
    fans' stars it cites are the ratings'."""
    recs = similar(ml100k_rec, "Dances with Wolves (1990)")
    kind = [r for r in recs if re.match(r"Also an? [\w' -]*western[\w' -]*, like Dances with Wolves", r.reason)]
    assert kind, [r.reason for r in recs]
    assert all("Western" in r.movie["genres"] for r in kind)
    wolves = movie_id(ml100k_rec, "Dances with Wolves (1990)")
    for r in kind:
        cited = re.fullmatch(r"Also an? [\w' -]*western[\w' -]*, like Dances with Wolves: (\d\.\d)★ from (\d+) who loved "
                             r"Dances with Wolves", r.reason)
        if cited is None:
            continue
        assert cites_the_ratings(ml100k_rec, wolves, r.movie_id, int(cited.group(2)), float(cited.group(1)))


def test_heat_finds_crime_films(ml100k_rec):
    recs = similar(ml100k_rec, "Heat (1995)")
    assert sum("Crime" in g or "Thriller" in g for g in genres_of(recs)) >= 6, titles(recs)


def test_reasons_say_which_signal_and_cite_checkable_numbers(ml100k_rec):
    recs = similar(ml100k_rec, "Heat (1995)")
    reasons = [r.reason for r in recs]
    assert len(set(reasons)) == len(reasons)  # not the same sentence on every row
    cited = [r for r in recs if r.reason.startswith("People who loved Heat gave it ")]
    assert cited, reasons
    heat = movie_id(ml100k_rec, "Heat (1995)")
    for r in cited:  # the numbers are the ratings': people who gave Heat 4 or more stars
        mean, n = re.fullmatch(r"People who loved Heat gave it (\d\.\d)★ on average \((\d+) of them\)", r.reason).groups()
        assert cites_the_ratings(ml100k_rec, heat, r.movie_id, int(n), float(mean)), r.reason


@pytest.mark.parametrize("query, genre", [(GOOD_MORNING, None), (457, None), (50, "Western"), (834, None)])
def test_no_reason_claims_more_than_the_ratings_show(ml100k_rec, query, genre):
    """Good Morning (one rating, 1 star), Free Willy 3 (few fans), Star Wars narrowed to westerns
    (past the stored list), Halloween 6: no "liked together" that nobody liked, no fans' mean of
    1 person or under 3.5 stars, and every count is the store's."""
    recs = ml100k_rec.similar(query, 10, genre)
    assert recs
    db = ml100k_rec.db
    (raters,) = db.execute("SELECT count(*) FROM ratings WHERE movie_id = ?", (query,)).fetchone()
    for r in recs:
        assert "liked together" not in r.reason, r.reason
        fans = re.search(r"gave it (\d\.\d)★ on average \((\d+) of them\)|(\d\.\d)★ from (\d+) who loved", r.reason)
        if fans:
            mean, n = (fans.group(1), fans.group(2)) if fans.group(1) else (fans.group(3), fans.group(4))
            assert int(n) >= 3 and float(mean) >= 3.5, r.reason
        both = re.fullmatch(r"(\d+) of the (\d+) people who rated .+ rated it too|The one person who rated .+ rated it too",
                            r.reason)
        if both:
            (expected,) = db.execute("SELECT count(*) FROM ratings a JOIN ratings b ON a.user_id = b.user_id "
                                     "WHERE a.movie_id = ? AND b.movie_id = ?", (query, r.movie_id)).fetchone()
            assert (int(both.group(1)), int(both.group(2))) == (expected, raters) if both.group(1) else \
                raters == expected == 1, r.reason
    if genre:
        assert sum(r.reason.startswith("People who loved Star Wars") for r in recs) >= 5, [r.reason for r in recs]


def test_text_reasons_name_what_the_films_share(ml100k_rec):
    """A film few people rated leans on its text: its reasons name the decade or the genres both
    films share ("Also a 1990s drama")."""
    from recommender.serving import explain

    rare = [m for (m,) in ml100k_rec.db.execute("SELECT id FROM movies WHERE num_ratings BETWEEN 1 AND 3 ORDER BY id LIMIT 40")]
    seen = 0
    for m in rare:
        query = ml100k_rec.db["movies"].get(m)
        for r in ml100k_rec.similar(m, 10):
            if r.reason.startswith("Also "):
                seen += 1
                shared = explain.shared_genres(query["genres"].split("|"), r.movie["genres"])
                words = [explain.GENRE_PHRASE.get(g, g.lower()) for g in shared]
                decade = f"{int(query['year']) // 10 * 10}s" if query["year"] else None
                assert any(w in r.reason for w in words) or (decade and decade in r.reason), (r.reason, r.movie)
    assert seen >= 10


def test_artefacts_never_lead_a_list_nor_a_search(ml100k_rec):
    ids = [m for (m,) in ml100k_rec.db.execute("SELECT id FROM movies WHERE id < 100000 ORDER BY id")]
    for m in ids:
        first = ml100k_rec.similar(m, 1)
        assert not first or first[0].movie_id not in (UNKNOWN, GOOD_MORNING)
    for phrase in ("heist gone wrong", "unknown", "a film", "good morning"):
        found = ml100k_rec.search(phrase, 5)
        assert found[0].movie_id not in (UNKNOWN, GOOD_MORNING), (phrase, titles(found))
        assert found[0].movie["num_ratings"] > 1
