"""The live index version of one worker: noticed and swapped between requests, never mid-request.

FAISS indices are safe to search from many threads but not to change while searched, so a new
version is loaded beside the old one and a single reference is replaced. A missing or corrupt
version is logged and reported by /healthz; the recommender then falls back to popularity."""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from flask import Flask

from recommender import embedders, query_encoder
from recommender.index import LoadedIndex, current_version, load_index

log = logging.getLogger(__name__)


class IndexHolder:
    def __init__(self, root: Path, check_interval: float = 1.0):
        self.root = Path(root)
        self.check_interval = check_interval
        self._index: LoadedIndex | None = None
        self._wanted: str | None = None  # what CURRENT named at the last check
        self._checked_at = float("-inf")
        self._lock = threading.Lock()
        self._embedders: dict[str, object] = {}
        self.error: str | None = None

    def current(self) -> LoadedIndex | None:
        return self._index

    def refresh(self) -> None:
        """Swap to the version CURRENT names, if it changed; cheap when called every request."""
        now = time.monotonic()
        if now - self._checked_at < self.check_interval:
            return
        with self._lock:
            if now - self._checked_at < self.check_interval:
                return
            self._checked_at = now
            wanted = current_version(self.root)
            if wanted == self._wanted:
                return
            self._wanted = wanted
            if wanted is None:
                self.error = "no index version has been built yet (run `flask index rebuild`)"
                return
            try:
                self._index = load_index(self.root / wanted)
                self.error = None
                log.info("serving index version %s", wanted)
            except Exception as exc:  # keep serving what we have (or popularity), and say why
                self.error = f"index version {wanted} cannot be loaded: {exc}"
                log.error(self.error)

    def embedder(self, name: str):
        """The text model for search queries, loaded once per worker on first use, with a cache
        of recent query vectors: the ONNX encoder the live version ships (no torch in the
        worker), else the original model `name`."""
        index = self._index
        shipped = index.manifest.get("query_encoder") if index is not None and index.embedder == name else None
        key = (name, index.manifest["files"][shipped["model"]]["sha256"] if shipped else None)
        with self._lock:
            if key not in self._embedders:
                self._embedders[key] = embedders.CachedEmbedder(query_encoder.for_index(index, name))
            return self._embedders[key]


def init_app(app: Flask) -> None:
    holder = IndexHolder(Path(app.config["INDEX_ROOT"]), app.config.get("INDEX_CHECK_INTERVAL", 1.0))
    app.extensions["index_holder"] = holder
    app.before_request(holder.refresh)
