"""The title index behind autocomplete: matching rules, ranking, and speed on a catalogue of 1,682."""

from hypothesis import given
from hypothesis import strategies as st

from recommender.serving.title_search import TitleIndex, title_in_like
from recommender.text.titles import main_title, search_key

TITLES = ["Star Wars", "The Empire Strikes Back", "Return of the Jedi", "The Godfather",
          "The Godfather: Part II", "Amélie", "Starship Troopers", "Stargate", "Wars of the Roses",
          "Alien", "Aliens", "2001: A Space Odyssey", "Titanic", "Titanic", "Seven (Se7en)", "Seven Years in Tibet",
          "Twelve Monkeys", "Die Hard 2", "Malcolm X"]
YEARS = [1977, 1980, 1983, 1972, 1974, 2001, 1997, 1994, 1989, 1979, 1986, 1968, 1953, 1997, 1995, 1997,
         1995, 1990, 1992]


def index(popularity=None):
    popularity = popularity or {}
    return TitleIndex([(i, search_key(t), ["Drama"] if "God" in t else ["Sci-Fi"], popularity.get(i, 1), YEARS[i],
                        search_key(main_title(t))) for i, t in enumerate(TITLES)])


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


def test_a_number_is_found_in_any_of_its_forms():
    """A sequel's number as people type it, whatever the title has: digit, roman numeral, word."""
    idx = index()
    assert titles(idx.search("godfather 2")) == ["The Godfather: Part II"]
    assert titles(idx.search("godfather two")) == ["The Godfather: Part II"]
    assert titles(idx.search("12 monkeys")) == ["Twelve Monkeys"]
    assert titles(idx.search("die hard ii")) == ["Die Hard 2"]
    assert titles(idx.search("7"))[:2] == ["Seven (Se7en)", "Seven Years in Tibet"]
    assert titles(idx.search("malcolm 10")) == []  # X is a letter here, not ten
    assert idx.meant("godfather 2") == TITLES.index("The Godfather: Part II")


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


def test_initials_match_joined_or_apart():
    idx = TitleIndex([(i, search_key(t), ["Drama"], n, y, search_key(t)) for i, t, n, y in (
        (1, "L.A. Confidential", 300, 1997), (2, "E.T. the Extra-Terrestrial", 400, 1982), (3, "Los Angeles Story", 5, 1991))])
    assert idx.search("la confidential") == [1] and idx.search("l.a. confidential") == [1]
    assert idx.search("et the extra") == [2] and idx.search("E.T.") == [2]


def test_a_description_names_a_film_when_it_asks_for_films_like_it():
    assert title_in_like("movies like Alien") == "Alien"
    assert title_in_like("Something similar to The Godfather?") == "The Godfather"
    assert title_in_like("show me films like Toy Story") == "Toy Story"
    assert title_in_like("I want something like Heat") == "Heat"
    assert title_in_like("funny movies like toy story") == "toy story"
    for description in ("space opera with robots", "I like westerns",
                        "movies like war", "films like westerns", "something like sci-fi"):
        assert title_in_like(description) is None


def test_what_a_person_means_by_a_title_after_movies_like():
    """A typo or a word left out still means the film; a description or a word of two letters
    does not."""
    idx = index()
    assert titles([idx.meant("godfater")]) == ["The Godfather"]
    assert titles([idx.meant("empire strikes")]) == ["The Empire Strikes Back"]
    assert titles([idx.meant("star")]) == ["Star Wars"]
    assert idx.meant("cowboys") is None and idx.meant("aliens") is not None  # Aliens is a film
    assert idx.meant("st") is None and idx.meant("zzzz") is None


def test_the_films_a_free_text_search_names_by_title():
    """A whole title, or words only a few titles hold, name those films; words many titles
    hold, a kind of film, a year alone or a word of two letters name none."""
    idx = index()
    assert titles(idx.named_by("the godfather")) == ["The Godfather"]
    assert titles(idx.named_by("empire strikes")) == ["The Empire Strikes Back"]
    assert titles(idx.named_by("titanic")) == ["Titanic", "Titanic"]  # both films of that title
    for description in ("the", "1997", "st", "cowboys", "war films", "space opera with robots"):
        assert idx.named_by(description) == [], description


def test_a_title_the_catalogue_lacks_is_named_as_such_and_a_description_is_not():
    idx = index()
    assert idx.lacks("movies like The Matrix") == "The Matrix"
    assert idx.lacks("movies like star wars") is None  # here
    for description in ("movies like comedies", "something like an action film with cops",
                        "funny movies like the matrix"):  # a kind, or more said than a title
        assert idx.lacks(description) is None, description


def test_apostrophes_and_ampersands_as_people_type_them():
    idx = TitleIndex([(i, search_key(t), ["Drama"], n, 1990, search_key(t)) for i, t, n in (
        (1, "It's a Wonderful Life", 200), (2, "Schindler's List", 300), (3, "Batman & Robin", 60),
        (4, "E.T. the Extra-Terrestrial", 300), (5, "Etz Hadomim Tafus", 1))])
    assert idx.search("its a wonderful life") == [1] and idx.search("schindlers list") == [2]
    assert idx.search("batman and robin") == [3]
    assert idx.search("et")[0] == 4  # E.T. as typed, before a film one person rated


def test_a_title_names_one_film_with_or_without_its_article_or_year():
    idx = index()
    assert titles([idx.named("the godfather")]) == ["The Godfather"]
    assert titles([idx.named("Godfather")]) == ["The Godfather"]
    assert titles([idx.named("Empire Strikes Back")]) == ["The Empire Strikes Back"]
    assert YEARS[idx.named("titanic 1953")] == 1953
    assert idx.named("titanic") is not None
    assert idx.named("star") is None and idx.named("godfater") is None  # a prefix, a typo: no film named
    assert idx.named("alien 1990") is None
    assert titles([idx.named("seven")]) == ["Seven (Se7en)"]  # without its alternative title


def test_ranking_exact_then_prefix_then_popularity():
    idx = index({6: 100, 7: 50})  # Starship Troopers and Stargate are more popular than Star Wars
    assert titles(idx.search("star"))[:3] == ["Star Wars", "Starship Troopers", "Stargate"]
    assert titles(idx.search("star wars")) == ["Star Wars"]


def test_a_title_without_its_article_ranks_as_exact():
    """"godfather" is The Godfather before its Part II, however popular the sequel."""
    idx = index({4: 100})
    assert titles(idx.search("godfather"))[:2] == ["The Godfather", "The Godfather: Part II"]


def test_genre_and_limit():
    idx = index()
    assert titles(idx.search("the", genre="Drama")) == ["The Godfather", "The Godfather: Part II"]
    assert len(idx.search("the", limit=2)) == 2
    assert idx.search("") == [] and idx.search("!!!") == []


@given(st.text(max_size=60))
def test_any_text_is_safe(text):
    assert all(isinstance(i, int) for i in index().search(text))
