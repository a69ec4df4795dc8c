"""The Flask app factory: config from the instance folder, the store, blueprints and CLI commands."""
from __future__ import annotations

import logging
import os
import secrets
import sqlite3
from pathlib import Path

from flask import Flask

from recommender import paths, store

from . import blueprints, cli, db, errors, health, index_holder, runtime, throttle, title_cache
from .json_provider import OrjsonProvider

log = logging.getLogger(__name__)


def _secret_key(instance: Path) -> str:
    """Generated on first run into the instance folder (mode 600), never committed."""
    key_file = instance / "secret_key"
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made by an earlier run or a sibling worker
        pass
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def _ensure_schema(database: str) -> None:
    """Tables added since a store was created (e.g. login_attempts) exist before the first request.
    A store that does not exist yet is left alone: `flask data import` creates it, whole, and
    `make serve` takes the file's existence to mean the import has run. A store that cannot be
    written now (read-only, locked past the busy timeout) does not stop the site: it serves what
    it can read, and each write gets 503 until the store takes writes again."""
    if not Path(database).exists():
        return
    try:
        conn = store.connect(database)
        try:
            store.ensure_schema(conn)
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        log.warning("the store %s cannot be brought up to date now (%s): serving what it can read", database, exc)


def create_app(test_config: dict | None = None, instance_path: str | Path | None = None) -> Flask:
    """Build the app; `instance_path` (else `INSTANCE_PATH`, else the repo's `instance/`) holds its state."""
    instance = Path(instance_path).resolve() if instance_path else paths.instance_path()
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=True)
    app.json = OrjsonProvider(app)
    app.config.from_mapping(
        DATABASE=str(paths.database_path(instance)),
        INDEX_ROOT=str(paths.index_root(instance)),
        MAX_CONTENT_LENGTH=64 * 1024,
        EMBEDDER="minilm",
        INDEX_CHECK_INTERVAL=1.0,
        NATIVE_THREADS=1,  # per process: a server's parallelism is its worker processes
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    instance.mkdir(parents=True, exist_ok=True)
    runtime.limit_threads(int(app.config["NATIVE_THREADS"]))
    app.config.setdefault("SECRET_KEY", None)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _secret_key(instance)
    if not app.debug and not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    _ensure_schema(app.config["DATABASE"])
    db.init_app(app)
    throttle.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    index_holder.init_app(app)
    title_cache.init_app(app)
    app.register_blueprint(health.bp)
    blueprints.init_app(app)
    return app
