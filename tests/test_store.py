"""The store's per-movie rating aggregates stay exact through every kind of write."""
import sqlite3

from recommender import store
from recommender.store import user_ratings

from .conftest import ML100K_MINI

EXACT = """
SELECT count(*) FROM movies m WHERE m.num_ratings != (SELECT count(*) FROM ratings r WHERE r.movie_id = m.id)
   OR abs(m.rating_sum - coalesce((SELECT sum(rating) FROM ratings r WHERE r.movie_id = m.id), 0)) > 1e-9
"""


def mismatches(db) -> int:
    return db.execute(EXACT).fetchone()[0]


def test_aggregates_follow_insert_update_delete_and_reimport(app):
    db = store.connect(app.config["DATABASE"])
    assert mismatches(db) == 0 and db["movies"].get(3)["num_ratings"] > 0
    user = db["users"].insert({"username": "stats", "password_hash": "x"}).last_pk
    user_ratings.put(db, user, 3, 5.0)
    user_ratings.put(db, user, 3, 1.5)
    user_ratings.put(db, user, 4, 4.0)
    user_ratings.delete(db, user, 4)
    assert mismatches(db) == 0
    result = app.test_cli_runner().invoke(args=["data", "import", "--source", str(ML100K_MINI)])
    assert result.exit_code == 0
    assert mismatches(db) == 0
    db["users"].delete(user)  # cascades to the ratings
    assert mismatches(db) == 0
    assert store.counts(db)["ratings"] == 313
    db.close()


def test_store_from_before_the_aggregates_is_migrated(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE movies (id INTEGER PRIMARY KEY, title TEXT NOT NULL, display_title TEXT NOT NULL,
            year INTEGER, genres TEXT NOT NULL DEFAULT '', release_date TEXT, imdb_url TEXT,
            search_key TEXT NOT NULL);
        CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT UNIQUE COLLATE NOCASE,
            password_hash TEXT, created_at INTEGER, age INTEGER, gender TEXT, occupation TEXT, zip_code TEXT);
        CREATE TABLE ratings (user_id INTEGER NOT NULL, movie_id INTEGER NOT NULL, rating REAL NOT NULL,
            timestamp INTEGER NOT NULL, PRIMARY KEY (user_id, movie_id)) WITHOUT ROWID;
        INSERT INTO movies VALUES (1, 'Heat (1995)', 'Heat', 1995, 'Action', NULL, NULL, 'heat');
        INSERT INTO users (id) VALUES (1), (2);
        INSERT INTO ratings VALUES (1, 1, 4.0, 1), (2, 1, 3.0, 2);
    """)
    conn.commit()
    conn.close()
    db = store.connect(path)
    store.ensure_schema(db)
    assert db["movies"].get(1)["num_ratings"] == 2 and db["movies"].get(1)["rating_sum"] == 7.0
    assert mismatches(db) == 0
    db.close()


def test_catalogue_signature_moves_with_the_movies_not_the_ratings(app):
    """The title index rebuilds when catalogue.signature changes: on every movie added,
    removed or retitled, never on a rating (which only moves the aggregates)."""
    from recommender.store import catalogue

    db = store.connect(app.config["DATABASE"])
    before = catalogue.signature(db)
    user = db["users"].insert({"username": "sig", "password_hash": "x"}).last_pk
    user_ratings.put(db, user, 3, 5.0)
    user_ratings.put(db, user, 3, 2.0)
    assert catalogue.signature(db) == before
    db["movies"].insert({"id": 9001, "title": "New (2030)", "display_title": "New", "genres": "",
                         "search_key": "new"})
    added = catalogue.signature(db)
    db["movies"].update(9001, {"display_title": "Newer", "search_key": "newer"})
    retitled = catalogue.signature(db)
    db["movies"].delete(9001)
    assert len({before, added, retitled, catalogue.signature(db)}) == 4
    db.close()


def test_the_counts_version_moves_with_every_rating_change_and_only_then(app):
    """catalogue.versions' second number: a remembered "movies like X" shows the films' counts
    and averages while it stays, so it must move with every rating written, changed or removed,
    and stay for a rating given again with the same stars (nothing changed)."""
    from recommender.store import catalogue

    db = store.connect(app.config["DATABASE"])
    user = db["users"].insert({"username": "counts", "password_hash": "x"}).last_pk
    seen = [catalogue.versions(db)]
    for change in (lambda: user_ratings.put(db, user, 3, 5.0), lambda: user_ratings.put(db, user, 3, 2.0),
                   lambda: user_ratings.delete(db, user, 3)):
        change()
        seen.append(catalogue.versions(db))
    assert len({counts for _, counts in seen}) == 4 and len({sig for sig, _ in seen}) == 1
    user_ratings.put(db, user, 4, 4.0)
    kept = catalogue.versions(db)
    user_ratings.put(db, user, 4, 4.0)
    assert catalogue.versions(db) == kept
    db.close()
