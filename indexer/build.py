"""`flask index rebuild`: read the store, fit the models, write a new index version, check it,
and only then make it live. Every stage reports progress and its time."""
from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from recommender import store
from recommender.models.genres import genre_matrix
from recommender.serving.index import load_index
from recommender.serving.layout import CONTENT_INDEX, CONTENT_VECTORS, GENRE_MATRIX, GENRE_VECTORS, GENRES, MOVIE_IDS
from recommender.store import ratings_stream
from recommender.text import content, embedders, query_encoder
from recommender.vectors import ann, faiss_io

from . import embedding_cache, versions
from .stages import fit_models, fit_rating, user_profiles

log = logging.getLogger(__name__)
Report = Callable[[str], None]


@dataclass
class BuildResult:
    version: str
    switched: bool
    counts: dict[str, int]
    seconds: dict[str, float]
    manifest: dict = field(repr=False, default_factory=dict)


def embed_texts_cached(texts: list[str], root: Path, embedder_name: str, report: Report) -> tuple[np.ndarray, int]:
    """Unit vectors for `texts`, in order, and how many had to be embedded (the rest are cached)."""
    embedder = embedders.get_embedder(embedder_name)
    hashes = [content.text_hash(t) for t in texts]

    def embed(missing: list[str]) -> np.ndarray:
        report(f"  embedding {len(missing)} new or changed texts with {embedder.name}")
        out = []
        for start in range(0, len(missing), 512):
            out.append(embedder.encode(missing[start:start + 512]))
            report(f"  embedded {min(start + 512, len(missing))}/{len(missing)}")
        return np.concatenate(out)

    return embedding_cache.embed_with_cache(
        texts, hashes, root / "cache" / f"embeddings-{embedder.name}.npz", embed)


def movie_vectors(movies, root: Path, embedder_name: str, report: Report) -> tuple[np.ndarray, int]:
    """Unit text vectors for every movie, in row order, and how many had to be embedded."""
    return embed_texts_cached([content.movie_text(m) for m in movies.to_dict("records")], root,
                              embedder_name, report)


def _write_content(movies, vectors: np.ndarray, folder: Path) -> tuple[faiss.Index, dict]:
    """Movie ids, text vectors and their index (exact, or HNSW for a large catalogue); returns
    the index and what the manifest records about it."""
    ids = movies["id"].to_numpy("int64")
    np.save(folder / MOVIE_IDS, ids)
    np.save(folder / CONTENT_VECTORS, vectors)
    index, info = ann.build_checked(vectors, ids)
    faiss_io.save(index, folder / CONTENT_INDEX)
    return index, info


def _write_genres(movies, folder: Path, root: Path, embedder_name: str, report: Report) -> None:
    """Genre names, an items x genres 0/1 matrix (genre filters without the store) and each
    genre's description vector (free-text search matches descriptions to genres)."""
    names, matrix = genre_matrix(movies["genres"])
    np.save(folder / GENRE_MATRIX, matrix)
    (folder / GENRES).write_text(json.dumps(names))
    vectors, _ = embed_texts_cached([content.genre_text(g) for g in names], root, embedder_name, report)
    np.save(folder / GENRE_VECTORS, vectors)


@dataclass
class Content:
    """What the content stage leaves for the model stage and the manifest."""
    vectors: np.ndarray
    embedded: int  # texts embedded now; the rest came from the cache
    index: faiss.Index
    index_info: dict
    query_encoder: dict | None


def load_store(db_path: Path, report: Report):
    """The catalogue and every rating, from a read-only connection."""
    db = store.connect(db_path, readonly=True)
    try:
        movies, ratings = store.movies_frame(db), ratings_stream.ratings_frame(db)
    finally:
        db.close()
    if movies.empty:
        raise RuntimeError("the store holds no movies: run `flask data import` first")
    report(f"  {len(movies)} movies, {len(ratings)} ratings, {ratings['user_id'].nunique()} users")
    return movies, ratings


def embed_content(movies, root: Path, folder: Path, embedder_name: str, report: Report) -> Content:
    """Text vectors of every movie and genre, the content index, and the query encoder."""
    vectors, embedded = movie_vectors(movies, root, embedder_name, report)
    index, info = _write_content(movies, vectors, folder)
    if info["recall@10"] < 1.0:
        report(f"  content index: {info['type']}, recall@10 vs exact {info['recall@10']}")
    _write_genres(movies, folder, root, embedder_name, report)
    report(f"  {embedded} texts embedded, every other one reused from the cache")
    shipped = (query_encoder.ship(folder, root / "cache", content.load_text_model, report)
               if embedder_name == "minilm" else None)
    return Content(vectors, embedded, index, info, shipped)


class _Stages:
    """Runs the rebuild's stages in order, each reported and timed."""

    COUNT = 5

    def __init__(self, report: Report):
        self.report = report
        self.seconds: dict[str, float] = {}

    def run(self, name: str, stage, *args, **kwargs):
        self.report(f"[{len(self.seconds) + 1}/{self.COUNT}] {name}")
        started = time.perf_counter()
        result = stage(*args, **kwargs)
        self.seconds[name] = round(time.perf_counter() - started, 2)
        return result


def sanity_check(folder: Path) -> None:
    """Load the version back as serving would (every file checksummed against the manifest, a
    scoring round trip) and ask it questions whose answers are known."""
    index = load_index(folder)
    movie_id = int(index.movie_ids[0])
    ids, _ = faiss_io.search(index.content_index, index.content_vectors[0], 5)
    if movie_id not in ids.tolist():  # top 5, not 1: two movies may share one text
        raise versions.VersionError(f"{folder.name}: content index does not find movie {movie_id} itself")


def rebuild(db_path: Path, root: Path, *, embedder: str = embedders.DEFAULT, dry_run: bool = False,
            keep: int = 2, report: Report | None = None, model_family: str | None = None) -> BuildResult:
    """Build, check and (unless `dry_run`) switch to a new version; the live one is never touched
    until the new one has passed its check. `model_family` (else $MODEL_FAMILY, else "auto":
    by catalogue size) picks the collaborative model: see recommender.models.model_family."""
    report = report or log.info
    with versions.build_lock(root):
        building = versions.start_build(root)
        stages = _Stages(report)
        seconds = stages.seconds
        try:
            movies, ratings = stages.run("load store", load_store, db_path, report)
            text = stages.run("content embeddings", embed_content, movies, root, building, embedder, report)
            fitted = stages.run("collaborative models", fit_models, movies, ratings, text.vectors, text.index,
                                building, root, report, family=model_family)
            users = stages.run("user profiles", user_profiles, fitted, building)
            rating = stages.run("rating model", fit_rating, movies, ratings, building, root, report)
            counts = {"movies": len(movies), "ratings": len(ratings), "users": int(users),
                      "embedded": int(text.embedded)}
            manifest = versions.write_manifest(building, {
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "embedder": embedder, "counts": counts, "seconds": seconds,
                "params": fitted.manifest, "model_family": fitted.manifest["model_family"], "rating": rating,
                "ann": {"content": text.index_info, **fitted.manifest.get("ann", {})},
                **({"query_encoder": text.query_encoder} if text.query_encoder else {}),
            })
            folder = versions.finish_build(building)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        try:
            started = time.perf_counter()
            sanity_check(folder)
            seconds["check"] = round(time.perf_counter() - started, 2)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        if dry_run:
            shutil.rmtree(folder, ignore_errors=True)
            return BuildResult(folder.name, False, counts, seconds, manifest)
        versions.switch(root, folder.name)
        pruned = versions.prune(root, keep)
        if pruned:
            report(f"  pruned {', '.join(pruned)}")
        return BuildResult(folder.name, True, counts, seconds, manifest)
