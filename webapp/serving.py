"""The request's Recommender: the live index version (swapped between requests) and the store."""
from flask import current_app

from recommender.serving.service import Recommender

from .db import get_db


def get_recommender() -> Recommender:
    """Bound to this request's store connection and the index version live right now."""
    holder = current_app.extensions.get("index_holder")
    if holder is None:
        return Recommender(get_db())
    return Recommender(get_db(), holder.current(), holder.embedder)
