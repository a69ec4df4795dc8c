"""The title index behind autocomplete: matching rules, ranking, and speed on a catalogue of 1,682."""

from hypothesis import given
from hypothesis import strategies as st

from recommender.serving.title_search import TitleIndex
from recommender.text.titles import search_key

TITLES = ["Star Wars", "The Empire Strikes Back", "Return of the Jedi", "The Godfather",
          "The Godfather: Part II", "Amélie", "Starship Troopers", "Stargate", "Wars of the Roses"]


def index(popularity=None):
    popularity = popularity or {}
    return TitleIndex([(i, search_key(t), ["Drama"] if "God" in t else ["Sci-Fi"], popularity.get(i, 1))
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
