"""The persona counts' tables (bench.personas.tables): what the README shows of them."""
from bench.personas import tables


def test_the_fans_table_names_the_genres_under_half():
    result = {"fans": [{"genre": "Romance", "best_known": 0.45, "own_films": 0.9},
                       {"genre": "Western", "best_known": 0.85, "own_films": 1.0}]}
    text = tables(result)
    assert "| Romance | 0.45 | 0.90 |" in text
    assert "Under half: Romance." in text


def test_five_more_counts_the_pairs_raised_by_a_quarter():
    rows = [{"first": "Comedy", "genre": "Western", "before": 0.0, "after": 0.75, "first_kept": 0.25},
            {"first": "Comedy", "genre": "Drama", "before": 0.1, "after": 0.2, "first_kept": 0.6},
            {"first": "Drama", "genre": "Horror", "before": 0.0, "after": 0.5, "first_kept": 0.3}]
    text = tables({"five_more": rows})
    assert "in 2 of 3 pairs (median rise 0.50); the kind rated first keeps 0.25 of the top 20 or more" in text
    assert "- Comedy then Drama: 0.10 → 0.20" in text


def test_haters_count_the_pairs_with_none_of_the_hated_genre():
    rows = [{"liked": None, "hated": "Drama", "hated_films": 1, "liked_share": None},
            {"liked": None, "hated": "Horror", "hated_films": 0, "liked_share": None},
            {"liked": "Western", "hated": "Horror", "hated_films": 0, "liked_share": 0.9},
            {"liked": "Drama", "hated": "Romance", "hated_films": 2, "liked_share": 0.7}]
    text = tables({"haters": rows})
    assert "nothing else: none of the genre in the top 20 for 1 of 2 genres" in text
    assert "in 1 of 2 pairs; 2 such films in all" in text
    assert "| Drama | Romance | 2 |" in text and "| nothing | Drama | 1 |" in text


def test_the_stars_table_shows_the_prediction_beside_the_raters_like_them():
    rows = [{"persona": "westerns 5★", "films": "Star Wars", "predicted": 2.86, "raters_like_them": 4.889, "people": 9},
            {"persona": "westerns 5★", "films": "Heat", "predicted": 3.5, "raters_like_them": None, "people": 0}]
    text = tables({"stars": rows})
    assert "| westerns 5★ | Star Wars | 2.86 | 4.89 (9 people) |" in text
    assert "| westerns 5★ | Heat | 3.50 | none (0 people) |" in text


def test_five_more_counts_the_named_films_sharing_no_genre_with_the_pick():
    pair = {"first": "Comedy", "genre": "Western", "before": 0.0, "after": 0.75, "first_kept": 0.25}
    rows = [{**pair, "named": 3, "apart": 1, "mean_jaccard": 0.5}, {**pair, "named": 1, "apart": 0, "mean_jaccard": 0.5},
            {**pair, "named": 0, "apart": 0, "mean_jaccard": None}]
    assert ("Reasons naming a film the person loved, in these feeds: 4; the pick and that film share no "
            "genre in 25.0% of them (mean genre Jaccard 0.50)") in tables({"five_more": rows})
