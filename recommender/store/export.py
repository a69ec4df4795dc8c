"""Everything a user keeps here, to take away: ratings, watchlist and hidden films as one JSON-ready
dict, and the ratings as a Letterboxd `ratings.csv` (`Date,Name,Year,Letterboxd URI,Rating`), the
layout Letterboxd and this site's import read back. The three lists are read in one read
transaction, so an export never mixes states of the store."""
from __future__ import annotations

import csv
import io

import sqlite_utils

from recommender.store import hidden, user_ratings, watchlist

FORMAT_VERSION = 1
LETTERBOXD_HEADER = ("Date", "Name", "Year", "Letterboxd URI", "Rating")


def _film(movie: dict) -> dict:
    """The facts that identify a film outside this site: its MovieLens id, title and year."""
    return {"movie_id": movie["id"], "title": movie["display_title"], "listed_as": movie["title"],
            "year": movie["year"]}


def user_data(db: sqlite_utils.Database, user_id: int, username: str) -> dict:
    """`{"format_version", "username", "exported_at", "ratings": [...], "watchlist": [...],
    "hidden": [...]}`, each list newest first with ISO 8601 UTC times."""
    conn = db.conn
    if conn.in_transaction:
        conn.rollback()
    conn.execute("BEGIN")  # one snapshot of the three lists (WAL: writers are not blocked)
    try:
        rated = user_ratings.listing(db, user_id)
        wanted = watchlist.listing(db, user_id)
        hid = hidden.listing(db, user_id)
    finally:
        conn.rollback()
    return {
        "format_version": FORMAT_VERSION, "username": username,
        "exported_at": user_ratings.iso_utc(user_ratings.now()),
        "ratings": [{**_film(r["movie"]), "rating": r["rating"], "rated_at": r["rated_at"]} for r in rated],
        "watchlist": [{**_film(w["movie"]), "added_at": w["added_at"]} for w in wanted],
        "hidden": [{**_film(h["movie"]), "hidden_at": h["hidden_at"]} for h in hid],
    }


def letterboxd_csv(data: dict) -> str:
    """The ratings of `user_data` as Letterboxd's ratings.csv: the date rated (YYYY-MM-DD, UTC),
    the title without its year, the year, no Letterboxd URI (these are MovieLens films), and
    the stars (0.5 to 5). Quoted as CSV needs; UTF-8 text, any alphabet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LETTERBOXD_HEADER)
    for r in data["ratings"]:
        writer.writerow((r["rated_at"][:10], r["title"], "" if r["year"] is None else r["year"], "",
                         f"{r['rating']:g}"))
    return out.getvalue()
