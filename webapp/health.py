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
    (the feed then falls back to popularity)."""
    counts = _cached_counts()
    holder = current_app.extensions["index_holder"]
    index = holder.current()
    body = {"status": "ok" if index is not None and holder.error is None else "degraded",
            "index_version": index.version if index is not None else None,
            "movies": counts["movies"], "ratings": counts["ratings"]}
    if holder.error:
        body["index_error"] = holder.error
    return jsonify(body)
