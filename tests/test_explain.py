"""Feed reasons that stay true: a pick no liked film raised names the liked film of its kind,
and nothing is called popular or well rated that is not."""
from recommender.serving import explain

DANCES = {"display_title": "Dances with Wolves", "genres": ["Adventure", "Drama", "Western"]}
HEAT = {"display_title": "Heat", "genres": ["Action", "Crime", "Thriller"]}


def test_a_pick_of_a_liked_films_kind_names_the_rarest_genres_they_share():
    pick = {"genres": ["Drama", "Western"], "num_ratings": 3, "avg_rating": 1.0}
    assert explain.like_a_liked_film(pick["genres"], [HEAT, DANCES]) == "Also a western drama, like Dances with Wolves"
    assert explain.like_a_liked_film(["Western"], [HEAT, DANCES]) == "Also a western, like Dances with Wolves"


def test_popular_and_well_rated_only_when_it_is():
    liked = [HEAT]
    assert explain.like_a_liked_film(["Musical"], liked) is None
    assert explain.popular_or_yours({"genres": ["Musical"], "num_ratings": 400, "avg_rating": 4.1}) \
        == explain.WELL_LIKED
    assert explain.popular_or_yours({"genres": ["Musical"], "num_ratings": 5, "avg_rating": 4.6}) \
        == explain.FOR_YOUR_RATINGS
    assert explain.popular_or_yours({"genres": ["Musical"], "num_ratings": 5, "avg_rating": 4.6}, likes_any=False) \
        == explain.AWAY_FROM_DISLIKES  # all their ratings were dislikes: nothing says what they like


def test_a_film_few_rated_is_not_called_popular_in_a_sorted_list():
    assert explain.sorted_by("popular", {"num_ratings": 2}) == "Rated by 2 people"
    assert explain.sorted_by("popular", {"num_ratings": 583}) == "Popular: rated by 583 people"
    assert explain.popular(1) == "Popular: rated by 1 person"


def test_a_lists_predicted_stars_read_as_the_card_shows_them():
    """The card rounds the prediction to 0.01 and then shows one decimal: 4.749 is "4.8" there."""
    assert explain.sorted_by("predicted", {}, 4.749) == "You'd rate it about 4.8★"
    assert f"{round(4.749, 2):.1f}" == "4.8"


def test_people_like_you_are_counted_as_such():
    """The count is of the nearest users, so the reason says so: "23 people who also loved Toy
    Story" would claim the whole catalogue's."""
    assert explain.loved_along_with("Toy Story", 23) == \
        "Loved by 23 people whose favourites match yours; they loved Toy Story too"
    assert explain.loved_along_with("Toy Story", 3).startswith("Loved by 3 people whose")


def test_a_handful_of_people_like_you_go_uncounted():
    """One or two people are no evidence to cite: the reason says what raised the pick, no count."""
    assert explain.loved_along_with("Toy Story", 1) == explain.loved_along_with("Toy Story", 2) == \
        explain.PEOPLE_LIKE_YOU


def test_a_reason_names_a_liked_film_of_the_picks_kind_that_raised_it_nearly_as_much():
    import numpy as np

    from recommender.models.hybrid_base import KIN_SHARE, strongest

    c = np.array([[1.0, KIN_SHARE + 0.1, 0.2], [1.0, KIN_SHARE - 0.1, 0.2], [0.0, 0.0, 0.0]])
    kin = np.array([[False, True, False]] * 3)
    assert strongest(c, np.array([10, 11, 12]), kin).tolist() == [11, 10, -1]
    assert strongest(c, np.array([10, 11, 12])).tolist() == [10, 10, -1]


def test_among_the_liked_films_of_the_picks_kind_the_nearest_kind_is_named():
    """Two liked films of the pick's kind raised it more than half as much as the top one: the
    one whose genres are nearer the pick's is named (a horror film under a horror film, not the
    horror romance that raised it a little more); none near enough, the top one."""
    import numpy as np

    from recommender.models.hybrid_base import strongest

    c = np.array([[1.0, 0.8, 0.7], [1.0, 0.3, 0.2]])
    kin = np.array([[0.0, 0.33, 1.0]] * 2)
    assert strongest(c, np.array([10, 11, 12]), kin).tolist() == [12, 10]
    assert strongest(c, np.array([10, 11, 12]), kin > 0).tolist() == [11, 10]


def test_a_reason_cites_a_film_without_its_alternative_title():
    """"People who loved Nosferatu …", not "… Nosferatu (Nosferatu, eine Symphonie des Grauens) …"."""
    long = "Nosferatu (Nosferatu, eine Symphonie des Grauens)"
    assert explain.similar_reason(explain.SOURCE_CORATING, long, evidence=(12, 4.1)) \
        == "People who loved Nosferatu gave it 4.1★ on average (12 of them)"
    assert explain.because_you_rated(long, 5.0) == "Because you rated Nosferatu 5★"
    assert explain.loved_along_with(long, 7).endswith("they loved Nosferatu too")
    assert explain.kind_phrase(long, ["Horror"], ["Horror"]) == "Also a horror film, like Nosferatu"
