"""The store connection of a request: one per worker thread, reused across its requests.

Opening a connection costs more than most queries a request makes (a quarter of a /similar
request's CPU), so each thread keeps one, held by an app extension. WAL lets every thread read
while one writes; teardown rolls back anything a failed request left open, so no request ever
starts inside another's transaction. A connection that met a store error is closed, so the
next request starts on a fresh one."""
import threading

import sqlite_utils
from flask import Flask, current_app

from recommender import store


class ThreadConnections:
    """One store connection per thread, opened on first use."""

    def __init__(self, database: str, busy_timeout_ms: int = store.BUSY_TIMEOUT_MS):
        self.database = database
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()

    def get(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = store.connect(self.database, busy_timeout_ms=self.busy_timeout_ms)
        return db

    def discard(self) -> None:
        """Close this thread's connection (after an I/O or lock error), reopened on next use."""
        db = getattr(self._local, "db", None)
        self._local.db = None
        if db is not None:
            try:
                db.close()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is dropped anyway
                pass

    def release(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None and db.conn.in_transaction:
            db.conn.rollback()


def get_db() -> sqlite_utils.Database:
    """This thread's connection to the store."""
    return current_app.extensions["store_connections"].get()


# A request's write waits this long for another process's write lock, then gets 503 (nothing
# written, Retry-After). Each worker has one thread, so a wait holds every request queued behind
# it: with 10 s (the CLI's), a lock held 15 s froze the site for 10 s; a rating's own commit
# takes milliseconds, so writers of this site never wait this long for each other.
REQUEST_BUSY_TIMEOUT_MS = 3_000


def init_app(app: Flask) -> None:
    connections = ThreadConnections(app.config["DATABASE"],
                                    app.config.get("DATABASE_BUSY_TIMEOUT_MS", REQUEST_BUSY_TIMEOUT_MS))
    app.extensions["store_connections"] = connections
    app.teardown_appcontext(lambda _exc=None: connections.release())
