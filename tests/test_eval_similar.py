"""`flask eval --similar` end to end on the fixture release (hashing embedder, no text model)."""
import json

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


def _judgment_file(path, groups):
    path.write_text(json.dumps({"sets": {name: [{"name": f"g{i}", "movie_ids": ids} for i, ids in enumerate(gs)]
                                         for name, gs in groups.items()}}))
    return path


def test_eval_similar_scores_a_judgment_set_file(runner, tmp_path):
    sets = _judgment_file(tmp_path / "sets.json", {"series": [[3, 4, 5], [6, 7], [8, 9]], "makers": [[1, 10, 99999]]})
    other = _judgment_file(tmp_path / "other.json", {"series": [[6, 7]]})
    result = runner.invoke(args=["eval", "--similar", "--tune-judgments", str(sets), "--judgments", str(other)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    tuned = next(i for i, line in enumerate(lines) if line.startswith(f"judgments {sets} (read by the tuning)"))
    assert lines[tuned + 1].split() == ["series", "hit@10", "series", "recall@10", "makers", "hit@10", "makers",
                                        "recall@10"]
    for model in ("EASE weights (λ=500)", item_protocol.CHOSEN):
        row = next(line for line in lines[tuned:] if line.startswith(model))
        assert len(row[len(model):].split()) == 4 and all(0 <= float(v) <= 1 for v in row[len(model):].split())
    checked = next(i for i, line in enumerate(lines) if line.startswith(f"judgments {other} (not read by the tuning)"))
    assert lines[checked + 1].split() == ["series", "hit@10", "series", "recall@10"]
    assert "series hit@10" in result.stderr  # the tuning's report shows the sets' floors


def test_eval_similar_refuses_a_file_that_is_not_a_judgment_set(runner, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"groups": []}')
    result = runner.invoke(args=["eval", "--similar", "--judgments", str(bad)])
    assert result.exit_code == 2 and "not a judgment set file" in result.output
    bad_tuning = runner.invoke(args=["eval", "--similar", "--tune-judgments", str(bad)])
    assert bad_tuning.exit_code == 2 and "--tune-judgments" in bad_tuning.output
    alone = runner.invoke(args=["eval", "--judgments", str(bad)])
    assert alone.exit_code == 2 and "go with --similar" in alone.output
