"""`flask eval` end to end on the fixture release (hashing embedder, no text model)."""
import json

import pandas as pd

from .conftest import ML100K_MINI


def test_eval_prints_every_model_and_dumps_hybrid(runner, tmp_path):
    dump = tmp_path / "recs.json"
    result = runner.invoke(args=["eval", "--dump", str(dump)])
    assert result.exit_code == 0, result.output
    for model in ("popularity", "content", "collaborative", "hybrid"):
        assert model in result.output
    assert "ndcg@10" in result.output
    recs = json.loads(dump.read_text())
    assert len(recs) == 30 and all(len(v) == 10 and len(set(v)) == 10 for v in recs.values())


def test_eval_with_given_csvs_never_recommends_train_movies(runner, tmp_path):
    ratings = pd.read_csv(ML100K_MINI / "u.data", sep="\t", names=["user_id", "movie_id", "rating", "timestamp"])
    train, test = ratings.iloc[::2], ratings.iloc[1::2]
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    result = runner.invoke(args=["eval", "--train", str(tmp_path / "train.csv"), "--test",
                                 str(tmp_path / "test.csv"), "--k", "5", "--dump", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    assert "given train/test" in result.output and "ndcg@5" in result.output
    errors = next(line for line in result.output.splitlines() if "standard error over users" in line)
    assert "ndcg@5" in errors and "ndcg_liked" in errors and "disliked@5" in errors
    recs = json.loads((tmp_path / "r.json").read_text())
    seen = train.groupby("user_id")["movie_id"].apply(set)
    assert all(not set(v) & seen.get(int(u), set()) for u, v in recs.items())


def test_eval_rejects_half_a_split_and_bad_csv(runner, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    assert runner.invoke(args=["eval", "--train", str(bad)]).exit_code == 2
    result = runner.invoke(args=["eval", "--train", str(bad), "--test", str(bad)])
    assert result.exit_code == 1 and "missing columns" in result.output


def test_eval_seed_cuts_another_split_of_the_same_kind(runner, tmp_path):
    """--seed: another warm split of the fixture (each user keeps 75% in train), other lists."""
    lists = {}
    for seed in (None, 7):
        dump = tmp_path / f"recs-{seed}.json"
        result = runner.invoke(args=["eval", "--dump", str(dump), *(["--seed", str(seed)] if seed else [])])
        assert result.exit_code == 0, result.output
        assert "warm protocol" in result.output
        lists[seed] = json.loads(dump.read_text())
    assert lists[None].keys() == lists[7].keys() and lists[None] != lists[7]
    for args in (["--seed", "7", "--ratings"], ["--seed", "7", "--similar"], ["--seed", "x"]):
        assert runner.invoke(args=["eval", *args]).exit_code == 2
