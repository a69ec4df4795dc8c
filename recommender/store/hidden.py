"""One user's "not interested" films: hide, show again, list. Serving leaves them out.

A hidden film never comes back in that user's feed, "movies like X" lists or search results: the
web layer reads `id_set` once per request and hands it to the Recommender as `hide`. Hiding also
says something about taste: a hidden film counts as a mild dislike (preferences.HIDDEN_STARS), and the
models read `ids` for that. Hiding keeps a rating of the same film as it is (the person rated what
they saw; hiding is about what they want to be shown), takes the film off the watchlist ("not
interested" ends "want to watch"), and showing a film again restores nothing else. The list's
life is recommender.store.movie_lists."""
from __future__ import annotations

from recommender.store.movie_lists import MovieList

HIDDEN = MovieList(
    exists="SELECT 1 FROM hidden WHERE user_id = ? AND movie_id = ?",
    insert="INSERT INTO hidden (user_id, movie_id, hidden_at) VALUES (?, ?, ?)",
    delete="DELETE FROM hidden WHERE user_id = ? AND movie_id = ?",
    contradicted="DELETE FROM watchlist WHERE user_id = ? AND movie_id = ?",
    ids_json="SELECT json_group_array(movie_id) FROM hidden WHERE user_id = ?",
    newest_first="SELECT movie_id, hidden_at FROM hidden WHERE user_id = ? ORDER BY hidden_at DESC, movie_id DESC",
    time_field="hidden_at", what="hiding")

hide, unhide, ids, id_set, is_hidden, listing = (HIDDEN.add, HIDDEN.remove, HIDDEN.ids, HIDDEN.id_set,
                                                 HIDDEN.contains, HIDDEN.listing)
