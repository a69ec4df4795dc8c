"""A misspelt genre word in a description is put right before the search embeds it; a real word
is not."""
import pytest

from recommender.text import spelling


@pytest.mark.parametrize("typed, meant", [
    ("horor movies", "horror movies"),
    ("funny comdy", "funny comedy"),
    ("westren with cowbys", "western with cowboys"),
    ("mistery thriler", "mystery thriller"),
    ("documentry about sharks", "documentary about sharks"),
])
def test_a_misspelt_genre_word_is_put_right(typed, meant):
    assert spelling.corrected(typed) == meant


@pytest.mark.parametrize("typed", ["prime suspect", "horse racing", "war films", "crimes of passion",
                                   "space opera with robots", "cars", "scifi"])
def test_real_words_and_short_ones_stay(typed):
    assert spelling.corrected(typed) == typed


def test_one_edit():
    assert spelling.one_edit("horor", "horror") and spelling.one_edit("comdy", "comedy")
    assert spelling.one_edit("thirller", "thriller")  # two neighbours swapped
    assert not spelling.one_edit("horse", "horror") and not spelling.one_edit("crime", "crime")
