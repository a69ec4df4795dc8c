"""`GET /healthz`: the cheapest route, answered from memory; the baseline of every benchmark."""
import time

from flask import Blueprint, current_app, jsonify

from recommender import store

from .db import get_db

bp = Blueprint("health", __name__)
COUNTS_TTL_SECONDS = 5.0


def _cached_counts() -> dict:
    """Store counts, refreshed at most every few seconds so the route stays in memory."""
    cache = current_app.extensions.setdefault("health_counts", {"at": 0.0, "counts": None})
    if cache["counts"] is None or time.monotonic() - cache["at"] > COUNTS_TTL_SECONDS:
        try:
            cache["counts"] = store.counts(get_db())
        except Exception:  # an empty or missing store is a state, not a crash
            cache["counts"] = {"movies": 0, "ratings": 0}
        cache["at"] = time.monotonic()
    return cache["counts"]


@bp.get("/healthz")
def healthz():
    """200 while the app can answer; "degraded" with the reason when no index version is usable
    (the feed then falls back to popularity), when the version CURRENT names was refused (the
    worker keeps the one it had), or when the live version's files changed on disk since they
    were checked (it keeps serving them from memory)."""
    counts = _cached_counts()
    holder = current_app.extensions["index_holder"]
    index, error = holder.current(), holder.error  # read once: a refresh may run meanwhile
    body = {"status": "ok" if index is not None and error is None else "degraded",
            "index_version": index.version if index is not None else None,
            "movies": counts["movies"], "ratings": counts["ratings"]}
    if error:
        body["index_error"] = error
    return jsonify(body)
