"""The query-vector cache: same vectors as the model, the model asked once per text."""
import numpy as np

from recommender.text.embedders import CachedEmbedder, HashingEmbedder


class Counting(HashingEmbedder):
    def __init__(self):
        self.calls = []

    def encode(self, texts):
        self.calls.append(list(texts))
        return super().encode(texts)


def test_cache_returns_model_vectors_and_encodes_each_text_once():
    inner = Counting()
    cached = CachedEmbedder(inner, size=2)
    first = cached.encode(["space opera", "heist", "space opera"])
    assert np.allclose(first, HashingEmbedder().encode(["space opera", "heist", "space opera"]))
    cached.encode(["heist"])
    assert inner.calls == [["space opera", "heist"]]
    cached.encode(["western"])  # evicts the least recently used: "space opera"
    cached.encode(["space opera"])
    assert inner.calls[-1] == ["space opera"]
