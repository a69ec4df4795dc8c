"""MovieLens title conventions."""
import pytest

from recommender.text.titles import display_title, search_key, split_year, year_from_release_date


@pytest.mark.parametrize("title, shown, year", [
    ("Godfather, The (1972)", "The Godfather", 1972),
    ("Toy Story (1995)", "Toy Story", 1995),
    ("Cité des enfants perdus, La (1995)", "La Cité des enfants perdus", 1995),
    ("Misérables, Les (1995)", "Les Misérables", 1995),
    ("City of Lost Children, The (Cité des enfants perdus, La) (1995)",
     "The City of Lost Children (Cité des enfants perdus, La)", 1995),
    ("Good, The Bad and The Ugly, The (1966)", "The Good, The Bad and The Ugly", 1966),
    ("Englishman Who Went Up a Hill, But Came Down a Mountain, The (1995)",
     "The Englishman Who Went Up a Hill, But Came Down a Mountain", 1995),
    ("Babylon 5 (1994-1998)", "Babylon 5", 1994),
    ("unknown", "unknown", None),
    ("Wings of the Dove, The (1997) ", "The Wings of the Dove", 1997),
])
def test_display_title_and_year(title, shown, year):
    assert display_title(title) == shown
    assert split_year(title)[1] == year


def test_release_date_year():
    assert year_from_release_date("01-Jan-1995") == 1995
    assert year_from_release_date("") is None
    assert year_from_release_date(None) is None


@pytest.mark.parametrize("text, key", [
    ("Amélie", "amelie"), ("The Godfather: Part II", "the godfather part ii"), ("STAR  WARS!", "star wars"),
])
def test_search_key_ignores_case_accents_punctuation(text, key):
    assert search_key(text) == key
