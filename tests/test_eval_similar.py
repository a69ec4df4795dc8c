"""`flask eval --similar` end to end on the fixture release (hashing embedder, no text model)."""
from recommender.evaluation import item_protocol

ANCHORS = ("EASE weights (λ=500)", "item-kNN cosine", "text alone", "z(EASE) + 0.25 z(text)",
           "z(EASE) + 0.5 z(text)", "product before issue 17")


def test_eval_similar_prints_the_chosen_model_beside_every_anchor(runner):
    result = runner.invoke(args=["eval", "--similar"])
    assert result.exit_code == 0, result.output
    assert "item-to-item protocol" in result.output and "chosen params:" in result.output
    lines = result.stdout.splitlines()  # the tuning report goes to stderr
    header = next(line for line in lines if "wrecall@10" in line)
    assert header.split() == ["wrecall@10", "liked_share", "tail_hit@10", "genre_jaccard@10", "rarest_genre@10",
                              "hit@10", "ndcg@10", "coverage", "users"]
    for model in ANCHORS + (item_protocol.CHOSEN,):
        row = next((line for line in lines if line.startswith(model)), None)
        assert row is not None, f"{model} missing:\n{result.output}"
        values = row[len(model):].split()
        assert len(values) == 9 and all(0.0 <= float(v) <= 1.0 for v in values[:7])


def test_eval_similar_honours_k(runner):
    result = runner.invoke(args=["eval", "--similar", "--k", "5"])
    assert result.exit_code == 0, result.output
    assert "wrecall@5" in result.output and "k=5" in result.output
