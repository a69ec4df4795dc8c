"""The ONNX search-query encoder: shipped only when it agrees with the original model, exported
once per model, and what the live app searches with."""
import json
from pathlib import Path

import numpy as np
import pytest

from recommender.serving.index import current_version
from recommender.text import query_encoder


@pytest.fixture
def fake_export(monkeypatch):
    """export() that writes placeholder files and reports a chosen agreement; counts its calls."""
    calls, agreement = [], [0.995]  # the test may lower agreement[0] before shipping

    def export(model, folder: Path) -> dict:
        calls.append(model)
        folder.mkdir(parents=True)
        for name in (query_encoder.MODEL_FILE, query_encoder.TOKENIZER_FILE):
            (folder / name).write_text("placeholder")
        return {"mean": agreement[0], "min": agreement[0], "phrases": 3}

    monkeypatch.setattr(query_encoder, "cache_key", lambda: "k")
    monkeypatch.setattr(query_encoder, "export", export)
    return calls, agreement


def test_exported_once_then_copied_from_the_cache(tmp_path, fake_export):
    calls, _ = fake_export
    for name in ("v1", "v2"):
        (tmp_path / name).mkdir()
        entry = query_encoder.ship(tmp_path / name, tmp_path / "cache", lambda: "model", report=lambda _: None)
        assert entry["model"] == query_encoder.MODEL_FILE and entry["agreement"]["min"] == 0.995
        assert (tmp_path / name / query_encoder.MODEL_FILE).is_file()
    assert len(calls) == 1


def test_not_shipped_when_it_disagrees_with_the_original(tmp_path, fake_export):
    _, agreement = fake_export
    agreement[0] = query_encoder.MIN_AGREEMENT - 0.05
    (tmp_path / "v1").mkdir()
    said = []
    assert query_encoder.ship(tmp_path / "v1", tmp_path / "cache", lambda: "model", report=said.append) is None
    assert not (tmp_path / "v1" / query_encoder.MODEL_FILE).exists()
    assert "not shipped" in said[-1]


def test_a_version_without_an_encoder_searches_with_its_own_embedder(indexed_app):
    holder = indexed_app.extensions["index_holder"]
    holder.refresh()
    assert "query_encoder" not in holder.current().manifest  # the hashing embedder ships none
    assert holder.embedder("hashing").embedder.name == "hashing"


def _live(app):
    holder = app.extensions["index_holder"]
    holder.refresh()
    return holder, holder.current()


@pytest.mark.ml100k
@pytest.mark.textmodel
@pytest.mark.slow
def test_the_real_version_ships_an_agreeing_encoder_and_the_app_uses_it(ml100k_app):
    root = Path(ml100k_app.config["INDEX_ROOT"])
    manifest = json.loads((root / current_version(root) / "manifest.json").read_text())
    entry = manifest["query_encoder"]
    assert entry["agreement"]["min"] >= query_encoder.MIN_AGREEMENT
    assert entry["model"] in manifest["files"] and entry["tokenizer"] in manifest["files"]
    holder, _index = _live(ml100k_app)
    assert isinstance(holder.embedder("minilm").embedder, query_encoder.OnnxQueryEmbedder)
    found = ml100k_app.test_client().get("/api/search?q=animated toys come to life&k=3").get_json()
    assert 1 in [r["movie"]["id"] for r in found["results"]]  # Toy Story


@pytest.mark.ml100k
@pytest.mark.textmodel
@pytest.mark.slow
def test_batches_pad_and_long_texts_truncate(ml100k_app):
    _, index = _live(ml100k_app)
    encoder = query_encoder.shipped(index.folder, index.manifest)
    texts = ["robots", "a lonely detective in a rainy city at night", "word " * 2000]
    batch = encoder.encode(texts)
    single = np.concatenate([encoder.encode([t]) for t in texts])
    assert batch.shape == (3, encoder.dim) and np.isfinite(batch).all()
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    assert (np.sum(batch * single, axis=1) > 0.98).all()  # padding does not change a text's vector
