"""The request's Recommender: the live index version (swapped between requests) and the store."""
from flask import current_app, g

from recommender.serving.service import Recommender
from recommender.store import hidden

from .db import get_db


def get_recommender() -> Recommender:
    """Bound to this request's store connection and the index version live right now; one per
    request, so what it has read (the user's ratings) is read once."""
    if "recommender" not in g:
        holder = current_app.extensions.get("index_holder")
        g.recommender = (Recommender(get_db()) if holder is None
                         else Recommender(get_db(), holder.current(), holder.embedder))
    return g.recommender


def left_out_of_similar(user_id: int | None) -> frozenset[int]:
    """What "movies like X" never shows this user: the films they hid and those their stars call
    a dislike (a 1-star Scream is no answer under I Know What You Did Last Summer). None for a
    visitor."""
    if user_id is None:
        return frozenset()
    return hidden.id_set(get_db(), user_id) | get_recommender().disliked(user_id)
