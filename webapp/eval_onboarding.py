"""`flask eval --onboarding`: the table of recommender.evaluation.onboarding_protocol, from the store."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from recommender import store
from recommender.serving.index import VersionError, current_version, read_manifest
from recommender.store import accounts, catalogue, ratings_stream


def served_params(index_root: Path) -> tuple[dict | None, str]:
    """The hybrid params of the live index version (what the site serves), and where they came
    from; the hybrid's defaults when there is no live dense version."""
    version = current_version(index_root)
    if version is not None:
        try:
            params = read_manifest(index_root / version).get("params", {}).get("hybrid")
        except VersionError:  # an unreadable manifest: the defaults, said so
            params = None
        if isinstance(params, dict):
            return params, f"the hybrid params of the live version {version}"
    return None, "the hybrid's default params (no live dense index version)"


def eval_onboarding() -> None:
    """Read the release's ratings and catalogue, run the simulation, print the table."""
    from indexer.build import movie_vectors
    from recommender.evaluation import onboarding_protocol

    db = store.connect(current_app.config["DATABASE"])
    try:
        if not {"movies", "ratings"} <= set(db.table_names()):  # a store never imported into
            raise click.ClickException("the store holds no ratings: run `flask data import` first")
        movies = store.movies_frame(db)
        ratings = ratings_stream.ratings_frame(db)
        popular = [m["id"] for m in catalogue.onboarding_picks(db, n=onboarding_protocol.MAX_QUESTIONS)]
    finally:
        db.close()
    ratings = ratings[ratings["user_id"] < accounts.ACCOUNT_ID_FLOOR]  # the release's users, not the site's
    if movies.empty or ratings.empty:
        raise click.ClickException("the store holds no ratings: run `flask data import` first")

    def report(line: str) -> None:
        click.echo(line, err=True)

    root = Path(current_app.config["INDEX_ROOT"])
    params, source = served_params(root)
    report(f"model: {source}")
    vectors, _ = movie_vectors(movies, root, current_app.config["EMBEDDER"], report)
    run = onboarding_protocol.run(ratings, movies, vectors, popular, params=params, report=report)
    click.echo(f"onboarding simulated on {run.users} held-out users (the cold protocol's), "
               f"batches of {onboarding_protocol.BATCH}, at most {onboarding_protocol.MAX_QUESTIONS} questions, "
               f"ndcg_liked@{onboarding_protocol.K} of the feed on each user's test half")
    click.echo(run.table.to_string(float_format=lambda v: f"{v:.4f}"))
