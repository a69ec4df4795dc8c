"""The persona counts' tables (bench.personas.tables): what the README shows of them."""
from bench.personas import tables


def test_the_fans_table_names_the_genres_under_half():
    result = {"fans": [{"genre": "Romance", "best_known": 0.45, "own_films": 0.9},
                       {"genre": "Western", "best_known": 0.85, "own_films": 1.0}]}
    text = tables(result)
    assert "| Romance | 0.45 | 0.90 |" in text
    assert "Under half: Romance." in text


def test_five_more_counts_the_pairs_raised_by_a_quarter():
    rows = [{"first": "Comedy", "genre": "Western", "before": 0.0, "after": 0.75},
            {"first": "Comedy", "genre": "Drama", "before": 0.1, "after": 0.2},
            {"first": "Drama", "genre": "Horror", "before": 0.0, "after": 0.5}]
    assert "in 2 of 3 pairs (median rise 0.50)" in tables({"five_more": rows})


def test_the_stars_table_gives_medians():
    stars = {"next_westerns": [3.0, 4.0, 3.5], "next_horror": [1.5, 2.0, 2.5], "star_wars": 2.9}
    text = tables({"stars": stars})
    assert "| the next five westerns | 3.50 |" in text and "| Star Wars | 2.90 |" in text
