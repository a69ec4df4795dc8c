"""The read side of an index version: check it against its manifest and load it for serving.

Arrays are memory-mapped and FAISS indices read with IO_FLAG_MMAP_IFC, so the workers of one
server share their pages; a model that searches the version's own text or item index
(FactorHybrid's `shared_indices`) is handed that one object. The write side is indexer/versions.py."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from . import faiss_io
from .models import Hybrid, load_model
from .vocab import Vocabulary

MANIFEST = "manifest.json"
CURRENT = "CURRENT"
MODEL_DIR = "model"


class VersionError(Exception):
    """A version that is missing, incomplete or fails its checks."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise VersionError(f"{folder.name}: unreadable manifest ({exc})") from exc


def verify(folder: Path, checksums: bool = True) -> dict:
    """The manifest, once every file it lists is present with the recorded size (and checksum).

    Serving checks sizes on every load (cheap); the indexer checks checksums too."""
    manifest = read_manifest(folder)
    for name, info in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != info["bytes"] or (
                checksums and sha256(path) != info["sha256"]):
            raise VersionError(f"{folder.name}: {name} is missing or corrupt")
    return manifest


def current_version(root: Path) -> str | None:
    """The version CURRENT names, or None before the first build."""
    try:
        name = (Path(root) / CURRENT).read_text().strip()
    except OSError:
        return None
    return name or None


@dataclass
class LoadedIndex:
    """One version, loaded read-only: what feed, similar and search consult."""

    version: str
    folder: Path
    manifest: dict
    items: Vocabulary
    content_vectors: np.ndarray
    content_index: faiss.Index
    collab_items: faiss.Index
    users_collab: faiss.Index
    users_content: faiss.Index
    model: Hybrid
    genre_names: list[str]
    genre_matrix: np.ndarray  # items x genres, 0/1
    genre_vectors: np.ndarray  # genres x dim: each genre's description, embedded

    @property
    def movie_ids(self) -> np.ndarray:
        return self.items.ids

    @property
    def embedder(self) -> str:
        return self.manifest.get("embedder", "minilm")

    @property
    def popularity(self) -> np.ndarray:
        """Number of ratings per item row at build time."""
        return np.asarray(self.model.parts["popularity"].counts)

    def genre_mask(self, genre: str) -> np.ndarray:
        """Item rows in `genre` (a fresh array: callers may change it); none for an unknown genre."""
        if genre not in self.genre_names:
            return np.zeros(len(self.items), dtype=bool)
        return self.genre_matrix[:, self.genre_names.index(genre)].astype(bool)

    @cached_property
    def popularity_prior(self) -> np.ndarray:
        """log(1 + ratings) scaled to 0..1 per item row: search's nudge towards known films."""
        counts = self.popularity.astype(np.float64)
        return (np.log1p(counts) / np.log1p(max(float(counts.max(initial=0.0)), 1.0))).astype(np.float32)

    @cached_property
    def _genre_rankings(self) -> list[np.ndarray]:
        """Per genre, its item rows most-rated first (ties in row order)."""
        counts = self.popularity
        return [rows[np.argsort(-counts[rows], kind="stable")]
                for rows in (np.flatnonzero(column) for column in np.asarray(self.genre_matrix).T)]

    def popular_in_genre(self, genre_column: int, n: int) -> np.ndarray:
        """The `n` most-rated item rows of the genre in column `genre_column`."""
        return self._genre_rankings[genre_column][:n]

    def genre_weights(self, per_genre: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Per item row (all, or `rows`), the largest of `per_genre` over the item's genres (0: none)."""
        weighted = self._genre_floats if rows is None else self._genre_floats[rows]
        return (weighted * per_genre.astype(np.float32)).max(axis=1, initial=0.0)

    @cached_property
    def _genre_floats(self) -> np.ndarray:
        return np.asarray(self.genre_matrix, dtype=np.float32)

    def genres_of(self, row: int) -> list[str]:
        return [self.genre_names[j] for j in np.flatnonzero(self.genre_matrix[row])]

    def rows(self, movie_ids) -> np.ndarray:
        """Item rows of MovieLens ids; -1 for movies this version does not know."""
        return self.items.index(np.asarray(movie_ids, dtype=np.int64))

    def check(self) -> None:
        """A scoring round trip whose shape and values are known; raises VersionError."""
        from .models import history

        scores = self.model.score(history([0], len(self.items)))
        if scores.shape != (1, len(self.items)) or not np.isfinite(scores).all():
            raise VersionError(f"{self.version}: the hybrid scores a one-movie history wrongly")


def load_index(folder: Path) -> LoadedIndex:
    """Load a complete version; raises VersionError if anything is missing or corrupt."""
    folder = Path(folder)
    manifest = verify(folder, checksums=False)
    try:
        items = Vocabulary(np.load(folder / "movie_ids.npy", allow_pickle=False))
        model = load_model(folder / MODEL_DIR, mmap=True)
        indices = {name: faiss_io.load(folder / name) for name in ("content.faiss", "collab_items.faiss")}
        for space, name in getattr(model, "shared_indices", {}).items():
            model.use_index(space, indices[name])  # one copy for the model and the version
        return LoadedIndex(
            version=folder.name, folder=folder, manifest=manifest, items=items,
            content_vectors=np.load(folder / "content_vectors.npy", mmap_mode="r", allow_pickle=False),
            content_index=indices["content.faiss"],
            collab_items=indices["collab_items.faiss"],
            users_collab=faiss_io.load(folder / "users_collab.faiss"),
            users_content=faiss_io.load(folder / "users_content.faiss"),
            model=model,
            genre_names=json.loads((folder / "genres.json").read_text()),
            genre_matrix=np.load(folder / "genre_matrix.npy", allow_pickle=False),
            genre_vectors=np.load(folder / "genre_vectors.npy", allow_pickle=False),
        )
    except VersionError:
        raise
    except Exception as exc:  # a truncated array or index file is a corrupt version, not a crash
        raise VersionError(f"{folder.name}: cannot load ({exc})") from exc
