"""The title index and genre list of the live catalogue, one per worker, for lookups and filters.

An import that changes the catalogue (catalogue.signature, one row read per lookup) rebuilds it
before the lookup that notices, so a new movie is found at once. Popularity, which orders the
matches, drifts with every rating; after TITLE_INDEX_TTL seconds a thread of the worker rebuilds
it while lookups keep using the old one. At 62,000 movies a rebuild takes hundreds of
milliseconds: inside a request it stalled that request and every one queued behind it."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import sqlite_utils
from flask import Flask

from recommender import store
from recommender.serving.title_search import TitleIndex
from recommender.store import catalogue

log = logging.getLogger(__name__)

TITLE_INDEX_TTL = 60.0


@dataclass(frozen=True)
class TitleSnapshot:
    """One build: what lookups read, never changed after."""

    signature: int
    index: TitleIndex
    genres: list[str]
    built_at: float = field(default_factory=time.monotonic)


def build(db: sqlite_utils.Database) -> TitleSnapshot:
    """The catalogue's title index and genres as they are now."""
    signature = catalogue.signature(db)
    return TitleSnapshot(signature, TitleIndex(catalogue.title_rows(db)), catalogue.genres(db))


class TitleCache:
    """The worker's current TitleSnapshot, replaced whole (readers see the old or the new)."""

    def __init__(self, database: str, ttl: float = TITLE_INDEX_TTL):
        self.database, self.ttl = database, ttl
        self._snapshot: TitleSnapshot | None = None
        self._lock = threading.Lock()
        self._refreshing = False

    def get(self, db: sqlite_utils.Database) -> TitleSnapshot:
        """The snapshot to answer from: rebuilt now when the catalogue changed, else the one
        in hand (with a background rebuild started once it is older than the TTL)."""
        snapshot = self._snapshot
        if snapshot is None or snapshot.signature != catalogue.signature(db):
            snapshot = self._snapshot = build(db)  # one reference swap: readers see old or new
        elif time.monotonic() - snapshot.built_at > self.ttl:
            self._refresh_in_background()
        return snapshot

    def _refresh_in_background(self) -> None:
        with self._lock:
            if self._refreshing:
                return
            self._refreshing = True
        threading.Thread(target=self._refresh, name="title-index-refresh", daemon=True).start()

    def _refresh(self) -> None:
        try:
            db = store.connect(self.database, readonly=True)
            try:
                self._snapshot = build(db)
            finally:
                db.conn.close()
        except Exception:  # the old snapshot keeps serving; the next lookup tries again
            log.exception("title index refresh failed")
        finally:
            with self._lock:
                self._refreshing = False


def init_app(app: Flask) -> None:
    app.extensions["title_cache"] = TitleCache(app.config["DATABASE"],
                                               app.config.get("TITLE_INDEX_TTL", TITLE_INDEX_TTL))
