"""Splits against expectations taken from shared/eval/score.py on the same small frame.

The expected rows were produced once with the reference script (its warm_split/cold_split
on this frame) and are hard-coded, since shared/ may be absent in a clean clone.
"""
import numpy as np
import pandas as pd

from recommender.evaluation import protocol as ev

# From score.py's warm_split / cold_split on small_frame().
WARM_TRAIN_ROWS = 86
WARM_TEST_ROWS = 29
WARM_TEST = [
    (1, 22), (1, 38), (2, 36), (2, 37), (3, 2), (3, 17), (4, 7), (4, 25), (5, 3), (5, 16), (5,
    28), (6, 1), (6, 9), (6, 15), (7, 6), (7, 12), (7, 36), (8, 18), (8, 22), (8, 27), (8, 36),
    (9, 3), (9, 5), (9, 14), (9, 15), (10, 14), (10, 19), (10, 33), (10, 38),
]
COLD_TRAIN_ROWS = 104
COLD_TEST = [
    (1, 25), (1, 34), (8, 3), (8, 11), (8, 14), (8, 18), (8, 21), (8, 22), (8, 27), (8, 35),
    (8, 36),
]


def small_frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for u in range(1, 11):
        movies = rng.choice(np.arange(1, 41), size=6 + u, replace=False)
        rows += [(u, int(m), float(rng.integers(1, 6)), 1000 + u * 100 + int(m)) for m in movies]
    df = pd.DataFrame(rows, columns=ev.COLUMNS)
    return df.sample(frac=1.0, random_state=3).reset_index(drop=True)  # order must not matter


def pairs(df):
    return sorted(zip(df.user_id.tolist(), df.movie_id.tolist()))


def test_warm_split_matches_reference():
    train, test = ev.warm_split(small_frame())
    assert len(train) == WARM_TRAIN_ROWS and len(test) == WARM_TEST_ROWS
    assert pairs(test) == WARM_TEST


def test_cold_split_matches_reference():
    train, test = ev.cold_split(small_frame())
    assert len(train) == COLD_TRAIN_ROWS
    assert pairs(test) == COLD_TEST


def test_splits_partition_the_ratings():
    df = small_frame()
    for split in (ev.warm_split, ev.cold_split):
        train, test = split(df)
        assert len(train) + len(test) == len(df)
        assert not set(pairs(train)) & set(pairs(test))


def test_validation_split_uses_train_only_and_another_seed():
    df = small_frame()
    train, _ = ev.warm_split(df)
    vtr, vte = ev.validation_split(train, "warm")
    assert set(pairs(vtr)) | set(pairs(vte)) == set(pairs(train))
    assert pairs(vte) != pairs(ev.warm_split(train)[1])
    ctr, cte = ev.validation_split(ev.cold_split(df)[0], "cold")
    assert cte.groupby("user_id").size().min() >= 1
    assert (ctr[ctr.user_id.isin(cte.user_id)].groupby("user_id").size() == 5).all()
