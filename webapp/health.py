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
    counts = _cached_counts()
    return jsonify({"status": "ok", "index_version": None,
                    "movies": counts["movies"], "ratings": counts["ratings"]})
