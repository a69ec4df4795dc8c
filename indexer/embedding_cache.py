"""Movie-text embeddings cached by a hash of the text, so a rebuild embeds only new or changed movies.

The cache is one .npz (hashes + float32 vectors, no pickle) per text model, replaced atomically."""
from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


def load(path: Path) -> dict[str, np.ndarray]:
    """hash -> vector; an unreadable cache is treated as empty (it is only a cache)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return dict(zip(data["hashes"].tolist(), data["vectors"]))
    except (OSError, KeyError, ValueError) as exc:
        if path.exists():
            log.warning("ignoring unreadable embedding cache %s (%s)", path, exc)
        return {}


def save(path: Path, cache: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    hashes = np.array(sorted(cache), dtype="U64")
    vectors = np.stack([cache[h] for h in hashes.tolist()]) if len(hashes) else np.zeros((0, 0), "float32")
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, hashes=hashes, vectors=vectors.astype("float32"))
    os.replace(tmp, path)


def embed_with_cache(texts: Sequence[str], hashes: Sequence[str], cache_path: Path,
                     embed: Callable[[list[str]], np.ndarray]) -> tuple[np.ndarray, int]:
    """Vectors for `texts` in order, and how many had to be embedded (0 when all were cached).

    `embed` is only called, and so the text model only loaded, when something is missing."""
    cache = load(cache_path)
    missing = sorted({h: t for h, t in zip(hashes, texts) if h not in cache}.items())
    if missing:
        vectors = embed([t for _, t in missing])
        cache.update({h: v for (h, _), v in zip(missing, vectors)})
        save(cache_path, cache)
    matrix = np.stack([cache[h] for h in hashes]).astype("float32") if len(hashes) else np.zeros((0, 0), "float32")
    return matrix, len(missing)
