"""The request's Recommender: the live index version (swapped between requests) and the store."""
from flask import current_app, g

from recommender.serving.service import Recommender

from .db import get_db


def get_recommender() -> Recommender:
    """Bound to this request's store connection and the index version live right now; one per
    request, so what it has read (the user's ratings) is read once."""
    if "recommender" not in g:
        holder = current_app.extensions.get("index_holder")
        g.recommender = (Recommender(get_db()) if holder is None
                         else Recommender(get_db(), holder.current(), holder.embedder))
    return g.recommender


def left_out_of_similar(user_id: int | None, hidden_ids: frozenset[int]) -> frozenset[int]:
    """What "movies like X" never shows this user: the films they hid (`hidden_ids`, as the caller
    read them for the request) and those their stars call a dislike (a 1-star Scream is no
    answer under I Know What You Did Last Summer). Nothing for a visitor."""
    if user_id is None:
        return frozenset()
    return hidden_ids | get_recommender().disliked(user_id)
