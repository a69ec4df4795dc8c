"""The store connection of a request: one per worker thread, reused across its requests.

Opening a connection costs more than most queries a request makes (a quarter of a /similar
request's CPU), so each thread keeps one, held by an app extension. WAL lets every thread read
while one writes; teardown rolls back anything a failed request left open, so no request ever
starts inside another's transaction."""
import threading

import sqlite_utils
from flask import Flask, current_app

from recommender import store


class ThreadConnections:
    """One store connection per thread, opened on first use."""

    def __init__(self, database: str):
        self.database = database
        self._local = threading.local()

    def get(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = store.connect(self.database)
        return db

    def release(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None and db.conn.in_transaction:
            db.conn.rollback()


def get_db() -> sqlite_utils.Database:
    """This thread's connection to the store."""
    return current_app.extensions["store_connections"].get()


def init_app(app: Flask) -> None:
    connections = ThreadConnections(app.config["DATABASE"])
    app.extensions["store_connections"] = connections
    app.teardown_appcontext(lambda _exc=None: connections.release())
