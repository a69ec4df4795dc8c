"""The title index behind autocomplete: matching rules, ranking, and speed on a catalogue of 1,682."""

from hypothesis import given
from hypothesis import strategies as st

from recommender.serving.title_search import TitleIndex
from recommender.text.titles import search_key

TITLES = ["Star Wars", "The Empire Strikes Back", "Return of the Jedi", "The Godfather",
          "The Godfather: Part II", "Amélie", "Starship Troopers", "Stargate", "Wars of the Roses",
          "Alien", "Aliens", "2001: A Space Odyssey", "Titanic", "Titanic"]
YEARS = [1977, 1980, 1983, 1972, 1974, 2001, 1997, 1994, 1989, 1979, 1986, 1968, 1953, 1997]


def index(popularity=None):
    popularity = popularity or {}
    return TitleIndex([(i, search_key(t), ["Drama"] if "God" in t else ["Sci-Fi"], popularity.get(i, 1), YEARS[i])
                       for i, t in enumerate(TITLES)])


def titles(found):
    return [TITLES[i] for i in found]


def test_case_accent_punctuation():
    idx = index()
    assert titles(idx.search("STAR-WARS!")) == ["Star Wars"]
    assert titles(idx.search("amelie")) == ["Amélie"]
    assert titles(idx.search("AMÉLIE")) == ["Amélie"]


def test_prefixes_and_typos():
    idx = index()
    assert titles(idx.search("star wa")) == ["Star Wars"]
    assert titles(idx.search("stra wars")) == ["Star Wars"]
    assert titles(idx.search("godfater"))[:2] == ["The Godfather", "The Godfather: Part II"]
    assert titles(idx.search("jedi return")) == ["Return of the Jedi"]


def test_a_year_typed_with_the_title_picks_the_film_of_that_year():
    idx = index()
    assert titles(idx.search("Alien (1979)")) == ["Alien"]
    assert titles(idx.search("aliens 1986")) == ["Aliens"]
    assert [YEARS[i] for i in idx.search("titanic 1997")] == [1997]
    assert [YEARS[i] for i in idx.search("1953 titanic")] == [1953]
    assert titles(idx.search("godfater 1972")) == ["The Godfather"]  # a typo, and the year
    assert titles(idx.search("2001")) == ["2001: A Space Odyssey"]  # a title word before a year
    assert titles(idx.search("2001 space")) == ["2001: A Space Odyssey"]
    assert idx.search("alien 1990") == []  # no Alien of that year: nothing, not every Alien


def test_ranking_exact_then_prefix_then_popularity():
    idx = index({6: 100, 7: 50})  # Starship Troopers and Stargate are more popular than Star Wars
    assert titles(idx.search("star"))[:3] == ["Star Wars", "Starship Troopers", "Stargate"]
    assert titles(idx.search("star wars")) == ["Star Wars"]


def test_genre_and_limit():
    idx = index()
    assert titles(idx.search("the", genre="Drama")) == ["The Godfather", "The Godfather: Part II"]
    assert len(idx.search("the", limit=2)) == 2
    assert idx.search("") == [] and idx.search("!!!") == []


@given(st.text(max_size=60))
def test_any_text_is_safe(text):
    assert all(isinstance(i, int) for i in index().search(text))
