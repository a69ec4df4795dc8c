"""One store connection per request, kept on `g` and closed on teardown (as in flaskr)."""
from flask import Flask, current_app, g
import sqlite_utils

from recommender import store


def get_db() -> sqlite_utils.Database:
    """The request's connection to the store, opened on first use."""
    if "db" not in g:
        g.db = store.connect(current_app.config["DATABASE"])
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
