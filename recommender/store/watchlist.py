"""One user's "want to watch" films: add, remove, list. The feed leaves them out.

A watchlisted film is already known to the person, so the feed does not suggest it again: the web
layer reads `id_set` once per request and hands it to Recommender.feed as `watchlist`. It also
says something about taste: wanting to see a film is a mild like (preferences.WATCHLIST_STARS),
weaker than a rating, and never named in a reason ("Because you rated X" names rated films only).
"Want to watch" and "not interested" contradict each other, so adding a film here shows it again
if it was hidden (and hiding a film takes it off the watchlist); rating it takes it off too
(recommender.store.user_ratings). The list's life is recommender.store.movie_lists."""
from __future__ import annotations

from recommender.store.movie_lists import MovieList

WATCHLIST = MovieList(
    exists="SELECT 1 FROM watchlist WHERE user_id = ? AND movie_id = ?",
    insert="INSERT INTO watchlist (user_id, movie_id, added_at) VALUES (?, ?, ?)",
    delete="DELETE FROM watchlist WHERE user_id = ? AND movie_id = ?",
    contradicted="DELETE FROM hidden WHERE user_id = ? AND movie_id = ?",
    ids_json="SELECT json_group_array(movie_id) FROM watchlist WHERE user_id = ?",
    newest_first="SELECT movie_id, added_at FROM watchlist WHERE user_id = ? ORDER BY added_at DESC, movie_id DESC",
    time_field="added_at", what="adding to the watchlist")

add, remove, ids, id_set, contains, listing = (WATCHLIST.add, WATCHLIST.remove, WATCHLIST.ids, WATCHLIST.id_set,
                                               WATCHLIST.contains, WATCHLIST.listing)
