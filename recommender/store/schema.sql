-- The store. Static DDL, applied idempotently by recommender.store.ensure_schema.
CREATE TABLE IF NOT EXISTS movies (
    id INTEGER PRIMARY KEY,            -- MovieLens id
    title TEXT NOT NULL,               -- as published: "Godfather, The (1972)"
    display_title TEXT NOT NULL,       -- "The Godfather"
    year INTEGER,
    genres TEXT NOT NULL DEFAULT '',   -- "Action|Crime", MovieLens's own separator
    release_date TEXT,
    imdb_url TEXT,
    search_key TEXT NOT NULL,          -- accent/case/punctuation-free display title, for lookup
    num_ratings INTEGER NOT NULL DEFAULT 0,  -- kept by the ratings_stats_* triggers, so pages
    rating_sum REAL NOT NULL DEFAULT 0       -- show averages without scanning the ratings
);
CREATE INDEX IF NOT EXISTS movies_search_key ON movies (search_key);

CREATE TABLE IF NOT EXISTS movie_genres (
    movie_id INTEGER NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    genre TEXT NOT NULL,
    PRIMARY KEY (movie_id, genre)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS movie_genres_genre ON movie_genres (genre, movie_id);

CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,            -- MovieLens users keep theirs; accounts get new ones
    username TEXT UNIQUE COLLATE NOCASE,  -- NULL for MovieLens users, who cannot log in
    password_hash TEXT,
    created_at INTEGER,
    age INTEGER,
    gender TEXT,
    occupation TEXT,
    zip_code TEXT
);

CREATE TABLE IF NOT EXISTS ratings (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    movie_id INTEGER NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    rating REAL NOT NULL CHECK (rating >= 0.5 AND rating <= 5.0),
    timestamp INTEGER NOT NULL,
    PRIMARY KEY (user_id, movie_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ratings_movie ON ratings (movie_id);
CREATE INDEX IF NOT EXISTS ratings_user_time ON ratings (user_id, timestamp);

CREATE TABLE IF NOT EXISTS api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,   -- sha256 of the token; the token itself is never stored
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS api_tokens_user ON api_tokens (user_id);

-- Browser logins (Flask-Login). The session and "keep me logged in" cookies carry a random token
-- that is new at every login; only its sha256 is stored, and deleting the row (log out, a
-- password change) ends that login on the server, whatever copies of the cookies exist.
CREATE TABLE IF NOT EXISTS web_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS web_sessions_user ON web_sessions (user_id);

-- Failed logins, for the per-account and per-address sliding-window limit (recommender.login_attempts).
-- In the store, not in a worker's memory, so every gunicorn worker counts the same attempts.
CREATE TABLE IF NOT EXISTS login_attempts (
    key TEXT NOT NULL,                 -- "account:<casefolded name>" or "address:<client ip>"
    at REAL NOT NULL                   -- seconds since the epoch
);
CREATE INDEX IF NOT EXISTS login_attempts_key_at ON login_attempts (key, at);

-- Rating aggregates per movie, kept exact on every write (REPLACE counts as delete + insert
-- because store.connect turns recursive_triggers on).
CREATE TRIGGER IF NOT EXISTS ratings_stats_insert AFTER INSERT ON ratings BEGIN
    UPDATE movies SET num_ratings = num_ratings + 1, rating_sum = rating_sum + NEW.rating
    WHERE id = NEW.movie_id;
END;
CREATE TRIGGER IF NOT EXISTS ratings_stats_delete AFTER DELETE ON ratings BEGIN
    UPDATE movies SET num_ratings = num_ratings - 1, rating_sum = rating_sum - OLD.rating
    WHERE id = OLD.movie_id;
END;
CREATE TRIGGER IF NOT EXISTS ratings_stats_update AFTER UPDATE OF rating, movie_id ON ratings BEGIN
    UPDATE movies SET num_ratings = num_ratings - 1, rating_sum = rating_sum - OLD.rating
    WHERE id = OLD.movie_id;
    UPDATE movies SET num_ratings = num_ratings + 1, rating_sum = rating_sum + NEW.rating
    WHERE id = NEW.movie_id;
END;

-- A counter bumped by every rating written, moved or removed: the films' counts and averages
-- above change with it and with nothing else, so a server may keep the ones it read until it
-- moves (recommender.store.catalogue.versions).
CREATE TABLE IF NOT EXISTS counts_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    changes INTEGER NOT NULL
);
INSERT OR IGNORE INTO counts_version (id, changes) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS counts_version_insert AFTER INSERT ON ratings BEGIN
    UPDATE counts_version SET changes = changes + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS counts_version_delete AFTER DELETE ON ratings BEGIN
    UPDATE counts_version SET changes = changes + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS counts_version_update AFTER UPDATE OF rating, movie_id ON ratings
WHEN OLD.rating IS NOT NEW.rating OR OLD.movie_id IS NOT NEW.movie_id
BEGIN  -- a re-import rewrites every rating with the same stars: no change
    UPDATE counts_version SET changes = changes + 1 WHERE id = 1;
END;

-- A counter bumped whenever a movie is added, removed or retitled: caches of the catalogue (the
-- title index of every worker) read it on each lookup to know they are stale, in O(1) instead
-- of counting the movies. The rating aggregates above are left out: they change with every rating.
CREATE TABLE IF NOT EXISTS catalogue_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    changes INTEGER NOT NULL
);
INSERT OR IGNORE INTO catalogue_version (id, changes) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS catalogue_version_insert AFTER INSERT ON movies BEGIN
    UPDATE catalogue_version SET changes = changes + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS catalogue_version_delete AFTER DELETE ON movies BEGIN
    UPDATE catalogue_version SET changes = changes + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS catalogue_version_update
AFTER UPDATE OF id, title, display_title, year, genres, search_key ON movies
WHEN OLD.id IS NOT NEW.id OR OLD.title IS NOT NEW.title OR OLD.display_title IS NOT NEW.display_title
  OR OLD.year IS NOT NEW.year OR OLD.genres IS NOT NEW.genres OR OLD.search_key IS NOT NEW.search_key
BEGIN  -- a re-import rewrites every row with the same values: no change
    UPDATE catalogue_version SET changes = changes + 1 WHERE id = 1;
END;

-- The highest account id ever given out: a deleted account's id goes to nobody else, so a script
-- or a log that kept it never finds another person behind it (recommender.store.accounts.create).
CREATE TABLE IF NOT EXISTS account_ids_given (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    highest INTEGER NOT NULL
);
INSERT OR IGNORE INTO account_ids_given (id, highest)
    SELECT 1, coalesce(max(id), 0) FROM users WHERE username IS NOT NULL;
CREATE TRIGGER IF NOT EXISTS account_ids_given_insert AFTER INSERT ON users WHEN NEW.username IS NOT NULL BEGIN
    UPDATE account_ids_given SET highest = max(highest, NEW.id) WHERE id = 1;
END;

-- "Not interested": films a user asked never to see again in their feed, similar lists or search
-- results (recommender.store.hidden). A hidden film counts as a dislike; a rating of it is kept.
CREATE TABLE IF NOT EXISTS hidden (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    movie_id INTEGER NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    hidden_at INTEGER NOT NULL,        -- seconds since the epoch, as ratings.timestamp
    PRIMARY KEY (user_id, movie_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS hidden_movie ON hidden (movie_id);  -- the cascade when a movie goes

-- "Want to watch": films a user means to see (recommender.store.watchlist). A watchlisted film
-- leaves the feed (already known) and counts as a mild like (preferences.WATCHLIST_STARS).
CREATE TABLE IF NOT EXISTS watchlist (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    movie_id INTEGER NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    added_at INTEGER NOT NULL,         -- seconds since the epoch, as ratings.timestamp
    PRIMARY KEY (user_id, movie_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS watchlist_movie ON watchlist (movie_id);  -- the cascade when a movie goes

-- A Letterboxd or IMDb file read and matched, waiting for its owner to confirm it
-- (recommender.store.user_import). In the store, not a worker's memory, so any worker can confirm
-- what another previewed; gone once confirmed, after PREVIEW_LIFETIME, or with the account.
CREATE TABLE IF NOT EXISTS import_previews (
    id TEXT PRIMARY KEY,               -- random and unguessable; asked for with its owner's id
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,       -- seconds since the epoch
    format TEXT NOT NULL,              -- letterboxd | imdb
    rows TEXT NOT NULL                 -- JSON: recommender.ingest.user_import.preview_rows
);
CREATE INDEX IF NOT EXISTS import_previews_user ON import_previews (user_id);

-- tags.csv and links.csv of a ratings.csv-layout release (recommender.store.movie_tags): a movie's
-- most frequent tags join the text the content index embeds; links map IMDb ids to movies.
CREATE TABLE IF NOT EXISTS movie_tags (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    movie_id INTEGER NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,                 -- as the user typed it; counted case-folded
    timestamp INTEGER NOT NULL,
    PRIMARY KEY (user_id, movie_id, tag)  -- a re-import replaces, never doubles
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS movie_tags_movie ON movie_tags (movie_id);

CREATE TABLE IF NOT EXISTS movie_links (
    movie_id INTEGER PRIMARY KEY REFERENCES movies (id) ON DELETE CASCADE,
    imdb_id INTEGER,                   -- "tt0114709" is 114709
    tmdb_id INTEGER
);
CREATE INDEX IF NOT EXISTS movie_links_imdb ON movie_links (imdb_id);
